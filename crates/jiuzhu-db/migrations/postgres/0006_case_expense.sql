-- 0006: the sudden expense an application for temporary assistance declares (fen), which
-- the decision evaluates. PostgreSQL flavour; keep in step with ../sqlite/0006_case_expense.sql.
ALTER TABLE case_items ADD COLUMN expense_fen BIGINT;
