"""The Markdown dialect (docs/markdown.md): GitHub-flavoured and kramdown constructs come out as
their authors saw them. One test per construct, on the parsed HTML of one rendered note."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

import html5lib
import pytest

from conftest import copy_site, parse_html, write_note
from digestif.build import BuildOptions, build
from digestif.config import MarkdownConfig
from digestif.markup import DEFAULT_SETTINGS, render_markdown
from digestif.note import Note

# Both Markdown engines read every construct here but those marked only_engine.
pytestmark = pytest.mark.usefixtures("engine")


def render(body: str, base_url: str = "", settings: MarkdownConfig = DEFAULT_SETTINGS):
    note = Note(source="content/papers/x.md", title="T", date=datetime(2024, 1, 1, tzinfo=UTC),
                slug="x", body=body, body_line=5)
    return render_markdown(note, base_url, settings)


def tree(body: str, **options) -> ElementTree.Element:
    html = render(body, **options).html
    return html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)


def text(element: ElementTree.Element) -> str:
    return "".join(element.itertext())


def classes(element: ElementTree.Element) -> set[str]:
    return set((element.get("class") or "").split())


def find_class(root: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [e for e in root.iter() if name in classes(e)]


# --- code -------------------------------------------------------------------------------------

def test_a_fence_inside_a_list_item_is_a_highlighted_block_in_that_item():
    root = tree("- an item:\n\n    ```python\n    def f():\n        return 1\n    ```\n- next\n")
    item = root.find(".//li")
    [block] = find_class(item, "highlight")
    assert block.find(".//pre/code") is not None
    assert any(span.get("class") == "k" for span in block.iter("span"))
    assert "    return 1" in text(block)
    assert [text(li).strip() for li in root.iter("li")][1] == "next"


def test_a_fence_right_under_a_line_of_text_is_a_block_not_part_of_the_paragraph():
    root = tree("Run:\n```sh\nmake\n```\nThen read.\n")
    assert [text(p) for p in root.iter("p")] == ["Run:", "Then read."]
    assert text(find_class(root, "highlight")[0].find(".//code")) == "make\n"


def test_a_fence_with_a_title_shows_the_title_above_its_highlighted_code():
    root = tree('```python title="train.py"\nmodel.fit(x)\n```\n')
    [block] = find_class(root, "highlight")
    [title] = find_class(block, "filename")
    assert text(title) == "train.py"
    assert "model.fit(x)" in text(block.find(".//code"))
    assert any(span.get("class") == "n" for span in block.iter("span"))


def test_a_fence_with_braced_attributes_is_a_block_too():
    root = tree('```{.python title="x.py"}\nprint(1)\n```\n')
    assert not root.findall(".//p/code"), "the fence became inline code"
    assert text(find_class(root, "filename")[0]) == "x.py"


def test_indented_code_and_plain_fences_keep_the_highlight_class():
    root = tree("Text.\n\n    indented = 1\n\n```\nplain fence\n```\n")
    blocks = find_class(root, "highlight")
    assert [text(b.find(".//code")).strip() for b in blocks] == ["indented = 1", "plain fence"]


# --- lists ------------------------------------------------------------------------------------

def nesting(root: ElementTree.Element) -> list[tuple[int, str]]:
    """(depth, own text) of every list item, depth 1 for a top-level item."""
    found = []

    def walk(element, depth):
        for child in element:
            if child.tag == "li":
                first = child.find("p")
                own = (child.text or "").strip() or text(child if first is None else first)
                found.append((depth, own.strip()))
            walk(child, depth + (child.tag in ("ul", "ol")))
    walk(root, 0)
    return found


def test_two_space_nested_lists_nest_as_on_github():
    root = tree("- a\n  - b\n    - c\n- d\n\n1. one\n   1. one-one\n2. two\n")
    assert nesting(root) == [(1, "a"), (2, "b"), (3, "c"), (1, "d"),
                             (1, "one"), (2, "one-one"), (1, "two")]


def test_four_space_nested_lists_still_nest_one_level_per_four_spaces():
    root = tree("- a\n    - b\n        - c\n- d\n")
    assert nesting(root) == [(1, "a"), (2, "b"), (3, "c"), (1, "d")]


def test_a_list_right_under_a_paragraph_line_is_a_list():
    root = tree("Steps:\n- read\n- write\n")
    assert text(root.find(".//p")) == "Steps:"
    assert nesting(root) == [(1, "read"), (1, "write")]


def test_a_paragraph_line_starting_with_a_year_is_not_a_list():
    root = tree("We met in\n2019. It rained.\n")
    assert not list(root.iter("li"))


def test_a_two_space_fence_inside_an_item_stays_in_that_item():
    root = tree("- code:\n  ```python\n  x = 1\n  ```\n- next\n  - child\n")
    first = root.find(".//li")
    assert find_class(first, "highlight"), "the fence left its item"
    assert text(find_class(first, "highlight")[0].find(".//code")) == "x = 1\n"
    assert [depth for depth, _ in nesting(root)] == [1, 1, 2]


def test_list_markers_inside_fenced_code_are_left_alone():
    body = "```yaml\nsteps:\n  - run: make\n    - odd\n```\n"
    root = tree(body)
    assert not list(root.iter("li"))
    assert text(root.find(".//code")) == "steps:\n  - run: make\n    - odd\n"


def test_a_bullet_right_after_a_numbered_item_starts_a_list_of_its_own():
    root = tree("1. first\n  - not nested: two spaces is less than the item's text\n")
    assert [e.tag for e in root.find("body")] == ["ol", "ul"]


# --- task lists -------------------------------------------------------------------------------

def test_task_list_items_are_disabled_checkboxes_named_by_their_text():
    root = tree("- [x] read the paper\n- [ ] write the *note*\n  - [ ] sub-task\n- plain item\n")
    boxes = list(root.iter("input"))
    assert [(b.get("type"), b.get("disabled") is not None, b.get("checked") is not None)
            for b in boxes] == [("checkbox", True, True), ("checkbox", True, False),
                                ("checkbox", True, False)]
    assert [b.get("aria-label") for b in boxes] == ["read the paper", "write the note",
                                                    "sub-task"]
    items = list(root.iter("li"))
    assert "task-list-item" in classes(items[0]) and "[x]" not in text(root)
    assert "task-list-item" not in classes(items[-1])


def test_a_task_in_a_loose_list_gets_its_checkbox_too():
    root = tree("- [x] done\n\n- [ ] open\n")
    assert [b.get("aria-label") for b in root.iter("input")] == ["done", "open"]


# --- inline marks -----------------------------------------------------------------------------

def test_strike_mark_subscript_and_superscript():
    root = tree("~~old~~ ==key== H~2~O x^2^ ^^added^^")
    found = {e.tag: text(e) for e in root.find("body").iter() if e.tag not in ("body", "p")}
    assert found == {"del": "old", "mark": "key", "sub": "2", "sup": "2", "ins": "added"}


def test_comparisons_and_approximations_stay_as_typed():
    body = "Assume i==1, j==2 and a ~5 GB model, ~10 s per step, 2^10 = 1024."
    root = tree(body)
    assert text(root.find(".//p")) == body
    assert not [e for e in root.iter() if e.tag in ("mark", "sub", "sup", "del")]


def test_marks_inside_code_are_left_alone():
    root = tree("`~~a~~ ==b== x^2^`")
    assert text(root.find(".//code")) == "~~a~~ ==b== x^2^"


# --- bare links -------------------------------------------------------------------------------

def links(root: ElementTree.Element) -> list[tuple[str, str]]:
    return [(a.get("href"), text(a)) for a in root.iter("a")]


def test_a_bare_url_becomes_a_link_without_its_trailing_punctuation():
    root = tree("See https://github.com/facelessuser/pymdown-extensions. Or (www.example.org).")
    assert links(root) == [
        ("https://github.com/facelessuser/pymdown-extensions",
         "https://github.com/facelessuser/pymdown-extensions"),
        ("http://www.example.org", "www.example.org")]


def test_a_bare_url_in_code_or_a_link_stays_as_it_is():
    root = tree("`https://example.com/x` and\n\n    https://example.com/y\n\n"
                "[https://example.com/z](https://example.com/z)")
    assert links(root) == [("https://example.com/z", "https://example.com/z")]
    assert [text(c) for c in root.iter("code")] == ["https://example.com/x",
                                                    "https://example.com/y\n"]


def test_a_bare_url_to_the_site_itself_follows_the_base_path_and_counts_as_a_backlink():
    result = render("As in https://example.org/notes/papers/other/ before.",
                    base_url="https://example.org/notes/")
    root = html5lib.parse(result.html, treebuilder="etree", namespaceHTMLElements=False)
    assert [href for href, _ in links(root)] == ["digestif:root:papers/other/"]
    assert [(kind, target) for kind, target, _ in result.links] == [("root", "papers/other/")]


# --- alerts -----------------------------------------------------------------------------------

def test_github_alerts_become_titled_callouts():
    root = tree("> [!NOTE]\n> Useful.\n\n> [!WARNING]\n> Careful **now**.\n\n> plain quote\n")
    boxes = find_class(root, "admonition")
    assert [sorted(classes(b)) for b in boxes] == [["admonition", "note"],
                                                  ["admonition", "warning"]]
    assert [text(find_class(b, "admonition-title")[0]) for b in boxes] == ["Note", "Warning"]
    assert text(boxes[1]).strip().endswith("Careful now.")
    assert "[!" not in text(root)
    assert text(root.find(".//blockquote")).strip() == "plain quote"


def test_an_obsidian_callout_with_a_title_and_a_fold_is_a_details_element():
    root = tree("> [!tip]- Read this first\n> Hidden until opened.\n")
    details = root.find(".//details")
    assert {"admonition", "tip"} <= classes(details) and details.get("open") is None
    assert text(details.find("summary")) == "Read this first"


# --- line breaks ------------------------------------------------------------------------------

def test_a_backslash_at_the_end_of_a_line_is_a_hard_line_break():
    paragraph = tree("first line\\\nsecond line").find(".//p")
    assert paragraph.text == "first line"
    [br] = list(paragraph)
    assert br.tag == "br" and br.tail.strip() == "second line"


def test_other_backslashes_stay_as_typed():
    root = tree("C:\\Users\\me and an escaped \\\\\nbackslash, and a last one\\")
    assert text(root.find(".//p")) == "C:\\Users\\me and an escaped \\\nbackslash, and a last one\\"
    assert not list(root.iter("br"))


# --- kramdown ---------------------------------------------------------------------------------

def test_kramdown_toc_puts_the_table_of_contents_where_it_stands():
    body = "Intro.\n\n* TOC\n{:toc}\n\n## First\n\ntext\n\n### Inner\n\n## Second\n"
    root = tree(body)
    body_children = list(root.find("body"))
    toc = body_children[1]
    assert "note-toc" in classes(toc)
    assert [a.get("href") for a in toc.iter("a")] == ["#first", "#inner", "#second"]
    assert "TOC" not in text(root).replace("note-toc", "") and "{:toc}" not in text(root)


def test_python_markdown_toc_marker_works_too():
    root = tree("[TOC]\n\n## Only\n")
    assert [a.get("href") for a in find_class(root, "note-toc")[0].iter("a")] == ["#only"]


@pytest.mark.only_engine("python-markdown", reason="kramdown {: } attribute lists and "
                         "markdown=\"1\" are Python-Markdown extensions (docs/markdown.md)")
def test_kramdown_block_attributes_and_markdown_in_html_keep_working():
    root = tree('A paragraph.\n{: .lead #intro}\n\n<div class="aside" markdown="1">\n'
                "*inside*\n</div>\n")
    paragraph = root.find(".//p")
    assert (paragraph.get("class"), paragraph.get("id")) == ("lead", "intro")
    aside = find_class(root, "aside")[0]
    assert aside.find(".//em").text == "inside"


# --- smart punctuation ------------------------------------------------------------------------

SMART = MarkdownConfig(smart_quotes=True)


def test_smart_quotes_curl_quotes_and_make_dashes_when_the_site_asks():
    result = render("\"Quoted\" and 'single' -- 1990---2000... it's `\"code\" -- x`",
                    settings=SMART)
    root = html5lib.parse(result.html, treebuilder="etree", namespaceHTMLElements=False)
    assert text(root.find(".//p")) == "\u201cQuoted\u201d and \u2018single\u2019 \u2013 " \
        "1990\u20142000\u2026 it\u2019s \"code\" -- x"
    assert result.first_paragraph == text(root.find(".//p"))


def test_without_the_setting_punctuation_stays_as_typed():
    assert text(tree("\"Quoted\" -- x").find(".//p")) == "\"Quoted\" -- x"


def test_smart_quotes_leave_urls_alone():
    root = tree("See https://example.org/a--b and <https://example.org/c--d>.", settings=SMART)
    assert [text(a) for a in root.iter("a")] == ["https://example.org/a--b",
                                                 "https://example.org/c--d"]


def test_a_new_site_has_smart_quotes_on_and_an_existing_one_keeps_them_off(tmp_path):
    from digestif.config import load_config
    from digestif.scaffold import init_site
    init_site(tmp_path / "new", title="T", base_url="https://example.org/")
    assert load_config(tmp_path / "new").markdown.smart_quotes is True
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "site.toml").write_text('title = "Old"\n', encoding="utf-8")
    assert load_config(tmp_path / "old").markdown.smart_quotes is False


# --- diagrams ---------------------------------------------------------------------------------

def test_a_mermaid_block_is_a_figure_holding_its_source_as_text():
    root = tree('```mermaid\ngraph TD\n  A["a & b"] --> B\n```\n')
    [figure] = find_class(root, "diagram")
    assert figure.tag == "figure"
    pre = figure.find("pre")
    assert "mermaid" in classes(pre) and pre.get("tabindex") == "0"
    assert text(pre) == 'graph TD\n  A["a & b"] --> B'
    assert not find_class(root, "highlight"), "a diagram is not a highlighted code block"


def test_dollar_signs_in_a_diagram_are_not_math():
    root = tree("```mermaid\ngraph LR\n  A[$5] --> B[$x$]\n```\n")
    assert not [e for e in root.iter() if e.tag.endswith("math")]
    assert "A[$5] --> B[$x$]" in text(root)


# --- links in raw HTML -----------------------------------------------------------------------

RAW_HTML = ('<img alt="a>b" src="/x.png">\n\n<object data="/d.svg"></object>\n\n'
            '<video poster="/p.jpg"></video>\n\n'
            '<picture><source srcset="/a.png, b.png 2x"><img src=/x.png alt=""></picture>\n\n'
            '[empty]() and <a href="">raw empty</a> and [[Ref]](https://example.com/x.pdf)\n')


def test_urls_in_raw_html_attributes_are_marked_like_markdown_links():
    result = render(RAW_HTML)
    root = html5lib.parse(result.html, treebuilder="etree", namespaceHTMLElements=False)
    urls = [(e.tag, name, e.get(name)) for e in root.iter()
            for name in ("src", "data", "poster", "srcset", "href") if e.get(name) is not None]
    assert urls == [
        ("img", "src", "digestif:root:x.png"), ("object", "data", "digestif:root:d.svg"),
        ("video", "poster", "digestif:root:p.jpg"),
        ("source", "srcset", "digestif:root:a.png , digestif:asset:content/papers/b.png 2x"),
        ("img", "src", "digestif:root:x.png"),
        ("a", "href", ""), ("a", "href", ""), ("a", "href", "https://example.com/x.pdf")]
    assert result.assets == ("content/papers/b.png",)


def test_a_wiki_link_followed_by_a_url_is_a_link_to_that_url():
    root = tree("[[Ref]](https://example.com/x.pdf) but [[other-note]] and [[a|shown]]")
    assert links(root) == [("https://example.com/x.pdf", "[Ref]"),
                           ("digestif:slug:other-note", "other-note"),
                           ("digestif:slug:a", "shown")]


def test_raw_html_urls_get_the_base_path_and_empty_links_stay_on_the_page(dialect_site):
    out, _ = dialect_site
    page = parse_html(out / "papers/raw/index.html")
    body = find_class(page, "note-body")[0]
    assert [(e.tag, e.get("src") or e.get("data") or e.get("poster") or e.get("srcset"))
            for e in body.iter() if e.tag in ("img", "object", "video", "source")] == [
        ("img", "/notes/x.png"), ("object", "/notes/d.svg"), ("video", "/notes/p.jpg"),
        ("source", "/notes/a.png , /notes/papers/b.png 2x"), ("img", "/notes/x.png")]
    assert [a.get("href") for a in body.iter("a")][:3] == ["", "", "https://example.com/x.pdf"]


# --- the dialect test site: every row of the table on one built page ----------------

@pytest.fixture(scope="module")
def dialect_site(tmp_path_factory):
    """(output folder, page of tests/sites/dialect's one note) after a build."""
    site = copy_site("dialect", tmp_path_factory.mktemp("dialect"))
    write_note(site, "papers/plain.md", "---\ntitle: Plain\ndate: 2024-03-02\n---\nText.\n")
    write_note(site, "papers/raw.md", "---\ntitle: Raw\ndate: 2024-03-03\n---\n" + RAW_HTML)
    (site / "static").mkdir()
    for name in ("x.png", "d.svg", "p.jpg", "a.png"):
        (site / "static" / name).write_bytes(b"")
    (site / "content/papers/b.png").write_bytes(b"")
    build(site, BuildOptions())
    out = site / "_site"
    return out, parse_html(out / "papers/dialect/index.html")


def scripts(page) -> list[str]:
    return [s.get("src") for s in page.iter("script") if s.get("src")]


def test_the_dialect_note_builds_into_what_its_authors_expect(dialect_site):
    _, page = dialect_site
    body = find_class(page, "note-body")[0]
    items = nesting(body)
    start = items.index((1, "two-space parent"))
    assert items[start:start + 7] == [
        (1, "two-space parent"), (2, "two-space child"), (3, "two-space grandchild"),
        (1, "four-space parent"), (2, "four-space child"), (1, "ordered parent"),
        (2, "ordered child")]
    holder = next(li for li in body.iter("li") if text(li).strip().startswith("an item holding"))
    assert find_class(holder, "highlight")
    assert len(list(body.iter("input"))) == 2
    assert {e.tag for e in body.iter()} >= {"del", "mark", "sub", "sup", "br", "figure"}
    assert text(find_class(body, "filename")[0]) == "train.py"
    assert {"note", "warning"} <= {c for box in find_class(body, "admonition")
                                   for c in classes(box)}
    assert any(a.get("href", "").startswith("https://github.com/") for a in body.iter("a"))
    assert "\u201cQuotes\u201d" in text(body), "the site turns smart quotes on"
    assert find_class(body, "lead") and find_class(body, "aside")


def test_a_note_that_places_its_contents_gets_no_second_contents(dialect_site):
    _, page = dialect_site
    assert len(find_class(page, "note-toc")) == 1
    assert not [nav for nav in page.iter("nav") if "toc" in classes(nav)]


def test_the_diagram_script_loads_only_on_pages_with_a_diagram(dialect_site):
    out, page = dialect_site
    assert [src for src in scripts(page) if src.endswith("diagrams.js")] == [
        "/notes/assets/diagrams.js"]
    plain = parse_html(out / "papers/plain/index.html")
    assert not [src for src in scripts(plain) if "diagram" in src or "mermaid" in src]
    assert (out / "assets/mermaid/mermaid.esm.min.mjs").is_file()


@pytest.mark.only_engine("python-markdown", reason="in CommonMark a line starting with "
                         "<script> is an HTML block to its end, so the prose after it is raw")
def test_the_summary_of_a_note_opening_with_a_script_holds_none_of_it():
    body = ("<script>MathJax.Hub.Config({inlineMath: [['$','$']]});</script> Prose *after*.\n\n"
            "Second.\n")
    for settings in (DEFAULT_SETTINGS, SMART):
        summary = render(body, settings=settings).first_paragraph
        assert summary == "Prose after."


def test_a_site_without_diagrams_gets_no_copy_of_mermaid(tmp_path):
    site = copy_site("minimal", tmp_path)
    build(site, BuildOptions())
    assets = site / "_site" / "assets"
    assert (assets / "style.css").is_file()
    assert not (assets / "mermaid").exists() and not (assets / "diagrams.js").exists()
