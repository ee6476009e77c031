"""Stage 5: the site model to page bytes, through Jinja2 templates.

Rendering is pure: :func:`page_jobs` lists every page of the site (its path, template, context
and who produces it, for the output plan) and :func:`render_pages` renders the jobs it is given.
Which jobs need rendering is the incremental layer's business: it hands a :class:`Tracker` that
sees every object a template reads, and renders only pages whose recorded inputs changed.
Each page kind has a declared context (see docs/templates.md); templates get plain objects,
autoescaping is on, and an undefined variable fails the build naming the template and line.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import jinja2.runtime
from markupsafe import Markup

from . import excerpts, i18n, sharing, standalone
from .config import DigestConfig
from .errors import BuildError, Problem
from .fragment_reads import Reads, template_reads
from .model import NoteView, Site, Term
from .scholarly import Scholarly
from .theme import THEME_DIR


@dataclass(frozen=True)
class Feed:
    title: str
    url: str
    every_note: bool = False
    """The site's feed: templates title it in the site's language ("footer.all_notes")."""


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
    count: int = 0
    """How many notes all the pages list: ``term.notes | length`` without reading the list
    (through the incremental layer's proxies that costs a proxy per note on every page)."""


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
        # A build makes its own environment: no template changes while it renders, so there
        # is no need to stat every template file each time a page includes it.
        auto_reload=False,
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
    """A page of the site: where it goes, its template, its context and who produces it."""

    path: str
    template: str
    context: dict
    producer: str
    """How an error about its path names it: the note's file, "the tags index"."""


class Tracker:
    """What rendering tells the incremental layer. This one tracks nothing: a plain render."""

    def __init__(self) -> None:
        self._made: dict[tuple, str] = {}

    def context(self, job: PageJob) -> dict:
        """The context the job's template is rendered with (the layer wraps it to record)."""
        return job.context

    def wrap(self, value: object) -> object:
        """A global as templates see it (``site``)."""
        return value

    def page(self, job: PageJob):
        """A context manager around the rendering of one page."""
        return _NOTHING

    def fragment(self, key: tuple, note: object, make: Callable[[object], str]) -> str:
        """The partial ``key`` names for ``note``; ``make(note)`` renders it (once per key and
        note: the model's notes live as long as the build)."""
        full_key = (*key, id(note))
        if full_key not in self._made:
            self._made[full_key] = make(note)
        return self._made[full_key]

    def collect(self) -> object:
        """What a worker process learned, to send back to the parent."""
        return None

    def merge(self, collected: object) -> None:
        """Take in what :meth:`collect` returned in a worker."""


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info) -> None:
        return None


_NOTHING = _Nothing()


