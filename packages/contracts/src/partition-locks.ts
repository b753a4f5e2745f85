/**
 * The PostgreSQL advisory-lock class of the partitions of one queue prefix (two-key form: class,
 * partition index): a monitoring replica holding lock (class, i) in the monitoring database consumes
 * `sensor.queue.{i}`, and whoever wants to know who consumes what (the admin console) looks for it in
 * pg_locks. Production's prefix is ""; each test run has its own prefix, hence its own locks, even
 * when runs share a database. FNV-1a, kept positive so that pg_locks.classid (an oid) shows it unchanged.
 */
export function partitionLockClass(queuePrefix: string): number {
  let hash = 0x811c9dc5;
  for (const char of `ems.partitions:${queuePrefix}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash & 0x7fffffff;
}
