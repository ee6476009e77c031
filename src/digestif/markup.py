"""Stage 3a: Markdown to HTML for one note.

:func:`render_markdown` is pure: the same note text gives the same :class:`RenderedBody`, which is
what lets the build cache and the process pool reuse results. Links that depend on the rest of the
site (other notes, wiki-links, root-relative URLs, files beside the note) are written as
``digestif:KIND:TARGET`` markers, resolved later by the model in one cheap string pass.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass
from html import escape, unescape
from urllib.parse import unquote, urlsplit

import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from . import dialect
from .config import MarkdownConfig
from .errors import Problem
from .limits import OutOfTime, markdown_problem, time_budget
from .liquid import LiquidPreprocessor
from .math import Converted, MathSpan, convert_spans, find_math, math_fallback
from .note import Note

MARKER = "digestif:"
NOTE_SUFFIXES = (".md", ".markdown")
_PLACEHOLDER = re.compile("\x02wzxhzdk:(\\d+)\x03")
# What smarty stashes for a curly quote or a dash: &ldquo;, &#8217;.
_CHARACTER_REFERENCE = re.compile(r"&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);")
# How Python-Markdown holds a backslash-escaped character ("\\$") until the HTML is written.
_ESCAPED_CHARACTER = re.compile("\x02(\\d+)\x03")


@dataclass(frozen=True)
class TocEntry:
    level: int
    id: str
    title: str


@dataclass(frozen=True)
class RenderedBody:
    """A note's body as HTML, with what the rest of the build needs to know about it."""

    html: str
    toc: tuple[TocEntry, ...]
    first_paragraph: str
    """Plain text of the first paragraph, for notes without a summary."""
    words: int
    assets: tuple[str, ...]
    """Site-relative paths of files beside the note that the body links to."""
    links: tuple[tuple[str, str, int | None], ...]
    """(kind, target, line) of every link the model resolves: ``note`` (a note's file),
    ``slug`` (a wiki-link) and ``root`` (a path on this site), for backlinks and broken-link
    warnings."""
    problems: tuple[Problem, ...]


class _MathPreprocessor(Preprocessor):
    """Swaps every formula for MathML in the HTML stash before Markdown parses the text.

    It runs before fenced code is stashed (and skips code itself), so offsets in the text are
    offsets in the note body and each warning names the formula's own line."""

    def __init__(self, md, renderer: MarkdownRenderer):
        super().__init__(md)
        self.renderer = renderer

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        swapped = swap_math(text, self.renderer.state, self.renderer.settings,
                            self.md.htmlStash.store)
        return lines if swapped is text else swapped.split("\n")


def swap_math(text: str, state: _State, settings: MarkdownConfig,
              store: Callable[[str], str]) -> str:
    """``text`` with every formula swapped for the placeholder ``store(mathml)`` gives, which
    the engine passes through untouched; both engines share it. Warnings name each formula's
    own line. Returns ``text`` itself when it holds no math."""
    if "$" not in text and "\\" not in text:
        return text
    doubts: list[tuple[int, str]] = []
    spans = list(find_math(text, settings.math, doubts))
    for offset, why in doubts:
        state.warn(why, state.note.body_line + text.count("\n", 0, offset), "math")
    if not spans:
        return text
    results = convert_spans(spans, tuple(sorted(settings.macros.items())))
    pieces, last, line, counted = [], 0, state.note.body_line, 0
    for span, result in zip(spans, results, strict=True):
        line += text.count("\n", counted, span.start)
        counted = span.start
        pieces.append(text[last:span.start])
        pieces.append(_math_placeholder(span, result, line, state, store))
        last = span.end
    pieces.append(text[last:])
    return "".join(pieces)


def _math_placeholder(span: MathSpan, result: Converted, line: int, state: _State,
                      store: Callable[[str], str]) -> str:
    if result.error:
        what = "cannot convert TeX " if result.mathml is None else ""
        state.warn(f"{what}{span.source}: {result.error}", line, "math")
    html = math_fallback(span) if result.mathml is None else result.mathml
    if not html:
        return ""  # a formula of macro definitions alone shows nothing
    placeholder = store(html)
    # Plain-text summaries show the formula as read (N×N), not as typed (N \times N).
    state.math_text[placeholder] = unescape(re.sub(r"<[^>]+>", "", html))
    return placeholder


