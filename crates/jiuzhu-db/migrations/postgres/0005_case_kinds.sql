-- 0005: changes to recipients run on the same machinery as applications: an item's kind is
-- grant (a new benefit), review (periodic review), adjust, suspend, terminate, phase_out
-- (渐退) or convert (dibao to tekun). PostgreSQL flavour; keep in step with
-- ../sqlite/0005_case_kinds.sql.
ALTER TABLE case_items ADD COLUMN kind TEXT NOT NULL DEFAULT 'grant';
