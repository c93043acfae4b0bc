"""Modelled ISCO-08 major-group compositions for economies without ILOSTAT shares.

The nine shares ``s_1..s_9`` of a country are a composition. The model works in additive
log-ratios with group 5 (service and sales workers, never zero and always large) as the
reference, ``y_g = ln(s_g / s_5)`` for the other eight groups, and fits one ridge regression
per log-ratio on the same standardised covariates:

- ``ln(agriculture / services)`` and ``ln(industry / services)`` employment shares (the
  sector shares are a composition too, so they enter as log-ratios),
- the self-employed and contributing-family-worker shares of employment,
- the employment-to-population ratio 15+,
- ``ln`` GDP per capita (constant US$).

Three variants, each fitted on the countries that have its covariates: ``full`` (all of the
above), ``no_gdp`` (without GDP, for Taiwan, North Korea ...) and ``gdp_only`` (for economies
with GDP per capita but no ILO sector estimates, e.g. Kosovo); an economy uses the first
variant whose covariates it has. Covariates of a predicted country are clipped to the range
of the training countries, so the model never extrapolates (Monaco's GDP per capita is above
every training country's).

Prediction is ``s = closure(exp(y_1..y_9))`` with ``y_5 = 0``, so modelled shares are
positive and sum to 1. With one design matrix and one penalty for every log-ratio the fit is
equivariant to the choice of reference group, and the penalty is chosen on centred
log-ratios, so the predictions do not depend on the reference.

Zeros: a share of 0 has no log-ratio. Shares are rounded to 0.1 percentage points, so a 0
means below 0.05 pp; zeros are replaced by ``DELTA`` = 0.65 x 0.05 pp and the other parts
are scaled down to keep the sum (multiplicative replacement, Martin-Fernandez, Barcelo-Vidal
and Pawlowsky-Glahn 2003, "Dealing with zeros and missing values in compositional data sets
using nonparametric imputation", Mathematical Geology 35(3)). Rows whose zeros are *missing*
groups (the input's ``flag``) are left out of the training set instead.

The ridge penalty is chosen from ``LAMBDAS`` by exact leave-one-out squared error of the
centred log-ratios (the hat-matrix shortcut). The reported errors are nested: for every country
the penalty is chosen again without it, the model is fitted without it and predicts it, so
they are honest out-of-sample errors, compared with a naive baseline, the mean composition
of the other countries in the same World Bank income group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

DETECTION = 0.0005  # half the 0.1-pp rounding unit, as a share
DELTA = 0.65 * DETECTION
REFERENCE = "5"
LAMBDAS = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
FEATURES = ("log_agri_services", "log_industry_services", "self_employed", "family_workers",
            "employment_rate", "log_gdp")
VARIANTS = {"full": FEATURES, "no_gdp": FEATURES[:-1], "gdp_only": FEATURES[-1:]}


def replace_zeros(shares: pd.DataFrame, delta: float = DELTA) -> pd.DataFrame:
    """Multiplicative replacement: zeros become ``delta``, the other parts shrink so that
    each row keeps its sum; ratios between non-zero parts are unchanged."""
    values = shares.to_numpy(dtype=float)
    total = values.sum(axis=1, keepdims=True)
    zeros = values <= 0
    shrink = 1 - delta * zeros.sum(axis=1, keepdims=True) / total
    out = np.where(zeros, delta * total, values * shrink)
    return pd.DataFrame(out, index=shares.index, columns=shares.columns)


def alr(shares: np.ndarray, reference: int) -> np.ndarray:
    """Additive log-ratios against column ``reference`` (the other columns, in order)."""
    return np.log(np.delete(shares, reference, axis=1) / shares[:, [reference]])


def inverse_alr(ratios: np.ndarray, reference: int) -> np.ndarray:
    """Shares (rows sum to 1) from additive log-ratios against column ``reference``."""
    parts = np.insert(np.exp(ratios), reference, 1.0, axis=1)
    return parts / parts.sum(axis=1, keepdims=True)


@dataclass
class Ridge:
    """A ridge fit with an unpenalised intercept on standardised covariates."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    penalty: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted responses for covariate rows ``x``."""
        return _design(x, self.mean, self.scale) @ self.coef


