"""The synthetic level: deterministic, and the engine agrees with the pandas reference."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from atlas.engine.core import compute_indices
from atlas.engine.synth import (
    EXPOSURE_MEASURE,
    VULNERABILITY_MEASURE,
    generate_level,
    synthetic_config,
    write_synthetic_database,
)
from atlas.errors import AtlasError
from atlas.spec.risk_model import active_model
from tests.pandas_reference import reference_exposure, reference_indices

COLUMNS = ["total_employment", "exposure_mean", "share_ge_10", "share_ge_50", "coverage",
           "vulnerable_share", "substitutable_share", "substitutable_excess", "entropy_norm",
           "hhi", "effective_n", "hachman", "krugman", "group_entropy", "group_hachman",
           "risk_p_substitutable_share", "risk_p_substitutable_specialisation",
           "risk_p_prior_decline", "risk_p_persistent_unemployment", "risk_p_lack_of_diversity",
           "pillar_shock", "pillar_absorption", "collapse_risk", "risk_rank"]


def reference_for(con: duckdb.DuckDBPyConnection, config: dict) -> pd.DataFrame:
    """The pandas reference of the synthetic level in ``con``."""
    groups = con.execute("SELECT category, diversity_group FROM categories").df().set_index(
        "category")["diversity_group"]
    return reference_indices(
        con.execute("SELECT region_id, category, employment, imputed FROM employment").df(),
        con.execute("SELECT measure, category, score, ge_10, ge_50, vulnerable, substitutable "
                    "FROM exposure_scores").df(),
        groups,
        con.execute("SELECT region_id, indicator, value FROM region_context").df(),
        active_model(config), EXPOSURE_MEASURE, VULNERABILITY_MEASURE, "synth")


def synthetic(regions: int, categories: int, seed: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    generate_level(con, regions, categories, seed)
    return con


def test_generator_is_deterministic_for_a_seed():
    tables = ("employment", "exposure_scores", "regions")

    def fingerprint(con):
        return [con.execute(f"SELECT sum(hash(COLUMNS(*))) FROM {t}").fetchall() for t in tables]

    assert fingerprint(synthetic(50, 20, 7)) == fingerprint(synthetic(50, 20, 7))
    assert fingerprint(synthetic(50, 20, 7)) != fingerprint(synthetic(50, 20, 8))
    con = synthetic(50, 20, 7)
    assert con.execute("SELECT count(*) FROM employment").fetchone()[0] == 50 * 20


def test_generator_has_realistic_skew():
    con = synthetic(2000, 100, 1)
    sizes = con.execute("SELECT sum(employment) FROM employment GROUP BY region_id").df()
    ratio = sizes.iloc[:, 0].quantile(0.99) / sizes.iloc[:, 0].median()
    assert ratio > 5  # log-normal region sizes: a long right tail
    shares = con.execute("SELECT category, sum(employment) e FROM employment GROUP BY category "
                         "ORDER BY e DESC").df()["e"]
    assert shares.iloc[0] > 20 * shares.iloc[-1]  # Zipf-like categories


def test_engine_agrees_with_pandas_reference():
    con = synthetic(300, 50, 3)
    config = synthetic_config()
    compute_indices(con, config)
    engine = con.execute("SELECT * FROM region_indices ORDER BY region_id").df().set_index(
        "region_id")
    reference = reference_for(con, config)
    assert len(engine) == len(reference) == 300
    for column in COLUMNS:
        np.testing.assert_allclose(engine[column].to_numpy(), reference.loc[engine.index, column]
                                   .to_numpy(), rtol=1e-9, atol=1e-9, err_msg=column)
    assert pd.Series(engine["risk_rank"]).is_unique


def test_every_measure_agrees_with_pandas_reference():
    con = synthetic(200, 40, 4)
    compute_indices(con, synthetic_config())
    engine = con.execute("SELECT * FROM region_exposure").df().set_index(
        ["region_id", "measure"]).sort_index()
    groups = con.execute("SELECT category, diversity_group FROM categories").df().set_index(
        "category")["diversity_group"]
    reference = reference_exposure(
        con.execute("SELECT region_id, category, employment, imputed FROM employment").df(),
        con.execute("SELECT measure, category, score, ge_10, ge_50, vulnerable, substitutable "
                    "FROM exposure_scores").df(), groups).sort_index()
    assert len(engine) == len(reference) == 200 * 9
    assert engine.index.equals(reference.index)
    for column in reference.columns:
        np.testing.assert_allclose(engine[column].to_numpy(), reference[column].to_numpy(),
                                   rtol=1e-9, atol=1e-9, err_msg=column)


def test_pandas_reference_agrees_when_weights_and_aggregation_change():
    """The reference reads the same parsed model: an arithmetic model with other weights."""
    con = synthetic(150, 30, 6)
    config = synthetic_config()
    config = config.with_overrides({"risk": {
        "models": {"trap": {"aggregation": "arithmetic"}},
        "weights": {"prior_decline": 0.6, "substitutable_share": 0.1}}})
    compute_indices(con, config)
    engine = con.execute("SELECT * FROM region_indices ORDER BY region_id").df().set_index(
        "region_id")
    reference = reference_for(con, config)
    for column in ("pillar_shock", "pillar_absorption", "collapse_risk", "risk_rank"):
        np.testing.assert_allclose(engine[column].to_numpy(), reference.loc[engine.index, column]
                                   .to_numpy(), rtol=1e-9, atol=1e-9, err_msg=column)


def test_engine_spills_under_a_small_memory_limit(tmp_path):
    con = synthetic(2000, 100, 5)
    con.execute("SET memory_limit = '64MB'")
    con.execute(f"SET temp_directory = '{tmp_path}'")
    compute_indices(con, synthetic_config())
    assert con.execute("SELECT count(*) FROM region_indices").fetchone()[0] == 2000


@pytest.mark.parametrize("bad", [(0, 10), (10, 1)])
def test_generator_rejects_empty_levels(bad):
    with pytest.raises(ValueError):
        generate_level(duckdb.connect(), *bad)


def test_synth_command_writes_a_level_with_indices_and_never_replaces_an_atlas(tmp_path):
    from typer.testing import CliRunner

    from atlas.cli.main import app

    path = tmp_path / "synth.duckdb"
    result = CliRunner().invoke(app, ["synth", "--regions", "40", "--categories", "12",
                                      "--seed", "5", "--db", str(path)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM employment").fetchone()[0] == 40 * 12
        ranks = sorted(r[0] for r in con.execute("SELECT risk_rank FROM region_indices "
                                                  "WHERE level = 'synth'").fetchall())
        assert ranks == list(range(1, 41))
    with duckdb.connect(str(path)) as con:  # now it looks like a built atlas
        con.execute("CREATE TABLE provenance AS SELECT 1 AS x")
    before = path.read_bytes()
    with pytest.raises(AtlasError, match="is a built atlas"):
        write_synthetic_database(path, 10, 5)
    assert path.read_bytes() == before
