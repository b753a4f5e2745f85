import { randomBytes } from "node:crypto";
import amqp from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionsEndedSchema, type SessionsEnded } from "@ems/contracts/notifications";
import { NOTIFICATION_ROUTING_KEYS, queueNames } from "@ems/contracts/queues";
import { authDb } from "@ems/db/auth";
import { startTcpProxy, type TcpProxy } from "../../../test/tcp-proxy.ts";
import type * as Fixtures from "../../../test/fixtures.ts";
import type * as Auth from "../domain/auth.ts";
import type * as Users from "../domain/users.ts";
import type * as Start from "./start.ts";

// This file runs the web process's own relays (start.ts) for real, on queue names of its own and through
// a TCP proxy in front of RabbitMQ that the tests cut: the prefix and the broker's address must be in
// the environment before ~/env.ts is first imported, hence the dynamic imports below.
const prefix = `t.sessions-ended.${randomBytes(4).toString("hex")}.`;
const names = queueNames(prefix);
const RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672";
const watchQueue = `${prefix}watch`;

let proxy: TcpProxy;
let connection: Awaited<ReturnType<typeof amqp.connect>>;
let channel: Awaited<ReturnType<typeof connection.createChannel>>;
// Types only (erased): the modules themselves are imported once the environment is set.
let modules: { fixtures: typeof Fixtures; users: typeof Users; auth: typeof Auth; start: typeof Start };

beforeAll(async () => {
  proxy = await startTcpProxy(5672);
  /* eslint-disable no-restricted-properties -- test wiring, before the env module loads */
  process.env.QUEUE_PREFIX = prefix;
  process.env.RABBITMQ_URL = `amqp://guest:guest@127.0.0.1:${proxy.port}`;
  process.env.OUTBOX_POLL_INTERVAL_MS = "100";
  /* eslint-enable no-restricted-properties */
  connection = await amqp.connect(RABBITMQ_URL);
  channel = await connection.createChannel();
  await channel.assertExchange(names.notificationsExchange, "topic", { durable: true });
  await channel.assertQueue(watchQueue, { durable: false });
  await channel.bindQueue(watchQueue, names.notificationsExchange, NOTIFICATION_ROUTING_KEYS.sessionsEnded);
  modules = {
    fixtures: await import("../../../test/fixtures.ts"),
    users: await import("../domain/users.ts"),
    auth: await import("../domain/auth.ts"),
    start: await import("./start.ts"),
  };
  await modules.start.startOutboxRelay({ relayDevices: false });
});

afterAll(async () => {
  await modules.start.stopOutboxRelay();
  await proxy.close();
  for (const queue of [watchQueue, names.monitoringSync, names.chatNotifications]) await channel.deleteQueue(queue);
  await channel.deleteExchange(names.notificationsExchange);
  await connection.close();
});

const seen: SessionsEnded[] = [];
/** The next sessions.ended published for `userId` (from the watch queue bound like chat's). */
async function nextAnnouncement(userId: string, timeoutMs = 10_000): Promise<SessionsEnded> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const index = seen.findIndex((event) => event.userId === userId);
    if (index >= 0) return seen.splice(index, 1)[0]!;
    const message = await channel.get(watchQueue, { noAck: true });
    if (message) seen.push(sessionsEndedSchema.parse(JSON.parse(message.content.toString())));
    else if (Date.now() > deadline) throw new Error(`no sessions.ended for ${userId}`);
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The user's rows in the auth database's outbox, oldest first. */
const outboxOf = (userId: string) => authDb.outboxEvent.findMany({ where: { userId }, orderBy: { id: "asc" } });

