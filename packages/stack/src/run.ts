// `npm run dev` / `npm start` at the repository root: every EMS process on this machine, with
// prefixed logs; Ctrl-C stops them all cleanly. See local-run.ts.
import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { processSpecs, startLocalRun, type LocalRun, type Mode } from "./local-run.ts";

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
});
// eslint-disable-next-line no-restricted-properties -- children inherit the developer's environment
const childEnv = { ...process.env, NODE_ENV: mode === "dev" ? "development" : "production" };
const width = Math.max(...specs.map((s) => s.name.length));
// The simulator starts once everything else is ready: by then the web app's outbox relay has told
// monitoring about the seeded device, so its first readings are counted, not dead-lettered as unknown.
const services = specs.filter((s) => s.name !== "simulator");
const producers = specs.filter((s) => s.name === "simulator");
const runs: LocalRun[] = [startLocalRun(services, childEnv, undefined, { width })];

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping ${specs.length} processes…`);
  // Producers first, so nothing is published into a system that is going away.
  const codes: Record<string, number | null> = {};
  for (const run of [...runs].reverse()) Object.assign(codes, await run.stop());
  const failed = Object.entries(codes).filter(([, code]) => code !== 0);
  console.log(failed.length ? `stopped; not clean: ${failed.map(([n, c]) => `${n} (${c})`).join(", ")}` : "all processes stopped cleanly");
  process.exit(failed.length ? 1 : 0);
};
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
// A process that dies on its own takes the whole run down, so nothing keeps running half-broken.
const watch = (run: LocalRun) => {
  for (const p of run.processes) {
    void p.exited.then((code) => {
      if (!stopping) void shutdown(`${p.spec.name} exited with ${code}`);
    });
  }
};
watch(runs[0]!);

try {
  await runs[0]!.ready;
  if (!stopping) {
    const simulator = startLocalRun(producers, childEnv, undefined, { width, firstColour: services.length });
    runs.push(simulator);
    watch(simulator);
    await simulator.ready;
    console.log(`\nEMS is up: ${specs.length} processes ready — http://localhost:${env.WEB_PORT} (Ctrl-C stops everything)\n`);
  }
} catch (error) {
  console.error(`\n${String(error)}\n`);
}
