"""Generated texts of the evidence: the README's validation table and the evidence section
of ``docs/validation.md`` (published figures, the shift since ChatGPT, the backtests and an
honest reading of them), from the built atlas (``atlas report --update-docs``)."""

from __future__ import annotations

import duckdb
import pandas as pd

from atlas.engine.validate_figures import markdown
from atlas.spec.evidence import evidence

BLOCK = "evidence"
HEADER = "## Evidence: published figures, the shift since ChatGPT, backtests"


def interval(row: pd.Series, name: str = "spearman") -> str:
    """``+0.27 [+0.15, +0.38]``."""
    return f"{row[name]:+.2f} [{row[name + '_p05']:+.2f}, {row[name + '_p95']:+.2f}]"


def window_table(rows: pd.DataFrame, horizon: int) -> str:
    """One line per model year at ``horizon``: Spearman of every predictor (collapse risk
    with its 90% interval) and the top-decile hit rates of collapse risk and the best
    baseline."""
    part = rows.loc[rows["horizon"] == horizon]
    if part.empty:
        return ""
    predictors = list(dict.fromkeys(part["predictor"]))
    head = ["window", "regions", *predictors, "hit rate: collapse risk",
            "hit rate: best baseline"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for window, group in part.groupby("years"):
        group = group.set_index("predictor")
        cells = [window, str(int(group["regions"].iloc[0]))]
        for name in predictors:
            cells.append(interval(group.loc[name]) if name == "collapse_risk"
                         else f"{group.loc[name, 'spearman']:+.2f}")
        baselines = group.loc[group["role"] == "baseline"]
        best = baselines["hit_rate"].idxmax()
        cells += [f"{group.loc['collapse_risk', 'hit_rate']:.0%}",
                  f"{baselines.loc[best, 'hit_rate']:.0%} ({best})"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def window_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per window: collapse risk, the pillars and the best baseline (Spearman, hit rate)."""
    out = []
    for window, group in rows.groupby("years"):
        group = group.set_index("predictor")
        baselines = group.loc[group["role"] == "baseline"]
        pillars = group.loc[group.index.str.startswith("pillar_")]
        out.append({"window": window, "risk": group.loc["collapse_risk", "spearman"],
                    "risk_low": group.loc["collapse_risk", "spearman_p05"],
                    "risk_hit": group.loc["collapse_risk", "hit_rate"],
                    "best": baselines["spearman"].idxmax(), "best_value": baselines[
                        "spearman"].max(), "best_hit": baselines["hit_rate"].max(),
                    **{name: value for name, value in pillars["spearman"].items()}})
    return pd.DataFrame(out)


def reading(summary: pd.DataFrame, outcome: str) -> str:
    """The plain reading of one outcome's windows, numbers from the table."""
    n = len(summary)
    positive = int((summary["risk_low"] > 0).sum())
    beaten = int((summary["best_value"] > summary["risk"]).sum())
    hit_beaten = int((summary["best_hit"] > summary["risk_hit"]).sum())
    common = summary["best"].value_counts()
    text = (f"**{outcome.capitalize()} change** ({n} windows): collapse risk at the model "
            f"year ranks later decline better than chance in {positive} of {n} windows (the "
            f"90% interval of its Spearman above 0; median {summary['risk'].median():+.2f}). "
            f"A naive baseline has the higher Spearman in {beaten} of {n} windows, most "
            f"often {common.index[0].replace('_', ' ')} ({common.iloc[0]} windows; median "
            f"best baseline {summary['best_value'].median():+.2f}), and puts more of its top "
            f"decile into the bottom growth quartile in {hit_beaten} of {n}.")
    for pillar in [c for c in summary.columns if c.startswith("pillar_")]:
        ahead = int((summary[pillar] > summary["risk"]).sum())
        text += (f" `{pillar}` alone: median {summary[pillar].median():+.2f}, ahead of "
                 f"collapse risk in {ahead} of {n}.")
    return text


def split_table(rows: pd.DataFrame) -> str:
    """The split-sample rows as a table."""
    lines = ["| predictor | role | regions | Spearman [90%] | top-decile hit rate [90%] |",
             "|---|---|---|---|---|"]
    for _, row in rows.iterrows():
        lines.append(f"| `{row['predictor']}` | {row['role']} | {int(row['regions'])} | "
                     f"{interval(row)} | {row['hit_rate']:.0%} [{row['hit_rate_p05']:.0%}, "
                     f"{row['hit_rate_p95']:.0%}] |")
    return "\n".join(lines)


def shift_section(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The national shift by major group and the spread of the projection."""
    groups = con.execute("""
        SELECT major_group, substitutable_before, substitutable_growth_pct, other_growth_pct,
               gap_pp FROM shift_by_group WHERE substitutable_before > 0
        ORDER BY gap_pp""").df()
    lines = ["| SOC major group | substitutable jobs May 2022 | their change % | other jobs' "
             "change % | gap (pp) |", "|---|---|---|---|---|"]
    lines += [f"| {r.major_group} | {r.substitutable_before:,.0f} | "
              f"{r.substitutable_growth_pct:+.1f} | {r.other_growth_pct:+.1f} | {r.gap_pp:+.1f} |"
              for r in groups.itertuples()]
    spread = con.execute("""
        SELECT level, count(*) AS regions, min(substitutable_change_pct) AS low,
               median(substitutable_change_pct) AS mid, max(substitutable_change_pct) AS high,
               count(*) FILTER (WHERE substitutable_change_pct < 0) AS falling
        FROM shift_projection GROUP BY level ORDER BY level""").df()
    lines += ["", "The projection (`shift_projection`, map layer and profile line on the US "
              "map, column `substitutable_trend_change` in the exports) applies each "
              "occupation's national trend to a region's own May 2025 mix. It is no forecast: "
              "it has no local trend in it.", "",
              "| level | regions | lowest % | median % | highest % | regions where "
              "substitutable jobs would fall |", "|---|---|---|---|---|---|"]
    lines += [f"| {r.level} | {r.regions} | {r.low:+.1f} | {r.mid:+.1f} | {r.high:+.1f} | "
              f"{r.falling} |" for r in spread.itertuples()]
    return lines


def geography_section(geography: str, rows: pd.DataFrame) -> list[str]:
    """The backtest of a geography with periods: how it is done (from its declaration), the
    reading of each outcome and the table of its windows at the second horizon."""
    settings = evidence()["backtest"][geography]
    horizons = [str(h) if h != "longest" else "the longest available"
                for h in settings["horizons"]]
    shown = next((int(h) for h in settings["horizons"][1:] if h != "longest"),
                 int(rows["horizon"].min()))
    parts = ["", f"### Backtest: {geography}, every model year", "",
             f"Each model year t with at least {settings['min_years']} later years of "
             f"outcomes; outcome: the change from t to t + k (k = {', '.join(horizons)}), "
             f"ratios beyond {settings['breaks']:g}x dropped as breaks; predictors oriented so "
             "that higher = riskier; Spearman with the decline (positive: higher risk came "
             "before lower growth), 90% bootstrap interval "
             f"({settings['bootstrap']} resamples) for collapse risk; hit rate: the share of "
             f"the top {settings['top_share']:.0%} that ended in the bottom "
             f"{settings['bottom_quantile']:.0%} of growth (chance "
             f"{settings['bottom_quantile']:.0%}). Every window is in `backtest`.", ""]
    for outcome, part in rows.groupby("outcome"):
        parts += [reading(window_summary(part), outcome), "",
                  f"{shown}-year windows, {outcome}:", "", window_table(part, shown), ""]
    return parts


def evidence_document(con: duckdb.DuckDBPyConnection) -> str:
    """The evidence section of ``docs/validation.md`` (between its markers)."""
    validation = con.execute("SELECT * FROM validation").df()
    backtest = con.execute("SELECT * FROM backtest").df()
    parts = [HEADER, "",
             "Generated by `atlas report --update-docs` from the tables `validation`, "
             "`shift_by_group`, `shift_projection` and `backtest` (declared in "
             "`atlas/spec/evidence.toml`). `atlas validate` prints the checks and exits 1 if one "
             "that gates does not hold; `atlas validate --backtests` prints the windows; "
             "`atlas validate --explain REGION` prints a region's chain from raw inputs to "
             "its rank (table `lineage`).", "", "### Published figures", "",
             markdown(validation), "", "### The shift since ChatGPT", "",
             "OEWS May 2022 (collected November 2019 to May 2022) against May 2025 (November "
             "2022 to May 2025), national jobs by occupation as sums over the 20 sectors, "
             "each occupation on the sectors published in both panels (`occupation_shift`). "
             "Substitutable jobs = jobs x the occupation's substitutable share under the "
             "default measure.", ""]
    parts += shift_section(con)
    periods = backtest.loc[backtest["kind"] == "periods"]
    if len(periods):
        for geography, rows in periods.groupby("geography"):
            parts += geography_section(geography, rows)
    split = backtest.loc[backtest["kind"] == "split_sample"]
    for geography, rows in split.groupby("geography"):
        model = rows.loc[rows["role"] == "model"].iloc[0]
        baselines = rows.loc[rows["role"] == "baseline"].set_index("predictor")
        best = baselines["spearman"].idxmax()
        parts += ["", f"### Split-sample pseudo-backtest: {geography}", "",
                  f"The absorption pillar rebuilt from LAUS data up to {int(model['model_year'])}"
                  f" only (the components with a vintage before the split), against employment "
                  f"change {model['years']}. The in-sample row uses data after the split and "
                  "is no test.", "", split_table(rows), "",
                  f"The rebuilt pillar: {interval(model)}; the best baseline, `{best}`: "
                  f"{interval(baselines.loc[best])}"
                  + (" - the baseline wins." if baselines.loc[best, "spearman"]
                     > model["spearman"] else " - the pillar wins.")]
    parts += ["", "### What this means for using the atlas", "",
              "Collapse risk ranks vulnerability; the backtests say how far its absorption "
              "side has anticipated long decline in the past, and where a single naive "
              "indicator did as well or better. Where a baseline wins, read collapse risk "
              "beside the prior-decline layers rather than instead of them. The shock pillar "
              "cannot be backtested on pre-2022 outcomes (generative AI came later); the "
              "shift since 2022 is the first observed evidence on it. These tables are for "
              "choosing between model options across all windows at once: no weight is "
              "tuned to one window."]
    return "\n".join(parts)


def replace_or_append(text: str, body: str) -> str:
    """``text`` with the evidence block replaced, or appended after the existing content."""
    start, end = f"<!-- {BLOCK}:start -->", f"<!-- {BLOCK}:end -->"
    if start not in text:
        return f"{text.rstrip()}\n\n{start}\n{body}\n{end}\n"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{body}\n{end}{tail}"
