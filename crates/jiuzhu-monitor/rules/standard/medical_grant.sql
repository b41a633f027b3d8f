-- Automatic assistance (无感智办): a low-income, near-dibao or dibao person whose
-- out-of-pocket medical costs settled this month sum to more than {grant_medical_line} yuan
-- gets a temporary-assistance decision computed by the policy engine, with no application.
SELECT m.id_number AS subject, '{month}' AS finding, SUM(m.out_of_pocket) AS amount
FROM medical m JOIN population p ON p.id_number = m.id_number
WHERE m.settle_date >= '{month_start}' AND m.settle_date <= '{month_end}'
  AND p.category IN ('lowinc', 'edge', 'dibao')
GROUP BY m.id_number
HAVING SUM(m.out_of_pocket) > {grant_medical_line}
