-- migrate:up
-- What the chat processes learned from `sessions.ended` (web → chat, durable through the auth
-- database's outbox): per user, the lowest session version a socket token may still carry. The handshake
-- refuses a token whose `sv` is below it, so a token cached before a sign-out, password change or
-- demotion cannot open a socket (and rejoin `admins`) during the rest of its lifetime. Chat never reads
-- the auth database; this is its own copy, shared by every chat process. A deleted user's floor is
-- 2147483647: no token of theirs passes. One row per user, only ever raised.
CREATE TABLE session_floors (
  user_id             uuid PRIMARY KEY,
  min_session_version integer NOT NULL CHECK (min_session_version > 0),
  reason              text NOT NULL CHECK (reason IN ('deleted', 'role-changed', 'password-changed', 'signed-out')),
  ended_at            timestamptz(3) NOT NULL,
  updated_at          timestamptz(3) NOT NULL DEFAULT now()
);

-- migrate:down
DROP TABLE session_floors;
