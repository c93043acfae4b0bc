-- The finite indicator value of every component a region of region_base has (one row per
-- component and region), by code: k (risk_v_components), r (risk_v_regions).
-- {indicator_values}: region_indicator_values (region_indicator_values.sql) narrowed to the
-- region_base columns some component names (risk_vector.py writes it: unpivoting the
-- twenty-odd other columns of every region would be thrown away by the join).
SELECT c.k, b.r, v.value
FROM risk_v_components AS c
JOIN ({indicator_values}) AS v ON v.level = c.level AND v.indicator = c.indicator
JOIN risk_v_regions AS b ON b.level = v.level AND b.region_id = v.region_id
WHERE isfinite(v.value)
ORDER BY c.k, b.r;
