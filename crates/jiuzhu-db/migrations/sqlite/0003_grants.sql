-- 0003: automatic assistance (无感智办): a decision proposed by a monitoring rule and
-- computed by the policy engine, waiting for one-day approval. SQLite flavour; keep in
-- step with ../postgres/0003_grants.sql.
CREATE TABLE grants (
    id             INTEGER PRIMARY KEY,
    alert_id       INTEGER NOT NULL UNIQUE REFERENCES alerts (id),
    household_id   INTEGER NOT NULL REFERENCES households (id),
    region_code    TEXT NOT NULL,
    program        TEXT NOT NULL,
    expense_fen    INTEGER NOT NULL,
    amount_fen     INTEGER NOT NULL,
    receipt        TEXT NOT NULL,
    receipt_sha256 TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected')),
    deadline       TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    decided_at     TEXT,
    decided_by     TEXT
);
CREATE INDEX grants_status ON grants (status, region_code);
