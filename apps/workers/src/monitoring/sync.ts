import type { DeviceSyncEvent } from "@ems/contracts/sync";
import type { Queryable } from "./database.ts";

/**
 * Insert or update the device copy, but only with a newer version: a redelivered or reordered older
 * event finds a higher version stored and changes nothing. A deletion keeps the row as a tombstone
 * (deleted = true) so its version still guards against older events that arrive after it, and so
 * that the device's history and alerts stay readable.
 */
const APPLY_SQL = `
  INSERT INTO devices AS d (device_id, owner_id, max_hourly_consumption, version, deleted)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (device_id) DO UPDATE
    SET owner_id = EXCLUDED.owner_id,
        max_hourly_consumption = EXCLUDED.max_hourly_consumption,
        version = EXCLUDED.version,
        deleted = EXCLUDED.deleted,
        updated_at = now()
    WHERE d.version < EXCLUDED.version
  RETURNING device_id`;

export type SyncOutcome = "applied" | "stale";

export async function applyDeviceSyncEvent(db: Queryable, event: DeviceSyncEvent): Promise<SyncOutcome> {
  const result = await db.query(APPLY_SQL, [
    event.deviceId,
    event.ownerId,
    event.maxHourlyConsumption,
    event.version,
    event.type === "device.deleted",
  ]);
  return result.rowCount === 1 ? "applied" : "stale";
}
