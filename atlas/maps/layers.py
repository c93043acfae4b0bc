"""The layers of one map: their values per region, their classes (mapclassify) and legends.

A declared layer (``atlas/spec/layers.toml``) becomes a layer of a level's map when it applies to
the level and at least one region has a value; a row of ``measures`` with ``map_layer = true``
becomes a layer "m:<measure>" by itself. Classes are mapclassify quantiles (or Fisher-Jenks)
made tie-safe by :func:`classify`; a bivariate layer crosses the terciles of two columns.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from atlas.errors import ConfigError
from atlas.maps.specs import Declarations, LayerDecl
from atlas.maps.text import Words, fill
from atlas.spec.config_types import AtlasConfig
from atlas.spec.risk_model import RiskModel
from atlas.store.database import table_exists
from atlas.texts.method_text import named_text
from atlas.texts.method_zh import named_in

PALETTE = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]  # ColorBrewer YlOrRd-5
MINUS = "\u2212"
LABEL_FORMATS: dict[str, Callable[[float], str]] = {
    "pct": lambda v: f"{100 * v:.1f}%",
    "rate": lambda v: f"{v:.1f}%",
    "int": lambda v: f"{v:,.0f}",
    "num": lambda v: f"{v:.3f}",
    "pp": lambda v: f"{v:.2f}",
    "pctile": lambda v: f"{100 * v:.0f}%",
}


def show(fmt: str, value: float) -> str:
    """A number as a legend shows it (a true minus sign, so ranges read clearly)."""
    text = LABEL_FORMATS[fmt](value)
    return text.replace("-", MINUS) if text.startswith("-") else text


THRESHOLD_HAIR = 1e-9  # a config threshold starts the class above it, as the flags' >= rules


def user_bins(bins: tuple[float | str, ...], config: AtlasConfig) -> list[float]:
    """A layer's declared bins (upper class edges, inclusive) as numbers: a text names a
    config threshold ("section.key", such as the robust-trap share), whose value starts the
    class above it, as the flags' ``>=`` rules do."""
    out = []
    for edge in bins:
        if isinstance(edge, str):
            try:
                edge = float(config.value(edge)) - THRESHOLD_HAIR
            except (KeyError, TypeError, ValueError):
                raise ConfigError(f"layers.toml: bin {edge!r} is not a config setting "
                                  "(expected section.key)") from None
        out.append(float(edge))
    return sorted(out)


def fixed_classes(values: pd.Series, bins: list[float], fmt: str
                  ) -> tuple[list[int | None], list[str]]:
    """Classes of declared upper edges, every one kept (empty or not), so that a class has
    the same colour and meaning in every build; values above the last edge join it."""
    present = values.dropna().astype(float)
    index = np.minimum(np.searchsorted(bins, present.to_numpy(), side="left"), len(bins) - 1)
    by_region = dict(zip(present.index, index.tolist(), strict=True))
    labels = [show(fmt, bins[0])] + [f"{show(fmt, lo)} - {show(fmt, hi)}"
                                     for lo, hi in zip(bins, bins[1:], strict=False)]
    return [by_region.get(i) for i in values.index], labels


