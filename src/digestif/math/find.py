"""Find TeX math in a note's Markdown source, before Markdown sees it.

Math is found first so that ``_`` and ``*`` inside formulas never become emphasis. The delimiters
are those of MathJax, KaTeX, kramdown and LaTeX: ``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]`` and a
bare ``\\begin{equation}…\\end{equation}`` (and the other numbered environments).

Two rules say which single dollars are math (``[markdown] math``):

* ``"pandoc"``: ``$`` opens only before a non-space and closes only after a non-space when no
  digit follows, so "costs $5 and $10" stays text.
* ``"mathjax"``: as MathJax/KaTeX auto-render read the page: the next unescaped ``$`` closes, so
  ``$ O(N) $`` with spaces is math.

In both, ``\\$`` is a literal dollar, and whatever stands before the ``$`` (a letter, a digit,
kana, Hangul) does not matter: ``次元$X$上`` holds math. Inline math never crosses a blank line or
a backtick; ``$$…$$`` and ``\\[…\\]`` may hold blank lines. Nothing in fenced code (at any
indentation; Jekyll's ``{% highlight %}`` blocks too), indented code, code spans, ``<pre>``,
``<code>``, ``<script>``, ``<style>``, ``<textarea>``, HTML comments or tag attributes is
looked at.

The scan is linear in the length of the text: every search for a closing delimiter remembers its
answer, so 30,000 unclosed ``\\(`` cost one search, not 30,000.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

RULES = ("pandoc", "mathjax")
ENVIRONMENTS = ("equation", "align", "gather", "multline", "eqnarray", "alignat", "flalign")
_ENVIRONMENT = re.compile(r"\\begin\{(" + "|".join(ENVIRONMENTS) + r")(\*?)\}")
_REFERENCE = re.compile(r"\\(?:eq)?ref\{[^{}\n]{1,200}\}")
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_LIQUID_HIGHLIGHT = re.compile(r"\{%-?\s*highlight\b")
_LIQUID_END = re.compile(r"\{%-?\s*endhighlight\b")
_LIQUID_FENCE = "{% endhighlight %}"
_LIST_ITEM = re.compile(r" {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_LOOKS_LIKE_TEX = re.compile(r"[\\^_{]")
# "$5 and $10": a number, words, a space before the closing dollar, nothing TeX-like.
_LOOKS_LIKE_MONEY = re.compile(r"\d[^\\^_{}]*\s$")
_INTERESTING = re.compile(r"[$\\`<]")
_NEWLINE = re.compile(r"\n")
_TABLE_ROW = re.compile(r"[ \t]*\|")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_BACKTICKS = re.compile(r"`+")
_RAW_ELEMENT = re.compile(r"<(script|style|pre|code|textarea|math|svg)(?=[\s>/])", re.I)
# An HTML tag, attributes and all; quoted values are bounded so a stray quote costs little.
# Unquoted names and values hold no "$" or backslash: "if x<y then $z$ and a>b" has math.
_TAG = re.compile(r"""</?[A-Za-z][A-Za-z0-9-]*(?:\s+[^\s"'<>/=$\\]+(?:\s*=\s*(?:"[^"]{0,4000}"|"""
                  r"""'[^']{0,4000}'|[^\s"'=<>`$\\]+))?){0,100}\s*/?>""")


@dataclass(frozen=True)
class MathSpan:
    start: int
    end: int
    tex: str
    display: bool
    source: str
    """The span as written, delimiters included."""


def find_math(text: str, rule: str = "mathjax",
              doubts: list[tuple[int, str]] | None = None) -> Iterator[MathSpan]:
    """Math spans outside code, in order. ``doubts`` collects (offset, why) for dollars a reader
    may have meant otherwise: text that reads as TeX left as text by the pandoc rule, money
    read as math by the mathjax rule."""
    last = 0
    for start, end in _code_blocks(text):
        yield from _Scanner(text, last, start, rule, doubts).spans()
        last = end
    yield from _Scanner(text, last, len(text), rule, doubts).spans()


def _code_blocks(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of fenced and indented code blocks, found line by line."""
    fence: str | None = None
    block_start = 0
    indented = in_list = in_display = False
    previous_blank = True
    offset = 0
    for line in text.split("\n"):
        line_end = offset + len(line) + 1
        stripped = line.strip()
        if fence:
            if (stripped.startswith(fence) and not stripped.strip(fence[0])) or (
                    fence == _LIQUID_FENCE and _LIQUID_END.match(stripped)):
                fence = None
                yield block_start, min(line_end, len(text))
        elif not stripped:
            previous_blank = True
        elif _LIQUID_HIGHLIGHT.match(stripped):  # Jekyll's {% highlight bash %} code blocks
            fence, block_start = _LIQUID_FENCE, offset
            indented = previous_blank = False
        elif (opening := _FENCE.match(line)) and not (
                opening.group(1)[0] == "`" and "`" in line[opening.end():]):
            fence, block_start = opening.group(1), offset
            indented = previous_blank = False
        elif _indentation(line) >= 4 and not in_display and (
                indented or (previous_blank and not in_list)):
            if not indented:
                indented, block_start = True, offset
            yield block_start, min(line_end, len(text))
            block_start = min(line_end, len(text))
            previous_blank = False
        else:
            in_display = _toggles_display(stripped, in_display)
            if _LIST_ITEM.match(line):
                in_list = True
            elif previous_blank and _indentation(line) == 0:
                in_list = False
            indented = previous_blank = False
        offset = line_end
    if fence:
        yield block_start, len(text)


def _indentation(line: str) -> int:
    if line[:1] not in (" ", "\t"):
        return 0
    return len(line.expandtabs(4)) - len(line.lstrip(" \t").expandtabs(4))


def _toggles_display(stripped: str, in_display: bool) -> bool:
    """Whether a display formula spanning lines is open after this line (its indented lines
    are TeX, not code)."""
    if (stripped.startswith("$$") or stripped.endswith("$$")) and stripped.count("$$") % 2:
        return not in_display
    if not in_display and stripped.startswith("\\[") and "\\]" not in stripped:
        return True
    if in_display and "\\]" in stripped and "\\[" not in stripped:
        return False
    return in_display


class _Scanner:
    """Math in ``text[start:end]``, a stretch of the note between code blocks."""

    def __init__(self, text: str, start: int, end: int, rule: str,
                 doubts: list[tuple[int, str]] | None):
        self.text, self.start, self.end, self.rule = text, start, end, rule
        self.doubts = doubts
        self.found: dict[str, int] = {}

    # Positions are listed on first need: most stretches have no backtick, many no dollar.
    def _next_dollar(self, after: int) -> int | None:
        """The first unescaped ``$`` after ``after``, remembered like :meth:`_find`."""
        known = self.found.get("$")
        if known is not None and self.found["$from"] <= after < known:
            return known if known != self.end else None
        position = after + 1
        while True:
            position = self.text.find("$", position, self.end)
            if position == -1:
                position = self.end
                break
            before = position - 1
            while before >= self.start and self.text[before] == "\\":
                before -= 1
            if (position - 1 - before) % 2 == 0:  # "\$" is a dollar sign, "\\$" is not
                break
            position += 1
        self.found["$"], self.found["$from"] = position, after
        return position if position != self.end else None

    @cached_property
    def newlines(self) -> list[int]:
        return [m.start() for m in _NEWLINE.finditer(self.text, self.start, self.end)]

    def _line_end(self, position: int) -> int:
        found = self._next(self.newlines, position - 1)
        return self.end if found is None else found

    def _in_table_row(self, position: int) -> bool:
        index = bisect_right(self.newlines, position) - 1
        line_start = self.newlines[index] + 1 if index >= 0 else self.start
        return bool(_TABLE_ROW.match(self.text, line_start, self.end))

    @cached_property
    def blank_lines(self) -> list[int]:
        return [m.start() for m in _BLANK_LINE.finditer(self.text, self.start, self.end)]

    @cached_property
    def backticks(self) -> list[int]:
        return [m.start() for m in _BACKTICKS.finditer(self.text, self.start, self.end)]

    @cached_property
    def code_span_end(self) -> dict[int, int]:
        return _code_span_ends(self.text, self.backticks, self.blank_lines)

    def spans(self) -> Iterator[MathSpan]:
        text, i = self.text, self.start
        while i < self.end:
            hit = _INTERESTING.search(text, i, self.end)
            if not hit:
                return
            i = hit.start()
            char = text[i]
            if char == "$":
                span = self._dollars(i)
            elif char == "\\":
                span = self._backslash(i)
                if span is None:
                    i += 2  # an escaped character: "\$" is a dollar sign, not math
                    continue
            elif char == "`":
                run = _BACKTICKS.match(text, i).end()
                i = self.code_span_end.get(i, run)
                continue
            else:
                i = self._skip_html(i)
                continue
            if span is None:
                i += 2 if text.startswith("$$", i) else 1
            else:
                yield span
                i = span.end

    def _find(self, needle: str, position: int) -> int:
        """``text.find(needle, position)`` within the stretch, remembering the answer: a later
        search from before the remembered hit has the same answer."""
        known = self.found.get(needle)
        if known is None or (known != -1 and known < position):
            known = self.text.find(needle, position, self.end)
            self.found[needle] = known
        return known

    def _dollars(self, i: int) -> MathSpan | None:
        text = self.text
        if text.startswith("$$", i):
            close = self._find("$$", i + 2)
            if close == -1 or not text[i + 2:close].strip():
                return None
            end = close + 2
            return self._span(i, end, text[i + 2:close], self._on_own_lines(i, end))
        close = self._next_dollar(i)
        if close is None or close > self._next_blank_line(i) or close > self._next_backtick(i):
            return None
        if close > self._line_end(i) and self._in_table_row(i):
            return None  # a cell's "$1600" and the next row's "$12" are not one formula
        if text.startswith("$$", close) or not text[i + 1:close].strip():
            return None
        inner = text[i + 1:close]
        spaced = inner[0].isspace() or inner[-1].isspace()
        if self.rule == "pandoc" and (spaced or text[close + 1:close + 2].isdigit()):
            if spaced and self.doubts is not None and _LOOKS_LIKE_TEX.search(inner):
                self.doubts.append((i, f"{text[i:close + 1]} is left as text: the pandoc rule "
                                       "reads no math with a space inside the dollars "
                                       '([markdown] math = "mathjax" would)'))
            return None
        if self.rule == "mathjax" and self.doubts is not None and _LOOKS_LIKE_MONEY.match(inner):
            self.doubts.append((i, f"{text[i:close + 1]} is read as math, as MathJax reads it; "
                                   "write \\$ for a dollar sign"))
        return self._span(i, close + 1, inner, False)

    def _backslash(self, i: int) -> MathSpan | None:
        text = self.text
        kind = text[i + 1:i + 2]
        if kind == "(":
            close = self._find("\\)", i + 2)
            if close == -1 or close > self._next_blank_line(i) or _escaped_markdown(text, i, close):
                return None
            return self._span(i, close + 2, text[i + 2:close], False)
        if kind == "[":
            close = self._find("\\]", i + 2)
            if close == -1 or _escaped_markdown(text, i, close):
                return None
            return self._span(i, close + 2, text[i + 2:close], True)
        if kind in "er":
            # MathJax links \eqref{…} and \ref{…} written in text, outside any math.
            reference = _REFERENCE.match(text, i, self.end)
            if reference:
                return self._span(i, reference.end(), reference.group(0), False)
        environment = _ENVIRONMENT.match(text, i, self.end) if kind == "b" else None
        if environment:
            closing = f"\\end{{{environment.group(1)}{environment.group(2)}}}"
            close = self._find(closing, environment.end())
            if close != -1:
                end = close + len(closing)
                return self._span(i, end, text[i:end], True)
        return None

    def _span(self, start: int, end: int, tex: str, display: bool) -> MathSpan:
        return MathSpan(start, end, tex.strip(), display, self.text[start:end])

    def _on_own_lines(self, start: int, end: int) -> bool:
        """kramdown's rule: ``$$…$$`` is display math when nothing else shares its lines."""
        line_start = self.text.rfind("\n", self.start, start) + 1
        line_end = self.text.find("\n", end, self.end)
        after = self.text[end:line_end if line_end != -1 else self.end]
        return not self.text[max(line_start, self.start):start].strip() and not after.strip()

    def _next(self, positions: list[int], after: int) -> int | None:
        index = bisect_right(positions, after)
        return positions[index] if index < len(positions) else None

    def _next_blank_line(self, after: int) -> int:
        found = self._next(self.blank_lines, after)
        return self.end if found is None else found

    def _next_backtick(self, after: int) -> int:
        found = self._find("`", after)
        return self.end if found == -1 else found

    def _skip_html(self, i: int) -> int:
        text = self.text
        if text.startswith("<!--", i):
            close = self._find("-->", i + 4)
            return self.end if close == -1 else close + 3
        raw = _RAW_ELEMENT.match(text, i, self.end)
        if raw:
            close = self._find_closing(raw.group(1).lower(), raw.end())
            if close != -1:
                tag_end = text.find(">", close, self.end)
                return self.end if tag_end == -1 else tag_end + 1
        tag_end = self._find(">", i)
        tag = _TAG.match(text, i, tag_end + 1) if tag_end != -1 else None
        return tag.end() if tag else i + 1

    def _find_closing(self, element: str, position: int) -> int:
        """Where ``</element`` (any case) next starts, remembered like :meth:`_find`."""
        key = "</" + element
        known = self.found.get(key)
        if known is None or (known != -1 and known < position):
            hit = re.compile(re.escape(key), re.I).search(self.text, position, self.end)
            known = self.found[key] = hit.start() if hit else -1
        return known


def _escaped_markdown(text: str, start: int, end: int) -> bool:
    """``\\[batch\\_size \\* 2\\]`` is escaped Markdown, the text "[batch_size * 2]" as
    kramdown and Python-Markdown show it, not math: TeX has no ``\\*`` and rarely ``\\_``."""
    return text.find("\\*", start, end) != -1 or text.find("\\_", start, end) != -1


def _code_span_ends(text: str, runs: list[int], blank_lines: list[int]) -> dict[int, int]:
    """Where each code span that opens at a backtick run ends (CommonMark: the next run of the
    same length in the paragraph closes it)."""
    ends: dict[int, int] = {}
    waiting: dict[int, int] = {}
    for run_start in runs:
        run_end = _BACKTICKS.match(text, run_start).end()
        length = run_end - run_start
        opener = waiting.pop(length, None)
        if opener is not None and not _blank_between(blank_lines, opener, run_start):
            ends[opener] = run_end
            # Runs inside a code span open nothing.
            waiting = {k: v for k, v in waiting.items() if v < opener}
        else:
            waiting[length] = run_start
    return ends


def _blank_between(blank_lines: list[int], start: int, end: int) -> bool:
    index = bisect_right(blank_lines, start)
    return index < len(blank_lines) and blank_lines[index] < end
