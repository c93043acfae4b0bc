-- One grouped pass over the compositions: every sum the indices need, per region.
-- Inputs: employment(level, region_id, category, employment, imputed), levels(level, taxonomy,
--   reference_level), exposure_scores(taxonomy, measure, category, score, ge_10, ge_50,
--   vulnerable).
--
-- category_facts has one row per (level, category): the reference share r_i and, per measure,
-- the score, the threshold shares and the vulnerable share
-- (pivoted wide: PIVOT names them <measure>_ + _score, i.e. <measure>__score, __ge10, __ge50),
-- so the pass joins one small table and
-- reads each composition row once whatever the number of measures.

CREATE OR REPLACE TEMP TABLE category_facts AS
WITH wide AS (
    PIVOT (SELECT taxonomy, category, measure, score, ge_10, ge_50, vulnerable
           FROM exposure_scores)
    ON measure
    USING first(score) AS _score, first(ge_10) AS _ge10, first(ge_50) AS _ge50,
          first(vulnerable) AS _vuln
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
)
SELECT l.level, w.category, rs.r, w.* EXCLUDE (taxonomy, category)
FROM levels AS l
JOIN wide AS w ON w.taxonomy = l.taxonomy
LEFT JOIN reference_shares AS rs ON rs.level = l.level AND rs.category = w.category;

CREATE OR REPLACE TEMP TABLE level_reference_counts AS
SELECT level, count(*) FILTER (WHERE r > 0) AS n_reference
FROM category_facts
GROUP BY level;

-- Score gaps: (level, category, measure, statistic) where a category of the level's taxonomy
-- has no score, or no vulnerable share, under a measure of that taxonomy (rare: no score gaps
-- in the data today; the ILO measures have no vulnerable share at all).
CREATE OR REPLACE TEMP TABLE score_gaps AS
WITH level_measures AS (
    SELECT DISTINCT l.level, l.taxonomy, s.measure
    FROM levels AS l
    JOIN exposure_scores AS s ON s.taxonomy = l.taxonomy
),
level_categories AS (
    SELECT DISTINCT level, category FROM category_facts
)
SELECT c.level, c.category, m.measure, statistic
FROM level_categories AS c
JOIN level_measures AS m ON m.level = c.level
LEFT JOIN exposure_scores AS s
    ON s.taxonomy = m.taxonomy AND s.category = c.category AND s.measure = m.measure
CROSS JOIN (VALUES ('score'), ('vulnerable')) AS t(statistic)
WHERE (statistic = 'score' AND s.score IS NULL)
   OR (statistic = 'vulnerable' AND s.vulnerable IS NULL);

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
    sum(e.employment) FILTER (WHERE f.category IS NOT NULL) AS known_employment,
    sum(e.employment * COLUMNS('^(.*)__score$')) AS '\1__e_score',
    sum(e.employment * COLUMNS('^(.*)__ge10$')) AS '\1__e_ge_10',
    sum(e.employment * COLUMNS('^(.*)__ge50$')) AS '\1__e_ge_50',
    sum(e.employment * COLUMNS('^(.*)__vuln$')) AS '\1__e_vulnerable'
FROM (
    -- published = the employment of published (not imputed) rows with jobs, else NULL
    SELECT level, region_id, category, employment, imputed,
        CASE WHEN NOT imputed AND employment > 0 THEN employment END AS published
    FROM employment
) AS e
LEFT JOIN published_totals AS p ON p.level = e.level AND p.region_id = e.region_id
LEFT JOIN category_facts AS f ON f.level = e.level AND f.category = e.category
GROUP BY e.level, e.region_id;

-- The per-measure sums as lists, in the order of measure_order (one row per region); kept in
-- the database so that region_exposure (a view) and re-rankings need no second pass.
CREATE OR REPLACE TABLE measure_order AS
SELECT list(left(column_name, -length('__e_score')) ORDER BY column_index) AS measures
FROM duckdb_columns()
WHERE table_name = 'region_sums' AND column_name LIKE '%\_\_e\_score' ESCAPE '\';

-- Employment in categories without a score (or without a vulnerable share), per region and
-- measure: a pass over only the rows whose category has a gap;
-- scored(m) = known_employment - unscored(m), likewise for the vulnerable share.
CREATE OR REPLACE TEMP TABLE region_unscored AS
WITH per_measure AS (
    SELECT e.level, e.region_id, g.measure, g.statistic, sum(e.employment) AS employment
    FROM employment AS e
    JOIN score_gaps AS g ON g.level = e.level AND g.category = e.category
    GROUP BY e.level, e.region_id, g.measure, g.statistic
)
SELECT level, region_id,
    map_from_entries(list({'key': measure, 'value': employment})
        FILTER (WHERE statistic = 'score')) AS unscored,
    map_from_entries(list({'key': measure, 'value': employment})
        FILTER (WHERE statistic = 'vulnerable')) AS unscored_vulnerable
FROM per_measure
GROUP BY level, region_id;

CREATE OR REPLACE TABLE region_measure_sums AS
SELECT
    s.level, s.region_id, s.total_employment, s.imputed_employment, s.published_employment,
    list_transform(o.measures, lambda m: coalesce(s.known_employment, 0)
        - coalesce(u.unscored[m], 0)) AS scored,
    list_value(*COLUMNS('__e_score$')) AS e_score,
    list_value(*COLUMNS('__e_ge_10$')) AS e_ge_10,
    list_value(*COLUMNS('__e_ge_50$')) AS e_ge_50,
    list_transform(o.measures, lambda m: coalesce(s.known_employment, 0)
        - coalesce(u.unscored_vulnerable[m], 0)) AS scored_vulnerable,
    list_value(*COLUMNS('__e_vulnerable$')) AS e_vulnerable
FROM region_sums AS s
CROSS JOIN measure_order AS o
LEFT JOIN region_unscored AS u ON u.level = s.level AND u.region_id = s.region_id;
