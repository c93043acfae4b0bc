"""Where a map's layers come from: the declared layers of a level (with one layer per
exposure measure shown on maps) and their values and labels read from the database
(:class:`LayerSource`); :mod:`atlas.maps.layers` classes them and writes their legends."""

from __future__ import annotations

import duckdb
import pandas as pd

from atlas.maps.specs import Declarations, LayerDecl
from atlas.maps.text import fill, has_table
from atlas.spec.risk_model import RiskModel


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


def declared_layers(con: duckdb.DuckDBPyConnection, decls: Declarations, level: str,
                    measures: list[LayerDecl] | None = None) -> list[LayerDecl]:
    """The declared layers that apply to ``level``, with the measure layers inserted
    (``measures``: :func:`measure_layers` already read, for the periods of one map)."""
    layers = [d for d in decls.layers if d.applies_to(level)]
    keys = {d.key for d in layers}
    if measures is None:
        measures = measure_layers(con, decls)
    extra = [d for d in measures if d.key not in keys]
    after = decls.measure_layers.get("after")
    position = next((i + 1 for i, d in enumerate(layers) if d.key == after), len(layers))
    return layers[:position] + extra + layers[position:]


def exposure_by_level(con: duckdb.DuckDBPyConnection, levels: list[str],
                      measures: list[str]) -> dict[str, dict[str, pd.Series]]:
    """``exposure_mean`` of ``measures`` in every level of ``levels``, read in one query (the
    periods of one map): per level, each measure's values indexed by region_id, as
    :meth:`LayerSource.exposure` reads them for one level (a measure without rows: absent)."""
    return _by_level(con, "region_exposure", "measure", "exposure_mean", levels, measures)


def scenarios_by_level(con: duckdb.DuckDBPyConnection, levels: list[str],
                       scenarios: list[str]) -> dict[str, dict[str, pd.Series]] | None:
    """``unemployment_rate_shock`` of ``scenarios`` in every level of ``levels``, read in one
    query, as :meth:`LayerSource.series` reads a scenario layer's for one level (None without
    the table ``scenario_results``)."""
    if not has_table(con, "scenario_results"):
        return None
    return _by_level(con, "scenario_results", "scenario", "unemployment_rate_shock", levels,
                     scenarios)


def _by_level(con: duckdb.DuckDBPyConnection, table: str, key: str, value: str,
              levels: list[str], names: list[str]) -> dict[str, dict[str, pd.Series]]:
    """Per level and ``key`` value, ``value`` by region_id (``table``, ``key``, ``value``: names
    written here, never a user's)."""
    out: dict[str, dict[str, pd.Series]] = {level: {} for level in levels}
    if not levels or not names:
        return out
    frame = con.execute(
        f"SELECT level, {key}, region_id, {value} FROM {table} "
        f"WHERE list_contains(?, level) AND list_contains(?, {key})",
        [list(levels), list(names)]).df()
    for (level, name), rows in frame.groupby(["level", key], sort=False):
        out[level][name] = rows.set_index("region_id")[value]
    return out


class LayerSource:
    """Values and database labels of the columns a level's layers read.

    ``measures``: the exposure measures of the layers that will be asked for; their values
    are read in one query, on the first exposure layer asked for (one query per measure
    before: 4 measures x 17 periods on China's map). The database's labels are read on the
    first label asked for (a past period's values need none). ``exposure``: the values of
    ``measures`` already read (:func:`exposure_by_level`, one query for a map's periods);
    ``scenarios`` likewise the scenario layers' (:func:`scenarios_by_level`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, level: str, indices: pd.DataFrame,
                 model: RiskModel, decls: Declarations, measures: tuple[str, ...] = (),
                 exposure: dict[str, pd.Series] | None = None,
                 scenarios: dict[str, pd.Series] | None = None) -> None:
        self.con, self.level, self.indices, self.decls = con, level, indices, decls
        self.pillars = {f"pillar_{p.pillar}": p for p in model.pillars}
        self.wanted = tuple(dict.fromkeys(measures))
        self._exposure: dict[str, pd.Series] | None = exposure
        self._scenarios = scenarios
        self._keys: list | None = None
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
                [level]).df().set_index("indicator") if has_table(con, "context_indicators") \
                else pd.DataFrame(columns=["label", "unit"])
            measures = dict(con.execute("SELECT measure, label FROM measures").fetchall()) \
                if has_table(con, "measures") else {}
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

    @property
    def keys(self) -> list:
        """The level's region ids, in the order of ``indices`` (and of :meth:`series`)."""
        if self._keys is None:
            self._keys = self.indices.index.tolist()
        return self._keys

    def column(self, name: str) -> pd.Series | None:
        """A region_indices column (None when absent)."""
        return self.indices.get(name)

    def series(self, decl: LayerDecl) -> pd.Series | None:
        """The layer's value per region_id, or None when the level has no such values."""
        if decl.source == "scenario" and self._scenarios is not None:
            found = self._scenarios.get(decl.scenario)
            if found is None:
                found = pd.Series(dtype=float, name="unemployment_rate_shock")
        elif decl.source == "scenario":
            if not has_table(self.con, "scenario_results"):
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
        if decl.source in ("scenario", "exposure"):  # a column of indices has its index
            found = found.reindex(self.indices.index)
        values = pd.to_numeric(found, errors="coerce")
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
