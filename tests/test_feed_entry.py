"""Feed entries carry what the note page's header shows, above the body, as plain HTML."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from conftest import copy_site, write_note
from digestif.build import BuildOptions, build

ATOM = "{http://www.w3.org/2005/Atom}"

NOTE = """---
title: "Chain-of-Zoom: Extreme <Super-Resolution>"
date: 2025-09-14
venue: NeurIPS 2025 Spotlight
authors: [Bryan Kim, Jeong & Co]
arxiv: "2505.18600"
task: super-resolution
categories: [Super-Resolution, Diffusion]
tags: [zoom]
links:
  code: https://github.com/example/chain-of-zoom
summary: Zoom in step by step.
---
The body starts here.
"""


def entries(feed_path) -> dict[str, etree._Element]:
    feed = etree.parse(str(feed_path)).getroot()
    return {e.findtext(f"{ATOM}title"): e for e in feed.iter(f"{ATOM}entry")}


def content_of(entry) -> lxml.html.HtmlElement:
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    return lxml.html.fragment_fromstring(content.text, create_parent="div")


def text_of(element) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip()


def build_site(tmp_path, full_content: bool = True):
    site = copy_site("minimal", tmp_path)
    write_note(site, "papers/zoom.md", NOTE)
    if not full_content:
        with (site / "site.toml").open("a", encoding="utf-8") as toml:
            toml.write("\n[feed]\nfull_content = false\n")
    build(site, BuildOptions(strict=True))
    return site / "_site"


def test_entry_shows_venue_authors_task_links_and_categories_above_the_body(tmp_path):
    out = build_site(tmp_path)
    html = content_of(entries(out / "feed.xml")["Chain-of-Zoom: Extreme <Super-Resolution>"])
    paragraphs = [text_of(p) for p in html.iter("p")]
    assert paragraphs[0] == \
        "NeurIPS 2025 Spotlight · Bryan Kim, Jeong & Co · Task: super-resolution"
    assert html.find(".//strong").text == "NeurIPS 2025 Spotlight"
    links = {a.text: a.get("href") for a in html.iter("a")}
    assert links["code"] == "https://github.com/example/chain-of-zoom"
    assert links["arXiv"] == "https://arxiv.org/abs/2505.18600"
    assert links["PDF"] == "https://arxiv.org/pdf/2505.18600"
    assert links["Super-Resolution"] == "https://example.org/categories/super-resolution/"
    assert "Categories: Super-Resolution, Diffusion" in paragraphs
    # The header, a rule, then the note's own text.
    rule = html.find("hr")
    assert text_of(rule.getprevious()) == "Categories: Super-Resolution, Diffusion"
    assert text_of(rule.getnext()) == "The body starts here."


def test_the_header_is_plain_html_a_reader_keeps(tmp_path):
    out = build_site(tmp_path)
    html = content_of(entries(out / "feed.xml")["Chain-of-Zoom: Extreme <Super-Resolution>"])
    header = html[:html.index(html.find("hr"))]
    for element in header:
        for node in element.iter():
            assert node.tag in ("p", "a", "strong"), node.tag
            assert set(node.attrib) <= {"href"}
    category_feed = out / "categories/super-resolution/feed.xml"
    assert "Task: super-resolution" in text_of(content_of(next(iter(
        entries(category_feed).values()))))


def test_a_summary_only_feed_still_shows_the_header(tmp_path):
    out = build_site(tmp_path, full_content=False)
    html = content_of(entries(out / "feed.xml")["Chain-of-Zoom: Extreme <Super-Resolution>"])
    paragraphs = [text_of(p) for p in html.iter("p")]
    assert paragraphs[0].startswith("NeurIPS 2025 Spotlight")
    assert paragraphs[-1] == "Zoom in step by step."
    assert "The body starts here." not in paragraphs
