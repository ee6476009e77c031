"""feeds.py: entry content gets absolute links, as feed readers have no base URL."""

from __future__ import annotations

import html5lib

from digestif.feeds import absolute_links

PAGE = "https://example.org/blog/papers/lora/"


def _attributes(html: str) -> list[tuple[str, str, str]]:
    root = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    return [(e.tag, name, value) for e in root.iter() for name, value in sorted(e.items())]


def test_relative_links_and_sources_resolve_against_the_page():
    html = ('<p><a href="../qlora/">q</a> <a href="/blog/tags/x/">t</a> <a href="#fn1">1</a>'
            ' <img src="fig.png" alt="f" data-src="big.png"></p>')
    assert _attributes(absolute_links(html, PAGE)) == [
        ("a", "href", "https://example.org/blog/papers/qlora/"),
        ("a", "href", "https://example.org/blog/tags/x/"),
        ("a", "href", PAGE + "#fn1"),
        ("img", "alt", "f"), ("img", "data-src", PAGE + "big.png"),
        ("img", "src", PAGE + "fig.png")]


def test_absolute_links_and_lookalike_words_are_left_as_written():
    html = ('<p xhref="a.png"><a href="https://arxiv.org/abs/1">a</a>'
            '<a href="mailto:me@example.org">m</a> mysrc="c.png"</p>')
    resolved = absolute_links(html, PAGE)
    assert _attributes(resolved) == _attributes(html)
    assert 'mysrc="c.png"' in "".join(html5lib.parse(
        resolved, treebuilder="etree", namespaceHTMLElements=False).itertext())
