-- A vehicle over {vehicle_threshold} yuan registered in the window by a member of a dibao,
-- near-dibao or tekun household: the household is the subject.
SELECT DISTINCT p.household_id AS subject
FROM vehicles v JOIN population p ON p.id_number = v.id_number
WHERE v.reg_date >= '{window_start}' AND v.reg_date <= '{month_end}'
  AND v.price > {vehicle_threshold} AND p.category IN ('dibao', 'edge', 'tekun')
