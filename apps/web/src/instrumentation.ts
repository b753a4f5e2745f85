/**
 * Next.js start-up hook. The work happens only in the Node.js server process (not the edge
 * runtime), in a module loaded only there.
 */
export async function register(): Promise<void> {
  // eslint-disable-next-line no-restricted-properties -- set by Next.js itself, inlined at build time
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startServer } = await import("./server/startup.ts");
  await startServer();
}
