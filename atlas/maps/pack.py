"""The map DATA as a page stores it: texts once per page, coordinates on a grid as deltas.

A page's DATA (the contract of :mod:`atlas.maps.page`) repeats a lot per region: every region
carries the labels of its pillars and components, the scenarios' names, the years of its
trend and the keys of every layer, and GeoJSON writes every vertex as two decimal numbers.
``pack(data)`` writes the same DATA smaller, and ``atlas/maps/templates/atlas_decode.js`` (or
:func:`unpack` in Python) restores it before anything reads it, so the page's scripts see the
contract unchanged.

The packed form
---------------
``packed``
    The version of this form (``3``; ``2`` stored each ring as a list of integers, still read
    by :func:`unpack`); DATA without it is read as it is.
``geo``, ``outlines``
    ``{"grid": g, "ids": [...], "types": "PMPL...", "coords": [...]}``: one letter per feature
    (``P`` Polygon, ``M`` MultiPolygon, ``L`` LineString) and its coordinates as integers on
    the grid ``g`` (the display geometry's precision, 0.001 degrees), each ring one text
    holding, for each vertex, x then y as the difference to the previous vertex of the
    collection (the first vertex of the collection from 0, 0). Each difference ``d`` is
    zigzagged (``2d`` for ``d >= 0``, ``-2d - 1`` otherwise) and written in 5-bit groups, the
    lowest first, each group one character of :data:`DIGITS` (its index: the group, plus 32
    when more groups follow): a difference under 16 in size takes one character, under 512
    two (JSON's digit lists took about twice as many). A collection with anything else
    (properties, other geometries) stays GeoJSON.
``regions``
    ``{"ids": [...], "rows": [...], "shapes": [[key, ...], ...], "words": [...]}``. A row is
    a region encoded as below, ``ids`` their region ids in order:

    - an object is ``[shape, value, ...]``: its keys are ``shapes[shape]`` (an integer >= 0);
    - a list is ``[-1, item, ...]``;
    - ``"~12"`` is ``words[12]`` (decoded in turn): every text, and every list of the
      same content, that is repeated across regions is stored once in ``words``. A literal
      text starting with ``~`` is written with a second ``~`` in front;
    - numbers, true, false and null are themselves (a whole float is written as an integer).

    When every region has classes ``c`` with the same layer keys (or none), they are stored
    by column in ``index`` (below) and each region's ``c`` is ``0`` in its row (it keeps its
    place among the region's keys).
``index``
    ``{"ids": [...], "keys": [...], "c": [[class, ...], ...], "empty": [i, ...],
    "nodata": [i, ...]}``: the regions' ids; and, when the classes are stored by column (every
    region's ``c`` has the same keys or none), the layer keys, one list of classes per key
    (in the order of ``ids``), the positions of the regions whose ``c`` is empty and of those
    with ``nodata``. This is what the page needs to paint the regions in their colours before it
    reads the regions' rows (``atlas_paint.js``); :func:`split` puts it with the geometry.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from atlas.maps.display_geometry import PRECISION

VERSION = 3  # 3: each ring one text of zigzag 5-bit digits (2: a list of integers)
# The 64 digits of a ring's text: none is escaped in JSON or by atlas.maps.render.safe_json
DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_DIGIT_BYTES = np.frombuffer(DIGITS.encode("ascii"), dtype=np.uint8)
_DIGIT_VALUES = {c: i for i, c in enumerate(DIGITS)}
_GROUPS = 6  # 5-bit groups of the largest difference allowed (30 bits)
# What the page reads before its first paint (atlas/maps/page.py writes them before the script)
FIRST = ("packed", "geo", "index", "layers", "flags", "text", "nodata", "count", "bounds",
         "languages")
KINDS = {"Polygon": "P", "MultiPolygon": "M", "LineString": "L"}
DEPTH = {"P": 2, "M": 3, "L": 1}  # nesting of the rings in a feature's coordinates
SHARED_MIN = 6  # a repeated list is stored once when its JSON is at least this long


def pack(data: dict[str, Any], grid: float = PRECISION) -> dict[str, Any]:
    """DATA in the packed form (see the module docstring).

    Parameters
    ----------
    data : dict
        DATA following the contract of :mod:`atlas.maps.page`.
    grid : float, default ``atlas.maps.display_geometry.PRECISION``
        The coordinates' grid in degrees; vertices are rounded to it.

    Returns
    -------
    dict
        The same DATA, with ``packed``, packed ``geo``, ``outlines`` and ``regions``.
    """
    out = dict(data)
    for key in ("geo", "outlines"):
        if isinstance(data.get(key), dict):
            out[key] = pack_features(data[key], grid)
    out["regions"], out["index"] = pack_index(data["regions"])
    out["packed"] = VERSION
    return out


def split(packed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Packed DATA in two parts: what the first paint needs (:data:`FIRST`) and the rest."""
    first = {k: v for k, v in packed.items() if k in FIRST}
    return first, {k: v for k, v in packed.items() if k not in FIRST}


