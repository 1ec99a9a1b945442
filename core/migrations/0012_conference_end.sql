-- A conference the chair ends before its scheduled end: when and by whom. Its join links stop
-- working at once (media/src/conferences). Never edit this file once released.

ALTER TABLE conferences ADD COLUMN ended_at timestamptz;
ALTER TABLE conferences ADD COLUMN ended_by text;
-- Only a conference stored as 'ended' (ended early) has an end time; one that simply ran past
-- ends_at stays 'scheduled' in SQL and reads as ended.
ALTER TABLE conferences
  ADD CONSTRAINT conferences_ended_check CHECK ((status = 'ended') = (ended_at IS NOT NULL));
