-- The group each region is ranked within (temp table region_rank_groups): the value of the
-- region attribute its level declares as `rank_group` (atlas/spec/levels.toml; countries:
-- the World Bank income group). Levels without a declaration have no rows: their regions are
-- ranked over the whole level; a region of a grouped level without a value is ranked among
-- the others without one. Tables: region_base, levels (with rank_group), region_attributes.
CREATE OR REPLACE TEMP TABLE region_rank_groups AS
SELECT b.level, b.region_id, a.value AS rank_group
FROM region_base AS b
JOIN levels AS l ON l.level = b.level
LEFT JOIN region_attributes AS a ON a.level = b.level AND a.region_id = b.region_id
    AND a.attribute = l.rank_group
WHERE l.rank_group IS NOT NULL;
