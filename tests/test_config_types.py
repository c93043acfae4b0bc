"""The typed configuration (issue 27, item 4): one frozen dataclass tree, parsed and validated
in one pass, the stored configuration read back as the same type, and no ``config["..."]``
chains outside the configuration modules."""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from pathlib import Path

import duckdb
import pytest

from atlas.errors import ConfigError
from atlas.spec.config import DEFAULT_CONFIG_PATH, load_config, parse_config
from atlas.spec.config_types import AtlasConfig
from atlas.store.database import stored_config

ATLAS = Path(__file__).resolve().parents[1] / "atlas"
CONFIG_MODULES = {"config.py", "config_types.py", "config_parse.py"}
# a configuration indexed like a dict: config["risk"], context.config['flags'], config.get(
CHAIN = re.compile(r"""\bconfig\s*\[\s*["']|\bconfig\.get\(""")
USER_FILE = """
[exposure]
substitutable_exposure = 0.4
[risk.weights]
prior_decline = 0.4
[risk.pillar_weights]
shock = 0.7
[scenarios.mine]
adoption = 0.1
displacement = 0.2
reabsorption = 0.5
horizon_years = 5
[programmes.income_floor]
weight = 0
"""


def defaults() -> dict:
    with DEFAULT_CONFIG_PATH.open("rb") as handle:
        return tomllib.load(handle)


def test_no_config_chains_outside_the_configuration_modules():
    found = [f"{path.relative_to(ATLAS.parent)}:{number}: {line.strip()}"
             for path in sorted(ATLAS.rglob("*.py"))
             if not (path.parent.name == "spec" and path.name in CONFIG_MODULES)
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if CHAIN.search(line)]
    assert found == []


def test_the_chain_pattern_finds_what_it_should():
    """The grep above would see a chain (so it can fail)."""
    assert CHAIN.search('x = config["exposure"]["default_measure"]')
    assert CHAIN.search("y = context.config['flags']")
    assert CHAIN.search('z = config.get("risk", {})')
    assert not CHAIN.search("m = config.exposure.default_measure")


def test_every_default_key_is_a_typed_field_and_back():
    """to_dict gives back exactly the default TOML (no key lost or invented, same types), in
    the same order, so the stored JSON is the text builds stored before the typed tree."""
    config = load_config()
    assert isinstance(config, AtlasConfig)
    assert config.to_dict() == defaults()
    assert config.to_json() == json.dumps(defaults())


def test_sections_are_frozen_and_typed():
    config = load_config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.flags.trap_top_share = 0.5  # type: ignore[misc]
    assert config.exposure.default_measure == config.default_measure == "eloundou_gpt4_beta"
    assert config.uncertainty.aggregations == ("geometric", "arithmetic")
    assert config.exposure.sheltered == {"gbt4754_section": ("P", "Q", "S")}
    assert config.scenarios["central"].reabsorption_max == 0.65
    assert config.active_model.name == "trap" and config.model_names == ["trap", "v1"]
    assert config.value("uncertainty.robust_share") == 0.8
    with pytest.raises(KeyError):
        config.value("uncertainty.nothing")


def test_parse_store_read_back_is_equal(tmp_path):
    """A user's file (overrides, an added scenario, a removed instrument) through the database:
    parse -> build_info JSON -> read back gives an equal AtlasConfig."""
    path = tmp_path / "mine.toml"
    path.write_text(USER_FILE, encoding="utf-8")
    config = load_config(path)
    assert config.scenarios["mine"].reabsorption_min == 0.5  # `reabsorption` alone: a range
    assert config.risk.active.pillars[0].weight == 0.7
    assert config.risk.declared["trap"].pillars[0].weight == 0.5
    con = duckdb.connect()
    con.execute("CREATE TABLE build_info (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO build_info VALUES ('config', ?)", [config.to_json()])
    again = stored_config(con)
    assert isinstance(again, AtlasConfig) and again == config
    assert again.to_dict() == config.to_dict()
    assert again != load_config()  # equality sees the overrides


def test_with_overrides_validates_and_replaced_does_not():
    config = load_config()
    changed = config.with_overrides({"flags": {"trap_top_share": 0.2}})
    assert changed.flags.trap_top_share == 0.2 and config.flags.trap_top_share == 0.1
    with pytest.raises(ConfigError, match=r"flags\.trap_top_share' must be in \[0, 1\]"):
        config.with_overrides({"flags": {"trap_top_share": 2}})
    assert config.replaced("exposure.default_measure", "m").exposure.default_measure == "m"
    with pytest.raises(KeyError):
        config.replaced("exposure.nothing", 1)


@pytest.mark.parametrize(("text", "message"), [
    # the programme rules are checked when the file is read, with everything else
    ("[programmes.skills_accounts]\nweight = -1\n", "programmes.skills_accounts.weight"),
    ("[programmes.mine]\nlabel = 'x'\n", "programmes.mine.label_zh' is missing"),
    ("[risk.weights]\nno_such = 0.5\n", "risk.weights.no_such"),
    ("[exposure]\ndefault_measure = 3\n", "exposure.default_measure' must be a text"),
    ("[uncertainty]\nleave_one_out = 'yes'\n", "uncertainty.leave_one_out' must be true or"),
    ("[uncertainty]\naggregations = ['median']\n", "unknown aggregation 'median'"),
    ("[uncertainty]\nperiods = 'some'\n", "uncertainty.periods' must be 'default' or 'all'"),
    ("[flags]\nmin_regions = 2.5\n", "flags.min_regions' must be an integer"),
    ("[risk]\ncompare = ['nope']\n", "unknown model 'nope'"),
])
def test_one_pass_errors_name_the_file_and_the_key(tmp_path, text, message):
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"config file {path}: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["flags"].update(extra=1), "unknown config key 'flags.extra'"),
    (lambda d: d["flags"].pop("min_regions"), "config key 'flags.min_regions' is missing"),
    (lambda d: d.pop("trap_zones"), "config key 'trap_zones' is missing"),
    (lambda d: d.update(more={}), "unknown config key 'more'"),
    (lambda d: d["risk"]["v1"].update(x=1), "unknown config key 'risk.v1.x'"),
    (lambda d: d["scenarios"]["slow"].update(horizon_years=0),
     "config key 'scenarios.slow.horizon_years' must be > 0"),
])
def test_a_stored_configuration_is_checked_as_strictly(change, message):
    """parse_config alone (no merge with the defaults) refuses unknown and missing keys at
    every depth, as a stored configuration is read back without the defaults."""
    mapping = defaults()
    change(mapping)
    with pytest.raises(ConfigError, match=re.escape(message)):
        AtlasConfig.from_stored(json.dumps(mapping))
    with pytest.raises(ConfigError, match=re.escape(f"config file x.json: {message}")):
        parse_config(mapping, source="x.json")
