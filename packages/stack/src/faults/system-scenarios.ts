import { randomBytes } from "node:crypto";
import pg from "pg";
import { hourStart, type Measurement } from "@ems/contracts/measurement";
import type { AlertCreated } from "@ems/contracts/notifications";
import type { InboxEntry } from "@ems/contracts/socket";
import { databaseNameOf, withDatabaseName } from "@ems/db/databases";
import type { TestDatabaseUrls } from "@ems/db/testing";
import { consumption, login, mutation, type SignedIn } from "../swarm/ems-client.ts";
import { streamStart, type FaultContext, type ScenarioResult } from "./scenarios.ts";
import { publishReadings, serialize, services, sleep, storedAgainstTruth, waitUntil } from "./system.ts";
import { truthOf, type StreamDevice } from "./truth.ts";
import {
  RealtimeClient,
  restartedProcesses,
  restGet,
  signInWithSession,
  startWholeSystem,
  trpcData,
  trpcQuery,
  type HttpAnswer,
  type WholeSystem,
} from "./whole-system.ts";

/**
 * Faults with the whole system running (whole-system.ts) and clients connected through its real
 * interfaces: an admin and a client signed in over REST (Bearer) and next-auth (session cookie), each
 * with a Socket.IO connection to chat. `--only system` runs just these.
 */
export const SYSTEM_SCENARIOS = {
  postgres: "system: PostgreSQL restart with clients connected",
  rabbitmq: "system: RabbitMQ restart, then an alert reaches the client's socket",
  monitoringDb: "system: monitoring database down",
} as const;

const HOUR_MS = 3_600_000;
const TEN_MINUTES_MS = 600_000;
/** How long PostgreSQL stays stopped, and the longest anything may take to come back. */
const POSTGRES_DOWN_MS = 5_000;
const RECOVERY_TIMEOUT_MS = 90_000;
/** A client message every this often, each re-sent until the chat stores it. */
const SEND_INTERVAL_MS = 500;

/** The people and devices of the run, made through the web app as an administrator would. */
interface Cast {
  admin: SignedIn;
  /** The admin's next-auth session cookie, as their browser holds it. */
  adminSession: Record<string, string>;
  client: SignedIn;
  clientPassword: string;
  /** Limit 1 kWh: two readings of 0.6 kWh in an hour raise an alert. */
  alertDevice: StreamDevice;
  /** Limit 100 kWh: never alerts. */
  outageDevice: StreamDevice;
  adminSocket: RealtimeClient;
  clientSocket: RealtimeClient;
}

export function runSystemScenarios(ctx: FaultContext, urls: TestDatabaseUrls, selected: (name: string) => boolean): AsyncGenerator<ScenarioResult> {
  return (async function* () {
    if (!Object.values(SYSTEM_SCENARIOS).some(selected)) return;
    ctx.log.info("starting the whole system (web, chat, balancer, 2 monitoring replicas)");
    const system = await startWholeSystem(ctx, urls);
    let cast: Cast | undefined;
    try {
      cast = await castOf(system, urls.monitoring);
      if (selected(SYSTEM_SCENARIOS.postgres)) {
        ctx.log.info(`scenario: ${SYSTEM_SCENARIOS.postgres}`);
        yield await postgresRestart(system, cast);
      }
      if (selected(SYSTEM_SCENARIOS.rabbitmq)) {
        ctx.log.info(`scenario: ${SYSTEM_SCENARIOS.rabbitmq}`);
        yield await rabbitMqRestart(system, cast, urls.monitoring);
      }
      if (selected(SYSTEM_SCENARIOS.monitoringDb)) {
        ctx.log.info(`scenario: ${SYSTEM_SCENARIOS.monitoringDb}`);
        yield await monitoringDatabaseDown(system, cast, urls.monitoring);
      }
    } finally {
      cast?.adminSocket.close();
      cast?.clientSocket.close();
      await system.stop();
    }
  })();
}

