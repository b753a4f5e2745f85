-- migrate:up
-- Copy of each device's owner and limit, maintained from sync events. A deleted device keeps its row
-- (deleted = true) so that its version still guards against older events arriving later.
CREATE TABLE devices (
  device_id              uuid PRIMARY KEY,
  owner_id               uuid,
  max_hourly_consumption numeric(12, 3) NOT NULL CHECK (max_hourly_consumption >= 0),
  version                integer NOT NULL CHECK (version > 0),
  deleted                boolean NOT NULL DEFAULT false,
  updated_at             timestamptz(3) NOT NULL DEFAULT now()
);

CREATE INDEX devices_owner_id_idx ON devices (owner_id);

-- Sum of readings per device and UTC clock hour. numeric keeps sums exact.
CREATE TABLE hourly_consumption (
  device_id     uuid NOT NULL REFERENCES devices (device_id) ON DELETE CASCADE,
  hour_start    timestamptz(3) NOT NULL CHECK (date_trunc('hour', hour_start) = hour_start),
  total_kwh     numeric NOT NULL CHECK (total_kwh >= 0),
  reading_count integer NOT NULL CHECK (reading_count > 0),
  updated_at    timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, hour_start)
);

-- One row per reading ever counted: a redelivered reading (same device and timestamp) conflicts here
-- and is not added again.
CREATE TABLE processed_readings (
  device_id  uuid NOT NULL,
  reading_at timestamptz(3) NOT NULL,
  PRIMARY KEY (device_id, reading_at)
);

-- At most one alert per device-hour; owner_id is the owner when the limit was first exceeded.
CREATE TABLE alerts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  device_id       uuid NOT NULL REFERENCES devices (device_id) ON DELETE CASCADE,
  owner_id        uuid,
  hour_start      timestamptz(3) NOT NULL,
  total_kwh       numeric NOT NULL CHECK (total_kwh >= 0),
  limit_kwh       numeric(12, 3) NOT NULL CHECK (limit_kwh >= 0),
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  acknowledged_at timestamptz(3),
  UNIQUE (device_id, hour_start)
);

CREATE INDEX alerts_owner_created_idx ON alerts (owner_id, created_at DESC);

-- migrate:down
DROP TABLE alerts;
DROP TABLE processed_readings;
DROP TABLE hourly_consumption;
DROP TABLE devices;
