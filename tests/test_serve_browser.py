"""The dev server end to end in a real browser: Debian's chromium, driven by Selenium through
chromium-driver. An open page must follow edits on disk with no reload by the test."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_site, write_note
from digestif.serve import DevServer, ServeOptions

WAIT_SECONDS = 20
NOTE = "---\ntitle: {title}\ndate: {date}\n---\nJust one paragraph.\n"


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


CITED = "---\ntitle: {title}\ndate: 2024-01-02\nauthors: [Ada Lovelace]\n---\nOne paragraph.\n"


def test_an_edit_swaps_the_page_in_place_and_its_scripts_run_again(browser, server):
    """No reload (the window keeps what a script put on it), and the page's own scripts run on
    the new body: cite.js shows the Copy BibTeX button, which the HTML has hidden."""
    site = Path(server.site_dir)
    write_note(site, "papers/only.md", CITED.format(title="Cited"))
    browser.get(server.url + "papers/only/")
    wait_until(browser, lambda b: heading(b) == "Cited", "the cited note")
    browser.execute_script("window.digestifTestMark = 1")
    write_note(site, "papers/only.md", CITED.format(title="Cited again"))
    wait_until(browser, lambda b: heading(b) == "Cited again", "the edit")
    assert browser.execute_script("return window.digestifTestMark") == 1
    assert browser.execute_script("return document.title").startswith("Cited again")
    wait_until(browser, lambda b: b.execute_script(
        'return document.querySelector("button.cite-copy")?.hidden === false'),
        "cite.js to run on the new body")


def test_a_page_that_is_gone_is_reloaded_to_show_the_404_page(browser, server):
    site = Path(server.site_dir)
    write_note(site, "papers/other.md", NOTE.format(title="Other", date="2024-01-03"))
    browser.get(server.url + "papers/only/")
    wait_until(browser, lambda b: heading(b) == "Only note", "the note")
    browser.execute_script("window.digestifTestMark = 1")
    (site / "content/papers/only.md").unlink()
    wait_until(browser, lambda b: b.execute_script("return window.digestifTestMark") is None,
               "the page to reload")
    assert browser.current_url == server.url + "papers/only/"
    assert "not found" in browser.execute_script("return document.body.textContent").lower()


DIAGRAM = ("---\ntitle: {title}\ndate: 2024-01-02\n---\nA flow.\n\n"
           "```mermaid\ngraph TD\n  Alpha --> Beta\n```\n")


def drawn(browser) -> bool:
    return browser.execute_script(
        "return document.querySelectorAll('.diagram-drawing svg').length") > 0


def test_a_swapped_page_runs_its_module_scripts_again(browser, server):
    """diagrams.js is a module, and a module runs once per URL in a document: the new body's
    diagram is drawn only because the swap gives the module a fresh URL."""
    site = Path(server.site_dir)
    write_note(site, "papers/only.md", DIAGRAM.format(title="Flow"))
    browser.get(server.url + "papers/only/")
    wait_until(browser, drawn, "the diagram")
    browser.execute_script("window.digestifTestMark = 1")
    write_note(site, "papers/only.md", DIAGRAM.format(title="Flow again"))
    wait_until(browser, lambda b: heading(b) == "Flow again", "the edit")
    assert browser.execute_script("return window.digestifTestMark") == 1, "swapped, not reloaded"
    wait_until(browser, drawn, "the new body's diagram")


def test_a_page_with_a_script_of_the_sites_own_is_reloaded(browser, server):
    """A site's script may listen on the document; run again on a swapped body it would
    listen twice, so such a page is reloaded instead."""
    site = Path(server.site_dir)
    (site / "templates").mkdir(exist_ok=True)
    # Included by every page of the theme, so overriding it puts the script on every page.
    (site / "templates" / "_search_box.html").write_text(
        '<script>document.addEventListener("click", () => {})</script>', encoding="utf-8")
    write_note(site, "papers/only.md", NOTE.format(title="Own script", date="2024-01-02"))
    browser.get(server.url + "papers/only/")
    wait_until(browser, lambda b: heading(b) == "Own script", "the note")
    browser.execute_script("window.digestifTestMark = 1")
    write_note(site, "papers/only.md", NOTE.format(title="Own script again", date="2024-01-02"))
    wait_until(browser, lambda b: heading(b) == "Own script again", "the edit")
    assert browser.execute_script("return window.digestifTestMark") is None, "reloaded"
