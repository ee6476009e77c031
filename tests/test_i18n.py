"""The theme speaks the site's language: translated labels and dates on a Korean site, lang
attributes where the language changes, site overrides of theme strings, and every shipped
language translating every theme string."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from markupsafe import Markup

from conftest import parse_html
from digestif.build import BuildOptions, build
from digestif.errors import BuildError
from digestif.i18n import THEME_I18N, Translations, language_chain
from digestif.theme import THEME_DIR

SHIPPED = ("en", "ko", "ja", "zh-hans")


def text_of(element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


@pytest.fixture
def korean(built):
    site, _ = built("korean")
    return site / "_site"


def test_korean_site_navigation_footer_and_headings_are_korean(korean):
    home = parse_html(korean / "index.html")
    assert home.get("lang") == "ko"
    nav = [text_of(a) for a in home.iterfind(".//nav[@class='site-nav']//a")]
    assert nav == ["다이제스트", "분류", "태그", "학회·저널", "보관함"]
    footer = text_of(home.find(".//footer"))
    assert "Atom 피드" in footer and "노트 2개 보관함" in footer
    assert text_of(home.find(".//a[@class='skip-link']")) == "본문으로 건너뛰기"
    digest = parse_html(korean / "digest/index.html")
    assert text_of(digest.find(".//h1")) == "다이제스트"
    assert digest.findtext(".//title").startswith("다이제스트 · ")
    assert "Digest" not in text_of(digest.find(".//main"))


def test_korean_note_page_labels_and_dates_are_korean(korean):
    page = parse_html(korean / "papers/chain-of-zoom/index.html")
    main = page.find(".//main")
    headings = [text_of(h) for h in main.iter("h2")]
    assert "인용" in headings and "이 노트를 인용한 노트" in headings
    meta = text_of(main.find(".//p[@class='meta']"))
    assert "2025년 9월 14일" in meta and "2025년 10월 2일 수정" in meta
    assert "분 분량" in meta and "min read" not in meta
    assert text_of(main.find(".//p[@class='task']/span")) == "과제"
    [time] = [t for t in main.iter("time") if t.get("datetime", "").startswith("2025-09-14")]
    assert time.get("datetime").startswith("2025-09-14T00:00:00+09:00")  # machines keep ISO


def test_an_english_note_on_a_korean_site_marks_its_language_and_the_menu_keeps_korean(korean):
    page = parse_html(korean / "papers/lora/index.html")
    assert page.get("lang") == "en"  # the note's language: search and screen readers use it
    header = page.find(".//header[@class='site-header']")
    assert header.get("lang") == "ko" and page.find(".//footer").get("lang") == "ko"
    assert text_of(page.find(".//a[@class='skip-link']")) == "본문으로 건너뛰기"
    home = parse_html(korean / "page/2/index.html")  # paginate = 1: LoRA is on page 2
    [item] = home.iterfind(".//article[@class='note-item']")
    assert item.get("lang") == "en"
    assert home.findtext(".//h1") == "논문 한입 (2쪽)"


def test_term_indexes_count_in_korean(korean):
    page = parse_html(korean / "categories/index.html")
    assert text_of(page.find(".//p[@class='count']")) == "노트 2개에 걸친 분류 2개"
    term = parse_html(korean / "categories/초해상도/index.html")
    assert text_of(term.find(".//p[@class='kicker']")) == "분류"


def test_scripts_get_their_words_in_the_sites_language(korean):
    page = parse_html(korean / "digest/index.html")
    form = page.find(".//form[@id='digest-filters']")
    assert "논문 {total}편 중 {shown}편" in form.get("data-i18n")
    labels = [text_of(label) for label in form.iter("label")]
    assert labels[:2] == ["제목", "분류"]


def test_a_site_overrides_one_theme_string_and_keeps_the_others(site_copy):
    site = site_copy("korean")
    (site / "i18n").mkdir()
    (site / "i18n" / "ko.toml").write_text('[nav]\ndigest = "한눈에"\n', encoding="utf-8")
    build(site, BuildOptions())
    nav = [text_of(a) for a in parse_html(site / "_site/index.html").iterfind(
        ".//nav[@class='site-nav']//a")]
    assert nav[:2] == ["한눈에", "분류"]


def test_changing_a_site_translation_rebuilds_the_pages_that_show_it(site_copy):
    site = site_copy("korean")
    build(site, BuildOptions())
    (site / "i18n").mkdir()
    (site / "i18n" / "ko.toml").write_text('[nav]\ntags = "꼬리표"\n', encoding="utf-8")
    build(site, BuildOptions())
    assert "꼬리표" in text_of(parse_html(site / "_site/papers/lora/index.html").find(
        ".//nav[@class='site-nav']"))


def test_a_site_adds_a_language_the_theme_lacks(site_copy):
    site = site_copy("korean")
    toml = (site / "site.toml").read_text(encoding="utf-8")
    (site / "site.toml").write_text(toml.replace('language = "ko"', 'language = "de"'),
                                    encoding="utf-8")
    (site / "i18n").mkdir()
    (site / "i18n" / "de.toml").write_text('[nav]\narchive = "Archiv"\n', encoding="utf-8")
    build(site, BuildOptions())
    nav = [text_of(a) for a in parse_html(site / "_site/index.html").iterfind(
        ".//nav[@class='site-nav']//a")]
    assert nav == ["Digest", "Categories", "Tags", "Venues", "Archiv"]  # the rest in English


def test_a_broken_site_translation_file_fails_the_build_naming_file_line_and_key(site_copy):
    site = site_copy("korean")
    (site / "i18n").mkdir()
    (site / "i18n" / "ko.toml").write_text('[nav]\ndigest = 3\n\n[list\n', encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(site, BuildOptions())
    [problem] = caught.value.problems
    assert problem.file == "i18n/ko.toml" and problem.line == 4
    (site / "i18n" / "ko.toml").write_text('[nav]\ndigest = 3\n', encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(site, BuildOptions())
    assert "nav.digest" in str(caught.value.problems[0]) and \
        "expected a string" in str(caught.value.problems[0])


def test_every_shipped_language_translates_every_theme_string():
    translations = Translations(Path("/nonexistent"))
    english = translations.theme["en"]
    for language in SHIPPED[1:]:
        keys = set(translations.theme[language])
        assert keys == set(english), f"{language}: missing {set(english) - keys}, " \
                                     f"unknown {keys - set(english)}"
        for key, value in english.items():
            if key.startswith("date."):
                continue  # a date pattern may use {month} or {month_name}
            theirs = translations.theme[language][key]
            placeholders = set(re.findall(r"\{(\w+)\}", str(value)))
            assert set(re.findall(r"\{(\w+)\}", str(theirs))) == placeholders, (language, key)


def test_every_string_a_template_asks_for_exists_in_english():
    english = Translations(Path("/nonexistent")).theme["en"]
    sources = " ".join(p.read_text(encoding="utf-8")
                       for p in (THEME_DIR / "templates").glob("*.html"))
    asked = set(re.findall(r"""\bt\(\s*["']([\w.]*\w)["']\s*[,)]""", sources))
    # Keys scripts get through i18n_strings(...): every quoted "search.x" and the like.
    asked |= {key for key in re.findall(r"""["']((?:search|digest|cite)\.\w+)["']""", sources)
              if not key.endswith(".js")}
    assert asked and not asked - set(english), sorted(asked - set(english))


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "May 26, 2025"), ("en-US", "May 26, 2025"), ("ko", "2025년 5월 26일"),
    ("ko-KR", "2025년 5월 26일"), ("ja", "2025年5月26日"), ("zh-CN", "2025年5月26日"),
    ("zh-Hans", "2025年5月26日"), ("zh-TW", "May 26, 2025"),  # no Traditional Chinese yet
])
def test_dates_follow_the_language(language, expected):
    assert Translations(Path("/nonexistent")).date(language, date(2025, 5, 26)) == expected


