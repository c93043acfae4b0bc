-- The categories with the most exposed jobs in each region under the exposure measure
-- (exposed_jobs_i = e_i * score_i; ties broken by category code). Imputed residual
-- categories are left out (they are not occupations). Variables: exposure_measure,
-- top_categories. One grouped pass with max_by(..., n).
CREATE OR REPLACE TABLE region_top_categories AS
WITH top AS (
    SELECT
        e.level, e.region_id,
        max_by({'category': e.category, 'employment': e.employment, 'score': s.score},
               {'exposed': e.employment * s.score, 'category': e.category},
               getvariable('top_categories')) AS items
    FROM employment AS e
    JOIN levels AS l ON l.level = e.level
    JOIN exposure_scores AS s
        ON s.taxonomy = l.taxonomy AND s.category = e.category
        AND s.measure = getvariable('exposure_measure')
    WHERE NOT e.imputed AND s.score IS NOT NULL
    GROUP BY e.level, e.region_id
),
unnested AS (
    SELECT level, region_id, unnest(items) AS item, generate_subscripts(items, 1) AS position
    FROM top
)
SELECT
    u.level, u.region_id, u.position, u.item.category AS category, c.title,
    u.item.employment AS employment, u.item.score AS score,
    u.item.employment * u.item.score AS exposed_jobs,
    getvariable('exposure_measure') AS measure
FROM unnested AS u
JOIN levels AS l ON l.level = u.level
LEFT JOIN categories AS c ON c.taxonomy = l.taxonomy AND c.category = u.item.category;
