-- Video conferences (hội nghị truyền hình) the province convenes, scheduled or instant (from an
-- alert), who attended them, and the key that signs the units' join links (media/src/conferences).
-- Never edit this file once released; put changes in a new NNNN_description.sql.

CREATE TABLE conferences (
  id uuid PRIMARY KEY,
  title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
  -- Admin unit codes: the unit that chairs, the invited endpoints (điểm cầu), and those of the
  -- invited that speak.
  chair_unit text NOT NULL,
  invited_units text[] NOT NULL CHECK (cardinality(invited_units) BETWEEN 1 AND 500),
  speaker_units text[] NOT NULL DEFAULT '{}',
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  -- 'scheduled' until cancelled or ended; a scheduled conference past ends_at reads as ended.
  status text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled', 'ended')),
  -- The alert it was convened from ("convene the affected communes"), if any.
  alert_id text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  cancelled_at timestamptz,
  cancelled_by text,
  CHECK (ends_at > starts_at),
  CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE INDEX conferences_starts_at_idx ON conferences (starts_at DESC);
CREATE INDEX conferences_alert_id_idx ON conferences (alert_id) WHERE alert_id IS NOT NULL;

-- One row per peer seated in a conference: joined, and left (with why) once it has gone.
CREATE TABLE conference_attendance (
  id bigserial PRIMARY KEY,
  conference_id uuid NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
  peer_id text NOT NULL,
  -- The unit of a join link, or the signed-in user; one of the two.
  unit_code text,
  user_id text,
  display_name text NOT NULL,
  role text NOT NULL CHECK (role IN ('chair', 'speaker', 'participant', 'viewer')),
  joined_at timestamptz NOT NULL,
  left_at timestamptz,
  -- leave, disconnect, expired, worker-died, conference-ended
  reason text,
  UNIQUE (conference_id, peer_id)
);

-- The HMAC key of join-link tokens: made once by whichever process needs it first, then read
-- by every process, so links signed by one are accepted by all. Tokens themselves are never stored.
CREATE TABLE conference_link_key (
  id smallint PRIMARY KEY CHECK (id = 1),
  -- 32 random bytes, base64url.
  secret text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
