"""Eloundou, Manning, Mishkin and Rock (2024), "GPTs are GPTs", Science 384.

Seven measures per 6-digit SOC code, each the mean over the O*NET-SOC occupations that
roll up to it: GPT-4-rated and human-rated alpha/beta/gamma (share of an occupation's tasks
exposed; beta = E1 + 0.5 E2) and ``eloundou_automation``, the mean task ``automation``
(0 = none .. 1 = fully automatable) from the task-level labels.
"""

from __future__ import annotations

import pandas as pd

from atlas.inputs import Inputs
from atlas.scores import derive, onet_rollup_map, with_thresholds

CODE = "O*NET-SOC Code"
RATING_COLUMNS = {
    "eloundou_gpt4_alpha": "dv_rating_alpha",
    "eloundou_gpt4_beta": "dv_rating_beta",
    "eloundou_gpt4_gamma": "dv_rating_gamma",
    "eloundou_human_alpha": "human_rating_alpha",
    "eloundou_human_beta": "human_rating_beta",
    "eloundou_human_gamma": "human_rating_gamma",
}
DESCRIPTIONS = {
    "alpha": "share of tasks with direct exposure (E1)",
    "beta": "share of tasks exposed, E1 + 0.5 * E2 (E2: exposed with complementary software)",
    "gamma": "share of tasks exposed, E1 + E2",
}


def measures() -> pd.DataFrame:
    """Metadata rows for the measures this reader provides."""
    rows = []
    for measure in RATING_COLUMNS:
        rater, variant = measure.split("_")[1:]
        who = "GPT-4" if rater == "gpt4" else "human annotators"
        rows.append((measure, f"Eloundou et al. {variant} ({who})", "unit",
                     f"{DESCRIPTIONS[variant]}, rated by {who}"))
    rows.append(("eloundou_automation", "Eloundou et al. automation", "unit",
                 "mean task automation label T0..T4 mapped to 0..1 (GPT-4 rater)"))
    frame = pd.DataFrame(rows, columns=["measure", "label", "scale", "description"])
    frame["source"] = "Eloundou, Manning, Mishkin, Rock (2024) Science 384; O*NET-SOC 2019"
    return frame


def read_onet_scores(inputs: Inputs) -> pd.DataFrame:
    """Long table ``measure, code, score`` per O*NET-SOC occupation."""
    occ = inputs.table("eloundou_occ")
    long = occ.melt(id_vars=[CODE], value_vars=list(RATING_COLUMNS.values()),
                    var_name="column", value_name="score")
    long["measure"] = long["column"].map({v: k for k, v in RATING_COLUMNS.items()})
    tasks = inputs.table("eloundou_tasks")
    automation = tasks.groupby(CODE, as_index=False)["automation"].mean()
    automation = automation.rename(columns={"automation": "score"}).assign(
        measure="eloundou_automation")
    both = pd.concat([long[["measure", CODE, "score"]], automation[["measure", CODE, "score"]]])
    return both.rename(columns={CODE: "code"}).dropna(subset=["score"])


def read_soc_scores(inputs: Inputs) -> pd.DataFrame:
    """Scores per 6-digit SOC (mean over O*NET children) with 0/1 threshold columns."""
    onet = read_onet_scores(inputs)
    onet = onet.assign(ge_10=float("nan"), ge_50=float("nan"), vulnerable=float("nan"),
                       substitutable=float("nan"))
    rolled = derive(onet, onet_rollup_map(onet["code"]))
    return with_thresholds(rolled.drop(columns=["rule"]), unit_scale=True)


def headline_shares(inputs: Inputs, measure_column: str = "human_rating_beta") -> dict[str, float]:
    """The paper's headline: shares of US workers with >= 10% and >= 50% of tasks exposed.

    Uses the paper's own weighting: each O*NET occupation carries the May 2021 OEWS
    employment of its SOC code (repeated on every O*NET child), matched by title as in
    ``occupations_onet_bls_matched.csv``.
    """
    occ = inputs.table("eloundou_occ")
    matched = inputs.table("eloundou_matched")
    joined = matched.merge(occ, left_on="occupation", right_on="Title", how="inner")
    weight = joined["TOT_EMP"].astype(float)
    score = joined[measure_column]
    total = weight.sum()
    return {
        "share_ge_10": float(weight[score >= 0.1].sum() / total),
        "share_ge_50": float(weight[score >= 0.5].sum() / total),
        "occupations": int(len(joined)),
    }
