-- 0001: regions, registry (households, persons, members, evidence, supporters), users,
-- sessions, API tokens and the hash-chained audit log. SQLite flavour; keep in step with
-- ../postgres/0001_registry.sql (same tables, columns and meanings).

-- The national division tree (行政区划), loaded from the embedded data on first start.
CREATE TABLE regions (
    code   TEXT PRIMARY KEY,            -- 2/4/6/9/12 digits
    name   TEXT NOT NULL,
    parent TEXT,                        -- NULL for provinces
    level  INTEGER NOT NULL             -- 1 province .. 5 village
);
CREATE INDEX regions_parent ON regions (parent);

-- A household (家庭/户): the unit of means testing.
CREATE TABLE households (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,  -- household number, e.g. H0000000001
    region_code  TEXT NOT NULL,         -- 12-digit village code
    hukou        TEXT NOT NULL CHECK (hukou IN ('urban', 'rural')),
    address      TEXT NOT NULL DEFAULT '',
    bank_name    TEXT NOT NULL DEFAULT '',
    bank_account TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX households_region ON households (region_code);

-- A person, identified by the resident ID number.
CREATE TABLE persons (
    id         INTEGER PRIMARY KEY,
    id_number  TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    sex        TEXT NOT NULL CHECK (sex IN ('M', 'F')),
    birth_date TEXT NOT NULL,
    phone      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX persons_name ON persons (name);

-- Dated membership (共同生活家庭成员): [valid_from, valid_to); valid_to NULL = current.
CREATE TABLE members (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    person_id    INTEGER NOT NULL REFERENCES persons (id),
    relation     TEXT NOT NULL,
    valid_from   TEXT NOT NULL,
    valid_to     TEXT
);
CREATE INDEX members_household ON members (household_id);
CREATE UNIQUE INDEX members_current_person ON members (person_id) WHERE valid_to IS NULL;

-- Dated evidence about a person or a household. Never overwritten: a correction sets
-- valid_to/ended_at on the old row and inserts a new one.
CREATE TABLE evidence (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER REFERENCES households (id),   -- household evidence
    person_id    INTEGER REFERENCES persons (id),      -- person evidence
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL,
    amount_fen   INTEGER,                              -- money kinds only
    source       TEXT NOT NULL CHECK (source IN ('declared', 'verified', 'home_visit')),
    valid_from   TEXT NOT NULL,
    valid_to     TEXT,
    note         TEXT NOT NULL DEFAULT '',
    recorded_at  TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    ended_at     TEXT,
    ended_by     TEXT,
    CHECK ((household_id IS NULL) <> (person_id IS NULL))
);
CREATE INDEX evidence_household ON evidence (household_id) WHERE household_id IS NOT NULL;
CREATE INDEX evidence_person ON evidence (person_id) WHERE person_id IS NOT NULL;

-- Legally obliged supporters living elsewhere (赡养、扶养、抚养义务人), dated like evidence.
CREATE TABLE supporters (
    id                  INTEGER PRIMARY KEY,
    household_id        INTEGER NOT NULL REFERENCES households (id),
    id_number           TEXT NOT NULL,
    name                TEXT NOT NULL DEFAULT '',
    relation            TEXT NOT NULL DEFAULT '',
    annual_income_fen   INTEGER NOT NULL,
    status              TEXT NOT NULL,
    has_luxury          INTEGER NOT NULL,
    source              TEXT NOT NULL,
    valid_from          TEXT NOT NULL,
    valid_to            TEXT,
    recorded_at         TEXT NOT NULL,
    recorded_by         TEXT NOT NULL
);
CREATE UNIQUE INDEX supporters_current ON supporters (household_id, id_number) WHERE valid_to IS NULL;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    scope_region  TEXT NOT NULL,
    department    TEXT NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    created_at    TEXT NOT NULL
);

-- Browser sessions; the cookie holds a random token, the table its SHA-256.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    ip         TEXT NOT NULL DEFAULT ''
);

-- Bearer tokens for machine clients of the API.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);

-- Append-only audit log; each row's hash covers the previous row's hash.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    role         TEXT NOT NULL,
    ip           TEXT NOT NULL,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    household_id INTEGER,
    detail       TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_household ON audit_log (household_id) WHERE household_id IS NOT NULL;
CREATE INDEX audit_actor ON audit_log (actor);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
