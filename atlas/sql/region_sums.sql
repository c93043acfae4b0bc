-- One grouped pass over the compositions: every sum the indices need, per region.
-- Inputs: employment(level, region_id, category, employment, imputed), levels(level, taxonomy,
--   reference_level), exposure_scores(taxonomy, measure, category, score, ge_10, ge_50,
--   vulnerable). Variables: exposure_measure (for the top categories), top_categories.
-- Scores are pivoted wide (one row per category, four columns per measure) so the pass reads
-- each composition row once whatever the number of measures; COLUMNS() expands the per-measure
-- sums, named <measure>__<statistic>.

CREATE OR REPLACE TEMP TABLE wide_scores AS
WITH wide AS (
    PIVOT (SELECT taxonomy, category, measure, score, ge_10, ge_50, vulnerable FROM exposure_scores)
    ON measure
    USING first(score) AS score, first(ge_10) AS ge10, first(ge_50) AS ge50,
          first(vulnerable) AS vuln
    GROUP BY taxonomy, category
),
top_measure AS (
    SELECT taxonomy, category, score AS top_score
    FROM exposure_scores
    WHERE measure = getvariable('exposure_measure')
)
SELECT wide.*, top_measure.top_score
FROM wide
LEFT JOIN top_measure USING (taxonomy, category);

-- Reference shares r_i: the composition of each level's reference level (published rows).
CREATE OR REPLACE TEMP TABLE reference_shares AS
WITH reference AS (
    SELECT l.level, e.category, sum(e.employment) AS employment
    FROM levels AS l
    JOIN employment AS e ON e.level = coalesce(l.reference_level, l.level)
    WHERE NOT e.imputed AND e.employment > 0
    GROUP BY l.level, e.category
)
SELECT level, category, employment / sum(employment) OVER (PARTITION BY level) AS r,
    count(*) OVER (PARTITION BY level) AS n_reference
FROM reference;

CREATE OR REPLACE TEMP TABLE published_totals AS
SELECT level, region_id, sum(employment) AS published
FROM employment
WHERE NOT imputed AND employment > 0
GROUP BY level, region_id;

-- With P = published employment of the region and only published rows (e_i > 0) counted:
--   e_ln_e = sum e_i ln e_i, e_sq = sum e_i^2, e_sq_over_r = sum e_i^2 / r_i,
--   krugman = sum_i (|e_i / P - r_i| - r_i) + 1  (= sum over all categories of |s_i - r_i|).
CREATE OR REPLACE TEMP TABLE region_sums AS
SELECT
    e.level,
    e.region_id,
    sum(e.employment) AS total_employment,
    coalesce(sum(e.employment) FILTER (WHERE e.imputed), 0) AS imputed_employment,
    any_value(p.published) AS published_employment,
    count(*) FILTER (WHERE NOT e.imputed AND e.employment > 0) AS n_categories,
    any_value(r_count.n_reference) AS n_reference,
    sum(e.employment * ln(e.employment)) FILTER (WHERE NOT e.imputed AND e.employment > 0)
        AS e_ln_e,
    sum(e.employment * e.employment) FILTER (WHERE NOT e.imputed AND e.employment > 0) AS e_sq,
    sum(e.employment * e.employment / r.r)
        FILTER (WHERE NOT e.imputed AND e.employment > 0 AND r.r > 0) AS e_sq_over_r,
    sum(abs(e.employment / p.published - coalesce(r.r, 0)) - coalesce(r.r, 0))
        FILTER (WHERE NOT e.imputed AND e.employment > 0) + 1 AS krugman,
    max_by({'category': e.category, 'employment': e.employment, 'score': w.top_score},
           e.employment * w.top_score, getvariable('top_categories'))
        FILTER (WHERE NOT e.imputed AND w.top_score IS NOT NULL) AS top_categories,
    sum(e.employment * (COLUMNS('^(.*)_score$') IS NOT NULL)::INTEGER) AS '\1__scored',
    sum(e.employment * COLUMNS('^(.*)_score$')) AS '\1__e_score',
    sum(e.employment * COLUMNS('^(.*)_ge10$')) AS '\1__e_ge_10',
    sum(e.employment * COLUMNS('^(.*)_ge50$')) AS '\1__e_ge_50',
    sum(e.employment * COLUMNS('^(.*)_vuln$')) AS '\1__e_vulnerable'
FROM employment AS e
JOIN levels AS l ON l.level = e.level
LEFT JOIN published_totals AS p ON p.level = e.level AND p.region_id = e.region_id
LEFT JOIN wide_scores AS w ON w.taxonomy = l.taxonomy AND w.category = e.category
LEFT JOIN reference_shares AS r ON r.level = e.level AND r.category = e.category
LEFT JOIN (SELECT DISTINCT level, n_reference FROM reference_shares) AS r_count
    ON r_count.level = e.level
GROUP BY e.level, e.region_id;
