"""The Liquid of Jekyll posts that has one clear meaning, resolved; the rest left and reported.

digestif does not run Liquid, but Jekyll posts are full of it: ``{{ page.paper_ref }}``,
``{{ '/x.png' | relative_url }}``, al-folio's ``{% include figure.html path=… %}``. The importer
(on the post) and the build (as the first Markdown preprocessor, for posts copied into
``content/`` as they are) both call :func:`resolve`, so they give the same text:

- outputs of page variables (from the note's own front matter), ``site.baseurl`` and
  ``site.url`` (empty: digestif puts the base path in front of root-relative links itself) and
  quoted strings, through the filters ``relative_url``, ``absolute_url``, ``prepend``,
  ``append``, ``default`` and ``escape``;
- ``{% include figure.html|figure.liquid|image.html|video.html … %}`` -> ``<figure>``;
- ``{% highlight lang %}…{% endhighlight %}`` and ``{% mermaid %}`` -> fenced code;
- ``{% raw %}…{% endraw %}`` -> its text, as written; ``{% comment %}`` -> an HTML comment
  (import) or nothing (build);
- ``{% post_url 2020-01-02-name %}`` and ``{% link _posts/….md %}`` -> a link to that note;
- ``{% twitter URL %}`` (jekyll-twitter-plugin) -> a quote linking the tweet, without
  Twitter's script;
- ``{% capture x %}…{% endcapture %}`` -> ``x`` for the includes and outputs after it.

The tokenizer follows python-liquid's rules for where a tag or output starts and ends, with
one addition for TeX: neither crosses a blank line, and ``{{a}}`` (a bare name, as in
``x^{{2}}``) is text, not Liquid. Anything else is kept byte for byte and reported with its
line, for a warning at import and at build.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from html.parser import HTMLParser
from typing import Any

from markdown.preprocessors import Preprocessor

LIQUID_START = re.compile(r"\{[{%]")
# An output or tag, up to its end; neither crosses a blank line (a lone "{{" of TeX must not
# reach a "}}" paragraphs later).
_OUTPUT = re.compile(r"\{\{-?((?:(?!\n[ \t]*\n).)*?)-?\}\}", re.DOTALL)
_TAG = re.compile(r"\{%-?\s*(\w+)((?:(?!\n[ \t]*\n).)*?)-?%\}", re.DOTALL)
_BLOCKS = {"raw", "comment", "highlight", "mermaid", "capture"}
_INCLUDES = {"figure.html", "figure.liquid", "image.html", "video.html", "video.liquid"}
# Names a Liquid output starts with in Jekyll; anything else in {{ }} is TeX or text.
_ROOTS = {"page", "site", "include", "post", "paginator", "forloop", "content", "jekyll",
          "layout", "layouts"}
_SITE_URLS = {"site.baseurl", "site.url", "site.github.url"}
_ARGUMENT = re.compile(r"""([\w-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"']+)""")
_STRING = re.compile(r"""^(["'])(.*)\1$""", re.DOTALL)
_PATH = re.compile(r"^[A-Za-z_][\w-]*(?:\.[\w-]+)*$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)


class Unresolved(Exception):
    """This piece of Liquid has no one clear meaning here."""


@dataclass(frozen=True)
class Context:
    """What Liquid in one note may refer to."""

    page: Mapping[str, Any]
    """The note's front matter, as written."""
    post_link: Callable[[str], str]
    """``"2020-01-02-name"`` (a post's file name without suffix) -> the URL to link to."""
    keep_comments: bool = False
    """``{% comment %}`` -> an HTML comment (so an import loses nothing); else removed."""
    skip_code: bool = False
    """Leave fenced code and code spans alone (at build: a digestif note may show a template
    in code). Jekyll itself runs Liquid in code, and so does the importer."""
    keep_raw: bool = False
    """Keep ``{% raw %}`` around Liquid outside code (import): the note's build would
    otherwise read the literal ``{% highlight %}`` it shows as Liquid again."""


@dataclass
class Resolved:
    text: str
    notes: list[tuple[int, str]] = field(default_factory=list)
    """(line in the text, message) for Liquid kept as written, or a variable not found."""
    captured: dict[str, str] = field(default_factory=dict)
    """``{% capture name %}…{% endcapture %}`` values, for ``caption=name`` and ``{{ name }}``."""
    code: list[tuple[int, int]] = field(default_factory=list)
    """Spans of code in the text (with ``keep_raw``)."""


def has_liquid(text: str) -> bool:
    return "{{" in text or "{%" in text


def resolve(text: str, context: Context, captured: dict[str, str] | None = None) -> Resolved:
    """``text`` with the Liquid that has a clear meaning resolved; see the module docstring."""
    result = Resolved(text, captured={} if captured is None else captured)
    if not has_liquid(text):
        return result
    skipped = _code_ranges(text) if context.skip_code or context.keep_raw else []
    result.code = skipped if context.keep_raw else []
    skipped = skipped if context.skip_code else []
    pieces: list[str] = []
    position = 0
    for match in LIQUID_START.finditer(text):
        start = match.start()
        if start < position or _inside(start, skipped):
            continue
        end, replacement = _piece(text, start, context, result)
        if end is None:
            continue
        pieces.append(text[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(text[position:])
    result.text = "".join(pieces)
    result.notes.sort()
    return result


def _piece(text: str, start: int, context: Context,
           result: Resolved) -> tuple[int | None, str]:
    """(end, replacement) of the output or tag at ``start``; end None when it is not Liquid."""
    line = text.count("\n", 0, start) + 1
    if text.startswith("{{", start):
        match = _OUTPUT.match(text, start)
        if match is None or not (_looks_like_liquid(match.group(1)) or
                                 match.group(1).strip() in result.captured):
            return None, ""
        resolve_it = functools.partial(_output, match.group(1))
    else:
        match = _TAG.match(text, start)
        if match is None:
            return None, ""
        name, markup = match.group(1), match.group(2).strip()
        if name in _BLOCKS:
            return _block(text, match, context, result, line)
        resolve_it = functools.partial(_tag, name, markup)
    found = Resolved("", captured=result.captured)  # notes of an unresolved piece are dropped
    try:
        replacement = resolve_it(context, found, line)
    except Unresolved:
        _report(result, line, match.group(0))
        return match.end(), match.group(0)
    result.notes += found.notes
    return match.end(), replacement


def _report(result: Resolved, line: int, source: str) -> None:
    result.notes.append((line, f"Liquid '{_short(source)}' kept as written: it has no one "
                               "meaning outside Jekyll; edit it by hand"))


def _looks_like_liquid(expression: str) -> bool:
    head = expression.split("|", 1)[0].strip()
    root = re.split(r"[.\[]", head, maxsplit=1)[0]
    return bool(_STRING.match(head)) or root in _ROOTS or "|" in expression


# ---------------------------------------------------------------------------------------------
# Outputs


def _output(expression: str, context: Context, result: Resolved, line: int) -> str:
    head, *filters = _split_filters(expression)
    value = _value(head, context, result, line)
    for name, argument in filters:
        value = _filter(name, value, argument, context, result, line)
    return value


def _split_filters(expression: str) -> list[Any]:
    """``"'x' | prepend: site.baseurl"`` -> ``["'x'", ("prepend", "site.baseurl")]``."""
    parts = [part.strip() for part in re.split(r"\|(?=(?:[^\"']|[\"'][^\"']*[\"'])*$)",
                                               expression)]
    filters = []
    for part in parts[1:]:
        name, _, argument = part.partition(":")
        filters.append((name.strip(), argument.strip()))
    return [parts[0], *filters]


def _value(expression: str, context: Context, result: Resolved, line: int) -> str:
    expression = expression.strip()
    string = _STRING.match(expression)
    if string:
        return string.group(2)
    if _NUMBER.match(expression) or expression.lower() in ("true", "false"):
        return expression
    if expression in ("nil", "null", "empty", "blank"):
        return ""
    if expression in _SITE_URLS:
        return ""
    if expression in result.captured:
        return result.captured[expression]
    if not _PATH.match(expression):
        raise Unresolved
    root, _, key = expression.partition(".")
    if root != "page" or not key or "." in key:
        raise Unresolved
    if key not in context.page or context.page[key] is None:
        result.notes.append((line, f"'page.{key}' is not in the front matter: it shows "
                                   "nothing here, as in Jekyll"))
        return ""
    return _text(context.page[key])


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | float):
        return str(value)
    raise Unresolved  # Jekyll's rendering of lists and mappings is nothing to copy


def _filter(name: str, value: str, argument: str, context: Context, result: Resolved,
            line: int) -> str:
    if name in ("relative_url", "absolute_url"):
        # Jekyll makes a path root-relative; digestif adds the base path to such links itself.
        if value and not value.startswith(("/", "#")) and "://" not in value:
            return "/" + value
        return value
    if name in ("prepend", "append") and argument:
        other = _value(argument, context, result, line)
        return other + value if name == "prepend" else value + other
    if name == "default" and argument:
        return value or _value(argument, context, result, line)
    if name in ("escape", "xml_escape") and not argument:
        return escape(value)
    raise Unresolved


# ---------------------------------------------------------------------------------------------
# Tags


def _tag(name: str, markup: str, context: Context, result: Resolved, line: int) -> str:
    if name == "include":
        return _include(markup, context, result, line)
    words = markup.split()
    if name == "post_url" and len(words) == 1:
        return context.post_link(words[0].rsplit("/", 1)[-1])
    if name == "link" and len(words) == 1 and "_posts/" in words[0]:
        return context.post_link(words[0].rsplit("/", 1)[-1].rsplit(".", 1)[0])
    if name == "twitter" and words and re.match(r"https://(?:mobile\.)?(?:twitter|x)\.com/",
                                                 words[0]):
        # jekyll-twitter-plugin's embed without Twitter's script: the quote linking the post.
        url = escape(words[0], quote=True)
        return f'<blockquote class="tweet"><p><a href="{url}">{url}</a></p></blockquote>'
    raise Unresolved


def _include(markup: str, context: Context, result: Resolved, line: int) -> str:
    """The figure and image includes of the common themes (al-folio's ``figure.html``,
    ``image.html`` of many blogs): one ``<figure>``, as they render."""
    file, *rest_of = markup.split(None, 1)
    rest = rest_of[0] if rest_of else ""
    if file not in _INCLUDES:
        raise Unresolved
    arguments: dict[str, str] = {}
    consumed = 0
    for match in _ARGUMENT.finditer(rest):
        if rest[consumed:match.start()].strip():
            raise Unresolved  # something that is not key=value
        arguments[match.group(1)] = _value(match.group(2), context, result, line)
        consumed = match.end()
    if rest[consumed:].strip():
        raise Unresolved
    return _figure(file, arguments)


def _figure(file: str, arguments: dict[str, str]) -> str:
    image_key = next((k for k in ("path", "img", "src", "file", "image") if k in arguments),
                     "url" if file.startswith("image") else None)
    if image_key is None or not arguments.get(image_key):
        raise Unresolved
    source = arguments[image_key]
    if not source.startswith(("/", "#")) and "://" not in source:
        source = "/" + source  # these includes pass the path through relative_url
    attributes: list[tuple[str, str | None]] = [("src", source)]
    if file.startswith("video"):
        attributes.append(("controls", None))
    else:
        attributes.append(("alt", arguments.get("alt") or arguments.get("title") or ""))
    for key in ("class", "width", "height", "title"):
        if arguments.get(key) and not (key == "title" and file.startswith("video")):
            attributes.append((key, arguments[key]))
    tag = "video" if file.startswith("video") else "img"
    element = f"<{tag}" + "".join(
        f" {key}" if value is None else f' {key}="{escape(value, quote=True)}"'
        for key, value in attributes) + (f"></{tag}>" if tag == "video" else ">")
    link = arguments.get("url") if image_key != "url" else ""
    if link:
        element = f'<a href="{escape(link, quote=True)}">{element}</a>'
    caption = arguments.get("caption") or arguments.get("description") or ""
    # The caption is the author's HTML, as these includes print it.
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"<figure>{element}{figcaption}</figure>"


def _block(text: str, opening: re.Match, context: Context, result: Resolved,
           line: int) -> tuple[int | None, str]:
    name = opening.group(1)
    closing = re.compile(r"\{%-?\s*end" + name + r"\s*-?%\}")
    end = closing.search(text, opening.end())
    if end is None:
        _report(result, line, opening.group(0))
        return opening.end(), opening.group(0)
    inner = text[opening.end():end.start()]
    if name == "raw":
        if context.keep_raw and has_liquid(inner) and not _inside(opening.start(), result.code):
            return end.end(), text[opening.start():end.end()]
        return end.end(), inner
    if name == "comment":
        return end.end(), f"<!--{inner}-->" if context.keep_comments else ""
    nested = resolve(inner, context, result.captured)
    inner_line = text.count("\n", 0, opening.end())
    result.notes += [(inner_line + n, message) for n, message in nested.notes]
    if name == "capture":
        variable = opening.group(2).strip()
        if not re.fullmatch(r"[\w-]+", variable):
            _report(result, line, opening.group(0))
            return opening.end(), opening.group(0)
        result.captured[variable] = nested.text.strip()
        return end.end(), ""
    language = "mermaid" if name == "mermaid" else (opening.group(2).split() or [""])[0]
    return end.end(), _fenced(text, opening.start(), language, nested.text)


def _fenced(text: str, start: int, language: str, code: str) -> str:
    code = code.removeprefix("\n").rstrip(" \t").removesuffix("\n")
    fence = "~~~~" if "```" in code else "```"
    lead = text[text.rfind("\n", 0, start) + 1:start]
    if lead.strip():  # a fence must begin its own line
        return f"\n{fence}{language}\n{code}\n{fence}"
    return f"{fence}{language}\n{code}\n{lead}{fence}"  # indented like the tag (a list item)


# ---------------------------------------------------------------------------------------------
# Code, left alone at build


def _code_ranges(text: str) -> list[tuple[int, int]]:
    ranges = []
    position = 0
    while True:
        opening = _FENCE.search(text, position)
        if opening is None:
            break
        marker = opening.group(1)
        closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$",
                             re.MULTILINE)
        line_end = text.find("\n", opening.end())
        end_match = closing.search(text, line_end + 1) if line_end >= 0 else None
        end = end_match.end() if end_match else len(text)
        ranges.append((opening.start(), end))
        position = end
    outside = _outside(text, ranges)
    for start, stop in outside:
        ranges += [m.span() for m in _CODE_SPAN.finditer(text, start, stop)
                   if "\n\n" not in m.group(0)]
    return sorted(ranges)


def _outside(text: str, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans, position = [], 0
    for start, end in ranges:
        spans.append((position, start))
        position = end
    spans.append((position, len(text)))
    return spans


def _inside(offset: int, ranges: list[tuple[int, int]]) -> bool:
    return any(start <= offset < end for start, end in ranges)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------------------------------------
# MathJax scripts of the post itself

_MATH_SCRIPT = re.compile(
    r"<script\b[^>]*(?:text/x-mathjax-config|src\s*=\s*[\"'][^\"']*(?:mathjax|katex)[^\"']*"
    r"[\"'])[^>]*>.*?</script>[ \t]*\n?", re.DOTALL | re.IGNORECASE)


def remove_math_scripts(text: str, notes: list[tuple[int, str]]) -> str:
    """A post's own MathJax/KaTeX config and loader (pemami4911's summaries load MathJax from
    a CDN): digestif renders the math itself, and a page must not load from elsewhere."""
    if "<script" not in text.lower():
        return text
    found = list(_MATH_SCRIPT.finditer(text))
    if not found:
        return text
    notes.append((text.count("\n", 0, found[0].start()) + 1,
                  f"{len(found)} MathJax/KaTeX script{'s' * (len(found) != 1)} removed: digestif "
                  "renders the math itself, and a page must not load scripts from elsewhere"))
    return _MATH_SCRIPT.sub("", text)


# ---------------------------------------------------------------------------------------------
# At build: the first Markdown preprocessor


class LiquidPreprocessor(Preprocessor):
    """Resolves a note's Liquid before Markdown reads it (a Jekyll post copied as it is), so
    the build gives what ``digestif import jekyll`` writes; what is left is a warning."""

    def __init__(self, md, renderer):
        super().__init__(md)
        self.renderer = renderer

    def run(self, lines: list[str]) -> list[str]:
        state = self.renderer.state
        note = state.note
        # The lines are the note's body, untouched yet: test the string, join only if needed.
        if not has_liquid(note.body) and "<script" not in note.body:
            return lines
        text = "\n".join(lines)
        page = {"title": note.title, "date": note.date.date().isoformat(), "slug": note.slug,
                **note.page_variables}
        scripts: list[tuple[int, str]] = []
        text = remove_math_scripts(text, scripts)
        resolved = resolve(text, Context(page, _note_link, skip_code=True))
        for key, notes in (("script", scripts), ("liquid", resolved.notes)):
            for line, message in notes:
                state.warn(message, note.body_line + line - 1, key)
        return resolved.text.split("\n")


def _note_link(name: str) -> str:
    from .markup import MARKER  # markup imports this module
    from .slugs import split_jekyll_date

    return f"{MARKER}slug:{split_jekyll_date(name)[1].lower().replace(' ', '-')}"


# ---------------------------------------------------------------------------------------------
# For digestif check: Liquid left in a built page

class _LiquidFinder(HTMLParser):
    """``{{ … }}`` / ``{% … %}`` in what a reader sees, outside code, scripts and styles: a
    Jekyll post's Liquid that neither the import nor the build could resolve."""

    _CODE = {"code", "pre", "script", "style", "textarea", "kbd", "samp"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        self.depth += tag in self._CODE

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag in self._CODE and self.depth > 0

    def handle_data(self, data: str) -> None:
        if self.depth:
            return
        for match in LIQUID_IN_TEXT.finditer(data):
            self.found.append((self.getpos()[0] + data.count("\n", 0, match.start()),
                               " ".join(match.group(0).split())[:60]))


LIQUID_IN_TEXT = re.compile(r"\{\{.{0,200}?\}\}|\{%.{0,200}?%\}", re.DOTALL)


def find_liquid(html: str) -> list[tuple[int, str]]:
    finder = _LiquidFinder()
    finder.feed(html)
    finder.close()
    return finder.found
