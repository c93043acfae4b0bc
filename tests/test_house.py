"""The house: packages by concern, layered without cycles, a small public API that tells the
truth about the atlas it reads."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import atlas
from atlas.spec.config import load_config
from atlas.spec.risk_model import active_model

PACKAGE = Path(atlas.__file__).parent
# Lower layers first: a module may import from its own package or from an earlier one.
LAYERS = ["errors", "spec", "store", "sources", "engine", "texts", "exports", "maps", "build",
          "cli"]


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("atlas."):
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("atlas.")]
    return found


def test_at_most_twelve_top_level_modules_or_packages():
    top = [p.name for p in PACKAGE.iterdir()
           if p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").is_file())]
    assert len(top) <= 12, sorted(top)
    assert {p.removesuffix(".py") for p in top} <= {*LAYERS, "__init__", "api"}


def test_no_module_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long


def test_no_import_from_a_lower_layer_to_a_higher_one():
    rank = {name: index for index, name in enumerate(LAYERS)}
    upward = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        here = parts[0].removesuffix(".py")
        for line, module in _imports(path):
            there = module.split(".")[1]
            if here in rank and there in rank and rank[there] > rank[here]:
                upward.append(f"{'/'.join(parts)}:{line} imports {module}")
    assert not upward


def test_every_package_names_its_public_api():
    for init in PACKAGE.glob("*/__init__.py"):
        text = init.read_text(encoding="utf-8")
        assert ast.get_docstring(ast.parse(text)), init


def test_import_atlas_is_light_and_lists_its_api():
    assert set(atlas.__all__) >= {"open_atlas", "composition_indices", "collapse_risk", "rank",
                                  "allocate"}
    for name in atlas.__all__:
        assert getattr(atlas, name) is not None
    with pytest.raises(AttributeError):
        atlas.no_such_call  # noqa: B018


def test_composition_indices_by_hand():
    composition = pd.DataFrame({"region_id": ["a", "a", "a", "b"],
                                "category": ["x", "y", "z", "x"],
                                "employment": [50.0, 30.0, 20.0, 10.0]})
    scores = pd.DataFrame({"category": ["x", "y"], "score": [1.0, 0.0],
                           "substitutable": [1.0, 0.0]})
    out = atlas.composition_indices(
        composition, scores, groups={"x": "g1", "y": "g1", "z": "g2"}, sheltered=["x"])
    a, b = out.set_index("region_id").loc[["a", "b"]].itertuples()
    assert a.total_employment == 100 and b.total_employment == 10
    assert a.exposure_mean == pytest.approx(50 / 80)  # z has no score: unscored
    assert a.substitutable_share == pytest.approx(0.0)  # x is sheltered
    # two groups, shares 0.8 / 0.2 of a's jobs: entropy / ln 2
    assert a.group_entropy == pytest.approx(-(0.8 * np.log(0.8) + 0.2 * np.log(0.2)) / np.log(2))
    assert len(out) == 2


def test_collapse_risk_orders_the_mechanism():
    frame = pd.DataFrame({"substitutable_share": [0.3, 0.3, 0.1],
                          "employment_change": [-10.0, 40.0, -10.0]},
                         index=["shock and decline", "shock, growing", "decline, no shock"])
    out = atlas.collapse_risk(frame)
    assert out["risk_rank"].idxmin() == "shock and decline"
    assert out.loc["shock and decline", "collapse_risk"] > out["collapse_risk"].drop(
        "shock and decline").max()


@pytest.mark.realdata
def test_collapse_risk_equals_the_stored_risk_of_every_level(atlas_con):
    """The public call reproduces the build's collapse risk from the build's components."""
    config = load_config()
    model = active_model(config)
    values = atlas_con.execute(
        "SELECT v.level, v.region_id, v.indicator, v.value, b.total_employment "
        "FROM region_indicator_values AS v JOIN region_base AS b USING (level, region_id)"
    ).df()
    stored = atlas_con.execute(
        "SELECT level, region_id, collapse_risk, risk_rank FROM region_risk").df()
    checked = 0
    for level in ("us_area", "cn_city", "country"):
        wide = values.loc[values["level"] == level].pivot_table(
            index="region_id", columns="indicator", values="value", aggfunc="first")
        wide["size"] = values.loc[values["level"] == level].groupby("region_id")[
            "total_employment"].first()
        mine = atlas.collapse_risk(wide, model, level=level, size="size")
        theirs = stored.loc[stored["level"] == level].set_index("region_id")
        joined = mine.join(theirs.add_suffix("_stored"), how="inner")
        assert len(joined) == len(theirs)
        np.testing.assert_allclose(joined["collapse_risk"], joined["collapse_risk_stored"],
                                   atol=1e-9, equal_nan=True)
        checked += 1
    assert checked == 3
