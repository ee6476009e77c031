"""The ``commonmark`` engine: pulldown-cmark (through pyromark) turns Markdown into HTML, and
digestif's own passes around it give the same page the ``python-markdown`` engine gives.

Before the engine: Liquid, kramdown's ``{:toc}``, math (formulas become placeholders the engine
passes through as text) and fence attributes (``title="x.py"``, which pyromark's code callback
does not see, become a token in the fence's language). The engine highlights code through a
callback with the same Pygments classes as pymdownx.highlight. After it, one pass per construct
over the HTML: task lists, alerts and callouts, footnotes, heading ids and the table of contents,
marks, sub/superscripts, bare links and wiki-links in text, links (the same marking as the
other engine's raw-HTML pass), the first paragraph, and the formulas put back. Each pass
writes what the matching Python-Markdown extension writes, so the theme's CSS applies as is.
docs/markdown.md "Engines" lists what this engine reads differently.
"""

from __future__ import annotations

import re
from html import escape, unescape

import pyromark
from pygments import highlight
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound
from pymdownx.highlight import BlockHtmlFormatter

from .code_highlight import quick
from .config import MarkdownConfig
from .dialect import _KRAMDOWN_TOC, diagram_fence
from .liquid import LiquidPreprocessor
from .markup import RenderedBody, _RawHtmlLinks, _State, swap_math
from .markup_html import (
    ENCODED_URL,
    TEXT_SIGNS,
    Headings,
    TextPass,
    alerts,
    decoded_url,
    first_paragraph,
    footnotes,
    task_lists,
)
from .note import Note

_O = pyromark.Options
# Single tildes are subscripts (ENABLE_SUBSCRIPT), as in the other engine, not strikethrough;
# pulldown's superscript would read ^^ins^^ as <sup>, so ^ is left to the text pass.
_OPTIONS = (_O.ENABLE_TABLES | _O.ENABLE_FOOTNOTES | _O.ENABLE_STRIKETHROUGH
            | _O.ENABLE_TASKLISTS | _O.ENABLE_SUBSCRIPT | _O.ENABLE_HEADING_ATTRIBUTES
            | _O.ENABLE_DEFINITION_LIST)
_MATH = "\ue000{}\ue001"
_MATH_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_MATH_ALONE = re.compile("<p>(\ue000\\d+\ue001)</p>")
_TAG_WITH_MATH = re.compile("<[^<>]*\ue000[^<>]*>")
_TAGS = re.compile(r"<[^>]*>")
_FENCE_OPENING = re.compile(r"^([ >]*)(`{3,}|~{3,})[ \t]*(\{[^\n]*\}|[^\s`{][^\s`]*[ \t]+[^\n`]+)"
                            r"[ \t]*$", re.M)
