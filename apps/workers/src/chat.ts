// The chat process: Socket.IO (alerts, live consumption, support chat). Configuration: src/chat/env.ts.
import { chatDb } from "@ems/db/chat";
import { chatConfigFromEnv, chatEnv } from "./chat/env.ts";
import { startChatServer } from "./chat/server.ts";

const server = await startChatServer(chatConfigFromEnv(chatEnv));

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`chat: ${signal} received, shutting down`);
  await server.close();
  await chatDb.$disconnect();
  process.exit(0);
}
process.once("SIGTERM", () => void stop("SIGTERM"));
process.once("SIGINT", () => void stop("SIGINT"));
