"""The Markdown dialect: which Python-Markdown extensions read a note, with what settings.

Notes are written for GitHub, Obsidian or Jekyll's kramdown; these extensions make
Python-Markdown read the everyday constructs of those dialects as their authors saw them
(docs/markdown.md lists each one). Registration priorities that matter to other processors:
fenced code is stashed by superfences at 25, before the math preprocessor (22) looks for ``$``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from html import escape

from markdown.extensions import Extension
from markdown.extensions.toc import TocExtension, TocTreeprocessor, slugify_unicode
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER

from . import code_highlight, fast_inline
from .config import MarkdownConfig

_LIST_ITEM = re.compile(r"( *)([-*+]|\d{1,9}[.)])( +|$)")
_FENCE_LINE = re.compile(r" *(`{3,}|~{3,})")
# A paragraph line followed by a list item that may interrupt it (CommonMark: any bullet, and
# an ordered list only when it starts at 1): the item line, then the first character of the
# line above it (one regex, r"^[^\s<|>#$\\*+-].*\n(?:[-*+]|1[.)]) " in multiline mode, would
# try every position of the note).
_ITEM_UNDER_A_LINE = re.compile(r"\n(?:[-*+]|1[.)]) ")
_PARAGRAPH_LINE_START = re.compile(r"[^\s<|>#$\\*+-]")
_INTERRUPTS = re.compile(r"[-*+]|1[.)]")
# Lines after which a list item needs no blank line: HTML, tables, quotes, headings, math.
_NOT_PARAGRAPH = ("<", "|", ">", "#", "$", "\\")
# A list item indented the way GitHub nests it but Python-Markdown does not: by 1-3 spaces,
# or by a number of spaces that is not a multiple of 4.
_ODD_NESTING = re.compile(r"^(?: {4})* {1,3}(?:[-*+]|\d{1,9}[.)]) ", re.M)
# The same below the first line: a literal newline to scan for, not every position.
_ODD_NESTING_BELOW = re.compile(r"\n(?: {4})* {1,3}(?:[-*+]|\d{1,9}[.)]) ")
_PLACEHOLDER_AT_START = re.compile(HTML_PLACEHOLDER % r"(\d+)")
_PLACEHOLDER_ANYWHERE = re.compile(HTML_PLACEHOLDER % r"\d+")
# kramdown's table of contents: a one-item list ("* TOC", "1. Contents") tagged {:toc}.
_KRAMDOWN_TOC = re.compile(r"^ {0,3}(?:[-*+]|\d+\.) +\S.*\n {0,3}\{:\s*toc\s*\}[ \t]*$", re.M)
# CommonMark's hard line break: a backslash, not itself escaped, at the end of a line.
_BACKSLASH_BREAK = r"(?<!\\)\\\n"
# A line that is only a stashed fence, as superfences leaves it (indented, or after "> ").
_STASHED_FENCE = re.compile(r"^([> ]*)" + HTML_PLACEHOLDER % r"\d+" + "$")


def extensions(settings: MarkdownConfig) -> list[str | Extension]:
    """Extension names, in the order they register."""
    return [
        # superfences (not fenced_code): fences inside list items and quotes, and attributes
        # on the fence line (```python title="x.py"); pymdownx.highlight (not codehilite)
        # is what colours them, with the same Pygments classes under .highlight.
        # (code_highlight: pymdownx.highlight with its lexers and formatter made once.)
        "pymdownx.superfences",
        code_highlight.HighlightExtension(css_class="highlight", guess_lang=False),
        # "- [x] done": GitHub's task lists, as disabled checkboxes (readers cannot tick them).
        "pymdownx.tasklist",
        # ~~del~~ and H~2~O, x^2^ and ^^ins^^, ==mark==: one family, built on one shared
        # delimiter parser, that reads them the way Obsidian, Pandoc and GitHub (~~) do.
        "pymdownx.tilde", "pymdownx.caret", "pymdownx.mark",
        # Bare https://… and www.… become links, as GitHub's autolinks; never inside code.
        "pymdownx.magiclink",
        # > [!NOTE] / > [!WARNING] (GitHub) and > [!tip]- Title (Obsidian) become the same
        # callout boxes as !!! note admonitions.
        "pymdownx.quotes",
        "tables", "footnotes", "attr_list", "def_list", "admonition", "md_in_html",
        # toc: Python-Markdown's, told not to look for a [TOC] the note does not hold.
        "sane_lists", _TocExtension(slugify=slugify_unicode, permalink="#",
                                    permalink_class="anchor",
                                    permalink_title="Link to this section",
                                    toc_depth="2-4", toc_class="note-toc"),
        DialectExtension(),
        # Python-Markdown's smarty, not pymdownx.smartsymbols: smarty does what kramdown and
        # Goldmark do by default (curly quotes, -- and --- dashes, ...), smartsymbols does
        # (tm), arrows and fractions, and no quotes.
        *(["smarty", fast_inline.FastSmarty()] if settings.smart_quotes else []),
    ]


def extension_configs(settings: MarkdownConfig) -> dict[str, dict]:
    return {
        "pymdownx.superfences": {"custom_fences": [
            {"name": "mermaid", "class": "mermaid", "format": diagram_fence}]},
        # "i==1, j==2" stays as written: == between two word characters is not a mark.
        "pymdownx.mark": {"smart_mark": True},
        "pymdownx.quotes": {"callouts": True},
        "footnotes": {"BACKLINK_TITLE": "Back to reference %d"},
    }


class _KramdownToc(Preprocessor):
    """kramdown puts a table of contents where ``* TOC`` + ``{:toc}`` stands; Python-Markdown's
    toc extension does that for a ``[TOC]`` paragraph, so the one becomes the other."""

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if "toc" not in text:
            return lines
        return _KRAMDOWN_TOC.sub("\n[TOC]\n", text).split("\n")


class _MarkerToc(TocTreeprocessor):
    """Python-Markdown's table of contents, without its walk of the whole page looking for a
    ``[TOC]`` paragraph when the note's text held none once the preprocessors that write text
    had run (Liquid, kramdown's ``{:toc}``), before raw HTML, ``markdown="1"`` blocks included,
    is stashed away."""

    marker_seen = True

    def replace_marker(self, root: etree.Element, elem: etree.Element) -> None:
        if self.marker_seen:
            super().replace_marker(root, elem)


class _TocMarkerSeen(Preprocessor):
    def __init__(self, md, toc: _MarkerToc):
        super().__init__(md)
        self.toc = toc

    def run(self, lines: list[str]) -> list[str]:
        self.toc.marker_seen = any(self.toc.marker in line for line in lines)
        return lines


class _TocExtension(TocExtension):
    TreeProcessorClass = _MarkerToc

    def extendMarkdown(self, md):  # noqa: N802 - Markdown's API
        super().extendMarkdown(md)
        # After every preprocessor that writes text, before raw HTML is stashed (20).
        md.preprocessors.register(_TocMarkerSeen(md, md.treeprocessors["toc"]),
                                  "toc_marker_seen", 21)


def diagram_fence(source: str, language: str, class_name: str, options: dict, md,
                  **kwargs) -> str:
    """A ```mermaid block: its source as a code block, which the theme's diagrams.js draws
    (and which a feed reader, or a browser without JavaScript, shows as text)."""
    return (f'<figure class="diagram"><pre class="{class_name}" tabindex="0"><code>'
            f"{escape(source, quote=False)}</code></pre></figure>")


class _FenceSpacing(Preprocessor):
    """A fence needs no blank line around it on GitHub ("Run:" then ```` ``` ```` on the next
    line); superfences leaves its placeholder on the paragraph's line, so the code would land
    inside the paragraph. Blank lines around the placeholder make it a block of its own."""

    def run(self, lines: list[str]) -> list[str]:
        spaced: list[str] = []
        for index, line in enumerate(lines):
            fence = _STASHED_FENCE.match(line)
            if fence is None:
                spaced.append(line)
                continue
            blank = fence.group(1).rstrip(" ")  # ">" inside a quote, "" elsewhere
            if spaced and spaced[-1].strip("> "):
                spaced.append(blank)
            spaced.append(line)
            if index + 1 < len(lines) and lines[index + 1].strip("> "):
                spaced.append(blank)
        return spaced


class _Lists(Preprocessor):
    """Lists as GitHub (CommonMark) reads them, rewritten into the shape Python-Markdown reads
    the same way:

    - an item indented to the text of the item above nests under it: 2 spaces under ``- ``,
      3 under ``1. ``, where Python-Markdown wants 4 per level; every line inside a list is
      re-indented to 4 spaces per level (4-space notes come out as they were);
    - a list may start on the line right under a paragraph; Python-Markdown needs a blank line
      there, so one is added.

    Fenced code moves with its item and is never read as list items."""

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if not (_ODD_NESTING.match(text) or _ODD_NESTING_BELOW.search(text)
                or _list_under_text(text)):
            return lines
        return _ListRewriter().rewrite(lines)


def _list_under_text(text: str) -> bool:
    """Whether a list item stands right under a paragraph line."""
    for item in _ITEM_UNDER_A_LINE.finditer(text):
        line_start = text.rfind("\n", 0, item.start()) + 1
        if line_start < item.start() and _PARAGRAPH_LINE_START.match(text, line_start):
            return True
    return False


class _ListRewriter:
    def __init__(self) -> None:
        self.items: list[int] = []  # source column where each open item's text starts
        self.fence, self.shift = "", 0  # the open fence's marker, how far its lines move
        self.after_blank, self.after_text = True, False
        self.kind = ""  # the top-level list's marker: "-", "*", "+", "." or ")"
        self.out: list[str] = []

    def rewrite(self, lines: list[str]) -> list[str]:
        for line in lines:
            stripped = line.lstrip(" ")
            indent = len(line) - len(stripped)
            if self.fence:
                self.out.append(_shifted(line, indent, self.shift))
                if stripped.startswith(self.fence) and not stripped.strip(self.fence[0] + " "):
                    self.fence = ""
            elif not stripped:
                self.out.append(line)
                self.after_blank, self.after_text = True, False
            else:
                self._line(line, stripped, indent)
        return self.out

    def _line(self, line: str, stripped: str, indent: int) -> None:
        item = _LIST_ITEM.match(line)
        if item and (self.items or indent < 4):
            target = self._item(item, indent)
        else:
            target = self._inside(indent)
        opening = _FENCE_LINE.match(line)
        if opening:
            self.fence = opening.group(1)
        after_text = target is None and not opening and not stripped.startswith(_NOT_PARAGRAPH)
        self.shift = 0 if target is None else target - indent  # None: not in a list
        self.out.append(_shifted(line, indent, self.shift))
        self.after_blank, self.after_text = False, after_text

    def _item(self, item: re.Match, indent: int) -> int:
        marker = item.group(2)
        if not self.items and self.after_text and _INTERRUPTS.match(marker):
            self.out.append("")  # a list right under a paragraph line
        while self.items and indent < self.items[-1]:
            self.items.pop()
        kind = marker[-1] if marker[0].isdigit() else marker
        if not self.items:
            if self.kind and kind != self.kind and not self.after_blank:
                self.out.append("")  # "1. a" then "- b": two lists, as in CommonMark
            self.kind = kind
        target = 4 * len(self.items)
        self.items.append(indent + len(item.group(2)) + max(1, len(item.group(3))))
        return target

    def _inside(self, indent: int) -> int | None:
        """Where a line of text inside the open items goes, None when it ends the list."""
        level = sum(1 for column in self.items if indent >= column)
        if self.after_blank:
            del self.items[level:]
        if not self.items:
            return None
        # Text under an item sits 4 spaces per level in; keep what is past that column.
        column = self.items[level - 1] if level else self.items[-1]
        return 4 * max(level, 1) + max(0, indent - column)


class _TaskLabels(Treeprocessor):
    """A checkbox needs an accessible name (axe's "label" rule): each task's checkbox is named
    by the task's own text, so a screen reader says "write the note, checkbox, checked"."""

    def run(self, root: etree.Element) -> None:
        stash = self.md.htmlStash.rawHtmlBlocks
        for item in root.iter("li"):
            if "task-list-item" not in (item.get("class") or ""):
                continue
            holder = item if (item.text or "").strip() else item.find("p")
            found = _PLACEHOLDER_AT_START.match((holder.text or "") if holder is not None else "")
            if found is None:
                continue
            own = _PLACEHOLDER_ANYWHERE.sub("", _own_text(holder)[found.end():])  # math, HTML
            label = " ".join(own.split())[:200] or "task"
            index = int(found.group(1))
            stash[index] = stash[index].replace(
                "<input ", f'<input aria-label="{escape(label, quote=True)}" ', 1)


class _FoldedCallouts(Treeprocessor):
    """pymdownx.quotes makes a folded Obsidian callout (``> [!tip]- Title``) a ``<details>``
    with only its kind as class; the admonition class gives it the same box as the others."""

    def run(self, root: etree.Element) -> None:
        for details in root.iter("details"):
            kinds = (details.get("class") or "").split()
            if kinds and "admonition" not in kinds:
                details.set("class", " ".join(["admonition", *kinds]))


def _own_text(element: etree.Element) -> str:
    """The element's text without its nested lists (a task's sub-tasks name themselves)."""
    parts = [element.text or ""]
    for child in element:
        if child.tag not in ("ul", "ol"):
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return "".join(parts)


class _BackslashBreak(InlineProcessor):
    """CommonMark's hard line break: a backslash at the end of a line. pymdownx.escapeall can
    do it too, but it also lets a backslash escape any character (``C:\\Users`` would lose its
    backslash), so this one pattern does only the break."""

    def handleMatch(self, m, data):  # noqa: N802 - Markdown's API
        return etree.Element("br"), m.start(0), m.end(0)


def _shifted(line: str, indent: int, shift: int) -> str:
    return " " * max(0, indent + shift) + line[indent:] if line.strip() else line


class DialectExtension(Extension):
    """The hand-written pieces of the dialect, where no maintained extension does the job."""

    def extendMarkdown(self, md):  # noqa: N802 - Markdown's API
        # Markdown's own inline pass (20), made to skip patterns the text cannot match.
        md.treeprocessors.register(
            fast_inline.InlineProcessor(md, {_BACKSLASH_BREAK: "\\\n"}), "inline", 20)
        # After tabs are expanded (30), before superfences reads fences (25).
        md.preprocessors.register(_KramdownToc(md), "kramdown_toc", 29.5)
        md.preprocessors.register(_Lists(md), "github_lists", 29)
        # Right after superfences (25) has stashed fences, before math (22) and raw HTML (20).
        md.preprocessors.register(_FenceSpacing(md), "fence_spacing", 24)
        # Before backslash escapes (180), which leave a backslash before a newline alone; not
        # after an escaped backslash ("\\\\" at a line's end is a backslash, as in CommonMark).
        md.inlinePatterns.register(_BackslashBreak(_BACKSLASH_BREAK, md), "backslash_break", 185)
        # After pymdownx.tasklist (25) has put in the checkboxes and inline Markdown (20) is
        # read, so the name is the text as shown.
        md.treeprocessors.register(_TaskLabels(md), "task_labels", 19)
        # After pymdownx.quotes turns callouts into boxes (19.99).
        md.treeprocessors.register(_FoldedCallouts(md), "folded_callouts", 19.5)
