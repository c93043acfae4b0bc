"""Leaflet's JavaScript and CSS, read from the installed ``django-js-lib-leaflet`` package.

The maps inline Leaflet so that a page makes no network request. The package ships Leaflet
1.9.4 as plain static files (``js_lib_leaflet/static/js_lib_leaflet/``) and needs no Django:
only its data files are read, its modules are never imported. Leaflet is never copied into
this repository.

The CSS refers to a few images (layer-switcher and marker icons) by relative URL; they are
replaced by ``data:`` URIs so that nothing is fetched even if Leaflet shows one. The source-map
comment is removed from the JavaScript (a browser's developer tools would fetch it).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata

from atlas.errors import AtlasError

DISTRIBUTION = "django-js-lib-leaflet"
STATIC = "js_lib_leaflet/static/js_lib_leaflet"
CDN = "https://cdn.jsdelivr.net/npm/leaflet@{version}/dist/"
_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=\S+\s*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\((['\"]?)(images/[\w.-]+\.png)\1\)")


@dataclass(frozen=True)
class LeafletAssets:
    """Leaflet's code ready to inline, its version and the matching CDN addresses.

    Attributes
    ----------
    version : str
        Leaflet's version, e.g. ``"1.9.4"`` (the package's version without its own suffix).
    js, css : str
        The minified JavaScript and the CSS, safe inside ``<script>`` / ``<style>``.
    cdn_js, cdn_css : str
        jsDelivr URLs of the same version (for ``render_page(cdn=True)``).
    integrity_js, integrity_css : str
        Subresource-integrity hashes of the package's unmodified files, for the CDN tags.
    """

    version: str
    js: str
    css: str
    cdn_js: str
    cdn_css: str
    integrity_js: str
    integrity_css: str


def _static_file(dist: metadata.Distribution, name: str) -> bytes:
    path = dist.locate_file(f"{STATIC}/{name}")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise AtlasError(f"Leaflet file {name} is missing from {DISTRIBUTION}; reinstall it "
                         f"with: pip install --force-reinstall {DISTRIBUTION}") from exc


def _sri(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode("ascii")


def _check_inlinable(text: str, closing: str, name: str) -> str:
    if closing in text.lower() or "<!--" in text:
        raise AtlasError(f"{name} contains '{closing}' or '<!--' and cannot be inlined")
    return text


@lru_cache(maxsize=1)
def leaflet_assets() -> LeafletAssets:
    """Find Leaflet in the installed package and prepare it for inlining.

    Returns
    -------
    LeafletAssets
        The JavaScript (source map comment removed) and the CSS (images as data URIs).

    Raises
    ------
    AtlasError
        When the package is not installed or lacks a file, with the command that fixes it.
    """
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError as exc:
        raise AtlasError(f"the maps need Leaflet from the package {DISTRIBUTION}: "
                         f'pip install -e ".[dev,spatial]" (or pip install {DISTRIBUTION})'
                         ) from exc
    version = ".".join(dist.version.split(".")[:3])
    raw_js = _static_file(dist, "leaflet.js")
    raw_css = _static_file(dist, "leaflet.css")
    # HTML parsers turn CR LF into LF before a Content-Security-Policy hash is checked
    js = _SOURCE_MAP.sub("", raw_js.decode("utf-8").replace("\r\n", "\n"))

    def inline_image(match: re.Match[str]) -> str:
        data = base64.b64encode(_static_file(dist, match.group(2))).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = _CSS_URL.sub(inline_image, raw_css.decode("utf-8").replace("\r\n", "\n"))
    return LeafletAssets(
        version=version,
        js=_check_inlinable(js, "</script", "leaflet.js"),
        css=_check_inlinable(css, "</style", "leaflet.css"),
        cdn_js=CDN.format(version=version) + "leaflet.js",
        cdn_css=CDN.format(version=version) + "leaflet.css",
        integrity_js=_sri(raw_js), integrity_css=_sri(raw_css),
    )
