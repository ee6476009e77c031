"""axe-core in a real Chromium: the example site's home, a note, a category and the digest, light
and dark, at phone and desktop width, have no accessibility violations (contrast included).

Needs Debian's Chromium and chromedriver, Selenium, and axe-core installed by npm in tests/js/:
    apt-get install chromium chromium-driver && pip install -e '.[test]' && npm ci --prefix tests/js
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import browser_missing, copy_site, static_server
from digestif.build import BuildOptions, build

AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (390, 1280)
SCHEMES = ("light", "dark")
# The WCAG 2.x A and AA rules plus axe's best practices (landmarks, one main, heading order...).
PAGES = ("home", "note", "category", "digest")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

if reason := browser_missing():
    pytest.skip(reason, allow_module_level=True)
if not AXE.exists():
    pytest.skip("axe-core not installed: npm ci --prefix tests/js", allow_module_level=True)


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """(origin URL, built Site) for the repository's example site served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("served")
    site_dir = copy_site("example", tmp_path_factory.mktemp("sites"))
    result = build(site_dir, BuildOptions(out=root / "site"))
    with static_server(root / "site") as origin:
        yield origin, result.site


def page_path(site, page: str) -> str:
    if page == "home":
        return site.url_for("")
    if page == "note":  # the longest note: math, code, an image, a footnote or a table
        return max(site.notes, key=lambda view: len(view.html)).url
    if page == "category":
        return site.categories[0].url
    return site.url_for("digest/")


def show(driver, url: str, width: int, scheme: str) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "media": "", "features": [{"name": "prefers-color-scheme", "value": scheme}]})
    driver.get(url)


def axe_violations(driver) -> list[dict]:
    """axe-core's violations on the current page, injected from the local npm package."""
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]},"
        " resultTypes: ['violations']})"
        ".then(r => done(r.violations), e => done([{id: 'axe-error', help: String(e),"
        " impact: 'critical', nodes: []}]));", AXE_TAGS)


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, node['target']))}: "
                         f"{node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


def test_the_scheme_emulation_reaches_the_page(browser, example):
    """Guards the other tests: dark really gives the page a dark background."""
    origin, site = example
    backgrounds = {}
    for scheme in SCHEMES:
        show(browser, origin + site.url_for(""), 1280, scheme)
        backgrounds[scheme] = browser.execute_script(
            "return getComputedStyle(document.body).backgroundColor")
    assert backgrounds["light"] != backgrounds["dark"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_axe_violations(browser, example, page, scheme, width):
    origin, site = example
    show(browser, origin + page_path(site, page), width, scheme)
    violations = axe_violations(browser)
    assert not violations, f"{page} at {width}px, {scheme}:\n{describe(violations)}"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_note_page_has_no_axe_violations(browser, example, scheme):
    origin, site = example
    found = {}
    for view in site.notes:
        show(browser, origin + view.url, 1280, scheme)
        violations = axe_violations(browser)
        if violations:
            found[view.url] = describe(violations)
    assert not found, "\n".join(f"{url}:\n{text}" for url, text in found.items())


def test_pages_fit_a_360_px_phone_without_sideways_scrolling(browser, example):
    """WCAG reflow: wide tables, code, formulas and images scroll or shrink inside the page."""
    origin, site = example
    paths = [page_path(site, page) for page in PAGES] + [view.url for view in site.notes]
    too_wide = {}
    for path in paths:
        show(browser, origin + path, 360, "light")
        width = browser.execute_script("return document.documentElement.scrollWidth")
        if width > 360:
            too_wide[path] = width
    assert not too_wide


def test_print_hides_the_navigation_and_shows_where_links_go(browser, example):
    origin, site = example
    view = next(v for v in site.notes if any(link.url.startswith("http") for link in v.links))
    background = "return getComputedStyle(document.body).backgroundColor"
    show(browser, origin + view.url, 1280, "light")
    light_background = browser.execute_script(background)
    show(browser, origin + view.url, 1280, "dark")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print", "features": [
        {"name": "prefers-color-scheme", "value": "dark"}]})
    header = browser.execute_script(
        "return getComputedStyle(document.querySelector('.site-header')).display")
    href, after = browser.execute_script(
        "const badge = document.querySelector('a.badge[href^=http]');"
        "return [badge.href, getComputedStyle(badge, '::after').content]")
    assert header == "none"
    assert href in after
    assert browser.execute_script(background) == light_background  # paper is white
