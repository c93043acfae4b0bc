-- group_reference_shares: per level and diversity group of its reference level (group ''
-- left out), the reference's group share r_g and the number of reference groups with jobs,
-- n_groups (region_group_indices.sql and atlas.engine.group_indices read it). A temp table.
-- The reference's jobs per group are added over its regions in region_id order (a fixed
-- order: the same bits in every build).
CREATE OR REPLACE TEMP TABLE group_reference_shares AS
WITH groups AS (
    SELECT g.level, g.region_id, g.grp, g.employment
    FROM region_group_sums AS g
    WHERE g.grp <> ''
),
reference_groups AS (
    SELECT l.level, g.grp, sum(g.employment ORDER BY g.region_id) AS employment
    FROM levels AS l
    JOIN groups AS g ON g.level = coalesce(l.reference_level, l.level)
    GROUP BY l.level, g.grp
),
reference_shares AS (
    SELECT g.level, g.grp, g.employment / sum(g.employment) OVER (
        PARTITION BY g.level ORDER BY g.grp
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS r_g,
        count(*) FILTER (WHERE g.employment > 0) OVER (PARTITION BY g.level) AS n_groups
    FROM reference_groups AS g
)
SELECT level, grp, r_g, n_groups FROM reference_shares;
