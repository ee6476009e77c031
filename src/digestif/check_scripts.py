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


def _body_uses(page: str, text: str) -> list[ScriptUse]:
    """Script uses inside the note bodies (``<div class="note-body">``) of one page, parsed
    with Lexbor (selectolax), as a browser builds the page."""
    from selectolax.lexbor import LexborHTMLParser
    found = []
    for body in LexborHTMLParser(text).css(f"div.{BODY_CLASS}"):
        if _inside_body(body):
            continue  # its elements are met in the outer body already
        for node in body.css("*"):
            if node.tag == "script":
                found.append(ScriptUse(page, "a <script> element", "<script"))
            for name, value in node.attributes.items():
                found += _attribute_use(page, node.tag, name, value or "")
    return found


def _inside_body(node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == "div" and BODY_CLASS in (parent.attributes.get("class") or "").split():
            return True
        parent = parent.parent
    return False


def _attribute_use(page: str, tag: str, name: str, value: str) -> list[ScriptUse]:
    if _EVENT_HANDLER.match(name):
        return [ScriptUse(page, f"the {name}= handler on <{tag}>", name)]
    if name in _URL_ATTRIBUTES:
        scheme = _IGNORED_IN_SCHEME.sub("", value).lower()
        if scheme.startswith(_SCRIPT_SCHEMES):
            kind = scheme.split(":", 1)[0]
            return [ScriptUse(page, f"a {kind}: URL in <{tag} {name}>", f"{kind}:")]
    return []


def script_uses(out_dir: Path, page_sources: dict[str, str], site_dir: Path) -> list[ScriptUse]:
    """Every script use in the notes' pages, with the note file and line it was written on."""
    found = []
    for page, source in sorted(page_sources.items()):
        path = out_dir / page
        if not path.is_file():
            continue
        uses = _body_uses(page, path.read_text(encoding="utf-8", errors="replace"))
        if uses:
            found += _located(uses, source, site_dir)
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
