"""Stage 5: the site model to page strings, through Jinja2 templates.

Rendering is pure: :func:`render_pages` takes the model (and the previous build's page
fingerprints) and returns ``{output path: text}`` for the pages that changed.
Each page kind has a declared context (see docs/templates.md); templates get plain objects,
autoescaping is on, and an undefined variable fails the build naming the template and line.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import jinja2.meta
import jinja2.runtime
from markupsafe import Markup

from . import excerpts, i18n, sharing, standalone
from .cache import fingerprint
from .config import DigestConfig
from .errors import BuildError, Problem
from .model import NoteView, Site, Term
from .scholarly import Scholarly
from .theme import THEME_DIR


@dataclass(frozen=True)
class Feed:
    title: str
    url: str


@dataclass(frozen=True)
class PageContext:
    """What every template receives as ``page``."""

    kind: str
    """home, note, category, tag, venue, year, categories, tags, venues, archive, digest, search,
    404."""
    title: str
    url: str
    permalink: str
    lang: str
    description: str = ""
    feeds: tuple[Feed, ...] = ()


@dataclass(frozen=True)
class Pagination:
    number: int
    total: int
    newer_url: str = ""
    older_url: str = ""


@dataclass
class SiteContext:
    """What every template receives as ``site``."""

    title: str
    description: str
    author: str
    language: str
    base_url: str
    home_url: str
    feed_url: str
    categories_url: str
    tags_url: str
    venues_url: str
    archive_url: str
    digest_url: str
    search_url: str
    search_enabled: bool
    categories: list[Term]
    tags: list[Term]
    venues: list[Term]
    years: list[Term]
    note_count: int
    extra: dict = field(default_factory=dict)
    digest: DigestConfig = field(default_factory=DigestConfig)
    """``[digest]``: what digest entries show (``site.digest.show``)."""
    menu: list = field(default_factory=list)
    """Standalone pages that asked for a place in the navigation (``menu:``), in order."""
    image: str = ""
    """The absolute URL of the site's card image (site.toml ``image``), or ""."""


def format_date(value, fmt: str = "%Y-%m-%d") -> str:
    """strftime, but the year always has four digits: glibc writes year 1 as "1"."""
    return value.strftime(fmt.replace("%Y", f"{value.year:04d}"))


def make_environment(site_dir: Path, bytecode_dir: Path | None = None) -> jinja2.Environment:
    """Templates from the site's ``templates/`` first, then the built-in theme. With
    ``bytecode_dir``, compiled templates are kept there between builds."""
    cache = jinja2.FileSystemBytecodeCache(str(bytecode_dir)) if bytecode_dir else None
    if bytecode_dir:
        bytecode_dir.mkdir(parents=True, exist_ok=True)
    env = jinja2.Environment(
        bytecode_cache=cache,
        loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(str(site_dir / "templates")),
            jinja2.FileSystemLoader(str(THEME_DIR / "templates")),
        ]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["date"] = format_date
    env.filters["isodate"] = lambda value: value.isoformat()
    i18n.install(env, site_dir)  # t("nav.digest"), localdate: the theme in the site's language
    env.filters["first_list"] = excerpts.first_list  # a note's bullets, for digest entries
    return env


def site_context(site: Site) -> SiteContext:
    c = site.config
    return SiteContext(
        title=c.title, description=c.description, author=c.author, language=c.language,
        base_url=c.base_url, home_url=site.url_for(""), feed_url=site.url_for("feed.xml"),
        categories_url=site.url_for("categories/"), tags_url=site.url_for("tags/"),
        venues_url=site.url_for("venues/"), archive_url=site.url_for("archive/"),
        digest_url=site.url_for("digest/"), search_url=site.url_for("search/"),
        search_enabled=c.search.enabled, categories=site.categories, tags=site.tags,
        venues=site.venues, years=site.years, note_count=len(site.notes), extra=c.extra,
        digest=c.digest, menu=standalone.menu(site), image=sharing.site_image(site),
    )


@dataclass(frozen=True)
class PageJob:
    """A page that needs rendering: where it goes, its template and its context."""

    path: str
    template: str
    context: dict


