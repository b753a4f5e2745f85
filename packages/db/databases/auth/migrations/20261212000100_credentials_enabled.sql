-- migrate:up
-- An account spans two databases: credentials here, the profile in the user database. With no
-- transaction across them, creation writes the credentials disabled, then the profile, and enables the
-- credentials last (apps/web/src/server/domain/users.ts, packages/db/src/bootstrap.ts). Only enabled
-- credentials sign in, get a token or keep a session, so a creation that stops at any step leaves
-- nothing that signs in; the same request again completes it, and a disabled row older than any request
-- can take is cleared by the next creation of that username.
-- Existing rows are enabled (they signed in before this migration); new rows start disabled.
ALTER TABLE credentials ADD COLUMN enabled boolean NOT NULL DEFAULT true;
ALTER TABLE credentials ALTER COLUMN enabled SET DEFAULT false;

-- credentials.role is the one place a user's role is kept: sign-in, sessions, API and socket tokens,
-- the admin pages and device assignment all read it here, and it changes together with
-- session_version and the sessions.ended outbox row, in one transaction. The user database no longer
-- has a copy (its migration 20261212000100_profiles_without_role).

-- migrate:down
ALTER TABLE credentials DROP COLUMN enabled;
