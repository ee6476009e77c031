"""A Jekyll post's body made into a digestif note body.

Liquid with one clear meaning is resolved by :mod:`digestif.liquid` (the build does the same
for posts copied as they are); any other Liquid is kept as written and reported.
kramdown attribute lists that Python-Markdown's ``attr_list`` applies the same way are kept,
``{:toc}`` becomes ``[TOC]``, and the rest are dropped and reported.

Everything else is left byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import liquid
from .common import file_slug

# A dropped line is marked first and removed last, so every message names the line of the post.
_DROPPED = "\x00dropped\x00"


@dataclass
class Converted:
    text: str
    notes: list[tuple[int, str]] = field(default_factory=list)
    """(line in the body, message) for what was kept or dropped and needs a look."""


def convert_body(body: str, page: Mapping[str, Any] | None = None) -> Converted:
    """``page`` is the post's front matter, for ``{{ page.x }}``."""
    result = Converted(body)
    text = _kramdown(body, result.notes)
    resolved = liquid.resolve(text, liquid.Context(page or {}, _post_link, keep_comments=True,
                                                 keep_raw=True))
    result.notes += resolved.notes
    result.text = re.sub(rf"^{_DROPPED}\n?", "", resolved.text, flags=re.MULTILINE)
    result.notes.sort()
    return result


def _post_link(name: str) -> str:
    """``2020-07-19-name`` -> ``name.md``, the imported note beside this one."""
    return f"{file_slug(name)}.md"


# ---------------------------------------------------------------------------------------------
# kramdown

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_IAL = re.compile(r"^ {0,3}\{:(?!:)\s*([^}]*)\}\s*$")
_EXTENSION = re.compile(r"^ {0,3}\{::(\w+)[^}]*?(/)?\}\s*$")
_EXTENSION_END = re.compile(r"^ {0,3}\{:/(\w*)\}\s*$")
_ALD = re.compile(r"^[\w-]+:")
_LIST_ITEM = re.compile(r"^\s*(?:[*+-]|\d+[.)])\s+\S")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s")
_CODE_START = re.compile(r"\{%-?\s*(highlight|raw)\b")


def _kramdown(body: str, notes: list[tuple[int, str]]) -> str:
    lines = body.split("\n")
    fence = ""
    liquid_end = ""
    comment = False
    for index, line in enumerate(lines):
        if fence or liquid_end:  # inside code: nothing there is kramdown markup
            if fence and _closes_fence(line, fence):
                fence = ""
            if liquid_end and re.search(rf"\{{%-?\s*{liquid_end}\b", line):
                liquid_end = ""
            continue
        opening = _FENCE.match(line)
        code = _CODE_START.search(line)
        if opening:
            fence = opening.group(1)
        elif code and not re.search(rf"\{{%-?\s*end{code.group(1)}\b", line):
            liquid_end = "end" + code.group(1)
        elif comment or _EXTENSION.match(line) or _EXTENSION_END.match(line):
            comment = _extension(lines, index, comment)
        elif _IAL.match(line):
            _attribute_list(lines, index, notes)
    return "\n".join(lines)


def _closes_fence(line: str, fence: str) -> bool:
    closing = line.strip()
    return bool(closing) and set(closing) == {fence[0]} and len(closing) >= len(fence)


def _extension(lines: list[str], index: int, in_comment: bool) -> bool:
    """``{::comment}…{:/comment}`` -> an HTML comment; ``{::nomarkdown}`` markers and
    ``{::options … /}`` are dropped. Returns whether a comment is still open."""
    line = lines[index]
    start, end = _EXTENSION.match(line), _EXTENSION_END.match(line)
    if start and start.group(1) == "comment" and not start.group(2):
        lines[index] = "<!--"
        return True
    if end and in_comment:
        lines[index] = "-->"
        return False
    if in_comment:
        return True
    if start or end:
        lines[index] = _DROPPED
    return False


def _attribute_list(lines: list[str], index: int, notes: list[tuple[int, str]]) -> None:
    """Keep an attribute list where ``attr_list`` applies it as kramdown does (on the line after
    a paragraph or list item), move it onto a heading line, turn ``{:toc}`` into ``[TOC]``, and
    drop the rest."""
    content = _IAL.match(lines[index]).group(1).strip()
    previous = lines[index - 1] if index else ""
    if content == "toc":
        if _LIST_ITEM.match(previous):
            lines[index - 1] = "[TOC]"
        lines[index] = _DROPPED
        return
    if _ALD.match(content) or "no_toc" in content.split(".") or "no_toc" in content:
        lines[index] = _DROPPED  # definitions and kramdown's own TOC hints mean nothing here
        return
    if _HEADING.match(previous):
        lines[index - 1] = f"{previous.rstrip()} {{: {content}}}"
        lines[index] = _DROPPED
        return
    if previous.strip() and not re.match(r"\s*(?:[|<]|\{%|`{3}|~{3}|[=-]{3,}\s*$)", previous):
        return
    notes.append((index + 1, f"kramdown attribute list '{{:{content}}}' dropped: it is not "
                             "right after a paragraph, so digestif cannot apply it"))
    lines[index] = _DROPPED
