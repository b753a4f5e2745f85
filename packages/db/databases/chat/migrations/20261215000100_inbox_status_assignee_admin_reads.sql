-- migrate:up
-- The administrators' inbox as support inboxes work (Chatwoot, Intercom): a conversation is open or
-- resolved (an administrator resolves it; the client writing to the administrators again re-opens it),
-- may be claimed by one administrator (its assignee; chat never reads the auth database, so the name
-- shown is kept here as it was when they claimed it, like client_username), and every administrator
-- has their own read position.
CREATE TYPE conversation_status AS ENUM ('open', 'resolved');

ALTER TABLE conversations
  ADD COLUMN status            conversation_status NOT NULL DEFAULT 'open',
  ADD COLUMN assignee_id       uuid,
  ADD COLUMN assignee_username text,
  ADD CONSTRAINT conversations_assignee_complete CHECK ((assignee_id IS NULL) = (assignee_username IS NULL));

-- How far each administrator has read a conversation: their unread = the client's Admin-mode messages
-- after it. The shared `conversation_reads` row of party 'admins' is no longer written: it stays as the
-- position every administrator had read to before this migration (a floor under each one's own), so
-- the upgrade does not turn every old conversation unread again.
CREATE TABLE conversation_admin_reads (
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  admin_id        uuid NOT NULL,
  last_read_at    timestamptz(3) NOT NULL,
  PRIMARY KEY (conversation_id, admin_id)
);

-- migrate:down
DROP TABLE conversation_admin_reads;
ALTER TABLE conversations
  DROP CONSTRAINT conversations_assignee_complete,
  DROP COLUMN assignee_username,
  DROP COLUMN assignee_id,
  DROP COLUMN status;
DROP TYPE conversation_status;
