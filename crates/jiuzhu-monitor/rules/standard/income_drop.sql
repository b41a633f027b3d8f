-- A sudden income drop: a near-dibao, low-income or monitored person whose wage base this
-- month is below {income_drop_ratio} of last month's, or who contributed last month and not
-- this month. One finding per person and month.
SELECT DISTINCT p.id_number AS subject, '{month}' AS finding
FROM population p
JOIN social_insurance prev ON prev.id_number = p.id_number AND prev.month = '{prev_month}'
LEFT JOIN social_insurance cur ON cur.id_number = p.id_number AND cur.month = '{month}'
WHERE p.category IN ('edge', 'lowinc', 'monitored')
  AND (cur.id_number IS NULL OR cur.wage_base < prev.wage_base * {income_drop_ratio})