async function castOf(system: WholeSystem, monitoringUrl: string): Promise<Cast> {
  // The web app ensures ADMIN_USERNAME in the background at start: sign-in works once it is in place.
  let admin: SignedIn | undefined;
  await waitUntil(async () => {
    admin = await login(system.webUrl, system.admin.username, system.admin.password);
    return true;
  }, 30_000);
  if (!admin) throw new Error("the admin could not sign in within 30 s");
  const adminToken = admin.token;
  const adminSession = await signInWithSession(system.webUrl, system.admin.username, system.admin.password);
  const username = `faults-client-${randomBytes(3).toString("hex")}`;
  const password = randomBytes(12).toString("base64url");
  const user = await mutation<{ id: string }>(system.webUrl, adminToken, "users.create", { username, password, name: "Faults client", role: "client" });
  const device = async (name: string, limitMilli: number): Promise<StreamDevice> => {
    const created = await mutation<{ id: string }>(system.webUrl, adminToken, "devices.create", {
      name,
      maxHourlyConsumption: (limitMilli / 1000).toFixed(3),
      ownerId: user.id,
    });
    return { id: created.id, ownerId: user.id, limitMilli };
  };
  const alertDevice = await device("Faults alert meter", 1_000);
  const outageDevice = await device("Faults outage meter", 100_000);
  const client = await login(system.webUrl, username, password);
  // Readings of a device monitoring does not know yet are dead-lettered: wait for the web's outbox relay.
  if (!(await waitUntil(() => knownToMonitoring(monitoringUrl, [alertDevice.id, outageDevice.id]), 30_000))) {
    throw new Error("monitoring did not learn the new devices within 30 s (web outbox relay → monitoring.sync.queue)");
  }
  const adminSocket = RealtimeClient.forUser(system, admin);
  const clientSocket = RealtimeClient.forUser(system, client);
  if (!(await adminSocket.connected(15_000)) || !(await clientSocket.connected(15_000))) throw new Error("the sockets did not connect within 15 s");
  return { admin, adminSession, client, clientPassword: password, alertDevice, outageDevice, adminSocket, clientSocket };
}

async function knownToMonitoring(monitoringUrl: string, deviceIds: string[]): Promise<boolean> {
  const client = new pg.Client({ connectionString: monitoringUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ known: number }>("SELECT count(*)::int AS known FROM devices WHERE device_id = ANY($1::uuid[])", [deviceIds]);
    return rows[0]?.known === deviceIds.length;
  } finally {
    await client.end();
  }
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** The processes the runner had to start again since `before`, as a note; empty when none. */
function processNote(system: WholeSystem, before: ReturnType<WholeSystem["snapshot"]>): { ok: boolean; note: string } {
  const restarted = restartedProcesses(before, system.snapshot());
  return restarted.length
    ? { ok: false, note: `exited and restarted by the runner: ${restarted.join(", ")}` }
    : { ok: true, note: `no process exited: all ${before.size} PIDs unchanged, the runner restarted none` };
}

// ---- chat messages -----------------------------------------------------------------------------

interface ChatSend {
  body: string;
  attempts: number;
  storedAt?: number;
  lastRefusal?: string;
}

/**
 * Sends a client message to the administrators (Admin mode) until the chat acknowledges it as stored,
 * as a patient client would: a refusal ("temporarily unavailable") or no answer is tried again.
 */
async function sendUntilStored(socket: RealtimeClient, send: ChatSend, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    send.attempts++;
    const response = await socket.request("chat:send", { mode: "admin", body: send.body });
    if ("data" in response) {
      send.storedAt = Date.now();
      return;
    }
    send.lastRefusal = `${response.error.code}: ${response.error.message}`;
    await sleep(response.error.code === "disconnected" ? 250 : 500);
  }
}

/** The client's Admin-mode messages as the administrators' sockets receive them (chat:inbox rows), by body. */
function watchAdminInbox(admin: RealtimeClient, clientId: string): { received: Map<string, number>; stop(): void } {
  const received = new Map<string, number>();
  const onEntry = (entry: InboxEntry) => {
    if (entry.clientId !== clientId || entry.lastMessage.source !== "client") return;
    received.set(entry.lastMessage.body, (received.get(entry.lastMessage.body) ?? 0) + 1);
  };
  admin.socket.on("chat:inbox", onEntry);
  return { received, stop: () => void admin.socket.off("chat:inbox", onEntry) };
}

