"""The method in Chinese for the bilingual map pages, rendered from the configuration in use.

The templates are data (``atlas/spec/method_zh.toml``); this module fills them with the same
numbers :mod:`atlas.texts.method_text` puts in the English texts, and the pillar, component
and scenario names of ``[ui.zh.terms]`` (``atlas/spec/layers.toml``). :func:`joined` puts a
text's languages side by side in the order a map declares them.
"""

from __future__ import annotations

import tomllib
from dataclasses import fields
from functools import cache
from pathlib import Path
from typing import Any

from atlas.spec.config_types import AtlasConfig, Scenario
from atlas.spec.declarations import level_decl
from atlas.spec.risk_model import RiskModel, active_model

SPEC = Path(__file__).resolve().parents[1] / "spec"


@cache
def templates() -> dict[str, Any]:
    """``atlas/spec/method_zh.toml``."""
    return tomllib.loads((SPEC / "method_zh.toml").read_text(encoding="utf-8"))


@cache
def terms() -> dict[str, str]:
    """The Chinese names of pillars, components and scenarios (``[ui.zh.terms]``)."""
    layers = tomllib.loads((SPEC / "layers.toml").read_text(encoding="utf-8"))
    return dict(layers.get("ui", {}).get("zh", {}).get("terms", {}))


def _t(key: str, **values: Any) -> str:
    return templates()["text"][key].format(**values)


def _share(weight: float, total: float) -> str:
    return f"{weight / total:.2f}".rstrip("0").rstrip(".") if total else "0"


def _name(key: str, label: str) -> str:
    return terms().get(key, label)


def _parts(model: RiskModel, pillar: str, level: str | None) -> tuple[str, str]:
    """A pillar's components with their shares, and its gate, in Chinese."""
    members = [c for c in model.components if c.pillar == pillar
               and (level is None or c.applies_to(level)) and c.weight > 0]
    total = sum(c.weight for c in members)
    parts = "，".join(_t("part", label=_name(c.component, c.label), direction=_t(c.direction),
                         weight=_share(c.weight, total)) for c in members)
    spec = next(p for p in model.pillars if p.pillar == pillar)
    gate = next((c for c in members if c.component == spec.gate), None)
    gate_text = (_t("gate", indicator=gate.indicator, label=_name(gate.component, gate.label))
                 if gate else "")
    return parts, gate_text


def pillar_lines(model: RiskModel, level: str | None) -> list[str]:
    """One line per pillar, as :func:`atlas.texts.method_text.component_summary` for a level."""
    total = sum(p.weight for p in model.pillars)
    lines = []
    for pillar in model.pillars:
        parts, gate = _parts(model, pillar.pillar, level)
        lines.append(_t("pillar", pillar=_name(pillar.pillar, pillar.label),
                        weight=_share(pillar.weight, total), parts=parts, gate=gate))
    return lines


def risk_formula(model: RiskModel) -> str:
    """:func:`atlas.texts.method_text.risk_formula` in Chinese."""
    total = sum(p.weight for p in model.pillars)
    if len(model.pillars) == 1:
        return _t("risk_formula_one", pillar=_name(model.pillars[0].pillar,
                                                   model.pillars[0].label))
    names = [(f"S({_name(p.pillar, p.label)})", _share(p.weight, total)) for p in model.pillars]
    if model.aggregation == "geometric":
        body, how = " × ".join(f"{n}^{w}" for n, w in names), _t("geometric")
    else:
        body, how = " + ".join(f"{w} {n}" for n, w in names), _t("arithmetic")
    scale = _t("scale_percentile" if model.pillar_scale == "percentile" else "scale_mean")
    return _t("risk_formula", body=body, how=how, scale=scale)


def risk_sentence(model: RiskModel) -> str:
    """:func:`atlas.texts.method_text.risk_sentence` (the legend's sentence) in Chinese."""
    total = sum(p.weight for p in model.pillars)
    parts = [_t("risk_part", pillar=_name(p.pillar, p.label), weight=_share(p.weight, total))
             for p in model.pillars]
    if len(parts) == 1:
        return _t("risk_one", pillar=_name(model.pillars[0].pillar, model.pillars[0].label))
    return _t("risk" if model.aggregation == "geometric" else "risk_mean", joined="和".join(parts))


def _for_level(table: str, level: str | None, key: str, flags: dict[str, Any]) -> str:
    """The level's Chinese rust-belt window or lower tier, else its English text."""
    base = level.partition("@")[0] if level else None
    if base in templates().get(table, {}):
        return templates()[table][base].format(**flags)
    decl = level_decl(base) if base else None
    return getattr(decl, key).format(**flags) if decl is not None and getattr(decl, key) else ""


