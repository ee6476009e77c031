"""The default theme: page weight, code colours, languages, landmarks, no outside requests, and
template overrides that leave the rest of the theme in place. Browser checks (axe-core, reflow,
print) are in test_accessibility.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import copy_site, parse_html, write_note
from digestif.build import BuildOptions, build, code_stylesheet
from digestif.theme import THEME_DIR

# A note page's HTML + the CSS it links, before images and math (issue 9).
PAGE_BUDGET_BYTES = 30_000
AA_NORMAL_TEXT = 4.5
_MATH = re.compile(rb"<math\b.*?</math>", re.S)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """(output folder, BuildResult) of the repository's example site."""
    site = copy_site("example", tmp_path_factory.mktemp("example"))
    result = build(site, BuildOptions())
    return site / "_site", result


def stylesheets(page: Path, out: Path) -> list[Path]:
    """The files a page's <link rel="stylesheet"> elements load (site-root-relative hrefs)."""
    root = parse_html(page)
    return [out / link.get("href").lstrip("/") for link in root.iter("link")
            if link.get("rel") == "stylesheet"]


def test_every_note_page_stays_under_the_weight_budget(example):
    out, result = example
    assert result.site.notes
    for view in result.site.notes:
        page = out / view.path
        css = stylesheets(page, out)
        assert {path.name for path in css} >= {"style.css", "highlight.css"}
        weight = len(_MATH.sub(b"", page.read_bytes())) + sum(p.stat().st_size for p in css)
        assert weight < PAGE_BUDGET_BYTES, (
            f"{view.path}: {weight} bytes of HTML (math excluded) + CSS "
            f"({', '.join(f'{p.name} {p.stat().st_size}' for p in css)})")


def _luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = (int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4))
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _code_colours(css: str) -> tuple[str, list[tuple[str, str]]]:
    """(block background, [(selectors, text colour)]) of one scheme's Pygments rules."""
    background = re.search(r"^\s*\.highlight \{[^}]*background(?:-color)?: (#[0-9a-fA-F]+)",
                           css, re.M).group(1)
    colours = []
    for selectors, body in re.findall(r"^\s*([^{}@]+?) \{ ([^}]*) \}", css, re.M):
        colour = re.search(r"(?<![-\w])color: (#[0-9a-fA-F]+)", body)
        # Whitespace tokens and highlighted-line backgrounds carry no readable text.
        names = {s.strip() for s in selectors.split(",")} - {".highlight .w", ".highlight .hll"}
        if colour and names:
            colours.append((", ".join(sorted(names)), colour.group(1)))
    return background, colours


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_code_colours_meet_wcag_aa_on_their_background(scheme):
    light, _, dark = code_stylesheet().partition("@media screen and (prefers-color-scheme: dark)")
    assert dark, "the dark code colours must be scoped to the dark scheme"
    background, colours = _code_colours(light if scheme == "light" else dark)
    assert len(colours) > 10
    weak = [(names, colour, round(contrast(colour, background), 2))
            for names, colour in colours if contrast(colour, background) < AA_NORMAL_TEXT]
    assert not weak, f"{scheme} code colours below {AA_NORMAL_TEXT}:1 on {background}: {weak}"


def test_theme_colours_in_style_css_meet_wcag_aa():
    """Text colours on the page background, in both schemes, without a browser."""
    css = (Path(__file__).parent.parent / "src/digestif/theme/static/style.css").read_text()
    light, _, dark = css.partition("@media screen and (prefers-color-scheme: dark)")
    for scheme in (light, dark):
        root_block = scheme.split("}")[0]
        palette = dict(re.findall(r"--([\w-]+): (#[0-9a-fA-F]{6})", root_block))
        for text in ("fg", "muted", "accent", "red", "orange", "green", "teal", "violet"):
            for background in ("bg", "surface", "chip"):
                assert contrast(palette[text], palette[background]) >= AA_NORMAL_TEXT, (
                    text, background, palette[text], palette[background])
        assert contrast(palette["venue"], palette["venue-bg"]) >= AA_NORMAL_TEXT


