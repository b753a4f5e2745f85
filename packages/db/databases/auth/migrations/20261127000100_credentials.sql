-- migrate:up
CREATE TYPE user_role AS ENUM ('admin', 'client');

CREATE TABLE credentials (
  user_id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Usernames are stored normalised (lower case) so uniqueness is case-insensitive.
  username       text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{3,32}$'),
  password_hash  text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  role           user_role NOT NULL DEFAULT 'client',
  -- Bumped on password change or deletion: sessions carrying an older value are rejected.
  session_version integer NOT NULL DEFAULT 1 CHECK (session_version > 0),
  created_at     timestamptz(3) NOT NULL DEFAULT now(),
  updated_at     timestamptz(3) NOT NULL DEFAULT now()
);

-- Failed-login throttling, shared by every web replica. key is 'user:<name>' or 'ip:<address>'.
CREATE TABLE login_throttle (
  key          text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 300),
  failures     integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  window_start timestamptz(3) NOT NULL DEFAULT now(),
  locked_until timestamptz(3)
);

-- migrate:down
DROP TABLE login_throttle;
DROP TABLE credentials;
DROP TYPE user_role;
