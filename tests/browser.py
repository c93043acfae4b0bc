"""Headless Chromium for the map tests, with every network request refused and recorded.

The maps are self-contained: Leaflet, the data and the code are inside the HTML file. Any
request other than the page itself (``file://``) or an inline ``data:`` URI is aborted and
appended to ``refused``; page errors, console errors and Content-Security-Policy violations
are appended to ``errors``, so a test can fail on either.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = os.environ.get("ATLAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
VIOLATIONS = """document.addEventListener("securitypolicyviolation", (e) => console.error(
    "CSP violation: " + e.violatedDirective + " " + e.blockedURI));"""


def browser_available() -> bool:
    """Whether headless Chromium and Playwright's Python package are installed."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).is_file()


def block_requests(page, refused: list[str]) -> None:
    """Abort every request of ``page`` except ``file://`` and ``data:``; record the others."""

    def route(route):
        url = route.request.url
        if url.startswith(("file://", "data:")):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    page.route("**/*", route)


def wait_until(page, expression: str, arg=None, timeout: float = 30.0) -> None:
    """Wait until ``expression`` (a JavaScript function of ``arg``, or an expression) is
    truthy in ``page``, polling from Python. Playwright's ``wait_for_function`` polls by
    evaluating a string inside the page, which the maps' Content-Security-Policy (no
    ``unsafe-eval``) refuses as soon as the first check is false; ``page.evaluate`` runs
    through the DevTools protocol, outside the page's policy."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{expression} still false after {timeout:g} s")
        page.wait_for_timeout(25)


# The one Chromium of the test process: {"playwright": ..., "browser": ...} while it runs.
_SHARED: dict = {}


def shared_chromium():
    """The test process's headless Chromium, launched on first use and kept for the tests
    that follow (launching one costs more than most browser tests); a new one if it died.

    While Playwright's sync API runs, it marks its event loop as running in this thread, so
    a test that runs asyncio itself (nbclient) must come after :func:`close_chromium`
    (``tests/conftest.py`` closes it before every module without browser tests).
    """
    browser = _SHARED.get("browser")
    if browser is not None and browser.is_connected():
        return browser
    close_chromium()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        _SHARED["browser"] = playwright.chromium.launch(executable_path=CHROMIUM,
                                                        args=CHROMIUM_ARGS)
    except BaseException:
        playwright.stop()
        raise
    _SHARED["playwright"] = playwright
    return _SHARED["browser"]


def close_chromium() -> None:
    """Close the shared Chromium and stop Playwright, if they run."""
    browser, playwright = _SHARED.pop("browser", None), _SHARED.pop("playwright", None)
    try:
        if browser is not None and browser.is_connected():
            browser.close()
    finally:
        if playwright is not None:
            playwright.stop()


@contextmanager
def chromium():
    """Yield the shared headless Chromium (:func:`shared_chromium`); every context (and so
    every page) opened in it meanwhile is closed afterwards, as closing a browser of one's
    own would."""
    browser = shared_chromium()
    before = set(browser.contexts)
    try:
        yield browser
    finally:
        if browser.is_connected():
            for context in browser.contexts:
                if context not in before:
                    context.close()


def open_map(browser, url: str, refused: list[str], errors: list[str], *,
             phone: bool = False, width: int = 1400, height: int = 900):
    """Open a map in a new context of ``browser``; returns the page once the map is ready."""
    options = PHONE if phone else {"viewport": {"width": width, "height": height}}
    context = browser.new_context(**options, accept_downloads=True)
    page = context.new_page()
    page.add_init_script(VIOLATIONS)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    block_requests(page, refused)
    page.goto(url)
    wait_until(page, "() => window.atlasMap !== undefined")
    return page


@contextmanager
def map_page(url: str, width: int = 1400, height: int = 900, phone: bool = False):
    """Yield ``(page, refused, errors)`` for a map opened in headless Chromium."""
    refused: list[str] = []
    errors: list[str] = []
    with chromium() as browser:
        page = open_map(browser, url, refused, errors, phone=phone, width=width, height=height)
        yield page, refused, errors


@contextmanager
def checked_pages(browser, default_url: str):
    """Yield ``open(url=None, width=1400, height=900, phone=False) -> page``.

    Every page is opened with :func:`open_map` in its own context of ``browser``; on leaving,
    the contexts are closed and the test fails if any page made a network request or met a
    JavaScript error (so a test body only checks what it is about).
    """
    refused: list[str] = []
    errors: list[str] = []
    pages = []

    def open_(url: str | None = None, width: int = 1400, height: int = 900,
              phone: bool = False):
        page = open_map(browser, url or default_url, refused, errors, phone=phone,
                        width=width, height=height)
        pages.append(page)
        return page

    yield open_
    for page in pages:
        page.context.close()
    assert refused == [], f"network requests: {refused}"
    assert errors == [], f"JavaScript errors: {errors}"


def region_point(page, region_id: str) -> tuple[float, float]:
    """Window coordinates of a region's label point (its centroid), where the region is on top
    (the map is centred on it first when a panel covers it or it is out of view)."""
    return tuple(page.evaluate("""(id) => {
        const m = window.atlasMap, r = m.data.regions[id];
        const ll = r && r.centroid ? L.latLng(r.centroid) : m.byId[id].getBounds().getCenter();
        const at = () => { const p = m.map.latLngToContainerPoint(ll);
                           const e = document.elementFromPoint(p.x, p.y);
                           return [p, e && e.getAttribute("data-id") === id]; };
        let [p, ok] = at();
        if (!ok) { m.map.setView(ll, m.map.getZoom(), {animate: false}); [p, ok] = at(); }
        return [p.x, p.y]; }""", region_id))


def hover(page, region_id: str) -> str:
    """Move the mouse onto a region; returns the tooltip's text."""
    x, y = region_point(page, region_id)
    page.mouse.move(x, y)
    page.wait_for_selector("#atlas-tooltip:not([hidden])")
    return page.locator("#atlas-tooltip").inner_text()


def open_profile(page, region_id: str) -> str:
    """Click a region; returns the profile's text."""
    x, y = region_point(page, region_id)
    page.mouse.click(x, y)
    wait_until(page, "(id) => window.atlasMap.state.selected === id", region_id)
    page.wait_for_selector("#atlas-profile:not([hidden])")
    return page.locator("#atlas-profile").inner_text()


def inside(box: dict, width: int, height: int) -> bool:
    """Whether a bounding box lies entirely inside a ``width`` x ``height`` window."""
    return (box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width + 0.5
            and box["y"] + box["height"] <= height + 0.5)


def final_screens(browser, path: Path, address: str = "") -> list[bytes]:
    """Screenshots of the page at ``path`` (with the ``#...`` ``address``) once its whole
    start-up is over, on a desktop (1400 x 900) and a phone; no request, no error."""
    shots = []
    with checked_pages(browser, path.as_uri() + address) as open_:
        for phone in (False, True):
            page = open_(phone=phone)
            page.wait_for_timeout(300)  # the frame after the start-up's last change
            shots.append(page.screenshot())
    return shots


def assert_same_screens(browser, first: Path, second: Path, address: str) -> None:
    """The two pages look the same after start-up, without and with ``address``."""
    for hash_ in ("", address):
        assert final_screens(browser, first, hash_) == final_screens(browser, second, hash_), \
            f"{first.name} and {second.name} differ at {hash_ or 'no address'}"
