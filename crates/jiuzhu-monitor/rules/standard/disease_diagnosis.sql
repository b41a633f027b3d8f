-- A chronic or major disease certified this month for a person of the population: medical
-- assistance and a re-check of rigid expenditure may be due.
SELECT DISTINCT d.id_number AS subject, d.cert_date AS finding
FROM diagnoses d JOIN population p ON p.id_number = d.id_number
WHERE d.cert_date >= '{month_start}' AND d.cert_date <= '{month_end}'
  AND d.severity IN ('chronic', 'major')
