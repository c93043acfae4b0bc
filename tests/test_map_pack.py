"""The packed page DATA (atlas.maps.pack): Python and the page's decoder restore the contract.

What is packed must come back exactly (texts, numbers, booleans, nulls, nesting, key order),
coordinates to their grid; the page's JavaScript must decode to the same DATA as Python; and
the real pages must be at most half of what the same DATA takes as plain JSON.
"""

from __future__ import annotations

import copy
import json

import pytest

from atlas.maps.pack import (
    DIGITS,
    decode_deltas,
    encode_deltas,
    pack,
    pack_features,
    unpack,
    unpack_features,
)
from atlas.maps.page import page_data, render_page, safe_json
from tests.browser import checked_pages
from tests.map_fixture import fixture_data

MAPS = {"us_area": "us_areas.html", "cn_city": "cn_cities.html", "country": "world.html"}


def tricky_data() -> dict:
    """The fixture DATA with texts and values that a careless packing would confuse."""
    data = fixture_data()
    regions = data["regions"]
    regions["r00"]["missing"] = ["~5", "~~", "~", "plain", "~5"]  # texts like references
    regions["r01"]["missing"] = ["~5", "n0", "b1", "t", "plain"]  # like the packer's keys
    regions["r02"]["extra"] = [True, 1, 1.0, False, 0, None, 0.5, -1, [-1], [], {}, "-1"]
    regions["r03"]["extra"] = [True, 1, 1.0, False, 0, None, 0.5, -1, [-1], [], {}, "-1"]
    regions["r04"]["nested"] = {"a": [{"b": [1, 2, 3]}, {"b": [1, 2, 3]}], "c": "same words"}
    regions["r05"]["nested"] = {"c": "same words", "a": [{"b": [1, 2, 3]}]}  # other key order
    return data


def plain(data: dict) -> dict:
    """DATA as the page's JSON reads it back."""
    return json.loads(json.dumps(data))


def test_regions_come_back_exactly():
    data = tricky_data()
    again = unpack(json.loads(safe_json(pack(data))))
    assert again["regions"] == plain(data)["regions"]
    assert list(again["regions"]) == list(data["regions"])  # the order of the regions
    for rid, region in data["regions"].items():  # and of every object's keys
        assert list(again["regions"][rid]) == list(region)
    assert list(again["regions"]["r05"]["nested"]) == ["c", "a"]
    extra = again["regions"]["r02"]["extra"]
    assert [type(v) for v in extra[:6]] == [bool, int, int, bool, int, type(None)]
    assert {k: v for k, v in again.items() if k not in ("geo", "outlines", "regions")} == \
        {k: v for k, v in plain(data).items() if k not in ("geo", "outlines", "regions")}


def test_repeated_texts_and_lists_are_stored_once():
    data = fixture_data()
    label = "A long label every region repeats, stored once"
    for region in data["regions"].values():
        region["missing"] = [label]
        region["trend"] = {"label": label, "years": list(range(2000, 2024)), "values": None}
    packed = json.loads(safe_json(pack(data)))
    blob = json.dumps(packed["regions"])
    assert blob.count(label) == 1 and blob.count("2000, 2001") == 1
    assert "label" not in json.dumps(packed["regions"]["rows"])  # keys live in `shapes`
    assert unpack(packed)["regions"] == plain(data)["regions"]


def _mixed_classes() -> dict:
    """The fixture DATA with one region whose classes have other keys: no columns then."""
    data = tricky_data()
    data["regions"]["r07"]["c"] = {"risk": 1}
    return data


@pytest.mark.parametrize("make", [tricky_data, _mixed_classes])
def test_classes_by_column_for_the_first_paint(make):
    data = make()
    packed = json.loads(safe_json(pack(data)))
    index = packed["index"]
    assert index["ids"] == list(data["regions"]) and "ids" not in packed["regions"]
    if make is tricky_data:  # every region's classes have the same keys, or none
        layer_keys = list(data["regions"]["r00"]["c"])
        assert index["keys"] == layer_keys
        assert index["c"][layer_keys.index("share")][3] == data["regions"]["r03"]["c"]["share"]
        assert [data["regions"][index["ids"][i]]["c"] for i in index["empty"]] == [{}, {}]
        assert all(data["regions"][index["ids"][i]].get("nodata") for i in index["nodata"])
    else:
        assert "keys" not in index
    again = unpack(packed)
    assert again["regions"] == plain(data)["regions"]
    for rid, region in data["regions"].items():  # "c" keeps its place among the keys
        assert list(again["regions"][rid]) == list(region)


def test_the_page_holds_what_the_paint_needs_before_its_script():
    document = render_page(tricky_data())
    first = document.index('<script id="atlas-first" type="application/json">')
    script = document.index("(async function () {")
    rest = document.index('<script id="atlas-data" type="application/json">')
    assert first < document.index('id="atlas_map"') < script < rest
    head = json.loads(document[first:].split(">", 1)[1].split("</script>")[0])
    tail = json.loads(document[rest:].split(">", 1)[1].split("</script>")[0])
    assert {"geo", "index", "layers"} <= set(head) and not {"regions", "outlines"} & set(head)
    assert {"regions", "outlines"} <= set(tail) and not set(head) & set(tail)
    assert page_data(document)["regions"] == plain(tricky_data())["regions"]


