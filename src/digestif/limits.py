"""Bounds on the work one note can cause in the Markdown stage (docs/limits.md).

Python-Markdown is quadratic or worse on some inputs and recursive on others: 6,000 unclosed
``[`` take 14 s, a thousand nested lists exhaust Python's stack. The cheap checks here refuse
those shapes before Markdown sees them, with the line; :func:`time_budget` stops whatever else
runs too long, so one note can never stall a build.
"""

from __future__ import annotations

import bisect
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

MAX_LIST_DEPTH = 100
"""Lists nest at most this deep (Python-Markdown's cost grows with the cube of the depth)."""
MAX_QUOTE_DEPTH = 100
"""Quotes nest at most this deep (a hundred lines quoted 500 deep took 11 s)."""
MAX_UNCLOSED_BRACKETS = 200
"""One paragraph holds at most this many ``[`` (or ``(``) that are never closed: each one
makes Python-Markdown scan the rest of the paragraph for its ``]`` (or a link's ``)``)."""

_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_FENCE = re.compile(r"(`{3,}|~{3,})[ ]*(?:\{[^\n]*\}|\.?[\w#.+-]*)[ ]*$")
_QUOTES = re.compile(r"(?:[ \t]*>)+")
# Nesting 100 deep needs at least 200 columns of indentation (50 tabs) on some line: most
# notes stop here. A literal "\n" to start from makes the search fast; the first line is
# checked on its own.
_DEEP_INDENT = re.compile(r"\n[ \t]{50}")


class OutOfTime(BaseException):
    """The time budget ran out. A BaseException, like KeyboardInterrupt: Markdown extensions
    and math converters catch Exception, and must not swallow this."""


def markdown_problem(body: str) -> tuple[str, int] | None:
    """(message, line within the body, 1-based) for a body Markdown cannot handle in bounded
    time or stack; None when it can."""
    return (_too_deep(body) or _quoted_too_deep(body) or _too_many_unclosed_brackets(body)
            or _too_many_unclosed_math(body))


def _too_deep(body: str) -> tuple[str, int] | None:
    if not _DEEP_INDENT.search(body) and not _DEEP_INDENT.match("\n" + body[:50]):
        return None
    indents: list[int] = []
    for number, line in enumerate(_outside_fences(body), start=1):
        if line is None or not line.strip():
            continue
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
        while indents and indents[-1] >= indent:
            indents.pop()
        if _LIST_ITEM.match(line):
            indents.append(indent)
            if len(indents) > MAX_LIST_DEPTH:
                return (f"lists nested more than {MAX_LIST_DEPTH} deep; Markdown cannot "
                        "follow them in bounded time", number)
    return None


def _quoted_too_deep(body: str) -> tuple[str, int] | None:
    if body.count(">") <= MAX_QUOTE_DEPTH:
        return None
    for number, line in enumerate(_outside_fences(body), start=1):
        quotes = _QUOTES.match(line) if line else None
        if quotes and quotes.group().count(">") > MAX_QUOTE_DEPTH:
            return (f"quotes nested more than {MAX_QUOTE_DEPTH} deep; Markdown cannot follow "
                    "them in bounded time", number)
    return None


_BRACKETS = {"[": ("]", "&#91;"), "(": (")", "&#40;")}


_MATH_DELIMITERS = (("\\(", "\\)"), ("\\[", "\\]"))


