"""``digestif import bibtex refs.bib``: one note per entry, the abstract (if any) as the body.

LaTeX in values is decoded to Unicode (``M{\\"u}ller`` -> ``Müller``) except math, which digestif
renders itself; authors written ``Last, First`` become ``First Last``.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

import bibtexparser
from bibtexparser import middlewares

from ..reader import normalise_arxiv
from .common import Batch, Context, Draft, detect_lang, note_slug, read_source_file, shown

# bibtexparser logs each broken block; we report them ourselves, with file and line.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
logging.getLogger("bibtexparser").propagate = False

_MONTHS = {name: name.capitalize() for name in
           ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")}
_YEAR = re.compile(r"^\s*(\d{4})\s*$")


def read_bibtex(source: str, context: Context) -> Batch:
    path = Path(source)
    batch, text = read_source_file("bibtex", source, "a .bib file")
    if text is None:
        return batch
    library = bibtexparser.parse_string(text, append_middleware=[
        middlewares.LatexDecodingMiddleware(keep_math_mode=True),
        middlewares.SeparateCoAuthors(), middlewares.SplitNameParts(),
        middlewares.MergeNameParts(style="first"),
    ])
    file = shown(path)
    for block in library.failed_blocks:
        batch.problems.error(file, f"{_failure(block)}; this entry was not imported",
                             block.start_line + 1)
    strings = {s.key.lower(): str(s.value) for s in library.strings}
    for entry in library.entries:
        draft = _entry(entry, file, strings, context, batch)
        if draft is not None:
            batch.drafts.append(draft)
    if not library.entries and not library.failed_blocks:
        batch.problems.error(file, "has no BibTeX entries (such as @article{key, …})")
    return batch


def _failure(block) -> str:
    error = str(getattr(block, "error", "") or "")
    if "Duplicate" in error:
        return f"{error} (the first entry with this key was imported)"
    return f"cannot parse this block ({error or 'a brace or quote is not closed'})"


def _entry(entry, file: str, strings: dict[str, str], context: Context,
           batch: Batch) -> Draft | None:
    line = entry.start_line + 1
    fields = {f.key.lower(): _value(f.value, strings) for f in entry.fields}
    title = " ".join(str(fields.get("title", "")).split())
    year = _YEAR.match(str(fields.get("year", "")))
    missing = [name for name, ok in (("title", title), ("year", year)) if not ok]
    if missing:
        batch.problems.error(file, f"entry '{entry.key}' has no {' and no '.join(missing)}; "
                             "it was not imported", line)
        return None
    meta = {"title": title, "date": date(int(year.group(1)), 1, 1),
            "venue": _venue(fields), "authors": fields.get("author") or [],
            "arxiv": _arxiv(fields), "doi": str(fields.get("doi", "")).strip(),
            "tags": _keywords(fields)}
    url = str(fields.get("url", "")).strip()
    if url and normalise_arxiv(url) != meta["arxiv"]:
        meta["links"] = {"paper": url}
    body = str(fields.get("abstract", "")).strip()
    meta["lang"] = detect_lang(title + "\n" + body, context.language)
    return Draft(entry=entry.key, where=f"{file}:{line}", slug=note_slug(title), meta=meta,
                 body=body + "\n" if body else "")


def _value(value, strings: dict[str, str]):
    """Resolve ``@string`` macros joined with ``#`` (``iclr # " 2022"``), which the parser
    leaves as written; lists (authors) pass through."""
    if not isinstance(value, str) or "#" not in value:
        return value
    parts = []
    for part in re.findall(r'"[^"]*"|\{[^{}]*\}|[^#\s]+', value):
        if part[0] in '"{':
            parts.append(part[1:-1])
        else:
            parts.append(strings.get(part.lower(), _MONTHS.get(part.lower(), part)))
    return "".join(parts)


def _venue(fields: dict) -> str:
    for key in ("booktitle", "journal", "series", "howpublished"):
        value = " ".join(str(fields.get(key, "")).split())
        if value:
            return value
    return ""


def _arxiv(fields: dict) -> str:
    """From ``eprint``, else an arXiv URL or ``journal = {arXiv preprint arXiv:…}``."""
    candidates = [fields.get("eprint", ""), fields.get("url", "")]
    journal = re.search(r"arXiv:\s*(\S+)", str(fields.get("journal", "")), re.IGNORECASE)
    if journal:
        candidates.append(journal.group(1))
    for candidate in candidates:
        arxiv = normalise_arxiv(str(candidate)) if candidate else None
        if arxiv:
            return arxiv
    return ""


def _keywords(fields: dict) -> list[str]:
    words = re.split(r"[,;]", str(fields.get("keywords", "")))
    return list(dict.fromkeys(w.strip() for w in words if w.strip()))