_FENCE_MARK = re.compile(r"(`{3,}|~{3,})")
_ADMONITION = re.compile(r'!!! +([\w-]+)(?: +"([^"\n]*)")? *$')
_FENCE_TOKEN = re.compile(r"digestif-fence-(\d+)")
_FENCE_ATTRIBUTE = re.compile(r"""([\w-]+)=(?:"([^"]*)"|'([^']*)'|(\S+))""")
class CommonmarkRenderer:
    """One configured pyromark parser and Pygments highlighter, reused note after note."""

    def __init__(self, base_url: str = "", settings: MarkdownConfig | None = None) -> None:
        self.base_url = base_url
        self.settings = settings or MarkdownConfig()
        self.state: _State | None = None
        options = _OPTIONS | (_O.ENABLE_SMART_PUNCTUATION if self.settings.smart_quotes else 0)
        self.engine = pyromark.Markdown(options=options, highlight=self._code)
        self.lexers: dict[str, object] = {}
        self.formatters: dict[str | None, BlockHtmlFormatter] = {}
        self.liquid = LiquidPreprocessor(None, self)
        self.links = _RawHtmlLinks(None, self)
        self.math: list[str] = []
        self.fences: list[str] = []
        self.used_fences: set[int] = set()

    def render(self, note: Note) -> RenderedBody:
        state = self.state = _State(note, None, self.base_url)
        self.math, self.fences, self.used_fences = [], [], set()
        text = "\n".join(self.liquid.run(note.body.split("\n")))
        if "toc" in text:
            text = _KRAMDOWN_TOC.sub("\n[TOC]\n", text)
        if "!!!" in text:
            text = "\n".join(_admonitions(text.split("\n")))
        text = swap_math(text, state, self.settings, self._store_math)
        if "```" in text or "~~~" in text:
            text = "\n".join(_spaced_fences(text.split("\n")))
            text = _FENCE_OPENING.sub(self._fence_token, text)
        html = self.engine.html(text)
        if self.fences:
            html = _FENCE_TOKEN.sub(self._unused_fence, html)
        html = self._passes(html)
        toc = Headings(self).run(html)
        html = toc.html
        if self.math:
            html = self._math_back(html)
        return state.body(html, toc.entries)

    def _passes(self, html: str) -> str:
        if 'type="checkbox"' in html:
            html = task_lists(html, self)
        if "<blockquote>\n<p>[!" in html:
            html = alerts(html)
        if 'class="footnote-reference"' in html or 'class="footnote-definition"' in html:
            html = footnotes(html)
        if any(sign in html for sign in TEXT_SIGNS):
            html = TextPass(self.state).run(html)
        if "%" in html:
            html = ENCODED_URL.sub(decoded_url, html)
        html = self.links.run(html)
        self.state.first_paragraph = first_paragraph(html, self)
        return html

    # --- math -----------------------------------------------------------------------------

    def _store_math(self, html: str) -> str:
        self.math.append(html)
        return _MATH.format(len(self.math) - 1)

    def plain(self, html: str) -> str:
        """Text of an HTML fragment as a reader sees it, formulas as read."""
        text = unescape(_TAGS.sub("", html))
        if self.math:
            text = _MATH_PLACEHOLDER.sub(lambda m: self.state.math_text[m.group(0)], text)
        return text

    def _math_back(self, html: str) -> str:
        # Inside a tag (an image's alt text) a formula is its text; a paragraph that is only
        # a display formula is the formula, as the other engine puts a stashed block.
        html = _TAG_WITH_MATH.sub(lambda m: _MATH_PLACEHOLDER.sub(
            lambda f: escape(self.state.math_text[f.group(0)]), m.group(0)), html)
        html = _MATH_ALONE.sub(r"\1", html)
        return _MATH_PLACEHOLDER.sub(lambda m: self.math[int(m.group(1))], html)

    # --- code -----------------------------------------------------------------------------

    def _fence_token(self, match: re.Match) -> str:
        self.fences.append(match.group(3))
        return f"{match.group(1)}{match.group(2)}digestif-fence-{len(self.fences) - 1}"

    def _unused_fence(self, match: re.Match) -> str:
        """A fence line the engine did not read as a fence (inside raw HTML) gets its text
        back."""
        index = int(match.group(1))
        return match.group(0) if index in self.used_fences else escape(self.fences[index])

    def _code(self, language: str | None, code: str) -> str:
        title, options = None, {}
        found = _FENCE_TOKEN.fullmatch(language or "")
        if found:
            self.used_fences.add(int(found.group(1)))
            language, title, options = self._fence_info(self.fences[int(found.group(1))])
        if language == "mermaid":
            return diagram_fence(code.removesuffix("\n"), language, "mermaid", options, None)
        return highlight(code, self._lexer(language or "text"), self._formatter(title))

    def _lexer(self, language: str):
        """The lexer pymdownx.highlight picks (plain text for a language Pygments lacks), made
        once per language: making one costs more than most code blocks take to colour."""
        lexer = self.lexers.get(language)
        if lexer is None:
            try:
                lexer = quick(get_lexer_by_name(language, stripnl=True))
            except ClassNotFound:
                lexer = self._lexer("text")
            self.lexers[language] = lexer
        return lexer

    def _formatter(self, title: str | None) -> BlockHtmlFormatter:
        """pymdownx.highlight's formatter and options, so the markup (``.highlight``, the
        title bar) is the same; one per title, as building one builds a style sheet."""
        formatter = self.formatters.get(title)
        if formatter is None:
            formatter = BlockHtmlFormatter(cssclass="highlight", wrapcode=True,
                                           filename=(title or "").strip())
            if len(self.formatters) < 64:
                self.formatters[title] = formatter
        return formatter

    def _fence_info(self, info: str) -> tuple[str, str | None, dict]:
        """(language, title, other attributes) of ``python title="x"`` or ``{.python …}``."""
        braced = info.startswith("{")
        words = info.strip("{} \t")
        language = ""
        first = words.split(None, 1)[0] if words else ""
        if braced and first.startswith("."):
            language = first[1:]
        elif not braced:
            language = first
        options = {m.group(1): next(v for v in m.groups()[1:] if v is not None)
                   for m in _FENCE_ATTRIBUTE.finditer(words)}
        title = options.pop("title", None)
        for name in options:
            self.state.warn(f"the fence attribute {name}= is not read by the commonmark engine "
                            "(only title= is); the code is shown without it",
                            self.state.line_of(info), "markdown")
        return language, title, options


