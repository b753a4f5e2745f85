import type { QueueNames } from "@ems/contracts/queues";
import { Broker, type Logger } from "@ems/messaging";
import type { DlqCommand } from "./cli.ts";
import { findDeadLetter, listDeadLetters, replayDeadLetters } from "./commands.ts";
import { DeadLetterQueue } from "@ems/messaging/dead-letters";
import { formatList, formatReplay, formatShow } from "./format.ts";

export interface DlqContext {
  rabbitmqUrl: string;
  names: QueueNames;
  /** Shown as the connection names in RabbitMQ's management UI. */
  connectionName: string;
  log: Logger;
  /** One line of the report (stdout in the tool). */
  print: (line: string) => void;
}

/** How long replay waits for its publishing connection. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Runs one command against the dead-letter queue; resolves to the exit status (see USAGE). */
export async function runDlqCommand(command: Exclude<DlqCommand, { command: "help" }>, context: DlqContext): Promise<number> {
  const { names, print } = context;
  const dlq = await DeadLetterQueue.open(context.rabbitmqUrl, names.deadLetter, context.connectionName);
  try {
    switch (command.command) {
      case "list": {
        const result = await listDeadLetters(dlq, names, command);
        formatList(dlq.queue, result, names, command.reason).forEach(print);
        return 0;
      }
      case "show": {
        const letter = await findDeadLetter(dlq, command.ref);
        if (!letter) {
          const what = "position" in command.ref ? `position ${command.ref.position}` : `id ${command.ref.id}`;
          print(`no dead letter at ${what} (the queue holds ${dlq.total})`);
          return 1;
        }
        formatShow(dlq.queue, dlq.total, letter, names).forEach(print);
        return 0;
      }
      case "replay": {
        const broker = new Broker({ url: context.rabbitmqUrl, name: `${context.connectionName}-replay`, log: context.log });
        // start() retries for ever; a command gives up after CONNECT_TIMEOUT_MS instead.
        broker.start().catch(() => undefined);
        try {
          await broker.ready(CONNECT_TIMEOUT_MS);
          const result = await replayDeadLetters(dlq, names, broker, command);
          formatReplay(dlq.queue, names.sensorData, result, command.force).forEach(print);
          return result.failure || result.refused.size > 0 ? 1 : 0;
        } finally {
          await broker.close();
        }
      }
    }
  } finally {
    await dlq.close();
  }
}
