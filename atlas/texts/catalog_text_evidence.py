"""Comments of the evidence tables: published figures, backtests, the shift since ChatGPT
and the lineage of the headline (``atlas.catalog`` writes them)."""

from __future__ import annotations

BACKTEST_COLUMNS = {
    "geography": "The geography (periods) or level (split sample) tested.",
    "kind": "'periods': a model year of a level with periods against later outcomes; "
            "'split_sample': a pillar rebuilt from data up to the split year only.",
    "model_year": "The year whose model (or data up to which) predicts.",
    "horizon": "Years from the model year to the end of the outcome window (k).",
    "years": "The outcome window: model year-end year.",
    "outcome": "What is predicted: the change of employment or population over the window.",
    "predictor": "collapse_risk, a pillar, or a naive baseline, oriented so that higher = "
                 "riskier (atlas/spec/evidence.toml).",
    "role": "model, baseline, or in-sample (built with data after the split: not a test).",
    "regions": "Regions with every predictor and the outcome (growth ratios beyond the "
               "declared break ratio dropped).",
    "spearman": "Spearman correlation of the predictor with the decline (minus the growth): "
                "positive = higher risk came before lower growth.",
    "spearman_p05": "Bootstrap 5th percentile of spearman (regions resampled, fixed seed).",
    "spearman_p95": "Bootstrap 95th percentile of spearman.",
    "hit_rate": "Of the top decile by the predictor, the share that ended in the bottom "
                "growth quartile.",
    "hit_rate_p05": "Bootstrap 5th percentile of hit_rate.",
    "hit_rate_p95": "Bootstrap 95th percentile of hit_rate.",
    "chance": "The hit rate of a random pick (the bottom quantile's share).",
}

EVIDENCE_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "validation": (
        "Every published figure the atlas reproduces from its inputs, with its reference, "
        "tolerance and the atlas's value (declared in atlas/spec/evidence.toml; `atlas validate` "
        "prints it and fails if a gating check does not hold). Rows without a reference are "
        "findings (the shift since ChatGPT).", {
            "check": "Id of the check (atlas/spec/evidence.toml).",
            "reference": "The published value (NULL for a finding).",
            "tolerance": "Largest |value - reference| that holds.",
            "value": "The atlas's value, computed from the inputs in this build.",
            "holds": "Within tolerance (a finding: the value is negative, i.e. substitutable "
                     "jobs fell behind).",
            "gates": "False: a known gap or a finding, printed but not failing `atlas "
                     "validate`.",
            "unit": "share (0..1), jobs, pp (percentage points).",
            "source": "Where the reference is published.",
            "detail": "How the atlas computed its value.",
            "note": "Caveat.",
        }),
    "backtest": (
        "Backtests: the model and naive baselines at a period against the change that "
        "followed, with bootstrap 90% intervals (atlas/engine/backtest.py and "
        "backtest_split.py).",
        BACKTEST_COLUMNS),
    "occupation_shift": (
        "National jobs by detailed occupation, OEWS May 2022 and May 2025, as sums over the "
        "20 sectors; the trend is measured on the sectors published in both panels (each "
        "panel pools three survey years).", {
            "occupation": "SOC 2018 detailed code.",
            "jobs_before": "May 2022 jobs, sum over sectors (suppressed cells left out).",
            "jobs_after": "May 2025 jobs, sum over sectors (suppressed cells left out).",
            "matched_before": "May 2022 jobs in the sectors published in both panels.",
            "matched_after": "May 2025 jobs in the sectors published in both panels.",
            "growth": "matched_after / matched_before.",
            "coverage": "matched_after / jobs_after.",
            "major_group": "SOC major group (XX-0000).",
            "substitutable": "Share of the occupation's jobs generative AI could substitute "
                             "under `measure` (0 for sheltered categories).",
            "measure": "The exposure measure behind `substitutable` (the default measure).",
        }),
    "shift_by_group": (
        "Per SOC major group: substitutable and other jobs, May 2022 and May 2025 (the "
        "sectors published in both), and the gap between their growths.", {
            "major_group": "SOC major group (XX-0000).",
            "substitutable_before": "Substitutable jobs, May 2022.",
            "substitutable_after": "Substitutable jobs, May 2025.",
            "other_before": "Other jobs, May 2022.",
            "other_after": "Other jobs, May 2025.",
            "substitutable_growth_pct": "Growth of substitutable jobs, percent.",
            "other_growth_pct": "Growth of other jobs, percent.",
            "gap_pp": "substitutable_growth_pct - other_growth_pct (negative: substitutable "
                      "jobs fell behind).",
        }),
    "shift_projection": (
        "Per region: its substitutable jobs if every occupation kept its national trend "
        "since May 2022 for three more years, applied to the region's May 2025 mix. It "
        "applies national trends to local mixes and is no forecast.", {
            "jobs_2025": "The region's jobs, May 2025.",
            "substitutable_jobs_2025": "Its substitutable jobs, May 2025.",
            "substitutable_jobs_trend": "Its substitutable jobs with every occupation's "
                                        "national trend continued.",
            "substitutable_change_pct": "100 * (trend / 2025 - 1).",
            "jobs_change_pct": "The same for all its jobs.",
            "trend_coverage": "Share of its jobs in occupations with a national trend "
                              "(the others are held constant).",
            "measure": "The exposure measure behind the substitutable shares.",
        }),
    "lineage": (
        "Where every headline column comes from: for collapse risk, each pillar and each "
        "component of every level, the formula, weights, inputs (files, vintages, sha256 of "
        "this build). `atlas validate --explain REGION` prints one region's chain.", {
            "column": "The region_indices column (risk_p_<component> for a component).",
            "kind": "collapse_risk, pillar or component.",
            "pillar": "The pillar a component belongs to.",
            "component": "The component's name in the model.",
            "label": "Its label.",
            "indicator": "The indicator a component ranks.",
            "weight": "Its weight in its pillar (a pillar: in collapse risk).",
            "formula": "How it is computed.",
            "source": "The indicator's source (context_indicators).",
            "indicator_vintage": "The indicator's years.",
            "inputs": "Manifest keys of the inputs behind it.",
            "files": "Their files in the data directory.",
            "vintages": "Their vintages (atlas/spec/manifest.toml).",
            "sha256": "The first 12 characters of their sha256 in this build (provenance).",
        }),
}
