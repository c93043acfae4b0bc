-- The gates of the vectorised risk step (atlas/engine/risk_vector.py), as risk_scores.sql
-- defines them: per gated pillar (mp, weight > 0) and level, its gate component k and the
-- reference change of the level (NULL where the reference level's indicator is not a percent
-- change: no region is gated), with the same ordered sums, so the same bits.
WITH gates AS (
    SELECT p.mp, c.k, c.level, c.indicator
    FROM risk_v_pillars AS p
    JOIN risk_v_components AS c ON c.model = p.model AND c.component = p.gate::VARCHAR
        AND c.pillar = p.pillar
    WHERE p.weight > 0
),
reference AS (
    SELECT g.k,
        100 * (sum(b.total_employment ORDER BY b.region_id)
               / sum(b.total_employment / (1 + v.value / 100) ORDER BY b.region_id) - 1)
            AS reference_change
    FROM gates AS g
    JOIN levels AS l ON l.level = g.level
    JOIN region_indicator_values AS v ON v.level = coalesce(l.reference_level, l.level)
        AND v.indicator = g.indicator
    JOIN region_base AS b ON b.level = v.level AND b.region_id = v.region_id
    SEMI JOIN context_indicators AS i ON i.level = v.level AND i.indicator = v.indicator
        AND i.unit = 'percent'
    WHERE isfinite(v.value) AND v.value > -100 AND b.total_employment > 0
    GROUP BY g.k
)
SELECT g.mp, g.k, r.reference_change
FROM gates AS g
LEFT JOIN reference AS r USING (k)
ORDER BY g.k;
