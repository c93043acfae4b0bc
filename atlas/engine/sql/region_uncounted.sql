-- Denominators that count everyone who works there (exposure.count_uncounted_jobs).
-- Tables: region_measure_sums, region_group_sums, region_context (indicator uncounted_jobs:
--   the workers a level's composition leaves out, see context_indicators), levels,
--   measure_order. Run only with the setting on (the engine adds the column, NULL, always).
--
-- region_measure_sums.uncounted_employment = U, the region's uncounted workers (NULL when
-- the setting is off or the level has none). They are jobs that are not substitutable, so
-- the AI-shock indicators divide by E + U (region_base.sql, region_exposure.sql) and, in the
-- levels where the level or its reference has any U, the substitutable excess becomes
--   substitutable_excess[m] = sum_g max(0, X_g^m / (E + U) - X_g^m,ref / (E^ref + U^ref))
-- (region_excess.sql with `with_uncounted`, run by the engine for the levels of
-- uncounted_levels; U^ref = the sum of U over the reference level's regions). With U = 0
-- everywhere nothing changes, to the bit.
UPDATE region_measure_sums AS s
SET uncounted_employment = c.value
FROM region_context AS c
WHERE c.indicator = 'uncounted_jobs'
  AND c.level = s.level AND c.region_id = s.region_id AND isfinite(c.value) AND c.value > 0;

CREATE OR REPLACE TEMP TABLE uncounted_levels AS
SELECT l.level
FROM levels AS l
JOIN region_measure_sums AS s ON s.level IN (l.level, coalesce(l.reference_level, l.level))
GROUP BY l.level
HAVING count(s.uncounted_employment) > 0;
