"""Standalone pages: an About page, a reading list, a contact page.

A file under ``content/pages/`` (or any file with ``kind: page``) is a page, not a paper note:
it is served at ``/<slug>/`` (``[permalinks] page``), goes in the site's navigation when its
front matter gives ``menu:`` (lowest first), and is never in a list of notes, a feed, the
digest, the search index or the exports. Its links resolve as a note's do: to notes by their
file or ``[[slug]]``, to other pages by their file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import SiteConfig
from .errors import Problems
from .markup import MARKER, RenderedBody
from .model import LinkResolver, Site, _Urls
from .note import Note

# First path segments the site's own pages use: a page there would replace one of them.
RESERVED = {"papers", "categories", "tags", "venues", "archive", "digest", "search", "page",
            "assets", "pagefind", "feed.xml", "papers.bib", "papers.json", "sitemap.xml",
            "robots.txt", "404.html"}


@dataclass
class PageView:
    """A page as templates see it (``page_note`` in page.html)."""

    note: Note
    path: str
    url: str
    permalink: str
    raw_html: str
    lang: str
    summary: str = ""
    resolver: LinkResolver | None = field(default=None, repr=False)
    _html: str | None = field(default=None, repr=False)

    @property
    def title(self) -> str:
        return self.note.title

    @property
    def html(self) -> str:
        if self._html is None:
            raw = self.raw_html
            resolve = self.resolver.resolve if self.resolver else None
            self._html = resolve(raw) if resolve and MARKER in raw else raw
        return self._html


def split(notes: list[Note]) -> tuple[list[Note], list[Note]]:
    """(paper notes, pages)."""
    return [n for n in notes if n.kind != "page"], [n for n in notes if n.kind == "page"]


def attach_pages(site: Site, pages: list[Note], bodies: dict[str, RenderedBody],
                 problems: Problems) -> None:
    """Put the pages on the site model, checking their URLs and links, and collecting the files
    beside them for copying."""
    config = site.config
    urls = _Urls(config)
    views = []
    for note in sorted(pages, key=lambda n: n.source):
        body = bodies[note.source]
        path, href, permalink = urls.for_pattern(config.permalinks.page, slug=note.slug)
        views.append(PageView(note, path, href, permalink, body.html, note.lang or config.language,
                              note.summary or body.first_paragraph))
    _check_urls(views, site, config, problems)
    # One resolver for notes and pages, so a page links to notes and pages by their files.
    resolver = LinkResolver([*site.notes, *views], config)
    for view in views:
        body = bodies[view.note.source]
        for source in body.assets:
            site.assets.setdefault(source.removeprefix("content/"), (source, view.note.source))
        for kind, target, line in body.links:
            if kind != "root" and resolver.note_for(kind, target) is None:
                what = f"[[{target}]]" if kind == "slug" else target
                problems.warn(view.note.source, f"links to {what}, which is not a note or page "
                              "in content/", line, "links")
    site.pages = views


def menu(site: Site) -> list[PageView]:
    """Pages that asked for a place in the navigation, in their ``menu:`` order."""
    return sorted((p for p in site.pages if p.note.menu is not None),
                  key=lambda p: (p.note.menu, p.title.casefold()))


def _check_urls(views: list[PageView], site: Site, config: SiteConfig,
                problems: Problems) -> None:
    taken = {view.path: view.note.source for view in site.notes}
    for terms in (site.categories, site.tags, site.venues, site.years):
        taken.update({term.path: f"the {term.kind} {term.name}" for term in terms})
    for view in views:
        first = view.path.split("/", 1)[0]
        if first in RESERVED and config.permalinks.page == "/{slug}/":
            problems.error(view.note.source, f"its URL {view.url} is one the site uses itself; "
                           "give the page another slug", field="slug")
        elif view.path in taken:
            problems.error(view.note.source, f"has the same URL {view.url} as "
                           f"{taken[view.path]}; give one of them another slug", field="slug")
        else:
            taken[view.path] = view.note.source