class _WikiLinkProcessor(InlineProcessor):
    """``[[slug]]`` and ``[[slug|text]]`` become links to the note with that slug."""

    def handleMatch(self, m, data):  # noqa: N802 - Markdown's API
        element = etree.Element("a")
        element.set("href", f"{MARKER}slug:{m.group(1).strip()}")
        element.set("class", "wikilink")
        element.text = (m.group(2) or m.group(1)).strip()
        return element, m.start(0), m.end(0)


# A start tag with a URL attribute (its quoted values may hold ">", alt="a>b"). Tags without
# one (most are Pygments' <span class="n">) fail inside the regex, with no Python call.
_TAG_WITH_URL = re.compile(r"""<[A-Za-z][^\s/>]*\s(?:"[^"]*"|'[^']*'|[^'">])*?(?<=\s)"""
                           r"""(?:href|src|data|poster|srcset)\s*=(?:"[^"]*"|'[^']*'|[^'">])*>""",
                           re.I)
# One attribute, read in order so that a quoted value is never taken for attributes.
_ATTRIBUTE = re.compile(r"""(\s+[^\s"'>/=]+\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")
_URL_NAMES = ("href=", "src=", "data=", "poster=", "srcset=")
_URL_ATTRIBUTES = {"href", "src", "poster", "srcset"}


class _RawHtmlLinks(Postprocessor):
    """Links written as raw HTML (an imported Jekyll ``<img src="/assets/…">``, a feed's body)
    get the same treatment as Markdown links: the base_url path, copied files, backlinks. This
    covers href, src, ``<object data>``, ``<video poster>`` and every URL of a ``srcset``. Only
    attributes of real tags are touched; code shows ``&lt;`` and is never matched."""

    def __init__(self, md, renderer: MarkdownRenderer):
        super().__init__(md)
        self.renderer = renderer

    def run(self, text: str) -> str:
        if not any(name in text for name in _URL_NAMES):
            return text
        return _TAG_WITH_URL.sub(self._tag, text)

    def _tag(self, tag: re.Match) -> str:
        text = tag.group(0)
        names = _URL_ATTRIBUTES | {"data"} if text[1:7].lower() == "object" else _URL_ATTRIBUTES
        return _ATTRIBUTE.sub(lambda attribute: self._mark(attribute, names), text)

    def _mark(self, match: re.Match, names: set[str]) -> str:
        name = match.group(1).strip().rstrip("=").strip().lower()
        if name not in names:  # data= is a URL on <object> only
            return match.group(0)
        written = next(value for value in match.groups()[1:] if value is not None)
        value = unescape(written)
        if name == "srcset":
            marked = ", ".join(self._marked_candidate(candidate)
                               for candidate in value.split(",") if candidate.strip()).strip()
        else:
            marked = self._marked_url(value)
        if marked == value:
            return match.group(0)
        quote_mark = "'" if match.group(3) is not None else '"'
        return f"{match.group(1)}{quote_mark}{escape(marked, quote=True)}{quote_mark}"

    def _marked_url(self, url: str) -> str:
        # An empty href (<a href="">, [text]()) links to this page, as browsers read it.
        if url.startswith(MARKER) or not url.strip():
            return url
        return self.renderer.state.mark_link(url.strip())

    def _marked_candidate(self, candidate: str) -> str:
        """One "url 2x" of a srcset. A space always follows the URL: the model's marker ends
        at whitespace, and a comma right after it would be read as part of the path."""
        url, _, descriptor = candidate.strip().partition(" ")
        marked = self._marked_url(url)
        if marked == url:
            return candidate.strip()
        return f"{marked} {descriptor.strip()}"


_INLINE_PLACEHOLDER = re.compile("\x02[^\x03]*\x03")


class _LinkTreeprocessor(Treeprocessor):
    """Marks links that depend on the site and notes the first paragraph."""

    def __init__(self, md, renderer: MarkdownRenderer):
        super().__init__(md)
        self.renderer = renderer

    def run(self, root: etree.Element) -> None:
        state = self.renderer.state
        for element in root.iter():
            attribute = {"a": "href", "img": "src"}.get(element.tag)
            if attribute and element.get(attribute):
                element.set(attribute, state.mark_link(element.get(attribute)))
            if element.tag == "img" and element.get("alt") is None:
                element.set("alt", "")
        # The note's own first paragraph: not one inside a list item, a quote or the footnotes
        # (a note that is only bullets has none, and the digest shows its bullets instead).
        for paragraph in root.findall("p"):
            text = "".join(paragraph.itertext())
            text = _PLACEHOLDER.sub(state.stash_text, text)
            text = _ESCAPED_CHARACTER.sub(lambda m: chr(int(m.group(1))), text)
            text = _INLINE_PLACEHOLDER.sub("", text).strip()  # footnote marks, stashed HTML
            if text:
                state.first_paragraph = " ".join(text.split())
                break


class _State:
    """What one render collects besides the HTML."""

    def __init__(self, note: Note, md: markdown.Markdown, base_url: str):
        self.note, self.md, self.base_url = note, md, base_url
        self.problems: list[Problem] = []
        self.assets: list[str] = []
        self.links: list[tuple[str, str, int | None]] = []
        self.math_text: dict[str, str] = {}
        self.first_paragraph = ""

    def body(self, html: str, toc: tuple[TocEntry, ...]) -> RenderedBody:
        """What this render gives, the same for both engines."""
        return RenderedBody(
            html=html, toc=toc, first_paragraph=self.first_paragraph,
            words=len(re.findall(r"\w+", self.note.body)),
            assets=tuple(dict.fromkeys(self.assets)), links=tuple(dict.fromkeys(self.links)),
            problems=tuple(self.problems))

    def warn(self, message: str, line: int | None, field: str) -> None:
        self.problems.append(Problem(self.note.source, message, line, field, warning=True))

    def line_of(self, snippet: str) -> int | None:
        return self._line_at(self.note.body.find(snippet))

    def stash_text(self, match: re.Match) -> str:
        """Plain text of something held in the HTML stash: a formula as read, a smart quote
        as the character it is; raw HTML (a <script>, a <span>) gives none."""
        text = self.math_text.get(match.group(0))
        if text is None:
            stashed = str(self.md.htmlStash.rawHtmlBlocks[int(match.group(1))])
            text = unescape(stashed) if _CHARACTER_REFERENCE.fullmatch(stashed) else ""
        return text

    def mark_link(self, url: str) -> str:
        marked = self._marked(url)
        if marked.startswith(MARKER):
            kind, _, target = marked[len(MARKER):].partition(":")
            if kind == "asset":
                self.assets.append(target.split("#", 1)[0])
            else:
                target = target.split("#", 1)[0]
                self.links.append((kind, target, self.link_line(kind, target)))
        return marked

    def link_line(self, kind: str, target: str) -> int | None:
        """The line a link was written on, as best the source tells."""
        if kind == "slug":
            found = re.search(r"\[\[\s*" + re.escape(target), self.note.body)
            return self._line_at(found.start() if found else -1)
        return self._line_at(self.note.body.find(posixpath.basename(target.rstrip("/"))))

    def _line_at(self, offset: int) -> int | None:
        return None if offset < 0 else self.note.body_line + self.note.body.count("\n", 0, offset)

    def _marked(self, url: str) -> str:
        if url.startswith(MARKER):
            return url
        if self.base_url and url.startswith(self.base_url):
            # The site's own absolute URLs follow --base-url and count as backlinks.
            return f"{MARKER}root:{url[len(self.base_url):]}"
        try:
            parts = urlsplit(url)
        except ValueError:  # "http://[x": an unclosed IPv6 host; left as written
            return url
        if parts.scheme or parts.netloc or url.startswith("#"):
            return url
        if url.startswith("/"):
            return f"{MARKER}root:{url[1:]}"
        target = posixpath.normpath(posixpath.join(str(self.note.source_dir),
                                                   unquote(parts.path)))
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        if target.lower().endswith(NOTE_SUFFIXES):
            return f"{MARKER}note:{target}{fragment}"
        return f"{MARKER}asset:{target}{fragment}"


class _DigestifExtension(Extension):
    def __init__(self, renderer: MarkdownRenderer):
        super().__init__()
        self.renderer = renderer

    def extendMarkdown(self, md):  # noqa: N802 - Markdown's API
        # Liquid of Jekyll posts first, before anything reads the text.
        md.preprocessors.register(LiquidPreprocessor(md, self.renderer), "liquid", 40)
        # Before fenced code (25) and raw HTML blocks (20): math skips code and HTML itself.
        md.preprocessors.register(_MathPreprocessor(md, self.renderer), "math", 27)
        md.inlinePatterns.register(
            # Not [[Ref]](http://x.pdf): that is a link to the URL with "[Ref]" as its text.
            _WikiLinkProcessor(r"\[\[([^\]|\n]+)(?:\|([^\]\n]+))?\]\](?!\()", md),
            "wikilink", 175)
        md.treeprocessors.register(_LinkTreeprocessor(md, self.renderer), "links", 1)
        # After raw HTML is put back (30).
        md.postprocessors.register(_RawHtmlLinks(md, self.renderer), "raw_html_links", 25)
        md.ESCAPED_CHARS.append("$")


class MarkdownRenderer:
    """One configured Markdown instance, reused note after note (creating one is costly)."""

    def __init__(self, base_url: str = "", settings: MarkdownConfig | None = None) -> None:
        self.base_url = base_url
        self.settings = settings or MarkdownConfig()
        self.state: _State | None = None
        self.md = markdown.Markdown(
            extensions=[*dialect.extensions(self.settings), _DigestifExtension(self)],
            extension_configs=dialect.extension_configs(self.settings),
            output_format="html",
        )

    def render(self, note: Note) -> RenderedBody:
        state = self.state = _State(note, self.md, self.base_url)
        self.md.reset()
        html = self.md.convert(note.body)
        toc = tuple(_flatten_toc(getattr(self.md, "toc_tokens", [])))
        return state.body(html, toc)


def _flatten_toc(tokens: list[dict]):
    for token in tokens:
        yield TocEntry(token["level"], token["id"], unescape(re.sub(r"<[^>]+>", "",
                                                                     token["name"])))
        yield from _flatten_toc(token["children"])


_renderers: dict[tuple[str, str], MarkdownRenderer] = {}


def _new_renderer(base_url: str, settings: MarkdownConfig) -> MarkdownRenderer:
    """The engine ``[markdown] engine`` names; both give a :class:`RenderedBody`."""
    if settings.engine == "commonmark":
        from .markup_commonmark import CommonmarkRenderer  # imports this module

        return CommonmarkRenderer(base_url, settings)
    return MarkdownRenderer(base_url, settings)


DEFAULT_SETTINGS = MarkdownConfig()


def render_markdown(note: Note, base_url: str = "",
                    settings: MarkdownConfig = DEFAULT_SETTINGS) -> RenderedBody:
    """Render with this process's renderer, created on first use (workers keep theirs warm).

    Bounded (docs/limits.md): a body of a shape Markdown cannot handle, a render that exceeds
    ``settings.time_budget`` seconds or Python's recursion limit gives a body whose problems
    hold an error naming the note, never a hang or a traceback."""
    refused = markdown_problem(note.body)
    if refused is not None:
        message, line = refused
        return _failed(note, message, note.body_line + line - 1)
    key = (base_url, repr(settings))  # settings hold a dict of macros: not hashable
    renderer = _renderers.get(key)
    if renderer is None:
        renderer = _renderers[key] = _new_renderer(base_url, settings)
    try:
        with time_budget(settings.time_budget):
            return renderer.render(note)
    except OutOfTime:
        message = (f"Markdown took more than {settings.time_budget} s on this note and was "
                   "stopped (the limit is time_budget under [markdown] in site.toml); long "
                   "runs of unclosed brackets, emphasis or math delimiters are the usual cause")
    except RecursionError:
        message = ("nests lists, quotes or HTML blocks more deeply than Markdown can follow "
                   "(Python's recursion limit); flatten the nesting")
    del _renderers[key]  # stopped halfway: its state is not to be trusted
    return _failed(note, message, None)


def _failed(note: Note, message: str, line: int | None) -> RenderedBody:
    """The body of a note Markdown could not render: no HTML, one error."""
    return RenderedBody(html="", toc=(), first_paragraph="", words=0, assets=(), links=(),
                        problems=(Problem(note.source, message, line),))
