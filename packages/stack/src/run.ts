// `npm run dev` / `npm start` at the repository root: every EMS process on this machine, with
// prefixed logs; a process that exits on its own is restarted with backoff; Ctrl-C stops them all
// cleanly. See local-run.ts.
import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { chatBotUrl } from "@ems/db/chat-bot-role";
import { databaseUrls } from "@ems/db/env";
import { DEFAULT_RESTART_POLICY, processSpecs, startLocalRun, stopRunsOnSignals, type LocalRun, type Mode } from "./local-run.ts";

const mode = process.argv[2] as Mode | undefined;
if (mode !== "dev" && mode !== "start") {
  console.error("usage: run.ts dev|start");
  process.exit(64);
}

const env = createEnv({
  server: {
    PARTITION_COUNT: z.coerce.number().int().min(1).max(64).default(2),
    WEB_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    CHAT_PORT: z.coerce.number().int().min(1).max(65535).default(4000),
    SIMULATOR_DEVICES: z.string().default("5c2494a3-1140-4c7a-991a-a1a2561c6bc2"),
    /** Simulated minutes per real minute while replaying today; "max": at once, then live. */
    SIMULATOR_SPEED: z.union([z.literal("max"), z.coerce.number().positive()]).default("max"),
  },
  // eslint-disable-next-line no-restricted-properties -- this runner's own settings
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
});

const specs = processSpecs({
  mode,
  partitionCount: env.PARTITION_COUNT,
  webPort: env.WEB_PORT,
  chatPort: env.CHAT_PORT,
  simulatorDevices: env.SIMULATOR_DEVICES.split(","),
  simulatorSpeed: env.SIMULATOR_SPEED,
  chatBotDatabaseUrls: { device: chatBotUrl(databaseUrls.device), monitoring: chatBotUrl(databaseUrls.monitoring) },
});
// eslint-disable-next-line no-restricted-properties -- children inherit the developer's environment
const childEnv = { ...process.env, NODE_ENV: mode === "dev" ? "development" : "production" };
const width = Math.max(...specs.map((s) => s.name.length));
// The simulator starts once everything else is ready: by then the web app's outbox relay has told
// monitoring about the seeded device, so its first readings are counted, not dead-lettered as unknown.
const services = specs.filter((s) => s.name !== "simulator");
const producers = specs.filter((s) => s.name === "simulator");
// As Swarm's restart policy would: a process that exits on its own (a crash, a lost dependency it
// does not survive) is started again with backoff while the others keep running.
const runs: LocalRun[] = [startLocalRun(services, childEnv, undefined, { width, restart: DEFAULT_RESTART_POLICY })];
const shutdown = stopRunsOnSignals(runs);

try {
  await runs[0]!.ready;
  if (!shutdown.stopping) {
    const simulator = startLocalRun(producers, childEnv, undefined, { width, firstColour: services.length, restart: DEFAULT_RESTART_POLICY });
    runs.push(simulator);
    await simulator.ready;
    console.log(`\nEMS is up: ${specs.length} processes ready — http://localhost:${env.WEB_PORT} (Ctrl-C stops everything)\n`);
  }
} catch (error) {
  // Only a stop before everything was ready gets here: the shutdown says the rest.
  if (!shutdown.stopping) console.error(`\n${String(error)}\n`);
}
