-- region_unscored, for the SQL reference pass (region_sums_level.sql): run after
-- region_sums.sql (reads score_gaps and measure_order). The matrix engine
-- (atlas/engine/matrix_engine.py) computes the same lists from its matrices instead.

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
            FILTER (WHERE statistic = 'vulnerable')) AS unscored_vulnerable,
        map_from_entries(list({'key': measure, 'value': employment})
            FILTER (WHERE statistic = 'substitutable')) AS unscored_substitutable
    FROM per_measure
    GROUP BY level, region_id
)
SELECT r.level, r.region_id,
    list_transform(o.measures, lambda m: coalesce(r.unscored[m], 0)) AS unscored,
    list_transform(o.measures, lambda m: coalesce(r.unscored_vulnerable[m], 0))
        AS unscored_vulnerable,
    list_transform(o.measures, lambda m: coalesce(r.unscored_substitutable[m], 0))
        AS unscored_substitutable
FROM per_region AS r, measure_order AS o;
