-- A dibao or tekun recipient admitted to prison on or before the month's end (the feed has
-- no release dates): the benefit must stop.
SELECT DISTINCT r.id_number AS subject
FROM prison r JOIN population p ON p.id_number = r.id_number
WHERE r.admit_date <= '{month_end}' AND p.category IN ('dibao', 'tekun')
