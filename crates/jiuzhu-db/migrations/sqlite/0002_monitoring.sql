-- 0002: assistance status of households (the monitored population), department feeds as
-- dated immutable snapshots, verification authorisations and reports, monitoring runs and
-- alerts. SQLite flavour; keep in step with ../postgres/0002_monitoring.sql.

-- A household's assistance category (救助类别), dated like evidence: [valid_from, valid_to).
CREATE TABLE assistance_status (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    category     TEXT NOT NULL CHECK (category IN ('dibao', 'edge', 'tekun', 'lowinc', 'monitored')),
    valid_from   TEXT NOT NULL,
    valid_to     TEXT,
    recorded_at  TEXT NOT NULL,
    recorded_by  TEXT NOT NULL
);
CREATE INDEX assistance_status_household ON assistance_status (household_id);
CREATE UNIQUE INDEX assistance_status_current ON assistance_status (household_id) WHERE valid_to IS NULL;

-- The household's main labourer (主要劳动力), kept on the membership.
ALTER TABLE members ADD COLUMN main_laborer INTEGER NOT NULL DEFAULT 0;

-- Feed types (部门数据类型): built in or declared by an administrator. `columns` is a JSON
-- array of {"name", "type", "label"}; type is text, id_number, date, money or integer.
-- kind 'full': each snapshot is the whole register (the latest one counts);
-- kind 'events': each snapshot adds events (all snapshots count).
CREATE TABLE feed_types (
    name        TEXT PRIMARY KEY,
    label_zh    TEXT NOT NULL,
    label_en    TEXT NOT NULL,
    department  TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('full', 'events')),
    id_column   TEXT NOT NULL,
    columns     TEXT NOT NULL,
    builtin     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);

-- One import of a feed: dated, immutable, with its row count and the SHA-256 of the file.
CREATE TABLE feed_snapshots (
    id          INTEGER PRIMARY KEY,
    feed_type   TEXT NOT NULL REFERENCES feed_types (name),
    as_of       TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    format      TEXT NOT NULL,
    columns     TEXT NOT NULL,
    row_count   INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    report      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);
CREATE INDEX feed_snapshots_type ON feed_snapshots (feed_type, as_of);
CREATE UNIQUE INDEX feed_snapshots_file ON feed_snapshots (feed_type, sha256);

-- The rows of a snapshot: the ID number, and every cell as a JSON array of text in the
-- snapshot's column order (dates ISO, money with two decimals).
CREATE TABLE feed_rows (
    snapshot_id INTEGER NOT NULL REFERENCES feed_snapshots (id),
    line        INTEGER NOT NULL,
    id_number   TEXT NOT NULL,
    cells       TEXT NOT NULL
);
CREATE INDEX feed_rows_snapshot ON feed_rows (snapshot_id);
CREATE INDEX feed_rows_person ON feed_rows (id_number);
CREATE TRIGGER feed_rows_no_update BEFORE UPDATE ON feed_rows
BEGIN SELECT RAISE(ABORT, 'feed snapshots are immutable'); END;
CREATE TRIGGER feed_snapshots_no_update BEFORE UPDATE ON feed_snapshots
BEGIN SELECT RAISE(ABORT, 'feed snapshots are immutable'); END;

-- The applicant's signed authorisation to query department data (核对授权书).
CREATE TABLE authorisations (
    id               INTEGER PRIMARY KEY,
    household_id     INTEGER NOT NULL REFERENCES households (id),
    signer_name      TEXT NOT NULL,
    signer_id_number TEXT NOT NULL,
    scope            TEXT NOT NULL,
    signed_on        TEXT NOT NULL,
    scan_name        TEXT NOT NULL,
    scan_type        TEXT NOT NULL,
    scan_sha256      TEXT NOT NULL,
    scan             BLOB NOT NULL,
    recorded_at      TEXT NOT NULL,
    recorded_by      TEXT NOT NULL
);
CREATE INDEX authorisations_household ON authorisations (household_id);

-- A frozen verification report (核对报告): JSON with its SHA-256.
CREATE TABLE verification_reports (
    id               INTEGER PRIMARY KEY,
    household_id     INTEGER NOT NULL REFERENCES households (id),
    authorisation_id INTEGER NOT NULL REFERENCES authorisations (id),
    purpose          TEXT NOT NULL,
    as_of            TEXT NOT NULL,
    report           TEXT NOT NULL,
    sha256           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL
);
CREATE INDEX verification_reports_household ON verification_reports (household_id);

-- A run of a rule set for a month, on schedule or on demand.
CREATE TABLE monitor_runs (
    id          INTEGER PRIMARY KEY,
    rule_set    TEXT NOT NULL,
    month       TEXT NOT NULL,
    via         TEXT NOT NULL,
    population  INTEGER NOT NULL,
    findings    INTEGER NOT NULL,
    new_alerts  INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    started_by  TEXT NOT NULL
);

-- An alert (预警): one finding of a rule about a person or household, worked to closure.
CREATE TABLE alerts (
    id           INTEGER PRIMARY KEY,
    rule         TEXT NOT NULL,
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('person', 'household')),
    subject      TEXT NOT NULL,
    finding      TEXT NOT NULL,
    household_id INTEGER REFERENCES households (id),
    region_code  TEXT NOT NULL,
    township     TEXT NOT NULL,
    month        TEXT NOT NULL,
    run_id       INTEGER NOT NULL REFERENCES monitor_runs (id),
    severity     TEXT NOT NULL,
    action       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('new', 'assigned', 'investigating', 'closed')),
    assignee     TEXT,
    deadline     TEXT NOT NULL,
    outcome      TEXT,
    note         TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    closed_at    TEXT
);
CREATE UNIQUE INDEX alerts_finding ON alerts (rule, subject, finding);
CREATE INDEX alerts_township ON alerts (township, status);
CREATE INDEX alerts_household ON alerts (household_id);
