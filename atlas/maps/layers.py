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
from atlas.maps.layer_source import (  # noqa: F401  (public API)
    LayerSource,
    declared_layers,
    exposure_by_level,
    measure_layers,
    scenarios_by_level,
)
from atlas.maps.specs import Declarations, LayerDecl
from atlas.maps.text import Words, fill
from atlas.spec.config_types import AtlasConfig
from atlas.spec.risk_model import RiskModel
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
    by_region = dict(zip(present.index.tolist(), index.tolist(), strict=True))
    labels = [show(fmt, bins[0])] + [f"{show(fmt, lo)} - {show(fmt, hi)}"
                                     for lo, hi in zip(bins, bins[1:], strict=False)]
    return [by_region.get(i) for i in values.index.tolist()], labels


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
    by_region = dict(zip(present.index.tolist(), np.asarray(merged)[index.to_numpy()].tolist(),
                         strict=True))  # one look-up per region, not a Series lookup each
    return [by_region.get(i) for i in values.index.tolist()], labels


@dataclass
class MapLayers:
    """The layers of one map: DATA's ``layers``, and per region its values and classes."""

    layers: list[dict[str, Any]] = field(default_factory=list)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> region -> value
    classes: dict[str, dict[str, int | None]] = field(default_factory=dict)


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
                 model: RiskModel, *, values_only: bool = False,
                 measures: list[LayerDecl] | None = None,
                 exposure: dict[str, pd.Series] | None = None,
                 scenarios: dict[str, pd.Series] | None = None) -> MapLayers:
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
    measures : list of LayerDecl, optional
        :func:`measure_layers` already read (default: read here).
    exposure : dict of str to pandas.Series, optional
        The level's exposure values already read, by measure (:func:`exposure_by_level`;
        default: read here, in one query).
    scenarios : dict of str to pandas.Series, optional
        The level's scenario values already read, by scenario (:func:`scenarios_by_level`;
        default: read here, one query per scenario layer).

    Returns
    -------
    MapLayers
        DATA's ``layers`` and the per-region values and classes, keyed by layer key.
    """
    declared = declared_layers(con, decls, level, measures)
    source = LayerSource(con, level, indices, model, decls,
                         tuple(d.measure for d in declared if d.source == "exposure"), exposure,
                         scenarios)
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
        out.values[decl.key] = as_dict(values, source.keys)
        out.classes[decl.key] = dict(zip(values.index, classes, strict=True))
    return out


def as_dict(values: pd.Series, keys: list | None = None) -> dict[Any, Any]:
    """``values.to_dict()`` (region -> value), without pandas's per-item boxing when the values
    are NumPy numbers (the same Python keys and numbers; an extension dtype: ``to_dict``).
    ``keys``: ``values.index.tolist()`` already made (:attr:`LayerSource.keys`)."""
    if isinstance(values.dtype, pd.api.extensions.ExtensionDtype) or values.dtype == object:
        return values.to_dict()
    return dict(zip(values.index.tolist() if keys is None else keys, values.tolist(),
                    strict=True))


def _values(out: MapLayers, decl: LayerDecl, source: LayerSource) -> None:
    """The values :func:`build_layers` gives a layer, without its classes and texts."""
    if decl.kind == "bivariate":
        x, y = source.column(decl.x), source.column(decl.y)
        if x is not None and y is not None and x.notna().sum() and y.notna().sum():
            out.values[decl.key] = _pairs(x, y)
        return
    values = source.series(decl)
    if values is not None:
        out.values[decl.key] = as_dict(values, source.keys)


def _pairs(x: pd.Series, y: pd.Series) -> dict[str, list | None]:
    """The bivariate layer's value of each region: its (x, y), or None without either."""
    return {rid: [a, b] if pd.notna(a) or pd.notna(b) else None
            for rid, a, b in zip(x.index.tolist(), x, y, strict=True)}


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
                             for rid, cx, cy in zip(x.index.tolist(), x_classes, y_classes,
                                                             strict=True)}


def _pick(default: str, table: dict[str, str], level: str) -> str:
    return table.get(level, default)
