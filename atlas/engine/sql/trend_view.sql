-- v_{geography}_trend: every region of a geography with periods, one row per period, with
-- its main indices and their change over the nine years to the default period (e.g. 2019 -
-- 2010; NULL where a region lacks either year). Created for every geography whose `levels`
-- rows have more than one period ({geography} is filled in by atlas.engine.core.create_views).
CREATE OR REPLACE VIEW v_{geography}_trend AS
WITH periods AS (
    SELECT level, period, is_default,
        max(CASE WHEN is_default THEN period END) OVER () AS last_period
    FROM levels
    WHERE geography = '{geography}'
),
yearly AS (
    SELECT i.region_id, i.name, p.period::INTEGER AS year, p.is_default, p.last_period,
        i.total_employment, i.collapse_risk, i.risk_rank, i.regions_in_level,
        COLUMNS('^pillar_'), i.exposure_mean, i.share_ge_50, i.substitutable_share,
        i.substitutable_excess, i.group_entropy, i.entropy_norm, i.employment_change
    FROM region_indices AS i
    JOIN periods AS p ON p.level = i.level
)
SELECT y.* EXCLUDE (last_period),
    last.collapse_risk - first.collapse_risk AS collapse_risk_change,
    last.exposure_mean - first.exposure_mean AS exposure_mean_change,
    last.substitutable_share - first.substitutable_share AS substitutable_share_change,
    last.group_entropy - first.group_entropy AS group_entropy_change,
    100 * (last.total_employment / nullif(first.total_employment, 0) - 1)
        AS total_employment_change,
    first.year AS change_from, last.year AS change_to
FROM yearly AS y
LEFT JOIN yearly AS last ON last.region_id = y.region_id AND last.is_default
LEFT JOIN yearly AS first ON first.region_id = y.region_id AND first.year = y.last_period - 9
ORDER BY y.region_id, y.year;
