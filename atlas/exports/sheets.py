"""What the workbook says: the ``summary``, ``data``, ``dictionary`` and ``provenance`` sheets
(the ``method`` sheet is in ``atlas.exports.method_sheet``).

A column that is empty for every exported region (a China-only column in a US export), or a
flag that cannot be true at the level, is left out of both the summary and the data sheet.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from atlas.exports.ranking import TIER_LABELS, RankRequest, has_intervals
from atlas.exports.selection import geography_for, geography_label
from atlas.exports.workbook import Column, Sheet
from atlas.spec.declarations import level_decl
from atlas.texts.dictionary import column_meaning, not_applicable

COUNT, SHARE, SCORE, RATE, RANK = "#,##0", "0.0%", "0.000", "0.0", "0"
NUMBER_FORMATS = {
    **dict.fromkeys(("total_employment", "exposed_jobs", "population", "labor_force",
                     "median_hh_income", "gdp_per_capita", "allocation_need"), COUNT),
    **dict.fromkeys(("coverage", "imputed_share", "share_ge_10", "share_ge_50",
                     "vulnerable_share", "industrial_share", "p_top_decile", "p_trap",
                     "substitutable_share", "substitutable_excess", "self_employed_share",
                     "private_individual_share", "state_funded_share",
                     "reference_substitutable_share", "share_p05", "share_p95"), SHARE),
    **dict.fromkeys(("collapse_risk", "exposure_mean", "automation_mean", "entropy_norm", "hhi",
                     "hachman", "krugman", "group_entropy", "group_hachman", "min_pillar"),
                    SCORE),
    **dict.fromkeys(("unemployment_rate", "poverty_rate", "child_poverty_rate", "effective_n",
                     "median_rank", "employment_change", "employment_change_2007",
                     "unemployment_persistent", "population_change",
                     "substitutable_trend_change"), RATE),
    **dict.fromkeys(("selection_rank", "risk_rank", "rank_p05", "rank_p95",
                     "regions_in_level", "risk_components", "tier_rank", "group_rank",
                     "regions_in_group"), RANK),
}
# columns not listed above, by how their names end: shares 0..1, changes of a share in
# percentage points, job counts
SUFFIX_FORMATS = (("_share_change", "0.00"), ("_share", SHARE), ("_jobs", COUNT),
                  ("share", SHARE))
AMOUNT_COLUMNS = ("allocation", "amount")
NEED_UNITS = {"exposed_jobs": "exposed jobs", "risk_weighted": "exposed jobs x risk",
              "equal": "1 per region", "tiered": "exposed jobs"}


def currency_format(code: str) -> str:
    """Excel number format of an amount in ``code``: ``#,##0 "USD"``."""
    return f'#,##0 "{code}"'


def number_format(column: str, currency: str) -> str | None:
    """Number format of a data column (None: Excel's General)."""
    if column in AMOUNT_COLUMNS:
        return currency_format(currency)
    if column.startswith(("risk_p_", "pillar_")):  # the model's component and pillar scores
        return SCORE
    if column in NUMBER_FORMATS:
        return NUMBER_FORMATS[column]
    for suffix, fmt in SUFFIX_FORMATS:  # context indicators named by the house convention
        if column.endswith(suffix):
            return fmt
    return None


def data_table(ranking: pd.DataFrame, level: str) -> pd.DataFrame:
    """``ranking`` without columns that are empty for all its regions or do not apply."""
    useless = not_applicable(level)
    keep = [c for c in ranking.columns if c not in useless and not _empty(ranking[c].tolist())]
    return ranking[keep]


def flags_in_words(frame: pd.DataFrame, level: str) -> list[str]:
    """The region's flags as words, e.g. "trap, rust belt" ("" if none)."""
    flags = [c for c in frame.columns if c.startswith("flag_") and c not in not_applicable(level)]
    words = {c: c.removeprefix("flag_").replace("_", " ") for c in flags}
    values = frame[flags].astype(object).to_numpy()  # rows as arrays, not a Series each
    return [", ".join(words[c] for c, v in zip(flags, row, strict=True)
                      if pd.notna(v) and bool(v)) for row in values]


