import { describe, expect, it } from "vitest";
import { DATABASES } from "./databases.ts";
import { prismaSchemaPath } from "./migrate.ts";
import { shapeFromDatabase, shapeFromPrismaSchema } from "./schema-catalog.ts";
import { databaseUrls } from "./env.ts";

// Each database is migrated by dbmate in the test run's global set-up; its catalog must describe
// exactly the tables, columns, types, nullability, defaults, keys, indexes and enums that the Prisma
// schema declares. A column removed from, added to or retyped in either side fails here.
describe.each(DATABASES)("%s database", (name) => {
  it("has SQL migrations and a Prisma schema that describe the same schema", async () => {
    const [fromSql, fromPrisma] = await Promise.all([
      shapeFromDatabase(databaseUrls[name]),
      shapeFromPrismaSchema(prismaSchemaPath(name)),
    ]);
    expect(Object.keys(fromSql.tables).length).toBeGreaterThan(0);
    expect(fromSql).toEqual(fromPrisma);
  });
});
