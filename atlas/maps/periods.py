"""A level's periods on its map: DATA's ``periods``, packed by column and quantised.

A level declared with ``periods`` (``atlas/spec/levels.toml``) is in the database once per
period (``cn_city``, ``cn_city@2010``, ...; the table ``levels`` links them through their
``geography``). ``period_data`` gathers, per period and region, what the period control of the
page (``atlas/maps/templates/atlas_periods.js``) recolours and the profile's chart draws: each
layer's class, the rank, the collapse risk and the two pillars. A level with fewer than two
periods gets none (its map has no period control).

Every period is coloured with the classes of the default period's legend, so a colour means the
same range of values in every year: a value is put in the first class whose largest default
value is not below it (values beyond the ends join the end classes); a layer of declared bins
keeps its bins. Ranks and their counts are within each period.

The packed form (``DATA.periods``)
----------------------------------
``years`` the periods, oldest first; ``default`` the year the rest of DATA shows; ``ids`` the
region ids of every column below, in order; ``count`` ranked regions per year; ``classes``
``{layer_key: [one text per year, one character per region: "0".."8", "-" no class; ""
when no region has a class that year]}``; ``rank`` ``[one text per year]``, the ranks;
``risk`` the same, the collapse risk in thousandths (``risk * 1000`` rounded, as the profile
shows it with three decimals); ``pillars`` ``[{key, label}]`` (shock, then absorption) and
``p`` ``[[one text per year] per pillar]``, their percentiles in whole percents (as the profile
states them). A text of numbers holds ``width[field]`` characters per region, the number in
base 64 (the digits of :data:`DIGITS`), ``~`` repeated for a missing one: see :func:`encode`.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from atlas.maps.layers import (
    MapLayers,
    build_layers,
    declared_layers,
    exposure_by_level,
    fixed_classes,
    measure_layers,
    scenarios_by_level,
    user_bins,
)
from atlas.maps.specs import Declarations, MapSpec
from atlas.maps.text import Words
from atlas.spec.risk_model import Pillar, RiskModel

NO_CLASS = "-"
DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_."  # base 64, JSON-safe
MISSING = "~"


def width_for(values: list[int | None]) -> int:
    """Characters per number for the largest of ``values`` (at least one)."""
    top = max((v for v in values if v is not None), default=0)
    width = 1
    while len(DIGITS) ** width <= top:
        width += 1
    return width


def encode(values: list[int | None], width: int) -> str:
    """Non-negative integers (None: missing) as one text of ``width`` base-64 digits each."""
    out = []
    for value in values:
        if value is None:
            out.append(MISSING * width)
            continue
        digits = ""
        for _ in range(width):
            value, digit = divmod(value, len(DIGITS))
            digits = DIGITS[digit] + digits
        out.append(digits)
    return "".join(out)


def decode(text: str, width: int) -> list[int | None]:
    """The integers of :func:`encode` (as the page's script reads them)."""
    out: list[int | None] = []
    for start in range(0, len(text), width):
        chunk = text[start:start + width]
        if chunk.startswith(MISSING):
            out.append(None)
            continue
        value = 0
        for char in chunk:
            value = value * len(DIGITS) + DIGITS.index(char)
        out.append(value)
    return out


def level_periods(con: duckdb.DuckDBPyConnection, level: str) -> list[tuple[str, int]]:
    """``(level id, year)`` of every period of ``level``'s geography, oldest first."""
    columns = {row[0] for row in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'levels'").fetchall()}
    if not {"level", "geography", "period"} <= columns:  # no table, or an atlas without periods
        return []
    return [(name, int(year)) for name, year in con.execute(
        "SELECT level, period FROM levels WHERE period IS NOT NULL AND geography = "
        "(SELECT geography FROM levels WHERE level = ?) ORDER BY period", [level]).fetchall()]


def quantise(value: Any, scale: int) -> int | None:
    """``round(value * scale)`` as the page rounds (halves up), None when missing."""
    if value is None or value is pd.NA or not math.isfinite(float(value)):
        return None
    return int(math.floor(float(value) * scale + 0.5))


def upper_edges(values: dict[str, Any], classes: dict[str, int | None], n: int) -> list[float]:
    """The largest value of each class (NaN for a class without values)."""
    edges = [-math.inf] * n
    for rid, cls in classes.items():
        value = values.get(rid)
        if cls is not None and value is not None and pd.notna(value):
            edges[cls] = max(edges[cls], float(value))
    return [e if e > -math.inf else math.nan for e in edges]


def reclass(value: Any, edges: list[float]) -> int | None:
    """The class of ``value`` under the default period's ``edges`` (see the module docstring)."""
    if value is None or pd.isna(value):
        return None
    present = [(i, e) for i, e in enumerate(edges) if not math.isnan(e)]
    if not present:
        return None
    return next((i for i, e in present if float(value) <= e), present[-1][0])


def reclass_many(values: dict[str, Any], edges: list[float]) -> dict[str, int | None]:
    """:func:`reclass` of every value (by region), at once."""
    present = [(i, e) for i, e in enumerate(edges) if not math.isnan(e)]
    if not present:
        return dict.fromkeys(values)
    try:  # None is NaN here; pd.NA (a nullable column's) fails: element by element then
        number = np.array(list(values.values()), dtype=float)
    except (TypeError, ValueError):
        number = np.array([math.nan if v is None or pd.isna(v) else float(v)
                           for v in values.values()], dtype=float)
    index = np.array([i for i, _ in present])
    below = number[:, None] <= np.array([e for _, e in present])[None, :]
    found = np.where(below.any(axis=1), index[below.argmax(axis=1)], index[-1]).tolist()
    return {rid: None if math.isnan(x) else c
            for rid, x, c in zip(values, number.tolist(), found, strict=True)}


def period_indices(con: duckdb.DuckDBPyConnection, names: list[str]) -> dict[str, pd.DataFrame]:
    """Each level's ``region_indices`` rows, indexed by region_id, read in one query.

    Every frame equals ``SELECT * ... WHERE level = ? ORDER BY region_id`` of its level alone
    (a test), dtypes included: a column the combined read gives a nullable dtype because
    another level has missing values gets the NumPy dtype again when this level has none,
    and a text column without any text in this level holds None (object), as a read of the
    level alone gives it.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The atlas database.
    names : list of str
        The levels (e.g. every period of a geography).

    Returns
    -------
    dict of str to pandas.DataFrame
    """
    combined = con.execute("SELECT * FROM region_indices WHERE list_contains(?, level) "
                           "ORDER BY level, region_id", [names]).df()
    texts = [c for c, t in combined.dtypes.items() if isinstance(t, pd.StringDtype)]
    nullable = [c for c, t in combined.dtypes.items()
                if isinstance(t, pd.api.extensions.ExtensionDtype) and t.kind in "iub"]
    level = combined["level"].to_numpy()
    bounds = [0, *(np.flatnonzero(level[1:] != level[:-1]) + 1).tolist(), len(level)]
    spans = {level[a]: (a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if a < b}
    out = {}
    for name in names:
        start, stop = spans.get(name, (0, 0))  # the rows are ordered by level: one span each
        part = combined.iloc[start:stop].reset_index(drop=True)
        for column in texts:
            if part[column].isna().all():
                part[column] = pd.Series([None] * len(part), dtype=object)
        for column in nullable:
            if not part[column].isna().any():
                part[column] = part[column].astype(part[column].dtype.numpy_dtype)
        out[name] = part.set_index("region_id", drop=False)
    return out


class _Recolour:
    """Classes of a period's layer values under the default period's legend."""

    def __init__(self, con: duckdb.DuckDBPyConnection, spec: MapSpec, decls: Declarations,
                 config: dict[str, Any], default: MapLayers) -> None:
        self.config, self.default = config, default
        self.decls = {d.key: d for d in declared_layers(con, decls, spec.level)}
        self.edges: dict[str, Any] = {}
        for layer in default.layers:
            key, values, classes = layer["key"], default.values[layer["key"]], \
                default.classes[layer["key"]]
            if layer.get("kind") == "bivariate":
                axis = [{r: (v[i] if v else None) for r, v in values.items()} for i in (0, 1)]
                self.edges[key] = [upper_edges(axis[0], {r: None if c is None else c % 3
                                                         for r, c in classes.items()}, 3),
                                   upper_edges(axis[1], {r: None if c is None else c // 3
                                                         for r, c in classes.items()}, 3)]
            else:
                self.edges[key] = upper_edges(values, classes, len(layer["colors"]))

    def classes(self, layer: dict[str, Any], values: dict[str, Any]) -> dict[str, int | None]:
        key, decl = layer["key"], self.decls.get(layer["key"])
        if layer.get("kind") == "bivariate":
            x_edges, y_edges = self.edges[key]  # each axis as reclass would, value by value
            xs = reclass_many({r: pair[0] if pair else None for r, pair in values.items()},
                              x_edges)
            ys = reclass_many({r: pair[1] if pair else None for r, pair in values.items()},
                              y_edges)
            return {r: None if xs[r] is None or ys[r] is None else 3 * ys[r] + xs[r]
                    for r in values}
        if decl is not None and decl.scheme == "UserDefined" and decl.bins:
            series = pd.Series(values, dtype=float)
            found, _ = fixed_classes(series, user_bins(decl.bins, self.config), layer["fmt"])
            return dict(zip(series.index, found, strict=True))
        return reclass_many(values, self.edges[key])


def period_data(con: duckdb.DuckDBPyConnection, spec: MapSpec, decls: Declarations,
                words: Words, config: dict[str, Any], model: RiskModel, default: MapLayers,
                pillars: list[Pillar], ids: list[str]) -> dict[str, Any] | None:
    """DATA's ``periods`` of a level (the module docstring), or None without two periods.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The atlas database.
    spec : MapSpec
        The level's map (its level is the default period).
    decls : Declarations
        ``atlas/spec/layers.toml``.
    words : Words
        The map's UI strings.
    config : dict
        The configuration the atlas was built with.
    model : RiskModel
        The collapse-risk model in use.
    default : MapLayers
        The layers of the default period, as the map shows them.
    pillars : list of Pillar
        The model's pillars, shock first (the first two are packed).
    ids : list of str
        The regions of the map with indices, in the order of the columns.

    Returns
    -------
    dict or None
    """
    periods = level_periods(con, spec.level)
    if len(periods) < 2:
        return None
    recolour = _Recolour(con, spec, decls, config, default)
    shown = pillars[:2]
    out: dict[str, Any] = {
        "years": [year for _, year in periods],
        "default": next(year for name, year in periods if name == spec.level),
        "ids": ids, "count": [], "classes": {layer["key"]: [] for layer in default.layers},
        "rank": [], "risk": [],
        "pillars": [{"key": p.pillar, "label": words.term(p.pillar, p.label)} for p in shown],
        "p": [[] for _ in shown]}
    frames = period_indices(con, [name for name, _ in periods])
    measures = measure_layers(con, decls)  # once for every period
    past = [name for name, _ in periods if name != spec.level]
    declared = [d for name in past for d in declared_layers(con, decls, name, measures)]
    exposure = exposure_by_level(con, past, sorted(  # one query for every past period
        {d.measure for d in declared if d.source == "exposure"}))
    scenarios = scenarios_by_level(con, past, sorted(
        {d.scenario for d in declared if d.source == "scenario"}))
    for name, _ in periods:
        indices = frames[name]
        if name == spec.level:
            layers = default
        else:
            layers = build_layers(con, name, indices, decls, words, config, model,
                                  values_only=True, measures=measures,
                                  exposure=exposure[name],  # default's legend
                                  scenarios=None if scenarios is None else scenarios[name])
        for layer in default.layers:
            key = layer["key"]
            values = layers.values.get(key, {})
            found = default.classes[key] if layers is default else \
                recolour.classes(layer, values)
            text = "".join(NO_CLASS if found.get(rid) is None else str(found[rid]) for rid in ids)
            out["classes"][key].append("" if set(text) <= {NO_CLASS} else text)
        frame = indices.reindex(ids)
        out["count"].append(int(indices["collapse_risk"].notna().sum()))
        out["rank"].append([quantise(v, 1) for v in frame.get("risk_rank", _none(ids))])
        out["risk"].append([quantise(v, 1000) for v in frame.get("collapse_risk", _none(ids))])
        for i, pillar in enumerate(shown):
            column = frame.get(f"pillar_{pillar.pillar}", _none(ids))
            out["p"][i].append([quantise(v, 100) for v in column])
    return _encoded(out)


def _encoded(out: dict[str, Any]) -> dict[str, Any]:
    """The numbers of ``out`` as texts of :func:`encode`, one width per field."""
    out["width"] = {}
    for field in ("rank", "risk", "p"):
        columns = out[field] if field != "p" else [c for pillar in out["p"] for c in pillar]
        width = out["width"][field] = width_for([v for column in columns for v in column])
        if field == "p":
            out["p"] = [[encode(c, width) for c in pillar] for pillar in out["p"]]
        else:
            out[field] = [encode(c, width) for c in columns]
    return out


def unpack_periods(periods: dict[str, Any]) -> dict[str, Any]:
    """``periods`` with its numbers decoded: ``rank``, ``risk``, ``p`` as lists of integers
    (or None), the classes as lists of integers (or None) per region."""
    width, n = periods["width"], len(periods["ids"])
    classes = {key: [[None if not text or text[i] == NO_CLASS else int(text[i])
                      for i in range(n)] for text in texts]
               for key, texts in periods["classes"].items()}
    return {**periods, "classes": classes,
            "rank": [decode(t, width["rank"]) for t in periods["rank"]],
            "risk": [decode(t, width["risk"]) for t in periods["risk"]],
            "p": [[decode(t, width["p"]) for t in pillar] for pillar in periods["p"]]}


def _none(ids: list[str]) -> pd.Series:
    return pd.Series([np.nan] * len(ids), index=ids, dtype=float)
