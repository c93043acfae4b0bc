-- region_indices: one row per level x region with a composition, every index in one place.
-- A view over the engine's tables (region_base, region_risk, region_pillar_wide,
-- region_component_wide, region_flags), the rank uncertainty (rank_uncertainty), the trap
-- zones (region_lisa), the regions' names and context (regions, region_context_wide) and the
-- level-specific facts (region_attributes_wide). `state` / `states` repeat `parent` /
-- `parents` for readers of earlier releases.
-- Temp tables of the same names (a re-specification) take their place for that connection.
CREATE OR REPLACE VIEW region_indices AS
SELECT
    b.level, b.region_id, r.name, r.parent, r.parents, r.kind,
    b.total_employment,
    k.collapse_risk, k.risk_rank, k.regions_in_level, k.rank_group, k.group_rank,
    k.regions_in_group, k.risk_model,
    p.* EXCLUDE (level, region_id),
    k.min_pillar, k.missing_components,
    f.flag_top_decile, f.flag_trap, f.flag_transition_target, f.flag_rust_belt, f.flag_lower_tier,
    f.flag_global_south, f.flag_low_confidence,
    coalesce(u.flag_robust_trap, false) AS flag_robust_trap,
    u.median_rank, u.rank_p05, u.rank_p95, u.p_top_decile, u.p_trap, u.n_specs,
    z.trap_zone,
    b.* EXCLUDE (level, region_id, total_employment),
    c.* EXCLUDE (level, region_id),
    r.unemployment_rate, r.population, r.labor_force,
    x.* EXCLUDE (level, region_id),
    f.in_rust_belt_states, f.reference_industrial_share, f.reference_substitutable_share,
    f.above_shock_floor,
    a.* EXCLUDE (level, region_id),
    r.data_quality,
    r.parent AS state, r.parents AS states
FROM region_base AS b
JOIN regions AS r ON r.level = b.level AND r.region_id = b.region_id
LEFT JOIN region_risk AS k ON k.level = b.level AND k.region_id = b.region_id
LEFT JOIN region_pillar_wide AS p ON p.level = b.level AND p.region_id = b.region_id
LEFT JOIN region_component_wide AS c ON c.level = b.level AND c.region_id = b.region_id
LEFT JOIN region_flags AS f ON f.level = b.level AND f.region_id = b.region_id
LEFT JOIN rank_uncertainty AS u ON u.level = b.level AND u.region_id = b.region_id
LEFT JOIN region_lisa AS z ON z.level = b.level AND z.region_id = b.region_id
LEFT JOIN region_context_wide AS x ON x.level = b.level AND x.region_id = b.region_id
LEFT JOIN region_attributes_wide AS a ON a.level = b.level AND a.region_id = b.region_id;

-- v_regions: every region (with or without indices), its generic columns, attributes and
-- context side by side.
CREATE OR REPLACE VIEW v_regions AS
SELECT r.*, a.* EXCLUDE (level, region_id), x.* EXCLUDE (level, region_id)
FROM regions AS r
LEFT JOIN region_attributes_wide AS a ON a.level = r.level AND a.region_id = r.region_id
LEFT JOIN region_context_wide AS x ON x.level = r.level AND x.region_id = r.region_id;
