"""Find TeX math in Markdown source and convert it to MathML at build time.

Math is found before Markdown sees the text, so ``_`` and ``*`` inside formulas never become
emphasis. The delimiters are those of kramdown and LaTeX: ``$…$``, ``$$…$$``, ``\\(…\\)`` and
``\\[…\\]``. A dollar sign opens math only when a non-space follows it and closes it only when a
non-space precedes it and no digit follows (pandoc's rule), so "costs $5 and $10" stays text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from html import escape

from latex2mathml.converter import convert

_NOT_BLANK_LINE = r"(?:(?!\n[ \t]*\n).)"
_TOKENS = re.compile(
    rf"""
    (?P<code>(?<!`)(?P<ticks>`+)(?!`){_NOT_BLANK_LINE}+?(?<!`)(?P=ticks)(?!`))
  | (?<!\\)\$\$(?P<dollars2>{_NOT_BLANK_LINE}+?)\$\$
  | \\\[(?P<bracket>{_NOT_BLANK_LINE}+?)\\\]
  | \\\((?P<paren>{_NOT_BLANK_LINE}+?)\\\)
  | (?<![\\$\w])\$(?=[^\s$])(?P<dollar>(?:[^$\n\\]|\\.|\n(?![ \t]*\n))+?)(?<=[^\s\\])\$(?![\d$])
    """,
    re.S | re.X,
)
_INDENTED_CODE = re.compile(r"(?:^|\n[ \t]*\n)((?:(?: {4}|\t)[^\n]*\n?|[ \t]*\n)+)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
# latex2mathml passes commands it does not know through as text such as <mi>\foo</mi>.
_UNKNOWN_COMMAND = re.compile(r"<m[io][^>]*>\\[A-Za-z]+</m[io]>")


@dataclass(frozen=True)
class MathSpan:
    start: int
    end: int
    tex: str
    display: bool
    source: str
    """The span as written, delimiters included."""


class MathError(ValueError):
    """TeX that latex2mathml cannot convert."""


def find_math(text: str) -> Iterator[MathSpan]:
    """Math spans outside code, in order."""
    protected = _indented_code_ranges(text)
    for match in _TOKENS.finditer(text):
        if match.group("code") or _inside(match.start(), protected):
            continue
        kind = next(k for k in ("dollars2", "bracket", "paren", "dollar") if match.group(k))
        tex = match.group(kind)
        display = kind == "bracket" or (kind == "dollars2" and _alone(text, match))
        yield MathSpan(match.start(), match.end(), tex.strip(), display, match.group(0))


def _alone(text: str, match: re.Match) -> bool:
    """kramdown's rule: ``$$…$$`` is display math when it is a paragraph of its own."""
    before = text[:match.start()].rsplit("\n\n", 1)[-1]
    after = text[match.end():].split("\n\n", 1)[0]
    return not before.strip() and not after.strip()


def _indented_code_ranges(text: str) -> list[tuple[int, int]]:
    ranges = []
    for match in _INDENTED_CODE.finditer(text):
        before = text[:match.start(1)].rstrip("\n").rsplit("\n\n", 1)[-1]
        last_line = before.rsplit("\n", 1)[-1] if before.strip() else ""
        if not _LIST_ITEM.match(last_line) and match.group(1).strip():
            ranges.append((match.start(1), match.end(1)))
    return ranges


def _inside(offset: int, ranges: list[tuple[int, int]]) -> bool:
    return any(start <= offset < end for start, end in ranges)


@lru_cache(maxsize=4096)
def tex_to_mathml(tex: str, display: bool) -> str:
    """MathML for ``tex``; raises :class:`MathError` if it cannot be converted faithfully."""
    try:
        mathml = convert(tex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises many types for bad input
        raise MathError(f"cannot convert TeX {tex!r} to MathML ({type(exc).__name__})") from exc
    unknown = _UNKNOWN_COMMAND.search(mathml)
    if unknown:
        command = re.sub(r"<[^>]+>", "", unknown.group(0))
        raise MathError(f"cannot convert TeX {tex!r} to MathML: unknown command {command}")
    # The xmlns attribute is implied in HTML and only costs bytes on every formula.
    return mathml.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "", 1)


def math_fallback(span: MathSpan) -> str:
    """What a reader sees for TeX we could not convert: the source, as code."""
    return f'<code class="math-error">{escape(span.source)}</code>'
