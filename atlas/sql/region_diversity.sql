-- Diversity of each region's employment over the categories of its taxonomy.
-- Only published (not imputed) categories count; shares s_i are renormalised over them.
-- The reference composition r_i is the aggregate of the level's reference level
-- (us_area and us_state -> us_nation; a level without one is its own reference).
--   entropy_norm = -sum s_i ln s_i / ln N     (N = categories with employment in the reference)
--   hhi          = sum s_i^2
--   effective_n  = 1 / hhi
--   hachman      = 1 / sum s_i * LQ_i = 1 / sum s_i^2 / r_i   (categories with r_i > 0)
--   krugman      = sum_i |s_i - r_i| over all categories
--                = sum_{i in region} (|s_i - r_i| - r_i) + 1
CREATE OR REPLACE TABLE region_diversity AS
WITH published AS (
    SELECT level, region_id, category, employment
    FROM employment
    WHERE NOT imputed AND employment > 0
),
shares AS (
    SELECT level, region_id, category,
        employment / sum(employment) OVER (PARTITION BY level, region_id) AS s
    FROM published
),
reference AS (
    SELECT l.level, p.category, sum(p.employment) AS employment
    FROM levels AS l
    JOIN published AS p ON p.level = coalesce(l.reference_level, l.level)
    GROUP BY l.level, p.category
),
reference_shares AS (
    SELECT level, category, employment / sum(employment) OVER (PARTITION BY level) AS r,
        count(*) OVER (PARTITION BY level) AS n_categories
    FROM reference
)
SELECT
    s.level,
    s.region_id,
    count(*) AS n_categories,
    CASE WHEN any_value(rs.n_categories) > 1
        THEN -sum(s.s * ln(s.s)) / ln(any_value(rs.n_categories)) END AS entropy_norm,
    sum(s.s * s.s) AS hhi,
    1 / sum(s.s * s.s) AS effective_n,
    1 / sum(s.s * s.s / rs.r) FILTER (WHERE rs.r > 0) AS hachman,
    sum(abs(s.s - coalesce(rs.r, 0)) - coalesce(rs.r, 0)) + 1 AS krugman
FROM shares AS s
LEFT JOIN reference_shares AS rs ON rs.level = s.level AND rs.category = s.category
GROUP BY s.level, s.region_id
ORDER BY s.level, s.region_id;
