"""``atlas validate``: the published figures the atlas reproduces (exit 1 if a gating one
does not hold), the backtests (``--backtests``) and one region's chain from raw inputs to its
rank (``--explain REGION``), all read from the built atlas (registered by ``atlas.cli``)."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from atlas.cli.common import DEFAULT_DB, DbOption


def backtest_lines(table: pd.DataFrame) -> list[str]:
    """One line per backtest window and outcome: collapse risk and the best baseline
    (Spearman with its 90% interval, top-decile hit rate), and which wins."""
    lines = []
    keys = ["geography", "kind", "years", "outcome"]
    for (geography, _kind, window, outcome), rows in table.groupby(keys, sort=False):
        rows = rows.set_index("predictor")
        model = rows.loc[rows["role"] == "model"]
        head = model.loc["collapse_risk"] if "collapse_risk" in model.index else model.iloc[0]
        baselines = rows.loc[rows["role"] == "baseline"]
        best = baselines["spearman"].idxmax() if len(baselines) else None

        def said(name: str, row: pd.Series) -> str:
            return (f"{name} {row['spearman']:+.2f} [{row['spearman_p05']:+.2f}, "
                    f"{row['spearman_p95']:+.2f}] hit {row['hit_rate']:.0%}")
        text = f"{geography} {window} {outcome} ({int(head['regions'])} regions): " \
               + said(str(head.name), head)
        if best is not None:
            wins = "model" if head["spearman"] >= baselines.loc[best, "spearman"] else best
            text += f"; best baseline {said(best, baselines.loc[best])}; higher: {wins}"
        lines.append(text)
    return lines


def validate(
    backtests: Annotated[bool, typer.Option(
        "--backtests", help="Print the backtests (table backtest) instead: per window, "
                            "collapse risk against the best naive baseline.")] = False,
    explain_region: Annotated[str | None, typer.Option(
        "--explain", metavar="REGION",
        help="Print one region's chain from raw inputs to its rank (a region_id or part of "
             "a name).")] = None,
    level: Annotated[str | None, typer.Option(
        help="--explain: the level to look in (default: the default levels).")] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Check every published figure the atlas reproduces (one line each; exit 1 if one that
    gates does not hold), or print the backtests or one region's lineage."""
    from atlas.engine.validate_figures import check_lines, failed
    from atlas.store.database import open_atlas
    from atlas.texts.lineage import explain

    con = open_atlas(db)
    try:
        if explain_region is not None:
            lines = explain(con, explain_region, level)
        elif backtests:
            lines = backtest_lines(con.execute(
                "SELECT * FROM backtest ORDER BY geography, kind, model_year, horizon, "
                "outcome").df())
        else:
            table = con.execute("SELECT * FROM validation").df()
            lines = check_lines(table)
            missed = failed(table)
            lines.append(f"{len(table) - len(missed)} of {len(table)} checks hold or do not "
                         "gate" + (f"; FAILED: {', '.join(missed['check'])}" if len(missed)
                                   else ""))
    finally:
        con.close()
    for line in lines:
        typer.echo(line)
    if explain_region is None and not backtests and len(missed):
        raise typer.Exit(code=1)
