-- OPC-UA servers and the node -> device/metric mappings that ingest reads from them. Managed
-- through /api/v1/opcua; a mapping file (ingest.opcuaMappingFile) and the demo PLC write
-- the servers they list here on every start (source 'file' / 'demo').
-- Never edit this file once released; put changes in a new NNNN_description.sql.

CREATE TABLE opcua_servers (
  -- Short name used in API paths and metrics, e.g. `danang-plc`.
  id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),
  endpoint_url text NOT NULL CHECK (endpoint_url LIKE 'opc.tcp://%'),
  security_mode text NOT NULL DEFAULT 'None'
    CHECK (security_mode IN ('None', 'Sign', 'SignAndEncrypt')),
  security_policy text NOT NULL DEFAULT 'None'
    CHECK (security_policy IN ('None', 'Basic128Rsa15', 'Basic256', 'Basic256Sha256',
                               'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss')),
  username text,
  -- The client must present it to the server, so it cannot be hashed; the API never returns it.
  password text,
  publishing_interval_ms integer NOT NULL DEFAULT 1000
    CHECK (publishing_interval_ms BETWEEN 10 AND 3600000),
  enabled boolean NOT NULL DEFAULT true,
  source text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'file', 'demo')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((username IS NULL) = (password IS NULL)),
  CHECK ((security_mode = 'None') = (security_policy = 'None'))
);

CREATE TABLE opcua_nodes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  server_id text NOT NULL REFERENCES opcua_servers (id) ON DELETE CASCADE,
  -- e.g. `nsu=urn:ioc:simulators:da-nang-plc;s=DaNang.PumpStations.HoaXuan.InletLevel`.
  node_id text NOT NULL,
  -- Not a foreign key: the file may map devices provisioned later; the API checks the registry.
  device_id text NOT NULL,
  metric text NOT NULL,
  sampling_interval_ms integer NOT NULL DEFAULT 1000
    CHECK (sampling_interval_ms BETWEEN 0 AND 3600000),
  -- Null: the server's publishing interval.
  publishing_interval_ms integer CHECK (publishing_interval_ms BETWEEN 10 AND 3600000),
  deadband_type text CHECK (deadband_type IN ('absolute', 'percent')),
  deadband_value double precision CHECK (deadband_value >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((deadband_type IS NULL) = (deadband_value IS NULL)),
  -- One source per series: two nodes feeding one device metric would interleave their values.
  UNIQUE (device_id, metric)
);
CREATE INDEX opcua_nodes_server_id_idx ON opcua_nodes (server_id);
