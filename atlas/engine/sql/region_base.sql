-- region_base: one row per level x region with a composition: size, exposure, the
-- substitutable (AI-shock) indicators, diversity, the v1 indicators. A temp table, so that
-- re-specifications on a read-only atlas (atlas rank --measure) shadow the stored one.
-- Variables: exposure_measure, vulnerability_measure (v1's vulnerable_share),
--   industrial_measure (trait behind flag_rust_belt).
-- Tables: region_measure_sums, region_group_sums, measure_order, measures, levels, regions.
--
-- With e_i the jobs in category i, E = sum e_i, S the categories scored under the measure:
--   exposure_mean        = sum_S e_i score_i / sum_S e_i
--   share_ge_10 / _50    = sum_S e_i [score_i >= 0.1 / 0.5] / sum_S e_i
--   substitutable_share  = sum e_i sub_i (1 - public_i) / (sum e_i + U) over the categories
--                          with a substitutable share (sub_i = 1 if score_i >= the
--                          substitutable exposure threshold and automation_i >= its
--                          threshold; a job share for derived rows; public_i: the publicly
--                          funded share, sheltered_categories; U: the uncounted workers,
--                          region_uncounted.sql, 0 unless exposure.count_uncounted_jobs)
--   substitutable_jobs   = substitutable_share * (E + U); uncounted_employment = U
--   substitutable_excess = sum_g max(0, X_g / E - X_g^ref / E^ref) over diversity groups g,
--                          X_g = substitutable jobs in group g: the substitutable jobs a region
--                          has beyond its reference (national) mix, group by group (from
--                          region_measure_sums, see region_excess.sql)
--   group_entropy        = -sum_g s_g ln s_g / ln G, s_g = E_g / sum_g E_g over the groups of
--                          the full composition (imputed rows included), G = groups in the
--                          reference: diversity at a fixed aggregation level, size-neutral
--   group_hachman        = 1 / sum_g s_g^2 / r_g (r_g: the reference's group share)
--   entropy_norm, hhi, effective_n, hachman, krugman: over the published detailed cells
--                          (region_diversity, the v1 concentration)
-- Float sums over regions or groups run in a fixed order (sum(x ORDER BY key), or list_sum
-- over a sorted list): the same order in every build, whatever the threads, so two builds
-- give identical bits.
CREATE OR REPLACE TEMP TABLE region_base AS
WITH positions AS (
    SELECT
        list_position(measures, getvariable('exposure_measure')) AS i_exposure,
        list_position(measures, getvariable('vulnerability_measure')) AS i_vulnerability,
        list_position(measures, 'eloundou_automation') AS i_automation,
        list_position(measures, getvariable('industrial_measure')) AS i_industrial,
        (SELECT scale = 'unit' FROM measures WHERE measure = getvariable('exposure_measure'))
            AS unit_scale
    FROM measure_order
),
picked AS (
    SELECT s.level, s.region_id, s.total_employment, s.imputed_employment, unit_scale,
        s.total_employment - coalesce(s.unscored[i_exposure], 0) AS scored,
        s.e_score[i_exposure] AS e_score,
        s.e_ge_10[i_exposure] AS e_ge_10,
        s.e_ge_50[i_exposure] AS e_ge_50,
        s.e_substitutable[i_exposure]
            / nullif(s.total_employment - coalesce(s.unscored_substitutable[i_exposure], 0)
                     + coalesce(s.uncounted_employment, 0), 0)
            AS substitutable_share,
        s.total_employment + coalesce(s.uncounted_employment, 0) AS all_employment,
        s.e_score[i_automation]
            / nullif(s.total_employment - coalesce(s.unscored[i_automation], 0), 0)
            AS automation_mean,
        s.e_score[i_industrial]
            / nullif(s.total_employment - coalesce(s.unscored[i_industrial], 0), 0)
            AS industrial_share,
        s.e_vulnerable[i_vulnerability]
            / nullif(s.total_employment - coalesce(s.unscored_vulnerable[i_vulnerability], 0), 0)
            AS vulnerable_share,
        s.substitutable_excess[i_exposure] AS substitutable_excess
    FROM region_measure_sums AS s, positions
),
groups AS (
    SELECT g.level, g.region_id, g.grp, g.employment
    FROM region_group_sums AS g
    WHERE g.grp <> ''
),
reference_groups AS (
    SELECT l.level, g.grp, sum(g.employment ORDER BY g.region_id) AS employment
    FROM levels AS l
    JOIN groups AS g ON g.level = coalesce(l.reference_level, l.level)
    GROUP BY l.level, g.grp
),
reference_shares AS (
    SELECT g.level, g.grp, g.employment / sum(g.employment) OVER (
        PARTITION BY g.level ORDER BY g.grp
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS r_g,
        count(*) FILTER (WHERE g.employment > 0) OVER (PARTITION BY g.level) AS n_groups
    FROM reference_groups AS g
),
-- Each region's groups as one list sorted by group (an unordered list() and a list_sort cost
-- far less than ordered aggregates per region); list_sum adds the list in that order, so the
-- sums are the same bits as sum(... ORDER BY grp).
region_groups AS (
    SELECT g.level, g.region_id,
        list_sort(list({'grp': g.grp, 'e': g.employment, 'r': r.r_g})) AS cells,
        max(r.n_groups) AS n_groups
    FROM groups AS g
    LEFT JOIN reference_shares AS r ON r.level = g.level AND r.grp = g.grp
    GROUP BY g.level, g.region_id
),
group_totals AS (
    SELECT level, region_id, cells, n_groups,
        list_sum([c.e FOR c IN cells]) AS grouped_employment
    FROM region_groups
),
group_indices AS (
    SELECT level, region_id,
        CASE WHEN n_groups > 1 THEN
            -list_sum([CASE WHEN c.e > 0 THEN c.e / grouped_employment
                       * ln(c.e / grouped_employment) END FOR c IN cells])
                 / ln(n_groups) END
            AS group_entropy,
        1 / nullif(list_sum([(c.e / grouped_employment) ^ 2 / nullif(c.r, 0)
                             FOR c IN cells]), 0)
            AS group_hachman
    FROM group_totals
)
SELECT s.level, s.region_id, s.total_employment,
    s.scored / s.total_employment AS coverage,
    s.imputed_employment / s.total_employment AS imputed_share,
    s.e_score / nullif(s.scored, 0) AS exposure_mean,
    s.e_ge_10 / nullif(s.scored, 0) AS share_ge_10,
    s.e_ge_50 / nullif(s.scored, 0) AS share_ge_50,
    CASE WHEN s.unit_scale THEN s.e_score / nullif(s.scored, 0) * s.total_employment
        END AS exposed_jobs,
    s.substitutable_share,
    s.substitutable_share * s.all_employment AS substitutable_jobs,
    s.all_employment - s.total_employment AS uncounted_employment,
    -- a region with groups but no substitutable share under the measure has no excess (0)
    CASE WHEN g.region_id IS NOT NULL AND s.total_employment > 0
        THEN coalesce(s.substitutable_excess, 0) END AS substitutable_excess,
    s.automation_mean, s.industrial_share, s.vulnerable_share,
    g.group_entropy, g.group_hachman,
    d.entropy_norm, d.hhi, d.effective_n, d.hachman, d.krugman,
    getvariable('exposure_measure') AS exposure_measure
FROM picked AS s
LEFT JOIN group_indices AS g ON g.level = s.level AND g.region_id = s.region_id
LEFT JOIN region_diversity AS d ON d.level = s.level AND d.region_id = s.region_id;
