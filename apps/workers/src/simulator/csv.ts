import { CsvError, parse } from "csv-parse/sync";

/**
 * Reads a CSV of readings like the original assignment's sensor.csv: one value (kWh per 10 minutes)
 * per record; only the first column is used (comma, semicolon or tab separated, cells may be quoted,
 * with separators or line breaks inside the quotes); blank lines are skipped; a UTF-8 byte order mark
 * is ignored; a first record that is not a number is taken as a header. Any other record that is not a
 * non-negative finite number, or text that is not valid CSV, is an error naming the line, since a
 * silently skipped value would shift every later reading in time.
 */
export function parseCsvValues(text: string, source: string): number[] {
  let cells: string[][];
  try {
    cells = parse(text, {
      bom: true,
      delimiter: [",", ";", "\t"],
      // Named explicitly: detection would take the first line's ending for all, and a file with both
      // CRLF and LF lines would then read several lines as one record.
      record_delimiter: ["\r\n", "\n"],
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      // Checked here, where the record's line number is known; null skips the record.
      on_record: (record: string[], { lines, records }) => {
        const cell = record[0] ?? "";
        if (cell === "") return null;
        const value = Number(cell);
        if (Number.isFinite(value) && value >= 0) return [cell];
        if (records === 1) return null; // header
        throw new Error(`${source}:${lines}: "${cell}" is not a non-negative number`);
      },
    });
  } catch (error) {
    if (error instanceof CsvError) throw new Error(`${source}:${String(error.lines)}: not valid CSV: ${error.message}`, { cause: error });
    throw error;
  }
  if (cells.length === 0) throw new Error(`${source}: no values found`);
  return cells.map(([cell]) => Number(cell));
}
