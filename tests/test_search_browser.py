"""Search in a real browser: Debian's Chromium types into the built site, served over HTTP under a
base path (/repo/) as on a project site, and reads the results Pagefind shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import browser_missing, copy_site, static_server
from digestif.build import BuildOptions, build

WAIT_SECONDS = 15

if reason := browser_missing():
    pytest.skip(reason, allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    """The search sample site built for and served at http://127.0.0.1:PORT/repo/."""
    root = tmp_path_factory.mktemp("served")
    with static_server(root) as origin:
        base_url = f"{origin}/repo/"
        site = copy_site("search", tmp_path_factory.mktemp("sites"))
        result = build(site, BuildOptions(out=root / "repo", base_url=base_url))
        if result.search is None:
            pytest.skip(f"no search index was built: {[str(w) for w in result.warnings]}")
        yield base_url


def results(driver, container: str = ".search-page") -> list[dict]:
    """The shown results: title, link, venue/date line and highlighted words."""
    shown = []
    for item in driver.find_elements(By.CSS_SELECTOR, f"{container} .search-result"):
        link = item.find_element(By.CSS_SELECTOR, ".search-result-title")
        shown.append({
            "title": link.text, "href": link.get_attribute("href"),
            "meta": item.find_element(By.CSS_SELECTOR, ".meta").text,
            "marks": [m.text for m in item.find_elements(By.CSS_SELECTOR, ".search-excerpt mark")],
        })
    return shown


def filter_counts(driver) -> dict[tuple[str, str], str]:
    """(filter, value) -> the count shown beside its checkbox."""
    counts = {}
    for label in driver.find_elements(By.CSS_SELECTOR, ".search-filter label"):
        box = label.find_element(By.CSS_SELECTOR, "input")
        counts[box.get_attribute("name"), box.get_attribute("value")] = \
            label.find_element(By.CSS_SELECTOR, ".search-count").text
    return counts


def search_page(driver, site_url: str, query: str) -> list[dict]:
    driver.get(site_url + "search/")
    box = driver.find_element(By.ID, "search-query")
    box.send_keys(query)
    return WebDriverWait(driver, WAIT_SECONDS).until(lambda d: results(d))


def test_typing_low_rank_finds_the_lora_note_with_venue_date_and_highlight(browser, site_url):
    found = search_page(browser, site_url, "low-rank")
    assert found[0]["title"] == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert found[0]["href"] == site_url + "papers/lora/"
    assert "ICLR 2022" in found[0]["meta"] and "2025-05-26" in found[0]["meta"]
    assert any(mark.lower().startswith("low") for mark in found[0]["marks"])
    assert all("FlashAttention" not in r["title"] for r in found)
    assert filter_counts(browser)[("category", "Efficient Tuning")] == "1"
    assert filter_counts(browser)[("category", "Systems")] == "0"


@pytest.mark.parametrize("word", ["자기회귀", "누적"])  # a whole word; the start of 누적될
def test_a_korean_word_finds_the_korean_note(browser, site_url, word):
    found = search_page(browser, site_url, word)
    assert [r["href"] for r in found] == [site_url + "papers/chain-of-zoom-ko/"]


def test_a_japanese_word_inside_a_sentence_finds_the_japanese_note(browser, site_url):
    found = search_page(browser, site_url, "ノイズ")
    assert [r["href"] for r in found] == [site_url + "papers/diffusion-ja/"]


def test_a_chinese_word_inside_a_sentence_finds_the_chinese_note(browser, site_url):
    found = search_page(browser, site_url, "数据集")
    assert [r["href"] for r in found] == [site_url + "papers/sr-zh/"]


def test_a_year_filter_alone_lists_that_years_notes(browser, site_url):
    browser.get(site_url + "search/?year=2025")
    found = WebDriverWait(browser, WAIT_SECONDS).until(lambda d: results(d))
    assert sorted(r["href"] for r in found) == [site_url + "papers/chain-of-zoom-ko/",
                                                site_url + "papers/lora/"]


@pytest.mark.parametrize("page", ["papers/flashattention/", "papers/chain-of-zoom-ko/"])
def test_the_header_box_shows_live_results_and_links_to_the_search_page(browser, site_url,
                                                                        page):
    browser.get(site_url + page)  # an English page, and a Korean one searching English notes
    box = browser.find_element(By.ID, "header-search")
    box.send_keys("adaptation")
    found = WebDriverWait(browser, WAIT_SECONDS).until(lambda d: results(d, ".search-popup"))
    assert found[0]["href"] == site_url + "papers/lora/"
    more = browser.find_element(By.CSS_SELECTOR, ".search-popup .search-all")
    assert more.get_attribute("href") == site_url + "search/?q=adaptation"


