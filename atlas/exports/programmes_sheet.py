"""The ``programmes`` sheet: each selected region's programme mix and, with a budget, its
amount split among the instruments in whole currency units (summing exactly to the region's
amount), with every rule in words and a worked example for the first region.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd

from atlas.exports.sheets import frame_sheet
from atlas.exports.workbook import Sheet
from atlas.store.database import table_exists

__all__ = ["programme_amounts", "programme_table", "programmes_sheet"]

COLUMNS = ["item", "selection_rank", "region_id", "name", "instrument", "share", "share_p05",
           "share_p95", "amount", "text"]


def programme_amounts(shares: pd.Series, amount: int) -> np.ndarray:
    """Whole-unit amounts of one region's ``amount`` in proportion to ``shares`` (largest
    remainder; ties go to the instrument listed first), summing exactly to ``amount``.

    Examples
    --------
    >>> programme_amounts(pd.Series([0.5, 0.3, 0.2]), 101).tolist()
    [51, 30, 20]
    >>> int(programme_amounts(pd.Series([1 / 3] * 3), 100).sum())
    100
    """
    exact = np.asarray(shares, dtype=float) * int(amount)
    whole = np.floor(exact + 1e-9).astype(np.int64)
    rest = int(amount) - int(whole.sum())
    order = np.lexsort((np.arange(len(exact)), -(exact - whole)))
    whole[order[:rest]] += 1
    return whole


def programme_table(con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame,
                    level: str) -> pd.DataFrame:
    """One row per selected region and instrument: share, its range and, where the ranking
    has an allocation, the amount."""
    if not table_exists(con, "programme_mix") or ranking.empty:
        return pd.DataFrame(columns=["selection_rank", "region_id", "name", "programme",
                                     "instrument", "share", "share_p05", "share_p95", "amount"])
    mix = con.execute(
        "SELECT m.region_id, m.programme, p.label AS instrument, p.position, m.share, "
        "m.share_p05, m.share_p95, m.note AS text FROM programme_mix AS m "
        "JOIN programmes AS p USING (programme) WHERE m.level = ? "
        "ORDER BY m.region_id, p.position", [level]).df()
    chosen = ranking[["selection_rank", "region_id", "name"]
                     + (["allocation"] if "allocation" in ranking else [])]
    table = chosen.merge(mix, on="region_id", how="inner").sort_values(
        ["selection_rank", "position"], kind="stable")
    table["amount"] = pd.NA
    if "allocation" in table:
        for _, rows in table.groupby("selection_rank", sort=False):
            amount = rows["allocation"].iloc[0]
            if pd.notna(amount):
                table.loc[rows.index, "amount"] = programme_amounts(rows["share"], int(amount))
    return table.drop(columns=["position", "allocation"], errors="ignore").reset_index(
        drop=True)


def _worked_example(table: pd.DataFrame, con: duckdb.DuckDBPyConnection,
                    level: str) -> list[dict]:
    first = table.loc[table["selection_rank"] == table["selection_rank"].min()]
    if first.empty:
        return []
    region = first["region_id"].iloc[0]
    fits = dict(con.execute("SELECT programme, fit FROM programme_mix WHERE level = ? AND "
                            "region_id = ?", [level, region]).fetchall())
    weights = dict(con.execute("SELECT label, weight FROM programmes").fetchall())
    names = dict(con.execute("SELECT label, programme FROM programmes").fetchall())
    total = sum(weights[i] * fits[names[i]] for i in first["instrument"])
    rows = []
    for row in first.itertuples():
        fit, weight = fits[names[row.instrument]], weights[row.instrument]
        text = (f"fit {fit:.3f} x weight {weight:g} = {fit * weight:.3f}; share = "
                f"{fit * weight:.3f} / {total:.3f} = {row.share:.3f}")
        if pd.notna(row.amount):
            text += f"; amount = whole units of {row.share:.3f} x the region's amount, the " \
                    f"remainder to the largest fractions: {int(row.amount):,}"
        rows.append({"item": "worked example", "selection_rank": row.selection_rank,
                     "region_id": row.region_id, "name": row.name,
                     "instrument": row.instrument, "share": row.share, "amount": row.amount,
                     "text": text})
    return rows


def programmes_sheet(con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame, level: str,
                     currency: str = "USD") -> Sheet | None:
    """The sheet, or None when the atlas has no programme mix."""
    if not table_exists(con, "programmes"):
        return None
    table = programme_table(con, ranking, level)
    head = [{"item": "what it is", "text": "How each region's money could split among "
             "instruments that answer different mechanisms, read from the region's component "
             "percentiles: a recommendation from data, not an evaluation of programmes. "
             "share_p05-share_p95: the range over random draws of the instruments' weights."}]
    for label, purpose, rule in con.execute(
            "SELECT label, purpose, rule FROM programmes ORDER BY position").fetchall():
        head.append({"item": "rule", "instrument": label, "text": f"{purpose}: {rule}"})
    for name, reason in con.execute(
            "SELECT p.label, l.reason FROM programme_levels AS l JOIN programmes AS p "
            "USING (programme) WHERE l.level = ? AND NOT l.available ORDER BY p.position",
            [level]).fetchall():
        head.append({"item": "left out", "instrument": name, "text": reason})
    rows = head + _worked_example(table, con, level) + [
        {"item": "mix", **row} for row in table.to_dict("records")]
    frame = pd.DataFrame(rows).reindex(columns=COLUMNS)
    if frame["amount"].isna().all():
        frame = frame.drop(columns=["amount"])
    for column in ("share", "share_p05", "share_p95"):
        frame[column] = [None if v is None or (isinstance(v, float) and math.isnan(v))
                         else v for v in frame[column]]
    return frame_sheet("programmes", frame, currency, wrap=True)
