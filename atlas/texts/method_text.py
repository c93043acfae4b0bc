"""The method in words, rendered from the configuration in use: one place for every text that
states a weight, a threshold or a rule (maps, the index page, exports, ``COMMENT ON``)."""

from __future__ import annotations

from dataclasses import asdict

from atlas.spec.config_types import AtlasConfig, FlagsConfig
from atlas.spec.declarations import families, level_decl
from atlas.spec.risk_model import Component, RiskModel, active_model


def _share(weight: float, total: float) -> str:
    return f"{weight / total:.2f}".rstrip("0").rstrip(".") if total else "0"


def _where(component: Component) -> str:
    if component.levels:
        return f"; {', '.join(component.levels)} only"
    if component.except_levels:
        return f"; not {', '.join(component.except_levels)}"
    return ""


def component_summary(model: RiskModel, level: str | None = None) -> list[str]:
    """One line per pillar: its weight and its components with their weights. For one level
    the weights are its shares within the pillar; for all levels (``level=None``) they are the
    configured weights with the levels a component is limited to, since each level
    renormalises over the components it uses."""
    lines = []
    pillar_total = sum(p.weight for p in model.pillars)
    for pillar in model.pillars:
        members = [c for c in model.components if c.pillar == pillar.pillar
                   and (level is None or c.applies_to(level))]
        total = sum(c.weight for c in members)
        direction = {"higher": "higher = riskier", "lower": "lower = riskier"}
        if level is None:
            parts = ", ".join(f"{c.label} ({direction[c.direction]}, weight {c.weight:g}"
                              f"{_where(c)})" for c in members if c.weight > 0)
            parts += " (weights renormalised over the components a level uses)"
        else:
            parts = ", ".join(f"{c.label} ({direction[c.direction]}, "
                              f"{_share(c.weight, total)})" for c in members if c.weight > 0)
        lines.append(f"{pillar.label} (weight {_share(pillar.weight, pillar_total)}): {parts}"
                     + gate_text(model, pillar.pillar, level))
    return lines


def gate_text(model: RiskModel, pillar: str, level: str | None = None) -> str:
    """The pillar's gate in words (empty without one, or where its component does not
    apply)."""
    spec = next(p for p in model.pillars if p.pillar == pillar)
    gate = next((c for c in model.components if c.component == spec.gate
                 and (level is None or c.applies_to(level))), None)
    if gate is None:
        return ""
    return (f"; where {gate.indicator} beat the change of the reference level's summed jobs "
            f"(a place that grew faster than its nation), the pillar score is capped at the "
            f"'{gate.label}' score, so the other components alone cannot make it weak "
            "(percent changes only)")


def shock_floor_text(config: AtlasConfig) -> str:
    """The trap's absolute-shock floor in words (empty when it is 0)."""
    ratio = float(config.flags.trap_min_shock_ratio)
    if ratio <= 0:
        return ""
    times = "" if ratio == 1 else f"{ratio:g} times "
    return (f", and an absolute shock: a substitutable share of at least {times}the national "
            "(reference level's) share")


def risk_formula(model: RiskModel) -> str:
    """The aggregation in one sentence, with the pillar weights."""
    total = sum(p.weight for p in model.pillars)
    if len(model.pillars) == 1:
        pillar = model.pillars[0]
        return (f"collapse risk = the weighted mean of the component percentiles of "
                f"'{pillar.label}' (0 = lowest risk in the level, 1 = highest)")
    names = [f"S({p.label})" for p in model.pillars]
    weights = [_share(p.weight, total) for p in model.pillars]
    if model.aggregation == "geometric":
        body = " x ".join(f"{n}^{w}" for n, w in zip(names, weights, strict=True))
        how = ("a weighted geometric mean, so a region must score high on every pillar: "
               "neither an exposed but resilient place nor a fragile place with little "
               "exposure ranks high")
    else:
        body = " + ".join(f"{w} {n}" for n, w in zip(names, weights, strict=True))
        how = "a weighted arithmetic mean"
    scale = ("the within-level percentile of the weighted mean of its component percentiles"
             if model.pillar_scale == "percentile" else
             "the weighted mean of its component percentiles")
    return f"collapse risk = {body} ({how}); S(pillar) = {scale}"