def test_coordinates_on_the_grid_as_deltas():
    square = [[[10.0004, 20.0], [10.5, 20.0], [10.5, 20.5], [10.0, 20.5], [10.0004, 20.0]]]
    line = [[-106.131, 21.602999999999998], [-106.131, 31.859]]
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "a", "properties": {},
         "geometry": {"type": "Polygon", "coordinates": square}},
        {"type": "Feature", "id": "b", "properties": {},
         "geometry": {"type": "MultiPolygon", "coordinates": [square, square]}},
        {"type": "Feature", "id": "c", "properties": {},
         "geometry": {"type": "LineString", "coordinates": line}}]}
    packed = pack_features(collection, 0.001)
    assert packed["types"] == "PML" and packed["ids"] == ["a", "b", "c"]
    # absolute, then deltas, each zigzagged (2d, or -2d - 1) in 5-bit groups, the lowest first,
    # +32 while more follow: 10000 -> 20000 = 0 + 17 * 32 + 19 * 1024 -> 32, 49, 19 = "gxT";
    # 20000 -> 40000 = 0, 2, 7, 1 -> "ginB"; 500 -> 1000 = 8, 31 -> "of"; 0 -> "A"
    assert packed["coords"][0][0].startswith("gxTginBofA")
    assert decode_deltas(packed["coords"][0][0])[:4] == [10000, 20000, 500, 0]
    assert decode_deltas(packed["coords"][1][0][0])[:4] == [0, 0, 500, 0]  # from the previous
    back = unpack_features(json.loads(json.dumps(packed)))
    assert back["features"][0]["geometry"]["coordinates"][0][0] == [10.0, 20.0]
    assert back["features"][2]["geometry"]["coordinates"] == [[-106.131, 21.603],
                                                               [-106.131, 31.859]]
    assert back["features"][1]["geometry"]["coordinates"][1] == \
        back["features"][0]["geometry"]["coordinates"]
    old = {**packed, "coords": [[[10000, 20000, 500, 0, 0, 500, -500, 0, 0, -500]], [], []]}
    assert unpack_features({**old, "types": "P", "ids": ["a"], "coords": old["coords"][:1]})[
        "features"][0]["geometry"]["coordinates"] == \
        back["features"][0]["geometry"]["coordinates"]  # version 2: lists of integers
    with_props = copy.deepcopy(collection)
    with_props["features"][0]["properties"] = {"name": "kept"}
    assert pack_features(with_props, 0.001) is with_props  # anything else stays GeoJSON


# ---------------------------------------------------------------- in the browser
def decoded_in_page(browser, path) -> dict:
    """DATA as the page's scripts see it (geo, outlines and regions)."""
    with checked_pages(browser, path.as_uri()) as open_:
        page = open_()
        return json.loads(page.evaluate("JSON.stringify({geo: window.atlasMap.data.geo, "
                                        "outlines: window.atlasMap.data.outlines, "
                                        "regions: window.atlasMap.data.regions})"))


@pytest.mark.browser
@pytest.mark.parametrize("make", [tricky_data, _mixed_classes])
def test_the_page_decodes_what_python_packed(browser, tmp_path, make):
    data = make()
    path = tmp_path / "tricky.html"
    path.write_text(render_page(data), encoding="utf-8")
    seen = decoded_in_page(browser, path)
    expected = plain(data)
    assert seen["regions"] == expected["regions"]
    assert seen["geo"] == expected["geo"] and seen["outlines"] == expected["outlines"]


@pytest.mark.realdata
@pytest.mark.browser
def test_real_pages_decode_in_the_browser_as_in_python(browser, real_maps):
    for filename in MAPS.values():
        path = real_maps / filename
        seen = decoded_in_page(browser, path)
        expected = plain(page_data(path.read_text(encoding="utf-8")))
        assert seen["regions"] == expected["regions"], filename
        assert seen["geo"] == expected["geo"], filename


@pytest.mark.realdata
def test_real_pages_carry_their_data_in_half_the_json(real_maps, atlas_con):
    from atlas.maps.data import map_data
    from atlas.maps.specs import load_map_specs

    specs = load_map_specs()
    for level, filename in MAPS.items():
        document = (real_maps / filename).read_text(encoding="utf-8")
        stored = "".join(document.split(f'<script id="{name}" type="application/json">')[1]
                         .split("</script>")[0] for name in ("atlas-first", "atlas-data"))
        data = map_data(atlas_con, specs[level])
        unpacked = page_data(document)
        assert unpacked["regions"] == plain(data)["regions"], level
        assert len(stored.encode()) <= 0.5 * len(safe_json(data).encode()), level


def test_ring_text_digits():
    """Zigzag 5-bit groups (hand-computed), a round trip at the limits, and the errors."""
    import numpy as np

    assert encode_deltas(np.array([0, 1, -1, 15, -16, 16])) == "ACBefgB"
    values = [0, 15, -16, 16, -17, 511, 512, -512, -513, 2**29 - 1, -(2**29)]
    text = encode_deltas(np.array(values))
    assert decode_deltas(text) == values and set(text) <= set(DIGITS)
    assert safe_json(text) == json.dumps(text)  # nothing escaped in the page
    with pytest.raises(ValueError, match="too large"):
        encode_deltas(np.array([2**29]))
    with pytest.raises(ValueError, match="ends inside a number"):
        decode_deltas("g")
