-- Telemetry the ingest pipeline refused, with the raw payload, so that an operator can see
-- what a device sent and why it was not stored. One row per rejection of a message.
-- Never edit this file once released; put changes in a new NNNN_description.sql.

CREATE TABLE dead_letters (
  id bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL,
  device_id text NOT NULL,
  -- The MQTT topic, or the source's address (e.g. an OPC-UA node) for other sources.
  topic text,
  code text NOT NULL,
  message text NOT NULL,
  -- The metric concerned when one value was refused; null when the whole message was.
  metric text,
  -- The raw payload, cut at the ingest dead-letter payload limit; payload_bytes is its full size.
  payload bytea,
  payload_bytes integer NOT NULL DEFAULT 0,
  source text NOT NULL
);
CREATE INDEX dead_letters_received_at_idx ON dead_letters (received_at);
CREATE INDEX dead_letters_device_id_idx ON dead_letters (device_id, received_at);
