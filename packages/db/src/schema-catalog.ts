import { readFile } from "node:fs/promises";
import internals from "@prisma/internals";
import pg from "pg";

/**
 * A comparable description of a database schema: tables with typed columns, keys, foreign keys,
 * plain indexes and enums. Built once from PostgreSQL's catalog and once from a Prisma schema, so
 * that a test can say exactly where the two differ.
 */
export interface SchemaShape {
  tables: Record<string, TableShape>;
  enums: Record<string, string[]>;
}

export interface TableShape {
  /** column → "type nullability default?" e.g. "timestamptz(3) not null default" */
  columns: Record<string, string>;
  primaryKey: string[];
  unique: string[];
  foreignKeys: string[];
  indexes: string[];
}

const sorted = (values: Iterable<string>) => [...values].sort();

export async function shapeFromDatabase(url: string): Promise<SchemaShape> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query<{
      table_name: string;
      column_name: string;
      udt_name: string;
      is_nullable: string;
      has_default: boolean;
      numeric_precision: number | null;
      numeric_scale: number | null;
      datetime_precision: number | null;
      data_type: string;
    }>(`
      SELECT table_name, column_name, udt_name, is_nullable, data_type,
             (column_default IS NOT NULL OR is_identity = 'YES') AS has_default,
             CASE WHEN data_type = 'numeric' THEN numeric_precision END AS numeric_precision,
             CASE WHEN data_type = 'numeric' THEN numeric_scale END AS numeric_scale,
             CASE WHEN data_type LIKE 'timestamp%' THEN datetime_precision END AS datetime_precision
        FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name <> 'schema_migrations'
         -- A partitioned table is described once, by its parent (partitions come and go at run time).
         AND table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition)`);
    const tables: Record<string, TableShape> = {};
    const table = (name: string) => (tables[name] ??= { columns: {}, primaryKey: [], unique: [], foreignKeys: [], indexes: [] });
    for (const c of columns.rows) {
      let type = c.data_type === "USER-DEFINED" ? c.udt_name : c.udt_name;
      if (c.numeric_precision !== null) type += `(${c.numeric_precision},${c.numeric_scale})`;
      if (c.datetime_precision !== null) type += `(${c.datetime_precision})`;
      table(c.table_name).columns[c.column_name] =
        `${type} ${c.is_nullable === "YES" ? "null" : "not null"}${c.has_default ? " default" : ""}`;
    }

    const indexes = await client.query<{ table_name: string; columns: string[]; is_primary: boolean; is_unique: boolean; partial: boolean }>(`
      SELECT t.relname AS table_name, i.indisprimary AS is_primary, i.indisunique AS is_unique,
             i.indpred IS NOT NULL AS partial,
             array_agg(a.attname ORDER BY k.ord)::text[] AS columns
        FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
       WHERE t.relname <> 'schema_migrations' AND NOT t.relispartition
         -- Key columns only: a covering index's INCLUDE columns cannot be expressed in a Prisma schema.
         AND k.ord <= i.indnkeyatts
       GROUP BY t.relname, i.indexrelid, i.indisprimary, i.indisunique, i.indpred`);
    for (const i of indexes.rows) {
      const t = table(i.table_name);
      const key = i.columns.join(",");
      // Partial indexes cannot be expressed in a Prisma schema; they live in SQL only.
      if (i.partial) continue;
      if (i.is_primary) t.primaryKey = i.columns;
      else if (i.is_unique) t.unique.push(key);
      else t.indexes.push(key);
    }

    const fks = await client.query<{ table_name: string; columns: string[]; ref_table: string; ref_columns: string[] }>(`
      SELECT c.conrelid::regclass::text AS table_name, c.confrelid::regclass::text AS ref_table,
             (SELECT array_agg(a.attname ORDER BY k.ord)::text[] FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns,
             (SELECT array_agg(a.attname ORDER BY k.ord)::text[] FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS ref_columns
        FROM pg_constraint c
        JOIN pg_namespace n ON n.oid = c.connamespace AND n.nspname = 'public'
       WHERE c.contype = 'f'`);
    for (const f of fks.rows) table(f.table_name).foreignKeys.push(`${f.columns.join(",")}->${f.ref_table}(${f.ref_columns.join(",")})`);

    const enums = await client.query<{ name: string; labels: string[] }>(`
      SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
        JOIN pg_namespace n ON n.oid = t.typnamespace AND n.nspname = 'public'
       GROUP BY t.typname`);

    for (const t of Object.values(tables)) normalise(t);
    return { tables, enums: Object.fromEntries(enums.rows.map((e) => [e.name, e.labels])) };
  } finally {
    await client.end();
  }
}

