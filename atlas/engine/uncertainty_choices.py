"""The structural choices of the rank uncertainty that change the AI-shock indicators, their
full factorial and its first-order sensitivity indices.

Choices (``[uncertainty.choices]``; the first value of each list that equals today's model
is today's):

- ``exposure_rule``: ``substitutable`` (an occupation's jobs count when its exposure and
  automation scores pass the thresholds) or ``continuous`` (every job counts with its exposed
  share of task time, ``score_i``, in the share and the specialisation);
- ``shelter_public_share``: sheltering on (publicly funded jobs never substitutable: the
  shares from data and the listed ``[exposure.sheltered]`` categories) or off (no job
  sheltered);
- ``count_uncounted_jobs``: uncounted workers in the denominators, or not;
- ``absorption_gate``: the absorption pillar capped at its gate component for places that
  grew faster than their nation, or the plain weighted mean;
- ``absorption_mean``: the absorption pillar as the weighted arithmetic mean of its
  component scores (today's) or their weighted geometric mean (a place must be weak on
  every part of absorption: one strong part lifts it more);
- ``substitution_threshold``: the exposure threshold of the substitutable rule (today's is
  ``[exposure] substitutable_exposure``); the sources step stores every category's share at
  each value (``category_substitutable_variants``). The continuous rule has no threshold: its
  cells read the same indicators at every value (the design stays balanced). A threshold
  variant's rule is named ``substitutable@<t>`` (:func:`rule_name`).

The indicators of every (measure, rule, shelter, uncounted) variant come from one pass over
the composition (``uncertainty_variant_facts.sql`` and ``uncertainty_sums``,
:func:`variant_table`); today's variant keeps the engine's
own columns, so the default specification still reproduces ``risk_rank`` exactly. The
factorial block crosses every measure, aggregation, the four choices and ``weight_draws``
weight vectors (the configured weights, then Dirichlet draws, the same vectors in every
cell), so each choice is a factor of a balanced design. The first-order index of a choice X
over the block, pooled over the level's regions, is

    S_X = sum_r Var_x(E[T_r | X = x]) / sum_r Var(T_r)

with ``T_r`` = 1 where region r is in the top decile (the share of the top-decile
membership variance that X alone explains; 0 = X never moves the top decile).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from atlas.engine.uncertainty_draws import Specifications
from atlas.engine.uncertainty_sums import TABLES, variant_wide
from atlas.spec.config_types import AtlasConfig, UncertaintyConfig
from atlas.spec.risk_model import Component, RiskModel
from atlas.store.cache_steps import cached_step
from atlas.store.database import table_exists

RULES = ("substitutable", "continuous")
VARIANT_INDICATORS = ("substitutable_share", "substitutable_excess")
OPTIONAL_TABLES = {  # read by uncertainty_variant_facts.sql, absent from some atlases
    "category_substitutable_variants": "taxonomy VARCHAR, category VARCHAR, measure VARCHAR, "
                                       "threshold DOUBLE, substitutable DOUBLE",
    "category_public_share": "taxonomy VARCHAR, category VARCHAR, public_share DOUBLE",
    "region_context": "level VARCHAR, region_id VARCHAR, indicator VARCHAR, value DOUBLE"}
FACTORS = ("measure", "aggregation", "exposure_rule", "shelter_public_share",
           "count_uncounted_jobs", "absorption_gate", "weights", "substitution_threshold",
           "absorption_mean")


@dataclass(frozen=True)
class Choices:
    """The values of every structural choice, today's first (see the module docstring)."""

    exposure_rule: tuple[str, ...] = ("substitutable",)
    shelter_public_share: tuple[bool, ...] = (True,)
    count_uncounted_jobs: tuple[bool, ...] = (True,)
    absorption_gate: tuple[bool, ...] = (True,)
    weight_draws: int = 1
    sheltered_keys: tuple[str, ...] = ()  # 'taxonomy|category' of [exposure.sheltered]
    substitution_threshold: tuple[float, ...] = (0.5,)  # today's first
    absorption_mean: tuple[str, ...] = ("arithmetic",)
    absorption_pillar: str = "absorption"  # [risk] absorption_pillar

    @property
    def varied(self) -> bool:
        """True if any choice has more than one value (else no factorial block: the grid of
        the measures, aggregations and omissions alone)."""
        return any(len(v) > 1 for v in (self.exposure_rule, self.shelter_public_share,
                                        self.count_uncounted_jobs, self.absorption_gate,
                                        self.thresholds, self.absorption_mean))

    @property
    def thresholds(self) -> tuple[float, ...]:
        """The substitution thresholds that change something: today's alone if the
        substitutable rule is not among the rules."""
        return self.substitution_threshold if "substitutable" in self.exposure_rule \
            else self.substitution_threshold[:1]

    @property
    def rules(self) -> tuple[str, ...]:
        """Every rule name of the variants: the rules, and ``substitutable@<t>`` for each
        threshold other than today's."""
        return self.exposure_rule + tuple(rule_name(t) for t in self.thresholds[1:])

    def cell_rule(self, rule: str, threshold: float) -> str:
        """The rule name a factorial cell reads: ``rule``, or the threshold variant of the
        substitutable rule at another threshold than today's."""
        return rule_name(threshold) if rule == "substitutable" \
            and threshold != self.substitution_threshold[0] else rule

    @property
    def today(self) -> tuple[str, bool, bool]:
        """Today's (rule, shelter, uncounted): the variant the engine's tables hold."""
        return self.exposure_rule[0], self.shelter_public_share[0], \
            self.count_uncounted_jobs[0]

    @property
    def indicator_variants(self) -> bool:
        """True if some variant needs indicators other than today's."""
        return any(len(v) > 1 for v in (self.exposure_rule, self.shelter_public_share,
                                        self.count_uncounted_jobs, self.thresholds))


