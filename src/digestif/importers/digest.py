"""``digestif import digest README.md``: a list of papers written as blockquotes::

    > **Paper title**
    > *CVPR 2025*, [arxiv](https://arxiv.org/abs/2501.09425), [code](https://github.com/…)
    > Task: what the paper is about
    >
    > - bullets, or one line of summary

One note per entry. Text is copied byte for byte (odd characters included): only the ``> ``
quoting is removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..reader import normalise_arxiv
from .common import Batch, Context, Draft, add_link, detect_lang, note_slug, read_source_file, shown

_QUOTE = re.compile(r"^ {0,3}> ?")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TITLE = re.compile(r"^\*\*(.+?)\*\*\s*$")
_VENUE = re.compile(r"^\*([^*\s][^*]*)\*")
_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)\)")
_TASK = re.compile(r"^Task:(.*)$")
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_NEW_ARXIV = re.compile(r"^(\d\d)(\d\d)\.")
_OLD_ARXIV = re.compile(r"/(\d\d)(\d\d)\d{3}$")


@dataclass
class _Quote:
    """One blockquote: its first line number and its lines without the ``>``."""

    line: int
    lines: list[str] = field(default_factory=list)


def read_digest(source: str, context: Context) -> Batch:
    path = Path(source)
    batch, text = read_source_file("digest", source, "the README file that lists the papers")
    if text is None:
        return batch
    for quote in _blockquotes(text):
        draft = _entry(quote, shown(path), context, batch)
        if draft is not None:
            batch.drafts.append(draft)
    if not batch.drafts and not batch.problems.errors:
        batch.problems.error(shown(path), "has no entries: expected blockquotes starting with "
                             "a bold title, such as  > **Paper title**")
    return batch


def _blockquotes(text: str) -> list[_Quote]:
    """Every blockquote outside fenced code (a README often shows the format in a code block)."""
    quotes: list[_Quote] = []
    current: _Quote | None = None
    fence = ""
    for number, line in enumerate(text.split("\n"), start=1):
        opening = _FENCE.match(line)
        if fence or opening:
            if not fence:
                fence = opening.group(1)
            elif _closes(line, fence):
                fence = ""
            current = None
            continue
        if _QUOTE.match(line):
            if current is None:
                current = _Quote(number)
                quotes.append(current)
            current.lines.append(_QUOTE.sub("", line, count=1))
        else:
            current = None
    return quotes


def _closes(line: str, fence: str) -> bool:
    closing = line.strip()
    return bool(closing) and set(closing) == {fence[0]} and len(closing) >= len(fence)


def _entry(quote: _Quote, file: str, context: Context, batch: Batch) -> Draft | None:
    lines = list(quote.lines)
    title = _TITLE.match(lines[0].rstrip())
    if title is None:
        if any(_TASK.match(line) or _LINK.search(line) for line in lines):
            batch.problems.error(file, "this entry has no bold title on its first line, "
                                 "e.g.  > **Paper title**; it was not imported", quote.line)
        return None  # an ordinary quotation, not an entry
    meta: dict = {"title": title.group(1).strip()}
    links: dict[str, str] = {}
    index = 1
    while index < len(lines) and _header(lines[index], meta, links):
        index += 1
    if links:
        meta["links"] = links
    body = _body(lines[index:])
    moment = _date(meta, context)
    if moment is None:
        batch.problems.error(file, f"{meta['title']!r}: no date: it has no arXiv link and its "
                             "venue names no year; it was not imported", quote.line)
        return None
    meta = {"title": meta["title"], "date": moment.date(), **meta}
    lang = detect_lang(meta["title"] + "\n" + body, context.language)
    if lang:
        meta["lang"] = lang
    return Draft(entry=f"L{quote.line}", where=f"{file}:{quote.line}",
                 slug=note_slug(meta["title"]), meta=meta, body=body)


def _header(line: str, meta: dict, links: dict[str, str]) -> bool:
    """Take the venue/links line or the Task line into ``meta``; False at the body's start."""
    text = line.strip()
    task = _TASK.match(text)
    if task:
        if task.group(1).strip():
            meta["task"] = task.group(1).strip()
        return True
    venue = _VENUE.match(text)
    if not (venue or text.startswith("[")):
        return False
    if venue:
        meta["venue"] = venue.group(1).strip()
    for label, url in _LINK.findall(text):
        arxiv = normalise_arxiv(url) if label.strip().lower() == "arxiv" else None
        if arxiv:
            meta["arxiv"] = arxiv
        else:
            add_link(links, label.strip().lower(), url)
    return True


def _body(lines: list[str]) -> str:
    """The bullets or summary line, as written, without the blank lines around them."""
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return "\n".join(lines) + "\n" if lines else ""


def _date(meta: dict, context: Context) -> datetime | None:
    """The arXiv id's month (``2501.09425`` -> 2025-01-01), else January 1 of the venue's year:
    the digest itself gives no dates, and these keep the digest's order on the site."""
    arxiv = meta.get("arxiv", "")
    month = _NEW_ARXIV.match(arxiv) or _OLD_ARXIV.search(arxiv)
    if month:
        year = int(month.group(1))
        year += 2000 if year < 91 else 1900  # arXiv began in 1991
        return datetime(year, int(month.group(2)), 1, tzinfo=context.tz)
    year = _YEAR.search(meta.get("venue", ""))
    if year:
        return datetime(int(year.group(0)), 1, 1, tzinfo=context.tz)
    return None
