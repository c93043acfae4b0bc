-- One grouped pass over the compositions: every sum the indices need, per region.
-- Inputs: employment(level, region_id, category, employment, imputed), levels(level, taxonomy,
--   reference_level), exposure_scores(taxonomy, measure, category, score, ge_10, ge_50,
--   vulnerable). Variable: vulnerability_measure.
--
-- category_facts has one row per (level, category): the reference share r_i, the vulnerable
-- share under the vulnerability measure, and per measure the score and threshold shares
-- (pivoted wide: PIVOT names them <measure>_ + _score, i.e. <measure>__score, __ge10, __ge50),
-- so the pass joins one small table and
-- reads each composition row once whatever the number of measures.

CREATE OR REPLACE TEMP TABLE category_facts AS
WITH wide AS (
    PIVOT (SELECT taxonomy, category, measure, score, ge_10, ge_50
           FROM exposure_scores)
    ON measure
    USING first(score) AS _score, first(ge_10) AS _ge10, first(ge_50) AS _ge50
    GROUP BY taxonomy, category
),
reference AS (
    SELECT l.level, e.category, sum(e.employment) AS employment
    FROM levels AS l
    JOIN employment AS e ON e.level = coalesce(l.reference_level, l.level)
    WHERE NOT e.imputed AND e.employment > 0
    GROUP BY l.level, e.category
),
reference_shares AS (
    SELECT level, category, employment / sum(employment) OVER (PARTITION BY level) AS r
    FROM reference
),
vulnerability AS (
    SELECT taxonomy, category, vulnerable
    FROM exposure_scores
    WHERE measure = getvariable('vulnerability_measure')
)
SELECT l.level, w.category, rs.r, v.vulnerable, w.* EXCLUDE (taxonomy, category)
FROM levels AS l
JOIN wide AS w ON w.taxonomy = l.taxonomy
LEFT JOIN reference_shares AS rs ON rs.level = l.level AND rs.category = w.category
LEFT JOIN vulnerability AS v ON v.taxonomy = l.taxonomy AND v.category = w.category;

CREATE OR REPLACE TEMP TABLE level_reference_counts AS
SELECT level, count(*) FILTER (WHERE r > 0) AS n_reference
FROM category_facts
GROUP BY level;

-- P: published (not imputed) employment of each region, needed by krugman.
CREATE OR REPLACE TEMP TABLE published_totals AS
SELECT level, region_id, sum(employment) AS published_employment
FROM employment
WHERE NOT imputed AND employment > 0
GROUP BY level, region_id;

-- Published rows only (e_i > 0) in the diversity sums:
--   e_ln_e = sum e_i ln e_i, e_sq = sum e_i^2, e_sq_over_r = sum e_i^2 / r_i,
--   krugman = sum_i (|e_i / P - r_i| - r_i) + 1  (= sum over all categories of |s_i - r_i|).
CREATE OR REPLACE TEMP TABLE region_sums AS
SELECT
    e.level,
    e.region_id,
    sum(e.employment) AS total_employment,
    coalesce(sum(e.employment) FILTER (WHERE e.imputed), 0) AS imputed_employment,
    any_value(p.published_employment) AS published_employment,
    count(e.published) AS n_categories,
    sum(e.published * ln(e.published)) AS e_ln_e,
    sum(e.published * e.published) AS e_sq,
    sum(e.published * e.published / nullif(f.r, 0)) AS e_sq_over_r,
    sum(abs(e.published / p.published_employment - coalesce(f.r, 0)) - coalesce(f.r, 0))
        + 1 AS krugman,
    sum(e.employment * f.vulnerable) AS e_vulnerable,
    sum(e.employment) FILTER (WHERE f.vulnerable IS NOT NULL) AS scored_vulnerable,
    sum(e.employment * (COLUMNS('^(.*)__score$') IS NOT NULL)::INTEGER) AS '\1__scored',
    sum(e.employment * COLUMNS('^(.*)__score$')) AS '\1__e_score',
    sum(e.employment * COLUMNS('^(.*)__ge10$')) AS '\1__e_ge_10',
    sum(e.employment * COLUMNS('^(.*)__ge50$')) AS '\1__e_ge_50'
FROM (
    -- published = the employment of published (not imputed) rows with jobs, else NULL
    SELECT level, region_id, category, employment, imputed,
        CASE WHEN NOT imputed AND employment > 0 THEN employment END AS published
    FROM employment
) AS e
LEFT JOIN published_totals AS p ON p.level = e.level AND p.region_id = e.region_id
LEFT JOIN category_facts AS f ON f.level = e.level AND f.category = e.category
GROUP BY e.level, e.region_id;

-- The per-measure sums as lists, in the order of measure_order (one row per region).
CREATE OR REPLACE TEMP TABLE measure_order AS
SELECT list(left(column_name, -length('__e_score')) ORDER BY column_index) AS measures
FROM duckdb_columns()
WHERE table_name = 'region_sums' AND column_name LIKE '%\_\_e\_score' ESCAPE '\';

CREATE OR REPLACE TEMP TABLE region_measure_sums AS
SELECT
    level, region_id, total_employment,
    list_value(*COLUMNS('__scored$')) AS scored,
    list_value(*COLUMNS('__e_score$')) AS e_score,
    list_value(*COLUMNS('__e_ge_10$')) AS e_ge_10,
    list_value(*COLUMNS('__e_ge_50$')) AS e_ge_50
FROM region_sums;

-- Size of every region, kept for re-rankings (region_sums is temporary).
CREATE OR REPLACE TABLE region_totals AS
SELECT level, region_id, total_employment, imputed_employment, published_employment
FROM region_sums;
