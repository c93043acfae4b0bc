-- Views for the common questions. v_measure_comparison is created separately (its columns are
-- the measures present in the database); see atlas/catalog.py for every column's meaning.

CREATE OR REPLACE VIEW v_us_areas_ranked AS
SELECT
    risk_rank, region_id, name, states, kind, total_employment, collapse_risk,
    vulnerable_share, entropy_norm, unemployment_rate, share_ge_50, exposure_mean,
    exposed_jobs, median_hh_income, flag_trap, flag_rust_belt, flag_lower_tier
FROM region_indices
WHERE level = 'us_area'
ORDER BY risk_rank;

CREATE OR REPLACE VIEW v_state_summary AS
WITH areas AS (
    SELECT state, name, risk_rank, total_employment, collapse_risk, exposure_mean,
        flag_trap, flag_rust_belt, flag_lower_tier
    FROM region_indices
    WHERE level = 'us_area'
)
SELECT
    state,
    count(*) AS areas,
    sum(total_employment) AS jobs,
    sum(total_employment * exposure_mean) / sum(total_employment) AS mean_exposure,
    sum(total_employment * collapse_risk) / sum(total_employment) AS mean_collapse_risk,
    count(*) FILTER (WHERE flag_trap) AS trap_areas,
    count(*) FILTER (WHERE flag_rust_belt) AS rust_belt_areas,
    count(*) FILTER (WHERE flag_lower_tier) AS lower_tier_areas,
    arg_min(name, risk_rank) AS highest_risk_area
FROM areas
GROUP BY state
ORDER BY mean_collapse_risk DESC;
