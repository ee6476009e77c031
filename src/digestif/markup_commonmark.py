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
from markdown.extensions.toc import slugify_unicode, unique
from pygments import highlight
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound
from pymdownx.highlight import BlockHtmlFormatter

from .config import MarkdownConfig
from .dialect import _KRAMDOWN_TOC, diagram_fence
from .liquid import LiquidPreprocessor
from .markup import MARKER, RenderedBody, TocEntry, _RawHtmlLinks, _State, swap_math
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
_FENCE_OPENING = re.compile(r"^([ >]*)(`{3,}|~{3,})[ \t]*(\{[^\n]*\}|[^\s`{][^\s`]*[ \t]+[^\n`]+)"
                            r"[ \t]*$", re.M)
_FENCE_MARK = re.compile(r"(`{3,}|~{3,})")
_ADMONITION = re.compile(r'!!! +([\w-]+)(?: +"([^"\n]*)")? *$')
_FENCE_TOKEN = re.compile(r"digestif-fence-(\d+)")
_FENCE_ATTRIBUTE = re.compile(r"""([\w-]+)=(?:"([^"]*)"|'([^']*)'|(\S+))""")
_TASK = re.compile(r'<li>(\n?<p>)?<input disabled="" type="checkbox"( checked="")?/>\n?')
_TASK_TEXT_END = re.compile(r"<(?:ul|ol)[\s>]|</li>|</p>")
_ALERT = re.compile(r"<blockquote>\n<p>\[!([A-Za-z][\w-]*)\]([+-]?)[ \t]*(.*?)(\n|</p>\n)")
_FOOTNOTE_REFERENCE = re.compile(r'<sup class="footnote-reference"><a href="#([^"]*)">(\d+)'
                                 r"</a></sup>")
_FOOTNOTE_DEFINITION = re.compile(r'<div class="footnote-definition" id="([^"]*)"><sup '
                                  r'class="footnote-definition-label">(\d+)</sup>\n?')
_HEADING = re.compile(r"<h([1-6])((?: [^>]*)?)>(.*?)</h\1>", re.S)
_ID = re.compile(r'\sid="([^"]*)"')
_TOC_PARAGRAPH = re.compile(r"<p>\[TOC\]</p>\n?")
_TAGS = re.compile(r"<[^>]*>")
_SPLIT = re.compile(r"(<[^>]*>)")
_SKIPPED = frozenset(("code", "pre", "script", "style", "textarea", "math", "a", "svg"))
_WIKI_LINK = re.compile(r"\[\[([^\]|\n]+)(?:\|([^\]\n]+))?\]\](?!\()")
# The same families as pymdownx.caret, .tilde and .mark: content without surrounding spaces;
# "i==1" (== between word characters) is not a mark, as with smart_mark.
_INSERT = re.compile(r"\^\^(?=\S)(.+?)(?<=\S)\^\^")
_SUPERSCRIPT = re.compile(r"(?<!\^)\^([^\s^]+)\^(?!\^)")
_SUBSCRIPT = re.compile(r"(?<!~)~([^\s~]+)~(?!~)")
_MARK = re.compile(r"(?<![\w=])==(?=\S)(.+?)(?<=\S)==(?![\w=])")
_BARE_URL = re.compile(r"(?<![\w/@&=\"'.-])((?:https?://|www\.)[^\s<>\"']+)")
_CONTAINER = re.compile(r"<(/?)(ul|ol|li|blockquote|div|details|table|dl|figure|section|"
                        r"aside)[\s>]|<p>")
_TEXT_SIGNS = ("[[", "==", "^", "~", "http", "www.")
_ALERT_TITLES = {"note": "Note", "tip": "Tip", "important": "Important", "warning": "Warning",
                 "caution": "Caution"}


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
            text = _FENCE_OPENING.sub(self._fence_token, text)
        html = self.engine.html(text)
        if self.fences:
            html = _FENCE_TOKEN.sub(self._unused_fence, html)
        html = self._passes(html)
        toc = _Headings(self).run(html)
        html = toc.html
        if self.math:
            html = self._math_back(html)
        return RenderedBody(
            html=html, toc=toc.entries, first_paragraph=state.first_paragraph,
            words=len(re.findall(r"\w+", note.body)), assets=tuple(dict.fromkeys(state.assets)),
            links=tuple(dict.fromkeys(state.links)), problems=tuple(state.problems))

    def _passes(self, html: str) -> str:
        if 'type="checkbox"' in html:
            html = _task_lists(html, self)
        if "<blockquote>\n<p>[!" in html:
            html = _alerts(html)
        if 'class="footnote-reference"' in html or 'class="footnote-definition"' in html:
            html = _footnotes(html)
        if any(sign in html for sign in _TEXT_SIGNS):
            html = _TextPass(self.state).run(html)
        html = self.links.run(html)
        self.state.first_paragraph = _first_paragraph(html, self)
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
                lexer = get_lexer_by_name(language, stripnl=True)
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


