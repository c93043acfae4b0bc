"""The registry: runs the declared readers and carries every measure to every level.

1. Level readers (``levels.toml``) return each level's generic frames, once per period.
2. Measure readers (``measures.toml``) return scores in their native taxonomies.
3. The scores travel the taxonomy graph (``[[crosswalk]]`` edges) in topological order: at
   each taxonomy the native scores and the ones carried in are completed by the taxonomy's
   ``on_arrival`` hook, then carried along every outgoing edge with the one weighted-mean
   rule ``score(to) = sum w score(from) / sum w`` (``atlas.sources.scores.derive``).
4. The scores of the taxonomies the levels use (and those their readers list categories
   for) become ``exposure_scores``; the declarations become ``measures`` and ``levels``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from atlas.errors import ConfigError
from atlas.sources.inputs import Inputs
from atlas.sources.levelset import LevelSet
from atlas.sources.reader_cache import reader_config
from atlas.sources.scores import SCORE_COLUMNS, derive, substitutable_variants
from atlas.spec import declarations
from atlas.spec.config_types import AtlasConfig
from atlas.spec.declarations import LevelDecl, MeasureDecl, resolve

SCORE_FRAME = ["measure", "code", *SCORE_COLUMNS, "rule"]
OCCUPATION_NUMBERS = ("national_employment", "median_wage", "low_wage")


class NoLevelSets(list):
    """The level sets an independent reader sees: none; reaching for them is an error, in the
    build's process as in its second one."""

    def __init__(self, reader: str) -> None:
        super().__init__()
        self.reader = reader

    def __iter__(self):
        raise ConfigError(f"levels.toml: the levels of reader {self.reader} are declared "
                          "independent, but it uses the level sets read before it (the US "
                          "occupations, say): remove 'independent = true' from them")


class Arrivals(list):
    """The level sets while the scores are carried before the readers started elsewhere
    (``arriving``) are collected: those read here, in declaration order. The scores' readers,
    builders and hooks reach them only through :attr:`ReadContext.occupations`, which
    :func:`read_all` checks again once every level set has arrived (and carries the scores
    again if they changed it); reaching for them otherwise is an error."""

    def __init__(self, sets: list[LevelSet], readers: list[str]) -> None:
        super().__init__(sets)
        self.readers = readers

    def __iter__(self):
        raise ConfigError("a measure reader, crosswalk builder or arrival hook uses the level "
                          f"sets while those of {', '.join(self.readers)} are still being read: "
                          "use context.occupations")

    def so_far(self) -> list[LevelSet]:
        """The level sets read so far."""
        return list(list.__iter__(self))


@dataclass
class ReadContext:
    """What readers, crosswalk builders and hooks may use: the inputs, the configuration and
    the level sets read so far (the US occupations weight several crosswalks). The reader of
    levels declared ``independent`` gets a context of its own (``alone``: its name), with no
    level sets, and its level set joins the others' when all are read."""

    inputs: Inputs
    config: AtlasConfig
    level_sets: list[LevelSet] = field(default_factory=list)
    alone: str | None = None

    def __post_init__(self) -> None:
        if self.alone:
            self.level_sets = NoLevelSets(self.alone)

    @property
    def occupations(self) -> pd.DataFrame:
        """OEWS detailed occupations: ``category, title, national_employment, median_wage,
        low_wage`` (categories of taxonomy soc2018 with a national employment); the numbers
        as float64 whatever other levels' categories hold (China's wages are empty: objects),
        so that they are the same with or without the level sets still arriving."""
        sets = self.level_sets.so_far() if isinstance(self.level_sets, Arrivals) \
            else self.level_sets
        frames = [s.categories for s in sets if "taxonomy" in s.categories]
        categories = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if categories.empty:
            raise ConfigError("no level lists SOC 2018 occupations: the US levels must be "
                              "declared before levels whose crosswalks need them")
        chosen = categories.loc[(categories["taxonomy"] == "soc2018")
                                & categories["national_employment"].notna()]
        chosen = chosen.drop_duplicates("category").reset_index(drop=True)
        return chosen.astype({c: "float64" for c in OCCUPATION_NUMBERS if c in chosen})

    def measures(self, **where: Any) -> list[MeasureDecl]:
        """Declared measures matching ``where`` (e.g. ``scale="unit"``)."""
        return [m for m in declarations.measures()
                if all(getattr(m, key) == value for key, value in where.items())]


