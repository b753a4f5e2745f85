import { randomBytes } from "node:crypto";
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionsEndedSchema, type SessionsEnded } from "@ems/contracts/notifications";
import { NOTIFICATION_ROUTING_KEYS, queueNames } from "@ems/contracts/queues";

// This file runs the web process's broker connection for real, on queue names of its own: the prefix
// must be in the environment before ~/env.ts is first imported, hence the dynamic imports below.
const prefix = `t.sessions-ended.${randomBytes(4).toString("hex")}.`;
// eslint-disable-next-line no-restricted-properties -- test wiring, before the env module loads
process.env.QUEUE_PREFIX = prefix;
const names = queueNames(prefix);
const RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672";
const watchQueue = `${prefix}watch`;

let connection: Awaited<ReturnType<typeof amqp.connect>>;
let channel: Awaited<ReturnType<typeof connection.createChannel>>;

beforeAll(async () => {
  connection = await amqp.connect(RABBITMQ_URL);
  channel = await connection.createChannel();
  await channel.assertExchange(names.notificationsExchange, "topic", { durable: true });
  await channel.assertQueue(watchQueue, { durable: false });
  await channel.bindQueue(watchQueue, names.notificationsExchange, NOTIFICATION_ROUTING_KEYS.sessionsEnded);
  const { startOutboxRelay } = await import("./start.ts");
  await startOutboxRelay();
});

afterAll(async () => {
  for (const queue of [watchQueue, names.monitoringSync]) await channel.deleteQueue(queue);
  await channel.deleteExchange(names.notificationsExchange);
  await connection.close();
});

async function nextAnnouncement(userId: string): Promise<SessionsEnded> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const message = await channel.get(watchQueue, { noAck: true });
    if (message) {
      const event = sessionsEndedSchema.parse(JSON.parse(message.content.toString()));
      if (event.userId === userId) return event;
    } else {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`no sessions.ended for ${userId}`);
}

describe("the end of a user's sessions is announced to the chat processes", () => {
  it("on a role change and on deletion", async () => {
    const { createCast } = await import("../../../test/fixtures.ts");
    const { deleteUser, updateUser } = await import("../domain/users.ts");
    const cast = await createCast();

    await updateUser(cast.admin, { id: cast.clientA.id, role: "admin" });
    expect(await nextAnnouncement(cast.clientA.id)).toMatchObject({ reason: "role-changed" });

    await deleteUser(cast.admin, cast.clientB.id);
    expect(await nextAnnouncement(cast.clientB.id)).toMatchObject({ reason: "deleted" });
  });

  it("on sign-out", async () => {
    const { createTestUser } = await import("../../../test/fixtures.ts");
    const { endSessions } = await import("../domain/auth.ts");
    const user = await createTestUser("client");
    await endSessions(user.id, 1); // a new account's first session version
    expect(await nextAnnouncement(user.id)).toMatchObject({ reason: "signed-out" });
  });
});
