-- Everything the per-level pass (region_sums_level.sql) needs, for all levels at once.
-- Inputs: employment(level, region_id, category, employment, imputed), levels(level, taxonomy,
--   reference_level), exposure_scores(taxonomy, measure, category, score, ge_10, ge_50,
--   vulnerable, substitutable), categories(taxonomy, category, diversity_group),
--   sheltered_categories(taxonomy, category). Output: category_margins, category_facts,
--   measure_order, score_gaps and the empty region_measure_sums and region_group_sums that
--   region_sums_level.sql fills, one level at a time.
--
-- category_facts has one row per (level, category): the reference share r_i, the category's
-- diversity group (SOC major group, GB/T section ...; '' = outside every group), whether it
-- is sheltered (state-funded: never substitutable) and, per measure, the score, the
-- threshold shares, the vulnerable and the substitutable share (pivoted wide: PIVOT names
-- them <measure>_ + _score, i.e. <measure>__score, __ge10, __ge50, __vuln, __sub), so the
-- pass joins one small table and reads each composition row once whatever the number of
-- measures.

-- Published jobs (not imputed, e_i > 0) per category of each level: the reference shares r_i,
-- and the list of every category that occurs in a level, for the score gaps below.
-- (CASE, not FILTER: DuckDB's FILTER clause costs more per row.) The sum runs over every
-- region, in whatever order DuckDB's threads deliver the rows, so it adds exact decimals
-- (jobs to 1e-6) and gives the same bits in every build.
CREATE OR REPLACE TEMP TABLE category_margins AS
SELECT level, category,
    coalesce(sum(CASE WHEN NOT imputed AND employment > 0
                      THEN employment::DECIMAL(38, 6) END), 0)::DOUBLE
        AS published_employment
FROM employment
GROUP BY level, category;

CREATE OR REPLACE TEMP TABLE category_facts AS
WITH wide AS (
    PIVOT (SELECT taxonomy, category, measure, score, ge_10, ge_50, vulnerable, substitutable
           FROM exposure_scores)
    ON measure
    USING first(score) AS _score, first(ge_10) AS _ge10, first(ge_50) AS _ge50,
          first(vulnerable) AS _vuln, first(substitutable) AS _sub
    GROUP BY taxonomy, category
),
reference AS (
    SELECT l.level, m.category, m.published_employment AS employment
    FROM levels AS l
    JOIN category_margins AS m ON m.level = coalesce(l.reference_level, l.level)
    WHERE m.published_employment > 0
),
reference_shares AS (
    SELECT level, category, employment / sum(employment) OVER (
        PARTITION BY level ORDER BY category
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS r
    FROM reference
)
SELECT l.level, w.category, rs.r,
    coalesce(c.diversity_group, w.category) AS grp,
    CASE WHEN h.category IS NULL THEN 1.0 ELSE 0.0 END AS unsheltered,
    w.* EXCLUDE (taxonomy, category)
FROM levels AS l
JOIN wide AS w ON w.taxonomy = l.taxonomy
LEFT JOIN reference_shares AS rs ON rs.level = l.level AND rs.category = w.category
LEFT JOIN categories AS c ON c.taxonomy = l.taxonomy AND c.category = w.category
LEFT JOIN sheltered_categories AS h ON h.taxonomy = l.taxonomy AND h.category = w.category;

-- The measures in the order COLUMNS('__score$') expands them (the order of every list below).
CREATE OR REPLACE TABLE measure_order AS
SELECT list(left(column_name, -length('__score')) ORDER BY column_index) AS measures
FROM duckdb_columns()
WHERE database_name = 'temp' AND table_name = 'category_facts'
  AND column_name LIKE '%\_\_score' ESCAPE '\';

-- Score gaps: (level, category, measure, statistic) where a category that occurs in a level
-- has no score, no vulnerable or no substitutable share, under a measure of the level's
-- taxonomy (rare: no score gaps in the data today; the ILO measures have no vulnerable
-- share at all).
CREATE OR REPLACE TEMP TABLE score_gaps AS
WITH level_measures AS (
    SELECT DISTINCT l.level, l.taxonomy, s.measure
    FROM levels AS l
    JOIN exposure_scores AS s ON s.taxonomy = l.taxonomy
),
level_categories AS (
    SELECT level, category FROM category_margins
)
SELECT c.level, c.category, m.measure, statistic
FROM level_categories AS c
JOIN level_measures AS m ON m.level = c.level
LEFT JOIN exposure_scores AS s
    ON s.taxonomy = m.taxonomy AND s.category = c.category AND s.measure = m.measure
CROSS JOIN (VALUES ('score'), ('vulnerable'), ('substitutable')) AS t(statistic)
WHERE (statistic = 'score' AND s.score IS NULL)
   OR (statistic = 'vulnerable' AND s.vulnerable IS NULL)
   OR (statistic = 'substitutable' AND s.substitutable IS NULL);

-- The output table, filled by region_sums_level.sql (see there for the formulas).
CREATE OR REPLACE TABLE region_measure_sums (
    level VARCHAR,
    region_id VARCHAR,
    total_employment DOUBLE,
    imputed_employment DOUBLE,
    published_employment DOUBLE,
    n_categories BIGINT,
    n_reference BIGINT,
    e_ln_e DOUBLE,
    e_sq DOUBLE,
    e_sq_over_r DOUBLE,
    krugman DOUBLE,
    unscored DOUBLE[],
    e_score DOUBLE[],
    e_ge_10 DOUBLE[],
    e_ge_50 DOUBLE[],
    unscored_vulnerable DOUBLE[],
    e_vulnerable DOUBLE[],
    unscored_substitutable DOUBLE[],
    e_substitutable DOUBLE[],
    substitutable_excess DOUBLE[]  -- region_excess.sql (the matrix engine: NumPy)
);

-- Per region and diversity group: jobs and, per measure, substitutable jobs (the fixed
-- aggregation level of the size-neutral diversity and of the specialisation component).
CREATE OR REPLACE TABLE region_group_sums (
    level VARCHAR,
    region_id VARCHAR,
    grp VARCHAR,
    employment DOUBLE,
    e_substitutable DOUBLE[]
);
