"""What the first frame of a map page waits for, cut to what it needs (issue 32 item 4).

The pages are pure ASCII (JSON with ``\\uXXXX``, HTML text with character references: see
:func:`ascii_html`) and say ``<meta charset="utf-8">`` first, once (folium's own declaration,
``FOLIUM_CHARSET``, is removed): Chromium then decodes them in its one-byte path, and does not
guess the encoding of a local file from its bytes (measured in docs/maps_frontend.md).

The early drawing (``atlas_early.js``) is the page's first frame. It needs the map's box
(folium's sizing styles) and a few rules of ``atlas_map.css`` (those before ``EARLY_RULES_END``),
not Leaflet's CSS nor the panels', legend's and print rules: parsing those, and matching them in
the style recalculation that the early drawing forces when it measures the box, delayed that
frame. :func:`defer_styles` moves the head's ``<style>`` elements, in their order, to right after
the early drawing's script (before Leaflet's script, so nothing else is drawn without them), and
puts in their place one ``<style>`` with copies of the rules the first frame needs. The later
copies come after those in the cascade and are the same rules, so the final rendering is the
same as with every style in the head.
"""

from __future__ import annotations

import html
import re

EARLY_RULES_END = "/* end of the early drawing's rules */"
FOLIUM_CHARSET = '<meta http-equiv="content-type" content="text/html; charset=UTF-8" />'


def ascii_html(text: str) -> str:
    """``html.escape(text)`` in ASCII: other characters as references (``&#40548;``), which the
    page shows as the characters themselves."""
    return html.escape(text).encode("ascii", "xmlcharrefreplace").decode("ascii")


def early_rules(atlas_css: str) -> str:
    """The rules of ``atlas_map.css`` that the early drawing needs (before the marker)."""
    if EARLY_RULES_END not in atlas_css:
        raise ValueError(f"atlas_map.css lacks the marker {EARLY_RULES_END!r}")
    return atlas_css.split(EARLY_RULES_END)[0]


def defer_styles(document: str, anchor: str, atlas_css: str, large: tuple[str, ...]) -> str:
    """``document`` with its head's ``<style>`` elements moved after ``anchor`` (in their order).

    Parameters
    ----------
    document : str
        A rendered map page.
    anchor : str
        The early drawing's ``<script>...</script>``, once in the body.
    atlas_css : str
        The page's ``atlas_map.css``; its :func:`early_rules` are copied into the head.
    large : tuple of str
        The contents of the styles the first frame does not need at all (Leaflet's CSS and
        ``atlas_map.css``); every other head style (folium's sizing) is copied into the head.

    Returns
    -------
    str
        The page, with one ``<style>`` in the head where the first one was (unchanged when it
        has no head, no style in it, or not exactly one ``anchor``).
    """
    head_end = document.find("</head>")
    styles = re.findall(r"<style>.*?</style>", document[:max(head_end, 0)], re.S)
    if not styles or document.count(anchor) != 1:  # no head, no style, or no single anchor
        return document
    first = document.index(styles[0])
    head = document[:head_end]
    for style in styles:
        head = head.replace(style, "", 1)
    small = [style[7:-8] for style in styles if style[7:-8] not in large]
    critical = "<style>" + early_rules(atlas_css) + "\n".join(small) + "</style>"
    head = head[:first] + critical + head[first:]
    body = document[head_end:].replace(anchor, anchor + "".join(styles), 1)
    return head + body
