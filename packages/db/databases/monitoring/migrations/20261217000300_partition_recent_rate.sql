-- migrate:up
-- Each partition's live rate, for the admin console: the readings the replica holding the partition newly
-- counted from its queue (duplicates and held readings not included) in its last complete window
-- (MONITORING_RATE_WINDOW_MS, 10 s by default). The replica writes it once per window, one UPDATE for all
-- the partitions it holds, never per batch. The window is on the database's clock (its end is now() at
-- the write, its start that minus the length the replica measured). Nothing clears it when the replica
-- stops: readers take a window that ended more than a few window lengths ago as no recent data.
-- All three NULL until a replica recorded a window.
ALTER TABLE monitoring_partitions
  ADD COLUMN recent_readings integer,
  ADD COLUMN recent_window_start timestamptz(3),
  ADD COLUMN recent_window_end timestamptz(3),
  ADD CONSTRAINT monitoring_partitions_recent_window CHECK (
    (recent_readings IS NULL AND recent_window_start IS NULL AND recent_window_end IS NULL)
    OR (recent_readings >= 0 AND recent_window_start IS NOT NULL AND recent_window_end > recent_window_start)
  );

-- migrate:down
ALTER TABLE monitoring_partitions
  DROP CONSTRAINT monitoring_partitions_recent_window,
  DROP COLUMN recent_readings,
  DROP COLUMN recent_window_start,
  DROP COLUMN recent_window_end;
