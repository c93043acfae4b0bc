-- The per-category facts of the variant indicators (atlas.engine.uncertainty_sums), for the levels
-- in `variant_levels` (and their reference levels) and the measures in `variant_measures`.
-- Variables: variant_levels, variant_measures, sheltered_keys (the categories of
-- [exposure.sheltered] as 'taxonomy|category'), today_threshold ([exposure]
-- substitutable_exposure) and variant_thresholds (the other exposure thresholds). One row per level, category, measure
-- and threshold: the category's diversity group, its substitutable share and score under the
-- measure at the threshold (score only at today's threshold) and its sheltered share
-- public_on; `pair` numbers the (level, category) pairs and `combo` the (measure, threshold)
-- pairs from 0 (atlas.engine.uncertainty_sums adds the composition's jobs per group).
-- Also writes variant_combos, variant_rows, variant_cells and variant_places (below).
CREATE OR REPLACE TEMP TABLE variant_facts AS
WITH listed AS (
    SELECT unnest(getvariable('sheltered_keys')) AS key
),
public AS (
    SELECT taxonomy, category, max(public_share) AS public_share
    FROM category_public_share
    GROUP BY taxonomy, category
),
wanted AS (
    SELECT l.level, l.taxonomy, coalesce(l.reference_level, l.level) AS reference_level
    FROM levels AS l
    WHERE list_contains(getvariable('variant_levels'), l.level)
       OR l.level IN (SELECT coalesce(reference_level, level) FROM levels
                      WHERE list_contains(getvariable('variant_levels'), level))
),
scores AS (
    SELECT taxonomy, category, measure, getvariable('today_threshold') AS threshold,
        substitutable, score
    FROM exposure_scores
    WHERE list_contains(getvariable('variant_measures'), measure)
    UNION ALL
    SELECT taxonomy, category, measure, threshold, substitutable, NULL AS score
    FROM category_substitutable_variants
    WHERE list_contains(getvariable('variant_measures'), measure)
      AND list_contains(getvariable('variant_thresholds'), threshold)
),
facts AS (
    SELECT w.level, s.category, s.measure, s.threshold,
        coalesce(c.diversity_group, s.category) AS grp,
        s.substitutable, s.score,
        greatest(CASE WHEN k.key IS NULL THEN 0.0 ELSE 1.0 END,
                 coalesce(p.public_share, 0.0)) AS public_on
    FROM wanted AS w
    JOIN scores AS s ON s.taxonomy = w.taxonomy
    LEFT JOIN categories AS c ON c.taxonomy = w.taxonomy AND c.category = s.category
    LEFT JOIN public AS p ON p.taxonomy = w.taxonomy AND p.category = s.category
    LEFT JOIN listed AS k ON k.key = w.taxonomy || '|' || s.category
),
pairs AS (  -- numbered on the distinct keys: no window over every row
    SELECT level, category, dense_rank() OVER (ORDER BY level, category) - 1 AS pair
    FROM (SELECT DISTINCT level, category FROM facts)
),
combos AS (
    SELECT measure, threshold, dense_rank() OVER (ORDER BY measure, threshold) - 1 AS combo
    FROM (SELECT DISTINCT measure, threshold FROM facts)
)
SELECT f.level, f.category, f.measure, f.threshold, f.grp, f.substitutable, f.score,
    f.public_on, p.pair, c.combo
FROM facts AS f
JOIN pairs AS p ON p.level IS NOT DISTINCT FROM f.level
    AND p.category IS NOT DISTINCT FROM f.category
JOIN combos AS c ON c.measure IS NOT DISTINCT FROM f.measure
    AND c.threshold IS NOT DISTINCT FROM f.threshold;

-- the (measure, threshold) pairs
CREATE OR REPLACE TEMP TABLE variant_combos AS
SELECT DISTINCT combo, measure, threshold FROM variant_facts;

-- the (level, region, group) cells of the composition of those levels (a region and
-- category with facts), numbered from 0 by `cell`, and their region numbered from 0 by
-- `place` (numbered on the distinct cells: no window over every composition row)
CREATE OR REPLACE TEMP TABLE variant_cells AS
WITH pairs AS (
    SELECT DISTINCT level, category, grp FROM variant_facts
),
distinct_cells AS (
    SELECT DISTINCT e.level, e.region_id, p.grp
    FROM employment AS e
    JOIN pairs AS p ON p.level = e.level AND p.category = e.category
)
SELECT dense_rank() OVER (ORDER BY level, region_id, grp) - 1 AS cell, level, region_id, grp,
    dense_rank() OVER (ORDER BY level, region_id) - 1 AS place
FROM distinct_cells;

-- the composition of those levels, a row per region and category that has facts, with its
-- cell (the rows in no order: the engine's connection does not preserve the insertion
-- order; uncertainty_sums sorts them)
CREATE OR REPLACE TEMP TABLE variant_rows AS
SELECT p.pair, e.employment, c.cell
FROM employment AS e
JOIN (SELECT DISTINCT level, category, grp, pair FROM variant_facts) AS p
    ON p.level = e.level AND p.category = e.category
JOIN variant_cells AS c
    ON c.level = e.level AND c.region_id = e.region_id AND c.grp = p.grp;

-- the regions of the cells: their jobs E and uncounted workers U (region_context
-- 'uncounted_jobs'; `has_jobs` false for a region without a row of region_measure_sums) and
-- those of their level's reference level (E^ref, U^ref: sums in the order of the regions);
-- `variant` is false for a region of a level read only as some level's reference
CREATE OR REPLACE TEMP TABLE variant_places AS
WITH wanted AS (
    SELECT l.level, coalesce(l.reference_level, l.level) AS reference_level
    FROM levels AS l
    WHERE list_contains(getvariable('variant_levels'), l.level)
       OR l.level IN (SELECT coalesce(reference_level, level) FROM levels
                      WHERE list_contains(getvariable('variant_levels'), level))
),
jobs AS (
    SELECT s.level, s.region_id, s.total_employment AS e,
        coalesce(u.value, 0.0) AS u
    FROM region_measure_sums AS s
    LEFT JOIN region_context AS u ON u.level = s.level AND u.region_id = s.region_id
        AND u.indicator = 'uncounted_jobs' AND isfinite(u.value) AND u.value > 0
    WHERE s.level IN (SELECT level FROM wanted)
),
reference_jobs AS (
    SELECT w.level, sum(j.e ORDER BY j.region_id) AS e, sum(j.u ORDER BY j.region_id) AS u
    FROM wanted AS w JOIN jobs AS j ON j.level = w.reference_level
    GROUP BY w.level
)
SELECT c.place, c.level, c.region_id, w.reference_level,
    list_contains(getvariable('variant_levels'), c.level) AS variant,
    j.region_id IS NOT NULL AS has_jobs, j.e, j.u,
    r.e AS reference_e, r.u AS reference_u
FROM (SELECT DISTINCT place, level, region_id FROM variant_cells) AS c
JOIN wanted AS w ON w.level = c.level
LEFT JOIN jobs AS j ON j.level = c.level AND j.region_id = c.region_id
LEFT JOIN reference_jobs AS r ON r.level = c.level
ORDER BY c.place;
