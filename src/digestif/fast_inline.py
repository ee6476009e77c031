"""Python-Markdown's inline pass, skipping the patterns a piece of text cannot match.

The inline pass tries each of its ~20 patterns on every piece of text in turn, and each try
costs a registry lookup, ancestor checks and a regex iterator in Python, even when the text
holds nothing that pattern looks for (most text is plain words). Here a pattern whose regex
finds nothing from where the try would start is skipped right away; that is exactly the case
in which Markdown's own try would find nothing and move on, so the HTML is the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markdown import inlinepatterns, treeprocessors, util
from markdown.extensions import Extension, smarty
from pymdownx import magiclink

# What a text must hold for these regexes to match, found faster than the regex finds it (each
# starts with a lookbehind or an alternation, which makes the regex try every position). Keyed
# by the libraries' own regex text: a pattern written differently (another version, another
# extension) is searched with its own regex.
_REQUIRED: dict[str, str | re.Pattern] = {
    inlinepatterns.BACKTICK_RE: "`",  # each branch ends at a backtick
    inlinepatterns.LINK_RE: "[",  # reference, link, short_reference
    magiclink.RE_MAIL: "@",
    magiclink.RE_LINK: re.compile(r"://|[wW]{3}\."),  # (ht|f)tps?:// or www., in any case
}
# smarty's patterns, all but the two that are a bare quote: the dashes, the ellipsis, the quote
# each quoting rule rewrites.
_SMARTY_REQUIRED: dict[str, str | re.Pattern] = {
    r"(?<!-)---(?!-)": "---", r"(?<!-)--(?!-)": "--", r"(?<!\.)\.{3}(?!\.)": "...",
    smarty.singleQuoteStartRe: "'", smarty.doubleQuoteStartRe: '"',
    smarty.doubleQuoteSetsRe: "\"'", smarty.singleQuoteSetsRe: "'\"",
    smarty.doubleQuoteSetsRe2: "'\"", smarty.singleQuoteSetsRe2: "\"'",
    smarty.decadeAbbrRe: "'", smarty.openingSingleQuotesRegex: "'",
    smarty.closingSingleQuotesRegex: "'", smarty.closingSingleQuotesRegex2: "'",
    smarty.openingDoubleQuotesRegex: '"', smarty.closingDoubleQuotesRegex: '"',
    smarty.closingDoubleQuotesRegex2: '"',
}


def _may_match(pattern: inlinepatterns.Pattern, required_by: dict[str, str | re.Pattern]
               ) -> Callable[[str, int], object] | None:
    """A test that is false only where the pattern's regex finds nothing from a position;
    None for the pre-3.0 kind of pattern, which matches on a slice (left to Markdown)."""
    if not isinstance(pattern, inlinepatterns.InlineProcessor):
        return None
    regex = pattern.getCompiledRegExp()
    required = required_by.get(regex.pattern)
    if required is None:
        return regex.search
    return required.search if isinstance(required, re.Pattern) else _holds(required)


def _holds(literal: str) -> Callable[[str, int], bool]:
    return lambda data, start: data.find(literal, start) >= 0


class InlineProcessor(treeprocessors.InlineProcessor):
    def __init__(self, md, required: dict[str, str | re.Pattern]):
        """``required``: more regexes (their text) and what a text must hold to match them."""
        super().__init__(md)
        self.required = {**_REQUIRED, **required}

    def run(self, tree, ancestors=None):
        self._tries = [(pattern, _may_match(pattern, self.required))
                       for pattern in self.inlinePatterns]
        return super().run(tree, ancestors)

    # Markdown's private method, by its mangled name: every caller inside the pass calls it.
    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        if isinstance(data, util.AtomicString):
            return data
        tries = self._tries
        apply = self._InlineProcessor__applyPattern
        start, count = 0, len(tries)
        while patternIndex < count:
            pattern, may_match = tries[patternIndex]
            if may_match is not None and not may_match(data, start):
                patternIndex, start = patternIndex + 1, 0
                continue
            data, matched, start = apply(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


class FastSmarty(Extension):
    """Listed after smarty: smarty's own inline pass (curly quotes, dashes, ellipses), which is
    a second copy of Markdown's, made to skip its patterns in the same way."""

    def extendMarkdown(self, md):  # noqa: N802 - Markdown's API
        if "smarty" not in md.treeprocessors:
            return
        fast = InlineProcessor(md, _SMARTY_REQUIRED)
        fast.inlinePatterns = md.treeprocessors["smarty"].inlinePatterns
        md.treeprocessors.register(fast, "smarty", 6)  # smarty's priority
