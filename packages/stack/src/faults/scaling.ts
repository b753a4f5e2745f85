import amqp from "amqplib";
import pg from "pg";
import { partitionOf } from "@ems/hashing";
import { publishReadings, registerDevices, serialize, sleep, storedAgainstTruth, waitUntil, type WorkerName } from "./system.ts";
import { harness, streamStart, type FaultContext, type ScenarioResult } from "./scenarios.ts";
import { makeStream, type Comparison } from "./truth.ts";

/**
 * Elastic partitions under load: monitoring goes from 2 to 3 replicas (a third process starts) and back
 * to 2 (one of the first two gets SIGTERM, or kill -9) while readings flow, with the production
 * settings (balancer polls every 2 s; replicas look every 1 s). The replica stopped is the one holding
 * partition 0, so a survivor must take partition 0 over and drain partition 2, which is no longer in use.
 *
 * Checked: lost 0, duplicated 0, totals and alerts exact; the balancer used 3 partitions, then 2, each
 * within 30 s; in the end partitions 0 and 1 each have one consumer and partition 2 none, and no
 * partition queue holds readings. Measured: how long the balancer took to switch, the share of devices
 * (and readings) that moved to partition 2, and the longest time any partition queue held readings
 * with no consumer (sampled every 250 ms).
 */
export const scaleScenarios = [
  { name: "scale monitoring 2→3→2 under load (SIGTERM)", down: "SIGTERM" as const },
  { name: "scale monitoring 2→3→2 under load (kill -9)", down: "SIGKILL" as const },
];

const DEVICES = 300;
const READINGS_PER_DEVICE = 72; // 12 hours; publishing stops once the scenario is done
const RATE_PER_SECOND = 300;
const SWITCH_LIMIT_MS = 30_000;
const RECOVERY_TIMEOUT_MS = 90_000;
/** A partition queue may hold readings without a consumer only this long (a takeover takes a tick or two). */
const ORPHAN_LIMIT_MS = 10_000;

export function runScaleScenarios(ctx: FaultContext, selected: (name: string) => boolean): AsyncGenerator<ScenarioResult> {
  return (async function* () {
    for (const scenario of scaleScenarios.filter((s) => selected(s.name))) {
      ctx.log.info(`scenario: ${scenario.name}`);
      yield await runScaleScenario(ctx, scenario);
    }
  })();
}

