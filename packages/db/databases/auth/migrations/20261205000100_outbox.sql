-- migrate:up
-- Transactional outbox of the auth database. The end of a user's sessions — sign-out, password change,
-- role change, deletion — is written here in the same transaction that moves their session_version on
-- (or deletes their credentials), so it cannot be lost: the web app's outbox relay (the same code that
-- relays the device outbox, apps/web/src/server/outbox/) publishes each row as `sessions.ended` on the
-- notifications exchange once RabbitMQ takes it, in id order, and stamps published_at. Chat then voids
-- the user's older socket tokens and drops their sockets.
CREATE TABLE outbox (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id      uuid NOT NULL,
  event_type   text NOT NULL CHECK (event_type IN ('sessions.ended')),
  -- The message body (@ems/contracts/notifications sessionsEndedSchema).
  payload      jsonb NOT NULL,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  published_at timestamptz(3),
  attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error   text
);

CREATE INDEX outbox_pending_idx ON outbox (id) WHERE published_at IS NULL;

-- migrate:down
DROP TABLE outbox;
