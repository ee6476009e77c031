"""Standalone pages (content/pages/ or kind: page): served at /<slug>/, in the menu when asked,
never in note lists, feeds, the digest, search or the exports."""

from __future__ import annotations

import json
import re

import pytest
from lxml import etree

from conftest import copy_site, parse_html, search_fragments, write_note
from digestif import search
from digestif.build import BuildOptions, build
from digestif.errors import BuildError

ABOUT = """---
title: About this site
menu: 2
---
Notes by a lab. Start with [LoRA](../papers/lora.md) or the [[lora]] note.
"""
COLOPHON = "---\ntitle: Colophon\nkind: page\nmenu: 1\n---\nBuilt with digestif.\n"
CONTACT = "---\ntitle: Contact\n---\nWrite to us.\n"
LORA = """---
title: "LoRA: Low-Rank Adaptation"
date: 2025-05-26
categories: [Efficient Tuning]
---
- Freeze the weights.
"""


def text_of(element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


@pytest.fixture
def site(tmp_path):
    site = copy_site("minimal", tmp_path)
    write_note(site, "pages/about.md", ABOUT)
    write_note(site, "pages/contact.md", CONTACT)
    write_note(site, "colophon.md", COLOPHON)
    write_note(site, "papers/lora.md", LORA)
    return site


@pytest.fixture
def out(site):
    build(site, BuildOptions(strict=True))
    return site / "_site"


def test_pages_are_served_at_their_slug_with_their_body(out):
    page = parse_html(out / "about/index.html")
    assert text_of(page.find(".//main//h1")) == "About this site"
    links = {text_of(a): a.get("href") for a in page.iterfind(".//main//a")}
    assert links == {"LoRA": "/papers/lora/", "lora": "/papers/lora/"}
    assert (out / "colophon/index.html").is_file() and (out / "contact/index.html").is_file()
    assert not (out / "papers/about").exists()


def test_the_menu_lists_pages_that_ask_in_their_order(out):
    nav = [text_of(a) for a in parse_html(out / "index.html").iterfind(
        ".//nav[@class='site-nav']//a")]
    assert nav[-2:] == ["Colophon", "About this site"] and "Contact" not in nav
    about = parse_html(out / "about/index.html")
    [current] = [a for a in about.iterfind(".//nav[@class='site-nav']//a")
                 if a.get("aria-current") == "page"]
    assert text_of(current) == "About this site"


def test_pages_are_in_no_list_feed_digest_or_export(out):
    titles = ("About this site", "Colophon", "Contact")
    for listing in ("index.html", "digest/index.html", "archive/index.html",
                    "categories/efficient-tuning/index.html"):
        main = text_of(parse_html(out / listing).find(".//main"))
        assert not [t for t in titles if t in main], listing
    for feed in ("feed.xml", "categories/efficient-tuning/feed.xml"):
        entries = etree.parse(str(out / feed)).getroot().iter("{http://www.w3.org/2005/Atom}title")
        assert not [e.text for e in entries if e.text in titles], feed
    bib = (out / "papers.bib").read_text(encoding="utf-8")
    assert not [t for t in titles if t in bib] and "LoRA" in bib
    papers = json.loads((out / "papers.json").read_text("utf-8"))["papers"]
    flat = json.dumps(papers, ensure_ascii=False)
    assert "LoRA" in flat and not [t for t in titles if t in flat]


def test_pages_are_in_the_sitemap_and_not_counted_as_notes(site):
    result = build(site, BuildOptions())
    assert result.notes == 2  # only.md and lora.md
    sitemap = (site / "_site/sitemap.xml").read_text(encoding="utf-8")
    assert "https://example.org/about/" in sitemap


def test_a_page_needs_no_date_but_a_note_still_does(site):
    write_note(site, "papers/undated.md", "---\ntitle: Undated\n---\nx\n")
    with pytest.raises(BuildError) as caught:
        build(site, BuildOptions())
    assert [p.file for p in caught.value.problems if not p.warning] == [
        "content/papers/undated.md"]


@pytest.mark.parametrize("slug", ["digest", "feed.xml", "archive"])
def test_a_page_at_a_url_the_site_uses_is_an_error(site, slug):
    write_note(site, f"pages/{slug.replace('.', '-')}.md", f"---\ntitle: X\nslug: {slug}\n---\n")
    with pytest.raises(BuildError, match="one the site uses itself"):
        build(site, BuildOptions())


def test_two_pages_at_one_url_name_both_files(site):
    write_note(site, "pages/about-too.md", "---\ntitle: Again\nslug: about\n---\n")
    with pytest.raises(BuildError, match="content/pages/about.md"):
        build(site, BuildOptions())


def test_a_broken_link_on_a_page_is_a_warning_naming_file_and_line(site):
    write_note(site, "pages/links.md", "---\ntitle: Links\n---\n\nSee [[nothing-here]].\n")
    result = build(site, BuildOptions())
    [warning] = [w for w in result.warnings if w.file == "content/pages/links.md"]
    assert warning.line == 5 and "[[nothing-here]]" in warning.message


def test_bad_kind_and_menu_values_are_reported(site):
    write_note(site, "papers/odd.md", "---\ntitle: Odd\ndate: 2024-01-01\nkind: post\n---\n")
    with pytest.raises(BuildError, match="expected note or page"):
        build(site, BuildOptions())
    write_note(site, "papers/odd.md", "---\ntitle: Odd\ndate: 2024-01-01\nmenu: 3\n---\n")
    result = build(site, BuildOptions())
    assert any("only pages" in w.message for w in result.warnings)
    write_note(site, "pages/odd.md", "---\ntitle: Odd\nmenu: first\n---\n")
    with pytest.raises(BuildError, match="expected a whole number"):
        build(site, BuildOptions())


@pytest.mark.skipif(search.find_pagefind() is None,
                    reason="Pagefind not installed: pip install -e .")
@pytest.mark.parametrize("note_pattern", ["/papers/{slug}/", "/{slug}/"])
def test_pages_are_never_search_results(site, note_pattern):
    """Also when notes live at /<slug>/ too, so Pagefind's file glob takes pages in: the page
    template carries no data-pagefind-body, and the index keeps to the notes."""
    toml = (site / "site.toml").read_text(encoding="utf-8")
    (site / "site.toml").write_text(toml + f'\n[permalinks]\nnote = "{note_pattern}"\n',
                                    encoding="utf-8")
    build(site, BuildOptions())
    urls = set(search_fragments(site / "_site"))
    assert urls and not [u for u in urls if u.rstrip("/").rsplit("/", 1)[-1] in
                         ("about", "colophon", "contact")]
