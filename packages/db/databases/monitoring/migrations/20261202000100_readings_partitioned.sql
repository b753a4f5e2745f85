-- migrate:up
-- A short, stable number per device, so that a stored reading carries 8 bytes of device instead of a
-- 16-byte uuid (readings are by far the largest table: this is about 12 % of its size).
ALTER TABLE devices ADD COLUMN device_no bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE devices ADD CONSTRAINT devices_device_no_key UNIQUE (device_no);

-- Every reading counted, with its value: the raw history and, through its primary key, what makes a
-- redelivered reading count once (INSERT … ON CONFLICT DO NOTHING). Daily partitions by reading time
-- (UTC days), created ahead and dropped whole once older than the retention window by the monitoring
-- process (apps/workers/src/monitoring/retention.ts): the table's size is bounded by the window. Each
-- partition is named readings_YYYYMMDD after its day. kwh is NULL only for readings counted before this
-- migration, whose keys were kept without values. The key starts with the time: readings arrive in
-- roughly time order, so inserts touch only the newest pages of the day's index (which stay cached)
-- rather than pages all over it, as a device-first key would at millions of readings a day.
CREATE TABLE readings (
  reading_at timestamptz(3) NOT NULL,
  device_no  bigint NOT NULL,
  kwh        numeric,
  PRIMARY KEY (reading_at, device_no)
) PARTITION BY RANGE (reading_at);

-- Readings of devices monitoring has not heard of yet (their sync event is late): counted once the
-- event arrives, dead-lettered after a grace period (apps/workers/src/monitoring/held-readings.ts).
CREATE TABLE pending_readings (
  device_id   uuid NOT NULL,
  reading_at  timestamptz(3) NOT NULL,
  kwh         numeric NOT NULL,
  received_at timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, reading_at)
);

CREATE INDEX pending_readings_received_at_idx ON pending_readings (received_at);

-- Keep the keys of the last 31 days (the default retention window of 30 days, plus today) so that a
-- redelivery or replay of a reading counted before this migration is still recognised; older readings
-- are refused anyway (outside the window).
DO $$
DECLARE
  day date;
BEGIN
  FOR day IN
    SELECT DISTINCT (reading_at AT TIME ZONE 'UTC')::date FROM processed_readings
     WHERE reading_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '30 days') AT TIME ZONE 'UTC'
  LOOP
    EXECUTE format(
      'CREATE TABLE %I PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
      'readings_' || to_char(day, 'YYYYMMDD'), day::text || ' 00:00:00+00', (day + 1)::text || ' 00:00:00+00');
  END LOOP;
END $$;

INSERT INTO readings (reading_at, device_no)
SELECT p.reading_at, d.device_no FROM processed_readings p JOIN devices d USING (device_id)
 WHERE p.reading_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '30 days') AT TIME ZONE 'UTC';

DROP TABLE processed_readings;

-- migrate:down
CREATE TABLE processed_readings (
  device_id  uuid NOT NULL,
  reading_at timestamptz(3) NOT NULL,
  PRIMARY KEY (device_id, reading_at)
);
INSERT INTO processed_readings (device_id, reading_at)
SELECT d.device_id, r.reading_at FROM readings r JOIN devices d USING (device_no);
DROP TABLE pending_readings;
DROP TABLE readings;
ALTER TABLE devices DROP COLUMN device_no;
