/**
 * Ports of the whole-system test run (ems-flows.spec.ts). The smoke test's server uses 3100 and
 * `run-system.ts` 3217/4217, so all three can run side by side.
 */
export const SYSTEM_WEB_PORT = 3218;
export const SYSTEM_CHAT_PORT = 4218;
/** The chat server as the browser reaches it; built into the app (NEXT_PUBLIC_CHAT_URL). */
export const SYSTEM_CHAT_URL = `http://127.0.0.1:${SYSTEM_CHAT_PORT}`;
