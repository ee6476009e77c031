"""``digestif check``: the places where a note's own HTML would run script.

Raw HTML in a note is published as written (docs/markdown.md), so a note imported from someone
else's feed can carry ``onclick=`` handlers, ``javascript:`` links or ``<script>`` elements that
run on the site's own domain. The checker reads the body of every built note page (the theme's
scripts are not the note's) and names each one with the note's file and line. They are
warnings: a script the author meant to write is allowed, but never unnoticed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

# Attributes holding a URL that a click, a load or a form submission would run.
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "xlink:href",
                   "background", "srcset"}
_EVENT_HANDLER = re.compile(r"on[a-z]+\Z")
# Browsers drop ASCII whitespace and control characters anywhere in the scheme.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20]+")
_SCRIPT_SCHEMES = ("javascript:", "vbscript:")
BODY_CLASS = "note-body"


@dataclass(frozen=True)
class ScriptUse:
    page: str
    what: str
    """``onclick= handler on <button>``, ``javascript: URL in <a href>``, ``<script> element``."""
    spelling: str
    """What to look for in the note's file to find the line (``onclick``, ``javascript:``)."""
    source: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}: " if self.source and self.line else \
            f"{self.source}: " if self.source else ""
        return f"{where}{self.page}: {self.what} runs script on your site"


class _BodyScan(HTMLParser):
    """Script uses inside the note body (``<div class="note-body">``) of one page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page, self.depth, self.found = page, 0, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth == 0:
            if tag == "div" and BODY_CLASS in (dict(attrs).get("class") or "").split():
                self.depth = 1
            return
        self.depth += tag == "div"
        if tag == "script":
            self.found.append(ScriptUse(self.page, "a <script> element", "<script"))
        for name, value in attrs:
            self._attribute(tag, name, value or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.depth -= tag == "div" and self.depth > 0

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == "div":
            self.depth -= 1

    def _attribute(self, tag: str, name: str, value: str) -> None:
        if _EVENT_HANDLER.match(name):
            self.found.append(ScriptUse(self.page, f"the {name}= handler on <{tag}>", name))
        elif name in _URL_ATTRIBUTES:
            scheme = _IGNORED_IN_SCHEME.sub("", value).lower()
            if scheme.startswith(_SCRIPT_SCHEMES):
                kind = scheme.split(":", 1)[0]
                self.found.append(ScriptUse(self.page, f"a {kind}: URL in <{tag} {name}>",
                                            f"{kind}:"))


def script_uses(out_dir: Path, page_sources: dict[str, str], site_dir: Path) -> list[ScriptUse]:
    """Every script use in the notes' pages, with the note file and line it was written on."""
    found = []
    for page, source in sorted(page_sources.items()):
        path = out_dir / page
        if not path.is_file():
            continue
        scan = _BodyScan(page)
        scan.feed(path.read_text(encoding="utf-8", errors="replace"))
        scan.close()
        if scan.found:
            found += _located(scan.found, source, site_dir)
    return found


def _located(uses: list[ScriptUse], source: str, site_dir: Path) -> list[ScriptUse]:
    """The n-th use spelled ``onclick`` on a page is taken to be the n-th ``onclick`` outside
    code in the note's file, which is where the author wrote it."""
    try:
        text = _without_code((site_dir / source).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        text = ""
    seen: dict[str, int] = {}
    located = []
    for use in uses:
        index = seen[use.spelling] = seen.get(use.spelling, 0) + 1
        found = list(_spelled(use.spelling).finditer(text))
        line = text.count("\n", 0, found[index - 1].start()) + 1 if len(found) >= index else None
        located.append(ScriptUse(use.page, use.what, use.spelling, source, line))
    return located


_CODE = re.compile(r"^ *(`{3,}|~{3,}).*?^ *\1|`[^`\n]+`", re.M | re.S)
# What may stand between the letters of a scheme: whitespace, or a character reference.
_NOISE = r"(?:\s|&#x?[0-9a-f]+;?)*"


def _without_code(text: str) -> str:
    """The note with its code blanked out (lines kept), so ``onclick=`` shown as code in a
    note is not taken for the one that runs."""
    return _CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _spelled(spelling: str) -> re.Pattern:
    if spelling.endswith(":"):  # a scheme, which browsers read through spaces and entities
        return re.compile(_NOISE.join(map(re.escape, spelling)), re.I)
    return re.compile(re.escape(spelling), re.I)