def rule_name(threshold: float) -> str:
    """The rule name of the substitutable rule at exposure threshold ``threshold``."""
    return f"substitutable@{float(threshold)!r}"


def _today_first(values: list[Any], today: Any) -> tuple[Any, ...]:
    ordered = [today] if today in values else []
    return tuple(ordered + [v for v in values if v != today])


def choice_settings(config: AtlasConfig) -> Choices:
    """The configured choices (``uncertainty.choices``), today's value of each first (today's
    substitution threshold, ``[exposure] substitutable_exposure``, always among them)."""
    choices, exposure = config.uncertainty.choices, config.exposure
    today = float(exposure.substitutable_exposure)
    return Choices(
        _today_first(list(choices.exposure_rule), "substitutable"),
        _today_first(list(choices.shelter_public_share), exposure.shelter_public_share),
        _today_first(list(choices.count_uncounted_jobs), exposure.count_uncounted_jobs),
        _today_first(list(choices.absorption_gate), True),
        int(choices.weight_draws),
        tuple(f"{taxonomy}|{code}" for taxonomy, codes in exposure.sheltered.items()
              for code in codes),
        tuple(dict.fromkeys([today, *(float(t) for t in choices.substitution_threshold)])),
        _today_first(list(choices.absorption_mean), "arithmetic"),
        config.risk.absorption_pillar)


@cached_step("uncertainty_variants", reads=(
    "category_public_share", "category_substitutable_variants", "employment", "exposure_scores",
    "levels", "region_measure_sums", "categories", "region_context"))
