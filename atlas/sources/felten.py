"""Felten, Raj and Seamans AI Occupational Exposure (AIOE, 2021) and its language-modelling
variant (LM AIOE, 2023). Published as z-scores by 6-digit SOC 2010; carried to SOC 2018 with
the BLS 2010 -> 2018 crosswalk (a 2018 code takes the mean of the 2010 codes that map to it).
"""

from __future__ import annotations

import pandas as pd

from atlas.inputs import Inputs
from atlas.scores import derive, with_thresholds

MEASURES = {
    "felten_aioe": ("felten_aioe", "AIOE", "Felten, Raj, Seamans (2021) AIOE"),
    "felten_lm_aioe": ("felten_lm_aioe", "Language Modeling AIOE",
                       "Felten, Raj, Seamans (2023) language-modelling AIOE"),
}


def measures() -> pd.DataFrame:
    """Metadata rows: the published z-scores and their percentile versions."""
    rows = []
    for measure, (_, _, label) in MEASURES.items():
        rows.append((measure, label, "z", "published z-score across occupations", label))
        rows.append((f"{measure}_pct", f"{label}, percentile", "unit",
                     "national-employment-weighted percentile of the z-score on [0, 1]", label))
    return pd.DataFrame(rows, columns=["measure", "label", "scale", "description", "source"])


def soc2010_to_2018_map(inputs: Inputs) -> pd.DataFrame:
    """Category map SOC 2010 -> SOC 2018 with equal weights."""
    crosswalk = inputs.table("soc2010_to_2018")
    return pd.DataFrame({
        "from_code": crosswalk["2010 SOC Code"].str.strip(),
        "to_code": crosswalk["2018 SOC Code"].str.strip(),
        "weight": 1.0,
        "rule": "soc2010_to_2018",
    }).drop_duplicates(["from_code", "to_code"])


def read_soc_scores(inputs: Inputs) -> pd.DataFrame:
    """z-scores per 6-digit SOC 2018 for ``felten_aioe`` and ``felten_lm_aioe``."""
    frames = []
    for measure, (key, column, _) in MEASURES.items():
        table = inputs.table(key)
        frames.append(pd.DataFrame({"measure": measure, "code": table["SOC Code"].str.strip(),
                                    "score": table[column]}))
    scores = with_thresholds(pd.concat(frames, ignore_index=True), unit_scale=False)
    derived = derive(scores, soc2010_to_2018_map(inputs))
    return derived.drop(columns=["rule"])
