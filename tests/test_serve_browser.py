"""The dev server end to end in a real browser: Debian's chromium, driven by Selenium through
chromium-driver. An open page must follow edits on disk with no reload by the test."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import copy_site, write_note
from digestif.serve import DevServer, ServeOptions

WAIT_SECONDS = 20
NOTE = "---\ntitle: {title}\ndate: {date}\n---\nJust one paragraph.\n"

# The flags that let chromium run as root in a container with no display and no network.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage")


def _find(*names: str) -> str | None:
    return next((path for name in names if (path := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser():
    chromium = _find("chromium", "chromium-browser")
    driver_path = _find("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("chromium not installed: apt-get install chromium chromium-driver")
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium not installed: pip install -e '.[test]'")
    profile = tempfile.mkdtemp(prefix="digestif-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    # An explicit driver path: Selenium must not try to download one (there is no network).
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def server(tmp_path):
    with DevServer(copy_site("minimal", tmp_path), ServeOptions(port=0)) as running:
        yield running


def wait_until(browser, check, what: str):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(browser, WAIT_SECONDS, poll_frequency=0.05).until(check)
    except TimeoutException:
        pytest.fail(f"gave up after {WAIT_SECONDS} s waiting for {what}")


# Read in one script call: between two WebDriver calls the page may have reloaded.
def heading(browser) -> str | None:
    return browser.execute_script('return document.querySelector("h1")?.textContent.trim()')


def overlay_text(browser) -> str | None:
    return browser.execute_script(
        'return document.getElementById("digestif-error-overlay")?.innerText || null')


def test_open_pages_follow_an_edit_on_their_own(browser, server):
    url = server.url + "papers/only/"
    browser.get(url)
    first_tab = browser.current_window_handle
    assert heading(browser) == "Only note"
    browser.switch_to.new_window("window")
    second_tab = browser.current_window_handle
    browser.get(url)
    write_note(Path(server.site_dir), "papers/only.md",
               NOTE.format(title="Seen without reloading", date="2024-01-02"))
    for window in (second_tab, first_tab):
        browser.switch_to.window(window)
        wait_until(browser, lambda b: heading(b) == "Seen without reloading",
                   "the open page to show the new title")
        assert browser.current_url == url
    browser.switch_to.window(second_tab)
    browser.close()
    browser.switch_to.window(first_tab)


def test_an_error_overlays_the_page_until_the_note_is_fixed(browser, server):
    site = Path(server.site_dir)
    browser.get(server.url + "papers/only/")
    write_note(site, "papers/only.md", NOTE.format(title="Broken", date="2024-13-45"))
    text = wait_until(browser, overlay_text, "the error overlay")
    assert "content/papers/only.md:3" in text and "2024-13-45" in text
    write_note(site, "papers/only.md", NOTE.format(title="Fixed", date="2024-01-02"))
    wait_until(browser, lambda b: overlay_text(b) is None and heading(b) == "Fixed",
               "the page to come back without the overlay")
