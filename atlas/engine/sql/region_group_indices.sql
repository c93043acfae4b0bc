-- region_group_indices: group entropy and Hachman per level x region with a row in some
-- diversity group (region_base.sql joins it; a region without one has no row), from
-- region_group_sums and group_reference_shares (region_group_shares.sql): appended to the
-- temp table region_group_indices (atlas.engine.group_indices makes it; never stored).
-- Variables: group_levels (the levels to compute; the others are left out).
--
--   group_entropy = -sum_g s_g ln s_g / ln G, s_g = E_g / sum_g E_g over the groups of the
--                   full composition (imputed rows included), G = groups in the reference:
--                   diversity at a fixed aggregation level, size-neutral
--   group_hachman = 1 / sum_g s_g^2 / r_g (r_g: the reference's group share)
-- Float sums over regions or groups run in a fixed order (sum(x ORDER BY key), or list_sum
-- over a sorted list): the same order in every build, whatever the threads, so two builds
-- give identical bits; atlas.engine.group_indices computes the same bits in NumPy.
INSERT INTO region_group_indices
WITH groups AS (
    SELECT g.level, g.region_id, g.grp, g.employment
    FROM region_group_sums AS g
    WHERE g.grp <> '' AND list_contains(getvariable('group_levels'), g.level)
),
-- Each region's groups as one list sorted by group (an unordered list() and a list_sort cost
-- far less than ordered aggregates per region); list_sum adds the list in that order, so the
-- sums are the same bits as sum(... ORDER BY grp).
region_groups AS (
    SELECT g.level, g.region_id,
        list_sort(list({'grp': g.grp, 'e': g.employment, 'r': r.r_g})) AS cells,
        max(r.n_groups) AS n_groups
    FROM groups AS g
    LEFT JOIN group_reference_shares AS r ON r.level = g.level AND r.grp = g.grp
    GROUP BY g.level, g.region_id
),
group_totals AS (
    SELECT level, region_id, cells, n_groups,
        list_sum([c.e FOR c IN cells]) AS grouped_employment
    FROM region_groups
),
group_indices AS (
    SELECT level, region_id,
        CASE WHEN n_groups > 1 THEN
            -list_sum([CASE WHEN c.e > 0 THEN c.e / grouped_employment
                       * ln(c.e / grouped_employment) END FOR c IN cells])
                 / ln(n_groups) END
            AS group_entropy,
        1 / nullif(list_sum([(c.e / grouped_employment) ^ 2 / nullif(c.r, 0)
                             FOR c IN cells]), 0)
            AS group_hachman
    FROM group_totals
)
SELECT level, region_id, group_entropy, group_hachman
FROM group_indices;
