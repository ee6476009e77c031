"""A list entry is rendered once per note for every list page that shows it alike
(fragment_reads.py): the theme's on the home page and on each term page of its note, and a
site's own note_item macro that reads the page kind, the term or the page number still shows
what it reads on each page."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from conftest import copy_site, parse_html, write_note
from digestif.build import BuildOptions, build
from digestif.fragment_reads import template_reads
from digestif.render import make_environment
from digestif.theme import THEME_DIR

THEME_MACROS = (THEME_DIR / "templates" / "_macros.html").read_text(encoding="utf-8")
ITEM_OPENING = '<article class="note-item"'


def _site(tmp_path: Path, notes: int = 3) -> Path:
    site = copy_site("minimal", tmp_path)
    for day in range(1, notes + 1):
        write_note(site, f"papers/n{day:02}.md", f"---\ntitle: Note {day}\ndate: 2024-03-{day:02}"
                   f"\ncategories: [Vision]\ntags: [lora, {'odd' if day % 2 else 'even'}]\n"
                   "---\nBody.\n")
    return site


def _override_macros(site: Path, opening: str) -> None:
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates" / "_macros.html").write_text(
        THEME_MACROS.replace(ITEM_OPENING, opening), encoding="utf-8")


def _items(page: Path) -> list:
    return [a for a in parse_html(page).iter("article") if "note-item" in a.get("class", "")]


def _list_pages(out: Path) -> list[Path]:
    return [out / "index.html", *sorted((out / "tags").glob("*/index.html")),
            *sorted((out / "categories").glob("*/index.html")),
            *sorted((out / "years").glob("*/index.html"))]


def test_the_theme_entry_is_the_same_on_every_list_page_and_made_once_per_note(tmp_path,
                                                                                 monkeypatch):
    site = _site(tmp_path)
    made = []
    render = jinja2.Template.render

    def counting(self, *args, **kwargs):
        if self.name == "_note_item.html":
            made.append(args[0]["note"].title)
        return render(self, *args, **kwargs)
    monkeypatch.setattr(jinja2.Template, "render", counting)
    build(site, BuildOptions())
    out = site / "_site"
    entries: dict[str, set[str]] = {}
    for page in _list_pages(out):
        for item in _items(page):
            title = "".join(item.find(".//h2").itertext()).strip()
            entries.setdefault(title, set()).add(
                "".join(item.itertext()).strip() + repr(sorted(item.items())))
    assert sorted(entries) == ["Note 1", "Note 2", "Note 3", "Only note"]
    assert all(len(shown) == 1 for shown in entries.values()), entries
    # Each note is on the home page, its category, its tags and its year: made once each.
    assert sorted(made) == sorted(entries)


def test_a_site_macro_reading_the_page_kind_shows_it_on_each_page(tmp_path):
    site = _site(tmp_path)
    _override_macros(site, '<article class="note-item" data-kind="{{ page.kind }}"')
    build(site, BuildOptions())
    out = site / "_site"
    for page, kind in ((out / "index.html", "home"),
                       (out / "tags" / "lora" / "index.html", "tag"),
                       (out / "categories" / "vision" / "index.html", "category")):
        kinds = {item.get("data-kind") for item in _items(page)}
        assert kinds == {kind}, page


def test_a_site_macro_reading_the_term_and_page_number_shows_each_pages_own(tmp_path):
    site = _site(tmp_path, notes=12)  # two pages of ten on the home page and the lora tag
    _override_macros(site, '<article class="note-item" data-term="'
                     '{{ term.name if term is defined else "-" }}" data-page="'
                     '{{ pagination.number }}"')
    build(site, BuildOptions())
    out = site / "_site"
    for page, term, number in ((out / "index.html", "-", "1"),
                               (out / "page" / "2" / "index.html", "-", "2"),
                               (out / "tags" / "lora" / "index.html", "lora", "1"),
                               (out / "tags" / "lora" / "page" / "2" / "index.html", "lora",
                                "2"),
                               (out / "tags" / "odd" / "index.html", "odd", "1")):
        items = _items(page)
        assert items and {(i.get("data-term"), i.get("data-page")) for i in items} == {
            (term, number)}, page


def test_an_edited_site_macro_shows_on_the_next_build(tmp_path):
    site = _site(tmp_path)
    build(site, BuildOptions())
    _override_macros(site, '<article class="note-item mine"')
    build(site, BuildOptions())
    for page in _list_pages(site / "_site"):
        assert {i.get("class") for i in _items(page)} == {"note-item mine"}, page


@pytest.fixture
def env(tmp_path: Path) -> jinja2.Environment:
    (tmp_path / "templates").mkdir()
    return make_environment(tmp_path)


def _template(env: jinja2.Environment, name: str, text: str) -> None:
    folder = Path(env.loader.loaders[0].searchpath[0])
    (folder / name).write_text(text, encoding="utf-8")


def test_the_theme_entries_read_only_the_page_language(env):
    for name in ("_note_item.html", "_archive_entry.html", "_digest_entry.html"):
        reads = template_reads(env, name)
        assert reads is not None and reads.page_fields == {"lang"}, name


def test_reads_follow_macros_imports_and_includes(env):
    _template(env, "_inc.html", "{{ page.url }}")
    _template(env, "_lib.html", '{% macro inner() %}{{ page.kind }}{% endmacro %}'
              '{% macro outer() %}{{ inner() }}{% include "_inc.html" %}{% endmacro %}'
              '{% macro unused() %}{{ pagination.number }}{% endmacro %}')
    _template(env, "_entry.html", '{% from "_lib.html" import outer with context %}{{ outer() }}')
    reads = template_reads(env, "_entry.html")
    assert reads.page_fields == {"kind", "url"}
    assert "pagination" not in reads.names


@pytest.mark.parametrize("text", [
    '{% macro m(p) %}{{ p.kind }}{% endmacro %}{{ m(page) }}',  # page handed on whole
    '{% set p = page %}{{ p.kind }}',
    '{{ page[field] }}',
])
def test_a_page_used_whole_is_not_read_field_by_field(env, text):
    _template(env, "_entry.html", text)
    assert template_reads(env, "_entry.html").page_fields is None


@pytest.mark.parametrize("text", [
    '{% import "_macros.html" as m with context %}{{ m.note_item(note) }}',
    '{% include some_name %}',
    '{% extends "_macros.html" %}',
])
def test_what_the_reading_cannot_follow_gives_no_answer(env, text):
    _template(env, "_entry.html", text)
    assert template_reads(env, "_entry.html") is None
