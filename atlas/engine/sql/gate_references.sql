-- The reference change a gate compares a region with: per level and percent-change indicator,
-- the change of the reference level's summed jobs E over the window,
--     100 * (sum E / sum(E / (1 + x / 100)) - 1)
-- (x: each region's percent change; E: its jobs now), an ordered sum so every caller gets the
-- same bits. Only where the reference level's indicator is a percent change
-- (context_indicators.unit 'percent': not the countries' change of a ratio in percentage
-- points). Read by risk_scores.sql (one model) and risk_vector_gates.sql (every model).
CREATE OR REPLACE TEMP VIEW gate_reference_changes AS
SELECT l.level, v.indicator,
    100 * (sum(b.total_employment ORDER BY b.region_id)
           / sum(b.total_employment / (1 + v.value / 100) ORDER BY b.region_id) - 1)
        AS reference_change
FROM levels AS l
JOIN region_indicator_values AS v ON v.level = coalesce(l.reference_level, l.level)
JOIN region_base AS b ON b.level = v.level AND b.region_id = v.region_id
SEMI JOIN context_indicators AS i ON i.level = v.level AND i.indicator = v.indicator
    AND i.unit = 'percent'
WHERE isfinite(v.value) AND v.value > -100 AND b.total_employment > 0
GROUP BY l.level, v.indicator;
