// `npx tsx e2e/support/run-system.ts` (in apps/web): the e2e system in development mode on
// http://localhost:3217 with its own databases and queues, for looking at the UI by hand.
// Ctrl-C stops it and drops the databases. Output goes to test-results/system-dev.log.
import path from "node:path";
import { startSystem } from "./system.ts";

const system = await startSystem({
  mode: "dev",
  host: "localhost",
  webPort: 3217,
  chatPort: 4217,
  logFile: path.resolve("test-results/system-dev.log"),
  authSecret: "e2e-only-secret-0123456789abcdefghijklmnopqrstuvwxyz",
});
console.log(`EMS is up at ${system.baseURL} (queue prefix ${system.queuePrefix}); Ctrl-C stops it`);
const shutdown = () => void system.stop().then(() => process.exit(0));
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
