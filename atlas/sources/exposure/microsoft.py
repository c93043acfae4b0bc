"""Tomlinson, Jaffe, Wang, Counts, Suri (2025), "Working with AI: Measuring the Applicability
of Generative AI to Occupations" (arXiv:2507.07935; CC BY 4.0): the AI applicability score of
each detailed SOC 2018 occupation, an observed-usage measure from US Bing Copilot
conversations (January-September 2024), not a rating of what the technology could do.
"""

from __future__ import annotations

import pandas as pd


def read(context, decls, taxonomy: str) -> pd.DataFrame:
    """The measure reader: ``microsoft_ai_applicability`` per 6-digit SOC 2018 code."""
    table = context.inputs.table("microsoft_applicability")
    return pd.DataFrame({"measure": "microsoft_ai_applicability",
                         "code": table["SOC Code"].str.strip(),
                         "score": table["ai_applicability_score"]})
