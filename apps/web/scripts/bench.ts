/**
 * Web API benchmark (run: `npm run bench:web -w @ems/web`; options `--devices 1000 --days 365
 * --queries 500 --year-queries 100 --client-devices 50 --logins 30`).
 *
 * 1. The consumption query: a year of hourly totals for 1,000 devices in a dedicated, freshly
 *    migrated set of test databases; then `consumptionForDay` (the function behind tRPC
 *    monitoring.consumption and GET /api/monitoring/consumption) for random device-days, UTC and
 *    Europe/Bucharest, by the device's owner. Target: p95 ≤ 30 ms.
 * 2. A year at day resolution, with the year before (monitoring.deviceConsumption /
 *    monitoring.userConsumption and their REST forms), UTC or Europe/Bucharest: for one random device
 *    by its owner, and for all devices of a client owning 50 of them. Target: p95 ≤ 30 ms each. The
 *    plan of the 50-device query (EXPLAIN ANALYZE) is printed, with the index it scans.
 * 3. Sign-in: `authenticate` (throttle check, credentials lookup, argon2id verification), the function
 *    behind next-auth's Credentials provider and POST /api/auth/login. Target: p95 ≤ 300 ms.
 *
 * Prints the figures; the last line is JSON. The databases are dropped afterwards.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { DATABASE_URL_VARIABLES, DATABASES } from "@ems/db/databases";
import { createTestDatabases, dropTestDatabases } from "@ems/db/testing";

const { values: options } = parseArgs({
  options: {
    devices: { type: "string", default: "1000" },
    days: { type: "string", default: "365" },
    queries: { type: "string", default: "500" },
    "year-queries": { type: "string", default: "100" },
    "client-devices": { type: "string", default: "50" },
    logins: { type: "string", default: "30" },
  },
});
const DEVICES = Number(options.devices);
const DAYS = Number(options.days);
const QUERIES = Number(options.queries);
const YEAR_QUERIES = Number(options["year-queries"]);
const CLIENT_DEVICES = Number(options["client-devices"]);
const LOGINS = Number(options.logins);
/** The seeded year; the year-by-day queries ask for 2025 (and, as the period before, 2024). */
const YEAR_START = Date.UTC(2025, 0, 1);

