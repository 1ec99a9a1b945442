-- Alerts raised by the rule engine and handled by people (ingest/src/alerts), and the history
-- of every change to them: who did what, when.
-- Never edit this file once released; put changes in a new NNNN_description.sql.

CREATE TABLE alerts (
  -- Short numbers operators can read out ("sự cố số 1234").
  id bigserial PRIMARY KEY,
  -- 'storm': a parent alert grouping many alerts of one rule under one admin unit.
  kind text NOT NULL DEFAULT 'alert' CHECK (kind IN ('alert', 'storm')),
  rule_id text NOT NULL,
  -- A device id, `kpi:<kpi>:<unit>` for a KPI rule, `storm:<unit>` for a storm.
  source text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('critical', 'major', 'minor', 'warning', 'info')),
  state text NOT NULL CHECK (state IN ('active', 'acknowledged', 'resolved', 'cleared')),
  message_vi text NOT NULL,
  message_en text NOT NULL,
  device_id text,
  unit_code text,
  -- The admin unit a storm of this rule is counted under (the parent of unit_code); null: never grouped.
  storm_unit text,
  sector text,
  metric text,
  -- A number or a boolean.
  value jsonb,
  -- Raises while open; for a storm, the alerts grouped under it.
  count integer NOT NULL DEFAULT 1 CHECK (count >= 1),
  raised_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by text,
  assignee text,
  -- Resolved (by a person) or cleared (by the system): when and by whom.
  ended_at timestamptz,
  ended_by text,
  escalation_level integer NOT NULL DEFAULT 0 CHECK (escalation_level >= 0),
  escalated_at timestamptz,
  parent_id bigint REFERENCES alerts (id),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((state IN ('active', 'acknowledged')) = (ended_at IS NULL)),
  CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL))
);

-- One open alert per rule and source, whatever the number of processes raising it: a raise
-- while one is open updates it (INSERT ... ON CONFLICT), a closed alert is never reopened.
CREATE UNIQUE INDEX alerts_one_open_per_rule_source ON alerts (rule_id, source)
  WHERE state IN ('active', 'acknowledged');
-- Lists: newest first.
CREATE INDEX alerts_raised_at_idx ON alerts (raised_at DESC, id DESC);
CREATE INDEX alerts_unit_code_idx ON alerts (unit_code, raised_at);
-- Escalation scans and storm counting look at open alerts only.
CREATE INDEX alerts_open_idx ON alerts (severity, raised_at)
  WHERE state = 'active' AND parent_id IS NULL;
CREATE INDEX alerts_storm_members_idx ON alerts (rule_id, storm_unit, raised_at)
  WHERE state IN ('active', 'acknowledged') AND parent_id IS NULL AND kind = 'alert';
CREATE INDEX alerts_parent_id_idx ON alerts (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE alert_history (
  id bigserial PRIMARY KEY,
  alert_id bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  -- Who: the acting person as the audit log names them; null for the system.
  actor text,
  change text NOT NULL CHECK (change IN ('raised', 'retriggered', 'acknowledged', 'assigned',
    'commented', 'resolved', 'cleared', 'escalated', 'grouped')),
  -- The alert's state after the change.
  state text NOT NULL,
  -- A comment, or the note given with an acknowledgement or resolution.
  comment text,
  details jsonb
);
CREATE INDEX alert_history_alert_id_idx ON alert_history (alert_id, id);