def pack_index(regions: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The regions packed (:func:`pack_regions`, without their ids) and their ``index``."""
    index: dict[str, Any] = {"ids": list(regions)}
    keys = {tuple(r["c"]) if isinstance(r.get("c"), dict) else None for r in regions.values()}
    if None not in keys and len(keys - {()}) == 1:
        (layer_keys,) = keys - {()}
        rows = list(regions.values())
        index["keys"] = list(layer_keys)
        index["c"] = [[r["c"].get(k) for r in rows] for k in layer_keys]
        index["empty"] = [i for i, r in enumerate(rows) if not r["c"]]
        index["nodata"] = [i for i, r in enumerate(rows) if r.get("nodata")]
        regions = {rid: {**r, "c": 0} for rid, r in regions.items()}
    packed = pack_regions(regions)
    del packed["ids"]
    return packed, index


def unpack(data: dict[str, Any]) -> dict[str, Any]:
    """DATA restored from :func:`pack` (DATA that is not packed is returned as it is)."""
    if data.get("packed") not in (1, 2, VERSION):  # 1: the regions' ids in `regions`, no index
        return data
    out = {k: v for k, v in data.items() if k != "packed"}
    for key in ("geo", "outlines"):
        if isinstance(data.get(key), dict) and "grid" in data[key]:
            out[key] = unpack_features(data[key])
    index = out.pop("index", None) or {"ids": data["regions"]["ids"]}
    out["regions"] = unpack_regions({**data["regions"], "ids": index["ids"]})
    if index.get("keys"):
        empty = set(index["empty"])
        for i, region in enumerate(out["regions"].values()):
            region["c"] = {} if i in empty else {
                key: index["c"][j][i] for j, key in enumerate(index["keys"])}
    return out


def pack_features(collection: dict[str, Any], grid: float) -> dict[str, Any]:
    """A GeoJSON FeatureCollection as grid deltas, or as it is when it holds anything else."""
    features = collection.get("features", [])
    if set(collection) != {"type", "features"} or any(
            set(f) - {"type", "id", "properties", "geometry"} or f.get("properties")
            or (f.get("geometry") or {}).get("type") not in KINDS for f in features):
        return collection
    rings: list[list] = []  # every ring of the collection, in order

    def nested(value: list, depth: int) -> Any:  # the ring's number in `rings`
        if depth == 1:
            rings.append(value)
            return len(rings) - 1
        return [nested(v, depth - 1) for v in value]

    kinds = ""
    shapes = []
    for feature in features:
        kind = KINDS[feature["geometry"]["type"]]
        kinds += kind
        shapes.append(nested(feature["geometry"]["coordinates"], DEPTH[kind]))
    texts = ring_texts(rings, grid)

    def text(value: Any) -> Any:
        return texts[value] if isinstance(value, int) else [text(v) for v in value]

    return {"grid": grid, "ids": [f.get("id") for f in features], "types": kinds,
            "coords": [text(shape) for shape in shapes]}


def ring_texts(rings: list[list], grid: float) -> list[str]:
    """The text of each ring (:func:`encode_deltas`) of a collection's ``rings`` (lists of
    ``[x, y]``, in order), each vertex as the difference to the previous vertex of the
    collection (the first from 0, 0) on the grid ``grid``: every ring's numbers at once (one
    NumPy pass over the collection, not one per ring; the same texts)."""
    sizes = np.array([len(ring) for ring in rings], dtype=np.int64)
    if not sizes.sum():
        return [""] * len(rings)
    points = np.array([point for ring in rings for point in ring], dtype=float)
    on_grid = np.rint(points * (1 / grid)).astype(np.int64)
    deltas = np.diff(on_grid, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
    flat, widths = _digits(deltas)
    ends = np.concatenate([[0], np.cumsum(widths)])[2 * np.cumsum(sizes)].tolist()
    return [flat[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]


def unpack_features(packed: dict[str, Any]) -> dict[str, Any]:
    """The FeatureCollection of :func:`pack_features` (vertices on its grid)."""
    scale = round(1 / packed["grid"])
    names = {letter: name for name, letter in KINDS.items()}
    x = y = 0

    def ring(flat: str | list[int]) -> list[list[float]]:
        nonlocal x, y
        points = []
        flat = decode_deltas(flat) if isinstance(flat, str) else flat  # a list: version 2
        for dx, dy in zip(flat[::2], flat[1::2], strict=True):
            x, y = x + dx, y + dy
            points.append([x / scale, y / scale])
        return points

    def nested(value: list, depth: int) -> list:
        return ring(value) if depth == 1 else [nested(v, depth - 1) for v in value]

    features = [{"type": "Feature", "id": fid, "properties": {},
                 "geometry": {"type": names[kind], "coordinates": nested(c, DEPTH[kind])}}
                for fid, kind, c in zip(packed["ids"], packed["types"], packed["coords"],
                                        strict=True)]
    return {"type": "FeatureCollection", "features": features}


def encode_deltas(deltas: np.ndarray) -> str:
    """Integers as the text of a ring (zigzag, 5-bit groups as :data:`DIGITS`).

    Parameters
    ----------
    deltas : numpy.ndarray
        One-dimensional integers, each under 2**29 in size.

    Returns
    -------
    str
        Their text; :func:`decode_deltas` reads it back.

    Raises
    ------
    ValueError
        When a value is too large for six groups.
    """
    return _digits(deltas)[0]


def _digits(deltas: np.ndarray) -> tuple[str, np.ndarray]:
    """:func:`encode_deltas`'s text and the number of characters of each integer."""
    values = np.asarray(deltas, dtype=np.int64)
    zigzag = np.where(values < 0, -2 * values - 1, 2 * values)
    if zigzag.size and zigzag.max() >= 1 << (5 * _GROUPS):
        raise ValueError(f"a coordinate step of {int(np.abs(values).max())} grid units is too "
                         f"large to pack (at most {(1 << (5 * _GROUPS - 1)) - 1})")
    groups = (zigzag[:, None] >> (5 * np.arange(_GROUPS))) & 31
    count = np.ones(len(zigzag), dtype=np.int64)
    for k in range(1, _GROUPS):
        count += zigzag >= 1 << (5 * k)
    used = np.arange(_GROUPS)[None, :] < count[:, None]
    more = np.arange(_GROUPS)[None, :] < count[:, None] - 1
    digits = groups + 32 * more
    return _DIGIT_BYTES[digits[used]].tobytes().decode("ascii"), count


