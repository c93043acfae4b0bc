-- Flags of every region (temp table region_flags). Variables: min_regions, trap_top_share,
-- trap_min_pillar, trap_min_shock_ratio, near_trap_top_share, rust_belt_min_industrial_ratio,
-- rust_belt_max_employment_change, low_confidence_max_imputed_share, trap_confident_only.
-- Tables: region_base, region_risk (group_rank, regions_in_group), regions, region_attributes
--   (composition_source), levels,
--   region_context, rust_belt_states.
--
--   flag_top_decile        collapse risk in the top trap_top_share of the region's rank
--                          group (group_rank <= ceil(share x regions_in_group), groups of
--                          min_regions or more ranked regions); the group
--                          is the level's rank_group (levels.toml; countries: the income
--                          group), else the whole level
--   flag_trap              collapse risk in the top trap_top_share of its rank group
--                          (flag_top_decile) and every pillar
--                          >= trap_min_pillar, and an absolute shock: substitutable_share
--                          >= trap_min_shock_ratio x the reference level's share
--                          (reference_substitutable_share = sum substitutable_jobs /
--                          sum (E + U); ratio 0: no floor); rank groups of min_regions or
--                          more ranked regions (every condition but the rank also holds for
--                          a transition target; with trap_confident_only, also not
--                          flag_low_confidence)
--   flag_rust_belt         industrial_share >= ratio x the reference level's share and
--                          employment_change <= the threshold (percent over the window)
--   flag_lower_tier        as the reader defines it (US rule, China tiers 3-5, LIC/LMC)
--   flag_transition_target flag_trap, or a near-trap (top near_trap_top_share, every
--                          pillar >= trap_min_pillar) that is rust-belt or lower-tier
--   flag_low_confidence    imputed_share above the threshold, a missing model component,
--                          or a modelled composition
CREATE OR REPLACE TEMP TABLE region_flags AS
WITH reference AS (
    SELECT l.level,
        sum(b.industrial_share * b.total_employment ORDER BY b.region_id)
            / sum(b.total_employment ORDER BY b.region_id) AS reference_industrial_share,
        sum(b.substitutable_jobs ORDER BY b.region_id)
            / sum(b.total_employment + b.uncounted_employment ORDER BY b.region_id)
            FILTER (WHERE b.substitutable_jobs IS NOT NULL)
            AS reference_substitutable_share
    FROM levels AS l
    JOIN region_base AS b ON b.level = coalesce(l.reference_level, l.level)
    GROUP BY l.level
),
change AS (
    SELECT level, region_id, value AS employment_change
    FROM region_context
    WHERE indicator = 'employment_change'
),
confidence AS (
    SELECT b.level, b.region_id,
        coalesce(b.imputed_share > getvariable('low_confidence_max_imputed_share'), false)
            OR coalesce(k.missing_components > 0, true)
            OR coalesce(m.value = 'modelled', false) AS low_confidence
    FROM region_base AS b
    LEFT JOIN region_attributes AS m ON m.level = b.level AND m.region_id = b.region_id
        AND m.attribute = 'composition_source'
    LEFT JOIN region_risk AS k ON k.level = b.level AND k.region_id = b.region_id
),
ranked AS (
    SELECT b.level, b.region_id, b.industrial_share, b.imputed_share, k.collapse_risk,
        k.min_pillar, k.missing_components,
        k.regions_in_group >= getvariable('min_regions') AND k.collapse_risk IS NOT NULL
            AND k.min_pillar >= getvariable('trap_min_pillar')
            AND (getvariable('trap_min_shock_ratio') = 0
                 OR coalesce(b.substitutable_share >= getvariable('trap_min_shock_ratio')
                             * f.reference_substitutable_share, false))
            AND NOT (getvariable('trap_confident_only') AND q.low_confidence) AS eligible,
        coalesce(b.substitutable_share >= getvariable('trap_min_shock_ratio')
                 * f.reference_substitutable_share, false) AS above_shock_floor,
        k.group_rank <= ceil(getvariable('trap_top_share') * k.regions_in_group)
            AND k.regions_in_group >= getvariable('min_regions') AS top,
        k.group_rank <= ceil(getvariable('near_trap_top_share') * k.regions_in_group) AS near,
        coalesce(b.industrial_share >= getvariable('rust_belt_min_industrial_ratio')
                 * f.reference_industrial_share
            AND c.employment_change <= getvariable('rust_belt_max_employment_change'),
            false) AS rust_belt,
        coalesce(r.lower_tier, false) AS lower_tier,
        coalesce(r.global_south, false) AS global_south,
        q.low_confidence,
        r.parent IN (SELECT state_abbr FROM rust_belt_states) AS in_rust_belt_states,
        f.reference_industrial_share, f.reference_substitutable_share
    FROM region_base AS b
    JOIN regions AS r ON r.level = b.level AND r.region_id = b.region_id
    JOIN confidence AS q ON q.level = b.level AND q.region_id = b.region_id
    LEFT JOIN region_risk AS k ON k.level = b.level AND k.region_id = b.region_id
    LEFT JOIN reference AS f ON f.level = b.level
    LEFT JOIN change AS c ON c.level = b.level AND c.region_id = b.region_id
)
SELECT level, region_id,
    coalesce(top, false) AS flag_top_decile,
    coalesce(eligible AND top, false) AS flag_trap,
    rust_belt AS flag_rust_belt,
    lower_tier AS flag_lower_tier,
    global_south AS flag_global_south,
    coalesce(eligible AND (top OR (near AND (rust_belt OR lower_tier))), false)
        AS flag_transition_target,
    low_confidence AS flag_low_confidence,
    coalesce(in_rust_belt_states, false) AS in_rust_belt_states,
    reference_industrial_share,
    reference_substitutable_share,
    above_shock_floor
FROM ranked;
