"""The China page is bilingual throughout: every line a planner reads (side panel, legend of
every layer, method, sources and terms, profile, tooltip) has Chinese, and the Chinese method
texts state the thresholds of the configuration in use."""

from __future__ import annotations

import os
import re

import pytest

from atlas.spec.config import load_config
from atlas.spec.config_types import AtlasConfig
from atlas.texts import method_text, method_zh
from tests.browser import browser_available, hover, map_page, open_profile

needs_browser = pytest.mark.skipif(not browser_available() and not os.environ.get("CI"),
                                   reason="headless Chromium / Playwright not installed")

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LETTERS = re.compile(r"[A-Za-z]")

# Every visible line of the panels, split as the reader sees them (details opened first).
LINES = """(selector) => {
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  const el = document.querySelector(selector);
  return el ? el.innerText.split("\\n").map((l) => l.trim()).filter(Boolean) : [];
}"""


def english_only(lines: list[str], names: list[str]) -> list[str]:
    """The lines with words but no Chinese character; numbers, signs and the ``names`` (a
    source's own title, shown beside a figure) are allowed on their own."""
    out = []
    for line in lines:
        rest = line
        for name in names:
            rest = rest.replace(name, "")
        if LETTERS.search(rest) and not CJK.search(line):
            out.append(line)
    return out


def test_english_only_lines_are_found():
    lines = ["0.026 - 0.170", "×", "339,870 (Yearbook, 2019)", "Sources and terms",
             "来源 Sources", "1,200 (Yearbook, 2019) in all"]
    assert english_only(lines, ["Yearbook, 2019"]) == ["Sources and terms",
                                                      "1,200 (Yearbook, 2019) in all"]


@pytest.mark.browser
@needs_browser
def test_every_visible_line_of_the_china_page_has_chinese(real_maps):
    found: list[str] = []
    with map_page((real_maps / "cn_cities.html").as_uri()) as (page, refused, errors):
        text = page.evaluate("() => window.atlasMap.data.text")
        names = [text.get("employment_source") or ""]
        for selector in ("#atlas-side", ".atlas-header"):
            found += english_only(page.evaluate(LINES, selector), names)
        layers = page.locator(".atlas-layers input").evaluate_all("i => i.map((x) => x.value)")
        assert len(layers) >= 8
        for key in layers:
            page.locator(f".atlas-layers input[value='{key}']").check()
            found += [f"legend {key}: {line}"
                      for line in english_only(page.evaluate(LINES, "#atlas-legend"), names)]
        for region in ("150600", "230400", "653100"):  # Ordos, Hegang, Kashgar (no data)
            tooltip = hover(page, region)
            found += [f"tooltip {region}: {line}"
                      for line in english_only(tooltip.split("\n"), names)]
            open_profile(page, region)
            found += [f"profile {region}: {line}"
                      for line in english_only(page.evaluate(LINES, "#atlas-profile"), names)]
        assert refused == [] and errors == []
    assert found == []


def _changed(config: AtlasConfig) -> AtlasConfig:
    return config.with_overrides({
        "flags": {"trap_top_share": 0.15, "rust_belt_min_industrial_ratio": 1.4},
        "uncertainty": {"robust_share": 0.7}, "scenarios": {"central": {"adoption": 0.45}}})


def test_the_chinese_method_states_the_configured_numbers():
    config = _changed(load_config())
    flags = method_zh.flag_texts(config, "cn_city")
    assert "前15%" in flags["trap"] and "1.4倍" in flags["rust_belt"]
    assert "至少70%" in flags["robust_trap"]
    assert "截至年鉴年份的九年间" in flags["rust_belt"]  # the level's own window, in Chinese
    assert "采用率 0.45" in method_zh.named_text(config, "scenario:central", "cn_city")
    # the English says the same numbers
    english = method_text.flag_texts(config, "cn_city")
    assert "top 15%" in english["trap"] and "1.4 x" in english["rust_belt"]


def test_every_english_method_line_has_its_chinese_line():
    config = load_config()
    english = method_text.method_lines(config, "cn_city")
    both = method_zh.method_in(("zh", "en"), config, "cn_city", english)
    assert [item for item, _ in both] == [item for item, _ in english]
    for (item, en), (_, joined) in zip(english, both, strict=True):
        assert joined.endswith(en) and CJK.search(joined[: len(joined) - len(en)]), item
    # the pillar lines carry the pillar weights of the model in use, as the English ones
    pillars = [text for item, text in both if item == "pillar"]
    assert len(pillars) == 2 and all("权重 0.5" in text for text in pillars)
    # an English-only map is left as it was
    assert method_zh.method_in(("en",), config, "cn_city", english) == english