def test_each_page_declares_its_language(example):
    out, result = example
    korean = next(v for v in result.site.notes if v.lang == "ko")
    assert parse_html(out / korean.path).get("lang") == "ko"
    english = next(v for v in result.site.notes if v.lang != "ko")
    assert parse_html(out / english.path).get("lang") == "en-US"
    home = parse_html(out / "index.html")
    assert home.get("lang") == "en-US"
    item = next(a for a in home.iter("article")
                if any(link.get("href") == korean.url for link in a.iter("a")))
    assert item.get("lang") == "ko"


def test_the_korean_note_gets_lang_ko_from_a_site_written_in_english(tmp_path):
    site = copy_site("minimal", tmp_path)
    write_note(site, "papers/ko.md", "---\ntitle: 초해상도 노트\ndate: 2025-01-02\nlang: ko\n"
               "---\n본문입니다.\n")
    build(site, BuildOptions())
    page = next((site / "_site").rglob("ko/index.html"))
    assert parse_html(page).get("lang") == "ko"


def page_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_every_page_has_landmarks_a_skip_link_and_one_h1(example):
    out, _ = example
    for page in page_files(out):
        root = parse_html(page)
        body = root.find("body")
        tags = [element.tag for element in body.iter()]
        assert {"header", "nav", "main", "footer"} <= set(tags), page
        skip = body.find("a")
        assert skip.get("class") == "skip-link" and skip.get("href") == "#main", page
        assert body.find(".//main").get("id") == "main", page
        assert len(list(body.iter("h1"))) == 1, page


def test_images_carry_their_alt_text(example):
    out, _ = example
    images = [img for page in page_files(out) for img in parse_html(page).iter("img")]
    assert images, "the example site should show at least one image"
    assert all(img.get("alt") for img in images)


def test_nothing_the_pages_load_comes_from_another_site(example):
    out, _ = example
    for page in page_files(out):
        for element in parse_html(page).iter():
            if element.tag not in ("link", "script", "img", "iframe", "source") or (
                    element.tag == "link" and element.get("rel") in ("canonical", "alternate")):
                continue  # not loaded by the browser
            url = element.get("src") or element.get("href") or ""
            assert not _EXTERNAL.match(url), f"{page}: <{element.tag}> loads {url}"
    for css in (out / "assets").glob("*.css"):
        text = css.read_text()
        assert "@import" not in text and not re.search(r"url\(\s*['\"]?(?:https?:)?//", text)


def test_note_links_show_as_badges_named_by_kind(example):
    out, result = example
    view = next(v for v in result.site.notes if v.note.slug == "chain-of-zoom")
    root = parse_html(out / view.path)
    badges = [a.get("class").split() for a in root.iter("a") if "badge" in (a.get("class") or "")]
    kinds = {c.removeprefix("badge-") for classes in badges for c in classes if c != "badge"}
    assert {"paper", "code", "website", "arxiv", "pdf"} <= kinds


def test_wide_code_and_display_math_can_be_scrolled_from_the_keyboard(example):
    out, result = example
    view = next(v for v in result.site.notes if 'class="highlight"' in v.html
                and '<math display="block"' in v.html)
    body = next(div for div in parse_html(out / view.path).iter("div")
                if div.get("class") == "note-body")
    code = list(body.iter("pre"))
    formulas = [e for e in body.iter() if e.tag.endswith("math") and e.get("display") == "block"]
    assert code and formulas
    scrollers = code + [e for e in body.iter("span") if e.get("class") == "math-display"]
    assert all(e.get("tabindex") == "0" for e in scrollers)
    assert len(scrollers) == len(code) + len(formulas)


