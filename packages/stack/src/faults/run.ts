// `npm run test:faults`: fault injection against the real data plane (balancer + two monitoring
// replicas as processes), RabbitMQ and PostgreSQL on this machine, while a known stream of readings
// flows; stored hourly totals and alerts are then compared with what was published. Restarts RabbitMQ
// and stops PostgreSQL for 10 s: run it alone. Last line: one JSON object with every scenario's figures.
// The scale scenarios (scaling.ts: monitoring 2→3→2 under load) touch neither service:
// `npm run test:faults -w @ems/stack -- --only scale` runs just those. The system scenarios
// (system-scenarios.ts: web, chat and the data plane as processes, clients connected; PostgreSQL and
// RabbitMQ restarted, the monitoring database taken away) run with `--only system`; the silence scenario
// (silence.ts: the balancer down longer than the "device silent" setting) with `--only silence`.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createTestDatabases, dropTestDatabases } from "@ems/db/testing";
import { consoleLogger } from "@ems/messaging";
import type { ScenarioResult } from "./scenarios.ts";

// --only <text>: run just the scenarios whose name contains it (e.g. while others use the broker).
// Pass it to this workspace's script (`npm run test:faults -w @ems/stack -- --only scale`): through the
// root script npm 11 takes `--only` as a setting of its own and drops it, and every scenario runs.
const { values: args } = parseArgs({ options: { only: { type: "string" } } });
const selected = (name: string) => args.only === undefined || name.includes(args.only);

const RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672";
const log = consoleLogger("faults", "info");
const logFile = path.join(mkdtempSync(path.join(tmpdir(), "ems-faults-")), "processes.log");
log.info(args.only === undefined ? "every scenario (restarts RabbitMQ, stops PostgreSQL)" : `only the scenarios whose name contains "${args.only}"`);

const urls = await createTestDatabases("faults");
// The relay scenario uses @ems/db's device client in this process: point it at the test database
// before that module is first imported.
// eslint-disable-next-line no-restricted-properties -- test harness wiring, before any env module loads
process.env.DEVICE_DATABASE_URL = urls.device;
const { runOutboxScenario, runStreamScenarios, quietLogger } = await import("./scenarios.ts");
const { runScaleScenarios } = await import("./scaling.ts");
const { runLateSyncScenario } = await import("./late-sync.ts");
const { runSilenceScenario } = await import("./silence.ts");
const { runSystemScenarios } = await import("./system-scenarios.ts");

const ctx = {
  rabbitmqUrl: RABBITMQ_URL,
  monitoringUrl: urls.monitoring,
  env: {
    // eslint-disable-next-line no-restricted-properties -- the worker processes inherit PATH etc.
    ...process.env,
    RABBITMQ_URL,
    MONITORING_DATABASE_URL: urls.monitoring,
    PARTITION_COUNT: "2",
    MONITORING_RETRY_DELAY_MS: "200",
    MONITORING_STATS_INTERVAL_MS: "0",
    BALANCER_STATS_INTERVAL_MS: "0",
    LOG_LEVEL: "info",
  },
  logFile,
  log: quietLogger("faults"),
};

const results: ScenarioResult[] = [];
const report = (r: ScenarioResult) => {
  results.push(r);
  log.info(
    `${r.passed ? "PASS" : "FAIL"} ${r.name}: published ${r.published}, counted ${r.counted}, lost ${r.lost}, duplicated ${r.duplicated}, recovered in ${r.recoverySeconds} s — ${r.notes.join("; ")}` +
      (r.figures ? ` — ${JSON.stringify(r.figures)}` : ""),
  );
};
try {
  for await (const result of runStreamScenarios(ctx, selected)) report(result);
  if (selected("outbox")) report(await runOutboxScenario(ctx));
  if (selected("late sync")) report(await runLateSyncScenario(ctx));
  if (selected("silence")) report(await runSilenceScenario(ctx));
  for await (const result of runScaleScenarios(ctx, selected)) report(result);
  for await (const result of runSystemScenarios(ctx, urls, selected)) report(result);
} catch (error) {
  log.error(`harness failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  await dropTestDatabases(urls).catch(() => undefined);
}

log.info(`process logs: ${logFile}`);
const passed = results.filter((r) => r.passed).length;
console.log(`${passed} passed, ${results.length - passed} failed`);
console.log(
  JSON.stringify({
    scenarios: results.map(({ name, passed, published, counted, lost, duplicated, recoverySeconds, figures }) => ({
      name,
      passed,
      published,
      counted,
      lost,
      duplicated,
      recoverySeconds,
      ...(figures ? { figures } : {}),
    })),
    lost: results.reduce((sum, r) => sum + r.lost, 0),
    duplicated: results.reduce((sum, r) => sum + r.duplicated, 0),
  }),
);
if (passed !== results.length || results.length === 0) process.exitCode = 1;
// Prisma and pg pools would keep the process alive.
process.exit();
