"""Hard formulas in a real Chromium: the bundled math font is used (and fetched only by pages with
math), display operators are enlarged, fences stretch, equation links land on their numbers and a
display formula wider than a phone scrolls inside its own box.

Screenshots of the page at 900 and 390 px are written to DIGESTIF_SCREENSHOTS (a folder; the
test's temporary folder when unset), for a person to look at; tests/sites/math holds the
formulas.
Needs Debian's Chromium and chromedriver and Selenium (see test_accessibility.py).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from conftest import browser_missing, copy_site, static_server
from digestif.build import BuildOptions, build

if reason := browser_missing():
    pytest.skip(reason, allow_module_level=True)

FONT = "latinmodern-math.woff2"
SCREENSHOTS = Path(tempfile.gettempdir()) / "digestif-math-screenshots"


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    site_dir = copy_site("math", tmp_path_factory.mktemp("sites"))
    result = build(site_dir, BuildOptions(out=root / "site"))
    assert not [p for p in result.warnings if p.field == "math"], result.warnings
    with static_server(root / "site") as url:
        yield url


def open_page(driver, url: str, width: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.get(url)
    driver.execute_async_script("document.fonts.ready.then(arguments[arguments.length - 1])")


def fetched_fonts(driver) -> list[str]:
    return driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => n.endsWith('.woff2'))")


def save_screenshot(driver, name: str) -> Path:
    folder = Path(os.environ.get("DIGESTIF_SCREENSHOTS") or SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": driver.execute_script("return innerWidth"), "height": 2400,
        "deviceScaleFactor": 1, "mobile": False})
    path = folder / name
    assert driver.save_screenshot(str(path)) and path.stat().st_size > 20_000
    return path


def test_math_pages_use_the_bundled_font_and_other_pages_never_fetch_it(browser, origin):
    open_page(browser, origin + "/papers/plain/", 900)
    assert not fetched_fonts(browser)
    open_page(browser, origin + "/papers/hard-formulas/", 900)
    assert [url.rsplit("/", 1)[-1] for url in fetched_fonts(browser)] == [FONT]
    assert browser.execute_script("return document.fonts.check('20px \"Latin Modern Math\"')")
    save_screenshot(browser, "math-900.png")


def test_display_operators_are_enlarged_and_fences_stretch(browser, origin):
    open_page(browser, origin + "/papers/hard-formulas/", 900)
    sums = browser.execute_script(
        "return [...document.querySelectorAll('mo')].filter(m => m.textContent === '∑')"
        ".map(m => [m.closest('math').getAttribute('display'), m.getBoundingClientRect().height])")
    inline = [h for display, h in sums if display != "block"]
    block = [h for display, h in sums if display == "block"]
    assert inline and block and min(block) > 1.3 * max(inline), sums
    parens = browser.execute_script(
        "return [...document.querySelectorAll('mo')].filter(m => m.textContent === '(')"
        ".map(m => m.getBoundingClientRect().height)")
    assert max(parens) > 2 * min(parens), parens  # \left( around a sum of fractions


def test_equation_links_land_on_their_numbers(browser, origin):
    open_page(browser, origin + "/papers/hard-formulas/", 900)
    links = browser.execute_script(
        "return [...document.querySelectorAll('math a[href^=\"#\"]')].map(a => [a.textContent,"
        " document.getElementById(decodeURIComponent(a.hash.slice(1))).textContent])")
    assert links == [["(1)", "(1)"], ["(2)", "(2)"]]


def test_a_wide_display_formula_scrolls_in_its_box_not_the_page(browser, origin):
    open_page(browser, origin + "/papers/hard-formulas/", 390)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    boxes = browser.execute_script(
        "return [...document.querySelectorAll('.math-display')].map(e =>"
        " [e.scrollWidth, e.clientWidth, getComputedStyle(e).overflowX])")
    wide = [box for box in boxes if box[0] > box[1]]
    assert wide and all(overflow == "auto" for _, _, overflow in wide), boxes
    save_screenshot(browser, "math-390.png")