def test_a_site_overriding_only_note_html_keeps_the_rest_of_the_theme(tmp_path):
    site = copy_site("minimal", tmp_path)
    (site / "templates").mkdir()
    (site / "templates" / "note.html").write_text(
        '{% extends "base.html" %}\n{% block content %}<article class="my-note">'
        "<h1>{{ note.title }}</h1>{{ note.html | safe }}</article>{% endblock %}\n")
    build(site, BuildOptions())
    out = site / "_site"
    note = next(p for p in page_files(out) if "/papers/" in p.as_posix())
    root = parse_html(note)
    assert root.find(".//article").get("class") == "my-note"
    assert root.find(".//header").get("class") == "site-header"  # base.html from the theme
    assert out.joinpath("assets", "style.css").is_file()
    home = parse_html(out / "index.html")
    assert [a for a in home.iter("article") if a.get("class") == "note-item"]
    assert any(link.get("href").endswith("/assets/style.css") for link in home.iter("link"))


def test_the_theme_stylesheet_is_published_minified_and_a_sites_own_as_written(tmp_path):
    site = copy_site("minimal", tmp_path)
    build(site, BuildOptions())
    published = (site / "_site" / "assets" / "style.css").read_text(encoding="utf-8")
    source = (THEME_DIR / "static" / "style.css").read_text(encoding="utf-8")
    assert "/*" not in published and len(published) < 0.9 * len(source)
    # The same rules survive: every custom property of the palette is still declared.
    declared = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    assert set(re.findall(r"--[\w-]+:", declared)) == set(re.findall(r"--[\w-]+:", published))
    own = "/* my theme */\nbody { color: red; }\n"
    (site / "static" / "assets").mkdir(parents=True)
    (site / "static" / "assets" / "style.css").write_text(own, encoding="utf-8")
    build(site, BuildOptions())
    assert (site / "_site" / "assets" / "style.css").read_text(encoding="utf-8") == own


def _count_line(page: Path) -> str:
    root = parse_html(page)
    return "".join(next(p for p in root.iter("p") if p.get("class") == "count").itertext())


def test_a_term_page_counts_every_note_of_the_term_after_an_older_one_joins_it(tmp_path):
    site = copy_site("minimal", tmp_path)
    for day in range(10, 22):
        write_note(site, f"papers/n{day}.md",
                   f"---\ntitle: Note {day}\ndate: 2024-03-{day}\ntags: [lora]\n---\nBody.\n")
    older = "---\ntitle: Note 1\ndate: 2024-03-01\ntags: [{}]\n---\nBody.\n"
    write_note(site, "papers/n01.md", older.format("other"))
    result = build(site, BuildOptions())
    tag = next(t for t in result.site.tags if t.slug == "lora")
    first_page = site / "_site" / tag.path
    assert _count_line(first_page).startswith("12 notes")
    # Older than every other: it lands on page 2, and page 1 lists the same ten notes.
    write_note(site, "papers/n01.md", older.format("lora"))
    build(site, BuildOptions())
    assert _count_line(first_page).startswith("13 notes")


def test_list_pages_use_a_sites_own_note_item_macro(tmp_path):
    site = copy_site("minimal", tmp_path)
    write_note(site, "papers/tagged.md",
               "---\ntitle: Tagged\ndate: 2024-03-01\ntags: [lora]\n---\nBody.\n")
    macros = (THEME_DIR / "templates" / "_macros.html").read_text(encoding="utf-8")
    (site / "templates").mkdir()
    (site / "templates" / "_macros.html").write_text(
        macros.replace('<article class="note-item"', '<article class="note-item my-item"'),
        encoding="utf-8")
    result = build(site, BuildOptions())
    tag = next(t for t in result.site.tags if t.slug == "lora")
    for page in (site / "_site" / "index.html", site / "_site" / tag.path):
        classes = [a.get("class") for a in parse_html(page).iter("article")]
        assert classes and all(c == "note-item my-item" for c in classes), page