/** How often each body is in the client's conversation as an administrator opens it. */
async function storedBodies(cast: Cast): Promise<Map<string, number>> {
  const response = await cast.adminSocket.request<{ messages: { body: string; source: string }[] }>("chat:open", { clientId: cast.client.user.id, limit: 200 });
  if (!("data" in response)) throw new Error(`chat:open refused: ${response.error.message}`);
  const counts = new Map<string, number>();
  for (const message of response.data.messages) if (message.source === "client") counts.set(message.body, (counts.get(message.body) ?? 0) + 1);
  return counts;
}

// ---- 1. PostgreSQL restart ---------------------------------------------------------------------

/**
 * The machine's PostgreSQL is stopped for 5 s and started again while the client sends a message to
 * the administrators every 500 ms. Checked: every message (sent before, during and after) is stored
 * exactly once and reached the admin's socket; both sockets are connected at the end; a socket opened
 * while PostgreSQL was down gets in by itself once it is back; the admin's session works again; no
 * process exited.
 */
async function postgresRestart(system: WholeSystem, cast: Cast): Promise<ScenarioResult> {
  const notes: string[] = [];
  const figures: Record<string, number> = {};
  const tag = randomBytes(3).toString("hex");
  const inbox = watchAdminInbox(cast.adminSocket, cast.client.user.id);
  const processesBefore = system.snapshot();
  const disconnectsBefore = { admin: cast.adminSocket.disconnects, client: cast.clientSocket.disconnects };

  type Phase = "before" | "during" | "after";
  const sends: (ChatSend & { phase: Phase })[] = [];
  let phase: Phase = "before";
  let sending = true;
  const deadline = Date.now() + RECOVERY_TIMEOUT_MS;
  const pending: Promise<void>[] = [];
  const sender = (async () => {
    for (let i = 0; sending; i++) {
      const send = { body: `pg-restart ${tag} #${i}`, attempts: 0, phase };
      sends.push(send);
      pending.push(sendUntilStored(cast.clientSocket, send, deadline));
      await sleep(SEND_INTERVAL_MS);
    }
  })();

  await sleep(2_000);
  phase = "during";
  const stoppedAt = Date.now();
  let restartedAt: number;
  // A socket opened while PostgreSQL is down (no token can be issued, no session floor read): refused,
  // it must get in by itself once PostgreSQL is back.
  let lateSocket: RealtimeClient | undefined;
  try {
    await services.stopPostgres();
    lateSocket = RealtimeClient.forUser(system, cast.client);
    await sleep(POSTGRES_DOWN_MS);
  } finally {
    await services.startPostgres();
    restartedAt = Date.now();
    phase = "after";
  }
  figures.outageSeconds = seconds(restartedAt - stoppedAt);
  figures.refusedHandshakesDuringOutage = lateSocket?.refusals ?? 0;
  // From the restart on: when that socket is admitted, and when the admin's session reads the users again.
  const handshakeBack = (async () => {
    const connected = (await lateSocket?.connected(RECOVERY_TIMEOUT_MS)) ?? false;
    lateSocket?.close();
    return connected ? Date.now() : undefined;
  })();
  const webBack = waitUntil(async () => (await trpcQuery(system.webUrl, cast.adminSession, "users.list")).status === 200, RECOVERY_TIMEOUT_MS).then((ok) =>
    ok ? Date.now() : undefined,
  );
  await sleep(3_000);
  sending = false;
  await sender;
  await Promise.all(pending);
  const [handshakeAt, webAt] = await Promise.all([handshakeBack, webBack]);

  const stored = sends.filter((s) => s.storedAt !== undefined);
  await waitUntil(() => Promise.resolve(stored.every((s) => inbox.received.has(s.body))), 10_000);
  // Settle, then stop watching before chat:open (which pushes its own inbox row).
  await sleep(1_000);
  inbox.stop();
  const history = await storedBodies(cast);

  let passed = true;
  const fail = (note: string) => {
    notes.push(note);
    passed = false;
  };
  const byPhase = (p: Phase) => sends.filter((s) => s.phase === p);
  for (const p of ["before", "during", "after"] as const) figures[`sent${p[0]!.toUpperCase()}${p.slice(1)}`] = byPhase(p).length;
  figures.resends = sends.reduce((sum, s) => sum + s.attempts - 1, 0);
  if (byPhase("during").length === 0) fail("no message was sent during the outage");
  const unstored = sends.filter((s) => s.storedAt === undefined);
  if (unstored.length) fail(`${unstored.length} never stored (last refusal: ${unstored[0]?.lastRefusal ?? "none"})`);
  const notInHistory = sends.filter((s) => !history.has(s.body));
  const notDelivered = sends.filter((s) => !inbox.received.has(s.body));
  const storedTwice = sends.reduce((sum, s) => sum + Math.max(0, (history.get(s.body) ?? 0) - 1), 0);
  const deliveredTwice = sends.reduce((sum, s) => sum + Math.max(0, (inbox.received.get(s.body) ?? 0) - 1), 0);
  if (notInHistory.length || storedTwice) fail(`history: ${notInHistory.length} missing, ${storedTwice} stored twice`);
  if (notDelivered.length || deliveredTwice) fail(`admin's socket: ${notDelivered.length} not received, ${deliveredTwice} received twice`);
  else notes.push(`all ${sends.length} messages (${byPhase("before").length} before, ${byPhase("during").length} during, ${byPhase("after").length} after) stored once and received live by the admin's socket; ${figures.resends} re-sends after "temporarily unavailable"`);
  // When the last message first tried during the outage was stored (NaN if one never was).
  const lastDuring = byPhase("during").reduce((latest, s) => Math.max(latest, s.storedAt ?? Number.NaN), restartedAt);
  if (!Number.isNaN(lastDuring)) figures.duringStoredSecondsAfterRestart = seconds(lastDuring - restartedAt);

  figures.adminSocketDisconnects = cast.adminSocket.disconnects - disconnectsBefore.admin;
  figures.clientSocketDisconnects = cast.clientSocket.disconnects - disconnectsBefore.client;
  if (!cast.adminSocket.socket.connected || !cast.clientSocket.socket.connected) fail("a socket is not connected at the end");
  else notes.push(`sockets connected at the end (disconnects: admin ${figures.adminSocketDisconnects}, client ${figures.clientSocketDisconnects})`);
  if (handshakeAt === undefined) fail("the socket opened during the outage never got in");
  else {
    figures.lateSocketConnectedSecondsAfterRestart = seconds(handshakeAt - restartedAt);
    notes.push(`a socket opened during the outage was refused ${figures.refusedHandshakesDuringOutage}× and got in by itself ${figures.lateSocketConnectedSecondsAfterRestart} s after the restart`);
  }
  if (webAt === undefined) fail("the admin's session did not list the users again after the restart");
  else figures.webSecondsAfterRestart = seconds(webAt - restartedAt);

  const processes = processNote(system, processesBefore);
  if (!processes.ok) passed = false;
  notes.push(processes.note);
  const recoveredAt = Math.max(lastDuring, handshakeAt ?? Number.NaN, webAt ?? Number.NaN);
  return {
    name: SYSTEM_SCENARIOS.postgres,
    passed,
    published: sends.length,
    counted: sends.filter((s) => history.has(s.body)).length,
    lost: new Set([...notInHistory, ...notDelivered]).size,
    duplicated: storedTwice + deliveredTwice,
    recoverySeconds: Number.isNaN(recoveredAt) ? -1 : seconds(recoveredAt - restartedAt),
    notes,
    figures,
  };
}