def variant_table(con: duckdb.DuckDBPyConnection, levels: list[str], measures: list[str],
                  choices: Choices) -> pd.DataFrame:
    """``level, region_id, measure, rule, shelter, uncounted, substitutable_share,
    substitutable_excess`` of every variant, all levels in one SQL pass (empty if no choice
    changes the indicators); the rule of a threshold variant is ``substitutable@<t>``. A
    cached step (no weight can change it: :func:`atlas.store.cache_steps.cached_step`)."""
    columns = ["level", "region_id", "measure", "rule", "shelter", "uncounted",
               *VARIANT_INDICATORS]
    if not choices.indicator_variants or not levels or not measures:
        return pd.DataFrame(columns=columns)
    absent = [name for name, columns in OPTIONAL_TABLES.items() if not table_exists(con, name)]
    for name in absent:  # an atlas without public shares or context: none of them
        con.execute(f"CREATE TEMP TABLE {name} ({OPTIONAL_TABLES[name]})")
    try:
        variables = {"variant_levels": levels, "variant_measures": measures,
                     "sheltered_keys": list(choices.sheltered_keys),
                     "today_threshold": choices.thresholds[0],
                     "variant_thresholds": [*choices.thresholds[1:], -1.0]}  # never empty
        wide = variant_wide(con, **variables)
    finally:
        for name in [*absent, *TABLES]:
            con.execute(f"DROP TABLE IF EXISTS {name}")
    today = wide["threshold"] == choices.thresholds[0]
    cases = [(wide.loc[today], rule, x) for rule, x in zip(RULES, ("sub", "score"), strict=True)]
    cases += [(wide.loc[wide["threshold"] == t], rule_name(t), "sub")
              for t in choices.thresholds[1:]]
    frames = [rows[["level", "region_id", "measure"]].assign(
        rule=rule, shelter=shelter, uncounted=uncounted,
        substitutable_share=rows[f"share_{x}_{on}_{den}"],
        substitutable_excess=rows[f"excess_{x}_{on}_{den}"])
        for rows, rule, x in cases
        for shelter, on in ((True, "on"), (False, "off"))
        for uncounted, den in ((True, "u"), (False, "e"))]
    return pd.concat(frames, ignore_index=True)[columns]


def level_variants(table: pd.DataFrame, level: str, ids: np.ndarray, choices: Choices
                   ) -> dict[tuple[str, str, bool, bool], dict[str, np.ndarray]]:
    """The variants of one level other than today's: (measure, rule, shelter, uncounted) ->
    indicator -> values in the order of ``ids``."""
    rows = table.loc[table["level"] == level]
    keys = ["measure", "rule", "shelter", "uncounted"]
    variant = rows.groupby(keys, sort=True).ngroup().to_numpy()
    position = pd.Index(ids).get_indexer(rows["region_id"])
    found = position >= 0
    names = rows[keys].drop_duplicates().sort_values(keys).itertuples(index=False)
    values = {}
    for name in VARIANT_INDICATORS:  # one scatter per indicator: (variants, regions)
        grid = np.full((variant.max(initial=-1) + 1, len(ids)), np.nan)
        grid[variant[found], position[found]] = rows[name].to_numpy(float)[found]
        values[name] = grid
    out = {}
    for index, (measure, rule, shelter, uncounted) in enumerate(names):
        key = (measure, rule, bool(shelter), bool(uncounted))
        if key[1:] == choices.today or rule not in choices.rules \
                or key[2] not in choices.shelter_public_share \
                or key[3] not in choices.count_uncounted_jobs:
            continue
        out[key] = {name: values[name][index] for name in VARIANT_INDICATORS}
    return out


