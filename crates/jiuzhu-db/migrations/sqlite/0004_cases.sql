-- 0004: one-door intake and approval: applications (申请), their program items (事项) routed
-- to departments, each item's steps and events, and administrator settings (the holiday
-- calendar). SQLite flavour; keep in step with ../postgres/0004_cases.sql.

CREATE TABLE applications (
    id                  INTEGER PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE,
    household_id        INTEGER NOT NULL REFERENCES households (id),
    applicant_id_number TEXT NOT NULL,
    applicant_name      TEXT NOT NULL,
    channel             TEXT NOT NULL CHECK (channel IN ('window', 'online', 'proxy', 'discovery', 'alert')),
    proxy_name          TEXT NOT NULL DEFAULT '',
    proxy_id_number     TEXT NOT NULL DEFAULT '',
    source_ref          TEXT NOT NULL DEFAULT '',
    requested           TEXT NOT NULL,
    authorisation_id    INTEGER REFERENCES authorisations (id),
    notice              TEXT NOT NULL,
    taken_by            TEXT NOT NULL,
    taken_region        TEXT NOT NULL,
    created_at          TEXT NOT NULL
);
CREATE INDEX applications_household ON applications (household_id);
CREATE INDEX applications_taken_by ON applications (taken_by);

-- A program item of an application, routed to the department that decides it.
CREATE TABLE case_items (
    id                 INTEGER PRIMARY KEY,
    application_id     INTEGER NOT NULL REFERENCES applications (id),
    household_id       INTEGER NOT NULL REFERENCES households (id),
    program            TEXT NOT NULL,
    department         TEXT NOT NULL,
    region_code        TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('open', 'approved', 'rejected', 'withdrawn')),
    steps              TEXT NOT NULL,
    step_index         INTEGER NOT NULL,
    approval           TEXT NOT NULL,
    deadline           TEXT NOT NULL,
    green_channel      INTEGER NOT NULL DEFAULT 0,
    paperwork_deadline TEXT,
    notice_from        TEXT,
    amount_fen         INTEGER,
    receipt            TEXT,
    receipt_sha256     TEXT,
    overdue_notified   INTEGER NOT NULL DEFAULT 0,
    opened_at          TEXT NOT NULL,
    closed_at          TEXT
);
CREATE INDEX case_items_queue ON case_items (department, status, region_code);
CREATE UNIQUE INDEX case_items_open ON case_items (household_id, program) WHERE status = 'open';

-- What happened to an item: a step completed, returned, a transfer, an objection and its
-- answer, a supervision notice. `data` is the step's form (JSON).
CREATE TABLE case_events (
    id       INTEGER PRIMARY KEY,
    item_id  INTEGER NOT NULL REFERENCES case_items (id),
    step     TEXT NOT NULL,
    action   TEXT NOT NULL,
    data     TEXT NOT NULL,
    actor    TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX case_events_item ON case_events (item_id);

-- Attachments of a step (photos, records), kept in the database.
CREATE TABLE case_files (
    id        INTEGER PRIMARY KEY,
    item_id   INTEGER NOT NULL REFERENCES case_items (id),
    step      TEXT NOT NULL,
    name      TEXT NOT NULL,
    mime      TEXT NOT NULL,
    sha256    TEXT NOT NULL,
    content   BLOB NOT NULL,
    added_by  TEXT NOT NULL,
    added_at  TEXT NOT NULL
);
CREATE INDEX case_files_item ON case_files (item_id);

-- Settings an administrator edits (the holiday calendar, key 'calendar').
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
