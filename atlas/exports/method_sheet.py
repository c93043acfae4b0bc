"""The ``method`` sheet: what was selected, how the model ranks, and how the money was split,
with a worked example for the first region of the file.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from atlas.exports.ranking import (
    TIER_LABELS,
    RankRequest,
    allocation_for,
    has_intervals,
    re_ranked,
    top_decile_cut,
)
from atlas.exports.selection import geography_for
from atlas.exports.sheets import frame_sheet
from atlas.exports.workbook import Sheet
from atlas.spec.config_types import AtlasConfig
from atlas.spec.declarations import level_decl
from atlas.store.database import stored_config
from atlas.texts.dictionary import not_applicable
from atlas.texts.method_text import method_lines

RULE_NEED = {
    "exposed_jobs": "need = exposed jobs (job-equivalents of the task time generative AI could "
                    "speed up)",
    "risk_weighted": "need = exposed jobs x collapse risk",
    "equal": "need = 1 for every region (an equal split)",
}
NOT_COVERED = (
    "The amounts follow the indicators only. They do not account for differences in prices "
    "and wages between regions (one currency label, nothing converted); for other funds or "
    "programmes already reaching a region; for the cost or capacity of delivering programmes; "
    "for work outside the employment counted (self-employment in the US, jobs outside urban "
    "units in China, estimated employment for countries); for the timing of AI adoption; or, "
    "except under the tiered rule, for the uncertainty of the ranking. Exposure is not "
    "displacement: the scores measure the share of tasks AI could speed up, not jobs lost.")


def model_method(con: duckdb.DuckDBPyConnection, level: str) -> list[tuple[str, str]]:
    """The model's method in words (formula, pillars, components and weights, flags), rendered
    from the configuration the atlas was built with (``atlas.texts.method_text``)."""
    rows = method_lines(stored_config(con), level)
    skip = {f"flag_{column[5:]}" for column in not_applicable(level) if column.startswith(
        "flag_")}
    return [(item, text) for item, text in rows if item not in skip]


def filters_text(request: RankRequest, selected: int) -> str:
    """The filters of ``request`` in words."""
    concept = geography_for(request.level).concept
    parts = [f"level {request.level}",
             f"flags: any of {', '.join(request.flags)}" if request.flags else "flags: any",
             f"principal {concept}: any of {', '.join(request.states)}" if request.states
             else f"{concept}: any"]
    if request.any_county_in:
        parts.append(f"or any member county in {', '.join(request.any_county_in)}")
    if request.min_employment is not None:
        parts.append(f"at least {request.min_employment:,.0f} jobs")
    if request.measure:
        parts.append(f"re-ranked under the measure {request.measure}")
    parts.append(f"first {request.top} after sorting" if request.top else "all after sorting")
    return "; ".join(parts) + f": {selected} regions"


def rule_text(request: RankRequest) -> str:
    """The allocation rule in plain words."""
    bounds = ("A region whose t x need falls below the floor receives the floor; one above the "
              "cap receives the cap, and what the cap cuts off goes to the other regions in "
              "proportion to their need (t rises). The amounts are then rounded to whole units "
              "by the largest-remainder method: they add up exactly to the budget and never "
              "cross a floor or a cap.")
    if request.rule != "tiered":
        return (f"{request.rule}: {RULE_NEED[request.rule]}. Every region receives t x need, "
                f"with one common multiplier t (currency per unit of need) chosen so that the "
                f"amounts add up to the budget. {bounds}")
    shares = "/".join(f"{s:g}" for s in request.tier_shares)
    within = ("in proportion to need (need = exposed jobs)" if request.within == "need"
              else "equally")
    return (f"tiered: the budget is first split over the tiers of the robust ranking in the "
            f"shares {shares} (tier 1/2/3, renormalised over the tiers that have regions); a "
            f"tier whose regions' caps cannot take its share passes the rest to the other tiers "
            f"in proportion to their shares, and every tier gets at least its regions' floors. "
            f"Within a tier the money is split {within}: every region receives t x need with "
            f"the tier's own t. {bounds} "
            + ("Money follows risk: a tier whose budget per exposed job would fall below a "
               "lower tier's is pooled with it (one t for both), so, floors and caps apart, no "
               "region gets less per exposed job than a region of a lower tier. The summary "
               "sheet ends in one subtotal row per tier (regions, jobs, amount); "
               "--tier-shares sets the shares."
               if request.within == "need" else
               "The shares are per tier, not per region: with an equal split each region of a "
               "small tier can receive more than each region of a large one (compare the tier "
               "subtotals at the end of the summary sheet; --tier-shares sets the shares)."))


def worked_example(ranking: pd.DataFrame, request: RankRequest) -> str:
    """The allocation of the first region of ``ranking``, step by step."""
    allocation = allocation_for(ranking, request)
    row, currency = ranking.iloc[0], request.currency
    need = float(row["allocation_need"])
    tiered = request.rule == "tiered"
    group = (ranking["risk_tier"] == row["risk_tier"]) if tiered else pd.Series(
        True, index=ranking.index)
    steps = [f"{row['name']} (the first region of this file)"]
    if tiered:
        present = [n for n, label in TIER_LABELS.items() if (ranking["risk_tier"] == label).any()]
        tier = next(n for n, label in TIER_LABELS.items() if label == row["risk_tier"])
        share = request.tier_shares[tier - 1] / sum(request.tier_shares[n - 1] for n in present)
        pooled = allocation.group[0] if allocation.group else str(tier)
        receiver = ("the tier receives" if "+" not in pooled else
                    f"tiers {pooled.replace('+', ' and ')} are pooled (money follows risk: the "
                    "lower tier would otherwise get more per exposed job) and receive")
        steps.append(f"is in tier {tier} ({row['risk_tier']}), whose share after "
                     f"renormalising is {share:.1%}; after floors and caps {receiver} "
                     f"{allocation.group_budget[0]:,} {currency}")
    if request.rule == "risk_weighted":
        steps.append(f"need = exposed jobs x collapse risk = {row['exposed_jobs']:,.0f} x "
                     f"{row['collapse_risk']:.3f} = {need:,.1f}")
    elif request.rule == "equal" or (tiered and request.within == "equal"):
        steps.append("need = 1 (equal split)")
    else:
        steps.append(f"need = exposed jobs = {need:,.1f}")
    if ranking.loc[group, "allocation_need"].sum() <= 0:
        need = 1.0
        steps.append("no region of the group has a need, so it is split equally (need = 1)")
    t, bound = allocation.multiplier[0], allocation.bound[0]
    members = ("its tier" if "+" not in (allocation.group or [""])[0] else "its pooled tiers") \
        if tiered else "all regions"
    steps.append(f"the common multiplier t = {t:,.6g} {currency} per unit of need makes the "
                 f"amounts of {members} add up to {allocation.group_budget[0]:,} {currency}")
    free = t * need
    cap = "none" if request.cap is None else f"{request.cap:,} {currency}"
    if bound == "cap":
        steps.append(f"t x need = {free:,.0f} {currency} is above the cap ({cap}): the cap binds")
    elif bound == "floor":
        steps.append(f"t x need = {free:,.0f} {currency} is below the floor "
                     f"({request.floor:,} {currency}): the floor binds")
    else:
        steps.append(f"t x need = {free:,.0f} {currency} lies within the floor "
                     f"({request.floor:,} {currency}) and the cap ({cap}): neither binds")
    steps.append(f"amount after rounding to whole units = {allocation.amounts[0]:,} {currency}")
    return "; ".join(steps) + "."


def tiers_text(request: RankRequest, config: AtlasConfig, cut: int, regions: int,
               intervals: bool) -> str:
    """How the risk tiers were set: from the build's rank intervals, or from the point rank
    where there are none (re-ranked under another measure, whose ranks those intervals do
    not describe; a period left out of the uncertainty analysis)."""
    other_measure = re_ranked(request, config)
    if other_measure or not intervals:
        why = (f"the build's 90% rank intervals, robust-trap shares and trap zones describe the "
               f"ranking under its own measure ({config.exposure.default_measure}) and "
               "are left out" if other_measure else
               "the uncertainty analysis did not rank this level (config uncertainty.periods)")
        tier1 = (" (under the tiered rule its share goes to the tiers that have regions)"
                 if request.rule == "tiered" and request.budget is not None else "")
        measure = request.measure or config.exposure.default_measure
        return (f"From the point rank under {measure}: {why}. {TIER_LABELS[2]}: ranks "
                f"1-{cut} of {regions} (the level's top decile); "
                f"{TIER_LABELS[3]}: the rest; no region is '{TIER_LABELS[1]}' (nothing here "
                f"shows its rank is robust){tier1}.")
    return (f"From the robust ranking: the 90% interval of a region's rank (5th-95th "
            "percentile over all specifications of measures, aggregations, omitted "
            f"components and weights). "
            f"{TIER_LABELS[1]}: the whole interval lies within the level's top "
            f"decile (ranks 1-{cut} of {regions}); {TIER_LABELS[2]}: the interval "
            f"reaches it (best rank <= {cut}); {TIER_LABELS[3]}: the rest.")


def method_rows(con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame,
                request: RankRequest) -> list[tuple[str, str]]:
    """Every row of the method sheet as (item, text)."""
    level = request.level
    config = stored_config(con)
    described = dict(con.execute("SELECT level, description FROM levels").fetchall())
    regions = int(ranking["regions_in_level"].max()) if len(ranking) else int(con.execute(
        "SELECT count(collapse_risk) FROM region_indices WHERE level = ?",
        [level]).fetchone()[0])  # an empty selection still describes its level
    cut = top_decile_cut(regions, config)
    intervals = has_intervals(ranking) if len(ranking) else bool(con.execute(
        "SELECT count(rank_p95) FROM region_indices WHERE level = ?", [level]).fetchone()[0])
    measure = ranking["exposure_measure"].iloc[0] if len(ranking) else (
        request.measure or config.exposure.default_measure)
    rows = [
        ("what this is", f"Regions of level {level} ({described.get(level, level)}) selected by "
                         "the filters below, highest collapse risk first."),
        ("filters", filters_text(request, len(ranking))),
        ("sort order", "collapse_risk descending, then total_employment descending, then "
                       "region_id ascending (= risk_rank order)"),
        ("risk tiers", tiers_text(request, config, cut, regions, intervals)),
        ("exposure measure", str(measure)),
        ("automation measure", str(config.exposure.automation_measure)),
        *model_method(con, level),
    ]
    if request.budget is not None and len(ranking):
        cap = "none" if request.cap is None else f"{request.cap:,} {request.currency}"
        rows += [
            ("budget", f"{request.budget:,} {request.currency} (the code is a label: nothing "
                       "is converted)"),
            ("allocation rule", rule_text(request)),
            ("floor / cap per region", f"{request.floor:,} {request.currency} / {cap}"),
            ("worked example", worked_example(ranking, request)),
            ("not accounted for", NOT_COVERED),
        ]
    decl = level_decl(level)
    if decl is not None and decl.notes:  # its `notes` in atlas/spec/levels.toml
        rows.append(("level notes", decl.notes))
    return rows  # the model's method ends with the caveat (atlas.texts.method_text.method_lines)


def rule_sentence(request: RankRequest) -> str:
    """The allocation rule in one sentence (the summary's title block)."""
    cap = "no cap" if request.cap is None else f"a cap of {request.cap:,} {request.currency}"
    bounds = f"a floor of {request.floor:,} {request.currency} and {cap} per region"
    if request.rule != "tiered":
        return (f"{request.rule}: each region receives t x need ({RULE_NEED[request.rule]}), "
                f"one multiplier t for all chosen so that the amounts add up to the budget, "
                f"with {bounds}.")
    shares = "/".join(f"{s:g}" for s in request.tier_shares)
    within = "by need (exposed jobs)" if request.within == "need" else "equally"
    return (f"tiered: the budget is split over the risk tiers 1/2/3 in the shares {shares}, "
            f"then within each tier {within}, with {bounds}.")


def summary_title(con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame, request: RankRequest,
                  warnings: list[str]) -> list[str]:
    """The title block of the summary sheet: what the file is, the budget, the rule in one
    sentence, the filters, the build date, the caveat and any warnings."""
    level, budget = request.level, request.budget
    what = "Collapse-risk ranking" + (" and transition-fund allocation" if budget is not None
                                      else "")
    built = con.execute("SELECT value FROM build_info WHERE key = 'created_at'").fetchone()
    caveat = dict(model_method(con, level)).get("caveat", "")
    lines = [f"{what}: {len(ranking)} regions of level {level}",
             f"Budget: {budget:,} {request.currency}" if budget is not None else
             "Budget: none (a ranking only; atlas rank --budget splits an amount)"]
    if budget is not None:
        lines.append(f"Rule: {rule_sentence(request)}")
    lines += [f"Filters: {filters_text(request, len(ranking))}",
              f"Atlas built: {str(built[0])[:10] if built else 'unknown'}; the method sheet "
              "says how the ranking and the amounts are made.",
              f"Caveat: {caveat}"]
    return lines + [f"Warning: {w}" for w in warnings]


def method_sheet(con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame,
                 request: RankRequest) -> Sheet:
    """The method sheet (item, value)."""
    frame = pd.DataFrame(method_rows(con, ranking, request), columns=["item", "value"])
    return frame_sheet("method", frame, request.currency, wrap=True)