describe("the end of a user's sessions is written to the auth database's outbox with the change", () => {
  it("on a role change, a password reset, the user's own password change, a sign-out and a deletion — with the new session version", async () => {
    const { createCast, createTestUser, callerFor } = modules.fixtures;
    const cast = await createCast();

    await modules.users.updateUser(cast.admin, { id: cast.clientA.id, role: "admin" });
    await modules.users.updateUser(cast.admin, { id: cast.clientA.id, password: "a-new-password-1" });
    await callerFor(cast.clientA).auth.changePassword({ currentPassword: "a-new-password-1", newPassword: "a-new-password-2" });
    await modules.auth.endSessions(cast.clientA.id, 4);
    await modules.users.deleteUser(cast.admin, cast.clientA.id);
    const rows = await outboxOf(cast.clientA.id);
    expect(rows.map((row) => [row.eventType, row.payload])).toEqual([
      ["sessions.ended", expect.objectContaining({ reason: "role-changed", sessionVersion: 2 })],
      ["sessions.ended", expect.objectContaining({ reason: "password-changed", sessionVersion: 3 })],
      ["sessions.ended", expect.objectContaining({ reason: "password-changed", sessionVersion: 4 })],
      ["sessions.ended", expect.objectContaining({ reason: "signed-out", sessionVersion: 5 })],
      ["sessions.ended", { userId: cast.clientA.id, reason: "deleted", occurredAt: expect.any(String) as string }],
    ]);
    for (const row of rows) expect(sessionsEndedSchema.safeParse(row.payload).success).toBe(true);

    // What changes nothing announces nothing: a replayed sign-out of an old cookie, a profile edit, a rerun deletion.
    const user = await createTestUser("client");
    await modules.auth.endSessions(user.id, 7);
    await modules.users.updateUser(cast.admin, { id: user.id, name: "Renamed" });
    await modules.users.updateUser(cast.admin, { id: user.id, role: "client" });
    expect(await outboxOf(user.id)).toEqual([]);
    await modules.users.deleteUser(cast.admin, cast.clientA.id).catch(() => undefined);
    expect(await outboxOf(cast.clientA.id)).toHaveLength(5);
  });

  it("the relay publishes them on the notifications exchange, in order, and stamps them published", async () => {
    const { createTestUser } = modules.fixtures;
    const user = await createTestUser("admin");
    const { admin } = await modules.fixtures.createCast();
    await modules.users.updateUser(admin, { id: user.id, role: "client" });
    await modules.auth.endSessions(user.id, 2);
    expect(await nextAnnouncement(user.id)).toMatchObject({ reason: "role-changed", sessionVersion: 2 });
    expect(await nextAnnouncement(user.id)).toMatchObject({ reason: "signed-out", sessionVersion: 3 });
    await expect.poll(async () => (await outboxOf(user.id)).every((row) => row.publishedAt !== null)).toBe(true);
  });
});

describe("with RabbitMQ unreachable when the sessions end (it used to be lost then)", () => {
  it("the change succeeds, the announcement waits in the outbox, and it is published once RabbitMQ is back", async () => {
    const { admin } = await modules.fixtures.createCast();
    const demoted = await modules.fixtures.createTestUser("admin");
    await proxy.cut();
    try {
      await expect.poll(() => modules.start.outboxRelayStatus()?.brokerConnected, { timeout: 10_000 }).toBe(false);
      await modules.users.updateUser(admin, { id: demoted.id, role: "client" });
      // The relay keeps trying meanwhile; the row stays pending with its attempts and error.
      await expect.poll(async () => (await outboxOf(demoted.id))[0]?.attempts ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
      expect((await outboxOf(demoted.id))[0]).toMatchObject({ publishedAt: null, lastError: expect.any(String) as string });
      expect(modules.start.outboxRelayStatus()?.sessions.consecutiveFailures).toBeGreaterThan(0);
    } finally {
      await proxy.restore();
    }
    const back = Date.now();
    expect(await nextAnnouncement(demoted.id)).toMatchObject({ reason: "role-changed", sessionVersion: 2 });
    // Reconnection and the relay's pass on it, not its backoff, decide how soon.
    expect(Date.now() - back).toBeLessThan(5_000);
    await expect.poll(async () => (await outboxOf(demoted.id))[0]?.publishedAt).not.toBeNull();
  }, 60_000);
});
