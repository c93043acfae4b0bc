"""The read phase of a first build overlaps its two processes (round s8): the scores are
carried while a reader started in the second process (China's) still runs, and that result
is the one carrying them after its collection gives; the US dissolve done ahead there is
keyed by the OEWS area ids read from three columns, the ids the checked read gives."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from atlas.errors import ConfigError
from atlas.sources import registry
from atlas.sources.inputs import Inputs
from atlas.sources.levelset import LevelSet
from atlas.sources.registry import Arrivals, ReadContext, read_and_score
from atlas.sources.scores import _connection, derive
from atlas.sources.us.oews import area_ids, read_regions
from atlas.spec import declarations
from atlas.spec.declarations import LevelDecl

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "data"
SOC = pd.DataFrame({"taxonomy": ["soc2018"], "category": ["11-1011"],
                    "title": ["Chief executives"], "national_employment": [200.0],
                    "median_wage": [190000.0], "low_wage": [0.0]})
# China's categories: another taxonomy, no wages (objects)
SECTIONS = pd.DataFrame({"taxonomy": ["gbt4754"], "category": ["A"], "title": ["Farming"],
                         "national_employment": [10.0], "median_wage": [None],
                         "low_wage": [None]})


def _set(name: str, categories: pd.DataFrame) -> LevelSet:
    return LevelSet(regions=pd.DataFrame({"name": [name]}), employment=pd.DataFrame(),
                    categories=categories)


def _two_levels(monkeypatch, events: list, arriving_categories: pd.DataFrame,
                carry=None):
    """Level ``here`` (read in this process: the US occupations) and ``there`` (arriving);
    native_scores and carry_scores record when they run and what occupations they see."""
    decls = tuple(LevelDecl(name, name, "", f"fake:{name}", "t", name)
                  for name in ("here", "there"))
    monkeypatch.setattr(declarations, "levels", lambda: decls)
    monkeypatch.setattr(registry, "resolve",
                        lambda target: lambda context, instances: _set("here", SOC))

    def native(context):
        events.append("native")
        return {}

    def carried(context, native):
        events.append(("carry", context.occupations["category"].tolist()))
        return {"carried": len(events)}

    monkeypatch.setattr(registry, "native_scores", native)
    monkeypatch.setattr(registry, "carry_scores", carry or carried)

    def arrive():
        events.append("arrived")
        return _set("there", arriving_categories)

    return {"fake:there": arrive}


def test_the_scores_are_carried_before_the_arriving_level_set_is_collected(monkeypatch):
    events: list = []
    arriving = _two_levels(monkeypatch, events, SECTIONS)
    context = ReadContext(inputs=None, config={})
    sets, scores = read_and_score(context, arriving)
    assert events == ["native", ("carry", ["11-1011"]), "arrived"]  # once, before
    assert scores == {"carried": 2}
    assert [s.regions["name"].iloc[0] for s in sets] == ["here", "there"]
    assert context.level_sets == sets and type(context.level_sets) is list


def test_an_arriving_level_set_that_changes_the_occupations_has_them_carried_again(
        monkeypatch):
    events: list = []
    more = pd.concat([SOC, SOC.assign(category="11-1021", title="Managers")],
                     ignore_index=True)
    arriving = _two_levels(monkeypatch, events, more)
    _, scores = read_and_score(ReadContext(inputs=None, config={}), arriving)
    assert events == ["native", ("carry", ["11-1011"]), "arrived", "native",
                      ("carry", ["11-1011", "11-1021"])]
    assert scores == {"carried": 5}  # the second carrying's result


def test_a_scoring_step_that_reaches_for_the_level_sets_early_is_run_after_they_arrive(
        monkeypatch):
    """Arrivals: only the occupations may be used before the collection; anything else
    makes the scores be carried once every level set is there."""
    events: list = []

    def carry(context, native):
        names = [s.regions["name"].iloc[0] for s in context.level_sets]  # not allowed early
        events.append(("carry", names))
        return {"names": names}

    arriving = _two_levels(monkeypatch, events, SECTIONS, carry=carry)
    _, scores = read_and_score(ReadContext(inputs=None, config={}), arriving)
    assert events == ["native", "arrived", "native", ("carry", ["here", "there"])]
    assert scores == {"names": ["here", "there"]}


def test_without_arriving_readers_the_scores_are_carried_once_after_reading(monkeypatch):
    events: list = []
    _two_levels(monkeypatch, events, SECTIONS)
    sets, _ = read_and_score(ReadContext(inputs=None, config={}), {})
    assert events == ["native", ("carry", ["11-1011"])]
    assert len(sets) == 2  # both read here


def test_arrivals_give_the_level_sets_read_so_far_only_to_the_occupations():
    here = _set("here", SOC)
    pending = Arrivals([here], ["fake:there"])
    with pytest.raises(ConfigError, match="fake:there are still being read"):
        list(pending)
    assert pending.so_far() == [here]
    occupations = ReadContext(inputs=None, config={}, level_sets=pending).occupations
    assert occupations["category"].tolist() == ["11-1011"]


def test_the_occupations_are_float_whatever_other_levels_hold():
    """China's empty wages (objects) no longer make the US wages objects: the occupations are
    the same with and without China's level set."""
    alone = ReadContext(inputs=None, config={}, level_sets=[_set("us", SOC)]).occupations
    both = ReadContext(inputs=None, config={},
                       level_sets=[_set("us", SOC), _set("cn", SECTIONS)]).occupations
    assert both.equals(alone)
    assert both[["national_employment", "median_wage", "low_wage"]].dtypes.eq(
        "float64").all()
    assert both["median_wage"].tolist() == [190000.0]


