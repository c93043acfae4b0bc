-- The categories with the most exposed jobs in each region under the exposure measure:
--   exposed_jobs_i = e_i * score_i (job-equivalents of exposed task time in category i).
-- Imputed residual categories are left out (they are not occupations).
-- Variables: exposure_measure, top_categories (how many per region).
CREATE OR REPLACE TABLE region_top_categories AS
WITH scored AS (
    SELECT
        e.level, e.region_id, e.category, c.title, e.employment, s.score,
        e.employment * s.score AS exposed_jobs
    FROM employment AS e
    JOIN levels AS l ON l.level = e.level
    JOIN exposure_scores AS s
        ON s.taxonomy = l.taxonomy AND s.category = e.category
        AND s.measure = getvariable('exposure_measure')
    LEFT JOIN categories AS c ON c.taxonomy = l.taxonomy AND c.category = e.category
    WHERE NOT e.imputed AND s.score IS NOT NULL
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY level, region_id
        ORDER BY exposed_jobs DESC, category) AS position
    FROM scored
)
SELECT level, region_id, position, category, title, employment, score, exposed_jobs,
    getvariable('exposure_measure') AS measure
FROM ranked
WHERE position <= getvariable('top_categories')
ORDER BY level, region_id, position;