def classify(values: pd.Series, scheme: str, k: int = 5,
             fmt: str = "num", bins: list[float] | None = None
             ) -> tuple[list[int | None], list[str]]:
    """Class index per value (None where missing) and the legend labels, via mapclassify.

    Ties never produce two classes with the same label: repeated bin edges and empty classes
    are dropped, equal values share a class, and neighbouring classes whose labels read the
    same once formatted are merged. A label runs from the class's smallest value to its upper
    bin edge; a class whose range shows as one number is labelled with that number.

    Parameters
    ----------
    values : pandas.Series
        One value per region (NaN: no value).
    scheme : str
        ``"Quantiles"``, ``"Fisher-Jenks"`` or ``"UserDefined"`` (with ``bins``: the upper
        edges of the classes; values above the last one join the last class).
    k : int, default 5
        Classes wanted (fewer when the values have fewer distinct values).
    fmt : str, default "num"
        How the labels show the numbers (a key of :data:`LABEL_FORMATS`).

    Returns
    -------
    classes : list of int or None
        In the order of ``values``.
    labels : list of str
        One per class, low to high.
    """
    if scheme == "UserDefined":
        return fixed_classes(values, bins, fmt)
    present = values.dropna().astype(float)
    if present.nunique() < 2:
        return [0 if pd.notna(v) else None for v in values], ["all regions"]
    k = min(k, present.nunique())
    import mapclassify  # here: the index page reads this module's callers without classing

    with warnings.catch_warnings():  # mapclassify lowers k itself when values repeat
        warnings.simplefilter("ignore", UserWarning)
        values_array = present.to_numpy()
        if scheme == "Fisher-Jenks":
            classifier = mapclassify.FisherJenks(values_array, k=k)
        else:
            classifier = mapclassify.Quantiles(values_array, k=k)
    bins = np.unique(classifier.bins)
    index = pd.Series(np.searchsorted(bins, present.to_numpy(), side="left"), index=present.index)
    used = sorted(set(index))  # a bin no value falls in (ties) is no class
    bins = bins[used]
    index = index.map({old: new for new, old in enumerate(used)})
    lower = present.groupby(index).min().to_numpy()  # the smallest value of each class
    labels: list[str] = []
    merged = []  # class of each bin after merging labels that read the same
    for lo, hi in zip(lower, bins, strict=True):
        label = show(fmt, hi) if show(fmt, lo) == show(fmt, hi) else \
            f"{show(fmt, lo)} - {show(fmt, hi)}"
        if labels and (label == labels[-1] or show(fmt, hi) == labels[-1].split(" - ")[-1]):
            first = labels[-1].split(" - ")[0]
            labels[-1] = show(fmt, hi) if first == show(fmt, hi) else f"{first} - {show(fmt, hi)}"
        else:
            labels.append(label)
        merged.append(len(labels) - 1)
    by_region = dict(zip(present.index, np.asarray(merged)[index.to_numpy()].tolist(),
                         strict=True))  # one look-up per region, not a Series lookup each
    return [by_region.get(i) for i in values.index], labels


@dataclass
class MapLayers:
    """The layers of one map: DATA's ``layers``, and per region its values and classes."""

    layers: list[dict[str, Any]] = field(default_factory=list)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> region -> value
    classes: dict[str, dict[str, int | None]] = field(default_factory=dict)


