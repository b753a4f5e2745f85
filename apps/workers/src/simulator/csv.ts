/**
 * Reads a CSV of readings like the original assignment's sensor.csv: one value (kWh per 10 minutes)
 * per line; only the first column is used; blank lines are skipped; a first line that is not a number
 * is taken as a header. Any other line that is not a non-negative finite number is an error naming
 * the line, since a silently skipped value would shift every later reading in time.
 */
export function parseCsvValues(text: string, source: string): number[] {
  const values: number[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const cell = line.split(/[,;\t]/)[0]!.trim().replace(/^"(.*)"$/, "$1");
    if (cell === "") return;
    const value = Number(cell);
    if (!Number.isFinite(value) || value < 0) {
      if (index === 0) return; // header
      throw new Error(`${source}:${index + 1}: "${cell}" is not a non-negative number`);
    }
    values.push(value);
  });
  if (values.length === 0) throw new Error(`${source}: no values found`);
  return values;
}
