-- Accounts, sessions, API tokens and the audit log: who may do what, and who did what.
-- Never edit this file once released; put changes in a new NNNN_description.sql.

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username text NOT NULL UNIQUE,
  display_name text,
  password_hash text NOT NULL,
  role text NOT NULL
    CHECK (role IN ('admin', 'ioc-operator', 'room-operator', 'viewer', 'service')),
  disabled boolean NOT NULL DEFAULT false,
  failed_logins integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
  -- sha256 (hex) of the cookie value: a leaked table does not yield usable cookies.
  id text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  ip text,
  user_agent text
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE api_tokens (
  -- The public id part of the token; the secret part is stored only as a hash.
  id text PRIMARY KEY,
  name text NOT NULL,
  secret_hash text NOT NULL,
  role text NOT NULL
    CHECK (role IN ('admin', 'ioc-operator', 'room-operator', 'viewer', 'service')),
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  target text,
  ip text,
  outcome text NOT NULL DEFAULT 'ok',
  details jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
