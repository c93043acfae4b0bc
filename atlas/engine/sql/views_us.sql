-- Views for the US levels (created when the atlas has the level us_area).

CREATE OR REPLACE VIEW v_us_areas_ranked AS
SELECT
    risk_rank, region_id, name, states, kind, total_employment, collapse_risk,
    COLUMNS('^pillar_'), substitutable_share, substitutable_excess, employment_change,
    unemployment_persistent, poverty_rate, group_entropy, share_ge_50, exposure_mean,
    exposed_jobs, median_hh_income, rank_p05, rank_p95, flag_trap, flag_transition_target,
    flag_rust_belt, flag_lower_tier, flag_low_confidence
FROM region_indices
WHERE level = 'us_area'
ORDER BY risk_rank;

CREATE OR REPLACE VIEW v_state_summary AS
WITH areas AS (
    SELECT state, region_id, name, risk_rank, total_employment, collapse_risk, exposure_mean,
        flag_trap, flag_transition_target, flag_rust_belt, flag_lower_tier
    FROM region_indices
    WHERE level = 'us_area'
)
SELECT
    state,
    count(*) AS areas,
    sum(total_employment ORDER BY region_id) AS jobs,  -- ordered: the same bits every time
    sum(total_employment * exposure_mean ORDER BY region_id)
        / sum(total_employment ORDER BY region_id) AS mean_exposure,
    sum(total_employment * collapse_risk ORDER BY region_id)
        / sum(total_employment ORDER BY region_id) AS mean_collapse_risk,
    count(*) FILTER (WHERE flag_trap) AS trap_areas,
    count(*) FILTER (WHERE flag_transition_target) AS transition_target_areas,
    count(*) FILTER (WHERE flag_rust_belt) AS rust_belt_areas,
    count(*) FILTER (WHERE flag_lower_tier) AS lower_tier_areas,
    arg_min(name, risk_rank) AS highest_risk_area
FROM areas
GROUP BY state
ORDER BY mean_collapse_risk DESC;
