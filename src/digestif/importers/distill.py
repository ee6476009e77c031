"""What the distill layout of al-folio posts does in the browser, done once at import:
``<d-cite key="a,b">`` becomes numbered links to a references list made from the post's
``.bib`` (``bibliography:`` in its front matter), ``<d-footnote>`` a Markdown footnote; and the
MathJax/KaTeX scripts a post loads itself are removed, since digestif renders math to MathML
and a page must not load from a CDN.
"""

from __future__ import annotations

import logging
import re
from html import escape
from pathlib import Path

import bibtexparser
from bibtexparser import middlewares

from ..liquid import remove_math_scripts

_CITE = re.compile(r"<d-cite\s+key\s*=\s*([\"']?)([^\"'>]*)\1\s*>\s*</d-cite>", re.IGNORECASE)
_FOOTNOTE = re.compile(r"<d-footnote>(.*?)</d-footnote>", re.DOTALL | re.IGNORECASE)
_BIB_FOLDERS = ("assets/bibliography", "_bibliography", "assets/bib", "")

logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
logging.getLogger("bibtexparser").propagate = False


def convert_distill(body: str, bibliography: Path | None, notes: list[tuple[int, str]]) -> str:
    """``body`` with citations, footnotes and math scripts converted; ``notes`` gets
    (line in the body, message) for what needs a look."""
    body = remove_math_scripts(body, notes)
    if "<d-cite" in body:
        body = _citations(body, bibliography, notes)
    if "<d-footnote" in body.lower():
        body = _footnotes(body)
    return body


def find_bibliography(name: object, site_root: Path, post: Path) -> Path | None:
    """al-folio keeps ``bibliography: 2024-05-07-x.bib`` in ``assets/bibliography/``."""
    if not isinstance(name, str) or not name.strip():
        return None
    for folder in (*(site_root / f for f in _BIB_FOLDERS), post.parent):
        candidate = folder / name.strip()
        if candidate.is_file():
            return candidate
    return None


def _citations(body: str, bibliography: Path | None, notes: list[tuple[int, str]]) -> str:
    entries = _read_bib(bibliography) if bibliography else {}
    numbers: dict[str, int] = {}

    def cite(match: re.Match) -> str:
        keys = [k.strip() for k in match.group(2).split(",") if k.strip()]
        line = body.count("\n", 0, match.start()) + 1
        links = []
        for key in keys:
            if key not in entries:
                notes.append((line, f"cites '{key}', which is not in "
                                    f"{bibliography.name if bibliography else 'a .bib file'}; "
                                    "shown as [key]"))
                links.append(escape(key))
                continue
            number = numbers.setdefault(key, len(numbers) + 1)
            links.append(f'<a href="#ref-{escape(key, quote=True)}">{number}</a>')
        return f'<span class="citation">[{", ".join(links)}]</span>'

    body = _CITE.sub(cite, body)
    if not numbers:
        return body
    items = "\n".join(f'<li id="ref-{escape(key, quote=True)}">{_reference(entries[key])}</li>'
                      for key in numbers)
    return f"{body.rstrip()}\n\n## References\n\n<ol class=\"references\">\n{items}\n</ol>\n"


def _read_bib(path: Path) -> dict[str, dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return {}
    library = bibtexparser.parse_string(text, append_middleware=[
        middlewares.LatexDecodingMiddleware(keep_math_mode=True)])
    return {entry.key: {f.key.lower(): " ".join(str(f.value).split()) for f in entry.fields}
            for entry in library.entries}


def _reference(fields: dict[str, str]) -> str:
    """``Authors. Title. Venue, Year.`` and a link, each part escaped."""
    authors = ", ".join(_name(a) for a in re.split(r"\s+and\s+", fields.get("author", "")) if a)
    venue = next((fields[k] for k in ("booktitle", "journal", "publisher", "howpublished")
                  if fields.get(k)), "")
    parts = [escape(authors), f"<em>{escape(fields.get('title', ''))}</em>",
             escape(", ".join(p for p in (venue, fields.get("year", "")) if p))]
    text = ". ".join(p for p in parts if p and p != "<em></em>") + "."
    url = fields.get("url") or (f"https://doi.org/{fields['doi']}" if fields.get("doi") else "")
    if url.startswith(("http://", "https://")):
        text += f' <a href="{escape(url, quote=True)}">{escape(url)}</a>'
    return text


def _name(author: str) -> str:
    """``Lyle, Clare`` -> ``Clare Lyle``."""
    last, comma, first = author.partition(",")
    return f"{first.strip()} {last.strip()}" if comma else author.strip()


def _footnotes(body: str) -> str:
    texts: list[str] = []

    def note(match: re.Match) -> str:
        texts.append(" ".join(match.group(1).split()))
        return f"[^d{len(texts)}]"

    body = _FOOTNOTE.sub(note, body)
    definitions = "\n".join(f"[^d{n}]: {text}" for n, text in enumerate(texts, start=1))
    return f"{body.rstrip()}\n\n{definitions}\n"
