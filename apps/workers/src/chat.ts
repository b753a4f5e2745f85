// The chat process: Socket.IO (alerts, live consumption, support chat). Configuration: src/chat/env.ts.
import { consoleLogger } from "@ems/messaging";
import { chatDb } from "@ems/db/chat";
import { exitOnStartupFailure, stopOnSignals } from "@ems/runtime";
import { chatConfigFromEnv, chatEnv } from "./chat/env.ts";
import { startChatServer } from "./chat/server.ts";

const log = consoleLogger("chat", chatEnv.LOG_LEVEL);
const server = await startChatServer(chatConfigFromEnv(chatEnv), log).catch(exitOnStartupFailure(log));
stopOnSignals(log, async () => {
  await server.close();
  await chatDb.$disconnect();
});
