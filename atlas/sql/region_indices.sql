-- One row per level x region: size, exposure, vulnerability, diversity, context,
-- collapse risk, rank and flags. A SELECT, so the same text serves the build
-- (CREATE TABLE region_indices AS ...) and re-rankings under another measure.
-- Variables (SET VARIABLE): exposure_measure, vulnerability_measure,
--   trap_risk_percentile, trap_entropy_percentile.
-- Tables: regions, region_measure_sums, measure_order, measures, region_diversity (a view),
--   risk_weights, rust_belt_states, levels.
-- The windows (percentile ranks, risk rank) run over narrow rows; the wide context columns
-- are joined once, at the end.
--
-- flag_trap needs a level of at least 10 regions (a top decile must exist).
-- collapse_risk = sum_k w_k * p_k / sum_k w_k over the components k a region has, where p_k
-- is the within-level percentile rank (percent_rank: 0 = lowest .. 1 = highest) of
--   vulnerable_share, concentration = 1 - entropy_norm, unemployment_rate,
--   smallness = -ln(total_employment).
WITH positions AS (
    -- where each needed measure sits in the per-measure lists of region_measure_sums
    SELECT
        list_position(measures, getvariable('exposure_measure')) AS i_exposure,
        list_position(measures, getvariable('vulnerability_measure')) AS i_vulnerability,
        list_position(measures, 'eloundou_automation') AS i_automation,
        list_position(measures, 'soc51_production_share') AS i_production,
        (SELECT scale = 'unit' FROM measures WHERE measure = getvariable('exposure_measure'))
            AS unit_scale
    FROM measure_order
),
picked AS (
    -- the sums of the needed measures; scored = jobs with a score under the measure
    SELECT s.level, s.region_id, s.total_employment, s.imputed_employment, unit_scale,
        s.total_employment - coalesce(s.unscored[i_exposure], 0) AS scored,
        s.e_score[i_exposure] AS e_score,
        s.e_ge_10[i_exposure] AS e_ge_10,
        s.e_ge_50[i_exposure] AS e_ge_50,
        s.e_score[i_automation]
            / nullif(s.total_employment - coalesce(s.unscored[i_automation], 0), 0)
            AS automation_mean,
        s.e_score[i_production]
            / nullif(s.total_employment - coalesce(s.unscored[i_production], 0), 0)
            AS production_share,
        s.e_vulnerable[i_vulnerability]
            / nullif(s.total_employment - coalesce(s.unscored_vulnerable[i_vulnerability], 0), 0)
            AS vulnerable_share
    FROM region_measure_sums AS s, positions
),
indices AS MATERIALIZED (
    SELECT s.level, s.region_id, s.total_employment,
        s.scored / s.total_employment AS coverage,
        s.imputed_employment / s.total_employment AS imputed_share,
        s.e_score / nullif(s.scored, 0) AS exposure_mean,
        s.e_ge_10 / nullif(s.scored, 0) AS share_ge_10,
        s.e_ge_50 / nullif(s.scored, 0) AS share_ge_50,
        CASE WHEN unit_scale THEN s.e_score / nullif(s.scored, 0) * s.total_employment
            END AS exposed_jobs,
        s.automation_mean, s.production_share, s.vulnerable_share,
        d.entropy_norm, d.hhi, d.effective_n, d.hachman, d.krugman,
        r.unemployment_rate
    FROM picked AS s
    JOIN regions AS r ON r.level = s.level AND r.region_id = s.region_id
    LEFT JOIN region_diversity AS d ON d.level = s.level AND d.region_id = s.region_id
),
components AS MATERIALIZED (
    -- rounded to 12 decimals so that equal values summed in another order still tie
    SELECT level, region_id, total_employment, entropy_norm,
        round(vulnerable_share, 12) AS c_vulnerable,
        round(1 - entropy_norm, 12) AS c_concentration,
        round(unemployment_rate, 12) AS c_unemployment,
        round(-ln(total_employment), 12) AS c_smallness
    FROM indices
),
component_counts AS (
    SELECT level, count(*) AS regions_in_level, count(c_concentration) AS n_concentration
    FROM components
    GROUP BY level
),
percentiles AS (
    -- percent_rank among the regions of the level that have the component (NULLs excluded)
    SELECT c.level, c.region_id,
        CASE WHEN c_vulnerable IS NOT NULL THEN percent_rank() OVER (
            PARTITION BY c.level, c_vulnerable IS NULL ORDER BY c_vulnerable) END AS p_vulnerable,
        CASE WHEN c_concentration IS NOT NULL THEN percent_rank() OVER (
            PARTITION BY c.level, c_concentration IS NULL ORDER BY c_concentration)
            END AS p_concentration,
        -- percent_rank of entropy_norm among all regions of the level, from the same window:
        -- the regions with a lower entropy are those with a higher concentration
        CASE WHEN c_concentration IS NOT NULL THEN coalesce(
            (n_concentration - round(n_concentration * cume_dist() OVER (
                PARTITION BY c.level, c_concentration IS NULL ORDER BY c_concentration)))
            / nullif(regions_in_level - 1, 0), 0) END AS entropy_pct,
        CASE WHEN c_unemployment IS NOT NULL THEN percent_rank() OVER (
            PARTITION BY c.level, c_unemployment IS NULL ORDER BY c_unemployment)
            END AS p_unemployment,
        CASE WHEN c_smallness IS NOT NULL THEN percent_rank() OVER (
            PARTITION BY c.level, c_smallness IS NULL ORDER BY c_smallness) END AS p_smallness
    FROM components AS c
    JOIN component_counts AS n ON n.level = c.level
),
weights AS (
    SELECT
        coalesce(max(weight) FILTER (WHERE component = 'vulnerable_share'), 0) AS w_vulnerable,
        coalesce(max(weight) FILTER (WHERE component = 'concentration'), 0) AS w_concentration,
        coalesce(max(weight) FILTER (WHERE component = 'unemployment_rate'), 0)
            AS w_unemployment,
        coalesce(max(weight) FILTER (WHERE component = 'smallness'), 0) AS w_smallness
    FROM risk_weights
),
risk AS MATERIALIZED (
    SELECT p.level, p.region_id,
        (coalesce(w_vulnerable * p_vulnerable, 0) + coalesce(w_concentration * p_concentration, 0)
         + coalesce(w_unemployment * p_unemployment, 0) + coalesce(w_smallness * p_smallness, 0))
        / nullif(w_vulnerable * (p_vulnerable IS NOT NULL)::INTEGER
                 + w_concentration * (p_concentration IS NOT NULL)::INTEGER
                 + w_unemployment * (p_unemployment IS NOT NULL)::INTEGER
                 + w_smallness * (p_smallness IS NOT NULL)::INTEGER, 0) AS collapse_risk,
        p_vulnerable AS risk_p_vulnerable,
        p_concentration AS risk_p_concentration,
        p_unemployment AS risk_p_unemployment,
        p_smallness AS risk_p_smallness,
        (p_vulnerable IS NOT NULL)::INTEGER + (p_concentration IS NOT NULL)::INTEGER
            + (p_unemployment IS NOT NULL)::INTEGER + (p_smallness IS NOT NULL)::INTEGER
            AS risk_components,
        entropy_pct
    FROM percentiles AS p, weights
),
ranks AS (
    SELECT c.level, c.region_id,
        row_number() OVER (PARTITION BY c.level
            ORDER BY k.collapse_risk DESC NULLS LAST, c.total_employment DESC, c.region_id)
            AS risk_rank
    FROM components AS c
    JOIN risk AS k ON k.level = c.level AND k.region_id = c.region_id
),
reference_production AS (
    -- production share of the reference level as a whole (employment-weighted)
    SELECT l.level,
        sum(x.production_share * x.total_employment) / sum(x.total_employment)
            AS reference_production_share
    FROM levels AS l
    JOIN indices AS x ON x.level = coalesce(l.reference_level, l.level)
    GROUP BY l.level
),
ranked AS (
    SELECT
        r.level, r.region_id, r.name, r.state, r.states, r.kind,
        x.total_employment, x.coverage, x.imputed_share,
        x.exposure_mean, x.share_ge_10, x.share_ge_50, x.exposed_jobs,
        x.automation_mean, x.vulnerable_share,
        x.entropy_norm, x.hhi, x.effective_n, x.hachman, x.krugman,
        r.unemployment_rate, r.median_hh_income, r.population, r.labor_force, r.poverty_rate,
        k.collapse_risk, n.risk_rank, c.regions_in_level,
        k.risk_p_vulnerable, k.risk_p_concentration, k.risk_p_unemployment, k.risk_p_smallness,
        k.risk_components, x.production_share, rp.reference_production_share, k.entropy_pct,
        r.lower_tier, r.global_south,
        r.name_zh, r.name_pinyin, r.province, r.tier, r.tier_zh, r.tier_rank, r.gdp_per_capita,
        r.income_group, r.iso3, r.data_quality
    FROM indices AS x
    JOIN regions AS r ON r.level = x.level AND r.region_id = x.region_id
    JOIN risk AS k ON k.level = x.level AND k.region_id = x.region_id
    JOIN ranks AS n ON n.level = x.level AND n.region_id = x.region_id
    JOIN component_counts AS c ON c.level = x.level
    LEFT JOIN reference_production AS rp ON rp.level = x.level
)
SELECT
    level, region_id, name, state, states, kind, total_employment, coverage, imputed_share,
    exposure_mean, share_ge_10, share_ge_50, exposed_jobs, automation_mean, vulnerable_share,
    entropy_norm, hhi, effective_n, hachman, krugman,
    unemployment_rate, median_hh_income, population, labor_force, poverty_rate,
    collapse_risk, risk_rank, regions_in_level,
    risk_p_vulnerable, risk_p_concentration, risk_p_unemployment, risk_p_smallness,
    risk_components, production_share,
    coalesce(state IN (SELECT state_abbr FROM rust_belt_states)
        AND production_share >= reference_production_share, false) AS flag_rust_belt,
    coalesce(lower_tier, false) AS flag_lower_tier,
    coalesce(global_south, false) AS flag_global_south,
    coalesce(collapse_risk IS NOT NULL AND regions_in_level >= 10
        AND risk_rank <= ceil((1 - getvariable('trap_risk_percentile')) * regions_in_level)
        AND entropy_pct <= getvariable('trap_entropy_percentile'), false) AS flag_trap,
    getvariable('exposure_measure') AS exposure_measure,
    getvariable('vulnerability_measure') AS vulnerability_measure,
    name_zh, name_pinyin, province, tier, tier_zh, tier_rank, gdp_per_capita, income_group, iso3,
    data_quality
FROM ranked;
