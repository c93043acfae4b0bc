-- Denominators that count everyone who works there (exposure.count_uncounted_jobs).
-- Tables: region_measure_sums, region_group_sums, region_context (indicator uncounted_jobs:
--   the workers a level's composition leaves out, see context_indicators), levels,
--   measure_order. Run only with the setting on (the engine adds the column, NULL, always).
--
-- region_measure_sums.uncounted_employment = U, the region's uncounted workers (NULL when
-- the setting is off or the level has none). They are jobs that are not substitutable, so
-- the AI-shock indicators divide by E + U (region_base.sql, region_exposure.sql) and, in the
-- levels where the level or its reference has any U, the substitutable excess becomes
--   substitutable_excess[m] = sum_g max(0, X_g^m / (E + U) - X_g^m,ref / (E^ref + U^ref))
-- (region_excess.sql with the wider denominators; U^ref = the sum of U over the reference
-- level's regions). With U = 0 everywhere nothing changes, to the bit.
UPDATE region_measure_sums AS s
SET uncounted_employment = c.value
FROM region_context AS c
WHERE c.indicator = 'uncounted_jobs'
  AND c.level = s.level AND c.region_id = s.region_id AND isfinite(c.value) AND c.value > 0;

CREATE OR REPLACE TEMP TABLE uncounted_levels AS
SELECT l.level
FROM levels AS l
JOIN region_measure_sums AS s ON s.level IN (l.level, coalesce(l.reference_level, l.level))
GROUP BY l.level
HAVING count(s.uncounted_employment) > 0;

WITH positions AS (
    SELECT generate_subscripts(measures, 1) AS i FROM measure_order
),
all_groups AS (
    SELECT g.level, g.region_id, g.grp, p.i, g.e_substitutable[p.i] AS e_sub
    FROM region_group_sums AS g
    CROSS JOIN positions AS p
    WHERE g.grp <> ''
),
groups AS (
    SELECT * FROM all_groups WHERE level IN (SELECT level FROM uncounted_levels)
),
reference_groups AS (
    SELECT l.level, g.i, g.grp, sum(g.e_sub::DECIMAL(38, 6))::DOUBLE AS e_sub
    FROM levels AS l
    JOIN all_groups AS g ON g.level = coalesce(l.reference_level, l.level)
    WHERE l.level IN (SELECT level FROM uncounted_levels)
    GROUP BY l.level, g.i, g.grp
),
reference_totals AS (
    SELECT l.level,
        sum((s.total_employment + coalesce(s.uncounted_employment, 0))::DECIMAL(38, 6))::DOUBLE
            AS employment
    FROM levels AS l
    JOIN region_measure_sums AS s ON s.level = coalesce(l.reference_level, l.level)
    WHERE l.level IN (SELECT level FROM uncounted_levels)
    GROUP BY l.level
),
excess AS (
    SELECT g.level, g.region_id, g.i,
        sum(greatest(0, g.e_sub / nullif(s.total_employment
                                         + coalesce(s.uncounted_employment, 0), 0)
                        - coalesce(r.e_sub / nullif(t.employment, 0), 0))::DECIMAL(38, 18))::DOUBLE
            AS excess
    FROM groups AS g
    JOIN region_measure_sums AS s ON s.level = g.level AND s.region_id = g.region_id
    LEFT JOIN reference_groups AS r ON r.level = g.level AND r.i = g.i AND r.grp = g.grp
    LEFT JOIN reference_totals AS t ON t.level = g.level
    GROUP BY g.level, g.region_id, g.i
),
lists AS (
    SELECT e.level, e.region_id,
        list(CASE WHEN s.e_substitutable[e.i] IS NOT NULL AND s.total_employment <> 0
                  THEN e.excess END ORDER BY e.i)
            AS substitutable_excess
    FROM excess AS e
    JOIN region_measure_sums AS s ON s.level = e.level AND s.region_id = e.region_id
    GROUP BY e.level, e.region_id
)
UPDATE region_measure_sums AS s
SET substitutable_excess = l.substitutable_excess
FROM lists AS l
WHERE s.level = l.level AND s.region_id = l.region_id;
