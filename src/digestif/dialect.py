"""The Markdown dialect: which Python-Markdown extensions read a note, with what settings.

Notes are written for GitHub, Obsidian or Jekyll's kramdown; these extensions make
Python-Markdown read the everyday constructs of those dialects as their authors saw them
(docs/markdown.md lists each one). Registration priorities that matter to other processors:
fenced code is stashed by superfences at 25, before the math preprocessor (22) looks for ``$``.
"""

from __future__ import annotations

import re

from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.preprocessors import Preprocessor
from markdown.util import HTML_PLACEHOLDER

from .config import MarkdownConfig

# A line that is only a stashed fence, as superfences leaves it (indented, or after "> ").
_STASHED_FENCE = re.compile(r"^([> ]*)" + HTML_PLACEHOLDER % r"\d+" + "$")


def extensions(settings: MarkdownConfig) -> list[str | Extension]:
    """Extension names, in the order they register."""
    return [
        # superfences (not fenced_code): fences inside list items and quotes, and attributes
        # on the fence line (```python title="x.py"); pymdownx.highlight (not codehilite)
        # is what colours them, with the same Pygments classes under .highlight.
        "pymdownx.superfences", "pymdownx.highlight",
        "tables", "footnotes", "attr_list", "def_list", "admonition", "md_in_html",
        "sane_lists", "toc", DialectExtension(),
    ]


def extension_configs(settings: MarkdownConfig) -> dict[str, dict]:
    return {
        "pymdownx.highlight": {"css_class": "highlight", "guess_lang": False},
        "toc": {"slugify": slugify_unicode, "permalink": "#",
                "permalink_class": "anchor", "permalink_title": "Link to this section",
                "toc_depth": "2-4"},
        "footnotes": {"BACKLINK_TITLE": "Back to reference %d"},
    }


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


class DialectExtension(Extension):
    """The hand-written pieces of the dialect, where no maintained extension does the job."""

    def extendMarkdown(self, md):  # noqa: N802 - Markdown's API
        # Right after superfences (25) has stashed fences, before math (22) and raw HTML (20).
        md.preprocessors.register(_FenceSpacing(md), "fence_spacing", 24)
