"""Eloundou, Manning, Mishkin and Rock (2024), "GPTs are GPTs", Science 384.

Seven measures per O*NET-SOC occupation (declared in ``atlas/spec/measures.toml``): GPT-4-rated
and human-rated alpha/beta/gamma (share of an occupation's tasks exposed; beta = E1 + 0.5
E2) and ``eloundou_automation``, the mean task ``automation`` (0 = none .. 1 = fully
automatable) from the task-level labels. The registry rolls them up to 6-digit SOC (the mean
over the O*NET children) and carries them on.
"""

from __future__ import annotations

import pandas as pd

from atlas.sources.inputs import Inputs

CODE = "O*NET-SOC Code"
RATING_COLUMNS = {
    "eloundou_gpt4_alpha": "dv_rating_alpha",
    "eloundou_gpt4_beta": "dv_rating_beta",
    "eloundou_gpt4_gamma": "dv_rating_gamma",
    "eloundou_human_alpha": "human_rating_alpha",
    "eloundou_human_beta": "human_rating_beta",
    "eloundou_human_gamma": "human_rating_gamma",
}


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


def read(context, decls, taxonomy: str) -> pd.DataFrame:
    """The measure reader: ``measure, code, score`` per O*NET-SOC occupation (the
    registry rolls them up to SOC and carries them on)."""
    return read_onet_scores(context.inputs)


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