def _design(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(len(x)), (x - mean) / scale])


def _penalty(columns: int, lam: float) -> np.ndarray:
    penalty = lam * np.eye(columns)
    penalty[0, 0] = 0.0
    return penalty


def fit_ridge(x: np.ndarray, y: np.ndarray, lam: float) -> Ridge:
    """Ridge regression of every column of ``y`` on ``x`` with penalty ``lam``."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    design = _design(x, mean, scale)
    gram = design.T @ design + _penalty(design.shape[1], lam)
    return Ridge(mean, scale, np.linalg.solve(gram, design.T @ y), lam)


def loo_squared_errors(x: np.ndarray, y: np.ndarray, lams: Sequence[float]) -> list[float]:
    """Mean squared leave-one-out residual for each penalty of ``lams``, exact for a linear
    smoother: ``e_i / (1 - h_ii)`` (standardisation uses all rows; only the penalty choice
    relies on it); ``inf`` where the fit is singular. The design and its cross-product do
    not depend on the penalty and are computed once."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    design = _design(x, mean, np.where(scale > 0, scale, 1.0))
    cross = design.T @ design
    errors = []
    for lam in lams:
        gram = cross + _penalty(design.shape[1], lam)
        try:
            hat = design @ np.linalg.solve(gram, design.T)
        except np.linalg.LinAlgError:
            errors.append(float("inf"))
            continue
        residual = y - hat @ y
        leverage = np.clip(np.diag(hat), None, 1 - 1e-9)
        errors.append(float(((residual / (1 - leverage)[:, None]) ** 2).mean()))
    return errors


def clr(shares: np.ndarray) -> np.ndarray:
    """Centred log-ratios: ``ln s_g - mean_g ln s_g`` (a linear map of any ALR)."""
    logs = np.log(shares)
    return logs - logs.mean(axis=1, keepdims=True)


def choose_penalty(x: np.ndarray, shares: np.ndarray) -> float:
    """The penalty of ``LAMBDAS`` with the smallest leave-one-out squared error of the
    centred log-ratios (the same for every reference group; a singular fit is skipped; the
    first of equal errors)."""
    errors = loo_squared_errors(x, clr(shares), LAMBDAS)
    return min(zip(LAMBDAS, errors, strict=True), key=lambda pair: pair[1])[0]


def fit(x: np.ndarray, shares: np.ndarray, reference: int) -> Ridge:
    """Fit the log-ratio model, choosing the penalty by leave-one-out."""
    return fit_ridge(x, alr(shares, reference), choose_penalty(x, shares))


def clip_to(x: np.ndarray, training: np.ndarray) -> np.ndarray:
    """Covariates clipped to the per-column range of the training rows (no extrapolation)."""
    return np.clip(x, training.min(axis=0), training.max(axis=0))


def predict_shares(model: Ridge, x: np.ndarray, training: np.ndarray,
                   reference: int) -> np.ndarray:
    """Shares predicted for rows ``x`` (clipped to the training range); rows sum to 1."""
    return inverse_alr(model.predict(clip_to(x, training)), reference)


def nested_loo(x: np.ndarray, shares: np.ndarray, reference: int) -> np.ndarray:
    """Out-of-sample predicted shares: row i from a model (penalty included) fitted without
    row i."""
    predicted = np.empty_like(shares)
    for i in range(len(x)):
        keep = np.arange(len(x)) != i
        model = fit(x[keep], shares[keep], reference)
        predicted[i] = predict_shares(model, x[[i]], x[keep], reference)[0]
    return predicted


