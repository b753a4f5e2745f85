-- migrate:up
-- ems_chat_bot: the role chat's AI tools read the asking user's own consumption and alarms as (see the
-- device database's migration of the same name, which may have created it: one role per server).
DO $$
BEGIN
  CREATE ROLE ems_chat_bot LOGIN;
  ALTER ROLE ems_chat_bot SET default_transaction_read_only = on;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
GRANT SELECT (device_id, hour_start, total_kwh) ON hourly_consumption TO ems_chat_bot;
GRANT SELECT (device_id, owner_id, kind, hour_start, total_kwh, limit_kwh, last_reading_at, created_at, cleared_at, acknowledged_at)
  ON alerts TO ems_chat_bot;

-- migrate:down
REVOKE SELECT ON hourly_consumption, alerts FROM ems_chat_bot;
