"""Traits: 0/1 attributes of the categories of a taxonomy (not exposure, not carried).

``industrial_jobs`` marks the industrial categories behind ``flag_rust_belt``: production
occupations (SOC major group 51) for SOC 2018, and sections B, C and D (mining,
manufacturing, utilities) for GB/T 4754-2017.
"""

from __future__ import annotations

import pandas as pd

from atlas.errors import ConfigError
from atlas.sources.cn.cities import read_concordance

INDUSTRIAL_SECTIONS = ("B", "C", "D")


def read(context, decls, taxonomy: str) -> pd.DataFrame:
    """The measure reader of the traits of ``taxonomy``."""
    if taxonomy == "soc2018":
        codes = context.occupations["category"]
        flag = codes.str.startswith("51-")
    elif taxonomy == "gbt4754_section":
        concordance = read_concordance()
        codes = concordance.loc[concordance["ccsy_column"] != "", "section"]
        flag = codes.isin(INDUSTRIAL_SECTIONS)
    else:
        raise ConfigError(f"atlas.sources.exposure.traits knows no traits of taxonomy '{taxonomy}'")
    return pd.DataFrame({"measure": "industrial_jobs", "code": codes.to_numpy(),
                         "score": flag.astype(float).to_numpy(), "rule": "taxonomy_structure"})
