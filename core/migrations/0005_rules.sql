-- Alert rules (ingest/src/rules) and the rule engine's evaluation state, so that pending
-- "for" timers, hysteresis and last report times survive a restart.
-- Never edit this file once released; put changes in a new NNNN_description.sql.

CREATE TABLE rules (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  name_vi text NOT NULL,
  name_en text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  severity text NOT NULL CHECK (severity IN ('critical', 'major', 'minor', 'warning', 'info')),
  -- Scope: every column given must match; all null = every source.
  scope_device text,
  scope_type text,
  scope_sector text,
  -- An admin unit code: the unit and everything below it.
  scope_unit text,
  -- The condition as checked by the rule schema: {"kind": "threshold", "metric": ...}.
  condition jsonb NOT NULL,
  message_vi text NOT NULL,
  message_en text NOT NULL,
  rate_limit_raises integer NOT NULL CHECK (rate_limit_raises > 0),
  rate_limit_per_s integer NOT NULL CHECK (rate_limit_per_s > 0),
  -- 'file': managed by the rules file (ingest.rulesFile), read-only over the API.
  origin text NOT NULL DEFAULT 'api' CHECK (origin IN ('api', 'file')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  created_by text,
  updated_by text
);
CREATE INDEX rules_scope_device_idx ON rules (scope_device) WHERE scope_device IS NOT NULL;

-- One row per rule and source (device id, or kpi:<kpi>:<unit>) that is not simply normal:
-- pending (waiting out "for"), firing, or watched for missing data.
CREATE TABLE rule_state (
  rule_id text NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
  source text NOT NULL,
  phase text NOT NULL CHECK (phase IN ('watching', 'pending', 'firing')),
  -- When the phase began (the start of a pending "for", the raise of a firing alert).
  since timestamptz NOT NULL,
  -- True once the alert store holds the raise (false while rate-limited or failing).
  raised boolean NOT NULL DEFAULT false,
  -- Missing-data rules: when the source last reported.
  last_report_at timestamptz,
  -- What the alert message needs: device, type, unit, sector, metric, value.
  detail jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rule_id, source)
);