def decode_deltas(text: str) -> list[int]:
    """The integers of a ring's text (:func:`encode_deltas`)."""
    out, value, shift = [], 0, 0
    for char in text:
        digit = _DIGIT_VALUES[char]
        value |= (digit & 31) << shift
        shift += 5
        if digit < 32:
            out.append(value >> 1 if value % 2 == 0 else -(value >> 1) - 1)
            value, shift = 0, 0
    if shift:
        raise ValueError(f"a ring's text ends inside a number: {text[-8:]!r}")
    return out


def pack_regions(regions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The regions with each object's keys, and each repeated text or list, stored once.

    A value's kind is looked up by its exact type (``float``, ``str``, ``dict``, ``list``,
    ``int``, ``bool``, None); any other value (a subclass such as ``numpy.float64``, a tuple)
    finds its kind by ``isinstance`` (:func:`_kind`), and every kind is then handled the same
    way (tests/test_map_fast_paths.py compares this with the former form on every drawn
    map's regions)."""
    shapes: dict[tuple[str, ...], int] = {}
    nodes: dict[tuple[Any, ...], str] = {}  # a list's content -> its key "n<number>"
    bodies: list[tuple[Any, ...]] = []
    uses: dict[str, int] = {}  # in the order of first use (ties of the sort below)
    seen, known, fast = uses.get, nodes.get, _FAST

    def node(value: Any) -> Any:
        """The value's key: "t<text>", "n<list>", "b0"/"b1", or the number or None."""
        kind = fast.get(type(value)) or _kind(value)
        if kind == 1:  # float
            return int(value) if value.is_integer() and abs(value) < 2**53 else value
        if kind == 2:  # str
            key = "t~" + value if value[:1] == "~" else "t" + value
            uses[key] = seen(key, 0) + 1
            return key
        if kind == 3:  # dict
            head = shapes.setdefault(tuple(value), len(shapes))
            body = (head, *[node(v) for v in value.values()])
        elif kind == 4:  # list or tuple
            body = (-1, *[node(v) for v in value])
        elif kind == 5:  # int, None
            return value
        else:  # bool
            return "b1" if value else "b0"
        key = known(body)
        if key is None:
            key = nodes[body] = f"n{len(bodies)}"
            bodies.append(body)
        uses[key] = seen(key, 0) + 1
        return key

    tops = [node(region) for region in regions.values()]
    shared = [k for k, n in uses.items() if n > 1 and (
        len(k) > SHARED_MIN if k[0] == "t" else len(bodies[int(k[1:])]) > 2)]
    shared.sort(key=lambda k: -uses[k])  # the most used get the shortest references
    index = {k: i for i, k in enumerate(shared)}
    where = index.get
    words: list[Any] = [None] * len(shared)

    def emit(key: Any, top: bool = False) -> Any:
        if type(key) is not str:
            return key
        first = key[0]
        if first == "b":
            return key == "b1"
        i = where(key)
        if first == "t":
            if i is None:
                return key[1:]
            words[i] = key[1:]
        else:
            if i is None or top:
                return [emit(k) for k in bodies[int(key[1:])]]
            if words[i] is None:
                words[i] = [emit(k) for k in bodies[int(key[1:])]]
        return f"~{i}"

    return {"ids": list(regions), "rows": [emit(k, top=True) for k in tops],
            "shapes": [list(k) for k in shapes], "words": words}


# pack_regions's kinds of value by exact type (other types: _kind)
_FAST = {float: 1, str: 2, dict: 3, list: 4, int: 5, type(None): 5, bool: 6}


def _kind(value: Any) -> int:
    """The kind (as in ``_FAST``) of a value of another type, by ``isinstance`` (the kinds
    are disjoint): a float, text, object or list subclass, a tuple; anything else (NumPy's
    integers, ``pd.NA``) is kept as it is (kind 5)."""
    if isinstance(value, float):
        return 1
    if isinstance(value, str):
        return 2
    if isinstance(value, dict):
        return 3
    if isinstance(value, list | tuple):
        return 4
    return 6 if isinstance(value, bool) else 5


def unpack_regions(packed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The regions of :func:`pack_regions`."""
    shapes, words = packed["shapes"], packed["words"]

    def decode(value: Any) -> Any:
        if isinstance(value, list):
            items = [decode(v) for v in value[1:]]
            return items if value[0] < 0 else dict(zip(shapes[value[0]], items, strict=True))
        if isinstance(value, str) and value.startswith("~"):
            return value[1:] if value.startswith("~~") else decode(words[int(value[1:])])
        return value

    return {rid: decode(row) for rid, row in zip(packed["ids"], packed["rows"], strict=True)}