def group_mean_loo(shares: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Baseline: mean composition of the *other* rows of the same group (NaN if none)."""
    out = np.full_like(shares, np.nan)
    for i, group in enumerate(groups):
        same = (groups == group) & (np.arange(len(groups)) != i)
        if same.any():
            out[i] = shares[same].mean(axis=0)
    return out


def covariates(sectors: pd.DataFrame, gdp: pd.Series) -> pd.DataFrame:
    """Model covariates per ISO3 from the latest sector row and GDP per capita (rows for
    every country with either; missing covariates are NaN)."""
    ids = sectors.index.union(gdp.dropna().index)
    parts = replace_zeros(sectors[["agri_emp_pct", "industry_emp_pct", "services_emp_pct"]])
    services = parts["services_emp_pct"]
    frame = pd.DataFrame({
        "log_agri_services": np.log(parts["agri_emp_pct"] / services),
        "log_industry_services": np.log(parts["industry_emp_pct"] / services),
        "self_employed": sectors["self_employed_pct"] / 100,
        "family_workers": sectors["contributing_family_workers_pct"] / 100,
        "employment_rate": sectors["emp_to_pop_15plus_pct"] / 100,
    }, index=sectors.index).reindex(ids)
    frame["log_gdp"] = np.log(gdp.reindex(ids))
    return frame


@dataclass
class ModelResult:
    """Modelled shares for the targets, the error table and which model each target used."""

    shares: pd.DataFrame
    errors: pd.DataFrame
    variant: pd.Series
    training: pd.Index


def _variant(train: pd.DataFrame, x: pd.DataFrame, features: tuple[str, ...],
             income: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index]:
    """Nested-LOO and baseline predictions of one covariate set over its training rows."""
    rows = x[list(features)].dropna().index.intersection(train.index)
    observed = train.loc[rows].to_numpy()
    reference = list(train.columns).index(REFERENCE)
    predicted = nested_loo(x.loc[rows, list(features)].to_numpy(), observed, reference)
    baseline = group_mean_loo(observed, income.reindex(rows).fillna("none").to_numpy())
    return observed, predicted, baseline, rows


def error_table(train: pd.DataFrame, x: pd.DataFrame, income: pd.Series,
                titles: dict[str, str]) -> pd.DataFrame:
    """Leave-one-out mean absolute error per group (percentage points) of every variant and
    of the income-group-mean baseline (over the full variant's countries); the last row,
    ``all``, is the mean over the nine groups."""
    columns: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for name, features in VARIANTS.items():
        observed, predicted, baseline, rows = _variant(train, x, features, income)
        columns[f"mae_{name}_pp"] = 100 * np.abs(predicted - observed).mean(axis=0)
        counts[f"n_{name}"] = len(rows)
        if name == "full":
            base = 100 * np.nanmean(np.abs(baseline - observed), axis=0)
    columns["mae_income_mean_pp"] = base
    frame = pd.DataFrame({"category": list(train.columns),
                          "title": [titles[g] for g in train.columns], **columns})
    frame.loc[len(frame)] = {"category": "all", "title": "Mean over the nine groups",
                             **{k: float(np.mean(v)) for k, v in columns.items()}}
    return frame.assign(**counts)


def model_compositions(train: pd.DataFrame, x: pd.DataFrame, targets: pd.Index,
                       income: pd.Series, titles: dict[str, str]) -> ModelResult:
    """Fit on ``train`` (shares by group, rows sum to 1) and predict ``targets``.

    Parameters
    ----------
    train
        observed shares, one column per major group, indexed by ISO3 (no missing groups).
    x
        covariates (``covariates``) for training and target countries.
    targets
        countries to model; each uses the first variant of ``VARIANTS`` whose covariates it
        has; those with none are skipped.
    """
    train = pd.DataFrame(replace_zeros(train).to_numpy(), index=train.index,
                         columns=train.columns)
    reference = list(train.columns).index(REFERENCE)
    shares, variant = [], {}
    for name, features in VARIANTS.items():
        rows = x[list(features)].dropna().index
        fit_rows = rows.intersection(train.index)
        wanted = [t for t in targets if t in rows and t not in variant]
        if not wanted:
            continue
        fit_x = x.loc[fit_rows, list(features)].to_numpy()
        model = fit(fit_x, train.loc[fit_rows].to_numpy(), reference)
        predicted = predict_shares(model, x.loc[wanted, list(features)].to_numpy(), fit_x,
                                   reference)
        shares.append(pd.DataFrame(predicted, index=wanted, columns=train.columns))
        variant.update(dict.fromkeys(wanted, name))
    modelled = pd.concat(shares) if shares else pd.DataFrame(columns=train.columns)
    errors = error_table(train, x, income, titles)
    training = x[list(FEATURES)].dropna().index.intersection(train.index)
    return ModelResult(modelled, errors, pd.Series(variant, dtype=object), training)
