-- 0006: the sudden expense an application for temporary assistance declares (fen), which
-- the decision evaluates. SQLite flavour; keep in step with ../postgres/0006_case_expense.sql.
ALTER TABLE case_items ADD COLUMN expense_fen INTEGER;