def _spaced_fences(lines: list[str]) -> list[str]:
    """A fence opening at the margin right under a line of raw HTML would belong to that HTML
    block in CommonMark (it runs to a blank line) and show its backticks; as in the other
    engine (dialect._FenceSpacing), a blank line before it makes it a block of its own. Under
    a paragraph line the blank changes nothing: a fence ends a paragraph anyway."""
    out: list[str] = []
    fence = ""
    longest = _longest_closers(lines)
    for index, line in enumerate(lines):
        opening = _FENCE_MARK.match(line)
        if fence:
            if _closes(line, fence):
                fence = ""
        elif opening and longest[index][opening.group(1)[0]] >= len(opening.group(1)):
            fence = opening.group(1)  # an unclosed one is left as it was
            if out and out[-1].strip():
                out.append("")
        out.append(line)
    return out


def _longest_closers(lines: list[str]) -> list[dict[str, int]]:
    """For each line, the longest line of only backticks, and of only tildes, after it: what
    the longest fence that opens there could be closed by (one pass, from the end)."""
    found = {"`": 0, "~": 0}
    after: list[dict[str, int]] = [found] * len(lines)
    for index in range(len(lines) - 1, -1, -1):
        after[index] = found
        stripped = lines[index].strip()
        if stripped and stripped[0] in found and not stripped.strip(stripped[0]) and \
                len(stripped) > found[stripped[0]]:
            found = {**found, stripped[0]: len(stripped)}
    return after


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence) and not stripped.strip(fence[0])


def _admonitions(lines: list[str]) -> list[str]:
    """``!!! note "Title"`` and its 4-space indented body, as Python-Markdown's admonition
    reads it, becomes the ``> [!note] Title`` quote that the alerts pass makes the same box
    of. Fenced code is left alone."""
    out: list[str] = []
    fence, index = "", 0
    while index < len(lines):
        line = lines[index]
        index += 1
        stripped = line.lstrip()
        opening = _FENCE_MARK.match(stripped)
        if fence or opening:
            if not fence:
                fence = opening.group(1)
            elif stripped.startswith(fence) and not stripped.strip(fence[0] + " \t"):
                fence = ""
            out.append(line)
            continue
        found = _ADMONITION.match(line)
        if found is None:
            out.append(line)
            continue
        body = []
        while index < len(lines) and (not lines[index].strip() or
                                      lines[index].startswith(("    ", "\t"))):
            body.append(lines[index][4:] if lines[index].startswith("    ") else
                        lines[index].lstrip("\t"))
            index += 1
        trailing = 0
        while body and not body[-1].strip():
            body.pop()
            trailing += 1
        title = found.group(2) or ""
        out.append(f"> [!{found.group(1)}] {title}".rstrip())
        out.extend(f"> {inner}".rstrip() for inner in _admonitions(body))
        out.extend([""] * trailing)
    return out
