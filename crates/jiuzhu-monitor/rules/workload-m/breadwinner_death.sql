-- The main labourer of a household died this month: the household is the subject.
SELECT DISTINCT p.household_id AS subject
FROM deaths d JOIN population p ON p.id_number = d.id_number
WHERE d.death_date >= '{month_start}' AND d.death_date <= '{month_end}' AND p.is_main_laborer = 1
