-- region_components: the component rows of the model in use, a view over the rows of every
-- model (risk_model_components) with each component's label, pillar, indicator and weight
-- (risk_components; one row per model, level and component). {model}: the model in use, a
-- quoted literal written in when the view is made (a view cannot read a session variable).
CREATE OR REPLACE TEMP VIEW region_components AS
SELECT m.level, m.region_id, m.component, c.label, c.pillar, c.indicator, c.weight,
    m.value, m.score
FROM risk_model_components AS m
JOIN risk_components AS c
    ON c.model = m.model AND c.level = m.level AND c.component = m.component
WHERE m.model = {model};
