-- A disability of grade 1 or 2 certified this month.
SELECT DISTINCT d.id_number AS subject
FROM disability d JOIN population p ON p.id_number = d.id_number
WHERE d.cert_date >= '{month_start}' AND d.cert_date <= '{month_end}' AND d.grade <= 2