# Below this many pages to render, forking workers costs more than it saves.
PARALLEL_PAGES = 400
_FORKED: tuple[PageRenderer, list[PageJob]] | None = None
"""What forked workers render from: inherited from the parent, never pickled."""


def _render_in_parallel(renderer: PageRenderer, jobs: list[PageJob]
                        ) -> Iterator[tuple[str, bytes]]:
    """Render on every core. Workers are forked after the model is built, so they share it
    for free; each renders every n-th page and sends back texts, template problems and the
    fragments it made (for the build cache)."""
    global _FORKED
    workers = os.cpu_count() or 1
    fragments = renderer.scholarly.fragments.current
    _FORKED = (renderer, jobs)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            shares = pool.map(_render_share, [(start, workers, len(fragments))
                                              for start in range(workers)])
    finally:
        _FORKED = None
    seen = {str(p) for p in renderer.problems}
    for pages, problems, made in shares:
        yield from pages
        fragments.update(made)
        renderer.problems += [p for p in problems if str(p) not in seen]
        seen |= {str(p) for p in problems}


def _render_share(share: tuple[int, int, int]):
    start, step, known_fragments = share
    renderer, jobs = _FORKED
    pages = list(renderer._render_jobs(jobs[start::step]))
    made = dict(list(renderer.scholarly.fragments.current.items())[known_fragments:])
    return pages, renderer.problems, made


@dataclass
class RenderedPages:
    """The outcome of rendering: new page texts, pages that need no new text, every key."""

    pages: dict[str, bytes]
    kept: set[str]
    """Pages whose fingerprint matches the previous build: their output file is still right."""
    keys: dict[str, str]
    """Output path -> fingerprint of everything the page shows, for the next build."""