// ---- 2. RabbitMQ restart -----------------------------------------------------------------------

/** Two readings of 0.6 kWh in the clock hour starting at `hour`: over the alert device's 1 kWh. */
function overLimit(device: StreamDevice, hour: number): Measurement[] {
  return [1, 2].map((k) => ({ deviceId: device.id, timestamp: hour + k * TEN_MINUTES_MS, value: 0.6 }));
}

/**
 * RabbitMQ's application is stopped for 3 s and started again. Checked: an over-consumption alert
 * raised after the restart (readings published then) reaches the client's socket exactly once, as one
 * raised before it did; stored totals and alerts are exact; a device created after the restart reaches
 * monitoring through the web's outbox relay; no process exited.
 */
async function rabbitMqRestart(system: WholeSystem, cast: Cast, monitoringUrl: string): Promise<ScenarioResult> {
  const notes: string[] = [];
  const figures: Record<string, number> = {};
  const device = cast.alertDevice;
  const hourBefore = hourStart(Date.now()) - 3 * HOUR_MS;
  const hourAfter = hourBefore + HOUR_MS;
  const pushed: (AlertCreated & { at: number })[] = [];
  const onAlert = (alert: AlertCreated) => {
    if (alert.deviceId === device.id) pushed.push({ ...alert, at: Date.now() });
  };
  cast.clientSocket.socket.on("alert:created", onAlert);
  const pushedFor = (hour: number) => pushed.filter((alert) => Date.parse(alert.hourStart) === hour);
  let passed = true;
  const fail = (note: string) => {
    notes.push(note);
    passed = false;
  };
  try {
    const publishedAt = Date.now();
    await publishReadings(system.meter, system.names.sensorData, serialize(overLimit(device, hourBefore)), 100);
    if (await waitUntil(() => Promise.resolve(pushedFor(hourBefore).length > 0), 30_000)) figures.alertBeforeSeconds = seconds((pushedFor(hourBefore)[0]?.at ?? 0) - publishedAt);
    else fail("the alert raised before the restart did not reach the client's socket");

    const processesBefore = system.snapshot();
    const disconnectsBefore = cast.clientSocket.disconnects;
    const stoppedAt = Date.now();
    try {
      await services.stopRabbitMq();
      await sleep(3_000);
    } finally {
      await services.startRabbitMq();
    }
    const restartedAt = Date.now();
    figures.outageSeconds = seconds(restartedAt - stoppedAt);

    // The web's outbox relay after the restart: a new device must reach monitoring.
    const added = await mutation<{ id: string }>(system.webUrl, cast.admin.token, "devices.create", { name: "Faults meter added after the restart", maxHourlyConsumption: "5", ownerId: cast.client.user.id });
    const relayed = waitUntil(() => knownToMonitoring(monitoringUrl, [added.id]), RECOVERY_TIMEOUT_MS).then((ok) => (ok ? Date.now() : undefined));

    await publishReadings(system.meter, system.names.sensorData, serialize(overLimit(device, hourAfter)), 100);
    const alerted = await waitUntil(() => Promise.resolve(pushedFor(hourAfter).length > 0), RECOVERY_TIMEOUT_MS);
    const alertAt = pushedFor(hourAfter)[0]?.at;
    if (!alerted || alertAt === undefined) fail("the alert raised after the restart did not reach the client's socket");
    else figures.alertAfterRestartSeconds = seconds(alertAt - restartedAt);
    const relayedAt = await relayed;
    if (relayedAt === undefined) fail("a device created after the restart did not reach monitoring");
    else figures.deviceSyncSecondsAfterRestart = seconds(relayedAt - restartedAt);

    // Settle: a second push of either alert would arrive by now.
    await sleep(3_000);
    figures.alertsPushedBefore = pushedFor(hourBefore).length;
    figures.alertsPushedAfter = pushedFor(hourAfter).length;
    if (figures.alertsPushedBefore !== 1 || figures.alertsPushedAfter !== 1) fail(`alerts pushed: ${figures.alertsPushedBefore} before, ${figures.alertsPushedAfter} after the restart (1 each expected)`);
    else notes.push("each alert reached the owner's socket once");
    figures.clientSocketDisconnects = cast.clientSocket.disconnects - disconnectsBefore;

    const readings = [...overLimit(device, hourBefore), ...overLimit(device, hourAfter)];
    const { comparison } = await storedAgainstTruth(monitoringUrl, [device], readings)();
    if (!comparison.matches) fail(`stored: wrong totals ${comparison.wrongTotals}, missing alerts ${comparison.missingAlerts}, extra alerts ${comparison.extraAlerts}`);
    else notes.push("hourly totals exact; one stored alert per hour over the limit");
    const processes = processNote(system, processesBefore);
    if (!processes.ok) passed = false;
    notes.push(processes.note);
    return {
      name: SYSTEM_SCENARIOS.rabbitmq,
      passed,
      published: readings.length,
      counted: comparison.counted,
      lost: comparison.lost,
      duplicated: comparison.duplicated + Math.max(0, figures.alertsPushedAfter - 1) + Math.max(0, figures.alertsPushedBefore - 1),
      recoverySeconds: figures.alertAfterRestartSeconds ?? -1,
      notes,
      figures,
    };
  } finally {
    cast.clientSocket.socket.off("alert:created", onAlert);
  }
}

