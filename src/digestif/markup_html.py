"""The HTML passes of the ``commonmark`` engine (:mod:`.markup_commonmark`): each rewrites
what pulldown-cmark writes for a construct into what the matching Python-Markdown extension
writes, or reads in text what pulldown-cmark does not (marks, wiki-links, bare links), so both
engines give the same page and the theme's CSS applies as is.

``renderer`` below is the :class:`~.markup_commonmark.CommonmarkRenderer`: its ``plain`` gives
a fragment's text as a reader sees it, formulas as read."""

from __future__ import annotations

import re
from html import escape, unescape
from typing import TYPE_CHECKING

from markdown.extensions.toc import slugify_unicode, unique

from .markup import MARKER, TocEntry, _State

if TYPE_CHECKING:
    from .markup_commonmark import CommonmarkRenderer

_TASK = re.compile(r'<li>(\n?<p>)?<input disabled="" type="checkbox"( checked="")?/>\n?')
_LIST_TAGS = re.compile(r"<(/?)(ul|ol|li)[\s>]")
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
# pulldown-cmark percent-encodes non-ASCII in the URLs it writes (#수동설치 -> #%EC%88%98…);
# Python-Markdown writes them as typed, and the model resolves them as typed.
ENCODED_URL = re.compile(r'(<(?:a|img) (?:href|src)=")([^"]*%[89A-Fa-f][0-9A-Fa-f][^"]*)"')
_ENCODED_BYTES = re.compile(r"(?:%[89A-Fa-f][0-9A-Fa-f])+")
_CONTAINER = re.compile(r"<(/?)(ul|ol|li|blockquote|div|details|table|dl|figure|section|"
                        r"aside)[\s>]|<p>")
TEXT_SIGNS = ("[[", "==", "^", "~", "http", "www.", "**")
# CommonMark's flanking rules leave "**강조)**를" and "**重要。**的" as typed: a closing ** after
# punctuation and before a letter closes nothing. Python-Markdown makes them bold, as CJK
# authors mean; this does the same, only beside a CJK character.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef"
_CJK_STRONG = re.compile(rf"(?:(?<=[{_CJK}])\*\*(?=\S)([^*]+?)(?<=\S)\*\*|"
                         rf"\*\*(?=\S)([^*]+?)(?<=\S)\*\*(?=[{_CJK}]))")
_ALERT_TITLES = {"note": "Note", "tip": "Tip", "important": "Important", "warning": "Warning",
                 "caution": "Caution"}


def decoded_url(match: re.Match) -> str:
    def decoded(found: re.Match) -> str:
        try:
            return bytes.fromhex(found.group(0).replace("%", "")).decode("utf-8")
        except UnicodeDecodeError:
            return found.group(0)
    return f'{match.group(1)}{_ENCODED_BYTES.sub(decoded, match.group(2))}"'


_ELEMENT_TAGS: dict[str, re.Pattern] = {}


def _block_end(html: str, start: int, tag: str) -> int:
    """Where the element of ``tag`` that opens at or before ``start`` closes (the offset just
    past its end tag), counting nested elements of the same name."""
    pattern = _ELEMENT_TAGS.get(tag) or _ELEMENT_TAGS.setdefault(
        tag, re.compile(rf"<(/?){tag}[\s>]"))
    depth = 1
    for found in pattern.finditer(html, start):
        depth += -1 if found.group(1) else 1
        if depth == 0:
            return html.index(">", found.start()) + 1
    return len(html)


def task_lists(html: str, renderer: CommonmarkRenderer) -> str:
    """pymdownx.tasklist's markup: a classed item and list, and a checkbox named by its task's
    own text (axe's "label" rule)."""
    def task(match: re.Match) -> str:
        end = _TASK_TEXT_END.search(html, match.end())
        own = html[match.end():end.start() if end else match.end() + 200]
        label = " ".join(renderer.plain(own).split())[:200]
        checked = " checked" if match.group(2) else ""
        return (f'<li class="task-list-item">{match.group(1) or ""}<input aria-label="'
                f'{escape(label or "task", quote=True)}" type="checkbox" disabled{checked}/> ')
    html = _TASK.sub(task, html)
    # A list holding a task (at any place in it) is a task list, as pymdownx.tasklist says.
    opened: list[tuple[str, int]] = []
    holders: set[int] = set()
    for found in _LIST_TAGS.finditer(html):
        closing, name = found.group(1), found.group(2)
        if name == "li":
            if not closing and opened and \
                    html.startswith(' class="task-list-item"', found.end() - 1):
                holders.add(opened[-1][1])
        elif closing:
            if opened:
                opened.pop()
        else:
            opened.append((name, found.start()))
    for start in sorted(holders, reverse=True):
        tag = html[start:html.index(">", start)]
        if "class=" not in tag:
            html = f'{html[:start + 3]} class="task-list"{html[start + 3:]}'
    return html


def alerts(html: str) -> str:
    """``> [!NOTE]`` (GitHub) and ``> [!tip]- Title`` (Obsidian) as pymdownx.quotes writes
    them: an admonition box, or a folded ``<details>`` one."""
    cursor = 0  # an alert inside another is found after the outer one's new head
    while True:
        found = _ALERT.search(html, cursor)
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
        cursor = found.start() + len(head)


def footnotes(html: str) -> str:
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
    cursor = 0
    while (found := _FOOTNOTE_DEFINITION.search(html, cursor)) is not None:
        end = _block_end(html, found.end(), "div")
        body = html[found.end():end - len("</div>")].rstrip("\n")
        label, number = found.group(1), int(found.group(2))
        notes.append((number, label, _with_backlinks(body, label, number, seen.get(label, 0))))
        html = html[:found.start()] + html[end:].removeprefix("\n")
        cursor = found.start()
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


class TocResult:
    def __init__(self, html: str, entries: tuple[TocEntry, ...]):
        self.html, self.entries = html, entries


class Headings:
    """Heading ids as the toc extension makes them (Unicode kept, ``_1`` for a repeat), its
    ``#`` anchor, and the ``[TOC]`` list of the ``##``–``####`` headings."""

    def __init__(self, renderer: CommonmarkRenderer):
        self.renderer = renderer
        self.used: set[str] = set()
        self.counters: dict[str, int] = {}  # 20,000 headings "a": no search from a_1 each
        self.entries: list[TocEntry] = []

    def run(self, html: str) -> TocResult:
        if "<h" not in html:
            return TocResult(html, ())
        self.used = set(_ID.findall("".join(m.group(2) for m in _HEADING.finditer(html))))
        html = _HEADING.sub(self._heading, html)
        if "<p>[TOC]</p>" in html:
            html = _TOC_PARAGRAPH.sub(lambda m: self._toc_html(), html)
        return TocResult(html, tuple(self.entries))

    def _heading(self, match: re.Match) -> str:
        level, attributes, inner = int(match.group(1)), match.group(2), match.group(3)
        title = self.renderer.plain(inner).strip()
        given = _ID.search(attributes)
        if given:
            ident = unescape(given.group(1))
        else:
            ident = unique(slugify_unicode(title, "-"), self.used, self.counters)
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


class TextPass:
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
        if not any(sign in html for sign in TEXT_SIGNS):
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
        if "**" in text:
            text = _CJK_STRONG.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>",
                                   text)
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


def first_paragraph(html: str, renderer: CommonmarkRenderer) -> str:
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
