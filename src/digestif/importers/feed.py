"""``digestif import feed FILE_OR_URL``: one note per Atom or RSS entry.

The entry's HTML is kept as the note body (raw HTML is valid in a note, and nothing is lost in a
conversion). A closing "Links" section (``<h2>Links</h2>`` and a list of links, as LiteBites
writes) becomes the note's ``links`` and leaves the body.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import feedparser

from ..reader import normalise_arxiv, parse_date
from .common import (
    Batch,
    Context,
    Draft,
    add_link,
    detect_lang,
    file_slug,
    link_label,
    note_slug,
    same_language,
)

_LINKS_SECTION = re.compile(
    r"<h([23])[^>]*>\s*Links\s*</h\1>\s*<ul[^>]*>(?P<items>.*?)</ul>\s*\Z",
    re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_FIRST_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.IGNORECASE | re.DOTALL)


def read_feed(source: str, context: Context) -> Batch:
    is_url = urlsplit(source).scheme in ("http", "https")
    batch = Batch("feed", source if is_url else str(Path(source).resolve()))
    if not is_url and not Path(source).is_file():
        batch.problems.error(source, "not found; give a feed file or an http(s) URL")
        return batch
    feed = feedparser.parse(source)
    if not feed.entries:
        reason = f" ({feed.bozo_exception})" if feed.get("bozo") else ""
        batch.problems.error(source, f"has no feed entries{reason}; is it an Atom or RSS feed?")
        return batch
    feed_lang = feed.feed.get("language", "")
    for number, entry in enumerate(feed.entries, start=1):
        draft = _entry(entry, number, source, feed_lang, context, batch)
        if draft is not None:
            batch.drafts.append(draft)
    return batch


def _entry(entry, number: int, source: str, feed_lang: str, context: Context,
           batch: Batch) -> Draft | None:
    where = f"{source}: entry {number}"
    title = _text(entry.get("title", ""), entry.get("title_detail", {}))
    if not title:
        batch.problems.error(source, f"entry {number} has no title; it was not imported")
        return None
    moment = _published(entry, context)
    if moment is None:
        batch.problems.error(source, f"entry {number} ({title!r}) has no published or updated "
                             "date; it was not imported")
        return None
    html = _content(entry)
    body, links = _take_links(html)
    meta: dict = {"title": title, "date": moment}
    updated = _parse(_own(entry, "updated"), context) if _own(entry, "published") else None
    if updated is not None and updated != moment:
        meta["updated"] = updated
    arxiv = next((a for a in map(normalise_arxiv, links.values()) if a), None)
    if arxiv:
        meta["arxiv"] = arxiv
    meta["categories"] = list(dict.fromkeys(
        tag.get("term", "").strip() for tag in entry.get("tags", []) if tag.get("term")))
    meta["links"] = links
    meta["summary"] = _summary(entry, html)
    meta["lang"] = _lang(entry, feed_lang, title + body, context)
    entry_id = entry.get("id") or entry.get("link") or str(number)
    return Draft(entry=entry_id, where=where, slug=_slug(entry, title), meta=meta,
                 body=body.strip("\n") + "\n")


def _text(value: str, detail) -> str:
    """A title as plain text: feeds may send it as HTML (``type="html"``)."""
    if detail.get("type") in ("text/html", "application/xhtml+xml"):
        value = unescape(_TAG.sub("", value))
    return " ".join(value.split())


def _own(entry, key: str) -> str:
    """The entry's own value: feedparser answers ``updated`` with ``published`` (and warns)."""
    return dict.get(entry, key) or ""


def _published(entry, context: Context) -> datetime | None:
    for key in ("published", "updated", "created"):
        moment = _parse(_own(entry, key), context)
        if moment is not None:
            return moment
    return None


def _parse(text: str, context: Context) -> datetime | None:
    """ISO 8601 (Atom) or RFC 822 (RSS), keeping the offset the feed wrote."""
    if not text:
        return None
    try:
        return parse_date(text, context.tz)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _content(entry) -> str:
    """The fullest HTML the entry has: its content, else its summary."""
    for content in entry.get("content", []):
        if content.get("type", "text/html") in ("text/html", "application/xhtml+xml"):
            return content.get("value", "")
    return entry.get("summary", "")


def _take_links(html: str) -> tuple[str, dict[str, str]]:
    """Split a closing Links section off the HTML; each of its links gets a label."""
    section = _LINKS_SECTION.search(html)
    if section is None:
        return html, {}
    anchors = _Anchors()
    anchors.feed(section.group("items"))
    items = len(re.findall(r"<li\b", section.group("items"), re.IGNORECASE))
    if not anchors.found or len(anchors.found) < items:
        return html, {}  # a list item without a link is prose; leave the section in the body
    links: dict[str, str] = {}
    for url, text in anchors.found:
        add_link(links, link_label(text, url), url)
    return html[:section.start()], links


class _Anchors(HTMLParser):
    """Collects ``(href, text)`` of each ``<a>``."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href:
            self.found.append((self._href, " ".join("".join(self._text).split())))
            self._href = None


def _summary(entry, html: str) -> str:
    """The entry's summary when the author wrote one, else the first paragraph's text.

    Jekyll's generated excerpt (the start of the content) is not a summary. And digestif cannot
    find the first paragraph of an HTML body by itself (it only sees Markdown paragraphs), so
    without this the note would show no summary in lists and feeds."""
    summary = _plain(entry.get("summary", ""))
    if summary and not _plain(html).startswith(summary.rstrip(".…").rstrip()):
        return summary
    first = _FIRST_PARAGRAPH.search(html)
    return _plain(first.group(1)) if first else ""


def _plain(html: str) -> str:
    return " ".join(unescape(_TAG.sub(" ", html)).split())


def _lang(entry, feed_lang: str, text: str, context: Context) -> str | None:
    declared = next((c.get("language") for c in entry.get("content", []) if c.get("language")),
                    None) or feed_lang
    if declared:
        return None if same_language(declared, context.language) else declared
    return detect_lang(text, context.language)


def _slug(entry, title: str) -> str:
    """The last segment of the entry's URL (``/posts/lora/`` -> ``lora``), so the note keeps
    its old name; else from the title."""
    link = urlsplit(entry.get("link", ""))
    path = PurePosixPath(link.path)
    slug = file_slug(path.stem) if link.scheme in ("http", "https") and path.name else ""
    return slug or note_slug(title)