def _block_end(html: str, start: int, tag: str) -> int:
    """Where the element of ``tag`` that opens at or before ``start`` closes (the offset just
    past its end tag), counting nested elements of the same name."""
    pattern = re.compile(rf"<(/?){tag}[\s>]")
    depth = 1
    for found in pattern.finditer(html, start):
        depth += -1 if found.group(1) else 1
        if depth == 0:
            return html.index(">", found.start()) + 1
    return len(html)


def _task_lists(html: str, renderer: CommonmarkRenderer) -> str:
    """pymdownx.tasklist's markup: a classed item and list, and a checkbox named by its task's
    own text (axe's "label" rule)."""
    def task(match: re.Match) -> str:
        rest = html[match.end():]
        end = _TASK_TEXT_END.search(rest)
        label = " ".join(renderer.plain(rest[:end.start() if end else 200]).split())[:200]
        checked = " checked" if match.group(2) else ""
        return (f'<li class="task-list-item">{match.group(1) or ""}<input aria-label="'
                f'{escape(label or "task", quote=True)}" type="checkbox" disabled{checked}/> ')
    html = _TASK.sub(task, html)
    return re.sub(r'<ul>(\n<li class="task-list-item">)', r'<ul class="task-list">\1', html)


def _alerts(html: str) -> str:
    """``> [!NOTE]`` (GitHub) and ``> [!tip]- Title`` (Obsidian) as pymdownx.quotes writes
    them: an admonition box, or a folded ``<details>`` one."""
    while True:
        found = _ALERT.search(html)
        if found is None:
            return html
        kind, fold, title, rest = found.groups()
        kind = kind.lower()
        title = title or _ALERT_TITLES.get(kind, kind.capitalize())
        if fold:
            opened = " open" if fold == "+" else ""
            head = f'<details class="admonition {kind}"{opened}>\n<summary>{title}</summary>\n'
            close = "</details>"
        else:
            head = f'<div class="admonition {kind}">\n<p class="admonition-title">{title}</p>\n'
            close = "</div>"
        head += "<p>" if rest == "\n" else ""
        end = _block_end(html, found.end(), "blockquote")
        inner = html[found.end():end - len("</blockquote>")]
        html = html[:found.start()] + head + inner + close + html[end:]


def _footnotes(html: str) -> str:
    """Python-Markdown's footnotes: ``fnref:label`` marks and one numbered list at the end,
    each note with a link back to each of its marks."""
    seen: dict[str, int] = {}

    def reference(match: re.Match) -> str:
        label, number = match.groups()
        seen[label] = seen.get(label, 0) + 1
        ref = f"fnref:{label}" if seen[label] == 1 else f"fnref{seen[label]}:{label}"
        return (f'<sup id="{ref}"><a class="footnote-ref" href="#fn:{label}">{number}</a>'
                "</sup>")
    html = _FOOTNOTE_REFERENCE.sub(reference, html)
    notes: list[tuple[int, str, str]] = []
    while (found := _FOOTNOTE_DEFINITION.search(html)) is not None:
        end = _block_end(html, found.end(), "div")
        body = html[found.end():end - len("</div>")].rstrip("\n")
        label, number = found.group(1), int(found.group(2))
        notes.append((number, label, _with_backlinks(body, label, number, seen.get(label, 0))))
        html = html[:found.start()] + html[end:].removeprefix("\n")
    if not notes:
        return html
    items = "".join(f'<li id="fn:{label}">\n{body}\n</li>\n' for _, label, body in sorted(notes))
    return f'{html}<div class="footnote">\n<hr>\n<ol>\n{items}</ol>\n</div>\n'


def _with_backlinks(body: str, label: str, number: int, marks: int) -> str:
    links = "".join(
        f'<a class="footnote-backref" href="#{"fnref" if n == 1 else f"fnref{n}"}:{label}" '
        f'title="Back to reference {number}">&#8617;</a>' for n in range(1, marks + 1))
    if not links:
        return body
    if body.endswith("</p>"):
        return f"{body[:-4]}&#160;{links}</p>"
    return f"{body}\n<p>{links}</p>"


class _TocResult:
    def __init__(self, html: str, entries: tuple[TocEntry, ...]):
        self.html, self.entries = html, entries


