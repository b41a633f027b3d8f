-- A dibao or tekun recipient whose social-insurance wage base this month is above
-- {wage_base_line} yuan: the household's income must be re-checked.
SELECT DISTINCT s.id_number AS subject, s.month AS finding
FROM social_insurance s JOIN population p ON p.id_number = s.id_number
WHERE s.month = '{month}' AND s.wage_base > {wage_base_line}
  AND p.category IN ('dibao', 'tekun')