def factorial(model: RiskModel, components: list[Component], measures: list[str | None],
              variants: list[tuple[str, str, bool, bool]], aggregations: list[str],
              choices: Choices, settings: UncertaintyConfig) -> Specifications:
    """The full factorial block: every measure x aggregation x choice x weight vector x
    substitution threshold x absorption mean.

    Spec ``i`` reads the scores at index ``measure[i]`` of the stack ``measures +
    variants`` (today's variant of measure m is m itself). Weight vector 0 is the
    configured one; the others are Dirichlet draws as in the joint random draws; the
    missing component scores are drawn for every spec off weight vector 0."""
    rng = np.random.default_rng(int(settings.seed) + 2)
    base = np.array([c.weight for c in components], dtype=float)
    pillar_base = np.array([p.weight for p in model.pillars], dtype=float)
    draws = max(1, choices.weight_draws)

    def dirichlet(weights: np.ndarray) -> np.ndarray:
        if len(weights) < 2 or draws == 1:
            return np.tile(weights, (draws, 1))
        alpha = np.maximum(settings.concentration * weights / weights.sum(), 1e-3)
        return np.vstack([weights, rng.dirichlet(alpha, draws - 1) * weights.sum()])

    weight_table, pillar_table = dirichlet(base), dirichlet(pillar_base)
    values = [list(range(len(measures))), aggregations, list(choices.exposure_rule),
              list(choices.shelter_public_share), list(choices.count_uncounted_jobs),
              list(choices.absorption_gate), list(range(draws)), list(choices.thresholds),
              list(choices.absorption_mean)]
    codes = np.indices([len(v) for v in values]).reshape(len(values), -1)
    position = {key: len(measures) + i for i, key in enumerate(variants)}
    axes = (0, 2, 3, 4, 7)  # what a cell reads: measure, rule, shelter, uncounted, threshold
    sizes = [len(values[i]) for i in axes]
    table = np.array([  # the scores index of each distinct reading, then of every cell
        m if measures[m] is None or (choices.cell_rule(rule, t), shelter, uncounted)
        == choices.today else position.get(
            (measures[m], choices.cell_rule(rule, t), shelter, uncounted), -1)
        for m, rule, shelter, uncounted, t in (
            [values[i][c] for i, c in zip(axes, cell, strict=True)]
            for cell in np.ndindex(*sizes))], dtype=np.int64)
    index = table[np.ravel_multi_index(codes[list(axes)], sizes)]
    keep = index >= 0  # a measure without the variant's indicators at this level
    codes, index = codes[:, keep], index[keep]
    return Specifications(
        index, np.array(aggregations)[codes[1]] == "geometric", weight_table[codes[6]],
        pillar_table[codes[6]], codes[6] > 0, int(settings.seed) + 3,
        np.array(values[5], dtype=bool)[codes[5]],
        {name: codes[i] for i, name in enumerate(FACTORS)},
        np.array(values[8], dtype=object)[codes[8]] == "geometric", choices.absorption_pillar)


def first_order(in_top: np.ndarray, factors: dict[str, np.ndarray]) -> pd.DataFrame:
    """``choice, n_values, first_order`` over the rows with a factor code (the factorial
    block): ``S_X = sum_r Var_x(E[T_r | X]) / sum_r Var(T_r)``, ``T = in_top`` (specs x
    regions); NaN where top-decile membership never varies."""
    rows = []
    block = next(iter(factors.values()), np.empty(0)) >= 0
    member = in_top[block]
    membership = member.astype(float)
    total = membership.var(axis=0).sum() if block.any() else 0.0
    mean = membership.mean(axis=0) if block.any() else np.empty(0)
    del membership
    for name, codes in factors.items():
        code = codes[block]
        values, at = np.unique(code, return_inverse=True)
        counts = np.bincount(at, minlength=len(values))
        # the mean of 0/1 rows: a whole count over the rows (exact in any order) / rows
        conditional = np.stack([member[at == v].sum(axis=0) / counts[v]
                                for v in range(len(values))])  # (values, regions)
        counts = counts.astype(float)
        between = (counts[:, None] * (conditional - mean[None, :]) ** 2).sum(axis=0) \
            / counts.sum()
        rows.append({"choice": name, "n_values": len(values),
                     "first_order": between.sum() / total if total > 0 else np.nan})
    return pd.DataFrame(rows, columns=["choice", "n_values", "first_order"])


def rank_group_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame | None:
    """``level, region_id, rank_group`` of every region as the engine ranked it
    (``region_indices.rank_group``), read once for all levels; None without the column."""
    has_column = con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = "
                             "'region_indices' AND column_name = 'rank_group'").fetchone()[0]
    if not has_column:
        return None
    return con.execute("SELECT level, region_id, rank_group FROM region_indices").df()


def rank_groups(table: pd.DataFrame | None, level: str, ids: np.ndarray) -> np.ndarray | None:
    """The rank group code of every region of ``level`` (``table``: :func:`rank_group_table`):
    the value of the level's declared ``rank_group`` attribute in ``levels.toml``, with
    ``flags.rank_within_groups``; a region of a grouped level without a value is a group of
    its own kind, code -1. None for a level ranked as a whole."""
    if table is None:
        return None
    values = table.loc[table["level"] == level]
    found = values.set_index("region_id")["rank_group"].reindex(ids)
    if found.notna().sum() == 0:
        return None
    codes = np.unique(found.fillna("").astype(str), return_inverse=True)[1]
    return np.where(found.notna(), codes, -1)
