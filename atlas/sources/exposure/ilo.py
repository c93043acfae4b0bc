"""The ILO's generative-AI exposure per ISCO-08 unit group (Gmyrek et al. 2025, WP 140):
``ilo_genai_2025`` and ``ilo_genai_2023`` (mean task score 0..1) and the trait
``ilo_exposed_gradient`` (1 for unit groups in one of the "Exposed: Gradient 1-4" classes),
carried to the ISCO-08 major groups by the registry.
"""

from __future__ import annotations

import pandas as pd


def read(context, decls, taxonomy: str) -> pd.DataFrame:
    """The measure reader: ``measure, code, score`` per ISCO-08 unit group."""
    ilo = context.inputs.table("ilo_2025")
    gradient = ilo["potential25"].str.startswith("Exposed: Gradient").astype(float)
    return pd.concat([
        pd.DataFrame({"measure": "ilo_genai_2025", "code": ilo["isco08_4d"],
                      "score": ilo["mean_score_2025"]}),
        pd.DataFrame({"measure": "ilo_genai_2023", "code": ilo["isco08_4d"],
                      "score": ilo["mean_score_2023"]}),
        pd.DataFrame({"measure": "ilo_exposed_gradient", "code": ilo["isco08_4d"],
                      "score": gradient}),
    ], ignore_index=True)
