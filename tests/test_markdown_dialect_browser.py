"""The dialect test note (tests/sites/dialect) in a real Chromium: its diagram is drawn from the
site's own copy of mermaid in light and dark, nothing is fetched from elsewhere, and axe-core
finds no accessibility violation in task lists, alerts, marks, titled code or the diagram."""

from __future__ import annotations

import time

import pytest

from conftest import browser_missing, copy_site, static_server
from digestif.build import BuildOptions, build
from test_accessibility import AXE, SCHEMES, WIDTHS, axe_violations, describe, show

if reason := browser_missing():
    pytest.skip(reason, allow_module_level=True)
if not AXE.exists():
    pytest.skip("axe-core not installed: npm ci --prefix tests/js", allow_module_level=True)


@pytest.fixture(scope="module")
def dialect_page(tmp_path_factory):
    """URL of the dialect note, built for and served from 127.0.0.1."""
    root = tmp_path_factory.mktemp("served")
    site = copy_site("dialect", tmp_path_factory.mktemp("sites"))
    with static_server(root / "site") as origin:
        build(site, BuildOptions(out=root / "site", base_url=origin + "/"))
        yield origin, origin + "/papers/dialect/"


def wait_for_drawing(driver, seconds: float = 20) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        drawn = driver.execute_script(
            "return document.querySelectorAll('.diagram-drawing svg, .diagram-error').length")
        if drawn:
            return drawn
        time.sleep(0.2)
    return 0


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_diagram_is_drawn_from_the_sites_own_files(browser, dialect_page, scheme):
    origin, url = dialect_page
    show(browser, url, 1280, scheme)
    assert wait_for_drawing(browser) == 1
    assert not browser.find_elements("css selector", ".diagram-error")
    labels = browser.execute_script(
        "return [...document.querySelectorAll('.diagram-drawing svg .nodeLabel')]"
        ".map(e => e.textContent.trim())")
    assert labels == ["Read the paper", "Write the note", "Publish"]
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert any("/assets/mermaid/" in name for name in fetched)
    assert [name for name in fetched if not name.startswith(origin)] == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_dialect_note_has_no_axe_violations(browser, dialect_page, scheme, width):
    _, url = dialect_page
    show(browser, url, width, scheme)
    wait_for_drawing(browser)
    violations = axe_violations(browser)
    assert not violations, f"dialect note at {width}px, {scheme}:\n{describe(violations)}"


def test_the_dialect_note_fits_a_360_px_phone(browser, dialect_page):
    _, url = dialect_page
    show(browser, url, 360, "light")
    wait_for_drawing(browser)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360
