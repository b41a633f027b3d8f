-- 0007: who may import a feed and about whom; API tokens that expire.
-- PostgreSQL flavour; keep in step with ../sqlite/0007_hardening.sql.

-- A feed type belongs to its departments (codes, comma separated, as users' `department`);
-- only their handlers and the city administrator import it. A city-wide feed covers the
-- whole city, so its rows are not checked against the importer's region.
ALTER TABLE feed_types ADD COLUMN city_wide BIGINT NOT NULL DEFAULT 0;

-- An API token's end (ISO time); tokens issued before this migration end 90 days after it.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
UPDATE api_tokens SET expires_at = to_char((now() + interval '90 days') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') WHERE expires_at IS NULL;