class _Headings:
    """Heading ids as the toc extension makes them (Unicode kept, ``_1`` for a repeat), its
    ``#`` anchor, and the ``[TOC]`` list of the ``##``–``####`` headings."""

    def __init__(self, renderer: CommonmarkRenderer):
        self.renderer = renderer
        self.used: set[str] = set()
        self.entries: list[TocEntry] = []

    def run(self, html: str) -> _TocResult:
        if "<h" not in html:
            return _TocResult(html, ())
        self.used = set(_ID.findall("".join(m.group(2) for m in _HEADING.finditer(html))))
        html = _HEADING.sub(self._heading, html)
        if "<p>[TOC]</p>" in html:
            html = _TOC_PARAGRAPH.sub(lambda m: self._toc_html(), html)
        return _TocResult(html, tuple(self.entries))

    def _heading(self, match: re.Match) -> str:
        level, attributes, inner = int(match.group(1)), match.group(2), match.group(3)
        title = self.renderer.plain(inner).strip()
        given = _ID.search(attributes)
        if given:
            ident = unescape(given.group(1))
        else:
            ident = unique(slugify_unicode(title, "-"), self.used)
            attributes = f' id="{escape(ident, quote=True)}"{attributes}'
        if 2 <= level <= 4:
            self.entries.append(TocEntry(level, ident, " ".join(title.split())))
        href = escape(f"#{ident}", quote=True)
        return (f'<h{level}{attributes}>{inner}<a class="anchor" href="{href}" '
                f'title="Link to this section">#</a></h{level}>')

    def _toc_html(self) -> str:
        """The nested list the toc extension writes."""
        out, levels = ['<div class="note-toc">\n'], []
        for entry in self.entries:
            while levels and entry.level < levels[-1]:
                out.append("</li>\n</ul>\n")
                levels.pop()
            if levels and entry.level == levels[-1]:
                out.append("</li>\n")
            elif not levels or entry.level > levels[-1]:
                out.append("<ul>\n" if not levels else "\n<ul>\n")
                levels.append(entry.level)
            out.append(f'<li><a href="#{escape(entry.id, quote=True)}">'
                       f"{escape(entry.title)}</a>")
        out.extend("</li>\n</ul>\n" for _ in levels)
        out.append("</div>\n")
        return "".join(out)


class _TextPass:
    """What the other engine's inline extensions read in text and pulldown-cmark does not:
    ``==mark==``, ``^^ins^^``, ``x^2^``, ``H~2~O``, bare ``https://…`` links and wiki-links.
    Only text outside code, links, scripts and formulas is touched."""

    def __init__(self, state: _State):
        self.state = state

    def run(self, html: str) -> str:
        """Code blocks (``<pre>``, most of a page's tags when highlighted) are skipped whole."""
        out, last = [], 0
        while (start := html.find("<pre", last)) >= 0:
            end = html.find("</pre>", start)
            end = len(html) if end < 0 else end + len("</pre>")
            out.append(self._outside_code(html[last:start]))
            out.append(html[start:end])
            last = end
        out.append(self._outside_code(html[last:]))
        return "".join(out)

    def _outside_code(self, html: str) -> str:
        if not any(sign in html for sign in _TEXT_SIGNS):
            return html
        pieces = _SPLIT.split(html)
        skipping: list[str] = []
        for index in range(0, len(pieces), 2):
            if index:
                self._follow(pieces[index - 1], skipping)
            if not skipping and pieces[index]:
                pieces[index] = self._text(pieces[index])
        return "".join(pieces)

    @staticmethod
    def _follow(tag: str, skipping: list[str]) -> None:
        name = tag[1:].lstrip("/").split(None, 1)[0].rstrip(">/").lower() if len(tag) > 2 else ""
        if name not in _SKIPPED or tag.endswith("/>"):
            return
        if tag.startswith("</"):
            if skipping and skipping[-1] == name:
                skipping.pop()
        else:
            skipping.append(name)

    def _text(self, text: str) -> str:
        if "[[" in text:
            text = _WIKI_LINK.sub(self._wiki_link, text)
        if "==" in text:
            text = _MARK.sub(r"<mark>\1</mark>", text)
        if "^" in text:
            text = _SUPERSCRIPT.sub(r"<sup>\1</sup>", _INSERT.sub(r"<ins>\1</ins>", text))
        if "~" in text:
            text = _SUBSCRIPT.sub(r"<sub>\1</sub>", text)
        if "http" in text or "www." in text:
            text = _BARE_URL.sub(self._bare_url, text)
        return text

    def _wiki_link(self, match: re.Match) -> str:
        slug = unescape(match.group(1)).strip()
        href = self.state.mark_link(f"{MARKER}slug:{slug}")
        shown = (match.group(2) or match.group(1)).strip()
        return f'<a class="wikilink" href="{escape(href, quote=True)}">{shown}</a>'

    @staticmethod
    def _bare_url(match: re.Match) -> str:
        """As magiclink: trailing punctuation (and an unbalanced ``)``) is not part of it.
        Smart punctuation has no place in a URL: a--b is what was typed."""
        url = match.group(1)
        if "\u2013" in url or "\u2014" in url:
            url = url.replace("\u2014", "---").replace("\u2013", "--")
        trail = ""
        while url and (url[-1] in ".,:;!?'\"" or url[-1] == ")" and url.count("(") <
                       url.count(")")):
            url, trail = url[:-1], url[-1] + trail
        if url.endswith("&amp;"):
            return match.group(0)
        href = url if not url.startswith("www.") else f"http://{url}"
        return f'<a href="{href}">{url}</a>{trail}'


def _first_paragraph(html: str, renderer: CommonmarkRenderer) -> str:
    """The note's own first paragraph: one outside lists, quotes, boxes and the footnotes."""
    depth = 0
    for found in _CONTAINER.finditer(html):
        if found.group(0) != "<p>":
            depth += -1 if found.group(1) else 1
            continue
        if depth > 0:
            continue
        end = html.find("</p>", found.end())
        text = " ".join(renderer.plain(html[found.end():end]).split())
        if text:
            return text
    return ""