def flag_texts(config: AtlasConfig, level: str | None = None) -> dict[str, str]:
    """:func:`atlas.texts.method_text.flag_texts` in Chinese (same keys, same thresholds)."""
    flags = {f.name: getattr(config.flags, f.name) for f in fields(config.flags)}
    words = templates()["flags"]
    ratio = float(flags["trap_min_shock_ratio"])
    floor = ("" if ratio <= 0 else words["floor_one"] if ratio == 1
             else words["floor_times"].format(ratio=f"{ratio:g}"))
    pillar = f"{flags['trap_min_pillar']:.2f}"
    decl = level_decl(level) if level is not None else None
    group = decl.rank_group if decl is not None else None
    scope = (templates()["rank_scope"].get(group.concept, words["scope_level"]) if group
             else words["scope_level"])
    top = f"{flags['trap_top_share']:.0%}"
    values = {
        "top_decile": {"top": top, "scope": scope, "min_regions": flags["min_regions"]},
        "trap": {"top": top, "pillar": pillar, "floor": floor, "scope": scope,
                 "min_regions": flags["min_regions"],
                 "confident": words["confident"] if flags["trap_confident_only"] else ""},
        "transition_target": {"near": f"{flags['near_trap_top_share']:.0%}", "pillar": pillar,
                              "floor": floor},
        "rust_belt": {"ratio": f"{flags['rust_belt_min_industrial_ratio']:g}",
                      "change": f"{flags['rust_belt_max_employment_change']:g}",
                      "window": _for_level("decline_window", level, "decline_window", flags)},
        "lower_tier": {"lower": _for_level("lower_tier", level, "lower_tier", flags)},
        "global_south": {},
        "low_confidence": {"share": f"{flags['low_confidence_max_imputed_share']:.0%}"},
        "robust_trap": {"share": f"{config.uncertainty.robust_share:.0%}"},
        "zone": {"alpha": f"{config.trap_zones.alpha:g}"},
    }
    return {key: words[key].format(**v) for key, v in values.items()}  # words: method_zh.toml


def substitution_rule(config: AtlasConfig, level: str | None = None) -> str:
    """:func:`atlas.texts.method_text.substitution_rule` in Chinese."""
    from atlas.spec import declarations
    from atlas.texts.method_text import _measure_label

    exposure = config.exposure
    taxonomy = next((d.taxonomy for d in declarations.levels()
                     if level is not None and d.id == level.partition("@")[0]), None)
    names = templates()["taxonomies"]
    sheltered = "；".join(f"{names.get(name, name)} {', '.join(codes)}"
                         for name, codes in exposure.sheltered.items()
                         if level is None or name == taxonomy)
    text = _t("substitution", measure=_measure_label(exposure.default_measure),
              share=f"{exposure.substitutable_exposure:.0%}",
              automation_measure=_measure_label(exposure.automation_measure),
              automation=f"{exposure.substitutable_automation:.2f}")
    text += _t("sheltered", sheltered=sheltered) if sheltered else ""
    text += _t("public_share") if exposure.shelter_public_share else ""
    text += _t("uncounted") if exposure.count_uncounted_jobs else ""
    return text + "。"


def _preset(name: str, preset: Scenario, key: str = "preset") -> str:
    return _t(key, name=_name(name, name), adoption=f"{preset.adoption:g}",
              displacement=f"{preset.displacement:g}", low=f"{preset.reabsorption_min:g}",
              high=f"{preset.reabsorption_max:g}", years=f"{preset.horizon_years:g}")


def scenario_text(config: AtlasConfig) -> str:
    """:func:`atlas.texts.method_text.scenario_text` in Chinese."""
    return _t("scenarios", presets="；".join(_preset(name, s)
                                              for name, s in config.scenarios.items()))


def method_lines(config: AtlasConfig, level: str | None = None) -> dict[str, list[str]]:
    """The Chinese text of each item of :func:`atlas.texts.method_text.method_lines` (a list
    per item: "pillar" has one per pillar); an item without a Chinese text is absent."""
    model = active_model(config)
    out = {"collapse risk": [risk_formula(model)], "pillar": pillar_lines(model, level),
           "component score": [_t("component_score")],
           "substitutable jobs": [substitution_rule(config, level)],
           "scenarios": [scenario_text(config)], "caveat": [_t("caveat")]}
    if model.name in templates()["models"]:
        out["model"] = [templates()["models"][model.name]]
    out.update({f"flag_{key}": [text] for key, text in flag_texts(config, level).items()})
    return out