def measure_layers(con: duckdb.DuckDBPyConnection, decls: Declarations) -> list[LayerDecl]:
    """One exposure layer per ``measures`` row with ``map_layer = true`` (no column: none)."""
    columns = {row[0] for row in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'measures'").fetchall()}
    if "map_layer" not in columns:
        return []
    template = decls.measure_layers
    rows = con.execute("SELECT measure, label, scale, coalesce(description, '') FROM measures "
                       "WHERE map_layer ORDER BY measure").fetchall()
    return [LayerDecl(key=f"m:{measure}", source="exposure", measure=measure,
                      fmt=template.get("fmt", {}).get(scale, "num"),
                      label=fill(template.get("label", "{label}"), {"label": label}),
                      labels={level: fill(text, {"label": label})
                              for level, text in template.get("labels", {}).items()},
                      what=fill(template.get("what", ""), {"label": label,
                                                           "description": description}),
                      whats={level: fill(text, {"label": label, "description": description})
                             for level, text in template.get("whats", {}).items()})
            for measure, label, scale, description in rows]


def declared_layers(con: duckdb.DuckDBPyConnection, decls: Declarations,
                    level: str) -> list[LayerDecl]:
    """The declared layers that apply to ``level``, with the measure layers inserted."""
    layers = [d for d in decls.layers if d.applies_to(level)]
    keys = {d.key for d in layers}
    extra = [d for d in measure_layers(con, decls) if d.key not in keys]
    after = decls.measure_layers.get("after")
    position = next((i + 1 for i, d in enumerate(layers) if d.key == after), len(layers))
    return layers[:position] + extra + layers[position:]


class LayerSource:
    """Values and database labels of the columns a level's layers read.

    ``measures``: the exposure measures of the layers that will be asked for; their values
    are read in one query, on the first exposure layer asked for (one query per measure
    before: 4 measures x 17 periods on China's map). The database's labels are read on the
    first label asked for (a past period's values need none)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, level: str, indices: pd.DataFrame,
                 model: RiskModel, decls: Declarations, measures: tuple[str, ...] = ()
                 ) -> None:
        self.con, self.level, self.indices, self.decls = con, level, indices, decls
        self.pillars = {f"pillar_{p.pillar}": p for p in model.pillars}
        self.wanted = tuple(dict.fromkeys(measures))
        self._exposure: dict[str, pd.Series] | None = None
        self._labels: tuple[pd.DataFrame, dict[str, str]] | None = None

    @property
    def context(self) -> pd.DataFrame:
        """The level's ``context_indicators`` (label, unit), indexed by indicator."""
        return self._database_labels()[0]

    @property
    def measures(self) -> dict[str, str]:
        """Every measure's label."""
        return self._database_labels()[1]

    def _database_labels(self) -> tuple[pd.DataFrame, dict[str, str]]:
        if self._labels is None:
            con, level = self.con, self.level
            context = con.execute(
                "SELECT indicator, label, unit FROM context_indicators WHERE level = ?",
                [level]).df().set_index("indicator") if table_exists(con, "context_indicators") \
                else pd.DataFrame(columns=["label", "unit"])
            measures = dict(con.execute("SELECT measure, label FROM measures").fetchall()) \
                if table_exists(con, "measures") else {}
            self._labels = (context, measures)
        return self._labels

    def exposure(self, measure: str) -> pd.Series:
        """``exposure_mean`` of the level's regions under ``measure``, indexed by region_id
        (the measures of ``wanted`` read at once, another one alone)."""
        if measure not in self.wanted:
            return self._exposure_frame([measure]).set_index("region_id")["exposure_mean"]
        if self._exposure is None:
            frame = self._exposure_frame(list(self.wanted))
            self._exposure = {name: rows.drop(columns="measure").set_index("region_id")[
                "exposure_mean"] for name, rows in frame.groupby("measure", sort=False)}
        found = self._exposure.get(measure)
        return found if found is not None else pd.Series(dtype=float, name="exposure_mean")

    def _exposure_frame(self, measures: list[str]) -> pd.DataFrame:
        marks = ", ".join("?" * len(measures))
        return self.con.execute(
            "SELECT measure, region_id, exposure_mean FROM region_exposure WHERE level = ? "
            f"AND measure IN ({marks})", [self.level, *measures]).df()

    def column(self, name: str) -> pd.Series | None:
        """A region_indices column (None when absent)."""
        return self.indices.get(name)

    def series(self, decl: LayerDecl) -> pd.Series | None:
        """The layer's value per region_id, or None when the level has no such values."""
        if decl.source == "scenario":
            if not table_exists(self.con, "scenario_results"):
                return None
            frame = self.con.execute(
                "SELECT region_id, unemployment_rate_shock FROM scenario_results "
                "WHERE level = ? AND scenario = ?", [self.level, decl.scenario]).df()
            found = frame.set_index("region_id")["unemployment_rate_shock"]
        elif decl.source == "exposure":
            found = self.exposure(decl.measure)
        else:
            found = self.column(decl.value_column)
        if found is None:
            return None
        values = pd.to_numeric(found.reindex(self.indices.index), errors="coerce")
        return values if values.notna().any() else None

    def label(self, column: str, decl: LayerDecl) -> str:
        """The database's own label of a layer's column (pillar, indicator or measure)."""
        if column in self.pillars:
            return self.pillars[column].label
        if column in self.context.index:
            return str(self.context.loc[column, "label"])
        if decl.measure:
            return self.measures.get(decl.measure, decl.measure)
        return column

    def fmt(self, column: str, decl: LayerDecl) -> str:
        """The declared format, else the one of the indicator's unit, else ``num``."""
        if decl.fmt:
            return decl.fmt
        if column in self.context.index:
            return self.decls.units.get(str(self.context.loc[column, "unit"]), "num")
        return self.decls.indicators.get(column, {}).get("fmt", "num")


def _texts(decl: LayerDecl, config: AtlasConfig, level: str,
           languages: tuple[str, ...]) -> tuple[str, str]:
    """A layer's "what" and legend note, in the map's languages."""
    what = decl.what_for(level)
    if what is None and decl.what_text:
        what = named_in(languages, config, decl.what_text, level,
                        named_text(config, decl.what_text, level))
    note = (named_in(languages, config, decl.note_text, level,
                     named_text(config, decl.note_text, level)) if decl.note_text else "")
    return what or "", note


def build_layers(con: duckdb.DuckDBPyConnection, level: str, indices: pd.DataFrame,
                 decls: Declarations, words: Words, config: AtlasConfig,
                 model: RiskModel, *, values_only: bool = False) -> MapLayers:
    """Every layer of one level's map.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The atlas database.
    level : str
        The level drawn.
    indices : pandas.DataFrame
        The level's ``region_indices`` rows, indexed by region_id.
    decls : Declarations
        ``atlas/spec/layers.toml``.
    words : Words
        The map's UI strings (the bivariate class words).
    config : dict
        The configuration the atlas was built with (every note and "what" with a weight or a
        threshold is rendered from it).
    model : RiskModel
        The collapse-risk model in use.
    values_only : bool, default False
        Only ``values`` (another period's, which the default period's legend classes:
        :mod:`atlas.maps.periods`): no classes, no ``layers``.

    Returns
    -------
    MapLayers
        DATA's ``layers`` and the per-region values and classes, keyed by layer key.
    """
    declared = declared_layers(con, decls, level)
    source = LayerSource(con, level, indices, model, decls,
                         tuple(d.measure for d in declared if d.source == "exposure"))
    out = MapLayers()
    for decl in declared:
        if values_only:
            _values(out, decl, source)
            continue
        what, note = _texts(decl, config, level, words.languages)
        if decl.kind == "bivariate":
            _bivariate(out, decl, source, words, what, note, level)
            continue
        values = source.series(decl)
        if values is None:
            continue
        fmt = source.fmt(decl.value_column, decl)
        classes, labels = classify(values, decl.scheme, fmt=fmt,
                                   bins=user_bins(decl.bins, config) if decl.bins else None)
        colors = PALETTE if len(labels) == len(PALETTE) else PALETTE[-len(labels):]
        out.layers.append({
            "key": decl.key, "label": fill(decl.label_for(level),
                                           {"label": source.label(decl.value_column, decl)}),
            "fmt": fmt, "colors": colors, "labels": labels, "what": what, "note": note,
            "scheme": words.say("scheme_text", {"scheme": decl.scheme, "k": len(labels)})})
        out.values[decl.key] = values.to_dict()
        out.classes[decl.key] = dict(zip(values.index, classes, strict=True))
    return out


def _values(out: MapLayers, decl: LayerDecl, source: LayerSource) -> None:
    """The values :func:`build_layers` gives a layer, without its classes and texts."""
    if decl.kind == "bivariate":
        x, y = source.column(decl.x), source.column(decl.y)
        if x is not None and y is not None and x.notna().sum() and y.notna().sum():
            out.values[decl.key] = _pairs(x, y)
        return
    values = source.series(decl)
    if values is not None:
        out.values[decl.key] = values.to_dict()


def _pairs(x: pd.Series, y: pd.Series) -> dict[str, list | None]:
    """The bivariate layer's value of each region: its (x, y), or None without either."""
    return {rid: [a, b] if pd.notna(a) or pd.notna(b) else None
            for rid, a, b in zip(x.index, x, y, strict=True)}


def _bivariate(out: MapLayers, decl: LayerDecl, source: LayerSource, words: Words, what: str,
               note: str, level: str) -> None:
    x, y = source.column(decl.x), source.column(decl.y)
    if x is None or y is None or x.notna().sum() == 0 or y.notna().sum() == 0:
        return  # a model without the two pillars draws no bivariate layer
    x_classes, x_labels = classify(x, "Quantiles", k=3, fmt=decl.x_fmt)
    y_classes, y_labels = classify(y, "Quantiles", k=3, fmt=decl.y_fmt)
    x_name = fill(_pick(decl.x_label, decl.x_labels, level), {"label": source.label(decl.x, decl)})
    y_name = fill(_pick(decl.y_label, decl.y_labels, level), {"label": source.label(decl.y, decl)})
    class_words = words.text().get("class_words", ["low", "medium", "high"])
    terciles = words.say("terciles_text", {"x": x_name, "y": y_name,
                                           "x_labels": " | ".join(x_labels),
                                           "y_labels": " | ".join(y_labels)})
    out.layers.append({
        "key": decl.key, "kind": "bivariate", "label": fill(decl.label_for(level), {}),
        "fmt": "num", "colors": list(decl.colors), "labels": [], "what": what,
        "note": " ".join(t for t in (words.say("bivariate_counts", {}), terciles, note) if t),
        "scheme": words.say("grid_text", {}),
        "x_label": x_name, "y_label": y_name, "x_classes": class_words,
        "y_classes": class_words, "x_fmt": decl.x_fmt, "y_fmt": decl.y_fmt})
    out.values[decl.key] = _pairs(x, y)
    out.classes[decl.key] = {rid: 3 * cy + cx if cx is not None and cy is not None else None
                             for rid, cx, cy in zip(x.index, x_classes, y_classes, strict=True)}


def _pick(default: str, table: dict[str, str], level: str) -> str:
    return table.get(level, default)
