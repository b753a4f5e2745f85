-- migrate:up
CREATE TABLE devices (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text CHECK (description IS NULL OR length(description) <= 2000),
  address     text CHECK (address IS NULL OR length(address) <= 500),
  -- kWh allowed per clock hour before an over-consumption alert.
  max_hourly_consumption numeric(12, 3) NOT NULL CHECK (max_hourly_consumption >= 0),
  -- The owning user's id (user database); NULL while unassigned.
  owner_id    uuid,
  -- Incremented on every change; carried by sync events so monitoring can drop stale ones.
  version     integer NOT NULL DEFAULT 1 CHECK (version > 0),
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  updated_at  timestamptz(3) NOT NULL DEFAULT now()
);

CREATE INDEX devices_owner_id_idx ON devices (owner_id);

-- Transactional outbox: each device change writes its sync event here in the same transaction;
-- the relay publishes unpublished rows in id order and stamps published_at after the broker confirms.
CREATE TABLE outbox (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_id    uuid NOT NULL,
  event_type   text NOT NULL CHECK (event_type IN ('device.created', 'device.updated', 'device.assigned', 'device.unassigned', 'device.deleted')),
  payload      jsonb NOT NULL,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  published_at timestamptz(3),
  attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error   text
);

CREATE INDEX outbox_pending_idx ON outbox (id) WHERE published_at IS NULL;

-- migrate:down
DROP TABLE outbox;
DROP TABLE devices;
