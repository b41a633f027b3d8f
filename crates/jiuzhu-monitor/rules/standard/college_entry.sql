-- A child of a dibao or tekun household admitted to college this month: education
-- assistance (tuition, living allowance) should reach them.
SELECT DISTINCT c.id_number AS subject, c.admit_date AS finding
FROM college_admissions c JOIN population p ON p.id_number = c.id_number
WHERE c.admit_date >= '{month_start}' AND c.admit_date <= '{month_end}'
  AND p.category IN ('dibao', 'tekun')
