-- migrate:up
CREATE TYPE message_source AS ENUM ('client', 'rule', 'ai', 'fallback', 'admin');
CREATE TYPE chat_mode AS ENUM ('bot', 'admin');
CREATE TYPE reader_party AS ENUM ('admins', 'client');

-- One conversation per client (the admins share it).
CREATE TABLE conversations (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  client_id       uuid NOT NULL UNIQUE,
  client_username text NOT NULL,
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  last_message_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE INDEX conversations_last_message_idx ON conversations (last_message_at DESC);

CREATE TABLE messages (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  sender_id       uuid,
  source          message_source NOT NULL,
  mode            chat_mode NOT NULL,
  body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
  created_at      timestamptz(3) NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX messages_conversation_created_idx ON messages (conversation_id, created_at);

-- How far each side has read a conversation: unread = messages from the other side after last_read_at.
CREATE TABLE conversation_reads (
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  party           reader_party NOT NULL,
  last_read_at    timestamptz(3) NOT NULL,
  PRIMARY KEY (conversation_id, party)
);

-- migrate:down
DROP TABLE conversation_reads;
DROP TABLE messages;
DROP TABLE conversations;
DROP TYPE reader_party;
DROP TYPE chat_mode;
DROP TYPE message_source;
