"""Database texts of the collapse-risk tables: components, pillars, scores, flags and the
diagnostics (part of ``atlas.texts.catalog_text``'s ``TABLES``)."""

from __future__ import annotations

from atlas.texts.catalog_words import CATEGORY, LEVEL, REGION, TAXONOMY
from atlas.texts.dictionary import REGION_INDEX_COLUMNS

RISK_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "risk_components": ("The collapse-risk components of every computed model, per level "
                        "(from the configuration).", {
        "model": "Model name (config [risk.models]).", "level": LEVEL,
        "component": "Component name.", "label": "Label.",
        "pillar": "Pillar the component belongs to.",
        "indicator": "Indicator it scores (region_base column or region_context indicator).",
        "direction": "higher: a higher value is riskier; lower: a lower value is riskier.",
        "transform": "percentile: mid-rank percentile within the level; percent_rank: "
                     "(rank - 1) / (n - 1).",
        "weight": "Weight within its pillar.",
    }),
    "risk_pillars": ("The pillars of every computed model (from the configuration).", {
        "model": "Model name.", "pillar": "Pillar name.", "label": "Label.",
        "weight": "Weight in the aggregation.",
        "aggregation": "geometric: prod S_p^(w_p/W); arithmetic: sum w_p S_p / W.",
        "pillar_scale": "percentile: S_p = mid-rank percentile of the pillar mean; mean: the "
                        "pillar mean itself.",
    }),
    "region_components": ("Component scores of the model in use: one row per region and "
                          "component the region has.", {
        "level": LEVEL, "region_id": REGION, "component": "Component name.",
        "label": "Label.", "pillar": "Pillar.", "indicator": "Indicator.",
        "weight": "Weight within the pillar.", "value": "The indicator's value.",
        "score": "Within-level percentile of the oriented value (higher = riskier), 0..1.",
    }),
    "region_pillars": ("Pillar scores of the model in use, one row per region and pillar.", {
        "level": LEVEL, "region_id": REGION, "pillar": "Pillar.", "label": "Label.",
        "weight": "Pillar weight.", "aggregation": "How pillars combine.",
        "components": "Components the region has in the pillar.",
        "pillar_mean": "Weighted mean of the component scores (12 decimals).",
        "pillar_score": "Within-level mid-rank percentile of pillar_mean (or the mean).",
    }),
    "region_risk": ("Collapse risk and rank of the model in use.", {
        "level": LEVEL, "region_id": REGION,
        "collapse_risk": REGION_INDEX_COLUMNS["collapse_risk"],
        "min_pillar": "Lowest pillar score of the region.",
        "missing_components": "Components of the level's model the region has no value for.",
        "risk_rank": REGION_INDEX_COLUMNS["risk_rank"],
        "regions_in_level": REGION_INDEX_COLUMNS["regions_in_level"],
        "risk_model": "Model name.",
    }),
    "region_pillar_wide": ("Pillar scores as columns pillar_<pillar>.", {
        "level": LEVEL, "region_id": REGION}),
    "region_component_wide": ("Component scores as columns risk_p_<component>.", {
        "level": LEVEL, "region_id": REGION}),
    "region_flags": ("Flags of every region (see docs/method.md).", {
        "level": LEVEL, "region_id": REGION,
        "in_rust_belt_states": "Principal state in the reference list of rust-belt states "
                               "(atlas/spec/reference/rust_belt_states.csv): context only.",
        "reference_industrial_share": "Industrial share of the level's reference (the "
                                      "national share), the base of flag_rust_belt.",
    }),
    "risk_model_scores": ("Collapse risk and rank of every computed model (the model in use "
                          "and the comparison models, e.g. v1).", {
        "model": "Model name.", "level": LEVEL, "region_id": REGION,
        "collapse_risk": "Collapse risk under the model.",
        "risk_rank": "Rank under the model (1 = highest risk).",
    }),
    "risk_model_components": ("Component values and scores of every computed model.", {
        "model": "Model name.", "level": LEVEL, "region_id": REGION,
        "component": "Component name.", "value": "Indicator value.",
        "score": "Component score (percentile).",
    }),
    "risk_diagnostics": ("Diagnostics of the composite per level: component correlations, "
                         "effective weights (first-order sensitivity indices), Spearman "
                         "correlations with size, pillars, exposure and the comparison "
                         "models.", {
        "level": LEVEL,
        "diagnostic": "component_correlation and pillar_correlation (Spearman), "
                      "effective_weight (S = Var(E[CR|x])/Var(CR)), effective_weight_share "
                      "(S over the sum of S), spearman, count.",
        "item": "Component, pillar, collapse_risk or model_<name> (a comparison model's "
                "collapse risk).",
        "other": "The second item (component, 'pillar', a column or model_<name>).",
        "value": "The value.",
    }),
    "risk_v1_moves": ("Regions whose rank moved most from the comparison model (v1), and "
                      "the component scores behind the move.", {
        "level": LEVEL, "region_id": REGION, "name": "Region name.",
        "risk_rank": "Rank under the model in use.", "compared_rank": "Rank under the model "
        "compared.", "change": "compared_rank - risk_rank (> 0: higher risk now).",
        "total_employment": "Jobs.", "compared_model": "The comparison model.",
        "why": "The two highest component scores now and under the compared model.",
    }),
    "sheltered_categories": ("Categories never counted as substitutable (state-funded; config "
                             "[exposure.sheltered]).", {
        "taxonomy": TAXONOMY, "category": CATEGORY}),
}
