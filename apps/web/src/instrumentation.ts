/**
 * Next.js start-up hook: starts the device outbox relay in the Node.js server process (not in the
 * edge runtime, and not during `next build`).
 */
export async function register(): Promise<void> {
  // eslint-disable-next-line no-restricted-properties -- set by Next.js itself, inlined at build time
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startOutboxRelay } = await import("./server/outbox/start.ts");
  await startOutboxRelay();
}