def named_text(config: AtlasConfig, name: str, level: str | None = None) -> str:
    """:func:`atlas.texts.method_text.named_text` in Chinese ("" for a name it lacks)."""
    model = active_model(config)
    kind, _, arg = name.partition(":")
    if kind == "pillar":
        if arg not in [p.pillar for p in model.pillars]:
            return ""
        parts, gate = _parts(model, arg, level)
        label = next(p.label for p in model.pillars if p.pillar == arg)
        return _t("pillar_note", pillar=_name(arg, label), parts=parts, gate=gate)
    if kind == "flag":
        return flag_texts(config, level).get(arg, "")
    if kind == "scenario":
        preset = config.scenarios.get(arg)
        return _preset(arg, preset, "scenario") if preset else ""
    texts = {"risk": lambda: risk_sentence(model), "risk_formula": lambda: risk_formula(model),
             "substitution": lambda: substitution_rule(config, level),
             "scenarios": lambda: scenario_text(config)}
    return texts[name]() if name in texts else ""


def joined(languages: tuple[str, ...] | list[str], texts: dict[str, str]) -> str:
    """A text's languages side by side, in the map's order; a language without the text is
    left out (English always has it)."""
    return " ".join(texts[lang] for lang in languages if texts.get(lang)) or texts.get("en", "")


def named_in(languages: tuple[str, ...] | list[str], config: AtlasConfig, name: str,
             level: str | None, english: str) -> str:
    """The method text ``name`` in the map's languages (``english`` is its English text)."""
    texts = {"en": english}
    if "zh" in languages and english:
        texts["zh"] = named_text(config, name, level)
    return joined(languages, texts)


def flags_in(languages: tuple[str, ...] | list[str], config: AtlasConfig,
             level: str | None, english: dict[str, str]) -> dict[str, str]:
    """The flag texts (``english``: :func:`atlas.texts.method_text.flag_texts`) in the map's
    languages."""
    zh = flag_texts(config, level) if "zh" in languages else {}
    return {key: joined(languages, {"en": text, "zh": zh.get(key, "")})
            for key, text in english.items()}


def method_in(languages: tuple[str, ...] | list[str], config: AtlasConfig,
              level: str | None, english: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The method rows (``english``: :func:`atlas.texts.method_text.method_lines`) in the
    map's languages; rows of one item (the pillars) are matched in order."""
    zh = method_lines(config, level) if "zh" in languages else {}
    seen: dict[str, int] = {}
    out = []
    for item, text in english:
        i = seen[item] = seen.get(item, -1) + 1
        other = zh.get(item, [])
        out.append((item, joined(languages, {"en": text,
                                             "zh": other[i] if i < len(other) else ""})))
    return out


def terms_words(languages: tuple[str, ...] | list[str]) -> dict[str, str]:
    """What an input's terms (a manifest's ``terms``) are called in the map's other language
    (empty for a map in English only)."""
    return dict(templates()["sources"]["terms"]) if "zh" in languages else {}


def sources_in(languages: tuple[str, ...] | list[str], block: dict[str, Any],
               rows: list[dict[str, Any]],
               withheld: tuple[list[str], list[str]] | None,
               restricted: list[str]) -> dict[str, Any]:
    """A sources block (:func:`atlas.texts.attribution.sources_block`) in the map's
    languages: the title, each input's terms (``rows``: its ``input_terms``), the internal
    edition's mark (``restricted``: the inputs it names) and the shareable edition's note
    (``withheld``: the inputs and the values left out); the attributions themselves are
    citations and stay as they are."""
    words = templates()["sources"]
    english_terms = {"unknown": "terms unknown"}
    lines = []
    for row in rows:
        terms_en = english_terms.get(row["terms"], row["terms"])
        both = joined(languages, {"en": terms_en, "zh": words["terms"].get(row["terms"], "")})
        lines.append(f"{row['attribution']} ({both})")
    mark, note, short = block.get("mark"), block.get("note"), block.get("mark_short")
    if mark:
        mark = joined(languages, {"en": mark, "zh": words["internal"].format(
            names="；".join(restricted))})
    if short:
        short = joined(languages, {"en": short, "zh": words["internal_short"]})
    if withheld is not None and note:
        names, figures = withheld
        note = joined(languages, {"en": note, "zh": words["withheld"].format(
            names="；".join(names), figures="，".join(figures))})
    return {**block, "title": joined(languages, {"en": block["title"], "zh": words["title"]}),
            "lines": list(dict.fromkeys(lines)), "mark": mark, "mark_short": short,
            "note": note}
