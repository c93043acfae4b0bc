-- Exposure of every region under every measure of its level's taxonomy, from region_sums.
-- With e_i the employment of category i and S the scored categories of the region:
--   exposure_mean    = sum_S e_i * score_i / sum_S e_i
--   share_ge_10/50   = sum_S e_i * ge_i / sum_S e_i   (ge_i = 1 if score_i >= 0.1 / 0.5; a
--                      share of the category's jobs for derived and imputed categories)
--   vulnerable_share = sum_S e_i * vulnerable_i / sum_S e_i
--   exposed_jobs     = exposure_mean * total_employment (job-equivalents of exposed task
--                      time; only for measures on a 0..1 scale)
--   coverage         = sum_S e_i / total_employment
CREATE OR REPLACE TABLE region_exposure AS
WITH long AS (
    UNPIVOT (
        SELECT level, region_id, total_employment, COLUMNS('__(scored|e_score|e_ge_10|e_ge_50|e_vulnerable)$')
        FROM region_sums
    )
    ON COLUMNS('__(scored|e_score|e_ge_10|e_ge_50|e_vulnerable)$')
    INTO NAME statistic VALUE value
),
split AS (
    SELECT level, region_id, total_employment,
        regexp_extract(statistic, '^(.*)__([a-z_0-9]+)$', 1) AS measure,
        regexp_extract(statistic, '^(.*)__([a-z_0-9]+)$', 2) AS statistic,
        value
    FROM long
),
sums AS (
    PIVOT split ON statistic IN ('scored', 'e_score', 'e_ge_10', 'e_ge_50', 'e_vulnerable')
    USING first(value) GROUP BY level, region_id, total_employment, measure
),
level_measures AS (
    SELECT DISTINCT l.level, s.measure, m.scale
    FROM levels AS l
    JOIN exposure_scores AS s ON s.taxonomy = l.taxonomy
    JOIN measures AS m ON m.measure = s.measure
)
SELECT
    s.level,
    s.region_id,
    s.measure,
    s.e_score / nullif(s.scored, 0) AS exposure_mean,
    s.e_ge_10 / nullif(s.scored, 0) AS share_ge_10,
    s.e_ge_50 / nullif(s.scored, 0) AS share_ge_50,
    CASE WHEN lm.scale = 'unit'
        THEN s.e_score / nullif(s.scored, 0) * s.total_employment END AS exposed_jobs,
    s.e_vulnerable / nullif(s.scored, 0) AS vulnerable_share,
    coalesce(s.scored, 0) / s.total_employment AS coverage
FROM sums AS s
JOIN level_measures AS lm ON lm.level = s.level AND lm.measure = s.measure
ORDER BY s.level, s.region_id, s.measure;