def _for_level(level: str | None, key: str, flags: FlagsConfig,
               separator: str = "; ") -> str:
    """The part of a rule that applies at ``level`` (its ``key`` in atlas/spec/levels.toml,
    formatted with the flags' thresholds), or every family's part where the level has none
    (``level=None``: all levels)."""
    decl = level_decl(level) if level is not None else None
    thresholds = asdict(flags)
    if decl is not None and getattr(decl, key):
        return getattr(decl, key).format(**thresholds)
    parts = [getattr(first, key) for first in families().values() if getattr(first, key)]
    return separator.join(part.format(**thresholds) for part in parts)


def rank_scope(level: str | None) -> str:
    """Where a region's rank and top-decile rule are taken: "its income group" at a level
    that declares a ``rank_group`` (atlas/spec/levels.toml), "the level" otherwise, both
    without a level when some level declares one."""
    decl = level_decl(level) if level is not None else None
    if decl is not None:
        return f"its {decl.rank_group.concept}" if decl.rank_group else "the level"
    grouped = [d for d in families().values() if d.rank_group]
    return "the level" + "".join(f" ({d.name.lower()}: of its {d.rank_group.concept})"
                                 for d in grouped)


def ranking_text(config: AtlasConfig, level: str | None = None) -> str | None:
    """Which ranking is shown and drives the flags and the allocation at a level with a
    ``rank_group`` (None elsewhere), from its declaration and the thresholds in use."""
    decl = level_decl(level) if level is not None else None
    if decl is None or decl.rank_group is None:
        return None
    group = decl.rank_group
    return (f"{decl.name} are ranked within their {group.concept} ({group.column}): the rank "
            f"shown, the top {config.flags.trap_top_share:.0%} rule and the trap and "
            f"transition flags compare each with the others of its {group.concept}, and a "
            "selection by flag (and the allocation among it) takes the flags so made. The "
            f"collapse risk itself (every component and pillar percentile, the pillar minimum "
            f"and the shock floor of the trap) is scored over the {group.whole}, so the "
            "allocation's need x collapse risk and the 90% rank intervals behind the risk "
            f"tiers are {group.whole}-wide; the {group.whole} rank is shown beside the rank "
            f"within the {group.concept} as context.")


def flag_texts(config: AtlasConfig, level: str | None = None) -> dict[str, str]:
    """What every flag means, with the thresholds in use; for one level (a map, an export)
    only the rule that applies there."""
    flags = config.flags
    top = f"{flags.trap_top_share:.0%}"
    near = f"{flags.near_trap_top_share:.0%}"
    pillar = f"{flags.trap_min_pillar:.2f}"
    window = _for_level(level, "decline_window", flags, " or ")
    lower = _for_level(level, "lower_tier", flags)
    scope = rank_scope(level)
    return {
        "top_decile": f"Top decile: collapse risk in the top {top} of {scope} (groups of "
                      f"{flags.min_regions} or more ranked regions).",
        "trap": (f"Trap: collapse risk in the top {top} of {scope} and every pillar at least "
                 f"{pillar}{shock_floor_text(config)} (groups of {flags.min_regions} or "
                 "more ranked regions)"
                 + ("; never a place of low confidence." if flags.trap_confident_only
                    else ".")),
        "transition_target": (f"Transition target: a trap, or in the top {near} of collapse "
                              f"risk of {scope} with every pillar at least {pillar}"
                              f"{shock_floor_text(config)} and a rust-belt or lower-tier "
                              "place."),
        "rust_belt": (f"Rust belt: industrial jobs at least "
                      f"{flags.rust_belt_min_industrial_ratio:g} x the national share and "
                      f"employment change at most {flags.rust_belt_max_employment_change:g}%"
                      f" over {window}."),
        "lower_tier": f"Lower tier: {lower}.",
        "global_south": "Global South: World Bank low or lower-middle income (FY2025).",
        "low_confidence": (f"Low confidence: more than "
                           f"{flags.low_confidence_max_imputed_share:.0%} of the jobs are "
                           "imputed (suppressed cells), a component is missing, or the "
                           "composition is modelled."),
        "robust_trap": (f"Robust trap: a trap in at least "
                        f"{config.uncertainty.robust_share:.0%} of the model variants "
                        "(measures x aggregations x omitted components x weights x the "
                        "structural choices of the indicators)."),
        "zone": "Trap zone: a contiguous cluster of high collapse risk (Local Moran's I, "
                f"High-High at p < {config.trap_zones.alpha:g}).",
    }


