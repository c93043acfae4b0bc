-- The peer "one DuckDB grouped pass" of benchmarks/bench_scale.py: every per-measure sum of a
-- synthetic level (jobs times each of the five statistics of every measure), the jobs, the
-- categories and the entropy term per region, in one scan of the composition that joins the
-- scores, into a temporary table. What the engine's sums step computes at the least, without
-- the diversity groups, the reference shares or the writes into the database file.

-- The scores wide: one row per category, a column per measure and statistic (K rows).
CREATE OR REPLACE TEMP TABLE peer_statistics AS
PIVOT (SELECT category, measure, score, ge_10, ge_50, vulnerable, substitutable
       FROM exposure_scores)
ON measure USING first(score) AS score, first(ge_10) AS ge_10, first(ge_50) AS ge_50,
    first(vulnerable) AS vulnerable, first(substitutable) AS substitutable
GROUP BY category;

-- The pass: one grouped aggregate over the composition.
CREATE OR REPLACE TEMP TABLE peer_sums AS
SELECT e.region_id,
    sum(e.employment) AS employment,
    count(*) AS n_categories,
    sum(CASE WHEN e.employment > 0 THEN e.employment * ln(e.employment) END) AS e_ln_e,
    sum(e.employment * COLUMNS(s.* EXCLUDE (category)))
FROM employment AS e
JOIN peer_statistics AS s USING (category)
GROUP BY e.region_id;