def level_rows(decls: tuple[LevelDecl, ...]) -> pd.DataFrame:
    """The ``levels`` table: one row per level and period."""
    rows = []
    for decl in decls:
        for period in decl.instances():
            reference = decl.reference_level
            if reference == decl.id:  # a level that is its own reference: per period too
                reference = decl.level_id(period)
            rows.append({"level": decl.level_id(period), "taxonomy": decl.taxonomy,
                         "reference_level": reference, "description": decl.description,
                         "geography": decl.geography, "period": period,
                         "is_default": period is None or period == decl.default_period,
                         "rank_group": decl.rank_group.column if decl.rank_group else None})
    frame = pd.DataFrame(rows)
    frame["period"] = frame["period"].astype("Int32")
    return frame


Instances = list[tuple[LevelDecl, int | None]]
Arriving = dict[str, Callable[[], LevelSet]]


def reader_groups(independent: bool | None = None) -> dict[str, Instances]:
    """Every level reader with the (level, period) instances it serves, in declaration order;
    ``independent``: only the readers whose levels are (True) or are not (False) declared
    independent."""
    groups: dict[str, Instances] = defaultdict(list)
    for decl in declarations.levels():
        if independent is None or decl.independent == independent:
            groups[decl.reader] += [(decl, period) for period in decl.instances()]
    return dict(groups)


def read_group(data_dir: Path, settings: dict[str, Any], reader: str,
               instances: Instances) -> LevelSet:
    """The level set of one independent reader, read with inputs of its own (the build runs
    this in its second process while it reads the other levels)."""
    return resolve(reader)(ReadContext(Inputs(data_dir), settings, alone=reader), instances)


def prepare(data_dir: Path) -> None:
    """Run every declared ``prepare`` function (levels.toml) once, with inputs of its own:
    what the build's second process computes ahead for the readers (the dissolves); it only
    fills the cache, under keys of everything each result depends on."""
    inputs = Inputs(data_dir)
    for name in dict.fromkeys(d.prepare for d in declarations.levels() if d.prepare):
        resolve(name)(inputs)


def read_levels(context: ReadContext, arriving: Arriving | None = None) -> list[LevelSet]:
    """Run every level reader once with the (level, period) instances it serves, in
    declaration order; a reader in ``arriving`` (started elsewhere: its level set when
    called) is collected after the others have run."""
    read = read_here(context, arriving or {})
    return join_arriving(context, read, arriving or {})


def read_here(context: ReadContext, arriving: Arriving) -> dict[str, LevelSet]:
    """Run the level readers not in ``arriving``, in declaration order (each sees the level
    sets read before it here); their level sets by reader."""
    groups = reader_groups()
    alone = reader_groups(independent=True)
    read = {}
    for reader, instances in groups.items():
        if reader in arriving:
            continue
        # an independent reader sees no other level, wherever it runs
        own = ReadContext(context.inputs, context.config, alone=reader) if reader in alone \
            else context
        read[reader] = resolve(reader)(own, instances)
        context.level_sets.append(read[reader])
    return read


def join_arriving(context: ReadContext, read: dict[str, LevelSet], arriving: Arriving
                  ) -> list[LevelSet]:
    """Collect the readers in ``arriving`` and put every level set, those ``read`` here
    and theirs, in declaration order into the context's level sets."""
    groups = reader_groups()
    for reader in arriving:
        read[reader] = arriving[reader]()
    context.level_sets[:] = [read[reader] for reader in groups]
    return context.level_sets


