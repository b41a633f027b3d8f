-- Unemployment registered this month by a low-income, monitored or near-dibao person.
SELECT DISTINCT u.id_number AS subject
FROM unemployment u JOIN population p ON p.id_number = u.id_number
WHERE u.reg_date >= '{month_start}' AND u.reg_date <= '{month_end}'
  AND p.category IN ('lowinc', 'monitored', 'edge')
