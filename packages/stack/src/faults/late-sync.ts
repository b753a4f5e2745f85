import pg from "pg";
import { harness, streamStart, type FaultContext, type ScenarioResult } from "./scenarios.ts";
import { drainDeadLetters, outboxRelay, publishReadings, serialize, sleep, storedAgainstTruth, waitUntil } from "./system.ts";
import { makeStream } from "./truth.ts";

const DEVICES = 50;
const READINGS_PER_DEVICE = 12; // two hours per device, some over their limit
const RATE_PER_SECOND = 600;
const TIMEOUT_MS = 90_000;

/**
 * Devices created in the device database (with their outbox events) while the outbox relay is stopped,
 * and their readings published at once — some twice — so every one reaches monitoring before its
 * device's sync event. Monitoring must hold them all, then, once the relay runs, count each exactly once
 * with exact totals and one alert per over-limit device-hour; nothing may be dead-lettered.
 */
export async function runLateSyncScenario(ctx: FaultContext): Promise<ScenarioResult> {
  const name = "late sync: readings before their device's sync event (relay stopped)";
  const notes: string[] = [];
  const figures: Record<string, number> = {};
  const h = await harness(ctx, "late-sync");
  const { deviceDb } = await import("@ems/db/device");
  const { outboxEventFor } = await import("@ems/db/device-outbox");
  const outbox = await outboxRelay(ctx.rabbitmqUrl, h.names.monitoringSync, ctx.log);
  const monitoring = new pg.Pool({ connectionString: ctx.monitoringUrl, max: 2 });
  const stream = makeStream(DEVICES, READINGS_PER_DEVICE, streamStart());
  const ids = stream.devices.map((d) => d.id);
  const heldCount = async () =>
    Number((await monitoring.query<{ n: string }>("SELECT count(*) AS n FROM pending_readings WHERE device_id = ANY($1::uuid[])", [ids])).rows[0]?.n);
  try {
    await h.plane.startAll();
    for (const device of stream.devices) {
      await deviceDb.$transaction(async (tx) => {
        const created = await tx.device.create({
          data: { id: device.id, name: `late sync ${device.id.slice(0, 8)}`, maxHourlyConsumption: (device.limitMilli / 1000).toFixed(3), ownerId: device.ownerId },
        });
        await tx.outboxEvent.create({ data: outboxEventFor(created, "device.created") });
      });
    }

    const bodies = serialize(stream.readings);
    // A fifth of them a second time: duplicates of readings that are being held.
    await publishReadings(h.broker, h.names.sensorData, [...bodies, ...bodies.slice(0, Math.floor(bodies.length / 5))], RATE_PER_SECOND);
    const allHeld = await waitUntil(async () => (await heldCount()) === stream.readings.length, TIMEOUT_MS);
    figures.held = await heldCount();
    if (!allHeld) notes.push(`only ${figures.held} of ${stream.readings.length} readings held before the relay ran`);

    outbox.relay.start();
    const relayStartedAt = Date.now();
    const checkStored = storedAgainstTruth(ctx.monitoringUrl, stream.devices, stream.readings);
    await waitUntil(async () => (await checkStored()).comparison.matches, TIMEOUT_MS);
    const recoverySeconds = (Date.now() - relayStartedAt) / 1000;
    await sleep(1_000); // nothing more may arrive later (a late duplicate)
    const { comparison, alerts } = await checkStored();
    if (comparison.wrongTotals || comparison.missingAlerts || comparison.extraAlerts) {
      notes.push(`wrong totals ${comparison.wrongTotals}, missing alerts ${comparison.missingAlerts}, extra alerts ${comparison.extraAlerts}`);
    } else {
      notes.push(`hourly totals exact; ${alerts} alerts, one per over-limit device-hour`);
    }
    const stillHeld = await heldCount();
    const dead = [...(await drainDeadLetters(ctx.rabbitmqUrl, h.names)).entries()];
    notes.push(`${stillHeld} still held; dead-lettered: ${dead.map(([reason, n]) => `${n}× "${reason}"`).join(", ") || "none"}`);

    const unclean = await h.plane.stopAll();
    if (unclean.length) notes.push(`not stopped cleanly: ${unclean.join(", ")}`);
    return {
      name,
      passed: allHeld && comparison.matches && stillHeld === 0 && dead.length === 0 && unclean.length === 0,
      published: stream.readings.length,
      counted: comparison.counted,
      lost: comparison.lost,
      duplicated: comparison.duplicated,
      recoverySeconds: Math.round(recoverySeconds * 100) / 100,
      notes,
      figures,
    };
  } finally {
    await outbox.close();
    await monitoring.end();
    await h.plane.stopAll();
    await h.close();
  }
}
