-- migrate:up
-- ems_chat_bot: the role chat's AI tools read the asking user's own devices as (apps/workers README,
-- "Bot mode"). It may read the columns the tools show and nothing else (no outbox, no other table) and
-- its sessions are read-only. A cluster-wide role: created here and in the monitoring database's
-- migrations, whichever runs first (in the stack each database is its own server; in development one
-- server holds all five). LOGIN without a password: it can sign in only where the server trusts the
-- connection (development); the stack's migrator gives it the password of the chat_bot_db_password secret.
DO $$
BEGIN
  CREATE ROLE ems_chat_bot LOGIN;
  -- Only by its creator: two databases' migrations altering one role at once fail ("tuple concurrently updated").
  ALTER ROLE ems_chat_bot SET default_transaction_read_only = on;
EXCEPTION
  -- Exists already, or another database's migration created it at the same moment.
  WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
GRANT SELECT (id, name, description, address, max_hourly_consumption, owner_id) ON devices TO ems_chat_bot;

-- migrate:down
REVOKE SELECT ON devices FROM ems_chat_bot;
