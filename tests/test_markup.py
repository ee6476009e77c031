"""Markdown and math rendering of one note."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

import html5lib
import pytest

from digestif.config import MarkdownConfig
from digestif.markup import render_markdown
from digestif.note import Note

# Both Markdown engines read every construct here but those marked only_engine.
pytestmark = pytest.mark.usefixtures("engine")


def render(body: str, source: str = "content/papers/x.md", math: str = "mathjax"):
    note = Note(source=source, title="T", date=datetime(2024, 1, 1, tzinfo=UTC), slug="x",
                body=body, body_line=5)
    return render_markdown(note, "", MarkdownConfig(math=math))


def tree(html: str) -> ElementTree.Element:
    return html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)


def maths(html: str):
    return [e for e in tree(html).iter() if e.tag.endswith("math")]


def test_inline_and_display_math_become_mathml_without_emphasis():
    body = "Let $x_i * y_j$ and $a_1$ be.\n\n$$\n\\sum_{i=1}^{n} x_i\n$$\n"
    html = render(body).html
    found = maths(html)
    assert [m.get("display", "inline") for m in found] == ["inline", "inline", "block"]
    assert not list(tree(html).iter("em")), "underscores inside math became emphasis"


def test_all_four_delimiters_are_math():
    html = render("A \\(a_b\\), B \\[c^2\\], C $d$ and kramdown $$e_f$$ inline.").html
    displays = [m.get("display", "inline") for m in maths(html)]
    assert displays == ["inline", "block", "inline", "inline"]


def test_dollar_amounts_stay_text():
    result = render("It costs $5 and $10, or \\$3 escaped.", math="pandoc")
    assert not maths(result.html)
    assert "$5 and $10" in "".join(tree(result.html).itertext())
    assert "$3" in "".join(tree(result.html).itertext())


def test_math_in_code_is_left_alone():
    body = "Use `$x$` inline.\n\n```python\nprice = '$x_1$'\n```\n\n    $indented_code$\n"
    html = render(body).html
    assert not maths(html)
    assert "$x_1$" in "".join(tree(html).itertext())


def test_unconvertible_tex_is_shown_as_code_with_a_warning_naming_the_line():
    result = render("Fine $a$.\n\nBroken $\\notacommand{x}$ here.")
    code = [e for e in tree(result.html).iter("code") if e.get("class") == "math-error"]
    assert "".join(code[0].itertext()) == "$\\notacommand{x}$"
    [problem] = result.problems
    assert (problem.file, problem.line, problem.field, problem.warning) == (
        "content/papers/x.md", 7, "math", True)
    assert "\\notacommand" in problem.message


def test_headings_get_unicode_ids_and_anchor_links():
    result = render("## 간단 리뷰\n\ntext\n\n### Why it matters\n")
    headings = {h.get("id"): h for h in tree(result.html).iter() if h.tag in ("h2", "h3")}
    assert set(headings) == {"간단-리뷰", "why-it-matters"}
    anchor = headings["간단-리뷰"].find("a")
    assert anchor.get("href") == "#간단-리뷰"
    assert [(e.level, e.id, e.title) for e in result.toc] == [
        (2, "간단-리뷰", "간단 리뷰"), (3, "why-it-matters", "Why it matters")]


def test_code_is_highlighted_with_css_classes():
    html = render("```python\ndef f():\n    return 1\n```\n").html
    block = next(e for e in tree(html).iter("div") if e.get("class") == "highlight")
    assert any(e.get("class") == "k" for e in block.iter("span"))


def test_tables_footnotes_definition_lists_admonitions_and_raw_html():
    body = ("| a | b |\n|---|---|\n| 1 | 2 |\n\nSee note.[^1]\n\nTerm\n: Definition\n\n"
            "!!! note\n    Careful.\n\n<div class=\"raw\">kept</div>\n\n[^1]: The footnote.\n")
    root = tree(render(body).html)
    tags = {e.tag for e in root.iter()}
    assert {"table", "dl", "dd", "sup"} <= tags
    classes = {e.get("class") for e in root.iter()}
    assert {"footnote", "admonition note", "raw"} <= classes


def test_links_beside_the_note_are_marked_for_the_model():
    result = render("![fig](figure.png) [o](other.md#sec) [a](/about/) [w](https://x.org)")
    hrefs = [e.get("href") or e.get("src") for e in tree(result.html).iter() if e.tag in "aimg"]
    assert hrefs == ["digestif:asset:content/papers/figure.png",
                     "digestif:note:content/papers/other.md#sec", "digestif:root:about/",
                     "https://x.org"]
    assert result.assets == ("content/papers/figure.png",)


def test_a_url_python_cannot_split_is_left_as_written_not_a_crash():
    result = render("See [a](http://[x) and <a href=\"http://[y\">b</a>.")
    hrefs = [e.get("href") for e in tree(result.html).iter() if e.tag == "a"]
    # pulldown-cmark percent-encodes the bracket of a Markdown link, as CommonMark says.
    assert hrefs in (["http://[x", "http://[y"], ["http://%5Bx", "http://[y"])
    assert not [p for p in result.problems if not p.warning]


def test_first_paragraph_is_plain_text_with_math_as_read():
    result = render("## Heading\n\nThe *first* paragraph with $N \\times N$.\n\nSecond.")
    assert result.first_paragraph == "The first paragraph with N×N."


def test_bold_closed_after_punctuation_beside_korean_or_chinese_is_bold():
    """CommonMark's flanking rules alone leave these as typed; their authors meant bold.
    (Two such spans in one paragraph still pair as on GitHub: docs/markdown.md "Engines".)"""
    root = tree(render("**강조)**를 보자.\n\n这是**重要。**的").html)
    assert [e.text for e in root.iter("strong")] == ["강조)", "重要。"]


def test_a_list_with_a_task_anywhere_in_it_is_a_task_list():
    root = tree(render("- plain\n- [x] done\n\n1. [ ] ordered\n").html)
    assert [e.get("class") for e in root.iter() if e.tag in ("ul", "ol")] == ["task-list"] * 2
    boxes = [e for e in root.iter("input") if e.get("type") == "checkbox"]
    assert [(b.get("aria-label"), b.get("checked") is not None) for b in boxes] == [
        ("done", True), ("ordered", False)]


# --- what the commonmark engine reads differently (docs/markdown.md "Engines") ---------------

OWN_ENGINE = pytest.mark.own_engine


def commonmark(body: str):
    note = Note(source="content/papers/x.md", title="T", date=datetime(2024, 1, 1, tzinfo=UTC),
                slug="x", body=body, body_line=5)
    return render_markdown(note, "", MarkdownConfig(engine="commonmark"))


@OWN_ENGINE
def test_commonmark_reads_markdown_inside_html_after_a_blank_line_and_keeps_the_tags():
    root = tree(commonmark('<div class="aside">\n\n*inside*\n\n</div>\n').html)
    aside = next(e for e in root.iter("div") if e.get("class") == "aside")
    assert aside.find(".//em").text == "inside"


@OWN_ENGINE
def test_commonmark_shows_python_markdown_only_syntax_as_text_never_drops_it():
    html = commonmark("A paragraph.\n{: .lead #intro}\n").html
    assert "{: .lead #intro}" in "".join(tree(html).itertext())


@OWN_ENGINE
def test_commonmark_warns_about_a_fence_attribute_it_does_not_read():
    result = commonmark('Text.\n\n```python title="a.py" linenums="1"\nx = 1\n```\n')
    titles = [e for e in tree(result.html).iter("span") if e.get("class") == "filename"]
    assert "".join(titles[0].itertext()) == "a.py"
    [problem] = result.problems
    assert "linenums=" in problem.message and problem.line == 7 and problem.warning


@OWN_ENGINE
def test_a_fence_line_inside_raw_html_keeps_its_text_in_commonmark():
    html = commonmark('<div>\n```python title="a.py"\n</div>\n').html
    assert 'python title="a.py"' in "".join(tree(html).itertext())


@OWN_ENGINE
def test_changing_the_engine_renders_every_note_again(tmp_path):
    from conftest import copy_site, parse_html, write_note
    from digestif.build import BuildOptions, build

    site = copy_site("minimal", tmp_path)
    write_note(site, "papers/raw.md", "---\ntitle: Raw\ndate: 2024-03-03\n---\n"
                                      "<div class=\"aside\">\n\n*inside*\n\n</div>\n")
    build(site, BuildOptions())
    page = site / "_site/papers/raw/index.html"
    assert not list(parse_html(page).iter("em")), "Python-Markdown keeps an HTML block raw"
    with (site / "site.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[markdown]\nengine = "commonmark"\n')
    build(site, BuildOptions())
    assert [e.text for e in parse_html(page).iter("em")] == ["inside"]
