-- migrate:up
-- Every partition queue ({queue_prefix}sensor.queue.{partition_index}) a monitoring replica has ever
-- consumed. Which replica consumes a partition now is not stored here: it is the session holding the
-- advisory lock (class derived from the queue prefix, partition_index), as pg_locks shows. This table
-- bounds the partition queues replicas look into for leftover readings after the partition count shrank,
-- and says who claimed each one last (for operators; after a crash that replica may be gone).
-- queue_prefix is empty in production; test runs use their own, so they never share partitions.
CREATE TABLE monitoring_partitions (
  queue_prefix     text NOT NULL DEFAULT '',
  partition_index  integer NOT NULL CHECK (partition_index >= 0 AND partition_index < 1024),
  first_claimed_at timestamptz(3) NOT NULL DEFAULT now(),
  last_claimed_at  timestamptz(3) NOT NULL DEFAULT now(),
  last_claimed_by  text NOT NULL,
  PRIMARY KEY (queue_prefix, partition_index)
);

-- migrate:down
DROP TABLE monitoring_partitions;
