-- Collapse risk of one model, for every level (temp tables; see atlas/spec/risk_model.py for the
-- formulas). Variable: risk_model. Tables: risk_components(model, level, component, label,
-- pillar, indicator, direction, transform, weight), risk_pillars(model, pillar, label,
-- weight, aggregation, pillar_scale, gate), region_indicator_values, region_base, levels,
-- context_indicators, region_rank_groups.
--
-- Mid-rank percentile within a level: P(x) = (count below x + half the ties) / n
--   = ((rank - 1) / n + cume_dist) / 2; percent_rank = (rank - 1) / (n - 1).
-- Values are rounded to 12 decimals first, so that equal values summed in another order tie.

-- Component scores: one row per level x region x component the region has.
CREATE OR REPLACE TEMP TABLE region_components AS
WITH components AS (
    SELECT level, component, label, pillar, indicator, direction, transform, weight
    FROM risk_components
    WHERE model = getvariable('risk_model')
),
observed AS (
    SELECT c.level, v.region_id, c.component, c.label, c.pillar, c.indicator, c.weight,
        c.transform, v.value,
        round(CASE c.direction WHEN 'higher' THEN v.value ELSE -v.value END, 12) AS oriented
    FROM components AS c
    JOIN region_indicator_values AS v ON v.level = c.level AND v.indicator = c.indicator
    SEMI JOIN region_base AS b ON b.level = v.level AND b.region_id = v.region_id
    WHERE isfinite(v.value)
)
SELECT level, region_id, component, label, pillar, indicator, weight, value,
    CASE transform
        WHEN 'percent_rank' THEN percent_rank() OVER ordered
        ELSE ((rank() OVER ordered - 1) / count(*) OVER everyone + cume_dist() OVER ordered) / 2
    END AS score
FROM observed
WINDOW everyone AS (PARTITION BY level, component),
       ordered AS (PARTITION BY level, component ORDER BY oriented);

-- Gates: per level, region and gated pillar, whether the region's gate indicator (a percent
-- change over the window) is on the safe side of the reference (the change of the reference
-- level's summed jobs, gate_reference_changes: gate_references.sql), and its gate score.
CREATE OR REPLACE TEMP TABLE region_gates AS
WITH gates AS (
    SELECT p.pillar, c.level, c.component, c.indicator, c.direction
    FROM risk_pillars AS p
    JOIN risk_components AS c ON c.model = p.model AND c.component = p.gate::VARCHAR
        AND c.pillar = p.pillar
    WHERE p.model = getvariable('risk_model') AND p.weight > 0
),
reference AS (
    SELECT g.level, g.pillar, r.reference_change
    FROM gates AS g
    JOIN gate_reference_changes AS r ON r.level = g.level AND r.indicator = g.indicator
)
SELECT c.level, c.region_id, g.pillar, g.component AS gate, c.score AS gate_score,
    r.reference_change,
    coalesce(CASE g.direction WHEN 'higher' THEN c.value < r.reference_change
                              ELSE c.value > r.reference_change END, false) AS gated
FROM gates AS g
JOIN region_components AS c ON c.level = g.level AND c.component = g.component
LEFT JOIN reference AS r ON r.level = g.level AND r.pillar = g.pillar;

-- Pillar scores: the weighted mean of the region's component scores in the pillar, then (for
-- pillar_scale = 'percentile') its mid-rank percentile within the level, capped at the gate
-- score where the region is gated.
CREATE OR REPLACE TEMP TABLE region_pillars AS
WITH pillars AS (
    SELECT pillar, label, weight, aggregation, pillar_scale
    FROM risk_pillars
    WHERE model = getvariable('risk_model') AND weight > 0
),
means AS (
    SELECT level, region_id, pillar, count(*) AS components,
        round(sum(weight * score) / sum(weight), 12) AS pillar_mean
    FROM region_components
    WHERE weight > 0
    GROUP BY level, region_id, pillar
),
scored AS (
    SELECT m.level, m.region_id, m.pillar, p.label, p.weight, p.aggregation, m.components,
        m.pillar_mean,
        CASE p.pillar_scale
            WHEN 'percentile' THEN ((rank() OVER pillar_ordered - 1) / count(*) OVER pillar_all
                                    + cume_dist() OVER pillar_ordered) / 2
            ELSE m.pillar_mean
        END AS pillar_score
    FROM means AS m
    JOIN pillars AS p ON p.pillar = m.pillar
    WINDOW pillar_all AS (PARTITION BY m.level, m.pillar),
           pillar_ordered AS (PARTITION BY m.level, m.pillar ORDER BY m.pillar_mean)
)
SELECT s.* EXCLUDE (pillar_score),
    CASE WHEN g.gated THEN least(s.pillar_score, g.gate_score) ELSE s.pillar_score END
        AS pillar_score
FROM scored AS s
LEFT JOIN region_gates AS g ON g.level = s.level AND g.region_id = s.region_id
    AND g.pillar = s.pillar;

-- Collapse risk, rank and the pillar minimum (the trap flag needs every pillar high).
CREATE OR REPLACE TEMP TABLE region_risk AS
WITH level_pillars AS (
    SELECT level, count(DISTINCT pillar) AS pillars FROM region_pillars GROUP BY level
),
level_components AS (
    SELECT level, count(*) AS components
    FROM risk_components
    WHERE model = getvariable('risk_model') AND weight > 0
    GROUP BY level
),
combined AS (
    SELECT p.level, p.region_id, count(*) AS pillars, min(p.pillar_score) AS min_pillar,
        sum(p.components) AS components,
        CASE any_value(p.aggregation)
            WHEN 'geometric' THEN exp(sum(p.weight * ln(greatest(p.pillar_score, 1e-300)))
                                      / sum(p.weight))
            ELSE sum(p.weight * p.pillar_score) / sum(p.weight)
        END AS risk
    FROM region_pillars AS p
    GROUP BY p.level, p.region_id
),
scored AS (
    SELECT b.level, b.region_id, b.total_employment, g.rank_group,
        CASE WHEN c.pillars = l.pillars THEN round(c.risk, 12) END AS collapse_risk,
        CASE WHEN c.pillars = l.pillars THEN c.min_pillar END AS min_pillar,
        coalesce(n.components, 0) - coalesce(c.components, 0) AS missing_components
    FROM region_base AS b
    LEFT JOIN combined AS c ON c.level = b.level AND c.region_id = b.region_id
    LEFT JOIN level_pillars AS l ON l.level = b.level
    LEFT JOIN level_components AS n ON n.level = b.level
    LEFT JOIN region_rank_groups AS g ON g.level = b.level AND g.region_id = b.region_id
)
-- risk_rank over the whole level; group_rank within the level's rank group
-- (region_rank_groups: risk_rank_groups.sql; a level without groups is one group).
SELECT level, region_id, collapse_risk, min_pillar, missing_components,
    CASE WHEN collapse_risk IS NOT NULL THEN row_number() OVER (
        PARTITION BY level
        ORDER BY collapse_risk DESC NULLS LAST, total_employment DESC, region_id) END
        AS risk_rank,
    count(collapse_risk) OVER (PARTITION BY level) AS regions_in_level,
    rank_group,
    CASE WHEN collapse_risk IS NOT NULL THEN row_number() OVER (
        PARTITION BY level, rank_group
        ORDER BY collapse_risk DESC NULLS LAST, total_employment DESC, region_id) END
        AS group_rank,
    count(collapse_risk) OVER (PARTITION BY level, rank_group) AS regions_in_group,
    getvariable('risk_model') AS risk_model
FROM scored;
