-- The model's pillar and component scores as columns (pillar_<pillar>, risk_p_<component>),
-- one row per level x region, for region_indices, maps and exports.
CREATE OR REPLACE TEMP TABLE region_pillar_wide AS
PIVOT (SELECT level, region_id, 'pillar_' || pillar AS name, pillar_score FROM region_pillars)
ON name USING first(pillar_score) GROUP BY level, region_id;

CREATE OR REPLACE TEMP TABLE region_component_wide AS
PIVOT (SELECT level, region_id, 'risk_p_' || component AS name, score FROM region_components)
ON name USING first(score) GROUP BY level, region_id;
