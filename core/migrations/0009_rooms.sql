-- Operating rooms (phòng điều hành): the province IOC, department and district/region rooms.
-- A room's scope decides what its members see, on every REST answer and live event.
-- Never edit this file once released; put changes in a new NNNN_description.sql.

CREATE TABLE rooms (
  -- Slug used in URLs (/wall/{id}) and socket.io rooms (room:{id}).
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name_vi text NOT NULL,
  name_en text NOT NULL,
  -- Scope: admin unit codes (each means that unit and its whole subtree) and sectors.
  -- An empty list leaves that axis unrestricted; both empty: the whole province.
  scope_units text[] NOT NULL DEFAULT '{}',
  scope_sectors text[] NOT NULL DEFAULT '{}',
  -- Ordered scene definitions for the wall (see ioc-web/README.md, "Rooms").
  scenes jsonb NOT NULL DEFAULT '[]',
  -- Kiosk mode: rotate through the scenes by themselves.
  rotation boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE room_members (
  room_id text NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- operator: may act (alerts, commands) within the room; viewer: may only watch.
  room_role text NOT NULL CHECK (room_role IN ('operator', 'viewer')),
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_user_idx ON room_members (user_id);

-- The province IOC room sees everything; seeded once, an administrator may change it.
INSERT INTO rooms (id, name_vi, name_en, scenes)
VALUES (
  'tinh',
  'Trung tâm điều hành thông minh tỉnh',
  'Provincial Intelligent Operations Centre',
  '[{"id": "overview", "title": {"vi": "Toàn cảnh", "en": "Overview"}, "durationS": 60, "view": {"layers": ["sensors", "alerts", "kpi"]}}]'
);
