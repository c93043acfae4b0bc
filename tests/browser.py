"""Headless Chromium for the map tests, with every CDN request served from local npm files.

There is no internet here: the URLs the maps load from a CDN are routed to the copies that
``.ci/run`` installs with npm under ``.ci/node_modules``. Any other request is refused and
recorded, so a test can fail on it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

NODE_MODULES = Path(__file__).resolve().parent.parent / ".ci" / "node_modules"
CHROMIUM = os.environ.get("ATLAS_CHROMIUM", "/usr/bin/chromium")
CDN_PREFIX = "https://cdn.jsdelivr.net/npm/"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def local_file(url: str) -> Path | None:
    """The npm copy of a jsdelivr URL: ``.../npm/leaflet@1.9.3/dist/x`` -> node_modules."""
    if not url.startswith(CDN_PREFIX):
        return None
    package_and_path = url[len(CDN_PREFIX):]
    name_version, _, rest = package_and_path.partition("/")
    if name_version.startswith("@"):  # scoped package
        scope_rest, _, rest = rest.partition("/")
        name_version = f"{name_version}/{scope_rest}"
    name = name_version.rsplit("@", 1)[0]
    path = NODE_MODULES / name / rest
    return path if path.is_file() else None


def browser_available() -> bool:
    return Path(CHROMIUM).is_file() and (NODE_MODULES / "leaflet" / "dist" / "leaflet.js").is_file()


@contextmanager
def map_page(url: str, width: int = 1400, height: int = 900):
    """Yield ``(page, refused, errors)`` for a map opened in headless Chromium."""
    from playwright.sync_api import sync_playwright

    refused: list[str] = []
    errors: list[str] = []

    def route(route):
        request_url = route.request.url
        if request_url.startswith(("file://", "data:")):
            route.continue_()
            return
        path = local_file(request_url)
        if path is None:
            refused.append(request_url)
            route.abort()
            return
        content_type = "text/css" if path.suffix == ".css" else (
            "image/png" if path.suffix == ".png" else "application/javascript")
        route.fulfill(path=str(path), content_type=content_type)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.route("**/*", route)
            page.goto(url)
            page.wait_for_function("window.atlasMap !== undefined", timeout=30000)
            yield page, refused, errors
        finally:
            browser.close()
