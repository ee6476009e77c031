"""A Jekyll post's body made into a digestif note body.

Liquid that only builds URLs is resolved (digestif prefixes root-relative links with the base
path itself); Liquid with an obvious Markdown equivalent is converted (``highlight`` -> fenced
code, ``raw`` -> its text, ``comment`` -> an HTML comment, ``post_url`` -> a link to the imported
note); any other Liquid is kept as written and reported, since digestif does not run Liquid.
kramdown attribute lists that Python-Markdown's ``attr_list`` applies the same way are kept,
``{:toc}`` becomes ``[TOC]``, and the rest are dropped and reported.

Everything else is left byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .common import file_slug

# A dropped line is marked first and removed last, so every message names the line of the post.
_DROPPED = "\x00dropped\x00"


@dataclass
class Converted:
    text: str
    notes: list[tuple[int, str]] = field(default_factory=list)
    """(line in the body, message) for what was kept or dropped and needs a look."""


def convert_body(body: str) -> Converted:
    result = Converted(body)
    result.text = _kramdown(body, result.notes)
    result.text = _LIQUID.sub(lambda m: _liquid(m, result), result.text)
    result.text = re.sub(rf"^{_DROPPED}\n?", "", result.text, flags=re.MULTILINE)
    result.notes.sort()
    return result


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


# ---------------------------------------------------------------------------------------------
# Liquid

_LIQUID = re.compile(
    r"\{%-?\s*raw\s*-?%\}(?P<raw>.*?)\{%-?\s*endraw\s*-?%\}"
    r"|\{%-?\s*comment\s*-?%\}(?P<comment>.*?)\{%-?\s*endcomment\s*-?%\}"
    r"|(?P<lead>^[ \t]*)?\{%-?\s*highlight\s*(?P<lang>[\w+#.-]*)(?P<options>[^%]*?)-?%\}\n?"
    r"(?P<code>.*?)\n?[ \t]*\{%-?\s*endhighlight\s*-?%\}"
    # A lone {{ in TeX must not reach a }} paragraphs later.
    r"|\{\{-?(?P<output>(?:(?!\n[ \t]*\n).)*?)-?\}\}"
    r"|\{%-?(?P<tag>(?:(?!\n[ \t]*\n).)*?)-?%\}",
    re.DOTALL | re.MULTILINE)
_QUOTED = re.compile(r"""^(["'])(.*)\1$""", re.DOTALL)
_SITE_URL = ("site.baseurl", "site.url", "site.github.url")


def _liquid(match: re.Match, result: Converted) -> str:
    if match.group("raw") is not None:
        return match.group("raw")
    if match.group("comment") is not None:
        return f"<!--{match.group('comment')}-->"
    if match.group("code") is not None:
        return _fenced(match)
    if match.group("output") is not None:
        value = _url_expression(match.group("output"))
    else:
        value = _link_tag(match.group("tag"))
    if value is None:
        line = match.string.count("\n", 0, match.start()) + 1
        result.notes.append((line, f"Liquid '{_short(match.group(0))}' kept as written: "
                                   "digestif does not run Liquid; edit it by hand"))
        return match.group(0)
    return value


def _fenced(match: re.Match) -> str:
    code = match.group("code")
    fence = "~~~~" if "```" in code else "```"
    start = match.start()
    # A fence must begin its own line.
    newline = "" if start == 0 or match.string[start - 1] == "\n" or match.group("lead") else "\n"
    return f"{newline}{match.group('lead') or ''}{fence}{match.group('lang')}\n{code}\n{fence}"


def _url_expression(expression: str) -> str | None:
    """``site.baseurl`` -> ``""``; ``'/x' | relative_url`` and ``"/x" | prepend: site.baseurl``
    -> ``/x``; None for anything that is not only URL building."""
    head, *filters = [part.strip() for part in expression.split("|")]
    literal = _QUOTED.match(head)
    if head in _SITE_URL:
        value = ""
    elif literal:
        value = literal.group(2)
    else:
        return None
    for name, _, argument in (f.partition(":") for f in filters):
        name, argument = name.strip(), argument.strip()
        quoted = _QUOTED.match(argument)
        if name in ("relative_url", "absolute_url"):
            if value and not value.startswith(("/", "#")) and "://" not in value:
                value = "/" + value  # Jekyll's relative_url makes a path root-relative
        elif name == "prepend" and argument in _SITE_URL:
            continue
        elif name in ("prepend", "append") and quoted:
            value = quoted.group(2) + value if name == "prepend" else value + quoted.group(2)
        else:
            return None
    return value


def _link_tag(tag: str) -> str | None:
    """``post_url 2020-07-19-name`` and ``link _posts/2020-07-19-name.md`` -> ``name.md``, the
    imported note beside this one."""
    words = tag.split()
    if len(words) != 2:
        return None
    name, target = words
    if name == "post_url":
        return f"{file_slug(target.rsplit('/', 1)[-1])}.md"
    if name == "link" and "_posts/" in target:
        stem = target.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        return f"{file_slug(stem)}.md"
    return None


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."
