import { describe, expect, it } from "vitest";
import { parseSimulatorArgs } from "./cli.ts";

const A = "5c2494a3-1140-4c7a-991a-a1a2561c6bc2";
const B = "0f8fad5b-d9cb-469f-a165-70867728950e";
const NOW = Date.UTC(2026, 10, 27, 12, 34, 56);
const files: Record<string, string> = {
  "devices.txt": `# meters\n${B}\n\n${A.toUpperCase()}  # kitchen\n`,
  "sensor.csv": "0.1\n0.25\n\n0.3\n",
  "bad.csv": "value\n0.1\nabc\n",
};
const readFile = (path: string) => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: ${path}`);
  return text;
};
const parse = (...argv: string[]) => parseSimulatorArgs(argv, NOW, readFile);
const configOf = (...argv: string[]) => {
  const result = parse(...argv);
  if (result.help) throw new Error("unexpected help");
  return result.config;
};

describe("parseSimulatorArgs", () => {
  it("defaults to a live run from now (rounded down to 10 minutes) on the load profile", () => {
    expect(configOf("-d", A)).toEqual({
      deviceIds: [A],
      start: Date.UTC(2026, 10, 27, 12, 30),
      end: undefined,
      readingsPerDevice: undefined,
      speed: 1,
      ratePerSecond: undefined,
      csvValues: undefined,
      timeZone: "UTC",
      maxInFlight: 500,
    });
  });

  it("reads devices from flags and a file (deduplicated, lower-cased) and values from a CSV", () => {
    const config = configOf("--device", A, "--devices-file", "devices.txt", "--csv", "sensor.csv", "--speed", "max", "--start", "2026-11-26", "--end", "2026-11-27T00:00Z", "--rate", "2000", "-n", "10", "--time-zone", "Europe/Bucharest");
    expect(config).toMatchObject({
      deviceIds: [A, B],
      csvValues: [0.1, 0.25, 0.3],
      speed: "max",
      start: Date.UTC(2026, 10, 26),
      end: Date.UTC(2026, 10, 27),
      ratePerSecond: 2000,
      readingsPerDevice: 10,
      timeZone: "Europe/Bucharest",
    });
  });

  it.each([
    [[], "no devices"],
    [["-d", "meter-1"], '--device: "meter-1" is not a UUID'],
    [["-d", A, "--speed", "fast"], "--speed: must be a positive number or max"],
    [["-d", A, "--count", "0"], "--count:"],
    [["-d", A, "--start", "yesterday"], "--start: must be an ISO 8601 time"],
    [["-d", A, "--start", "2026-11-27", "--end", "2026-11-26"], "--end: must be after --start"],
    [["-d", A, "--time-zone", "Mars/Olympus"], "--time-zone: must be an IANA time zone"],
    [["-d", A, "--csv", "bad.csv"], 'bad.csv:3: "abc" is not a non-negative number'],
    [["-d", A, "--csv", "missing.csv"], "ENOENT"],
    [["--devices-file", "sensor.csv"], 'sensor.csv:1: "0.1" is not a device id'],
    [["-d", A, "--bogus"], "Unknown option '--bogus'"],
  ])("rejects %j with a readable message", (argv, message) => {
    expect(() => parse(...argv)).toThrow(message);
  });

  it("asks for help", () => {
    expect(parse("--help")).toEqual({ help: true });
  });
});
