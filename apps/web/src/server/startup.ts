/**
 * Runs once when the Node.js server starts (from src/instrumentation.ts): checks the environment,
 * ensures the first admin (and the demo data if asked), starts the device outbox relay, and drains
 * on SIGTERM (server/shutdown.ts).
 */
export async function startServer(): Promise<void> {
  try {
    // Parsing the environment now, rather than on the first request, makes a misconfigured server
    // (e.g. no AUTH_SECRET in production) exit at start-up instead of answering every request with 500.
    await import("~/env.ts");
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
  const { ensureStartupAccountsWithRetry, startupAccountsFromEnv } = await import("./startup-accounts.ts");
  // Not awaited: with the user database down the server must still start (sign-in needs only the
  // auth database); the accounts are retried in the background until they are in place.
  void ensureStartupAccountsWithRetry(startupAccountsFromEnv());
  const { startOutboxRelay, stopOutboxRelay } = await import("./outbox/start.ts");
  await startOutboxRelay();
  const [{ env }, { drainOnSignals }] = await Promise.all([import("~/env.ts"), import("./shutdown.ts")]);
  drainOnSignals({ drainMs: env.SHUTDOWN_DRAIN_SECONDS * 1000, stop: stopOutboxRelay, log: (message) => console.log(`[web] ${message}`) });
}