function normalise(t: TableShape): void {
  t.unique = sorted(t.unique);
  t.foreignKeys = sorted(t.foreignKeys);
  t.indexes = sorted(t.indexes);
}

type DmmfField = {
  name: string;
  dbName?: string | null;
  kind: string;
  type: string;
  isRequired: boolean;
  isUnique: boolean;
  isId: boolean;
  hasDefaultValue: boolean;
  nativeType?: [string, string[]] | null;
  isList?: boolean;
  relationFromFields?: readonly string[];
  relationToFields?: readonly string[];
};

/** The PostgreSQL type Prisma maps a scalar field to (with its native-type attribute, if any). */
function postgresType(field: DmmfField, enumDbNames: Record<string, string>): string {
  const [native, args = []] = field.nativeType ?? [];
  if (field.kind === "enum") return enumDbNames[field.type] ?? field.type;
  switch (field.type) {
    case "String":
      return native === "Uuid" ? "uuid" : "text";
    case "Int":
      return "int4";
    case "BigInt":
      return "int8";
    case "Boolean":
      return "bool";
    case "Json":
      return "jsonb";
    case "Bytes":
      return "bytea";
    case "DateTime":
      if (native === "Date") return "date";
      return native === "Timestamptz" ? `timestamptz(${args[0] ?? 3})` : `timestamp(${args[0] ?? 3})`;
    case "Decimal":
      return native === "Decimal" && args.length === 0 ? "numeric" : `numeric(${args[0] ?? 65},${args[1] ?? 30})`;
    default:
      return `unsupported:${field.type}`;
  }
}

export async function shapeFromPrismaSchema(schemaPath: string): Promise<SchemaShape> {
  const { datamodel } = await internals.getDMMF({ datamodel: await readFile(schemaPath, "utf8") });
  const enumDbNames = Object.fromEntries(datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
  const modelDbNames = Object.fromEntries(datamodel.models.map((m) => [m.name, m.dbName ?? m.name]));
  const tables: Record<string, TableShape> = {};
  for (const model of datamodel.models) {
    const fields = model.fields as unknown as DmmfField[];
    const column = (fieldName: string) => {
      const f = fields.find((candidate) => candidate.name === fieldName);
      return f?.dbName ?? fieldName;
    };
    const t: TableShape = { columns: {}, primaryKey: [], unique: [], foreignKeys: [], indexes: [] };
    for (const f of fields) {
      if (f.kind === "object") {
        if (f.relationFromFields?.length) {
          const target = modelDbNames[f.type] ?? f.type;
          const targetFields = (datamodel.models.find((m) => m.name === f.type)?.fields ?? []) as unknown as DmmfField[];
          const refColumns = (f.relationToFields ?? []).map((n) => targetFields.find((x) => x.name === n)?.dbName ?? n);
          t.foreignKeys.push(`${f.relationFromFields.map(column).join(",")}->${target}(${refColumns.join(",")})`);
        }
        continue;
      }
      const name = f.dbName ?? f.name;
      // PostgreSQL names an array type after its element type with a leading underscore (numeric[]: _numeric).
      const type = `${f.isList ? "_" : ""}${postgresType(f, enumDbNames)}`;
      t.columns[name] = `${type} ${f.isRequired ? "not null" : "null"}${f.hasDefaultValue ? " default" : ""}`;
      if (f.isId) t.primaryKey = [name];
      if (f.isUnique) t.unique.push(name);
    }
    if (model.primaryKey) t.primaryKey = model.primaryKey.fields.map(column);
    for (const u of model.uniqueFields) t.unique.push(u.map(column).join(","));
    for (const i of datamodel.indexes) {
      if (i.model === model.name && i.type === "normal") t.indexes.push(i.fields.map((f) => column(f.name)).join(","));
    }
    normalise(t);
    tables[model.dbName ?? model.name] = t;
  }
  return {
    tables,
    enums: Object.fromEntries(datamodel.enums.map((e) => [e.dbName ?? e.name, e.values.map((v) => v.dbName ?? v.name)])),
  };
}
