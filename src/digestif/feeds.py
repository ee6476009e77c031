"""Stage 5b: Atom feeds for the site and each category, and the sitemap and robots.txt.

Feed readers have no base URL for relative links, so every ``href``/``src`` in entry content is
made absolute (base_url path included). Entry ids are the notes' permalinks: stable across builds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit
from xml.sax.saxutils import escape

from markupsafe import Markup

from . import __version__
from .feed_entry import entry_header
from .i18n import Translations
from .model import NoteView, Site, Term

# Without a leading \b: the regex engine then skips to the next "h" or "s" in C instead of
# trying the boundary at every character of the body (most of the time this took).
_URL_ATTRIBUTE = re.compile(r'(href|src)="([^"]*)"')


def absolute_links(html: str, page_url: str) -> str:
    """Resolve every href/src in ``html`` against the page's absolute URL: an attribute whose
    name is or ends in one after a non-word character (``data-src`` too, not ``xhref``)."""
    parts, kept, pos = [], 0, 0
    while (found := _URL_ATTRIBUTE.search(html, pos)) is not None:
        start = found.start()
        if start and (html[start - 1].isalnum() or html[start - 1] == "_"):
            pos = start + 1  # inside a word (xhref=): look again from the next character
            continue
        value = found.group(2)
        if not urlsplit(value).scheme:
            parts += (html[kept:start], found.group(1), '="', urljoin(page_url, value), '"')
            kept = found.end()
        pos = found.end()
    return "".join(parts) + html[kept:] if parts else html


@dataclass(frozen=True)
class FeedSpec:
    """One Atom feed: where it goes, what it is called and the notes it carries."""

    path: str
    title: str
    home: str
    """The path of the page the feed is the feed of."""
    notes: list[NoteView]
    """Its entries, newest first."""
    category: Term | None = None
    producer: str = "the site feed"


def feed_specs(site: Site) -> list[FeedSpec]:
    """``feed.xml`` and ``<category path>/feed.xml`` for every category."""
    entries = site.config.feed.entries
    specs = [FeedSpec("feed.xml", site.config.title, "", site.notes[:entries])]
    for category in site.categories:
        directory = category.path.removesuffix("index.html")
        specs.append(FeedSpec(directory + "feed.xml", f"{site.config.title}: {category.name}",
                              directory, category.notes[:entries], category,
                              f'the feed of category "{category.name}"'))
    return specs


def render_feed(site: Site, spec: FeedSpec, words: Translations | None = None) -> bytes:
    """One feed's Atom; ``words`` (the entry headers' labels) are read from the theme and the
    site when not given."""
    return _atom(site, spec.notes, spec.title, spec.path, spec.home, spec.category, words)


def _atom(site: Site, notes: list[NoteView], title: str, self_path: str, home_path: str,
          category: Term | None = None, words: Translations | None = None) -> bytes:
    config = site.config
    # Imported here: feedgen loads lxml, and most rebuilds change no feed at all.
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.id(site.permalink_for(self_path))
    feed.title(title)
    feed.subtitle(category.description if category and category.description
                  else config.description or title)
    feed.author({"name": config.author or config.title})
    feed.link(href=site.permalink_for(home_path), rel="alternate", type="text/html")
    feed.link(href=site.permalink_for(self_path), rel="self", type="application/atom+xml")
    feed.language(config.language)
    feed.generator("digestif", __version__)
    entries = notes
    feed.updated(max((_updated(n) for n in entries), default=datetime(1970, 1, 1, tzinfo=UTC)))
    words = words or Translations(site.config.site_dir)
    for note in entries:
        _add_entry(feed, note, site, words)
    return feed.atom_str(pretty=True)


def _updated(note: NoteView) -> datetime:
    return note.note.updated or note.date


def _add_entry(feed, note: NoteView, site: Site, words: Translations) -> None:
    entry = feed.add_entry(order="append")
    entry.id(note.permalink)
    entry.title(note.title)
    entry.link(href=note.permalink, rel="alternate", type="text/html")
    entry.published(note.date)
    entry.updated(_updated(note))
    entry.author({"name": site.config.author or site.config.title})
    for category in note.categories:
        entry.category(term=category.name, label=category.name,
                       scheme=urljoin(site.config.base_url, category.url))
    if note.summary:
        entry.summary(note.summary)
    # Above the body, what the page's header shows: venue, authors, task, links, categories.
    header = entry_header(note, site, words)
    if site.config.feed.full_content:
        entry.content(header + absolute_links(note.html, note.permalink), type="html")
    elif header:
        entry.content(header + str(Markup("<p>{}</p>").format(note.summary)), type="html")


def render_sitemap(site: Site, page_paths: list[str]) -> str:
    """Every HTML page but the 404 page; notes carry their last change."""
    modified = {n.path: _updated(n) for n in site.notes}
    rows = []
    for path in sorted(page_paths):
        if path == "404.html" or not path.endswith(".html"):
            continue
        url = site.permalink_for(path.removesuffix("index.html"))
        lastmod = f"<lastmod>{modified[path].isoformat()}</lastmod>" if path in modified else ""
        rows.append(f"  <url><loc>{escape(url)}</loc>{lastmod}</url>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(rows) + "\n</urlset>\n")


def render_robots(site: Site) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {site.permalink_for('sitemap.xml')}\n"
