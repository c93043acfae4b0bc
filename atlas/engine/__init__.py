"""One engine for every level: (composition, scores, context, model) -> indices.

The sums (``core``, ``matrix_engine``, ``matrix_sums``), the researcher's calls
(``indices.composition_indices``, ``risk.collapse_risk``), the risk step (``risk_vector``),
its uncertainty (``uncertainty``; ``uncertainty_choices``: the structural choices'
factorial and sensitivity; ``uncertainty_draws``: its lower pieces), scenarios, trap zones
(``clusters``), diagnostics, the
programme mix, the evidence (``validate_figures``, ``backtest``, ``shift``) and the synthetic
levels of the scale tests (``synth``); the formulas live in ``sql/*.sql``.
"""

__all__ = [
    "backtest",
    "backtest_metrics",
    "backtest_split",
    "clusters",
    "core",
    "diagnostics",
    "indices",
    "local_moran",
    "matrix_engine",
    "matrix_sums",
    "programmes",
    "risk",
    "risk_vector",
    "scenarios",
    "shift",
    "synth",
    "uncertainty",
    "uncertainty_choices",
    "uncertainty_draws",
    "uncertainty_inputs",
    "validate_figures",
    "sql",
]
