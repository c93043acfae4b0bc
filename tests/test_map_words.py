"""Plain words on the map pages (issue 30, item 7): no "how likely" for a rank-based index, no
"specifications", a component's value beside what it measures (a rise is never a "decline"
of +0.7), rounded job counts where they are estimates, and the reason for a missing scenario
figure. Synthetic DATA in headless Chromium, every request refused; the real pages' texts."""

from __future__ import annotations

import copy
import os
import re

import pytest

from atlas.maps.page import render_page
from tests.browser import browser_available, map_page, open_profile
from tests.map_fixture import fixture_data

needs_browser = pytest.mark.skipif(not browser_available() and not os.environ.get("CI"),
                                   reason="needs /usr/bin/chromium and playwright")


def words_fixture() -> dict:
    data = copy.deepcopy(fixture_data())
    data["text"]["employment_digits"] = 3
    region = data["regions"]["r00"]
    region["emp"] = 43_578_264
    region["scenario"] = [dict(region["scenario"][0] if isinstance(region["scenario"], list)
                               else region["scenario"], shock_pp=None)]
    region["pillars"][-1]["components"].append(
        {"key": "prior_decline", "label": "Prior employment decline", "value": 0.0073,
         "fmt": "signed_pp", "percentile": 0.2, "detail": "Employment change 2000-2023"})
    return data


@pytest.mark.browser
@needs_browser
def test_profile_words(tmp_path):
    path = tmp_path / "words.html"
    path.write_text(render_page(words_fixture()), encoding="utf-8")
    with map_page(path.as_uri()) as (page, refused, errors):
        text = open_profile(page, "r00")
        assert "specifications" not in text
        assert "Under 90% of the model variants tried" in text
        assert "about 43,600,000" in text and "43,578,264" not in text
        assert "no labour-force figure for this place" in text
        assert "n/a percentage points" not in text
        assert re.search(r"Prior employment decline — Employment change 2000-2023: \+", text)
        assert "Prior employment decline: +" not in text
        assert refused == [] and errors == []


@pytest.mark.realdata
def test_real_pages_say_no_how_likely_nor_specifications(real_maps):
    for name in ("us_areas.html", "cn_cities.html", "world.html"):
        page = (real_maps / name).read_text(encoding="utf-8")
        assert "How likely" not in page, name
        assert "a ranking, not a probability or a forecast" in page, name
        assert "share of specifications" not in page, name
