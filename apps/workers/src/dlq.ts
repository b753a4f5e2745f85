/** Dead-letter tool: `tsx src/dlq.ts list|show|replay` (`npm run dlq -- --help`; README, "Dead letters"). */
import { queueNames } from "@ems/contracts/queues";
import { consoleLogger } from "@ems/messaging";
import { USAGE, parseDlqArgs, type DlqCommand } from "./dlq/cli.ts";
import { dlqEnv as env } from "./dlq/env.ts";
import { runDlqCommand } from "./dlq/run.ts";

let command: DlqCommand;
try {
  command = parseDlqArgs(process.argv.slice(2));
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(2);
}
if (command.command === "help") {
  console.log(USAGE);
  process.exit(0);
}

try {
  process.exitCode = await runDlqCommand(command, {
    rabbitmqUrl: env.RABBITMQ_URL,
    names: queueNames(env.QUEUE_PREFIX),
    connectionName: `${env.QUEUE_PREFIX}dlq`,
    log: consoleLogger("dlq", env.LOG_LEVEL),
    print: (line) => console.log(line),
  });
} catch (error) {
  console.error(`dlq: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
