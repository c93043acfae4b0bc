-- Inputs of the vectorised risk step (atlas/engine/risk_vector.py), with integer codes so that the
-- arrays hold no text. Variable: risk_models (the models, the one in use last).
-- Regions are numbered in (level, region_id) order: within a level, a smaller number is a
-- smaller region_id (the last tie-break of the rank).
CREATE OR REPLACE TEMP TABLE risk_v_regions AS
-- group_code numbers the (level, rank group) pairs (region_rank_groups; none: the level).
SELECT (row_number() OVER (ORDER BY b.level, b.region_id) - 1)::BIGINT AS r,
    dense_rank() OVER (ORDER BY b.level) - 1 AS level_code,
    dense_rank() OVER (ORDER BY b.level, g.rank_group) - 1 AS group_code,
    b.level, b.region_id, b.total_employment, g.rank_group
FROM region_base AS b
LEFT JOIN region_rank_groups AS g ON g.level = b.level AND g.region_id = b.region_id;

-- The models' components, numbered; model_code = the position in risk_models.
CREATE OR REPLACE TEMP TABLE risk_v_components AS
SELECT (row_number() OVER (ORDER BY c.model, c.level, c.component) - 1)::BIGINT AS k,
    (list_position(getvariable('risk_models'), c.model) - 1)::BIGINT AS model_code,
    c.model, c.level, c.component, c.label, c.pillar, c.indicator, c.direction, c.transform,
    c.weight
FROM risk_components AS c
WHERE list_contains(getvariable('risk_models'), c.model);

-- The models' pillars, numbered.
CREATE OR REPLACE TEMP TABLE risk_v_pillars AS
SELECT (row_number() OVER (ORDER BY model, pillar) - 1)::BIGINT AS mp,
    (list_position(getvariable('risk_models'), model) - 1)::BIGINT AS model_code,
    model, pillar, label, weight, aggregation, pillar_scale, gate
FROM risk_pillars
WHERE list_contains(getvariable('risk_models'), model);
