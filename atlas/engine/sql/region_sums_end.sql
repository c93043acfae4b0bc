-- The end of the engine's sums (atlas.engine.core.measure_sums, a cached step): drop the
-- temp tables the sums were computed with (region_sums.sql, region_sums_level.sql,
-- region_unscored.sql, region_uncounted.sql, the matrix engine's codes), so that a computed
-- run leaves the connection as a reused one does: with only the tables the step writes
-- (measure_order, region_measure_sums, region_group_sums). Nothing after the sums reads them.

DROP TABLE IF EXISTS temp.category_margins;
DROP TABLE IF EXISTS temp.category_facts;
DROP TABLE IF EXISTS temp.score_gaps;
DROP TABLE IF EXISTS temp.matrix_codes;
DROP TABLE IF EXISTS temp.region_published;
DROP TABLE IF EXISTS temp.level_group_sums;
DROP TABLE IF EXISTS temp.region_unscored;
DROP TABLE IF EXISTS temp.uncounted_levels;
