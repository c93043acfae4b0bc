-- Substitution-tilted exposed jobs of every region, the base of the adoption scenarios:
--   tilted_exposed_jobs = sum_i e_i * score_i * min(1, a_i / a_mean)
-- score_i: the exposure measure; a_i: the automation measure; a_mean: the employment-weighted
-- mean of a_i over the level's reference level. Variables: exposure_measure, automation_measure.
-- The sums are ordered aggregates, so that two builds give identical bits.
CREATE OR REPLACE TABLE scenario_base AS
WITH automation AS (
    SELECT taxonomy, category, score AS automation
    FROM exposure_scores
    WHERE measure = getvariable('automation_measure')
),
exposure AS (
    SELECT taxonomy, category, score
    FROM exposure_scores
    WHERE measure = getvariable('exposure_measure')
),
reference_mean AS (
    SELECT l.level,
        sum(e.employment * a.automation ORDER BY e.region_id, e.category, e.employment)
            / sum(e.employment ORDER BY e.region_id, e.category, e.employment)
            AS automation_mean
    FROM levels AS l
    JOIN employment AS e ON e.level = coalesce(l.reference_level, l.level)
    JOIN automation AS a ON a.taxonomy = l.taxonomy AND a.category = e.category
    GROUP BY l.level
)
SELECT
    e.level, e.region_id,
    sum(e.employment * x.score * least(1, coalesce(a.automation / nullif(m.automation_mean, 0), 1))
        ORDER BY e.category, e.employment)
        AS tilted_exposed_jobs
FROM employment AS e
JOIN levels AS l ON l.level = e.level
JOIN exposure AS x ON x.taxonomy = l.taxonomy AND x.category = e.category
LEFT JOIN automation AS a ON a.taxonomy = l.taxonomy AND a.category = e.category
LEFT JOIN reference_mean AS m ON m.level = e.level
GROUP BY e.level, e.region_id;