def _interval(frame: pd.DataFrame) -> list[str]:
    """Rank with its 90% interval, e.g. "12 (5-31)"."""
    out = []
    missing = [None] * len(frame)
    for point, low, high in zip(frame["risk_rank"].tolist(),
                                frame["rank_p05"].tolist() if "rank_p05" in frame else missing,
                                frame["rank_p95"].tolist() if "rank_p95" in frame else missing,
                                strict=True):
        rank = "" if pd.isna(point) else f"{int(point)}"
        has_interval = low is not None and high is not None and pd.notna(low) and pd.notna(high)
        out.append(f"{rank} ({int(low)}-{int(high)})" if has_interval else rank)
    return out


def _empty(values: list) -> bool:
    """True if some values exist and all of them are missing or "" (an empty selection keeps
    its columns, so the headers still show)."""
    return bool(values) and all(v == "" if isinstance(v, str) else v is None or pd.isna(v)
                                for v in values)


def _source(frame: pd.DataFrame, column: str) -> list | None:
    return frame[column].tolist() if column in frame.columns else None


def whole_rank_word(level: str) -> str:
    """"Rank", or "World rank" at a level ranked within groups (its ``rank_group.whole``)."""
    decl = level_decl(level)
    whole = decl.rank_group.whole if decl is not None and decl.rank_group else ""
    return f"{whole[:1].upper()}{whole[1:]} rank" if whole else "Rank"


def group_rank_columns(ranking: pd.DataFrame, level: str) -> list[tuple]:
    """At a level ranked within groups (``rank_group`` in levels.toml): the group in words
    and the rank within it, which the flags use; none elsewhere."""
    decl = level_decl(level)
    if decl is None or decl.rank_group is None or "group_rank" not in ranking:
        return []
    group = decl.rank_group
    words = decl.map.get("words", {}).get(group.column, {})
    names = [words.get(g, g) if isinstance(g, str) else None for g in ranking["rank_group"]]
    ranks = [f"{int(r)} of {int(n)}" if pd.notna(r) else None
             for r, n in zip(ranking["group_rank"], ranking["regions_in_group"], strict=True)]
    return [(group.concept[:1].upper() + group.concept[1:], names, None, None,
             column_meaning("rank_group", level)),
            (f"Rank within {group.concept}", ranks, None, None,
             f"Rank by collapse risk within the {group.concept} (1 = highest): the flags "
             f"are the top of each {group.concept}; the rank columns before it are the "
             f"{group.whole} rank, shown as context.")]


