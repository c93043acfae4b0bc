-- The finite indicator value of every component a region of region_base has (one row per
-- component and region), by code: k (risk_v_components), r (risk_v_regions).
SELECT c.k, b.r, v.value
FROM risk_v_components AS c
JOIN region_indicator_values AS v ON v.level = c.level AND v.indicator = c.indicator
JOIN risk_v_regions AS b ON b.level = v.level AND b.region_id = v.region_id
WHERE isfinite(v.value)
ORDER BY c.k, b.r;
