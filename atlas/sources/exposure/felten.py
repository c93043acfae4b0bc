"""Felten, Raj and Seamans AI Occupational Exposure (AIOE, 2021) and its language-modelling
variant (LM AIOE, 2023). Published as z-scores by 6-digit SOC 2010; carried to SOC 2018 with
the BLS 2010 -> 2018 crosswalk (a 2018 code takes the mean of the 2010 codes that map to it).
"""

from __future__ import annotations

import pandas as pd

from atlas.sources.inputs import Inputs

MEASURES = {
    "felten_aioe": ("felten_aioe", "AIOE", "Felten, Raj, Seamans (2021) AIOE"),
    "felten_lm_aioe": ("felten_lm_aioe", "Language Modeling AIOE",
                       "Felten, Raj, Seamans (2023) language-modelling AIOE"),
}


def soc2010_to_2018_map(inputs: Inputs) -> pd.DataFrame:
    """Category map SOC 2010 -> SOC 2018 with equal weights."""
    crosswalk = inputs.table("soc2010_to_2018")
    return pd.DataFrame({
        "from_code": crosswalk["2010 SOC Code"].str.strip(),
        "to_code": crosswalk["2018 SOC Code"].str.strip(),
        "weight": 1.0,
        "rule": "soc2010_to_2018",
    }).drop_duplicates(["from_code", "to_code"])


def read(context, decls, taxonomy: str) -> pd.DataFrame:
    """The measure reader: the published z-scores ``measure, code, score`` per SOC 2010
    code (the registry carries them to SOC 2018 and derives their percentiles)."""
    frames = []
    for measure, (key, column, _) in MEASURES.items():
        table = context.inputs.table(key)
        frames.append(pd.DataFrame({"measure": measure, "code": table["SOC Code"].str.strip(),
                                    "score": table[column]}))
    return pd.concat(frames, ignore_index=True)
