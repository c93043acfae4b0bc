-- Exposure of every region under every measure of its level's taxonomy: a view over the
-- per-measure sums of region_sums.sql (region_measure_sums, measure_order). With e_i the
-- employment of category i and S the scored categories (scored = total - unscored):
--   exposure_mean    = sum_S e_i * score_i / sum_S e_i
--   share_ge_10/50   = sum_S e_i * ge_i / sum_S e_i   (ge_i = 1 if score_i >= 0.1 / 0.5; a
--                      share of the category's jobs for derived and imputed categories)
--   exposed_jobs     = exposure_mean * total_employment (job-equivalents of exposed task
--                      time; only for measures on a 0..1 scale)
--   coverage         = sum_S e_i / total_employment
--   vulnerable_share = sum_V e_i * vulnerable_i / sum_V e_i (V: categories with a vulnerable
--                      share: score >= 0.5 and a national median wage below the median)
--   substitutable_share: as in region_base.sql, under each measure
--   substitutable_excess: region_measure_sums.substitutable_excess (region_excess.sql: the
--                      substitutable jobs beyond the reference mix, group by group)
-- No sum over regions or groups is left here: the view costs a scan of the sums.
CREATE OR REPLACE VIEW region_exposure AS
WITH long AS (
    SELECT
        s.level, s.region_id, s.total_employment, m.measure,
        s.total_employment - coalesce(s.unscored[m.i], 0) AS scored,
        s.e_score[m.i] AS e_score,
        s.e_ge_10[m.i] AS e_ge_10,
        s.e_ge_50[m.i] AS e_ge_50,
        s.total_employment - coalesce(s.unscored_vulnerable[m.i], 0) AS scored_vulnerable,
        s.e_vulnerable[m.i] AS e_vulnerable,
        s.total_employment - coalesce(s.unscored_substitutable[m.i], 0) AS scored_substitutable,
        s.e_substitutable[m.i] AS e_substitutable,
        s.substitutable_excess[m.i] AS substitutable_excess
    FROM region_measure_sums AS s
    CROSS JOIN (
        SELECT unnest(measures) AS measure, generate_subscripts(measures, 1) AS i
        FROM measure_order
    ) AS m
),
level_measures AS (
    SELECT DISTINCT l.level, s.measure, m.scale
    FROM levels AS l
    JOIN exposure_scores AS s ON s.taxonomy = l.taxonomy
    JOIN measures AS m ON m.measure = s.measure
)
SELECT
    x.level,
    x.region_id,
    x.measure,
    x.e_score / nullif(x.scored, 0) AS exposure_mean,
    x.e_ge_10 / nullif(x.scored, 0) AS share_ge_10,
    x.e_ge_50 / nullif(x.scored, 0) AS share_ge_50,
    CASE WHEN lm.scale = 'unit'
        THEN x.e_score / nullif(x.scored, 0) * x.total_employment END AS exposed_jobs,
    coalesce(x.scored, 0) / x.total_employment AS coverage,
    x.e_vulnerable / nullif(x.scored_vulnerable, 0) AS vulnerable_share,
    x.e_substitutable / nullif(x.scored_substitutable, 0) AS substitutable_share,
    x.substitutable_excess
FROM long AS x
JOIN level_measures AS lm ON lm.level = x.level AND lm.measure = x.measure;

-- Region totals, kept for re-rankings.
CREATE OR REPLACE VIEW region_totals AS
SELECT level, region_id, total_employment, imputed_employment, published_employment
FROM region_measure_sums;
