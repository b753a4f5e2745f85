-- migrate:up
CREATE TYPE user_role AS ENUM ('admin', 'client');

-- id is the same UUID as credentials.user_id in the auth database (no cross-database foreign key).
CREATE TABLE profiles (
  id         uuid PRIMARY KEY,
  username   text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{3,32}$'),
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  email      text UNIQUE CHECK (email IS NULL OR (length(email) <= 254 AND email LIKE '%_@_%')),
  address    text CHECK (address IS NULL OR length(address) <= 500),
  role       user_role NOT NULL DEFAULT 'client',
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  updated_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE INDEX profiles_role_idx ON profiles (role);

-- migrate:down
DROP TABLE profiles;
DROP TYPE user_role;