def summary_sheet(ranking: pd.DataFrame, request: RankRequest) -> Sheet:
    """One row per region with the columns a committee reads, and a totals row."""
    level, currency = request.level, request.currency
    regions = int(ranking["regions_in_level"].max()) if len(ranking) else 0
    geography = geography_for(level)
    need_unit = "1 per region" if request.rule == "tiered" and request.within == "equal" else \
        NEED_UNITS.get(request.rule, "need")
    intervals = has_intervals(ranking)
    specs = [
        ("#", _source(ranking, "selection_rank"), RANK, None,
         column_meaning("selection_rank", level)),
        (whole_rank_word(level) + (f" of {regions}" if regions else "")
         + (" (90% interval)" if intervals else ""),
         _interval(ranking), None, None,
         "Rank by collapse risk within the level (1 = highest)"
         + (", with the 5th-95th percentile of the rank over all specifications in brackets."
            if intervals else " (no rank intervals here: see the method sheet's risk tiers).")),
        # the same as numbers, to sort and filter by
        ("rank", _source(ranking, "risk_rank"), RANK, None,
         "Rank by collapse risk within the level (1 = highest), as a number."),
        ("rank_low", _source(ranking, "rank_p05") if intervals else None, RANK, None,
         "Best rank of the 90% interval (5th percentile over all specifications), a number."),
        ("rank_high", _source(ranking, "rank_p95") if intervals else None, RANK, None,
         "Worst rank of the 90% interval (95th percentile over all specifications), a number."),
        *group_rank_columns(ranking, level),
        ("Name", ranking["name"].tolist(), None, f"Total: {len(ranking)} regions",
         column_meaning("name", level)),
        (geography.header, geography_label(ranking, level).tolist(), None, None,
         column_meaning(geography.columns[0], level)),
        ("Jobs", _source(ranking, "total_employment"), COUNT, "sum",
         column_meaning("total_employment", level)),
        ("Exposed jobs", _source(ranking, "exposed_jobs"), COUNT, "sum",
         column_meaning("exposed_jobs", level)),
        (substitutable_header(ranking), _source(ranking, "substitutable_share"), SHARE, None,
         "Share of the region's jobs generative AI could substitute (the absolute shock), "
         "beside the national (reference level's) share in the header."),
        ("Unemployment rate (%)", _source(ranking, "unemployment_rate"), RATE, None,
         column_meaning("unemployment_rate", level)),
        ("Collapse risk", _source(ranking, "collapse_risk"), SCORE, None,
         column_meaning("collapse_risk", level)),
        ("Risk tier", _source(ranking, "risk_tier"), None, None,
         column_meaning("risk_tier", level)),
        ("Top-decile share of specifications", _source(ranking, "p_top_decile"), "0%", None,
         column_meaning("p_top_decile", level)),
        ("AI shock (pillar)", _source(ranking, "pillar_shock"), "0.00", None,
         column_meaning("pillar_shock", level)),
        ("Weak absorption (pillar)", _source(ranking, "pillar_absorption"), "0.00", None,
         column_meaning("pillar_absorption", level)),
        ("Trap share of specifications", _source(ranking, "p_trap"), "0%", None,
         column_meaning("p_trap", level)),
        ("Flags", flags_in_words(ranking, level), None, None,
         "The region's flags in words (see the flag_* columns in the dictionary)."),
        ("Note", _source(ranking, "note"), None, None, column_meaning("note", level)),
        (f"Need ({need_unit})", _source(ranking, "allocation_need"), COUNT, "sum",
         column_meaning("allocation_need", level)),
        (f"Allocation ({currency})", _source(ranking, "allocation"), currency_format(currency),
         "sum", f"Transition-fund amount, whole {currency} (see the method sheet)."),
        ("Set by", _source(ranking, "allocation_bound"), None, None,
         column_meaning("allocation_bound", level)),
    ]
    columns = []
    for header, values, fmt, total, meaning in specs:
        if values is None or _empty(values):
            continue
        if total == "sum":
            total = sum(float(v) for v in values if pd.notna(v))
        columns.append(Column(header, values, fmt, total, meaning))
    return Sheet("summary", columns, totals=True,
                 subtotals=tier_subtotals(ranking, columns) if request.rule == "tiered" else [])


def substitutable_header(ranking: pd.DataFrame) -> str:
    """``Substitutable share (national 18.4%)``: the header carries the reference value."""
    if "reference_substitutable_share" not in ranking.columns or not len(ranking):
        return "Substitutable share"
    reference = ranking["reference_substitutable_share"].dropna()
    return (f"Substitutable share (national {float(reference.iloc[0]):.1%})" if len(reference)
            else "Substitutable share")