def native_scores(context: ReadContext) -> dict[str, pd.DataFrame]:
    """Scores of every read measure in its native taxonomy (threshold columns empty)."""
    groups: dict[tuple[str, str], list[MeasureDecl]] = defaultdict(list)
    for decl in declarations.measures():
        if decl.reader:
            groups[(decl.reader, decl.taxonomy)].append(decl)
    out: dict[str, list[pd.DataFrame]] = defaultdict(list)
    for (reader, taxonomy), decls in groups.items():
        frame = resolve(reader)(context, decls, taxonomy)
        unexpected = set(frame["measure"]) - {d.name for d in decls}
        missing = {d.name for d in decls} - set(frame["measure"])
        if unexpected or missing:
            raise ConfigError(f"reader {reader} returned measures {sorted(unexpected)} it is not "
                              f"declared for, or not {sorted(missing)}")
        frame = frame.dropna(subset=["score"]).reindex(columns=SCORE_FRAME)
        out[taxonomy].append(frame.assign(rule=frame["rule"].astype(object).fillna("published")))
    return {taxonomy: pd.concat(frames, ignore_index=True) for taxonomy, frames in out.items()}


def taxonomy_order(native: dict[str, pd.DataFrame]) -> list[str]:
    """Taxonomies in topological order of the crosswalk graph (Kahn's algorithm)."""
    edges = declarations.crosswalks()
    nodes = list(dict.fromkeys([*native, *(e.source for e in edges), *(e.target for e in edges)]))
    incoming = {node: {e.source for e in edges if e.target == node} for node in nodes}
    order: list[str] = []
    ready = [node for node in nodes if not incoming[node]]
    while ready:
        node = ready.pop(0)
        order.append(node)
        for edge in edges:
            if edge.source == node:
                incoming[edge.target].discard(node)
                if not incoming[edge.target] and edge.target not in order + ready:
                    ready.append(edge.target)
    if len(order) < len(nodes):
        raise ConfigError(f"measures.toml: the crosswalks form a cycle among "
                          f"{sorted(set(nodes) - set(order))}")
    return order


def carry_scores(context: ReadContext, native: dict[str, pd.DataFrame]
                 ) -> dict[str, pd.DataFrame]:
    """Scores per taxonomy after carrying every measure along the crosswalk graph."""
    carried = {d.name for d in declarations.measures() if d.carried}
    hooks = declarations.arrival_hooks()
    arriving: dict[str, list[pd.DataFrame]] = defaultdict(list)
    for taxonomy, frame in native.items():
        arriving[taxonomy].append(frame)
    result: dict[str, pd.DataFrame] = {}
    for taxonomy in taxonomy_order(native):
        frames = arriving.get(taxonomy, [])
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=SCORE_FRAME)
        if taxonomy in hooks:
            frame = resolve(hooks[taxonomy])(context, frame, taxonomy)
        result[taxonomy] = frame
        moving = frame.loc[frame["measure"].isin(carried)]
        for edge in (e for e in declarations.crosswalks() if e.source == taxonomy):
            arriving[edge.target] += [derive(group, resolve(edge.builder)(context, codes))
                                      for codes, group in by_code_set(moving)]
    return result


def by_code_set(scores: pd.DataFrame) -> list[tuple[pd.Series, pd.DataFrame]]:
    """The measures grouped by the set of codes they score: a crosswalk map is built for
    the codes a measure has (the SOC hierarchy rule picks among the scored codes)."""
    code_sets = scores.groupby("measure")["code"].agg(lambda c: tuple(sorted(set(c))))
    groups = []
    for codes, measures in code_sets.groupby(code_sets):
        groups.append((pd.Series(codes, dtype=object),
                       scores.loc[scores["measure"].isin(measures.index)]))
    return groups


