-- migrate:up
-- The role is kept in one place, the auth database's credentials.role, where it changes in the same
-- transaction as the session version that ends the user's sessions. This copy was kept equal to it only
-- by hand-ordered writes and undos across the two databases, and could disagree after a failure.
ALTER TABLE profiles DROP COLUMN role;
DROP TYPE user_role;

-- migrate:down
-- The copy comes back as 'client' for everyone: the roles are in the auth database.
CREATE TYPE user_role AS ENUM ('admin', 'client');
ALTER TABLE profiles ADD COLUMN role user_role NOT NULL DEFAULT 'client';
CREATE INDEX profiles_role_idx ON profiles (role);
