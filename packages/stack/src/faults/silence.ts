import pg from "pg";
import type { Measurement } from "@ems/contracts/measurement";
import { harness, streamStart, type FaultContext, type ScenarioResult } from "./scenarios.ts";
import { publishReadings, registerDevices, serialize, sleep, storedAgainstTruth, waitUntil } from "./system.ts";
import { makeStream } from "./truth.ts";

const REPORTING_METERS = 19;
/** FLEET_SILENT_AFTER_MINUTES for this scenario's replicas: the outage below outlasts it. */
const SILENT_AFTER_MINUTES = 1;
const OUTAGE_MS = 75_000;
/** How often the meters that keep reporting send, during the outage. */
const SEND_EVERY_MS = 5_000;
const TIMEOUT_MS = 60_000;

/**
 * The balancer down for longer than the "device silent" setting while 19 of 20 meters keep sending: a
 * small fleet, so only a few hundred readings wait in sensor.data.queue, far below the backlog limit.
 * Monitoring counts nothing meanwhile, yet must call none of the meters silent — their readings wait
 * where nobody consumes them (no storm of alarms). Once the balancer is back and every reading is
 * counted, exactly once, the one meter that really stopped gets its alarm, once; the others none.
 */
export async function runSilenceScenario(ctx: FaultContext): Promise<ScenarioResult> {
  const name = "balancer down longer than the silence setting: no alarm storm; the meter that stopped is raised after";
  const notes: string[] = [];
  const figures: Record<string, number> = {};
  const h = await harness(ctx, "silence", 2, { FLEET_SILENT_AFTER_MINUTES: String(SILENT_AFTER_MINUTES), MONITORING_SILENCE_SWEEP_INTERVAL_MS: "2000" });
  const monitoring = new pg.Pool({ connectionString: ctx.monitoringUrl, max: 2 });
  const stream = makeStream(REPORTING_METERS + 1, 1, streamStart());
  const [stopped, ...reporting] = stream.devices as [(typeof stream.devices)[number], ...typeof stream.devices];
  const alarmsOf = async () =>
    (
      await monitoring.query<{ device_id: string }>("SELECT device_id FROM alerts WHERE kind = 'device_silent' AND device_id = ANY($1::uuid[])", [
        stream.devices.map((d) => d.id),
      ])
    ).rows.map((row) => row.device_id);
  let heldBack = 0;
  const stopListening = h.plane.onOutput((line) => {
    if (line.text.includes("device silent alarms held back")) heldBack++;
  });
  try {
    await registerDevices(ctx.monitoringUrl, stream.devices);
    await h.plane.startAll();
    // Every meter reports once and is counted: from then on, each is silent after a minute without more.
    const readings: Measurement[] = [...stream.readings];
    await publishReadings(h.broker, h.names.sensorData, serialize(readings), 100);
    const counted = async () => (await storedAgainstTruth(ctx.monitoringUrl, stream.devices, readings)()).comparison.matches;
    if (!(await waitUntil(counted, TIMEOUT_MS))) notes.push("the first readings were not counted");

    const outageStartedAt = Date.now();
    const balancerExit = await h.plane.terminate("balancer");
    if (balancerExit !== 0) notes.push(`the balancer stopped with ${String(balancerExit)}`);
    for (let round = 1; Date.now() - outageStartedAt < OUTAGE_MS; round++) {
      const sent = reporting.map((device) => ({ deviceId: device.id, timestamp: streamStart() + round * 60_000, value: 0.01 * round }));
      readings.push(...sent);
      await publishReadings(h.broker, h.names.sensorData, serialize(sent), 100);
      await sleep(SEND_EVERY_MS);
    }
    const storm = await alarmsOf();
    figures.outageSeconds = Math.round((Date.now() - outageStartedAt) / 1000);
    figures.alarmsDuringOutage = storm.length;
    notes.push(`${readings.length - stream.readings.length} readings waited ${figures.outageSeconds} s; alarms raised meanwhile: ${storm.length}`);

    const balancerBackAt = Date.now();
    await h.plane.start("balancer");
    const allCounted = await waitUntil(counted, TIMEOUT_MS);
    const recoverySeconds = (Date.now() - balancerBackAt) / 1000;
    const { comparison } = await storedAgainstTruth(ctx.monitoringUrl, stream.devices, readings)();
    const raised = await waitUntil(async () => (await alarmsOf()).includes(stopped.id), TIMEOUT_MS);
    figures.stoppedMeterRaisedSecondsAfterBalancer = Math.round((Date.now() - balancerBackAt) / 100) / 10;
    await sleep(5_000); // a few more sweeps: nothing else may be raised
    const after = await alarmsOf();
    const others = after.filter((id) => id !== stopped.id).length;
    const stoppedAlarms = after.filter((id) => id === stopped.id).length;
    notes.push(
      `after: the stopped meter ${stoppedAlarms} alarm(s) (${raised ? `${figures.stoppedMeterRaisedSecondsAfterBalancer} s after the balancer was back` : "never"}), the others ${others}; holding back logged ${heldBack}×`,
    );
    const unclean = await h.plane.stopAll();
    if (unclean.length) notes.push(`not stopped cleanly: ${unclean.join(", ")}`);
    return {
      name,
      passed: storm.length === 0 && allCounted && comparison.matches && stoppedAlarms === 1 && others === 0 && heldBack > 0 && unclean.length === 0,
      published: readings.length,
      counted: comparison.counted,
      lost: comparison.lost,
      duplicated: comparison.duplicated,
      recoverySeconds: Math.round(recoverySeconds * 100) / 100,
      notes,
      figures,
    };
  } finally {
    stopListening();
    await monitoring.end();
    await h.plane.stopAll();
    await h.close();
  }
}