async function runScaleScenario(ctx: FaultContext, scenario: (typeof scaleScenarios)[number]): Promise<ScenarioResult> {
  // Three partition queues (deleted afterwards); the balancer logs its forwards per partition every second.
  const h = await harness(ctx, scenario.name, 3, { BALANCER_STATS_INTERVAL_MS: "1000" });
  const notes: string[] = [];
  const figures: Record<string, number> = {};
  let passed = true;
  const fail = (note: string) => {
    notes.push(note);
    passed = false;
  };

  // What the processes say: the balancer's switches and per-partition forwards; each replica's member id.
  const switches: { at: number; to: number }[] = [];
  const forwards: { at: number; perPartition: Map<number, number> }[] = [];
  const memberOf = new Map<string, WorkerName>();
  const stopListening = h.plane.onOutput(({ process, at, text }) => {
    const member = /\[monitoring-([0-9a-f]{6})\]/.exec(text)?.[1];
    if (member) memberOf.set(member, process);
    if (process !== "balancer") return;
    const switched = /partition count \d+ → (\d+)/.exec(text);
    if (switched) switches.push({ at, to: Number(switched[1]) });
    if (/last [\d.]+ s: /.test(text)) {
      const perPartition = new Map([...text.matchAll(/sensor\.queue\.(\d+)=(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]));
      forwards.push({ at, perPartition });
    }
  });
  const connection = await amqp.connect(ctx.rabbitmqUrl);
  const channel = await connection.createChannel();
  const queues = () =>
    Promise.all([0, 1, 2].map(async (p) => channel.checkQueue(h.names.partition(p)).then((q) => ({ messages: q.messageCount, consumers: q.consumerCount }))));
  const db = new pg.Client({ connectionString: ctx.monitoringUrl });
  await db.connect();
  /** Partition → the process whose lock session holds it (elastic replicas' lock sessions, this test database). */
  const lockHolders = async () => {
    const { rows } = await db.query<{ partition: number; application_name: string }>(
      `SELECT l.objid::integer AS partition, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND a.datname = current_database()
          AND a.application_name LIKE 'ems-monitoring-%-locks%'`,
    );
    return new Map(rows.map((r) => [r.partition, memberOf.get(/^ems-monitoring-([0-9a-f]+)-locks/.exec(r.application_name)?.[1] ?? "")]));
  };

  let sampling = true;
  let longestOrphanMs = 0;
  const sampler = (async () => {
    const orphanSince = new Map<number, number>();
    while (sampling) {
      const now = Date.now();
      const counts = await queues().catch(() => undefined);
      counts?.forEach(({ messages, consumers }, p) => {
        if (messages > 0 && consumers === 0) {
          if (!orphanSince.has(p)) orphanSince.set(p, now);
          longestOrphanMs = Math.max(longestOrphanMs, now - orphanSince.get(p)!);
        } else orphanSince.delete(p);
      });
      await sleep(250);
    }
  })();

  let publishing: Promise<void> | undefined;
  let stopPublishing = false;
  try {
    const stream = makeStream(DEVICES, READINGS_PER_DEVICE, streamStart());
    await registerDevices(ctx.monitoringUrl, stream.devices);
    await Promise.all((["balancer", "monitoring-a", "monitoring-b"] as const).map((name) => h.plane.start(name)));
    const bodies = serialize(stream.readings);
    let published = 0;
    const streamStartedAt = Date.now();
    const at = (t: number) => `${((t - streamStartedAt) / 1000).toFixed(1)} s`;
    publishing = publishReadings(h.broker, h.names.sensorData, bodies, RATE_PER_SECOND, (n) => (published = n), () => stopPublishing);
    await sleep(3_000);

    // 2 → 3: a third replica process.
    const upAt = Date.now();
    await h.plane.start("monitoring-c");
    const readyAt = Date.now();
    const up = await waitUntil(() => Promise.resolve(switches.some((s) => s.to === 3 && s.at >= upAt)), SWITCH_LIMIT_MS, 50);
    const upSwitchAt = switches.find((s) => s.to === 3 && s.at >= upAt)?.at;
    figures.upReadySeconds = round((readyAt - upAt) / 1000);
    if (up && upSwitchAt) {
      figures.upSwitchSeconds = round((upSwitchAt - upAt) / 1000);
      notes.push(`2→3: third replica started at ${at(upAt)}, consuming at ${at(readyAt)}, balancer on 3 partitions at ${at(upSwitchAt)}`);
    } else fail(`the balancer did not switch to 3 partitions within ${SWITCH_LIMIT_MS / 1000} s`);
    // 5–7 s on 3 partitions; not a whole number of the balancer's 2 s polls, or the scale-down would
    // always land just after one and measure the worst case.
    await sleep(5_000 + Math.random() * 2_000);

    // 3 → 2: the replica holding partition 0 goes.
    const victim = (await lockHolders()).get(0);
    if (!victim || victim === "monitoring-c") {
      fail(`partition 0 is held by ${victim ?? "nobody"}, expected one of the first two replicas`);
      return await finish();
    }
    const downAt = Date.now();
    if (scenario.down === "SIGTERM") {
      const code = await h.plane.terminate(victim);
      notes.push(`3→2: SIGTERM to ${victim} (partition 0) at ${at(downAt)}, exited ${code} after ${((Date.now() - downAt) / 1000).toFixed(1)} s`);
      if (code !== 0) fail(`${victim} did not exit cleanly on SIGTERM`);
    } else {
      await h.plane.kill(victim);
      notes.push(`3→2: kill -9 of ${victim} (partition 0) at ${at(downAt)}`);
    }
    const down = await waitUntil(() => Promise.resolve(switches.some((s) => s.to === 2 && s.at >= downAt)), SWITCH_LIMIT_MS, 50);
    const downSwitchAt = switches.find((s) => s.to === 2 && s.at >= downAt)?.at;
    if (down && downSwitchAt) figures.downSwitchSeconds = round((downSwitchAt - downAt) / 1000);
    else fail(`the balancer did not switch back to 2 partitions within ${SWITCH_LIMIT_MS / 1000} s`);
    // The survivors own partitions 0 and 1, one each, and partition 2 is drained and released.
    const survivors = new Set<WorkerName>(["monitoring-a", "monitoring-b", "monitoring-c"].filter((n) => n !== victim) as WorkerName[]);
    const settled = await waitUntil(
      async () => {
        const holders = await lockHolders();
        return holders.size === 2 && holders.has(0) && holders.has(1) && holders.get(0) !== holders.get(1) && [...holders.values()].every((p) => p && survivors.has(p));
      },
      SWITCH_LIMIT_MS,
      100,
    );
    if (settled) {
      figures.settleSeconds = round((Date.now() - downAt) / 1000);
      const holders = await lockHolders();
      notes.push(`partitions settled ${figures.settleSeconds} s after: 0 → ${holders.get(0)}, 1 → ${holders.get(1)}, 2 drained and released`);
    } else fail(`partitions did not settle on the two survivors within ${SWITCH_LIMIT_MS / 1000} s: ${JSON.stringify([...(await lockHolders())])}`);
    await sleep(4_000);
    stopPublishing = true;
    await publishing;
    const publishedAt = Date.now();
    notes.push(`published ${published} readings by ${at(publishedAt)} (${bodies.length - published} left unsent on purpose)`);
    if (published >= bodies.length) notes.push("the stream ran out before the scenario ended: part of it ran without load");

    // Exact state: every reading published counted once, one alert per over-limit device-hour.
    const checkStored = storedAgainstTruth(ctx.monitoringUrl, stream.devices, stream.readings.slice(0, published));
    await waitUntil(async () => (await checkStored()).comparison.matches, RECOVERY_TIMEOUT_MS);
    figures.recoverySeconds = round((Date.now() - publishedAt) / 1000);
    await sleep(1_000);
    const { comparison, alerts } = await checkStored();
    if (!comparison.matches) fail(`wrong totals ${comparison.wrongTotals}, missing alerts ${comparison.missingAlerts}, extra alerts ${comparison.extraAlerts}`);
    else notes.push(`hourly totals exact; one alert per over-limit device-hour (${alerts} alerts)`);

    // No partition queue with readings and no consumer; 0 and 1 consumed once each, 2 by nobody.
    const final = await queues();
    notes.push(`final queues: ${final.map((q, p) => `sensor.queue.${p} ${q.messages} ready/${q.consumers} consumer(s)`).join(", ")}`);
    if (final.some((q) => q.messages > 0) || final.map((q) => q.consumers).join() !== "1,1,0") fail("partition queues not as expected at the end");
    sampling = false;
    await sampler;
    figures.longestOrphanSeconds = round(longestOrphanMs / 1000);
    if (longestOrphanMs > ORPHAN_LIMIT_MS) fail(`a partition queue held readings with no consumer for ${figures.longestOrphanSeconds} s`);

    // How much moved: devices (from the hash the balancer uses) and readings (its forwards while on 3).
    const moved = stream.devices.filter((d) => partitionOf(d.id, 2) !== partitionOf(d.id, 3)).length;
    figures.movedDeviceFraction = round(moved / DEVICES, 3);
    if (upSwitchAt && downSwitchAt) {
      const onThree = forwards.filter((f) => f.at > upSwitchAt + 1_000 && f.at <= downAt);
      const total = onThree.reduce((sum, f) => sum + [...f.perPartition.values()].reduce((a, b) => a + b, 0), 0);
      const toNew = onThree.reduce((sum, f) => sum + (f.perPartition.get(2) ?? 0), 0);
      if (total > 0) figures.readingsToNewPartitionFraction = round(toNew / total, 3);
      // The balancer counts a forward once RabbitMQ confirmed it: forwards routed just before the switch
      // may be counted up to a second or so after it (under load), so the check starts 2 s after.
      const after = forwards.filter((f) => f.at > downSwitchAt + 2_000).reduce((sum, f) => sum + (f.perPartition.get(2) ?? 0), 0);
      notes.push(`moved on 2→3: ${moved} of ${DEVICES} devices (ideal 1/3); while on 3, ${toNew} of ${total} readings went to partition 2; from 2 s after the switch back, ${after}`);
      if (after > 0) fail("the balancer forwarded to partition 2 after it switched back to 2");
    }
    // 300 random devices: 1/3 ± 0.027 (one standard deviation); these bounds are 5 of them.
    if (moved / DEVICES < 0.2 || moved / DEVICES > 0.47) fail(`moved fraction ${moved / DEVICES} is far from 1/3`);
    return await finish(comparison, published);
  } finally {
    stopPublishing = true;
    await publishing?.catch(() => undefined);
    sampling = false;
    await sampler;
    stopListening();
    await connection.close().catch(() => undefined);
    await db.end().catch(() => undefined);
    await h.plane.stopAll();
    await h.close();
  }

  async function finish(comparison?: Comparison, published = 0): Promise<ScenarioResult> {
    const unclean = await h.plane.stopAll();
    if (unclean.length) fail(`not stopped cleanly: ${unclean.join(", ")}`);
    return {
      name: scenario.name,
      passed: passed && comparison !== undefined,
      published,
      counted: comparison?.counted ?? 0,
      lost: comparison?.lost ?? 0,
      duplicated: comparison?.duplicated ?? 0,
      recoverySeconds: figures.recoverySeconds ?? 0,
      notes,
      figures,
    };
  }
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
