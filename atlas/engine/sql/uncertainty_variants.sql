-- The AI-shock indicators of every structural variant (atlas.engine.uncertainty_choices), for
-- the levels in `variant_levels` and the measures in `variant_measures`, in one pass over the
-- composition. Variables: variant_levels, variant_measures, sheltered_keys (the categories of
-- [exposure.sheltered] as 'taxonomy|category'), today_threshold ([exposure]
-- substitutable_exposure) and variant_thresholds (the other exposure thresholds to compute).
--
-- A variant is (measure m, threshold t, rule, shelter, uncounted). With e_i the jobs of category i in a
-- region, E its jobs, U its uncounted workers (region_context 'uncounted_jobs'), g its
-- diversity groups and ^ref the same summed over the level's reference level:
--   x_i      = substitutable_i (rule 'substitutable': the thresholded share, at today's
--              threshold from exposure_scores, at another t from
--              category_substitutable_variants) or score_i (rule 'continuous': the share of
--              task time exposed, rows of today's threshold only) under m;
--   public_i = (shelter on) the larger of 1 for a listed category ([exposure.sheltered]) and
--              the category's publicly funded share from data (category_public_share);
--              (shelter off) 0: no job is sheltered;
--   X_g      = sum_(i in g) e_i x_i (1 - public_i);   D = E - jobs without x + uncounted * U
--   share    = sum_g X_g / D
--   excess   = sum_(g <> '') max(0, X_g / (E + uncounted * U) - X_g^ref / (E^ref + uncounted * U^ref))
-- as region_base.sql, region_exposure.sql, region_excess.sql and region_uncounted.sql define
-- today's indicators (the variant of today's configuration gives them again, to 1e-9).
-- One row per region, measure and threshold, a column per variant: share_<x>_<shelter>_<denominator>
-- and excess_..., x = sub (substitutable) or score (continuous), shelter = on / off,
-- denominator = u (E + U) or e (E alone).
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
scores AS (
    SELECT taxonomy, category, measure, getvariable('today_threshold') AS threshold,
        substitutable, score
    FROM exposure_scores
    WHERE list_contains(getvariable('variant_measures'), measure)
    UNION ALL
    SELECT taxonomy, category, measure, threshold, substitutable, NULL AS score
    FROM category_substitutable_variants
    WHERE list_contains(getvariable('variant_measures'), measure)
      AND list_contains(getvariable('variant_thresholds'), threshold)
),
facts AS (
    SELECT w.level, s.category, s.measure, s.threshold,
        coalesce(c.diversity_group, s.category) AS grp,
        s.substitutable, s.score,
        0.0 AS public_off,
        greatest(CASE WHEN k.key IS NULL THEN 0.0 ELSE 1.0 END,
                 coalesce(p.public_share, 0.0)) AS public_on
    FROM wanted AS w
    JOIN scores AS s ON s.taxonomy = w.taxonomy
    LEFT JOIN categories AS c ON c.taxonomy = w.taxonomy AND c.category = s.category
    LEFT JOIN public AS p ON p.taxonomy = w.taxonomy AND p.category = s.category
    LEFT JOIN listed AS k ON k.key = w.taxonomy || '|' || s.category
),
group_sums AS (
    SELECT e.level, e.region_id, f.grp, f.measure, f.threshold,
        sum(e.employment * f.substitutable * (1 - f.public_on)) AS sub_on,
        sum(e.employment * f.substitutable * (1 - f.public_off)) AS sub_off,
        sum(e.employment * f.score * (1 - f.public_on)) AS score_on,
        sum(e.employment * f.score * (1 - f.public_off)) AS score_off,
        sum(CASE WHEN f.substitutable IS NOT NULL THEN e.employment END) AS scored_sub,
        sum(CASE WHEN f.score IS NOT NULL THEN e.employment END) AS scored_score
    FROM employment AS e
    JOIN facts AS f ON f.level = e.level AND f.category = e.category
    GROUP BY e.level, e.region_id, f.grp, f.measure, f.threshold
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
-- the reference shares X_g^ref / (E^ref + U^ref) (suffix _u) and X_g^ref / E^ref (_e)
reference_groups AS (
    SELECT w.level, g.grp, g.measure, g.threshold,
        sum(g.sub_on) / nullif(t.e + t.u, 0) AS sub_on_u,
        sum(g.sub_on) / nullif(t.e, 0) AS sub_on_e,
        sum(g.sub_off) / nullif(t.e + t.u, 0) AS sub_off_u,
        sum(g.sub_off) / nullif(t.e, 0) AS sub_off_e,
        sum(g.score_on) / nullif(t.e + t.u, 0) AS score_on_u,
        sum(g.score_on) / nullif(t.e, 0) AS score_on_e,
        sum(g.score_off) / nullif(t.e + t.u, 0) AS score_off_u,
        sum(g.score_off) / nullif(t.e, 0) AS score_off_e
    FROM wanted AS w
    JOIN group_sums AS g ON g.level = w.reference_level
    JOIN reference_jobs AS t ON t.level = w.level
    GROUP BY w.level, g.grp, g.measure, g.threshold, t.e, t.u
)
-- one row per region, measure and threshold: the share and the excess of every variant
-- (<statistic>_<shelter on/off>_<denominator: u = E + U, e = E>)
SELECT x.level, x.region_id, x.measure, x.threshold,
    sum(x.sub_on) / nullif(sum(x.scored_sub) + j.u, 0) AS share_sub_on_u,
    sum(x.sub_on) / nullif(sum(x.scored_sub), 0) AS share_sub_on_e,
    sum(x.sub_off) / nullif(sum(x.scored_sub) + j.u, 0) AS share_sub_off_u,
    sum(x.sub_off) / nullif(sum(x.scored_sub), 0) AS share_sub_off_e,
    sum(x.score_on) / nullif(sum(x.scored_score) + j.u, 0) AS share_score_on_u,
    sum(x.score_on) / nullif(sum(x.scored_score), 0) AS share_score_on_e,
    sum(x.score_off) / nullif(sum(x.scored_score) + j.u, 0) AS share_score_off_u,
    sum(x.score_off) / nullif(sum(x.scored_score), 0) AS share_score_off_e,
    CASE WHEN sum(x.sub_on) IS NOT NULL AND j.e <> 0 THEN coalesce(sum(greatest(0,
        coalesce(x.sub_on, 0) / nullif(j.e + j.u, 0) - coalesce(r.sub_on_u, 0)))
        FILTER (WHERE x.grp <> ''), 0) END AS excess_sub_on_u,
    CASE WHEN sum(x.sub_on) IS NOT NULL AND j.e <> 0 THEN coalesce(sum(greatest(0,
        coalesce(x.sub_on, 0) / nullif(j.e, 0) - coalesce(r.sub_on_e, 0)))
        FILTER (WHERE x.grp <> ''), 0) END AS excess_sub_on_e,
    CASE WHEN sum(x.sub_off) IS NOT NULL AND j.e <> 0 THEN coalesce(sum(greatest(0,
        coalesce(x.sub_off, 0) / nullif(j.e + j.u, 0) - coalesce(r.sub_off_u, 0)))
        FILTER (WHERE x.grp <> ''), 0) END AS excess_sub_off_u,
    CASE WHEN sum(x.sub_off) IS NOT NULL AND j.e <> 0 THEN coalesce(sum(greatest(0,
        coalesce(x.sub_off, 0) / nullif(j.e, 0) - coalesce(r.sub_off_e, 0)))
        FILTER (WHERE x.grp <> ''), 0) END AS excess_sub_off_e,
    CASE WHEN sum(x.score_on) IS NOT NULL AND j.e <> 0 THEN coalesce(sum(greatest(0,
        coalesce(x.score_on, 0) / nullif(j.e + j.u, 0) - coalesce(r.score_on_u, 0)))
        FILTER (WHERE x.grp <> ''), 0) END AS excess_score_on_u,
    CASE WHEN sum(x.score_on) IS NOT NULL AND j.e <> 0 THEN coalesce(sum(greatest(0,
        coalesce(x.score_on, 0) / nullif(j.e, 0) - coalesce(r.score_on_e, 0)))
        FILTER (WHERE x.grp <> ''), 0) END AS excess_score_on_e,
    CASE WHEN sum(x.score_off) IS NOT NULL AND j.e <> 0 THEN coalesce(sum(greatest(0,
        coalesce(x.score_off, 0) / nullif(j.e + j.u, 0) - coalesce(r.score_off_u, 0)))
        FILTER (WHERE x.grp <> ''), 0) END AS excess_score_off_u,
    CASE WHEN sum(x.score_off) IS NOT NULL AND j.e <> 0 THEN coalesce(sum(greatest(0,
        coalesce(x.score_off, 0) / nullif(j.e, 0) - coalesce(r.score_off_e, 0)))
        FILTER (WHERE x.grp <> ''), 0) END AS excess_score_off_e
FROM group_sums AS x
JOIN jobs AS j ON j.level = x.level AND j.region_id = x.region_id
LEFT JOIN reference_groups AS r ON r.level = x.level AND r.grp = x.grp AND r.measure = x.measure
    AND r.threshold = x.threshold
WHERE list_contains(getvariable('variant_levels'), x.level)
GROUP BY x.level, x.region_id, x.measure, x.threshold, j.e, j.u;
