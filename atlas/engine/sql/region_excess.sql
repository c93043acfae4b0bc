-- The substitutable excess of every region under every measure: the substitutable jobs a
-- region has beyond its reference (national) mix, group by group. With X_g^m the
-- substitutable jobs of diversity group g under measure m (region_group_sums), E the
-- region's jobs and ^ref the same over every region of the level's reference level:
--   substitutable_excess[m] = sum_g max(0, X_g^m / E - X_g^m,ref / E^ref)
-- over the groups the region has rows in (grp <> ''; a group the reference lacks counts
-- X^ref = 0, a NULL X_g^m counts 0). NULL where e_substitutable[m] is NULL, for a region
-- without any group and for a region without jobs (E = 0; E^ref = 0 counts X^ref = 0). The
-- readable reference of atlas.engine.matrix_engine.substitutable_excess, which computes the
-- same in NumPy (tested to 1e-9). Fills the levels in the variable `excess_levels` (the
-- levels the SQL pass summed). Exact decimal sums (the same bits in any order).
--
-- With the variable `with_uncounted` (region_uncounted.sql's levels, where the level or its
-- reference has uncounted workers U): the denominators count everyone who works there,
--   substitutable_excess[m] = sum_g max(0, X_g^m / (E + U) - X_g^m,ref / (E^ref + U^ref))
-- (U^ref: the sum of U over the reference level's regions, a NULL U counts 0).
WITH positions AS (
    SELECT generate_subscripts(measures, 1) AS i FROM measure_order
),
groups AS (
    SELECT g.level, g.region_id, g.grp, p.i, g.e_substitutable[p.i] AS e_sub
    FROM region_group_sums AS g
    CROSS JOIN positions AS p
    WHERE g.grp <> ''
),
reference_groups AS (
    SELECT l.level, g.i, g.grp, sum(g.e_sub::DECIMAL(38, 6))::DOUBLE AS e_sub
    FROM levels AS l
    JOIN groups AS g ON g.level = coalesce(l.reference_level, l.level)
    WHERE list_contains(getvariable('excess_levels'), l.level)
    GROUP BY l.level, g.i, g.grp
),
reference_totals AS (
    SELECT l.level,
        CASE WHEN getvariable('with_uncounted')
             THEN sum((s.total_employment + coalesce(s.uncounted_employment, 0))
                      ::DECIMAL(38, 6))::DOUBLE
             ELSE sum(s.total_employment ORDER BY s.region_id) END AS employment
    FROM levels AS l
    JOIN region_measure_sums AS s ON s.level = coalesce(l.reference_level, l.level)
    WHERE list_contains(getvariable('excess_levels'), l.level)
    GROUP BY l.level
),
excess AS (
    SELECT g.level, g.region_id, g.i,
        sum(greatest(0, g.e_sub / nullif(s.total_employment + CASE WHEN getvariable(
                                              'with_uncounted') THEN coalesce(
                                              s.uncounted_employment, 0) ELSE 0 END, 0)
                        - coalesce(r.e_sub / nullif(t.employment, 0), 0))::DECIMAL(38, 18))::DOUBLE
            AS excess
    FROM groups AS g
    JOIN region_measure_sums AS s ON s.level = g.level AND s.region_id = g.region_id
    LEFT JOIN reference_groups AS r ON r.level = g.level AND r.i = g.i AND r.grp = g.grp
    LEFT JOIN reference_totals AS t ON t.level = g.level
    WHERE list_contains(getvariable('excess_levels'), g.level)
    GROUP BY g.level, g.region_id, g.i
),
lists AS (
    SELECT e.level, e.region_id,
        list(CASE WHEN s.e_substitutable[e.i] IS NOT NULL AND s.total_employment <> 0
                  THEN e.excess END ORDER BY e.i)
            AS substitutable_excess
    FROM excess AS e
    JOIN region_measure_sums AS s ON s.level = e.level AND s.region_id = e.region_id
    GROUP BY e.level, e.region_id
)
UPDATE region_measure_sums AS s
SET substitutable_excess = l.substitutable_excess
FROM lists AS l
WHERE s.level = l.level AND s.region_id = l.region_id;
