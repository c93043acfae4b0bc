-- Every indicator a risk component can name: the numeric columns of region_base and the
-- readers' context indicators (region_context), long. A view in the file; a temp
-- region_base (a re-specification) takes the stored one's place when it is queried.
CREATE OR REPLACE VIEW region_indicator_values AS
SELECT level, region_id, indicator, value
FROM (
    UNPIVOT region_base
    ON COLUMNS(* EXCLUDE (level, region_id, exposure_measure))
    INTO NAME indicator VALUE value
)
UNION ALL
SELECT level, region_id, indicator, value FROM region_context;