// ---- 3. The monitoring database down -----------------------------------------------------------

/**
 * Takes the monitoring test database away without stopping PostgreSQL (which other databases share):
 * no new connections, and every open one terminated. Returns how many were terminated.
 */
async function setMonitoringDatabase(monitoringUrl: string, state: "down" | "up"): Promise<number> {
  const name = databaseNameOf(monitoringUrl);
  const admin = new pg.Client({ connectionString: withDatabaseName(monitoringUrl, "postgres") });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(name)} ALLOW_CONNECTIONS ${state === "up"}`);
    if (state === "up") return 0;
    const { rowCount } = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]);
    return rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

/** Six readings an hour in `hours` of the day starting at `dayStart`, in whole milli-kWh. */
function dayReadings(device: StreamDevice, dayStart: number, hours: number[]): Measurement[] {
  return hours.flatMap((hour) =>
    Array.from({ length: 6 }, (_, k) => ({ deviceId: device.id, timestamp: dayStart + hour * HOUR_MS + k * TEN_MINUTES_MS, value: (50 + ((hour * 6 + k) * 37) % 200) / 1000 })),
  );
}

const describe = (answer: HttpAnswer) => `HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`;

/** A tRPC or REST answer that says "unavailable, try again": 503 with a message. */
function unavailableMessage(answer: HttpAnswer): string | undefined {
  if (answer.status !== 503) return undefined;
  const body = answer.body as { error?: { message?: string; json?: { message?: string } } };
  return body.error?.message ?? body.error?.json?.message;
}

/**
 * The monitoring database refuses connections (the others, on the same PostgreSQL, keep working) while
 * readings keep arriving. Checked while it is away: REST sign-in of both users, the admin's next-auth
 * sign-in and the admin pages' data (users and devices over tRPC with the session cookie, a client's
 * devices over REST), a chat message from the client to the admin's socket; the consumption (REST and
 * the dashboard's tRPC query) and the alert history answer 503 with a message. After it is back: the
 * day's totals over REST are exact, readings published during the outage included; no process exited.
 */
async function monitoringDatabaseDown(system: WholeSystem, cast: Cast, monitoringUrl: string): Promise<ScenarioResult> {
  const notes: string[] = [];
  const figures: Record<string, number> = {};
  let passed = true;
  const fail = (note: string) => {
    notes.push(note);
    passed = false;
  };
  const device = cast.outageDevice;
  const dayStart = streamStart();
  const date = new Date(dayStart).toISOString().slice(0, 10);
  const before = dayReadings(device, dayStart, [0, 1, 2]);
  const during = dayReadings(device, dayStart, [3, 4, 5]);
  /** The client's day over REST equals the truth of `readings`, hour by hour, to the milli-kWh. */
  const dayIs = (readings: Measurement[]) => async () => {
    const truth = truthOf(readings);
    const hours = await consumption(system.webUrl, cast.client.token, device.id, date);
    return [...hours].every(([hour, kwh]) => Math.round(kwh * 1000) === (truth.get(`${device.id}@${hour}`)?.totalMilli ?? 0));
  };
  await publishReadings(system.meter, system.names.sensorData, serialize(before), 200);
  if (!(await waitUntil(dayIs(before), 30_000))) fail("the readings before the outage were not in the day's totals within 30 s");

  const processesBefore = system.snapshot();
  const checks: string[] = [];
  const check = async (what: string, run: () => Promise<string | undefined>) => {
    try {
      const problem = await run();
      if (problem) fail(`${what}: ${problem}`);
      else checks.push(what);
    } catch (error) {
      fail(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  let restoredAt: number;
  const cutAt = Date.now();
  try {
    figures.connectionsTerminated = await setMonitoringDatabase(monitoringUrl, "down");
    await publishReadings(system.meter, system.names.sensorData, serialize(during), 200);

    await check("REST sign-in", async () => {
      await login(system.webUrl, system.admin.username, system.admin.password);
      await login(system.webUrl, cast.client.user.username, cast.clientPassword);
      return undefined;
    });
    await check("next-auth sign-in and the admin pages' data over tRPC", async () => {
      const session = await signInWithSession(system.webUrl, system.admin.username, system.admin.password);
      const users = trpcData<{ id: string }[]>(await trpcQuery(system.webUrl, session, "users.list"));
      const devices = trpcData<{ id: string }[]>(await trpcQuery(system.webUrl, session, "devices.list"));
      if (!users.some((user) => user.id === cast.client.user.id)) return "users.list lacks the client";
      if (!devices.some((listed) => listed.id === device.id)) return "devices.list lacks the device";
      return undefined;
    });
    await check("the client's devices over REST", async () => {
      const answer = await restGet(system.webUrl, cast.client.token, `/api/devices/user/${cast.client.user.id}`);
      return answer.status === 200 && JSON.stringify(answer.body).includes(device.id) ? undefined : describe(answer);
    });
    await check("a chat message from the client reaches the admin's socket", async () => {
      const inbox = watchAdminInbox(cast.adminSocket, cast.client.user.id);
      try {
        const send: ChatSend = { body: `monitoring-down ${randomBytes(3).toString("hex")}`, attempts: 0 };
        await sendUntilStored(cast.clientSocket, send, Date.now() + 10_000);
        if (send.storedAt === undefined) return `not stored: ${send.lastRefusal ?? "no answer"}`;
        return (await waitUntil(() => Promise.resolve(inbox.received.has(send.body)), 10_000)) ? undefined : "stored, not received";
      } finally {
        inbox.stop();
      }
    });
    const rest = await restGet(system.webUrl, cast.client.token, `/api/monitoring/consumption/${device.id}?date=${date}`);
    const chart = await trpcQuery(system.webUrl, { authorization: `Bearer ${cast.client.token}` }, "monitoring.consumption", { deviceId: device.id, date, tz: "UTC" });
    const alerts = await trpcQuery(system.webUrl, { authorization: `Bearer ${cast.client.token}` }, "monitoring.alerts", { unacknowledgedOnly: false, limit: 10 });
    const messages = new Set<string>();
    for (const [what, answer] of [
      ["REST consumption", rest],
      ["the dashboard's consumption query (tRPC)", chart],
      ["the alert history (tRPC)", alerts],
    ] as const) {
      const message = unavailableMessage(answer);
      if (message) messages.add(message);
      else fail(`${what}: ${describe(answer)} (503 with a message expected)`);
    }
    if (messages.size) checks.push(`consumption (REST, the dashboard's tRPC query) and alert history answer 503 ${[...messages].map((m) => `"${m}"`).join(", ")}`);
    await sleep(Math.max(0, cutAt + 5_000 - Date.now()));
  } finally {
    await setMonitoringDatabase(monitoringUrl, "up");
    restoredAt = Date.now();
  }
  figures.outageSeconds = seconds(restoredAt - cutAt);
  notes.push(`while it was away: ${checks.join("; ")}`);

  const readings = [...before, ...during];
  const exact = await waitUntil(dayIs(readings), RECOVERY_TIMEOUT_MS);
  const recoverySeconds = seconds(Date.now() - restoredAt);
  if (!exact) fail("the day's totals over REST were not exact again");
  const { comparison } = await storedAgainstTruth(monitoringUrl, [device], readings)();
  if (!comparison.matches) fail(`stored: lost ${comparison.lost}, duplicated ${comparison.duplicated}, wrong totals ${comparison.wrongTotals}`);
  else notes.push(`after it was back: the day's totals exact over REST (${during.length} readings published during the outage included)`);
  const processes = processNote(system, processesBefore);
  if (!processes.ok) passed = false;
  notes.push(processes.note);
  return {
    name: SYSTEM_SCENARIOS.monitoringDb,
    passed,
    published: readings.length,
    counted: comparison.counted,
    lost: comparison.lost,
    duplicated: comparison.duplicated,
    recoverySeconds,
    notes,
    figures,
  };
}