function percentile(sortedMs: number[], p: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1)] ?? NaN;
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? NaN),
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function main() {
  const startedAt = performance.now();
  const urls = await createTestDatabases("webbench");
  for (const name of DATABASES) {
    // eslint-disable-next-line no-restricted-properties -- point @ems/db (parsed on first import, below) at the bench databases
    process.env[DATABASE_URL_VARIABLES[name]] = urls[name];
  }
  // src/env.ts (loaded by domain/auth.ts) requires AUTH_SECRET and SOCKET_TOKEN_PRIVATE_KEY outside
  // NODE_ENV=development/test; the bench signs nothing that outlives it, so throw-away ones will do.
  // eslint-disable-next-line no-restricted-properties -- as above, before src/env.ts is first imported
  process.env.AUTH_SECRET ??= randomBytes(32).toString("hex");
  // eslint-disable-next-line no-restricted-properties -- as above
  process.env.SOCKET_TOKEN_PRIVATE_KEY ??= generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  try {
    // Imported only now: the database clients read their URLs when first loaded.
    const { ARGON2_PARAMS } = await import("@ems/auth/passwords");
    const { deviceDb } = await import("@ems/db/device");
    const { monitoringDb } = await import("@ems/db/monitoring");
    const { createAccount } = await import("../src/server/domain/users.ts");
    const { authenticate } = await import("../src/server/domain/auth.ts");
    const { bucketTotalsQuery, consumptionForDay, periodQuerySettings, deviceConsumptionOverPeriod, userConsumptionOverPeriod } = await import("../src/server/domain/monitoring.ts");
    const { devicePeriodInputSchema, periodBuckets, previousPeriod, userPeriodInputSchema } = await import("../src/lib/consumption-periods.ts");

    const password = "benchmark-password";
    const owner = await createAccount({ username: "bench-owner", password, name: "Bench Owner", role: "client" });
    const viewer = { id: owner.id, username: owner.username, role: owner.role };

    console.log(`seeding ${DEVICES} devices × ${DAYS} days of hourly totals (${(DEVICES * DAYS * 24).toLocaleString("en")} rows) ...`);
    const seedStart = performance.now();
    await deviceDb.$executeRaw`
      INSERT INTO devices (name, max_hourly_consumption, owner_id)
      SELECT 'bench meter ' || i, 2.5, ${owner.id}::uuid FROM generate_series(1, ${DEVICES}) AS i`;
    const devices = await deviceDb.device.findMany({ select: { id: true } });
    const deviceIds = devices.map((d) => d.id);
    await monitoringDb.$executeRaw`
      INSERT INTO devices (device_id, owner_id, max_hourly_consumption, version)
      SELECT id, ${owner.id}::uuid, 2.5, 1 FROM unnest(${deviceIds}::uuid[]) AS id`;
    // Day by day, every device's hours, as monitoring writes them: the tables' rows lie in time order
    // (a device's days spread over as many pages), not device by device, which would flatter the reads.
    for (let day = 0; day < DAYS; day++) {
      const dayStart = YEAR_START + day * 86_400_000;
      await monitoringDb.$executeRaw`
        INSERT INTO hourly_consumption (device_id, hour_start, total_kwh, reading_count)
        SELECT d, h, round((random() * 2)::numeric, 3), 6
          FROM generate_series(${new Date(dayStart)}::timestamptz, ${new Date(dayStart + 23 * 3_600_000)}::timestamptz, interval '1 hour') AS h
         CROSS JOIN unnest(${deviceIds}::uuid[]) AS d`;
    }
    // A second client owning CLIENT_DEVICES of the meters, for the all-my-devices total.
    const client = await createAccount({ username: "bench-client", password, name: "Bench Client", role: "client" });
    const clientViewer = { id: client.id, username: client.username, role: client.role };
    const clientDeviceIds = deviceIds.slice(0, CLIENT_DEVICES);
    const ownerDeviceIds = deviceIds.slice(CLIENT_DEVICES);
    await deviceDb.device.updateMany({ where: { id: { in: clientDeviceIds } }, data: { ownerId: client.id } });
    // As autovacuum leaves past days: all-visible, so the daily roll-up's covering index answers alone.
    await monitoringDb.$executeRawUnsafe("VACUUM ANALYZE hourly_consumption, daily_consumption");
    await deviceDb.$executeRawUnsafe("ANALYZE devices");
    const seedSeconds = (performance.now() - seedStart) / 1000;
    console.log(`seeded in ${seedSeconds.toFixed(1)} s`);

    const randomDeviceDay = () => {
      const deviceId = ownerDeviceIds[Math.floor(Math.random() * ownerDeviceIds.length)]!;
      const day = new Date(YEAR_START + Math.floor(Math.random() * (DAYS - 1)) * 86_400_000).toISOString().slice(0, 10);
      const tz = Math.random() < 0.5 ? "UTC" : "Europe/Bucharest";
      return { deviceId, date: day, tz };
    };
    for (let i = 0; i < 50; i++) await consumptionForDay(viewer, randomDeviceDay());
    const querySamples: number[] = [];
    let hours = 0;
    for (let i = 0; i < QUERIES; i++) {
      const input = randomDeviceDay();
      querySamples.push(await timed(async () => (hours += (await consumptionForDay(viewer, input)).hours.length)));
    }
    const consumption = summary(querySamples);
    console.log(`consumption query (owner, random device-day, UTC or Europe/Bucharest): ${JSON.stringify(consumption)} ms; ${hours} hourly values returned`);

    // A year by day, with the year before: the seeded year is the current period's.
    const yearOf = (tz: string) => ({ from: "2025-01-01", to: "2026-01-01", resolution: "day", tz });
    const randomZone = () => (Math.random() < 0.5 ? "UTC" : "Europe/Bucharest");
    const yearSamples = async (query: () => Promise<unknown>) => {
      for (let i = 0; i < 5; i++) await query();
      const samples: number[] = [];
      for (let i = 0; i < YEAR_QUERIES; i++) samples.push(await timed(query));
      return summary(samples);
    };
    const deviceYear = await yearSamples(() => {
      const deviceId = ownerDeviceIds[Math.floor(Math.random() * ownerDeviceIds.length)]!;
      return deviceConsumptionOverPeriod(viewer, devicePeriodInputSchema.parse({ deviceId, ...yearOf(randomZone()) }));
    });
    console.log(`a year by day, one device (owner): ${JSON.stringify(deviceYear)} ms`);
    const clientYear = await yearSamples(() => userConsumptionOverPeriod(clientViewer, userPeriodInputSchema.parse(yearOf(randomZone()))));
    console.log(`a year by day, all ${CLIENT_DEVICES} devices of a client: ${JSON.stringify(clientYear)} ms`);

    // The plan of the client's year, exactly as the domain function sends it.
    const period = yearOf("Europe/Bucharest");
    const before = previousPeriod(period.from, period.to);
    const buckets = [...periodBuckets(before.from, before.to, "day", period.tz), ...periodBuckets(period.from, period.to, "day", period.tz)];
    const planQuery = bucketTotalsQuery(clientDeviceIds, buckets, "day");
    const [, planLines] = await monitoringDb.$transaction([
      monitoringDb.$queryRaw(periodQuerySettings),
      monitoringDb.$queryRaw<{ "QUERY PLAN": string }[]>`EXPLAIN (ANALYZE, BUFFERS) ${planQuery}`,
    ]);
    // Parameters (bucket numbers, cut hours) are inlined by EXPLAIN; long lines are cut to keep the plan readable.
    const plan = planLines.map((line) => (line["QUERY PLAN"].length > 200 ? `${line["QUERY PLAN"].slice(0, 200)}…` : line["QUERY PLAN"])).join("\n");
    console.log(`plan of the ${CLIENT_DEVICES}-device year:\n${plan}`);
    const scannedIndex = /Index (?:Only )?Scan (?:using|on) (\S+)/.exec(plan)?.[1] ?? null;

    await authenticate({ username: owner.username, password }, "10.0.0.1");
    const loginSamples: number[] = [];
    for (let i = 0; i < LOGINS; i++) {
      loginSamples.push(await timed(() => authenticate({ username: owner.username, password }, `10.0.1.${i % 250}`)));
    }
    const login = summary(loginSamples);
    console.log(`sign-in (throttle check + lookup + argon2id verify): ${JSON.stringify(login)} ms`);
    console.log(`argon2id parameters: m=${ARGON2_PARAMS.memoryCost} KiB, t=${ARGON2_PARAMS.timeCost}, p=${ARGON2_PARAMS.parallelism}`);

    const result = {
      benchmark: "web",
      devices: DEVICES,
      days: DAYS,
      hourlyRows: DEVICES * DAYS * 24,
      seedSeconds: Math.round(seedSeconds * 10) / 10,
      consumptionMs: consumption,
      consumptionTargetMet: consumption.p95 <= 30,
      yearByDayOneDeviceMs: deviceYear,
      yearByDayClientDevices: CLIENT_DEVICES,
      yearByDayClientMs: clientYear,
      yearByDayTargetMet: deviceYear.p95 <= 30 && clientYear.p95 <= 30,
      yearByDayClientIndex: scannedIndex,
      loginMs: login,
      loginTargetMet: login.p95 <= 300,
      argon2: { memoryKiB: ARGON2_PARAMS.memoryCost, iterations: ARGON2_PARAMS.timeCost, parallelism: ARGON2_PARAMS.parallelism },
      totalSeconds: Math.round((performance.now() - startedAt) / 100) / 10,
    };
    await Promise.all([deviceDb.$disconnect(), monitoringDb.$disconnect()]);
    const { authDb } = await import("@ems/db/auth");
    const { userDb } = await import("@ems/db/user");
    await Promise.all([authDb.$disconnect(), userDb.$disconnect()]);
    return result;
  } finally {
    await dropTestDatabases(urls);
  }
}

main().then(
  (result) => console.log(JSON.stringify(result)),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