class PageRenderer:
    """Renders every page of a site; collects template errors instead of stopping at one.

    Each page gets a fingerprint of its template (with everything it extends, includes or
    imports), the site-wide settings, and the data it shows; a page whose fingerprint is in
    ``previous`` is not rendered again."""

    def __init__(self, site: Site, env: jinja2.Environment,
                 previous: dict[str, str] | None = None, scholarly: Scholarly | None = None):
        self.site, self.env = site, env
        self.previous = previous or {}
        self.keys: dict[str, str] = {}
        self.kept: set[str] = set()
        self.context = site_context(site)
        self.problems: list[Problem] = []
        self._failed_templates: set[str] = set()
        self._template_keys: dict[str, str] = {}
        self._site_key = _site_key(site)
        self.site_feed = Feed(f"{site.config.title} (all notes)", self.context.feed_url)
        env.globals.update(site=self.context, asset=self.asset_url, url=site.url_for)
        self.scholarly = scholarly or Scholarly(site)
        env.globals["scholarly"] = self.scholarly  # citation tags, BibTeX, digest facets
        env.globals["fragment"] = self.fragment

    def asset_url(self, name: str) -> str:
        return self.site.url_for(f"assets/{name}")

    def page(self, kind: str, title: str, path: str, lang: str = "", description: str = "",
             feeds: tuple[Feed, ...] = ()) -> PageContext:
        url_path = path.removesuffix("index.html")
        return PageContext(kind, title, self.site.url_for(url_path),
                           self.site.permalink_for(url_path), lang or self.site.config.language,
                           description or self.site.config.description,
                           (self.site_feed, *feeds))

    def render(self, path: str, template: str, shows: object, **context) -> PageJob | None:
        """The page to render, or None when it is unchanged since the previous build.
        ``shows`` is the data the page displays beyond its template and the site settings."""
        key = fingerprint(self.template_key(template), self._site_key, shows)
        self.keys[path] = key
        if self.previous.get(path) == key:
            self.kept.add(path)
            return None
        return PageJob(path, template, context)

    def render_job(self, job: PageJob) -> str | None:
        """The page's text, or None when its template failed (the problem is recorded)."""
        if job.template in self._failed_templates:
            return None
        try:
            return self.env.get_template(job.template).render(**job.context)
        except jinja2.TemplateError as exc:
            self._failed_templates.add(job.template)
            self.problems.append(_template_problem(job.template, exc))
            return None

    @jinja2.pass_context
    def fragment(self, context: jinja2.runtime.Context, template: str,
                 note: NoteView) -> Markup:
        """``{{ fragment("_digest_entry.html", note) }}``: the partial rendered for one note,
        reused from the last build while the note, the partial and the settings are the same.
        Pages listing every note then cost little when one note changes."""
        page = context["page"]
        key = ("fragment", self.template_key(template), self._site_key, shown_key(note),
               page.kind, page.lang)
        return Markup(self.scholarly.fragments.get(key, lambda: self.env.get_template(
            template).render({**context.get_all(), "note": note})))

    def template_key(self, name: str) -> str:
        """A hash of the template and every template it extends, includes or imports."""
        key = self._template_keys.get(name)
        if key is None:
            self._template_keys[name] = ""  # guards against a template that includes itself
            try:
                source = self.env.loader.get_source(self.env, name)[0]
                found = jinja2.meta.find_referenced_templates(self.env.parse(source))
                parts = sorted({part for part in found if part is not None})
            except jinja2.TemplateError:
                source, parts = name, []  # rendering reports the error with its line
            key = self._template_keys[name] = fingerprint(
                source, [self.template_key(part) for part in parts])
        return key

    def render_all(self) -> RenderedPages:
        jobs = [job for job in self._pages() if job is not None]
        pages = dict(_render_in_parallel(self, jobs) if len(jobs) >= PARALLEL_PAGES and
                     (os.cpu_count() or 1) > 1 else self._render_jobs(jobs))
        if self.problems:
            raise BuildError(self.problems)
        return RenderedPages(pages, self.kept, self.keys)

    def _render_jobs(self, jobs: list[PageJob]) -> Iterator[tuple[str, bytes]]:
        for job in jobs:
            text = self.render_job(job)
            if text is not None:
                # As UTF-8 at once: one "·" makes a Python string two bytes a character, and
                # a big site holds every page until it is written.
                yield job.path, text.encode("utf-8")

    def _pages(self) -> Iterator[PageJob | None]:
        yield from self.note_pages(self.site.notes)
        yield from self._paginated("home.html", "home", self.site.config.title, "",
                                   self.site.notes)
        for kind, terms in (("category", self.site.categories), ("tag", self.site.tags),
                            ("venue", self.site.venues), ("year", self.site.years)):
            yield from self.term_pages(kind, terms)
        yield from self._indexes()
        yield from self.standalone_pages(self.site.pages)

    def standalone_pages(self, pages) -> Iterator[PageJob | None]:
        """About, Contact…: content/pages/ (standalone.py)."""
        for view in pages:
            page = self.page("page", view.title, view.path, view.lang, view.summary)
            yield self.render(view.path, "page.html", f"{view.note.digest} {view.url}",
                              page=page, page_note=view)

    def note_pages(self, notes: list[NoteView]) -> Iterator[PageJob | None]:
        for note in notes:
            page = self.page("note", note.title, note.path, note.lang, note.summary,
                             self._category_feeds(note))
            shows = (shown_key(note), shown_key(note.older), shown_key(note.newer),
                     shown_keys(note.related), shown_keys(note.backlinks),
                     self.scholarly.cite_key(note))
            yield self.render(note.path, "note.html", shows, page=page, note=note)

    def _category_feeds(self, note: NoteView) -> tuple[Feed, ...]:
        return tuple(Feed(f"{self.site.config.title}: {c.name}", c.url + "feed.xml")
                     for c in note.categories)

    def term_pages(self, kind: str, terms: list[Term]) -> Iterator[PageJob | None]:
        for term in terms:
            feeds = (Feed(f"{self.site.config.title}: {term.name}",
                          term.url + "feed.xml"),) if kind == "category" else ()
            yield from self._paginated(f"{kind}.html", kind, term.name, term.path, term.notes,
                                       term=term, feeds=feeds, description=term.description)

    def _paginated(self, template: str, kind: str, title: str, path: str,
                   notes: list[NoteView], feeds: tuple[Feed, ...] = (), description: str = "",
                   **extra) -> Iterator[PageJob | None]:
        size = self.site.config.paginate
        base = path.removesuffix("index.html")
        total = max(1, -(-len(notes) // size))
        for number in range(1, total + 1):
            page_path = base + ("" if number == 1 else f"page/{number}/") + "index.html"

            def url_of(n: int) -> str:
                return self.site.url_for(base + ("" if n == 1 else f"page/{n}/"))

            pagination = Pagination(number, total, url_of(number - 1) if number > 1 else "",
                                    url_of(number + 1) if number < total else "")
            page_title = title if number == 1 else f"{title} (page {number})"
            page = self.page(kind, page_title, page_path, description=description, feeds=feeds)
            chunk = notes[(number - 1) * size:number * size]
            shows = (page, pagination, shown_keys(chunk), description)
            yield self.render(page_path, template, shows, page=page, notes=chunk,
                              pagination=pagination, **extra)

    def _indexes(self) -> Iterator[PageJob | None]:
        site = self.site
        for kind, title, terms in (("categories", "Categories", site.categories),
                                   ("tags", "Tags", site.tags), ("venues", "Venues",
                                                                 site.venues)):
            path = f"{kind}/index.html"
            shows = [(t.name, t.url, len(t.notes), t.description) for t in terms]
            yield self.render(path, "terms.html", shows, page=self.page(kind, title, path),
                              terms=terms)
        every_note = shown_keys(site.notes)
        for kind, title in (("archive", "Archive"), ("digest", "Digest")):
            path = f"{kind}/index.html"
            yield self.render(path, f"{kind}.html", every_note,
                              page=self.page(kind, title, path), years=site.years)
        if site.config.search.enabled:
            yield self.render(
                "search/index.html", "search.html", (),
                page=self.page("search", "Search", "search/index.html"),
                categories=site.categories, years=site.years)
        yield self.render("404.html", "404.html", (),
                          page=self.page("404", "Page not found", "404.html"))


def shown_key(note: NoteView | None) -> str:
    """What identifies everything a page can show of a note: its bytes and its URL."""
    return f"{note.note.digest} {note.url}" if note is not None else "-"


def shown_keys(notes: list[NoteView] | tuple[NoteView, ...]) -> str:
    return "\n".join(shown_key(note) for note in notes)


def _site_key(site: Site) -> str:
    """What every page may show of the whole site: settings, indexes and their sizes."""
    terms = [(t.kind, t.name, t.url, len(t.notes)) for group in (
        site.categories, site.tags, site.venues, site.years) for t in group]
    menu = [(p.title, p.url, p.note.menu) for p in standalone.menu(site)]
    return fingerprint(site.config, terms, len(site.notes), _words_key(site), menu)


def _words_key(site: Site) -> str:
    """The theme's words in the site's language, site overrides included (i18n.py)."""
    return i18n.Translations(site.config.site_dir).key(site.config.language)


def _template_problem(template: str, exc: jinja2.TemplateError) -> Problem:
    """Name the template file and line where Jinja went wrong."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return Problem(exc.filename or exc.name or template, f"template syntax error: "
                       f"{exc.message}", exc.lineno, None)
    filename, line = template, None
    for frame in reversed(traceback.extract_tb(sys.exc_info()[2])):
        if frame.filename.endswith(".html"):
            filename, line = frame.filename, frame.lineno
            break
    return Problem(_short(filename), f"template error while rendering {template}: {exc}", line)


def _short(filename: str) -> str:
    path = Path(filename)
    for anchor in ("templates",):
        if anchor in path.parts:
            index = len(path.parts) - 1 - path.parts[::-1].index(anchor)
            return str(Path(*path.parts[index:]))
    return filename


def render_pages(site: Site, env: jinja2.Environment, previous: dict[str, str] | None = None,
                 scholarly: Scholarly | None = None) -> RenderedPages:
    """Every HTML page of the site that changed since ``previous`` (page fingerprints)."""
    return PageRenderer(site, env, previous, scholarly).render_all()