def _us_area_ids(regions: pd.DataFrame) -> list[tuple[str, str]]:
    areas = regions.loc[regions["level"] == "us_area"]
    return sorted(zip(areas["area_code"].astype(str), areas["region_id"].astype(str),
                      strict=True))


def test_the_area_ids_from_three_columns_are_those_of_the_checked_read():
    inputs = Inputs(FIXTURES)
    ids = area_ids(inputs)
    assert len(ids) > 0 and set(ids["level"]) == {"us_area"}
    assert _us_area_ids(ids) == _us_area_ids(read_regions(Inputs(FIXTURES)))


@pytest.mark.realdata
def test_the_area_ids_from_three_columns_are_those_of_the_checked_read_real(data_dir):
    ids = area_ids(Inputs(data_dir))
    assert len(ids) == 528  # MSAs and nonmetropolitan areas of OEWS May 2025
    assert _us_area_ids(ids) == _us_area_ids(read_regions(Inputs(data_dir)))


def test_derive_shares_a_connection_and_leaves_nothing_registered():
    scores = pd.DataFrame({"measure": ["m", "m"], "code": ["a", "b"], "score": [0.2, 0.6],
                           "ge_10": [1.0, 1.0], "ge_50": [0.0, 1.0]})
    mapping = pd.DataFrame({"from_code": ["a", "b"], "to_code": ["x", "x"],
                            "weight": [1.0, 3.0]})
    first = derive(scores, mapping)
    second = derive(scores.assign(score=[0.4, 0.4]), mapping)
    assert first["score"].tolist() == pytest.approx([(0.2 + 3 * 0.6) / 4])  # by hand
    assert second["score"].tolist() == pytest.approx([0.4])
    for view in ("source_scores", "category_map"):
        with pytest.raises(duckdb.CatalogException):
            _connection().execute(f"SELECT * FROM {view}")


def test_the_second_process_checks_the_geometry_it_uses_and_this_one_the_rest():
    """The second process validates the geometry of the levels whose dissolve (``prepare``)
    or reader (``independent``) it runs; the countries' geometry is validated here."""
    from atlas.build.reading import second_process_geometry
    from atlas.spec.manifest import load_manifest

    keys = [key for key, spec in load_manifest().items() if spec.is_geometry]
    there = second_process_geometry(keys)
    assert there == ["counties_2023", "counties_2017", "cn_boundaries"]
    assert {"world_countries", "world_countries_topo"} <= set(keys) - set(there)