def _too_many_unclosed_math(body: str) -> tuple[str, int] | None:
    """30,000 unclosed ``\\(`` in a paragraph cost 5.6 s of CPU (10,000: 0.16 s); before the
    math scan was rewritten, 49 s."""
    for opening, closing in _MATH_DELIMITERS:
        # Counting "(" first is cheaper, and "\\(" can be no more frequent.
        if body.count(opening[1]) <= MAX_UNCLOSED_BRACKETS or \
                body.count(opening) <= MAX_UNCLOSED_BRACKETS:
            continue
        start = 1
        for paragraph in re.split(r"\n[ \t]*\n", body):
            unclosed = paragraph.count(opening) - paragraph.count(closing)
            if unclosed > MAX_UNCLOSED_BRACKETS:
                return (f"a paragraph with {unclosed} '{opening}' that are never closed (at "
                        f"most {MAX_UNCLOSED_BRACKETS}; the time Markdown needs grows much faster "
                        "than their number); write the backslash as &#92; or put the text in a "
                        "code block", start)
            start += paragraph.count("\n") + 2
    return None


def _too_many_unclosed_brackets(body: str) -> tuple[str, int] | None:
    for opening, (closing, entity) in _BRACKETS.items():
        if body.count(opening) <= MAX_UNCLOSED_BRACKETS:
            continue
        found = _paragraph_with_unclosed(body, opening, closing)
        if found is not None:
            unclosed, start = found
            return (f"a paragraph with {unclosed} '{opening}' that are never closed (at most "
                    f"{MAX_UNCLOSED_BRACKETS}; each makes Markdown scan the rest of the "
                    f"paragraph); write them as {entity} or put the text in a code block",
                    start)
    return None


def _paragraph_with_unclosed(body: str, opening: str,
                             closing: str) -> tuple[int, int] | None:
    """(count, first line) of the first paragraph with too many unclosed ``opening``."""
    start, unclosed = 1, 0
    for number, line in enumerate(_outside_fences(body), start=1):
        if line is None or not line.strip():
            if unclosed > MAX_UNCLOSED_BRACKETS:
                break
            start, unclosed = number + 1, 0
            continue
        unclosed = _unclosed_after(line, unclosed, opening, closing)
    return (unclosed, start) if unclosed > MAX_UNCLOSED_BRACKETS else None


def _unclosed_after(line: str, unclosed: int, opening: str, closing: str) -> int:
    if opening not in line and not unclosed:
        return 0
    escaped = False
    for character in line:
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == opening:
            unclosed += 1
        elif character == closing and unclosed:
            unclosed -= 1
    return unclosed


def _outside_fences(body: str) -> list[str | None]:
    """Each line of the body, None for lines of fenced code (which Markdown does not parse).
    A fence counts as Python-Markdown counts it: at the start of a line, followed by at most
    a language or {attributes}, and closed by the same fence; an unclosed one is text."""
    lines: list[str | None] = list(body.split("\n"))
    if "```" not in body and "~~~" not in body:
        return lines
    closings: dict[str, list[int]] = {}  # a fence -> the lines that could close it, in order
    for index, line in enumerate(lines):
        if line.startswith(("```", "~~~")):
            closings.setdefault(line.rstrip(), []).append(index)
    index = 0
    while index < len(lines):
        opened = _FENCE.match(lines[index])
        if opened:
            candidates = closings.get(opened.group(1), [])
            found = bisect.bisect_right(candidates, index)  # no rescan: bounded on any input
            if found < len(candidates):
                close = candidates[found]
                lines[index:close + 1] = [None] * (close + 1 - index)
                index = close
        index += 1
    return lines


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`OutOfTime` in the block after ``seconds`` (0: no budget).

    A real-time alarm (SIGALRM), so it works in the main thread of the build and of each
    process-pool worker. Elsewhere it does nothing: signals reach only the main thread, so a
    build run in another thread (the dev server's) renders without a budget; the shape checks
    of :func:`markdown_problem` still hold there. Nor does it disturb an alarm that is already
    set (a test runner's timeout): then the block runs without a budget too."""
    if (not seconds or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()
            or signal.getitimer(signal.ITIMER_REAL)[0]):
        yield
        return

    def expire(signum, frame):
        raise OutOfTime

    previous = signal.signal(signal.SIGALRM, expire)
    if previous is None:  # set outside Python: signal.signal cannot restore it, default it
        previous = signal.SIG_DFL
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
