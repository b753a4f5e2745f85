-- migrate:up
-- Alarms as ThingsBoard users know them: every alert row is an alarm of a kind, active until it is
-- cleared, and acknowledged independently of that.
--   over_consumption: a device-hour went over the device's limit; active until the hour ends, then
--     cleared (cleared_at = the hour's end, set by the trigger below, so that a release that does not
--     know the column still stores a correct row during a rolling update).
--   device_silent: a device that had reported sent nothing for the fleet's silence setting; raised
--     once (one active per device: the unique index below), cleared when it reports again.
ALTER TABLE alerts
  ADD COLUMN kind text NOT NULL DEFAULT 'over_consumption' CHECK (kind IN ('over_consumption', 'device_silent')),
  ADD COLUMN cleared_at timestamptz(3),
  ADD COLUMN last_reading_at timestamptz(3),
  ALTER COLUMN hour_start DROP NOT NULL,
  ALTER COLUMN total_kwh DROP NOT NULL,
  ALTER COLUMN limit_kwh DROP NOT NULL;

UPDATE alerts SET cleared_at = hour_start + interval '1 hour';

ALTER TABLE alerts ADD CONSTRAINT alerts_kind_fields CHECK (
  (kind = 'over_consumption' AND hour_start IS NOT NULL AND total_kwh IS NOT NULL AND limit_kwh IS NOT NULL
     AND cleared_at = hour_start + interval '1 hour' AND last_reading_at IS NULL)
  OR (kind = 'device_silent' AND hour_start IS NULL AND total_kwh IS NULL AND limit_kwh IS NULL
     AND last_reading_at IS NOT NULL)
);

CREATE FUNCTION alerts_clear_at_hour_end() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.cleared_at := NEW.hour_start + interval '1 hour';
  RETURN NEW;
END
$$;

CREATE TRIGGER alerts_clear_at_hour_end BEFORE INSERT ON alerts
  FOR EACH ROW WHEN (NEW.kind = 'over_consumption') EXECUTE FUNCTION alerts_clear_at_hour_end();

-- At most one active silence alarm per device: raising is INSERT … ON CONFLICT DO NOTHING, so two
-- replicas sweeping at once raise (and push) it once.
CREATE UNIQUE INDEX alerts_one_active_silence_idx ON alerts (device_id) WHERE kind = 'device_silent' AND cleared_at IS NULL;

-- The admins' list across clients, newest first.
CREATE INDEX alerts_created_idx ON alerts (created_at DESC);

-- migrate:down
DROP INDEX alerts_created_idx;
DROP INDEX alerts_one_active_silence_idx;
DROP TRIGGER alerts_clear_at_hour_end ON alerts;
DROP FUNCTION alerts_clear_at_hour_end();
DELETE FROM alerts WHERE kind = 'device_silent';
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_fields;
ALTER TABLE alerts
  DROP COLUMN last_reading_at,
  DROP COLUMN cleared_at,
  DROP COLUMN kind,
  ALTER COLUMN hour_start SET NOT NULL,
  ALTER COLUMN total_kwh SET NOT NULL,
  ALTER COLUMN limit_kwh SET NOT NULL;
