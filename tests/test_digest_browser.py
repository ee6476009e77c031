"""The digest filters and the Cite copy button in a real browser: Debian's chromium driven by
Selenium through /usr/bin/chromedriver, the built site served on 127.0.0.1.

Skipped with the reason when chromium, chromedriver or selenium is missing."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import browser_missing, copy_site, static_server
from digestif.build import BuildOptions, build

ALPHA = "Alpha: a note with every connection"
ALL_TITLES = [ALPHA, "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Base URL of the connections site, built for and served on 127.0.0.1."""
    if reason := browser_missing():
        pytest.skip(reason)
    site = copy_site("connections", tmp_path_factory.mktemp("browser"))
    with static_server(site / "_site") as origin:
        base = f"{origin}/"
        build(site, BuildOptions(base_url=base))
        yield base


def open_digest(browser, served, query: str = ""):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(served + "digest/" + query)
    # digest.js reveals the form once it has applied the URL's filters.
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element("id", "digest-filters").is_displayed())


def visible_titles(browser) -> list[str]:
    return [e.get_attribute("data-title") for e in browser.find_elements(
        "css selector", ".digest-entry") if e.is_displayed()]


def query_of(browser) -> dict[str, list[str]]:
    return parse_qs(urlsplit(browser.current_url).query)


def choose(browser, name: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("name", name)).select_by_value(value)


def test_digest_shows_every_paper_until_a_filter_is_chosen(browser, served):
    open_digest(browser, served)
    assert visible_titles(browser) == ALL_TITLES
    assert query_of(browser) == {}


def test_choosing_a_category_narrows_the_list_and_goes_into_the_url(browser, served):
    open_digest(browser, served)
    choose(browser, "category", "c1")
    assert visible_titles(browser) == [ALPHA, "Beta", "Delta", "Zeta", "Eta", "Theta"]
    assert query_of(browser) == {"category": ["c1"]}
    choose(browser, "year", "2025")
    assert visible_titles(browser) == [ALPHA, "Beta"]
    assert query_of(browser) == {"category": ["c1"], "year": ["2025"]}
    # The 2024 section has nothing left to show, so its heading goes too.
    headings = [h.text for h in browser.find_elements("css selector", ".digest-year h2")
                if h.is_displayed()]
    assert headings == ["2025"]


def test_a_shared_url_applies_its_filters_on_load(browser, served):
    open_digest(browser, served, "?category=c2")
    assert visible_titles(browser) == ["Gamma"]
    assert browser.find_element("name", "category").get_attribute("value") == "c2"
    open_digest(browser, served, "?venue=cvpr-2025")
    assert visible_titles(browser) == [ALPHA, "Beta"]  # the Highlight counts as CVPR 2025


def test_the_title_filter_matches_words_and_show_all_resets(browser, served):
    open_digest(browser, served)
    browser.find_element("name", "q").send_keys("EPSIL")
    assert visible_titles(browser) == ["Epsilon"]
    assert query_of(browser) == {"q": ["EPSIL"]}
    browser.find_element("css selector", "#digest-filters button[type=reset]").click()
    assert visible_titles(browser) == ALL_TITLES
    assert query_of(browser) == {}


def test_a_filter_matching_nothing_says_so(browser, served):
    open_digest(browser, served, "?category=c2&year=2024")
    assert visible_titles(browser) == []
    assert browser.find_element("id", "digest-empty").is_displayed()


def test_the_copy_button_puts_the_bibtex_on_the_clipboard(browser, served):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": served.rstrip("/"),
        "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    browser.get(served + "papers/alpha/")
    button = browser.find_element("css selector", "button[data-copy]")
    WebDriverWait(browser, 10).until(lambda d: button.is_displayed())
    button.click()
    status = browser.find_element("css selector", ".cite-status")
    WebDriverWait(browser, 10).until(lambda d: status.text)
    assert status.text == "Copied to the clipboard."
    copied = browser.execute_async_script(
        "navigator.clipboard.readText().then(arguments[0], e => arguments[0]('error: ' + e))")
    bibtex = browser.find_element("css selector", "#cite pre").text
    assert copied.strip() == bibtex.strip()
    assert copied.startswith("@inproceedings{alpha2025,")
