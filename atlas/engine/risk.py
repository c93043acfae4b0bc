"""Collapse risk of a frame of component values, with the model a build uses.

:func:`collapse_risk` scores a researcher's own regions with a declared risk model (default:
the configured one): each component's indicator is oriented and turned into a percentile
within the frame, a pillar is the weighted mean of its components' scores (a component a
region lacks is left out of its pillar), the pillars become percentiles, and collapse risk is
their weighted geometric (or arithmetic) mean. It runs the one specification the build calls
spec 0 of the uncertainty grid (:mod:`atlas.engine.uncertainty`), which equals the stored
``collapse_risk`` of every level (a test checks this on the real atlas).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atlas.engine.uncertainty import (
    LevelInputs,
    Specifications,
    component_scores,
    rank_order,
    specification_risk,
)
from atlas.errors import ConfigError
from atlas.spec.config import load_config
from atlas.spec.risk_model import RiskModel, active_model

__all__ = ["collapse_risk"]


def collapse_risk(components: pd.DataFrame, model: RiskModel | None = None,
                  level: str | None = None, size: str | None = None) -> pd.DataFrame:
    """Collapse risk, its rank and the pillar scores of every row of ``components``.

    Parameters
    ----------
    components
        One row per region (the index is the region id), one column per indicator the
        model's components read (e.g. ``substitutable_share``, ``employment_change``); a
        missing column or value leaves that component out for the region.
    model
        A :class:`~atlas.spec.risk_model.RiskModel`; default: the configured model.
    level
        Keep only the components that apply at this level (``levels`` in the config).
    size
        Optional column that breaks ties in the rank (larger first), as the atlas does
        with ``total_employment``.

    Returns
    -------
    DataFrame indexed like ``components``: one column per pillar (its percentile score),
    ``collapse_risk`` and ``risk_rank`` (1 = highest risk).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({
    ...     "substitutable_share": [0.30, 0.20, 0.10, 0.25],
    ...     "substitutable_excess": [0.05, 0.0, 0.0, 0.02],
    ...     "employment_change": [-5.0, 10.0, 20.0, 30.0],
    ...     "unemployment_persistent": [9.0, 5.0, 4.0, 3.0]},
    ...     index=["exposed and declining", "middling", "sheltered", "exposed hub"])
    >>> out = collapse_risk(frame)
    >>> out["risk_rank"].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'exposed and declining': 1, 'middling': 2, 'sheltered': 4, 'exposed hub': 3}
    >>> float(out.loc["exposed and declining", "collapse_risk"])
    0.875
    """
    model = model or active_model(load_config())
    chosen = [c for c in model.components if level is None or c.applies_to(level)]
    present = [c for c in chosen if c.indicator in components.columns]
    if not present:
        wanted = sorted({c.indicator for c in chosen})
        raise ConfigError(f"components: none of the model's indicators {wanted} is a column")
    ids = np.asarray(components.index.astype(str))
    inputs = LevelInputs(
        region_ids=ids,
        size=np.asarray(components[size], dtype=float) if size else np.zeros(len(ids)),
        components=present,
        static={c.indicator: np.asarray(components[c.indicator], dtype=float)
                for c in present},
        by_measure={})
    scores = component_scores(inputs, None)[None, :, :]
    pillar_weights = np.array([[p.weight for p in model.pillars]], dtype=float)
    spec = Specifications(measure=np.array([0]),
                          geometric=np.array([model.aggregation == "geometric"]),
                          weights=np.array([[c.weight for c in present]], dtype=float),
                          pillar_weights=pillar_weights)
    risk, _ = specification_risk(model, scores, spec, present)
    out = pd.DataFrame(index=components.index)
    for index, pillar in enumerate(model.pillars):  # a pillar alone: its percentile score
        if any(c.pillar == pillar.pillar for c in present):
            alone = np.zeros_like(pillar_weights)
            alone[0, index] = 1.0
            only = Specifications(spec.measure, spec.geometric, spec.weights, alone)
            out[pillar.pillar] = specification_risk(model, scores, only, present)[0][0]
    out["collapse_risk"] = risk[0]
    out["risk_rank"] = rank_order(risk, inputs.size, ids)[0]
    return out
