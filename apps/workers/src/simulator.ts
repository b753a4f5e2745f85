/** Sensor simulator: `tsx src/simulator.ts --help` (see README, "Simulator"). */
import { queueNames } from "@ems/contracts/queues";
import { Broker, consoleLogger, declareTopology } from "@ems/messaging";
import { exitOnStartupFailure, stopOnSignals } from "@ems/runtime";
import { USAGE, parseSimulatorArgs } from "./simulator/cli.ts";
import { simulatorEnv as env } from "./simulator/env.ts";
import { progressBar } from "./simulator/progress.ts";
import { runSimulator, stepCount } from "./simulator/simulator.ts";
import { startHeartbeat } from "./shared/heartbeat.ts";

const log = consoleLogger("simulator", env.LOG_LEVEL);
const parsed = (() => {
  try {
    return parseSimulatorArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(2);
  }
})();
if (parsed.help) {
  console.log(USAGE);
  process.exit(0);
}
const { config } = parsed;

const names = queueNames(env.QUEUE_PREFIX);
const broker = new Broker({ url: env.RABBITMQ_URL, name: `${env.QUEUE_PREFIX}simulator`, log });
await broker.onConnect((channel) => declareTopology(channel, names, env.PARTITION_COUNT));
await broker.start().catch(exitOnStartupFailure(log));

startHeartbeat(() => broker.isConnected);
const total = stepCount(config) * config.deviceIds.length;
const bar = Number.isFinite(total) ? progressBar(total) : undefined;
const stopping = new AbortController();
log.info(
  `${config.deviceIds.length} device(s) from ${new Date(config.start).toISOString()}, speed ${config.speed}` +
    `${Number.isFinite(total) ? `, ${total} readings` : ", until stopped"}${config.csvValues ? `, values from CSV (${config.csvValues.length})` : ""}`,
);
const finished = runSimulator(config, { queue: names.sensorData, broker, log, signal: stopping.signal, onProgress: (n) => bar?.update(n) }).then(async (published) => {
  bar?.finish();
  await broker.close();
  log.info(`published ${published} readings`);
});
stopOnSignals(log, async () => {
  stopping.abort();
  await finished;
});
await finished;
process.exit(0);
