-- migrate:up
-- date_trunc('hour', timestamptz) truncates in the session's time zone, so the original CHECK rejected
-- UTC clock hours for sessions in zones with a fractional offset (e.g. Asia/Kolkata, +05:30).
-- Whole hours since the epoch are the same in every session.
ALTER TABLE hourly_consumption DROP CONSTRAINT hourly_consumption_hour_start_check;
ALTER TABLE hourly_consumption ADD CONSTRAINT hourly_consumption_hour_start_check
  CHECK (extract(epoch FROM hour_start) % 3600 = 0);

-- migrate:down
ALTER TABLE hourly_consumption DROP CONSTRAINT hourly_consumption_hour_start_check;
ALTER TABLE hourly_consumption ADD CONSTRAINT hourly_consumption_hour_start_check
  CHECK (date_trunc('hour', hour_start) = hour_start);
