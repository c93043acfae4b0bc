-- One grouped pass over the compositions: every sum the indices need, per region.
-- Inputs: employment(level, region_id, category, employment, imputed), levels(level, taxonomy,
--   reference_level), exposure_scores(taxonomy, measure, category, score, ge_10, ge_50,
--   vulnerable). Output: region_measure_sums (one row per region) and measure_order.
--
-- category_facts has one row per (level, category): the reference share r_i and, per measure,
-- the score, the threshold shares and the vulnerable share
-- (pivoted wide: PIVOT names them <measure>_ + _score, i.e. <measure>__score, __ge10, __ge50),
-- so the pass joins one small table and
-- reads each composition row once whatever the number of measures.

-- A first, narrow scan: published jobs (not imputed, e_i > 0) per region (P, needed by
-- krugman) and per category (the reference shares r_i); the category rows also list every
-- category that occurs in a level, for the score gaps below.
CREATE OR REPLACE TEMP TABLE composition_margins AS
SELECT level, region_id, category, grouping(region_id) = 1 AS per_category,
    coalesce(sum(employment) FILTER (WHERE NOT imputed AND employment > 0), 0)
        AS published_employment
FROM employment
GROUP BY GROUPING SETS ((level, region_id), (level, category));

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
    SELECT l.level, m.category, m.published_employment AS employment
    FROM levels AS l
    JOIN composition_margins AS m
        ON m.per_category AND m.level = coalesce(l.reference_level, l.level)
    WHERE m.published_employment > 0
),
reference_shares AS (
    SELECT level, category, employment / sum(employment) OVER (PARTITION BY level) AS r
    FROM reference
)
SELECT l.level, w.category, rs.r, w.* EXCLUDE (taxonomy, category)
FROM levels AS l
JOIN wide AS w ON w.taxonomy = l.taxonomy
LEFT JOIN reference_shares AS rs ON rs.level = l.level AND rs.category = w.category;

-- The measures in the order COLUMNS('__score$') expands them (the order of every list below).
CREATE OR REPLACE TABLE measure_order AS
SELECT list(left(column_name, -length('__score')) ORDER BY column_index) AS measures
FROM duckdb_columns()
WHERE database_name = 'temp' AND table_name = 'category_facts'
  AND column_name LIKE '%\_\_score' ESCAPE '\';

-- Score gaps: (level, category, measure, statistic) where a category that occurs in a level
-- has no score, or no vulnerable share, under a measure of the level's taxonomy (rare: no
-- score gaps in the data today; the ILO measures have no vulnerable share at all).
CREATE OR REPLACE TEMP TABLE score_gaps AS
WITH level_measures AS (
    SELECT DISTINCT l.level, l.taxonomy, s.measure
    FROM levels AS l
    JOIN exposure_scores AS s ON s.taxonomy = l.taxonomy
),
level_categories AS (
    SELECT level, category FROM composition_margins WHERE per_category
)
SELECT c.level, c.category, m.measure, statistic
FROM level_categories AS c
JOIN level_measures AS m ON m.level = c.level
LEFT JOIN exposure_scores AS s
    ON s.taxonomy = m.taxonomy AND s.category = c.category AND s.measure = m.measure
CROSS JOIN (VALUES ('score'), ('vulnerable')) AS t(statistic)
WHERE (statistic = 'score' AND s.score IS NULL)
   OR (statistic = 'vulnerable' AND s.vulnerable IS NULL);

-- Jobs in categories without a score (or without a vulnerable share), per region and measure,
-- as lists in measure_order, for the regions that have any (a pass over only the rows whose
-- category has a gap). The sums below use scored(m) = total_employment - unscored[m].
CREATE OR REPLACE TEMP TABLE region_unscored AS
WITH per_measure AS (
    SELECT e.level, e.region_id, g.measure, g.statistic, sum(e.employment) AS employment
    FROM employment AS e
    JOIN score_gaps AS g ON g.level = e.level AND g.category = e.category
    GROUP BY e.level, e.region_id, g.measure, g.statistic
),
per_region AS (
    SELECT level, region_id,
        map_from_entries(list({'key': measure, 'value': employment})
            FILTER (WHERE statistic = 'score')) AS unscored,
        map_from_entries(list({'key': measure, 'value': employment})
            FILTER (WHERE statistic = 'vulnerable')) AS unscored_vulnerable
    FROM per_measure
    GROUP BY level, region_id
)
SELECT r.level, r.region_id,
    list_transform(o.measures, lambda m: coalesce(r.unscored[m], 0)) AS unscored,
    list_transform(o.measures, lambda m: coalesce(r.unscored_vulnerable[m], 0))
        AS unscored_vulnerable
FROM per_region AS r, measure_order AS o;

-- The pass. Published rows only (e_i > 0) in the diversity sums:
--   e_ln_e = sum e_i ln e_i, e_sq = sum e_i^2, e_sq_over_r = sum e_i^2 / r_i,
--   krugman = sum_i (|e_i / P - r_i| - r_i) + 1  (= sum over all categories of |s_i - r_i|).
-- Per measure m (lists in measure_order): e_score = sum e_i * score_i, e_ge_10, e_ge_50,
-- e_vulnerable likewise; unscored / unscored_vulnerable (NULL when the region has no gap).
CREATE OR REPLACE TABLE region_measure_sums AS
WITH sums AS (
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
    LEFT JOIN composition_margins AS p
        ON NOT p.per_category AND p.level = e.level AND p.region_id = e.region_id
    LEFT JOIN category_facts AS f ON f.level = e.level AND f.category = e.category
    GROUP BY e.level, e.region_id
),
reference_counts AS (
    SELECT level, count(*) FILTER (WHERE r > 0) AS n_reference
    FROM category_facts
    GROUP BY level
)
SELECT
    s.level, s.region_id, s.total_employment, s.imputed_employment, s.published_employment,
    s.n_categories, c.n_reference, s.e_ln_e, s.e_sq, s.e_sq_over_r, s.krugman,
    u.unscored,
    list_value(*COLUMNS('__e_score$')) AS e_score,
    list_value(*COLUMNS('__e_ge_10$')) AS e_ge_10,
    list_value(*COLUMNS('__e_ge_50$')) AS e_ge_50,
    u.unscored_vulnerable,
    list_value(*COLUMNS('__e_vulnerable$')) AS e_vulnerable
FROM sums AS s
LEFT JOIN reference_counts AS c ON c.level = s.level
LEFT JOIN region_unscored AS u ON u.level = s.level AND u.region_id = s.region_id;
