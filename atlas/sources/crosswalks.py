"""The edges of the taxonomy graph (``[[crosswalk]]`` in ``measures.toml``): each builder
returns the category map ``from_code, to_code, weight, rule`` that carries scores from one
taxonomy to the next with ``score(to) = sum w score(from) / sum w``.

Every builder takes the read context and the codes scored at the source taxonomy.
"""

from __future__ import annotations

import pandas as pd

from atlas.sources.cn.cities import read_concordance, section_industries
from atlas.sources.exposure.felten import soc2010_to_2018_map
from atlas.sources.scores import onet_rollup_map, soc_hierarchy_map
from atlas.sources.staffing import detailed_staffing, staffing_map
from atlas.sources.world.countries import major_group_map, soc_to_isco_links, unit_group_employment


def onet_rollup(context, codes: pd.Series) -> pd.DataFrame:
    """O*NET-SOC 2019 -> 6-digit SOC 2018: the equal-weight mean of an occupation's O*NET
    children (``11-1011.03`` -> ``11-1011``)."""
    return onet_rollup_map(codes)


def soc2010_to_2018(context, codes: pd.Series) -> pd.DataFrame:
    """SOC 2010 -> SOC 2018 (BLS crosswalk): a 2018 code takes the mean of its 2010 codes."""
    return soc2010_to_2018_map(context.inputs)


def oews_codes(context, codes: pd.Series) -> pd.DataFrame:
    """6-digit SOC 2018 -> the codes OEWS publishes (aggregates and "All Other" codes by the
    SOC hierarchy rule, ``atlas.sources.scores.soc_hierarchy_map``)."""
    targets = context.occupations.rename(columns={"category": "code"})[
        ["code", "national_employment"]]
    return soc_hierarchy_map(codes, targets)


def staffing_sections(context, codes: pd.Series) -> pd.DataFrame:
    """OEWS occupations -> GB/T 4754-2017 sections: the occupations each section's
    industries employ in the US (OEWS May 2025 national staffing patterns)."""
    staffing = detailed_staffing(context.inputs.table("oews_industry_occ"))
    return staffing_map(staffing, section_industries(read_concordance()))


def soc_to_isco(context, codes: pd.Series) -> pd.DataFrame:
    """OEWS occupations -> ISCO-08 unit groups: BLS crosswalk link weights x US employment."""
    occupations = context.occupations
    links = soc_to_isco_links(context.inputs, occupations["category"])
    employment = occupations.set_index("category")["national_employment"].fillna(0.0)
    return pd.DataFrame({"from_code": links["soc_code"], "to_code": links["isco_code"],
                         "weight": links["link_weight"] * links["soc_code"].map(employment),
                         "rule": "soc_isco_crosswalk"})


def isco_major_groups(context, codes: pd.Series) -> pd.DataFrame:
    """ISCO-08 unit groups -> major groups, weighted by US employment by unit group (the
    weighting closer to the ILO's published exposed-gradient shares; see
    ``ilo_gradient_comparison``)."""
    return major_group_map(codes, unit_group_employment(context.inputs, context.occupations))
