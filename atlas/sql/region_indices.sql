-- One row per level x region: size, exposure, vulnerability, diversity, context,
-- collapse risk, rank and flags. A SELECT, so the same text serves the build
-- (CREATE TABLE region_indices AS ...) and re-rankings under another measure.
-- Variables (SET VARIABLE): exposure_measure, vulnerability_measure,
--   trap_risk_percentile, trap_entropy_percentile.
-- Tables: regions, region_totals, region_exposure, region_vulnerability, region_diversity,
--   risk_weights, rust_belt_states, levels.
--
-- flag_trap needs a level of at least 10 regions (a top decile must exist).
-- collapse_risk = sum_k w_k * p_k / sum_k w_k over the components k a region has, where p_k
-- is the within-level percentile rank (percent_rank: 0 = lowest .. 1 = highest) of
--   vulnerable_share, concentration = 1 - entropy_norm, unemployment_rate,
--   smallness = -ln(total_employment).
WITH exposure AS (
    SELECT level, region_id, coverage, exposure_mean, share_ge_10, share_ge_50, exposed_jobs
    FROM region_exposure
    WHERE measure = getvariable('exposure_measure')
),
automation AS (
    SELECT level, region_id, exposure_mean AS automation_mean
    FROM region_exposure
    WHERE measure = 'eloundou_automation'
),
production AS (
    SELECT level, region_id, exposure_mean AS production_share
    FROM region_exposure
    WHERE measure = 'soc51_production_share'
),
base AS (
    SELECT
        r.level, r.region_id, r.name, r.state, r.states, r.kind,
        t.total_employment, x.coverage,
        t.imputed_employment / t.total_employment AS imputed_share,
        x.exposure_mean, x.share_ge_10, x.share_ge_50, x.exposed_jobs,
        a.automation_mean, v.vulnerable_share,
        d.entropy_norm, d.hhi, d.effective_n, d.hachman, d.krugman,
        r.unemployment_rate, r.median_hh_income, r.population, r.labor_force, r.poverty_rate,
        p.production_share, r.lower_tier, r.name_zh, r.name_pinyin, r.province, r.tier,
        r.tier_zh, r.tier_rank, r.gdp_per_capita, r.income_group, r.iso3, r.data_quality,
        r.global_south
    FROM regions AS r
    JOIN region_totals AS t ON t.level = r.level AND t.region_id = r.region_id
    LEFT JOIN exposure AS x ON x.level = r.level AND x.region_id = r.region_id
    LEFT JOIN region_vulnerability AS v ON v.level = r.level AND v.region_id = r.region_id
    LEFT JOIN automation AS a ON a.level = r.level AND a.region_id = r.region_id
    LEFT JOIN production AS p ON p.level = r.level AND p.region_id = r.region_id
    LEFT JOIN region_diversity AS d ON d.level = r.level AND d.region_id = r.region_id
),
components AS (
    -- rounded to 12 decimals so that equal values summed in another order still tie
    SELECT level, region_id,
        round(vulnerable_share, 12) AS c_vulnerable,
        round(1 - entropy_norm, 12) AS c_concentration,
        round(unemployment_rate, 12) AS c_unemployment,
        round(-ln(total_employment), 12) AS c_smallness
    FROM base
),
percentiles AS (
    -- percent_rank among the regions of the level that have the component (NULLs excluded)
    SELECT level, region_id,
        CASE WHEN c_vulnerable IS NOT NULL THEN percent_rank() OVER (
            PARTITION BY level, c_vulnerable IS NULL ORDER BY c_vulnerable) END AS p_vulnerable,
        CASE WHEN c_concentration IS NOT NULL THEN percent_rank() OVER (
            PARTITION BY level, c_concentration IS NULL ORDER BY c_concentration)
            END AS p_concentration,
        CASE WHEN c_unemployment IS NOT NULL THEN percent_rank() OVER (
            PARTITION BY level, c_unemployment IS NULL ORDER BY c_unemployment)
            END AS p_unemployment,
        CASE WHEN c_smallness IS NOT NULL THEN percent_rank() OVER (
            PARTITION BY level, c_smallness IS NULL ORDER BY c_smallness) END AS p_smallness
    FROM components
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
risk AS (
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
            AS risk_components
    FROM percentiles AS p, weights
),
reference_production AS (
    -- production share of the reference level as a whole (employment-weighted)
    SELECT l.level,
        sum(b.production_share * b.total_employment) / sum(b.total_employment)
            AS reference_production_share
    FROM levels AS l
    JOIN base AS b ON b.level = coalesce(l.reference_level, l.level)
    GROUP BY l.level
),
ranked AS (
    SELECT b.*, k.collapse_risk, k.risk_p_vulnerable, k.risk_p_concentration,
        k.risk_p_unemployment, k.risk_p_smallness, k.risk_components,
        rp.reference_production_share,
        row_number() OVER (PARTITION BY b.level
            ORDER BY k.collapse_risk DESC NULLS LAST, b.total_employment DESC, b.region_id)
            AS risk_rank,
        count(*) OVER (PARTITION BY b.level) AS regions_in_level,
        percent_rank() OVER (PARTITION BY b.level ORDER BY b.entropy_norm) AS entropy_pct
    FROM base AS b
    LEFT JOIN risk AS k ON k.level = b.level AND k.region_id = b.region_id
    LEFT JOIN reference_production AS rp ON rp.level = b.level
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
FROM ranked
ORDER BY level, risk_rank;
