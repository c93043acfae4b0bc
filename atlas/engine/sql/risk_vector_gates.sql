-- The gates of the vectorised risk step (atlas/engine/risk_vector.py), as risk_scores.sql
-- defines them: per gated pillar (mp, weight > 0) and level, its gate component k and the
-- reference change of the level (NULL where the reference level's indicator is not a percent
-- change: no region is gated), from gate_references.sql as risk_scores.sql reads it.
WITH gates AS (
    SELECT p.mp, c.k, c.level, c.indicator
    FROM risk_v_pillars AS p
    JOIN risk_v_components AS c ON c.model = p.model AND c.component = p.gate::VARCHAR
        AND c.pillar = p.pillar
    WHERE p.weight > 0
),
reference AS (
    SELECT g.k, r.reference_change
    FROM gates AS g
    JOIN gate_reference_changes AS r ON r.level = g.level AND r.indicator = g.indicator
)
SELECT g.mp, g.k, r.reference_change
FROM gates AS g
LEFT JOIN reference AS r USING (k)
ORDER BY g.k;