def test_markup_written_in_a_note_shows_as_text_in_the_excerpt(browser, site_url):
    search_page(browser, site_url, "alert")
    excerpt = browser.find_element(By.CSS_SELECTOR, ".search-page .search-excerpt")
    assert '<script>alert("x")</script>' in excerpt.text
    assert excerpt.find_elements(By.CSS_SELECTOR, "*:not(mark)") == []


def test_a_note_found_by_a_tag_shows_its_own_words_not_its_title_and_labels(browser, site_url):
    found = search_page(browser, site_url, "peft")  # a tag of the LoRA note, in no body
    assert found[0]["title"] == "LoRA: Low-Rank Adaptation of Large Language Models"
    excerpt = browser.find_element(By.CSS_SELECTOR, ".search-page .search-excerpt").text
    assert excerpt.startswith("Freeze the pretrained weights")
    assert "ICLR 2022" not in excerpt and "Efficient Tuning" not in excerpt


def test_a_match_in_the_body_keeps_pagefinds_highlighted_excerpt(browser, site_url):
    found = search_page(browser, site_url, "matrices")
    assert any(mark.lower().startswith("matri") for mark in found[0]["marks"])


AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(driver, scheme: str, width: int) -> list[str]:
    """axe-core's violations on the page as it is now, in a colour scheme and width."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "media": "", "features": [{"name": "prefers-color-scheme", "value": scheme}]})
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]},"
        " resultTypes: ['violations']}).then(r => done(r.violations),"
        " e => done([{id: 'axe-error', help: String(e), nodes: []}]));", AXE_TAGS)
    return [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes'][:3]]}" for v in found]


@pytest.mark.skipif(not AXE.is_file(), reason="axe-core not installed: npm ci --prefix tests/js")
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_results_and_the_open_header_box_have_no_axe_violations(browser, site_url, scheme):
    search_page(browser, site_url, "low-rank")
    problems = {f"search page, {width}px": axe_violations(browser, scheme, width)
                for width in (1280, 390)}
    browser.get(site_url + "papers/flashattention/")
    browser.find_element(By.ID, "header-search").send_keys("adaptation")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: results(d, ".search-popup"))
    problems["open header box"] = axe_violations(browser, scheme, 1280)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert not any(problems.values()), problems


@pytest.fixture(scope="module")
def edited_url(tmp_path_factory):
    """The search sample site with LoRA's "two thin matrices" made "two quokka matrices" and
    the Chinese note deleted after the first build: the rebuild indexes a delta bundle."""
    root = tmp_path_factory.mktemp("served-edited")
    with static_server(root) as origin:
        base_url = f"{origin}/repo/"
        site = copy_site("search", tmp_path_factory.mktemp("sites"))
        options = BuildOptions(out=root / "repo", base_url=base_url)
        if build(site, options).search is None:
            pytest.skip("no search index was built")
        note = site / "content" / "papers" / "lora.md"
        note.write_text(note.read_text(encoding="utf-8").replace("two thin matrices",
                                                                 "two quokka matrices"),
                        encoding="utf-8")
        (site / "content" / "papers" / "sr-zh.md").unlink()
        assert build(site, options).search.delta
        yield base_url


def searched(driver, site_url: str, query: str) -> list[dict]:
    """The results once the search page says how many it found (none included)."""
    driver.get(site_url + "search/?q=" + query)
    status = (By.CSS_SELECTOR, ".search-page .search-status")
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: d.find_element(*status).text)
    return results(driver)


def test_after_an_edit_search_finds_the_new_words_and_not_the_old(browser, edited_url):
    assert [r["href"] for r in searched(browser, edited_url, "quokka")] == \
        [edited_url + "papers/lora/"]
    assert searched(browser, edited_url, "thin") == []
    found = searched(browser, edited_url, "low-rank")
    assert [r["title"] for r in found].count(
        "LoRA: Low-Rank Adaptation of Large Language Models") == 1, "shown once, not per bundle"
    assert filter_counts(browser)[("category", "Efficient Tuning")] == "1"


def test_a_deleted_note_is_no_longer_found(browser, edited_url):
    assert searched(browser, edited_url, "数据集") == []


def test_a_year_filter_lists_an_edited_note_once(browser, edited_url):
    browser.get(edited_url + "search/?year=2025")
    found = WebDriverWait(browser, WAIT_SECONDS).until(lambda d: results(d))
    assert sorted(r["href"] for r in found) == [edited_url + "papers/chain-of-zoom-ko/",
                                                edited_url + "papers/lora/"]