class Pages:
    """Where rendered pages go: this one keeps them (path -> bytes). The build hands a sink
    that writes each page to the output as it comes instead (build._PageSink), so a big
    site's pages are never all in memory at once."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}

    def put(self, path: str, data: bytes) -> None:
        self.pages[path] = data

    def collect(self) -> object:
        """What a worker process put since the last call, to send back to the parent."""
        taken, self.pages = self.pages, {}
        return taken

    def merge(self, collected: object) -> None:
        self.pages.update(collected)


_UNREAD = object()

# Below this many pages to render, forking workers costs more than it saves.
PARALLEL_PAGES = 400
_FORKED: tuple[PageRenderer, list[PageJob], Pages] | None = None
"""What forked workers render from: inherited from the parent, never pickled."""


def _render_in_parallel(renderer: PageRenderer, jobs: list[PageJob], sink: Pages) -> None:
    """Render on every core. Workers are forked after the model is built, so they share it
    for free; each renders every n-th page into the sink (which writes it out) and sends back
    what the sink kept, template problems and what its tracker recorded."""
    global _FORKED
    workers = os.cpu_count() or 1
    _FORKED = (renderer, jobs, sink)
    # Everything alive now is the model the workers only read: frozen, no collection in a
    # worker walks it, which would copy every page of the parent's heap it touches.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            shares = pool.map(_render_share, [(start, workers) for start in range(workers)])
    finally:
        _FORKED = None
    seen = {str(p) for p in renderer.problems}
    for collected, problems, recorded in shares:
        sink.merge(collected)
        renderer.tracker.merge(recorded)
        renderer.problems += [p for p in problems if str(p) not in seen]
        seen |= {str(p) for p in problems}


def _render_share(share: tuple[int, int]):
    start, step = share
    renderer, jobs, sink = _FORKED
    sink.collect()  # what the parent held at the fork is the parent's
    for path, data in renderer.render_jobs(jobs[start::step]):
        sink.put(path, data)
    return sink.collect(), renderer.problems, renderer.tracker.collect()


class PageRenderer:
    """Renders pages of a site; collects template errors instead of stopping at one."""

    def __init__(self, site: Site, env: jinja2.Environment, scholarly: Scholarly | None = None,
                 tracker: Tracker | None = None):
        self.site, self.env = site, env
        self.tracker = tracker or Tracker()
        self.problems: list[Problem] = []
        self._failed_templates: set[str] = set()
        self.scholarly = scholarly or Scholarly(site)
        env.globals.update(site=self.tracker.wrap(site_context(site)), asset=self.asset_url,
                           url=site.url_for)
        env.globals["scholarly"] = self.tracker.wrap(self.scholarly)  # citations, BibTeX
        env.globals["fragment"] = self.fragment
        self._fragment_reads: dict[str, Reads | None] = {}

    def asset_url(self, name: str) -> str:
        return self.site.url_for(f"assets/{name}")

    def render_job(self, job: PageJob) -> str | None:
        """The page's text, or None when its template failed (the problem is recorded)."""
        if job.template in self._failed_templates:
            return None
        try:
            with self.tracker.page(job):
                return self.env.get_template(job.template).render(
                    **self.tracker.context(job))
        except jinja2.TemplateError as exc:
            self._failed_templates.add(job.template)
            self.problems.append(_template_problem(job.template, exc))
            return None

    @jinja2.pass_context
    def fragment(self, context: jinja2.runtime.Context, template: str, note: NoteView) -> Markup:
        """``{{ fragment("_note_item.html", note) }}``: the partial rendered for one note, once
        for every page that shows it the same way (a list entry is on the home page and on each
        of its note's term pages). The incremental layer also reuses it from the last build
        while nothing it read changed, so pages listing every note cost little when one note
        changes."""
        variables = context.get_all()

        def make(tracked_note: object) -> str:
            return self.env.get_template(template).render({**variables, "note": tracked_note})
        key = self._fragment_key(template, variables)
        if key is None:  # it reads what differs from page to page: rendered here, as inline
            return Markup(make(note))
        return Markup(self.tracker.fragment(key, note, make))

    def _fragment_key(self, template: str, variables: dict) -> tuple | None:
        """What the partial's text depends on besides the note: the ``page.X`` it reads
        (fragment_reads.py); None when it reads more of the page than that."""
        reads = self._fragment_reads.get(template, _UNREAD)
        if reads is _UNREAD:
            reads = self._fragment_reads[template] = template_reads(self.env, template)
        if reads is None or reads.page_fields is None:
            return None
        globals_ = self.env.globals
        for name in reads.names:
            if name in variables and name not in ("note", "page") and \
                    variables[name] is not globals_.get(name, _UNREAD):
                return None  # a variable of this page (term, pagination), not the site's
        page = variables.get("page")
        key = (template, *[(name, getattr(page, name, None)) for name in
                           sorted(reads.page_fields)]) if "page" in reads.names else (template,)
        try:
            hash(key)
        except TypeError:
            return None
        return key

    def render_all(self, jobs: list[PageJob], sink: Pages) -> None:
        """Render ``jobs`` into ``sink``; raises BuildError with every template problem."""
        if len(jobs) >= PARALLEL_PAGES and (os.cpu_count() or 1) > 1:
            _render_in_parallel(self, jobs, sink)
        else:
            for path, data in self.render_jobs(jobs):
                sink.put(path, data)
        if self.problems:
            raise BuildError(self.problems)

    def render_jobs(self, jobs: list[PageJob]) -> Iterator[tuple[str, bytes]]:
        for job in jobs:
            text = self.render_job(job)
            note = job.context.get("note")
            if isinstance(note, NoteView):
                note.forget_html()  # its page has it; a worker would keep every note's
            if text is not None:
                # As UTF-8 at once: one "·" makes a Python string two bytes a character.
                yield job.path, text.encode("utf-8")


def render_pages(site: Site, env: jinja2.Environment, jobs: list[PageJob],
                 scholarly: Scholarly | None = None, tracker: Tracker | None = None,
                 sink: Pages | None = None) -> dict[str, bytes]:
    """The given pages of the site, by output path (none when a ``sink`` takes them as they
    come); raises BuildError on template errors."""
    kept = Pages() if sink is None else sink
    PageRenderer(site, env, scholarly, tracker).render_all(jobs, kept)
    return kept.pages if sink is None else {}


# --- which pages the site has ---------------------------------------------------------------

