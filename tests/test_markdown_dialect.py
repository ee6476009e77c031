"""The Markdown dialect (docs/markdown.md): GitHub-flavoured and kramdown constructs come out as
their authors saw them. One test per construct, on the parsed HTML of one rendered note."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

import html5lib

from digestif.config import MarkdownConfig
from digestif.markup import DEFAULT_SETTINGS, render_markdown
from digestif.note import Note


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
