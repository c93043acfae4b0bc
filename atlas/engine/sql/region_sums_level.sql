-- The grouped pass over one level's composition: every sum the indices need, per region and
-- diversity group, then rolled up to the region. Appends to region_group_sums and
-- region_measure_sums. Run once per level after region_sums.sql, with the variable `level`
-- set (SET VARIABLE level = 'us_area'). One level at a time, so that joins and groups are
-- keyed on region_id (or category) alone.

-- P, the published jobs (not imputed, e_i > 0) of each region of the level (krugman needs
-- it on every row). CASE, not FILTER: DuckDB's FILTER clause costs more per row.
CREATE OR REPLACE TEMP TABLE region_published AS
SELECT region_id,
    coalesce(sum(CASE WHEN NOT imputed AND employment > 0 THEN employment END), 0)
        AS published_employment
FROM employment
WHERE level = getvariable('level')
GROUP BY region_id;

-- The pass, per region and diversity group g. Published rows only (e_i > 0) in the
-- diversity sums:
--   e_ln_e = sum e_i ln e_i, e_sq = sum e_i^2, e_sq_over_r = sum e_i^2 / r_i,
--   krugman_part = sum_i (|e_i / P - r_i| - r_i)   (krugman = sum_g krugman_part + 1
--                  = sum over all categories of |s_i - r_i|).
-- Per measure m: e_score = sum e_i * score_i, e_ge_10, e_ge_50, e_vulnerable likewise, and
-- e_sub = sum e_i * substitutable_i * unsheltered_i.
CREATE OR REPLACE TEMP TABLE level_group_sums AS
WITH level_categories AS (
    SELECT * EXCLUDE (level) FROM category_facts WHERE level = getvariable('level')
)
SELECT
    e.region_id,
    coalesce(f.grp, e.category) AS grp,
    sum(e.employment) AS employment,
    coalesce(sum(CASE WHEN e.imputed THEN e.employment END), 0) AS imputed_employment,
    count(e.published) AS n_categories,
    sum(e.published * ln(e.published)) AS e_ln_e,
    sum(e.published * e.published) AS e_sq,
    sum(e.published * e.published / nullif(f.r, 0)) AS e_sq_over_r,
    sum(abs(e.published / p.published_employment - coalesce(f.r, 0)) - coalesce(f.r, 0))
        AS krugman_part,
    sum(e.employment * COLUMNS('^(.*)__score$')) AS '\1__e_score',
    sum(e.employment * COLUMNS('^(.*)__ge10$')) AS '\1__e_ge_10',
    sum(e.employment * COLUMNS('^(.*)__ge50$')) AS '\1__e_ge_50',
    sum(e.employment * COLUMNS('^(.*)__vuln$')) AS '\1__e_vulnerable',
    sum(e.employment * f.unsheltered * COLUMNS('^(.*)__sub$')) AS '\1__e_sub'
FROM (
    -- published = the employment of published (not imputed) rows with jobs, else NULL
    SELECT region_id, category, employment, imputed,
        CASE WHEN NOT imputed AND employment > 0 THEN employment END AS published
    FROM employment
    WHERE level = getvariable('level')
) AS e
LEFT JOIN region_published AS p ON p.region_id = e.region_id
LEFT JOIN level_categories AS f ON f.category = e.category
GROUP BY e.region_id, coalesce(f.grp, e.category);

INSERT INTO region_group_sums BY NAME
SELECT getvariable('level') AS level, region_id, grp, employment,
    list_value(*COLUMNS('__e_sub$')) AS e_substitutable
FROM level_group_sums;

INSERT INTO region_measure_sums BY NAME
WITH sums AS (
    SELECT
        region_id,
        sum(employment) AS total_employment,
        sum(imputed_employment) AS imputed_employment,
        sum(n_categories) AS n_categories,
        sum(e_ln_e) AS e_ln_e,
        sum(e_sq) AS e_sq,
        sum(e_sq_over_r) AS e_sq_over_r,
        sum(krugman_part) + 1 AS krugman,
        sum(COLUMNS('^(.*)__e_score$')) AS '\1__e_score',
        sum(COLUMNS('^(.*)__e_ge_10$')) AS '\1__e_ge_10',
        sum(COLUMNS('^(.*)__e_ge_50$')) AS '\1__e_ge_50',
        sum(COLUMNS('^(.*)__e_vulnerable$')) AS '\1__e_vulnerable',
        sum(COLUMNS('^(.*)__e_sub$')) AS '\1__e_sub'
    FROM level_group_sums
    GROUP BY region_id
),
level_unscored AS (
    SELECT region_id, unscored, unscored_vulnerable, unscored_substitutable
    FROM region_unscored
    WHERE level = getvariable('level')
)
SELECT
    getvariable('level') AS level,
    s.region_id, s.total_employment, s.imputed_employment,
    p.published_employment,
    s.n_categories,
    (SELECT count(*) FILTER (WHERE r > 0) FROM category_facts
     WHERE level = getvariable('level')) AS n_reference,
    s.e_ln_e, s.e_sq, s.e_sq_over_r, s.krugman,
    u.unscored,
    list_value(*COLUMNS('__e_score$')) AS e_score,
    list_value(*COLUMNS('__e_ge_10$')) AS e_ge_10,
    list_value(*COLUMNS('__e_ge_50$')) AS e_ge_50,
    u.unscored_vulnerable,
    list_value(*COLUMNS('__e_vulnerable$')) AS e_vulnerable,
    u.unscored_substitutable,
    list_value(*COLUMNS('__e_sub$')) AS e_substitutable
FROM sums AS s
LEFT JOIN region_published AS p ON p.region_id = s.region_id
LEFT JOIN level_unscored AS u ON u.region_id = s.region_id;