def page_jobs(site: Site) -> list[PageJob]:
    """Every HTML page of the site, notes first."""
    return list(_Pages(site).all())


class _Pages:
    def __init__(self, site: Site):
        self.site = site
        self.site_feed = Feed(site.config.title, site.url_for("feed.xml"), every_note=True)

    def page(self, kind: str, title: str, path: str, lang: str = "", description: str = "",
             feeds: tuple[Feed, ...] = ()) -> PageContext:
        url_path = path.removesuffix("index.html")
        return PageContext(kind, title, self.site.url_for(url_path),
                           self.site.permalink_for(url_path), lang or self.site.config.language,
                           description or self.site.config.description,
                           (self.site_feed, *feeds))

    def all(self) -> Iterator[PageJob]:
        yield from self.note_pages(self.site.notes)
        yield from self.paginated("home.html", "home", self.site.config.title, "",
                                  self.site.notes, "the home page")
        for kind, terms in (("category", self.site.categories), ("tag", self.site.tags),
                            ("venue", self.site.venues), ("year", self.site.years)):
            yield from self.term_pages(kind, terms)
        yield from self.indexes()
        yield from self.standalone_pages(self.site.pages)

    def standalone_pages(self, pages) -> Iterator[PageJob]:
        """About, Contact…: content/pages/ (standalone.py)."""
        for view in pages:
            page = self.page("page", view.title, view.path, view.lang, view.summary)
            yield PageJob(view.path, "page.html", {"page": page, "page_note": view},
                          view.note.source)

    def note_pages(self, notes: list[NoteView]) -> Iterator[PageJob]:
        for note in notes:
            page = self.page("note", note.title, note.path, note.lang, note.summary,
                             self.category_feeds(note))
            yield PageJob(note.path, "note.html", {"page": page, "note": note},
                          note.note.source)

    def category_feeds(self, note: NoteView) -> tuple[Feed, ...]:
        return tuple(Feed(f"{self.site.config.title}: {c.name}", c.url + "feed.xml")
                     for c in note.categories)

    def term_pages(self, kind: str, terms: list[Term]) -> Iterator[PageJob]:
        for term in terms:
            feeds = (Feed(f"{self.site.config.title}: {term.name}",
                          term.url + "feed.xml"),) if kind == "category" else ()
            yield from self.paginated(f"{kind}.html", kind, term.name, term.path, term.notes,
                                      f'the {kind} page of "{term.name}"', term=term,
                                      feeds=feeds, description=term.description)

    def paginated(self, template: str, kind: str, title: str, path: str,
                  notes: list[NoteView], producer: str, feeds: tuple[Feed, ...] = (),
                  description: str = "", **extra) -> Iterator[PageJob]:
        size = self.site.config.paginate
        base = path.removesuffix("index.html")
        total = max(1, -(-len(notes) // size))

        def url_of(n: int) -> str:
            return self.site.url_for(base + ("" if n == 1 else f"page/{n}/"))

        for number in range(1, total + 1):
            page_path = base + ("" if number == 1 else f"page/{number}/") + "index.html"
            pagination = Pagination(number, total, url_of(number - 1) if number > 1 else "",
                                    url_of(number + 1) if number < total else "", len(notes))
            page_title = title if number == 1 else f"{title} (page {number})"
            page = self.page(kind, page_title, page_path, description=description, feeds=feeds)
            chunk = notes[(number - 1) * size:number * size]
            yield PageJob(page_path, template, {"page": page, "notes": chunk,
                                                "pagination": pagination, **extra},
                          producer if number == 1 else f"{producer} (page {number})")

    def indexes(self) -> Iterator[PageJob]:
        site = self.site
        for kind, title, terms in (("categories", "Categories", site.categories),
                                   ("tags", "Tags", site.tags), ("venues", "Venues",
                                                                 site.venues)):
            path = f"{kind}/index.html"
            yield PageJob(path, "terms.html", {"page": self.page(kind, title, path),
                                               "terms": terms}, f"the {kind} index")
        for kind, title in (("archive", "Archive"), ("digest", "Digest")):
            path = f"{kind}/index.html"
            yield PageJob(path, f"{kind}.html", {"page": self.page(kind, title, path),
                                                 "years": site.years}, f"the {kind} page")
        if site.config.search.enabled:
            yield PageJob("search/index.html", "search.html",
                          {"page": self.page("search", "Search", "search/index.html"),
                           "categories": site.categories, "years": site.years},
                          "the search page")
        yield PageJob("404.html", "404.html",
                      {"page": self.page("404", "Page not found", "404.html")}, "the 404 page")


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
