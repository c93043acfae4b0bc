"""The rank uncertainty in words, from ``[uncertainty]`` and its structural choices
(``[uncertainty.choices]``): the generated paragraph of docs/method.md."""

from __future__ import annotations

from dataclasses import fields

from atlas.spec.config_types import AtlasConfig


def uncertainty_text(config: AtlasConfig) -> str:
    """The uncertainty analysis in words, from ``[uncertainty]`` and its ``choices``."""
    settings, choices = config.uncertainty, config.uncertainty.choices
    varied = {f.name: getattr(choices, f.name) for f in fields(choices)
              if f.name != "weight_draws" and len(getattr(choices, f.name)) > 1}
    words = {"exposure_rule": "the exposure rule ({})", "shelter_public_share":
             "publicly funded jobs sheltered ({})", "count_uncounted_jobs":
             "uncounted workers in the denominators ({})", "absorption_gate":
             "the absorption pillar's growth gate ({})", "absorption_mean":
             "the absorption pillar's mean of its parts ({})", "substitution_threshold":
             "the substitution threshold ({})"}
    listed = [words[key].format(" / ".join(str(v).lower() for v in values))
              for key, values in varied.items()]
    omission = " x leave-one-component-out" if settings.leave_one_out else ""
    text = (f"Specifications: the grid of every unit-scale measure with the model's "
            f"indicators x aggregation ({' / '.join(settings.aggregations)}){omission} "
            f"with the configured weights, plus {settings.draws:,} joint random draws of "
            f"these choices with Dirichlet weights (concentration "
            f"{settings.concentration:g}) centred on the configured ones, a region's "
            "missing component scores drawn from the level's distribution.")
    if listed:
        text += (" Then a full factorial block: every measure x aggregation x "
                 + " x ".join(listed) + f" x {choices.weight_draws} weight vectors (the "
                 "configured ones, then Dirichlet draws; the same vectors in every cell). "
                 "The continuous rule counts every job with its exposed share of task time "
                 "instead of the substitutable rule's thresholds; the indicators of every "
                 "variant come from one pass over the composition "
                 "(`atlas/engine/uncertainty_sums.py`); the "
                 "absolute-shock floor stays the measure's. Per level, the first-order index "
                 "of each choice over the factorial block, `S = sum_r Var(E[T_r | choice]) / "
                 "sum_r Var(T_r)` with `T_r` = 1 where region r is in the top decile, is the "
                 "share of the top-decile membership variance the choice alone explains "
                 "(`rank_sensitivity`; choices with many values, such as the weight "
                 "vectors, read a little high).")
    if "substitution_threshold" in varied:
        text += " " + threshold_text(config)
    return text + (f" Per region: median rank, 90% interval (5th-95th percentile), "
                   f"`p_top_decile`, `p_trap`; `flag_robust_trap` = a trap in at least "
                   f"{settings.robust_share:.0%} of all specifications and not of low "
                   "confidence (a place with missing components or thin data is never a "
                   "robust trap).")


def threshold_text(config: AtlasConfig) -> str:
    """The substitution-threshold choice in words (``[uncertainty.choices]
    substitution_threshold`` and ``[exposure]``)."""
    exposure = config.exposure
    values = " / ".join(f"{float(t):g}" for t in
                        config.uncertainty.choices.substitution_threshold)
    return (f"The substitution threshold t ({values}) replaces the exposure threshold of the "
            f"substitutable rule (today's {float(exposure.substitutable_exposure):g}): an "
            f"occupation's jobs count when its exposure score is at least t and its "
            f"automation score at least {float(exposure.substitutable_automation):g}; the "
            "sources step derives every category's share at each t along the crosswalks "
            "like today's (`category_substitutable_variants`), and the share and the "
            "excess of each variant follow. The continuous rule has no threshold: its cells "
            "are the same at every t, which keeps the design balanced.")
