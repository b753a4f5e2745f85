/**
 * Runs once when the Node.js server starts (from src/instrumentation.ts): checks the environment,
 * then starts the device outbox relay.
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
  const { startOutboxRelay } = await import("./outbox/start.ts");
  await startOutboxRelay();
}
