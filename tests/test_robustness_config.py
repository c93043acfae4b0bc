"""Complete config validation (issue 34, item 5): unknown keys at every depth with their
dotted path, unknown taxonomies, a component listed twice, and size and depth limits, each
in one line naming the file."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from atlas.cli.main import app
from atlas.errors import ConfigError
from atlas.spec.config import MAX_CONFIG_BYTES, load_config

NEW_MODEL = """
[risk.models.x]
label = "x"
aggregation = "geometric"
pillar_scale = "percentile"
{model_extra}
[risk.models.x.pillars.a]
weight = 1.0
{pillar_extra}
[[risk.models.x.components]]
component = "c"
pillar = "a"
indicator = "substitutable_share"
direction = "higher"
weight = 1.0
{component_extra}
"""


def config_file(tmp_path, text: str):
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path, text: str, pattern: str) -> str:
    path = config_file(tmp_path, text)
    with pytest.raises(ConfigError, match=pattern) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"config file {path}: ")
    return message


@pytest.mark.parametrize(("extra", "path"), [
    ({"model_extra": 'data_dir = "/tmp"'}, "risk.models.x.data_dir"),
    ({"model_extra": 'path = "x"'}, "risk.models.x.path"),
    ({"model_extra": 'reader = "os:system"'}, "risk.models.x.reader"),
    ({"pillar_extra": 'reader = "os:system"'}, "risk.models.x.pillars.a.reader"),
    ({"component_extra": 'data_dir = "/tmp"'}, "risk.models.x.components.c.data_dir"),
])
def test_unknown_keys_inside_a_new_model_are_named_with_their_path(tmp_path, extra, path):
    text = NEW_MODEL.format(**{"model_extra": "", "pillar_extra": "",
                               "component_extra": "", **extra})
    refused(tmp_path, text, f"unknown config key '{path.replace('.', '[.]')}'")


def test_a_valid_new_model_loads(tmp_path):
    text = NEW_MODEL.format(model_extra="", pillar_extra="", component_extra="")
    config = load_config(config_file(tmp_path, text + '\n[risk]\ncompare = ["x"]\n'))
    assert "x" in config.risk.models and config.risk.compare == ("x",)


@pytest.mark.parametrize(("text", "path"), [
    ("[scenarios.mine]\nadoption = 0.1\ndisplacement = 0.1\nreabsorption = 0.5\n"
     "horizon_years = 5\nreader = 'x'\n", "scenarios.mine.reader"),
    ("[risk.models.trap]\ndata_dir = '/tmp'\n", "risk.models.trap.data_dir"),
    ("[uncertainty]\nextra = 1\n", "uncertainty.extra"),
    ("[risk.models.trap.pillars.shock]\npath = 'x'\n", "risk.models.trap.pillars.shock.path"),
])
def test_unknown_keys_at_every_depth(tmp_path, text, path):
    refused(tmp_path, text, f"unknown config key '{path.replace('.', '[.]')}'")


@pytest.mark.parametrize("taxonomy", ["../../../etc/passwd", "soc2019", "GBT4754_SECTION"])
def test_an_unknown_sheltered_taxonomy_is_refused(tmp_path, taxonomy):
    message = refused(tmp_path, f'[exposure.sheltered]\n"{taxonomy}" = ["P"]\n',
                      "unknown taxonomy")
    assert taxonomy in message and "gbt4754_section" in message


def test_a_component_listed_twice_is_named(tmp_path):
    text = NEW_MODEL.format(model_extra="", pillar_extra="", component_extra="")
    text += ('\n[[risk.models.x.components]]\ncomponent = "c"\npillar = "a"\n'
             'indicator = "poverty_rate"\ndirection = "higher"\nweight = 1.0\n'
             'levels = ["us_area"]\n')
    message = refused(tmp_path, text, "component 'c' is listed twice for us_area")
    assert "risk.models.x.components" in message


def test_the_same_name_for_disjoint_levels_is_allowed():
    """The default model's low_income is poverty for the US, GDP per head elsewhere."""
    model = load_config().risk.models["trap"]
    assert [c.component for c in model.components].count("low_income") == 2


@pytest.mark.parametrize("opener", ["a = " + "[" * 100_000, "a = " + "{b = " * 100_000,
                                    "[" + "a." * 20 + "b]\nc = 1\n"])
def test_deep_nesting_is_refused_naming_the_file(tmp_path, opener):
    refused(tmp_path, opener, "nested")


def test_a_huge_file_is_refused_naming_the_file(tmp_path):
    refused(tmp_path, "# padding\n" * (MAX_CONFIG_BYTES // 10 + 1), "larger than")


@pytest.mark.parametrize(("text", "pattern"), [
    ("[uncertainty]\ndraws = 1" + "0" * 30 + "\n", "uncertainty.draws"),
    ("[uncertainty]\ndraws = 1" + "0" * 5000 + "\n", "digits|uncertainty.draws"),
    ("[trap_zones]\npermutations = 100000000000\n", "trap_zones.permutations"),
    ("[uncertainty]\nseed = -1\n", "uncertainty.seed"),
    (b"[flags]\n# \xff\xfe\n".decode("latin-1"), "not UTF-8|flags"),
    ("[scenarios]\nmine = 3\n", "scenarios.mine' must be a table"),
    ("[risk.models.trap]\npillars = 3\n", "must be a table"),
])
def test_bad_values_are_named(tmp_path, text, pattern):
    path = tmp_path / "mine.toml"
    path.write_bytes(text.encode("latin-1") if "\xff" in text else text.encode())
    with pytest.raises(ConfigError, match=pattern) as caught:
        load_config(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_the_cli_prints_one_line_naming_the_file(tmp_path):
    path = config_file(tmp_path, "a = " + "[" * 100_000)
    result = CliRunner().invoke(app, ["build", "--config", str(path), "--out",
                                      str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [result.output.strip()]
    assert str(path) in result.output and "Recursion" not in result.output
    assert not (tmp_path / "out").exists()
