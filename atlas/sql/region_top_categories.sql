-- The categories with the most exposed jobs in each region under the exposure measure
-- (exposed_jobs_i = e_i * score_i), taken from region_sums.top_categories (max_by in the
-- grouped pass). Imputed residual categories are left out (they are not occupations).
CREATE OR REPLACE TABLE region_top_categories AS
WITH unnested AS (
    SELECT level, region_id,
        unnest(top_categories) AS item,
        generate_subscripts(top_categories, 1) AS position
    FROM region_sums
    WHERE top_categories IS NOT NULL
)
SELECT
    u.level, u.region_id, u.position, u.item.category AS category, c.title,
    u.item.employment AS employment, u.item.score AS score,
    u.item.employment * u.item.score AS exposed_jobs,
    getvariable('exposure_measure') AS measure
FROM unnested AS u
JOIN levels AS l ON l.level = u.level
LEFT JOIN categories AS c ON c.taxonomy = l.taxonomy AND c.category = u.item.category
ORDER BY u.level, u.region_id, u.position;
