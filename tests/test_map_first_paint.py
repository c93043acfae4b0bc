"""What the first frame of a map page waits for (issue 32 item 4, round s6): the page is ASCII
with its charset said first, once; the head holds only the styles the early drawing needs, the
others follow the early drawing in their order; and the final page is the same, pixel for
pixel, as with every style in the head. Synthetic DATA (tests/map_fixture.py), CJK names."""

from __future__ import annotations

import html
import os
import re

import pytest

from atlas.maps import page as page_module
from atlas.maps.assets import leaflet_assets
from atlas.maps.first_paint import EARLY_RULES_END, defer_styles, early_rules
from atlas.maps.page import TEMPLATES, page_data, render_page
from tests.browser import assert_same_screens, browser_available
from tests.map_fixture import fixture_data

needs_browser = pytest.mark.skipif(not browser_available() and not os.environ.get("CI"),
                                   reason="needs /usr/bin/chromium and playwright")
CJK_TITLE = "AI 与地方就业陷阱：中国地级市 “test” & <b>"


def _data() -> dict:
    data = fixture_data()
    data["text"]["title"] = CJK_TITLE
    data["text"]["howto"] = "每个多边形 · Each polygon"
    return data


def test_page_is_ascii_with_one_charset_first():
    data = _data()
    document = render_page(data)
    assert document.isascii()
    assert document.startswith('<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">')
    assert len(re.findall(r"<meta[^>]*charset", document, re.I)) == 1
    # the texts are the same once parsed: names (JSON escapes), title and description (references)
    unpacked = page_data(document)
    assert unpacked["regions"]["r01"]["n"] == "鹤岗市 Hegang" == data["regions"]["r01"]["n"]
    assert unpacked["regions"] == page_data(render_page(fixture_data()))["regions"]
    title = document.split("<title>")[1].split("</title>")[0]
    assert html.unescape(title) == CJK_TITLE and "<b>" not in title
    assert 'content="&#27599;&#20010;&#22810;&#36793;&#24418; &#183; Each polygon"' in document


def test_head_keeps_only_the_rules_of_the_first_frame():
    document = render_page(fixture_data())
    head, body = document.split("</head>")
    css = (TEMPLATES / "atlas_map.css").read_text(encoding="utf-8")
    leaflet = leaflet_assets().css
    assert head.count("<style>") == 1 and leaflet not in head and css not in head
    critical = head.split("<style>")[1].split("</style>")[0]
    assert critical.startswith(early_rules(css)) and "svg.atlas-early" in early_rules(css)
    assert "#atlas_map {" in critical and ".leaflet-control" not in critical
    # every style of the head, whole and in its order, right after the early drawing and
    # before Leaflet's script: Leaflet's CSS, the atlas CSS, then folium's sizing (copied above)
    early = body.index('atlasEarly({"id":')
    styles = re.findall(r"<style>(.*?)</style>", body, re.S)
    assert styles[:2] == [leaflet, css]
    assert critical == early_rules(css) + "\n".join(styles[2:])
    assert early < body.index(f"<style>{leaflet}") < body.index(f"<script>{leaflet_assets().js}")
    # a page without the marker is refused, not silently drawn without its early rules
    with pytest.raises(ValueError, match="lacks the marker"):
        early_rules(css.replace(EARLY_RULES_END, ""))
    assert defer_styles(body, "<script>", css, ()) == body  # no head: nothing to move


@pytest.mark.browser
@needs_browser
def test_final_page_equals_the_page_with_every_style_in_the_head(browser, tmp_path, monkeypatch):
    data = _data()
    moved = render_page(data)
    monkeypatch.setattr(page_module, "defer_styles", lambda document, *args: document)
    head = render_page(data)
    assert head.split("</head>")[0].count("<style>") == 5 and moved != head
    (tmp_path / "moved.html").write_text(moved, encoding="ascii")
    (tmp_path / "head.html").write_text(head, encoding="ascii")
    assert_same_screens(browser, tmp_path / "moved.html", tmp_path / "head.html",
                        f"#layer={data['layers'][1]['key']}&sel=r01")
