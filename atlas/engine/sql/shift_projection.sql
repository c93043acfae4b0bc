-- shift_projection: per region of every level of the trend's taxonomy, its substitutable jobs
-- if every occupation kept its national trend since May 2022 for the projection's horizon,
-- applied to the region's own (May 2025) mix. It applies national trends to local mixes and
-- is no forecast.
-- Variables: taxonomy, measure (the default exposure measure), power (horizon / the years
--   between the panels). Tables: employment, levels, occupation_shift (growth g_o on the
--   common support of sectors, substitutable share s_o), categories.
--   substitutable_jobs_2025  = sum_o e_o s_o
--   substitutable_jobs_trend = sum_o e_o s_o g_o^power   (g_o = 1 where o has no trend)
--   substitutable_change_pct = 100 * (trend / 2025 - 1)
--   jobs_change_pct          = 100 * (sum_o e_o g_o^power / sum_o e_o - 1)
--   trend_coverage           = the share of the region's jobs in occupations with a trend
CREATE OR REPLACE TABLE shift_projection AS
WITH mix AS (
    SELECT e.level, e.region_id, e.category, e.employment AS jobs,
           coalesce(t.substitutable, 0) AS sub,
           coalesce(pow(t.growth, getvariable('power')), 1.0) AS factor,
           t.growth IS NOT NULL AS has_trend
    FROM employment AS e
    JOIN levels AS l ON l.level = e.level AND l.taxonomy = getvariable('taxonomy')
    LEFT JOIN occupation_shift AS t ON t.occupation = e.category
)
SELECT
    level,
    region_id,
    sum(jobs ORDER BY category) AS jobs_2025,
    sum(jobs * sub ORDER BY category) AS substitutable_jobs_2025,
    sum(jobs * sub * factor ORDER BY category) AS substitutable_jobs_trend,
    100 * (sum(jobs * sub * factor ORDER BY category)
           / nullif(sum(jobs * sub ORDER BY category), 0) - 1) AS substitutable_change_pct,
    100 * (sum(jobs * factor ORDER BY category) / nullif(sum(jobs ORDER BY category), 0) - 1)
        AS jobs_change_pct,
    sum(jobs ORDER BY category) FILTER (WHERE has_trend)
        / nullif(sum(jobs ORDER BY category), 0) AS trend_coverage,
    getvariable('measure') AS measure
FROM mix
GROUP BY level, region_id
ORDER BY level, region_id;