def tier_subtotals(ranking: pd.DataFrame, columns: list[Column]) -> list[dict[str, object]]:
    """One row per risk tier present (count, and the sums of the summed columns: jobs,
    exposed jobs, need, allocation), in tier order, below the totals row of the tiered
    rule's summary sheet; none without tiers."""
    if "risk_tier" not in ranking.columns or not len(ranking):
        return []
    summed = [(index, c) for index, c in enumerate(columns) if c.total is not None
              and not isinstance(c.total, str)]
    rows = []
    for label in TIER_LABELS.values():
        members = (ranking["risk_tier"] == label).to_numpy()
        if not members.any():
            continue
        row: dict[str, object] = {"Name": f"Tier '{label}': {int(members.sum())} regions",
                                  "Risk tier": label}
        for _, column in summed:
            row[column.header] = sum(float(v) for v, m in zip(column.values, members,
                                                              strict=True)
                                     if m and pd.notna(v))
        rows.append(row)
    return rows


def frame_sheet(name: str, frame: pd.DataFrame, currency: str = "USD",
                wrap: bool = False) -> Sheet:
    """A sheet with one column per frame column, formatted by column name."""
    return Sheet(name, [Column(str(c), frame[c].tolist(), number_format(str(c), currency))
                        for c in frame.columns], wrap=wrap)


def column_comments(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The database's comments on the region_indices columns."""
    return {column: comment for column, comment in con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'region_indices' "
        "AND comment IS NOT NULL").fetchall()}


def dictionary_sheet(summary: Sheet, data: pd.DataFrame, level: str,
                     comments: dict[str, str]) -> Sheet:
    """What every column of the summary and data sheets means, in the level's own terms."""
    rows = [("summary", c.header, c.meaning) for c in summary.columns]
    rows += [("data", c, column_meaning(c, level, comments)) for c in data.columns]
    frame = pd.DataFrame(rows, columns=["sheet", "column", "meaning"])
    return frame_sheet("dictionary", frame, wrap=True)


def provenance_frame(con: duckdb.DuckDBPyConnection, command: str) -> pd.DataFrame:
    """Input files with sha256, plus atlas version, build time and the exact command."""
    files = con.execute(
        "SELECT file, sha256, bytes, rows, vintage, licence FROM provenance ORDER BY file").df()
    info = con.execute("SELECT key, value FROM build_info WHERE key <> 'config'").df()
    info = pd.concat([info, pd.DataFrame({"key": ["export_command"], "value": [command]})])
    info = info.rename(columns={"key": "file", "value": "vintage"})
    return pd.concat([files, info], ignore_index=True)


def selection_warnings(ranking: pd.DataFrame, request: RankRequest,
                       ignored: tuple[str, ...] = ()) -> list[str]:
    """What a committee should know about a selection before using it: options that were
    ignored, and selected regions in the lower half of their level's ranking (low risk), which
    still get money when there is a budget.

    Parameters
    ----------
    ranking : pandas.DataFrame
        The selected regions (``atlas.ranking.rank_regions``).
    request : RankRequest
        The selection and allocation options.
    ignored : tuple of str
        Command-line options given but not used (``--currency`` without ``--budget``).

    Returns
    -------
    list of str
        One sentence per warning (empty when there is nothing to say).
    """
    out = [f"{option} applies only with --budget: ignored." for option in ignored]
    if not len(ranking) or "risk_rank" not in ranking:
        return out
    regions = int(ranking["regions_in_level"].max())
    low = ranking.loc[ranking["risk_rank"] > regions / 2]
    if len(low) and regions > 1:
        shown = ", ".join(f"{name} (rank {int(rank)})" for name, rank in zip(
            low["name"][:5], low["risk_rank"][:5], strict=True))
        more = f" and {len(low) - 5} more" if len(low) > 5 else ""
        money = ""
        if request.budget is not None:
            money = (f"; each still receives at least the floor ({request.floor:,} "
                     f"{request.currency})" if request.floor else
                     "; each still receives part of the budget")
        out.append(f"{len(low)} of the {len(ranking)} selected regions rank in the lower half "
                   f"of the level's {regions} regions by collapse risk (low risk){money}: "
                   f"{shown}{more}.")
    return out
