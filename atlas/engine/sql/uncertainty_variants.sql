-- The AI-shock indicators of every structural variant (atlas.engine.uncertainty_choices), for
-- the levels in `variant_levels` and the measures in `variant_measures`, in one pass over the
-- composition. Variables: variant_levels, variant_measures, sheltered_keys (the categories of
-- [exposure.sheltered] as 'taxonomy|category').
--
-- A variant is (measure m, rule, shelter, uncounted). With e_i the jobs of category i in a
-- region, E its jobs, U its uncounted workers (region_context 'uncounted_jobs'), g its
-- diversity groups and ^ref the same summed over the level's reference level:
--   x_i      = substitutable_i (rule 'substitutable': the thresholded share) or score_i
--              (rule 'continuous': the share of task time exposed) under m;
--   public_i = 1 for a listed category, or (shelter) the larger of that and the category's
--              publicly funded share from data (category_public_share);
--   X_g      = sum_(i in g) e_i x_i (1 - public_i);   D = E - jobs without x + uncounted * U
--   share    = sum_g X_g / D
--   excess   = sum_(g <> '') max(0, X_g / (E + uncounted * U) - X_g^ref / (E^ref + uncounted * U^ref))
-- as region_base.sql, region_exposure.sql, region_excess.sql and region_uncounted.sql define
-- today's indicators (the variant of today's configuration gives them again, to 1e-9).
CREATE OR REPLACE TEMP TABLE variant_indicators AS
WITH listed AS (
    SELECT unnest(getvariable('sheltered_keys')) AS key
),
public AS (
    SELECT taxonomy, category, max(public_share) AS public_share
    FROM category_public_share
    GROUP BY taxonomy, category
),
wanted AS (
    SELECT l.level, l.taxonomy, coalesce(l.reference_level, l.level) AS reference_level
    FROM levels AS l
    WHERE list_contains(getvariable('variant_levels'), l.level)
       OR l.level IN (SELECT coalesce(reference_level, level) FROM levels
                      WHERE list_contains(getvariable('variant_levels'), level))
),
facts AS (
    SELECT w.level, s.category, s.measure,
        coalesce(c.diversity_group, s.category) AS grp,
        s.substitutable, s.score,
        CASE WHEN k.key IS NULL THEN 0.0 ELSE 1.0 END AS public_off,
        greatest(CASE WHEN k.key IS NULL THEN 0.0 ELSE 1.0 END,
                 coalesce(p.public_share, 0.0)) AS public_on
    FROM wanted AS w
    JOIN exposure_scores AS s ON s.taxonomy = w.taxonomy
    LEFT JOIN categories AS c ON c.taxonomy = w.taxonomy AND c.category = s.category
    LEFT JOIN public AS p ON p.taxonomy = w.taxonomy AND p.category = s.category
    LEFT JOIN listed AS k ON k.key = w.taxonomy || '|' || s.category
    WHERE list_contains(getvariable('variant_measures'), s.measure)
),
group_sums AS (
    SELECT e.level, e.region_id, f.grp, f.measure,
        sum(e.employment * f.substitutable * (1 - f.public_on)) AS sub_on,
        sum(e.employment * f.substitutable * (1 - f.public_off)) AS sub_off,
        sum(e.employment * f.score * (1 - f.public_on)) AS score_on,
        sum(e.employment * f.score * (1 - f.public_off)) AS score_off,
        sum(CASE WHEN f.substitutable IS NOT NULL THEN e.employment END) AS scored_sub,
        sum(CASE WHEN f.score IS NOT NULL THEN e.employment END) AS scored_score
    FROM employment AS e
    JOIN facts AS f ON f.level = e.level AND f.category = e.category
    GROUP BY e.level, e.region_id, f.grp, f.measure
),
long AS (
    SELECT level, region_id, grp, measure, v.rule, v.shelter,
        CASE WHEN v.rule = 'substitutable' THEN (CASE WHEN v.shelter THEN sub_on ELSE sub_off END)
             ELSE (CASE WHEN v.shelter THEN score_on ELSE score_off END) END AS x,
        CASE WHEN v.rule = 'substitutable' THEN scored_sub ELSE scored_score END AS scored
    FROM group_sums
    CROSS JOIN (VALUES ('substitutable', true), ('substitutable', false),
                       ('continuous', true), ('continuous', false)) AS v(rule, shelter)
),
jobs AS (
    SELECT s.level, s.region_id, s.total_employment AS e,
        coalesce(u.value, 0.0) AS u
    FROM region_measure_sums AS s
    LEFT JOIN region_context AS u ON u.level = s.level AND u.region_id = s.region_id
        AND u.indicator = 'uncounted_jobs' AND isfinite(u.value) AND u.value > 0
    WHERE s.level IN (SELECT level FROM wanted)
),
reference_jobs AS (
    SELECT w.level, sum(j.e) AS e, sum(j.u) AS u
    FROM wanted AS w JOIN jobs AS j ON j.level = w.reference_level
    GROUP BY w.level
),
reference_groups AS (
    SELECT w.level, x.grp, x.measure, x.rule, x.shelter, sum(x.x) AS x
    FROM wanted AS w JOIN long AS x ON x.level = w.reference_level
    GROUP BY w.level, x.grp, x.measure, x.rule, x.shelter
),
counted AS (SELECT unnest([true, false]) AS uncounted)
SELECT x.level, x.region_id, x.measure, x.rule, x.shelter, c.uncounted,
    sum(x.x) / nullif(sum(x.scored) + CASE WHEN c.uncounted THEN j.u ELSE 0 END, 0)
        AS substitutable_share,
    CASE WHEN sum(x.x) IS NOT NULL AND j.e <> 0 THEN
        coalesce(sum(greatest(0, coalesce(x.x, 0)
                                 / nullif(j.e + CASE WHEN c.uncounted THEN j.u ELSE 0 END, 0)
                              - coalesce(r.x / nullif(t.e + CASE WHEN c.uncounted THEN t.u
                                                                 ELSE 0 END, 0), 0)))
                 FILTER (WHERE x.grp <> ''), 0) END AS substitutable_excess
FROM long AS x
CROSS JOIN counted AS c
JOIN jobs AS j ON j.level = x.level AND j.region_id = x.region_id
LEFT JOIN reference_jobs AS t ON t.level = x.level
LEFT JOIN reference_groups AS r ON r.level = x.level AND r.grp = x.grp
    AND r.measure = x.measure AND r.rule = x.rule AND r.shelter = x.shelter
WHERE list_contains(getvariable('variant_levels'), x.level)
GROUP BY x.level, x.region_id, x.measure, x.rule, x.shelter, c.uncounted, j.e, j.u;