def test_language_tags_fall_back_from_specific_to_general():
    assert language_chain("zh-Hans-CN") == ["zh-hans-cn", "zh-hans", "zh"]
    assert language_chain("zh-SG") == ["zh-sg", "zh-hans", "zh"]
    assert language_chain("ko_KR") == ["ko-kr", "ko"]


def test_translation_values_are_escaped_and_cannot_reach_into_python(tmp_path):
    (tmp_path / "i18n").mkdir()
    (tmp_path / "i18n" / "en.toml").write_text(
        '[nav]\ndigest = "<b>{count.__class__}</b>"\nlabel = "<i>{count}</i>"\n',
        encoding="utf-8")
    translations = Translations(tmp_path)
    assert str(translations.text("en", "nav.label", count=3)) == "&lt;i&gt;3&lt;/i&gt;"
    # Only bare {names} are placeholders: {count.__class__} stays text, reaching nothing.
    assert str(translations.text("en", "nav.digest", count=3)) == \
        "&lt;b&gt;{count.__class__}&lt;/b&gt;"
    with pytest.raises(KeyError, match="number"):  # a placeholder the template does not give
        translations.text("en", "title.paged", title="x")


def test_theme_translation_files_ship_for_each_language():
    assert {p.stem.lower() for p in THEME_I18N.glob("*.toml")} >= set(SHIPPED)


def test_the_site_feed_is_offered_under_a_title_in_the_sites_language(korean):
    home = parse_html(korean / "index.html")
    alternates = [link.get("title") for link in home.iter("link")
                  if link.get("rel") == "alternate"]
    assert alternates == ["논문 한입 (전체 노트)"]


def test_a_string_filled_once_is_reused_only_for_the_same_values_of_the_same_kind():
    translations = Translations(Path("/nonexistent"))
    text = translations.text
    assert str(text("en", "footer.archive", count=1)) == "Archive of 1 note"
    assert str(text("en", "footer.archive", count=2)) == "Archive of 2 notes"
    assert str(text("en", "footer.archive", count=1)) == "Archive of 1 note"
    # A plain string is escaped, Markup (a link a template built) is kept: same text, two fills.
    assert "&lt;b&gt;" in text("en", "footer.all_notes", title="<b>")
    assert "<b>" in text("en", "footer.all_notes", title=Markup("<b>"))
    assert "&lt;b&gt;" in text("en", "footer.all_notes", title="<b>")
    assert text("ko", "nav.digest") != text("en", "nav.digest")
    assert translations.date("en", date(2025, 5, 26), "short") != \
        translations.date("en", date(2025, 5, 26))
