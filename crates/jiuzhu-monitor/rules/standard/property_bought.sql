-- Real estate registered this month to a member of a dibao, tekun or near-dibao household:
-- the household is the subject, the certificate the finding.
SELECT DISTINCT p.household_id AS subject, r.certificate AS finding
FROM real_estate r JOIN population p ON p.id_number = r.id_number
WHERE r.reg_date >= '{month_start}' AND r.reg_date <= '{month_end}'
  AND p.category IN ('dibao', 'tekun', 'edge')
