import { describe, expect, it } from "vitest";
import { parseCsvValues } from "./csv.ts";

describe("parseCsvValues", () => {
  it("reads the first column of plain, quoted and header-led files", () => {
    expect(parseCsvValues("0.1\n0.25\n\n0.3\n", "plain.csv")).toEqual([0.1, 0.25, 0.3]);
    expect(parseCsvValues('"value","note"\n"0.1","a"\n"0.25",b\n', "quoted.csv")).toEqual([0.1, 0.25]);
    expect(parseCsvValues("value;note\n0.5;x\n0.75\tx\n", "separators.csv")).toEqual([0.5, 0.75]);
  });

  it("keeps separators and quotes inside a quoted cell in that cell", () => {
    // Read line by line, "then oven" would be taken for a value and the file refused.
    expect(parseCsvValues('"value, kWh",note\n0.2,"dryer,\nthen oven"\n"0.4","said ""hi"""\n0.6\n', "notes.csv")).toEqual([0.2, 0.4, 0.6]);
    expect(() => parseCsvValues('0.5\n"1,5"\n', "comma-decimal.csv")).toThrow('comma-decimal.csv:2: "1,5" is not a non-negative number');
  });

  it("reads CRLF, mixed line endings and a byte order mark", () => {
    expect(parseCsvValues("\uFEFFvalue\r\n0.1\r\n\r\n0.2\n0.3\r\n", "windows.csv")).toEqual([0.1, 0.2, 0.3]);
    expect(parseCsvValues("\uFEFF0.7\r\n0.8", "bom-no-header.csv")).toEqual([0.7, 0.8]);
  });

  it("names the line of a value that is not a non-negative number", () => {
    expect(() => parseCsvValues("value\n0.1\n\n-2\n", "negative.csv")).toThrow('negative.csv:4: "-2" is not a non-negative number');
    expect(() => parseCsvValues('value\r\n"0.1"\r\n"abc",x\r\n', "crlf.csv")).toThrow('crlf.csv:3: "abc" is not a non-negative number');
    expect(() => parseCsvValues("value\n", "empty.csv")).toThrow("empty.csv: no values found");
  });

  it("names the line of a row that is not valid CSV", () => {
    expect(() => parseCsvValues('value\n0.1\n"0.2"x\n0.3\n', "stray.csv")).toThrow(/^stray\.csv:3: not valid CSV: Invalid Closing Quote/);
    expect(() => parseCsvValues('value\n0.1\n"0.2\n0.3\n', "unclosed.csv")).toThrow(/^unclosed\.csv:\d+: not valid CSV: Quote Not Closed/);
  });
});
