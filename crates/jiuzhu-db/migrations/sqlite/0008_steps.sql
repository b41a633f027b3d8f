-- 0008: one record of steps for everything that moves through them: a case item's steps
-- and notes, an alert's life, and the field work of visits and emergencies to come.
-- SQLite flavour; keep in step with ../postgres/0008_steps.sql.

CREATE TABLE step_events (
    id         INTEGER PRIMARY KEY,
    -- What moves: case_item, alert.
    subject    TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    step       TEXT NOT NULL,
    action     TEXT NOT NULL,
    data       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX step_events_subject ON step_events (subject, subject_id);

INSERT INTO step_events (id, subject, subject_id, step, action, data, actor, at)
    SELECT id, 'case_item', item_id, step, action, data, actor, at FROM case_events;
DROP TABLE case_events;
