"""The compositional model, the vintage rules and the caveats file, on synthetic inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atlas.errors import InputError
from atlas.sources.world.context import annual_run_end, change, latest, persistent_unemployment
from atlas.sources.world.modelled import (
    DELTA,
    alr,
    clip_to,
    fit,
    inverse_alr,
    model_compositions,
    nested_loo,
    replace_zeros,
)
from atlas.sources.world.quality import read_caveats

GROUPS = [str(g) for g in range(1, 10)]


def synthetic(n: int = 60, seed: int = 1, noise: float = 0.0):
    """Compositions that follow an exact ALR-linear model of two covariates (plus noise)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    coef = rng.normal(size=(3, 8))
    ratios = np.column_stack([np.ones(n), x]) @ coef + noise * rng.normal(size=(n, 8))
    return x, inverse_alr(ratios, 4)


def test_zero_replacement_keeps_sums_and_ratios():
    shares = pd.DataFrame([[0.5, 0.3, 0.2, 0.0], [0.25, 0.25, 0.0, 0.5]])
    out = replace_zeros(shares)
    assert np.allclose(out.sum(axis=1), 1.0)
    assert out.iloc[0, 3] == pytest.approx(DELTA)
    assert out.iloc[0, 0] / out.iloc[0, 1] == pytest.approx(0.5 / 0.3)
    assert (out.to_numpy() > 0).all()


def test_log_ratios_round_trip():
    _, shares = synthetic()
    assert np.allclose(inverse_alr(alr(shares, 4), 4), shares)


def test_model_recovers_an_exact_linear_composition():
    """Compositions that are exactly ALR-linear in the covariates are predicted exactly out
    of sample (the penalty chosen by leave-one-out is then 0), except where a country's
    covariates lie outside the others' range and are clipped."""
    x, shares = synthetic()
    predicted = nested_loo(x, shares, 4)
    others = [np.delete(x, i, axis=0) for i in range(len(x))]
    inside = np.array([((x[i] >= o.min(axis=0)) & (x[i] <= o.max(axis=0))).all()
                       for i, o in enumerate(others)])
    assert inside.sum() > 40
    assert np.abs(predicted[inside] - shares[inside]).max() < 1e-8
    assert np.abs(predicted[~inside] - shares[~inside]).max() > 1e-6


def test_reference_group_does_not_change_predictions():
    x, shares = synthetic(noise=0.3)
    by_5 = inverse_alr(fit(x, shares, 4).predict(x[:5]), 4)
    by_1 = inverse_alr(fit(x, shares, 0).predict(x[:5]), 0)
    assert np.allclose(by_5, by_1, atol=1e-12)


def test_modelled_shares_sum_to_one_and_fall_back_without_gdp():
    x, shares = synthetic(noise=0.2)
    features = pd.DataFrame({"log_agri_services": x[:, 0], "log_industry_services": x[:, 1],
                             "self_employed": x[:, 0] ** 2, "family_workers": x[:, 1] ** 2,
                             "employment_rate": x[:, 0] * x[:, 1],
                             "log_gdp": np.random.default_rng(2).normal(size=len(x))},
                            index=[f"C{i:02d}" for i in range(len(x))])
    features.loc["C00", "log_gdp"] = np.nan
    train = pd.DataFrame(shares[10:], index=features.index[10:], columns=GROUPS)
    income = pd.Series("HIC", index=features.index)
    result = model_compositions(train, features, features.index[:10], income,
                                {g: g for g in GROUPS})
    assert np.allclose(result.shares.sum(axis=1), 1.0)
    assert (result.shares.to_numpy() > 0).all()
    assert result.variant["C00"] == "no_gdp" and result.variant["C01"] == "full"
    errors = result.errors.set_index("category")
    assert errors.loc["all", "mae_full_pp"] < errors.loc["all", "mae_income_mean_pp"]


def test_covariates_are_clipped_to_the_training_range():
    training = np.array([[0.0, 1.0], [2.0, 3.0]])
    assert clip_to(np.array([[5.0, -1.0]]), training).tolist() == [[2.0, 1.0]]


def test_population_years_stop_at_the_annual_run():
    years = [1800, 1900, *range(1950, 2014), 2050, 2100]
    series = pd.DataFrame({"iso3": "AAA", "year": years, "value": np.arange(len(years))})
    end = annual_run_end(series)
    assert end == 2013
    assert latest(series, end).loc["AAA", "year"] == 2013


def test_persistent_unemployment_needs_three_years():
    panel = pd.DataFrame({"iso3": ["A", "A", "A", "B", "B"],
                          "year": [2015, 2016, 2017, 2015, 2016],
                          "value": [4.0, 5.0, 6.0, 9.0, 9.0]})
    assert persistent_unemployment(panel).to_dict() == {"A": 5.0}


def test_change_needs_two_different_years():
    end = pd.DataFrame({"value": [60.0, 50.0], "year": [2023, 2013]}, index=["A", "B"])
    start = pd.DataFrame({"value": [55.0, 50.0], "year": [2013, 2013]}, index=["A", "B"])
    assert change(end, start).to_dict() == {"A": 5.0}


@pytest.mark.parametrize(("row", "problem"), [
    ('FRA,"a caveat",guess,"a source"', "row 3: column 'basis': unknown basis 'guess'"),
    ('fra,"a caveat",input_data,"a source"', "row 3: column 'iso3': not an ISO3 code"),
    ('FRA,"",input_data,"a source"', "row 3: column 'caveat': empty value"),
    ('ARG,"again",input_data,"a source"', "row 3: column 'iso3': duplicate row for ARG"),
])
def test_bad_caveat_rows_are_named(tmp_path, row, problem):
    path = tmp_path / "caveats.csv"
    path.write_text("iso3,caveat,basis,source\nARG,\"urban only\",survey_documentation,INDEC\n"
                    + row + "\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_caveats(path)
    assert str(error.value).startswith(f"{path}: {problem}")


def test_the_authored_caveats_file_is_valid():
    caveats = read_caveats()
    assert {"ARG", "JPN", "SRB"} <= set(caveats.index)
    assert "urban" in caveats.loc["ARG", "caveat"]


def test_the_leave_one_out_errors_are_those_of_refitting_without_each_row():
    """loo_squared_errors (the design computed once for every penalty) gives, per penalty,
    the mean squared residual of refitting without each row (same standardisation), and
    inf where the fit is singular (no penalty, a duplicated column)."""
    from atlas.sources.world.modelled import _design, _penalty, loo_squared_errors

    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(30, 3)), rng.normal(size=(30, 2))
    mean, scale = x.mean(axis=0), x.std(axis=0)
    design = _design(x, mean, scale)
    for lam, error in zip((0.1, 1.0, 30.0), loo_squared_errors(x, y, (0.1, 1.0, 30.0)),
                          strict=True):
        squares = []
        for i in range(len(x)):
            keep = np.arange(len(x)) != i
            gram = design[keep].T @ design[keep] + _penalty(design.shape[1], lam)
            coef = np.linalg.solve(gram, design[keep].T @ y[keep])
            squares.append((y[i] - design[i] @ coef) ** 2)
        assert error == pytest.approx(float(np.mean(squares)), rel=1e-10)
    duplicated = np.column_stack([x, x[:, 0]])
    assert loo_squared_errors(duplicated, y, (0.0, 1.0))[0] == float("inf")