# how the taxonomies' categories are named in sentences
TAXONOMY_WORDS = {"gbt4754_section": "China's GB/T 4754 sections", "soc2018": "SOC occupations",
                  "isco08_major": "ISCO-08 major groups"}


def _measure_label(name: str) -> str:
    """A measure's label from ``measures.toml`` (its name if it has none)."""
    from atlas.spec import declarations

    return next((m.label for m in declarations.measures() if m.name == name), name)


def substitution_rule(config: AtlasConfig, level: str | None = None) -> str:
    """The substitutable-job rule in words, with the measures' labels; the sheltered
    categories of ``level``'s taxonomy (all of them without a level)."""
    from atlas.spec import declarations

    exposure = config.exposure
    taxonomy = next((d.taxonomy for d in declarations.levels()
                     if level is not None and d.id == level.partition("@")[0]), None)
    sheltered = "; ".join(f"{TAXONOMY_WORDS.get(name, name)} {', '.join(codes)}"
                          for name, codes in exposure.sheltered.items()
                          if level is None or name == taxonomy)
    threshold = f"{exposure.substitutable_exposure:.0%}"
    text = (f"Substitutable jobs: occupations with at least {threshold}"
            f" of their tasks exposed under {_measure_label(exposure.default_measure)} and "
            f"an automation score of at least {exposure.substitutable_automation:.2f} under "
            f"{_measure_label(exposure.automation_measure)} (the model would do the task, "
            "not assist)")
    text += (f"; state-funded categories are never substitutable ({sheltered})"
             if sheltered else "")
    if exposure.shelter_public_share:
        text += ("; the publicly funded share of every other category with data is never "
                 "substitutable either (US occupations: their government share of national "
                 "jobs in the OEWS staffing matrix)")
    if exposure.count_uncounted_jobs:
        text += ("; the workers a composition leaves out count in the denominator as not "
                 "substitutable (US: uniformed and other workers OEWS does not count, "
                 "estimated from LAUS and the Census; China: urban private and individual "
                 "workers)")
    return text + "."


def scenario_text(config: AtlasConfig) -> str:
    """The scenario rule with every preset's numbers."""
    presets = "; ".join(
        f"{name}: adoption {s.adoption:g}, displacement {s.displacement:g}, "
        f"reabsorption {s.reabsorption_min:g}-{s.reabsorption_max:g}"
        for name, s in config.scenarios.items())
    return ("displaced = adoption x displacement x exposed jobs tilted to automation; "
            "reabsorption falls from its maximum (strongest absorption) to its minimum "
            "(weakest absorption pillar); net loss = displaced x (1 - reabsorption); "
            f"unemployment shock = 100 x net loss / labour force. Presets: {presets}.")


def method_lines(config: AtlasConfig, level: str | None = None) -> list[tuple[str, str]]:
    """The method as ``(item, text)`` rows, for the export's method sheet and the maps."""
    model = active_model(config)
    rows = [("model", model.label), ("collapse risk", risk_formula(model))]
    rows += [("pillar", line) for line in component_summary(model, level)]
    rows += [("component score", "within-level mid-rank percentile of the indicator, "
                                 "oriented so that higher = riskier: (regions below + half "
                                 "the ties) / regions")]
    rows += [("substitutable jobs", substitution_rule(config, level))]
    ranking = ranking_text(config, level)
    rows += [("ranking", ranking)] if ranking else []
    rows += [(f"flag_{key}", text) for key, text in flag_texts(config, level).items()]
    rows += [("scenarios", scenario_text(config)),
             ("caveat", "Exposure is not displacement: the scores say which tasks generative "
                        "AI could do or speed up, not which jobs will be lost; collapse risk "
                        "ranks vulnerability, it is not a forecast.")]
    return rows


