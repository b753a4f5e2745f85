-- migrate:up
-- The Socket.IO Postgres adapter relays broadcasts between chat processes with NOTIFY, whose payload is
-- limited to 8,000 bytes; larger (or binary) broadcasts are stored here and only their id is notified.
-- The adapter deletes rows older than 30 seconds.
CREATE TABLE socket_io_attachments (
  id         bigserial PRIMARY KEY,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  payload    bytea NOT NULL
);

-- migrate:down
DROP TABLE socket_io_attachments;
