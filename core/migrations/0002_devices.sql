-- The device registry: every field device, its place (admin unit, sector, location) and its
-- credential. Types live in the device catalogue (data), so `type` is not a foreign key.
-- Never edit this file once released; put changes in a new NNNN_description.sql.

CREATE TABLE devices (
  -- The MQTT username and topic segment: 1-64 of [A-Za-z0-9._-] (devices/src/topics.ts).
  id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._-]{1,64}$'),
  name text NOT NULL,
  type text NOT NULL,
  -- Official administrative unit code (mã đơn vị hành chính) from the unit dataset.
  unit_code text NOT NULL,
  sector text NOT NULL,
  lat double precision CHECK (lat BETWEEN -90 AND 90),
  lon double precision CHECK (lon BETWEEN -180 AND 180),
  tags jsonb NOT NULL DEFAULT '{}',
  enabled boolean NOT NULL DEFAULT true,
  -- scrypt hash of the device secret; the secret itself is shown once and never stored.
  secret_hash text NOT NULL,
  secret_rotated_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz,
  -- Revoked devices keep their row (history, audit) and their id stays taken.
  revoked_at timestamptz,
  CHECK ((lat IS NULL) = (lon IS NULL))
);
CREATE INDEX devices_unit_code_idx ON devices (unit_code);
CREATE INDEX devices_type_idx ON devices (type);
CREATE INDEX devices_sector_idx ON devices (sector);
