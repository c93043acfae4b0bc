-- Exposure of every region under every measure of its level's taxonomy.
-- Inputs: employment(level, region_id, category, employment, imputed), levels(level, taxonomy),
--         exposure_scores(taxonomy, measure, category, score, ge_10, ge_50, vulnerable),
--         measures(measure, scale).
-- With e_i the employment of category i and S the scored categories of the region:
--   exposure_mean    = sum_S e_i * score_i / sum_S e_i
--   share_ge_10/50   = sum_S e_i * ge_i / sum_S e_i   (ge_i = 1 if score_i >= 0.1 / 0.5; a
--                      share of the category's jobs for derived and imputed categories)
--   vulnerable_share = sum_S e_i * vulnerable_i / sum_S e_i
--   exposed_jobs     = exposure_mean * total_employment (job-equivalents of exposed task
--                      time; only for measures on a 0..1 scale)
--   coverage         = sum_S e_i / total_employment
CREATE OR REPLACE TABLE region_exposure AS
WITH composition AS (
    SELECT e.level, e.region_id, l.taxonomy, e.category, e.employment
    FROM employment AS e
    JOIN levels AS l ON l.level = e.level
),
region_totals AS (
    SELECT level, region_id, any_value(taxonomy) AS taxonomy, sum(employment) AS total_employment
    FROM composition
    GROUP BY level, region_id
),
level_measures AS (
    SELECT DISTINCT s.taxonomy, s.measure, m.scale
    FROM exposure_scores AS s
    JOIN measures AS m ON m.measure = s.measure
),
sums AS (
    SELECT
        c.level,
        c.region_id,
        s.measure,
        sum(c.employment) AS scored_employment,
        sum(c.employment * s.score) AS e_score,
        sum(c.employment * s.ge_10) AS e_ge_10,
        sum(c.employment * s.ge_50) AS e_ge_50,
        sum(c.employment * s.vulnerable) AS e_vulnerable
    FROM composition AS c
    JOIN exposure_scores AS s ON s.taxonomy = c.taxonomy AND s.category = c.category
    WHERE s.score IS NOT NULL
    GROUP BY c.level, c.region_id, s.measure
)
SELECT
    t.level,
    t.region_id,
    lm.measure,
    s.e_score / s.scored_employment AS exposure_mean,
    s.e_ge_10 / s.scored_employment AS share_ge_10,
    s.e_ge_50 / s.scored_employment AS share_ge_50,
    CASE WHEN lm.scale = 'unit'
        THEN s.e_score / s.scored_employment * t.total_employment END AS exposed_jobs,
    s.e_vulnerable / s.scored_employment AS vulnerable_share,
    coalesce(s.scored_employment, 0) / t.total_employment AS coverage
FROM region_totals AS t
JOIN level_measures AS lm ON lm.taxonomy = t.taxonomy
LEFT JOIN sums AS s ON s.level = t.level AND s.region_id = t.region_id AND s.measure = lm.measure
ORDER BY t.level, t.region_id, lm.measure;
