-- The vectorised risk step's tables, from its arrays (registered as risk_v_scored: k, r,
-- value, score; risk_v_pillar_scores: mp, r, components, pillar_mean, pillar_score (capped
-- at the gates); risk_v_gate_rows: k, r, mp, gate_score, reference_change, gated; risk_v_risk: model_code, r, collapse_risk, min_pillar, missing_components, risk_rank,
-- regions_in_level, group_rank, regions_in_group), with the names put back. Variable: risk_model (the model in use).
-- Columns and types as risk_scores.sql writes them.
CREATE OR REPLACE TEMP TABLE risk_model_components AS
SELECT c.model, b.level, b.region_id, c.component, s.value, s.score
FROM risk_v_scored AS s
JOIN risk_v_components AS c USING (k)
JOIN risk_v_regions AS b USING (r);

CREATE OR REPLACE TEMP TABLE region_components AS
SELECT b.level, b.region_id, c.component, c.label, c.pillar, c.indicator, c.weight, s.value,
    s.score
FROM risk_v_scored AS s
JOIN risk_v_components AS c USING (k)
JOIN risk_v_regions AS b USING (r)
WHERE c.model = getvariable('risk_model');

CREATE OR REPLACE TEMP TABLE region_pillars AS
SELECT b.level, b.region_id, p.pillar, p.label, p.weight, p.aggregation, s.components,
    s.pillar_mean, s.pillar_score
FROM risk_v_pillar_scores AS s
JOIN risk_v_pillars AS p USING (mp)
JOIN risk_v_regions AS b USING (r)
WHERE p.model = getvariable('risk_model');

CREATE OR REPLACE TEMP TABLE risk_model_scores AS
SELECT list_extract(getvariable('risk_models'), s.model_code + 1) AS model, b.level,
    b.region_id, s.collapse_risk, s.risk_rank
FROM risk_v_risk AS s
JOIN risk_v_regions AS b USING (r);

CREATE OR REPLACE TEMP TABLE region_risk AS
SELECT b.level, b.region_id, s.collapse_risk, s.min_pillar,
    s.missing_components::HUGEINT AS missing_components, s.risk_rank,
    s.regions_in_level, b.rank_group, s.group_rank, s.regions_in_group,
    getvariable('risk_model') AS risk_model
FROM risk_v_risk AS s
JOIN risk_v_regions AS b USING (r)
WHERE list_extract(getvariable('risk_models'), s.model_code + 1) = getvariable('risk_model');

CREATE OR REPLACE TEMP TABLE region_gates AS
SELECT b.level, b.region_id, p.pillar, c.component AS gate, s.gate_score, s.reference_change,
    s.gated
FROM risk_v_gate_rows AS s
JOIN risk_v_components AS c USING (k)
JOIN risk_v_pillars AS p USING (mp)
JOIN risk_v_regions AS b USING (r)
WHERE p.model = getvariable('risk_model');