def column_texts(config: AtlasConfig) -> dict[str, str]:
    """Data-dictionary texts of the columns whose meaning depends on the configuration."""
    model = active_model(config)
    flags = flag_texts(config)
    texts = {"collapse_risk": f"Collapse risk on (0, 1], model '{model.name}': "
                              f"{risk_formula(model)}. "
                              + ". ".join(component_summary(model)) + ".",
             "min_pillar": "The lowest pillar score of the region (the trap flag needs every "
                           f"pillar >= {config.flags.trap_min_pillar:g}).",
             "risk_model": "Name of the collapse-risk model in use (config risk.model)."}
    for pillar in model.pillars:
        texts[f"pillar_{pillar.pillar}"] = (f"Pillar score '{pillar.label}' on (0, 1): the "
                                            "within-level percentile of the weighted mean of "
                                            "its component percentiles.")
    variants: dict[str, list] = {}
    for component in model.components:  # one name may have a variant per group of levels
        variants.setdefault(component.component, []).append(component)
    for name, parts in variants.items():
        described = [f"'{c.label}' ({c.indicator}, {c.direction} = riskier"
                     + (f"; {', '.join(c.levels)}" if len(parts) > 1 and c.levels else "") + ")"
                     for c in parts]
        texts[f"risk_p_{name}"] = (f"Component score of {' or '.join(described)}: "
                                   "within-level mid-rank percentile, 0..1.")
    texts.update({f"flag_{key}": text for key, text in flags.items()})
    return texts


def _lower_first(label: str) -> str:
    """``Weak absorption`` -> ``weak absorption``; ``AI shock`` stays as it is."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def risk_sentence(model: RiskModel) -> str:
    """Collapse risk in one plain sentence, with the pillar weights (a map's legend)."""
    total = sum(p.weight for p in model.pillars)
    parts = [f"{_lower_first(p.label)} (weight {_share(p.weight, total)})"
             for p in model.pillars]
    if len(parts) == 1:
        return (f"How high the place ranks on {parts[0]}: a weighted mean of its component "
                "percentiles.")
    joined = ", ".join(parts[:-1]) + " and " + parts[-1]
    if model.aggregation == "geometric":
        return (f"How exposed and how fragile the local economy is compared with the other "
                f"places (a ranking, not a probability or a forecast): {joined}, combined so "
                "that only a place high on every pillar ranks high.")
    return (f"How exposed and how fragile the local economy is compared with the other places "
            f"(a ranking, not a probability or a forecast): {joined}, averaged.")


def pillar_text(model: RiskModel, pillar: str, level: str | None = None) -> str:
    """One pillar's score in words: what it averages, with the weights in use."""
    lines = dict(zip([p.pillar for p in model.pillars], component_summary(model, level),
                     strict=True))
    if pillar not in lines:
        return ""
    scale = ("within-level percentile (0 = lowest, 1 = highest) of the weighted mean of"
             if model.pillar_scale == "percentile" else "weighted mean of the percentiles of")
    return f"{lines[pillar].split(':', 1)[0]}: the {scale} {lines[pillar].split(': ', 1)[1]}."


def scenario_preset_text(config: AtlasConfig, name: str) -> str:
    """One adoption scenario's numbers in words."""
    preset = config.scenarios[name]
    return (f"Scenario {name}: adoption {preset.adoption:g} x displacement "
            f"{preset.displacement:g} of the exposed task time (tilted to automation), "
            f"re-employment {preset.reabsorption_min:g}-{preset.reabsorption_max:g} "
            f"(lower where absorption is weak), over {preset.horizon_years:g} years; the "
            "shock is the net job loss over the labour force, in percentage points.")


def named_text(config: AtlasConfig, name: str, level: str | None = None) -> str:
    """A method text by name, for declarations that must not type a weight or threshold
    (``atlas/spec/layers.toml``): ``risk`` (the plain sentence), ``risk_formula``,
    ``pillar:<pillar>``, ``substitution``, ``scenario:<name>``, ``scenarios``,
    ``flag:<key>``.

    Raises
    ------
    KeyError
        for an unknown name (the declaration is wrong).
    """
    model = active_model(config)
    kind, _, arg = name.partition(":")
    if kind == "pillar":
        return pillar_text(model, arg, level)
    if kind == "flag":
        return flag_texts(config, level)[arg]
    if kind == "scenario":
        return scenario_preset_text(config, arg) if arg in config.scenarios else ""
    texts = {"risk": lambda: risk_sentence(model), "risk_formula": lambda: risk_formula(model),
             "substitution": lambda: substitution_rule(config, level),
             "scenarios": lambda: scenario_text(config)}
    return texts[name]()
