-- Alert notifications: who is told about which alert changes (subscriptions), and every
-- delivery with its attempts, so that admins can see failures and a restart resumes what
-- was still pending. Never edit this file once released; put changes in a new NNNN_description.sql.

CREATE TABLE notification_subscriptions (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  channel text NOT NULL CHECK (channel IN ('webhook', 'email')),
  -- Webhook: where to POST, and the HMAC-SHA256 key that signs each body. The key is kept
  -- in clear because signing needs it; the API never shows it after creation.
  webhook_url text,
  webhook_secret text,
  -- E-mail: the addresses one message goes to.
  email_recipients text[] NOT NULL DEFAULT '{}',
  -- Filters. min_severity: the least severe level notified. Empty sectors: every sector.
  -- unit_code: an admin-unit subtree (that unit and everything below); null: everywhere.
  min_severity text NOT NULL DEFAULT 'info'
    CHECK (min_severity IN ('critical', 'major', 'minor', 'warning', 'info')),
  sectors text[] NOT NULL DEFAULT '{}',
  unit_code text,
  -- The alert change kinds (bus AlertChangeKind) that trigger a notification.
  changes text[] NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (channel <> 'webhook' OR (webhook_url IS NOT NULL AND webhook_secret IS NOT NULL)),
  CHECK (channel <> 'email' OR cardinality(email_recipients) > 0)
);

CREATE TABLE notification_deliveries (
  id text PRIMARY KEY,
  subscription_id text NOT NULL REFERENCES notification_subscriptions (id) ON DELETE CASCADE,
  alert_id text NOT NULL,
  -- The alert change kind, or 'test' for a test notification.
  change text NOT NULL,
  -- The exact JSON sent (retries and a resumed delivery send the same bytes).
  body text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dropped', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  -- HTTP status of the last webhook answer, or the SMTP reply code; null when none came.
  last_status integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_attempt_at timestamptz,
  next_attempt_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX notification_deliveries_pending_idx ON notification_deliveries (next_attempt_at)
  WHERE status = 'pending';
CREATE INDEX notification_deliveries_created_at_idx ON notification_deliveries (created_at);
CREATE INDEX notification_deliveries_subscription_idx
  ON notification_deliveries (subscription_id, created_at);