def measure_rows() -> pd.DataFrame:
    """The ``measures`` table from the declarations (one row per measure name)."""
    rows = [{"measure": m.name, "label": m.label, "scale": m.scale, "role": m.role,
             "description": m.description, "source": m.source, "native_taxonomy": m.taxonomy,
             "map_layer": m.map_layer} for m in declarations.measures()]
    return pd.DataFrame(rows).drop_duplicates("measure").reset_index(drop=True)


def unmatched_codes(categories: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Published categories (with a national employment) that a measure of their taxonomy
    does not score."""
    published = categories.loc[categories["national_employment"].notna(),
                               ["taxonomy", "category", "title", "national_employment"]]
    scored = scores[["taxonomy", "measure", "category"]].drop_duplicates()
    per_taxonomy = scored[["taxonomy", "measure"]].drop_duplicates()
    expected = published.merge(per_taxonomy, on="taxonomy")
    merged = expected.merge(scored.assign(found=True), how="left",
                            on=["taxonomy", "measure", "category"])
    return merged.loc[merged["found"].isna()].drop(columns="found").reset_index(drop=True)


def occupations_or_none(context: ReadContext) -> pd.DataFrame | None:
    """The context's occupations (:attr:`ReadContext.occupations`), None if it has none."""
    try:
        return context.occupations
    except ConfigError:
        return None


def read_and_score(context: ReadContext, arriving: Arriving
                   ) -> tuple[list[LevelSet], dict[str, pd.DataFrame]]:
    """The level sets (:func:`read_levels`) and the scores by taxonomy (:func:`carry_scores`).

    With readers ``arriving`` from elsewhere, the scores are carried before they are
    collected, with the level sets read here (:class:`Arrivals`: the crosswalks use the
    occupations only), while the others are still being read; once they have arrived the
    scores are carried again if they change the occupations (or if carrying them early
    failed), so the result is what carrying them after the collection gives."""
    read = read_here(context, arriving)
    early, used = None, None
    if arriving:
        context.level_sets = Arrivals(list(context.level_sets), list(arriving))
        try:
            used = occupations_or_none(context)
            early = carry_scores(context, native_scores(context))
        except ConfigError:
            early = None
        context.level_sets = context.level_sets.so_far()
    level_sets = join_arriving(context, read, arriving)
    now = occupations_or_none(context)
    same = (used is None and now is None) or (
        used is not None and now is not None and used.equals(now))
    if early is None or not same:
        early = carry_scores(context, native_scores(context))
    return level_sets, early


def read_all(inputs: Inputs, config: AtlasConfig, arriving: Arriving | None = None
             ) -> tuple[list[LevelSet], dict[str, pd.DataFrame]]:
    """Every declared level set and the shared tables (levels, measures, exposure_scores,
    unmatched_codes, category_substitutable_variants: the substitutable share of every
    category at each threshold of ``[uncertainty.choices] substitution_threshold``);
    ``arriving``: see :func:`read_levels`."""
    context = ReadContext(inputs, reader_config(config))
    level_sets, by_taxonomy = read_and_score(context, arriving or {})
    categories = pd.concat([s.categories for s in level_sets], ignore_index=True)
    kept = {d.taxonomy for d in declarations.levels()} | set(categories["taxonomy"])
    scores = pd.concat([frame.assign(taxonomy=taxonomy) for taxonomy, frame in
                        by_taxonomy.items() if taxonomy in kept], ignore_index=True)
    scores = scores.rename(columns={"code": "category"})
    variants = substitutable_variants(scores, ["taxonomy", "category", "measure"])
    scores = scores[["taxonomy", "measure", "category", *SCORE_COLUMNS, "rule"]]
    shared = {"levels": level_rows(declarations.levels()), "measures": measure_rows(),
              "exposure_scores": scores, "unmatched_codes": unmatched_codes(categories, scores),
              "category_substitutable_variants": variants.astype(
                  {"threshold": float, "substitutable": float})}
    return level_sets, shared
