import { randomUUID } from "node:crypto";
import { io } from "socket.io-client";
import { containerOf, docker, replicaCounts, runRepoScript, sleep, tasksOf, waitFor } from "./docker.ts";
import { consumption, type Entry, login, mutation, query, type SignedIn } from "./ems-client.ts";

export interface CheckResult {
  name: string;
  /** null: pending (depends on work not done yet), with the reason in `pending`. */
  passed: boolean | null;
  pending?: string;
  detail: string;
}

interface Context {
  stack: string;
  entry: Entry;
  adminPassword: string;
  log: (message: string) => void;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const READINGS_PER_DAY = 144;
/** kWh per 10 minutes, in whole thousandths so that sums compare exactly; varied so that hours differ. */
const VALUES_MILLI = Array.from({ length: READINGS_PER_DAY }, (_, i) => 50 + ((i * 37) % 200));
/** The alerting device's hourly limit (kWh): six readings of 0.05–0.25 kWh exceed it in some hours only. */
const LOW_LIMIT_MILLI = 900;

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const milli = (kwh: number) => Math.round(kwh * 1000);

/** What monitoring must store for one simulated day of every device: per hour, total (milli-kWh). */
function expectedHours(dayStart: number): Map<number, number> {
  const hours = new Map<number, number>();
  VALUES_MILLI.forEach((value, step) => {
    const hour = dayStart + Math.floor(step / 6) * HOUR;
    hours.set(hour, (hours.get(hour) ?? 0) + value);
  });
  return hours;
}

export async function runChecks(ctx: Context): Promise<{ checks: CheckResult[]; lost: number; duplicated: number }> {
  const checks: CheckResult[] = [];
  let lost = 0;
  let duplicated = 0;
  const check = async (name: string, body: () => Promise<string>): Promise<boolean> => {
    const begun = Date.now();
    ctx.log(`check: ${name}`);
    try {
      const detail = await body();
      checks.push({ name, passed: true, detail: `${detail} (${((Date.now() - begun) / 1000).toFixed(1)} s)` });
      return true;
    } catch (error) {
      checks.push({ name, passed: false, detail: error instanceof Error ? error.message : String(error) });
      ctx.log(`FAILED: ${name}: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  };
  const { stack, entry } = ctx;
  const service = (name: string) => `${stack}_${name}`;

  /** SQL in a database's own container (local socket): read-only look-ups the REST contract does not offer. */
  const sql = async (database: string, query: string) =>
    docker(["exec", await containerOf(service(`${database}-db`)), "psql", "-U", "ems", "-d", `ems_${database}`, "-Atc", query]);

  // A fresh deploy used to crash web, chat and monitoring 2–3 times each (migrations before their database).
  await check("every task of the fresh deploy started the first time (none failed or was rejected)", async () => {
    const history = await docker(["stack", "ps", stack, "--format", "{{.Name}} {{.CurrentState}} {{.Error}}"]);
    const failed = history.split("\n").filter((line) => /\b(Failed|Rejected)\b/.test(line));
    if (failed.length) throw new Error(`${failed.length} task(s) failed: ${failed.slice(0, 3).join("; ")}`);
    return `${history.split("\n").filter(Boolean).length} tasks, none failed`;
  });

  // --- the contract's way in --------------------------------------------------------------------
  let admin: SignedIn | undefined;
  await check("the admin (from the admin_password secret) signs in through REST", async () => {
    admin = await login(await entry.web(), "admin", ctx.adminPassword);
    if (admin.user.role !== "admin") throw new Error(`signed in with role ${admin.user.role}`);
    return `POST /api/auth/login → admin ${admin.user.id}`;
  });
  if (!admin) return { checks, lost, duplicated };
  const adminToken = admin.token;

  const clientName = `stack-${randomUUID().slice(0, 8)}`;
  const clientPassword = randomUUID();
  const devices: { id: string; limitMilli: number }[] = [];
  let client: SignedIn | undefined;
  await check("a client and its devices are created through the API", async () => {
    const created = await mutation<{ id: string }>(await entry.web(), adminToken, "users.create", {
      username: clientName,
      password: clientPassword,
      name: "Stack test client",
      role: "client",
    });
    for (let i = 0; i < 6; i++) {
      const limitMilli = i === 0 ? LOW_LIMIT_MILLI : 100_000;
      const device = await mutation<{ id: string }>(await entry.web(), adminToken, "devices.create", {
        name: `Stack meter ${i}`,
        maxHourlyConsumption: (limitMilli / 1000).toFixed(3),
        ownerId: created.id,
      });
      devices.push({ id: device.id, limitMilli });
    }
    client = await login(await entry.web(), clientName, clientPassword);
    return `client ${created.id} with ${devices.length} devices`;
  });
  if (!client) return { checks, lost, duplicated };
  const clientToken = client.token;
  const ids = devices.map((d) => `'${d.id}'`).join(",");

  // Readings of a device monitoring does not know yet would be held until its sync event: wait for it, so
  // that the day's readings below are counted as they arrive.
  await waitFor(
    "monitoring to learn the new devices (outbox relay → monitoring.sync.queue)",
    async () => ((await sql("monitoring", `SELECT count(*) FROM devices WHERE device_id IN (${ids})`)) === String(devices.length) ? true : undefined),
    60_000,
  );

  await check("each monitoring replica consumes the partition queue of its task slot", async () => {
    const partitions = Number((await replicaCounts(stack)).get(service("monitoring"))?.desired ?? 0);
    const queues = await partitionConsumers();
    const seen: string[] = [];
    for (const task of await tasksOf(service("monitoring"))) {
      const logs = await docker(["logs", task.containerId ?? ""], { timeoutMs: 20_000 }).catch((error: unknown) => String(error));
      const expected = `consuming sensor.queue.${task.slot - 1} `;
      if (!logs.includes(expected)) throw new Error(`task in slot ${task.slot} did not log "${expected.trim()}"`);
      seen.push(`slot ${task.slot} → sensor.queue.${task.slot - 1}`);
    }
    for (let i = 0; i < partitions; i++) {
      if (queues.get(`sensor.queue.${i}`) !== 1) throw new Error(`sensor.queue.${i} has ${queues.get(`sensor.queue.${i}`) ?? 0} consumers, not 1`);
    }
    return seen.join(", ");
  });

  async function queueStates(): Promise<Map<string, { messages: number; consumers: number }>> {
    const out = await docker(["exec", await containerOf(service("rabbitmq")), "rabbitmqctl", "-q", "list_queues", "name", "messages", "consumers"]);
    return new Map(
      out
        .split("\n")
        .map((line) => line.trim().split(/\s+/))
        .filter((cells): cells is [string, string, string] => cells.length === 3 && /^\d+$/.test(cells[1]!) && /^\d+$/.test(cells[2]!))
        .map(([name, messages, consumers]) => [name, { messages: Number(messages), consumers: Number(consumers) }]),
    );
  }

  async function partitionConsumers(): Promise<Map<string, number>> {
    const out = await docker(["exec", await containerOf(service("rabbitmq")), "rabbitmqctl", "-q", "list_queues", "name", "consumers"]);
    return new Map(
      out
        .split("\n")
        .map((line) => line.trim().split(/\s+/))
        .filter((cells): cells is [string, string] => cells.length === 2 && /^\d+$/.test(cells[1]!))
        .map(([name, consumers]) => [name, Number(consumers)]),
    );
  }

  await check("RabbitMQ refuses messages over 64 KiB and bounds the dead-letter queue with reject-publish", async () => {
    const rabbitmq = await containerOf(service("rabbitmq"));
    const limit = await docker(["exec", rabbitmq, "rabbitmqctl", "-q", "eval", "application:get_env(rabbit, max_message_size)."]);
    if (!limit.includes("65536")) throw new Error(`max_message_size is ${limit}`);
    const applied = (await docker(["exec", rabbitmq, "rabbitmqctl", "-q", "list_queues", "name", "policy"])).split("\n").find((l) => l.startsWith("ems.dead-letter.queue"));
    if (!applied?.includes("ems-dead-letter-bound")) throw new Error(`dead-letter queue policy: ${applied ?? "queue missing"}`);
    const policy = (await docker(["exec", rabbitmq, "rabbitmqctl", "-q", "list_policies"])).split("\n").find((l) => l.includes("ems-dead-letter-bound"));
    if (!policy?.includes("reject-publish")) throw new Error(`policy ems-dead-letter-bound: ${policy ?? "missing"}`);
    return "max_message_size 65536; ems.dead-letter.queue under ems-dead-letter-bound (reject-publish)";
  });

  /** Replays one UTC day of every device through the simulator's container (assignment-format messages). */
  const publishDay = async (dayStart: number, rate?: number): Promise<void> => {
    const simulator = await containerOf(service("simulator"));
    await docker(["exec", "-i", simulator, "sh", "-c", "cat > /tmp/stack-values.csv"], { input: VALUES_MILLI.map((v) => (v / 1000).toFixed(3)).join("\n") + "\n" });
    const args = ["exec", simulator, "ems-worker", "simulator", ...devices.flatMap((d) => ["-d", d.id])];
    args.push("--csv", "/tmp/stack-values.csv", "--start", new Date(dayStart).toISOString(), "--count", String(READINGS_PER_DAY), "--speed", "max");
    if (rate) args.push("--rate", String(rate));
    await docker(args, { timeoutMs: 180_000 });
  };

  /** Compares what monitoring stored for a day with what was published: via REST (totals) and reading counts. */
  const compareDay = async (dayStart: number): Promise<{ lost: number; duplicated: number; wrong: number }> => {
    const expected = expectedHours(dayStart);
    const counts = await sql(
      "monitoring",
      `SELECT device_id, extract(epoch FROM hour_start)::bigint * 1000, reading_count FROM hourly_consumption WHERE device_id IN (${ids}) AND hour_start >= to_timestamp(${dayStart / 1000}) AND hour_start < to_timestamp(${(dayStart + DAY) / 1000})`,
    );
    const stored = new Map(counts.split("\n").filter(Boolean).map((line) => {
      const [device, hour, readings] = line.split("|");
      return [`${device}@${hour}`, Number(readings)];
    }));
    let dayLost = 0;
    let dayDuplicated = 0;
    let wrong = 0;
    for (const device of devices) {
      const totals = await consumption(await entry.web(), clientToken, device.id, utcDay(dayStart));
      for (const [hour, totalMilli] of expected) {
        const readings = stored.get(`${device.id}@${hour}`) ?? 0;
        dayLost += Math.max(0, 6 - readings);
        dayDuplicated += Math.max(0, readings - 6);
        if (milli(totals.get(hour) ?? 0) !== totalMilli) wrong++;
      }
    }
    return { lost: dayLost, duplicated: dayDuplicated, wrong };
  };
  const settledDay = async (dayStart: number, timeoutMs = 90_000) => {
    let last = { lost: -1, duplicated: -1, wrong: -1 };
    try {
      return await waitFor(
        `the readings of ${utcDay(dayStart)} to be counted`,
        async () => {
          last = await compareDay(dayStart);
          return last.lost === 0 && last.wrong === 0 ? last : undefined;
        },
        timeoutMs,
        2_000,
      );
    } catch {
      return last;
    }
  };
  const judge = (day: { lost: number; duplicated: number; wrong: number }, what: string) => {
    lost += day.lost;
    duplicated += day.duplicated;
    if (day.lost || day.duplicated || day.wrong) throw new Error(`${what}: lost ${day.lost}, duplicated ${day.duplicated}, device-hours with a wrong REST total ${day.wrong}`);
    return `${what}: lost 0, duplicated 0, every REST total exact`;
  };

  const today = Date.now() - (Date.now() % DAY);
  const day1 = today - DAY;
  await check("readings published into RabbitMQ are counted exactly, and the over-consumption alert reaches the owner's Socket.IO client", async () => {
    const alerts: unknown[] = [];
    const socket = await connectSocket(clientToken, (alert) => alerts.push(alert));
    try {
      await publishDay(day1);
      const day = await settledDay(day1);
      const verdict = judge(day, `${devices.length * READINGS_PER_DAY} readings of ${utcDay(day1)}`);
      const overHours = [...expectedHours(day1).values()].filter((total) => total > LOW_LIMIT_MILLI).length;
      const stored = Number(await sql("monitoring", `SELECT count(*) FROM alerts WHERE device_id = '${devices[0]!.id}' AND kind = 'over_consumption'`));
      if (stored !== overHours) throw new Error(`${stored} alerts stored, ${overHours} hours over the limit`);
      await waitFor("alert:created on the client's socket", () => Promise.resolve(alerts.length > 0 ? true : undefined), 30_000, 500);
      return `${verdict}; ${stored} alerts stored (one per hour over the limit), ${alerts.length} pushed to the client's socket`;
    } finally {
      socket.disconnect();
    }
  });

  async function connectSocket(token: string, onAlert: (alert: unknown) => void) {
    const { token: socketToken } = await mutation<{ token: string }>(await entry.web(), token, "chat.socketToken", undefined);
    const socket = io(await entry.chat(), {
      path: "/socket.io",
      transports: ["websocket"],
      auth: { token: socketToken },
      // The chat server admits sockets only from the public origin (PUBLIC_ORIGIN, default https://localhost).
      extraHeaders: { origin: "https://localhost" },
      reconnection: false,
    });
    socket.on("alert:created", onAlert);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", (error) => reject(new Error(`Socket.IO connection refused: ${error.message}`)));
    });
    return socket;
  }

  await check("a dead letter is counted by reason in the admin console (web may read the dead-letter queue) and listed by docker/dlq.sh", async () => {
    // A reading older than the retention window is refused for good, with that reason.
    const simulator = await containerOf(service("simulator"));
    const old = new Date(today - 40 * DAY).toISOString();
    await docker(["exec", simulator, "ems-worker", "simulator", "-d", devices[1]!.id, "--start", old, "--count", "1", "--speed", "max"], { timeoutMs: 60_000 });
    const reason = "timestamp is older than the retention window";
    // The console examines the queue at most every 30 s.
    const counted = await waitFor(
      "the dead letter in operations.deadLetterReasons",
      async () => {
        const answer = await query<{ status: string; reasons?: { reason: string | null; count: number }[]; failure?: string }>(await entry.web(), adminToken, "operations.deadLetterReasons");
        if (answer.status !== "ok") throw new Error(`the console could not examine the dead-letter queue: ${answer.failure ?? answer.status}`);
        return answer.reasons?.find((group) => group.reason?.startsWith(reason));
      },
      90_000,
      3_000,
    );
    const listed = await runRepoScript("docker/dlq.sh", ["list"], { STACK: stack });
    if (!listed.includes(reason)) throw new Error(`docker/dlq.sh list did not show "${reason}":\n${listed}`);
    const users = await docker(["exec", await containerOf(service("rabbitmq")), "rabbitmqctl", "-q", "list_users"]);
    if (users.includes("ems-operator")) throw new Error(`docker/dlq.sh left its RabbitMQ user behind:\n${users}`);
    return `console: ${counted.count} × "${counted.reason}"; docker/dlq.sh list shows it, and removed its one-run RabbitMQ user`;
  });

  const day4 = today - 4 * DAY;
  await check("chat's AI tools' role ems_chat_bot signs in with its secret's password only, reads its columns and nothing else, writes nothing", async () => {
    // The password as chat holds it (the secret the migrators of the device and monitoring databases set).
    const password = await docker(["exec", await containerOf(service("chat")), "cat", "/run/secrets/chat_bot_db_password"]);
    // Over TCP, where the server asks for a password (its local socket trusts any role).
    const asBot = async (database: string, query: string, withPassword = password) =>
      docker(["exec", "-e", `PGPASSWORD=${withPassword}`, await containerOf(service(`${database}-db`)), "psql", "-h", "127.0.0.1", "-U", "ems_chat_bot", "-d", `ems_${database}`, "-Atc", query]);
    const refused = async (attempt: Promise<string>, reason: RegExp) => {
      const outcome = await attempt.then(
        (output) => new Error(`not refused: ${output}`),
        (error: unknown) => error,
      );
      if (!(outcome instanceof Error) || !reason.test(outcome.message)) throw outcome;
    };
    const devices = await asBot("device", "SELECT count(name) FROM devices WHERE owner_id IS NOT NULL");
    const hours = await asBot("monitoring", "SELECT count(total_kwh) FROM hourly_consumption");
    await refused(asBot("device", "SELECT 1", `${password}-wrong`), /password authentication failed/);
    await refused(asBot("device", "SELECT count(*) FROM outbox"), /permission denied/);
    await refused(asBot("monitoring", "SELECT count(*) FROM readings"), /permission denied/);
    await refused(asBot("device", "UPDATE devices SET name = name"), /read-only transaction/);
    return `read ${devices} owned devices and ${hours} hourly rows; a wrong password, outbox, readings and an UPDATE refused`;
  });

  await check("scaling monitoring 2→3→2 under load: the balancer follows, no partition queue is left without a consumer, nothing lost or counted twice", async () => {
    // Sampled all along: the longest a partition queue held readings while nobody consumed it.
    let sampling = true;
    let worstOrphanMs = 0;
    const orphanSince = new Map<string, number>();
    const sampler = (async () => {
      while (sampling) {
        const queues = await queueStates().catch(() => new Map<string, { messages: number; consumers: number }>());
        for (const [queue, { messages, consumers }] of queues) {
          if (!queue.startsWith("sensor.queue.")) continue;
          if (messages > 0 && consumers === 0) {
            const since = orphanSince.get(queue) ?? Date.now();
            orphanSince.set(queue, since);
            worstOrphanMs = Math.max(worstOrphanMs, Date.now() - since);
          } else orphanSince.delete(queue);
        }
        await sleep(500);
      }
    })();
    const publishing = publishDay(day4, 25);
    let upSeconds: number;
    try {
      await sleep(3_000);
      const scaledUp = Date.now();
      await docker(["service", "scale", "--detach", `${service("monitoring")}=3`]);
      await waitFor(
        "a consumer on sensor.queue.0, 1 and 2",
        async () => {
          const queues = await queueStates();
          return [0, 1, 2].every((i) => (queues.get(`sensor.queue.${i}`)?.consumers ?? 0) >= 1) ? true : undefined;
        },
        60_000,
        500,
      );
      upSeconds = Math.round((Date.now() - scaledUp) / 100) / 10;
      await sleep(5_000);
      await docker(["service", "scale", "--detach", `${service("monitoring")}=2`]);
      await publishing;
      await waitFor(
        "sensor.queue.2 drained and let go",
        async () => {
          const third = (await queueStates()).get("sensor.queue.2");
          return third && third.messages === 0 ? true : undefined;
        },
        60_000,
      );
    } finally {
      sampling = false;
      await sampler;
    }
    const verdict = judge(await settledDay(day4, 120_000), `${devices.length * READINGS_PER_DAY} readings of ${utcDay(day4)}`);
    if (worstOrphanMs > 10_000) throw new Error(`a partition queue held readings with no consumer for ${worstOrphanMs} ms`);
    return `${verdict}; sensor.queue.2 consumed ${upSeconds} s after scaling to 3; longest a queue held readings with no consumer: ${(worstOrphanMs / 1000).toFixed(1)} s`;
  });

  const day2 = today - 2 * DAY;
  await check("docker kill of a monitoring task and of the balancer while readings flow: restarted, nothing lost or counted twice", async () => {
    const publishing = publishDay(day2, 120);
    await sleep(2_000);
    const monitoringTask = await containerOf(service("monitoring"), 1);
    await docker(["kill", monitoringTask]);
    await sleep(2_000);
    const balancerTask = await containerOf(service("balancer"));
    await docker(["kill", balancerTask]);
    await publishing;
    const restarted = await waitFor(
      "the killed tasks to be replaced",
      async () => {
        const replicas = await replicaCounts(stack);
        const whole = ["monitoring", "balancer"].every((name) => {
          const c = replicas.get(service(name));
          return c !== undefined && c.running === c.desired;
        });
        const fresh = (await containerOf(service("monitoring"), 1).catch(() => monitoringTask)) !== monitoringTask && (await containerOf(service("balancer")).catch(() => balancerTask)) !== balancerTask;
        return whole && fresh ? true : undefined;
      },
      120_000,
      2_000,
    );
    void restarted;
    return judge(await settledDay(day2, 120_000), `${devices.length * READINGS_PER_DAY} readings of ${utcDay(day2)}`);
  });

  const day3 = today - 3 * DAY;
  await check("user and monitoring databases down: sign-in still works, web is not restarted; back up: everything recovers", async () => {
    const webBefore = (await tasksOf(service("web"))).map((t) => t.id).sort().join();
    await docker(["service", "scale", "--detach", `${service("user-db")}=0`, `${service("monitoring-db")}=0`]);
    await waitFor("the databases to stop", async () => ((await tasksOf(service("user-db"))).length + (await tasksOf(service("monitoring-db"))).length === 0 ? true : undefined), 60_000);
    const publishing = publishDay(day3);
    // Longer than Swarm's health checks need to replace an unhealthy task (3 × 10 s).
    const until = Date.now() + 40_000;
    let signIns = 0;
    while (Date.now() < until) {
      await login(await entry.web(), clientName, clientPassword);
      signIns++;
      await sleep(2_000);
    }
    const webDuring = (await tasksOf(service("web"))).map((t) => t.id).sort().join();
    if (webDuring !== webBefore) throw new Error("web tasks were replaced while the databases were down");
    await publishing;
    await docker(["service", "scale", "--detach", `${service("user-db")}=1`, `${service("monitoring-db")}=1`]);
    await waitFor("the user database to answer through the API", async () => {
      await mutation(await entry.web(), adminToken, "users.create", { username: `${clientName}-2`, password: clientPassword, name: "Second", role: "client" });
      return true;
    }, 120_000, 2_000);
    return `${signIns} sign-ins while down; ${judge(await settledDay(day3, 120_000), `readings of ${utcDay(day3)} published while monitoring's database was down`)}`;
  });

  await check("docker service update --force of web (start-first): no failed request during the roll", async () => {
    let sent = 0;
    const failures: string[] = [];
    let rolling = true;
    const traffic = (async () => {
      while (rolling) {
        sent++;
        try {
          const response = await fetch(`${await entry.web()}/api/devices/user/${client!.user.id}`, {
            headers: { authorization: `Bearer ${adminToken}` },
            signal: AbortSignal.timeout(10_000),
          });
          if (!response.ok) failures.push(`HTTP ${response.status}`);
          await response.arrayBuffer();
        } catch (error) {
          failures.push(error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error));
        }
        await sleep(50);
      }
    })();
    const before = (await tasksOf(service("web"))).map((t) => t.id);
    try {
      await docker(["service", "update", "--force", "--quiet", service("web")], { timeoutMs: 300_000 });
    } finally {
      rolling = false;
      await traffic;
    }
    const after = (await tasksOf(service("web"))).map((t) => t.id);
    if (after.some((id) => before.includes(id))) throw new Error("web was not rolled");
    if (failures.length) throw new Error(`${failures.length} of ${sent} requests failed: ${[...new Set(failures)].slice(0, 3).join("; ")}`);
    return `${sent} requests, 0 failed`;
  });

  return { checks, lost, duplicated };
}

