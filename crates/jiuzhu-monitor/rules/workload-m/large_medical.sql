-- Medical spending over the line: a person of the population whose out-of-pocket costs
-- settled in the twelve-month window sum to more than {large_medical_threshold} yuan.
SELECT m.id_number AS subject
FROM medical m JOIN population p ON p.id_number = m.id_number
WHERE m.settle_date >= '{window_start}' AND m.settle_date <= '{month_end}'
GROUP BY m.id_number
HAVING SUM(m.out_of_pocket) > {large_medical_threshold}
