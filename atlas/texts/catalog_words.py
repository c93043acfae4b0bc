"""The words the database comments repeat: what a level, a region, a measure, a taxonomy
and a category are."""

LEVEL = ("Geography level (us_area, us_state, us_nation, cn_city, cn_city@YYYY, country; "
         "see the levels table).")
REGION = "Region code within the level (see regions.region_id)."
MEASURE = "Exposure measure name (see the measures table)."
TAXONOMY = ("Category taxonomy: soc2018 (SOC 2018 detailed occupations, BLS OEWS codes), "
            "gbt4754_section (GB/T 4754-2017 sections), isco08_major (ISCO-08 major groups), "
            "isco08_unit (ISCO-08 unit groups).")
CATEGORY = ("Category code in the taxonomy (SOC 2018 code, XX-0000 = imputed residual; GB/T "
            "section letter; ISCO-08 code).")
SHARE_NOTE = "0/1 for a scored occupation, an employment share once derived."
