"""Stage 4: one immutable model of the whole site, built after every note is read and rendered.

Indexes, feeds, neighbours, related papers and backlinks need the whole collection, so they are
computed here, once; templates receive these plain objects and never see raw config or files.
URLs on the model are ready for ``href``: base path included and percent-encoded.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, unquote

from .config import SiteConfig
from .errors import Problems
from .markup import MARKER, RenderedBody, TocEntry
from .note import Note
from .slugs import slugify

log = logging.getLogger(__name__)

WORDS_PER_MINUTE = 220
RELATED_COUNT = 5
# A term shared by more notes than this says little about relatedness and would make the
# related-papers pass quadratic on big categories.
RELATED_TERM_LIMIT = 400
# Text before the year is required: "2023 IEEE/CVF Conference on …" must not group as "2023".
_VENUE_YEAR = re.compile(r"^(\S.*?\b(?:19|20)\d{2})\b")


@dataclass(frozen=True)
class Link:
    """A labelled external link shown as a badge."""

    label: str
    url: str
    kind: str
    """A lowercase class for styling: paper, code, website, arxiv, pdf, doi, review…"""


@dataclass(frozen=True)
class TermRef:
    """What a note page shows of one of its categories, tags or its venue."""

    name: str
    url: str


@dataclass
class NoteView:
    """A note as templates see it. Fields from the front matter are on ``.note`` and mirrored
    here for the common ones."""

    note: Note
    path: str
    """Output path relative to the site root, e.g. ``papers/lora/index.html``."""
    url: str
    permalink: str
    rendered: RenderedBody = field(repr=False, compare=False)
    """The Markdown stage's output; templates use ``html``."""
    toc: tuple[TocEntry, ...]
    summary: str
    reading_minutes: int
    links: tuple[Link, ...]
    categories: tuple[TermRef, ...]
    tags: tuple[TermRef, ...]
    venue: TermRef | None
    lang: str
    newer: NoteView | None = None
    older: NoteView | None = None
    related: tuple[NoteView, ...] = ()
    backlinks: tuple[NoteView, ...] = ()
    resolver: LinkResolver | None = field(default=None, repr=False, compare=False)
    _html: str | None = field(default=None, repr=False, compare=False)

    @property
    def raw_html(self) -> str:
        """The rendered body with link markers; templates use ``html``."""
        return self.rendered.html

    @property
    def html(self) -> str:
        """The body with every link pointing at its real URL. Fetched and resolved on first
        use, so an incremental build pays only for the pages it renders."""
        if self._html is None:
            raw = self.raw_html
            resolve = self.resolver.resolve if self.resolver else None
            self._html = resolve(raw) if resolve and MARKER in raw else raw
        return self._html

    def forget_html(self) -> None:
        """Drop the body fetched for this note's page once the page is made (fetched again
        if asked for): a page-render worker goes through thousands of notes."""
        self._html = None
        forget = getattr(self.rendered, "forget", None)
        if forget is not None:
            forget()

    @property
    def title(self) -> str:
        return self.note.title

    @property
    def date(self) -> datetime:
        return self.note.date

    @property
    def year(self) -> int:
        return self.note.date.year


@dataclass
class Term:
    """A category, tag, venue or year, with its notes newest first."""

    kind: str
    name: str
    slug: str
    path: str
    url: str
    permalink: str
    notes: list[NoteView] = field(default_factory=list)
    description: str = ""
    feed_url: str = ""


@dataclass
class Site:
    """Everything the renderers need."""

    config: SiteConfig
    notes: list[NoteView]
    """Newest first."""
    categories: list[Term]
    tags: list[Term]
    venues: list[Term]
    years: list[Term]
    assets: dict[str, tuple[str, str]]
    """Output path -> (site-relative path of a file beside a note, the note linking to it)."""
    pages: list = field(default_factory=list)
    """Standalone pages (``standalone.PageView``): never in ``notes`` nor any list of them."""

    def url_for(self, path: str) -> str:
        """``"feed.xml"`` -> ``"/sub/feed.xml"``, percent-encoded."""
        return quote_path(self.config.base_path + path.lstrip("/"), safe="/#%")

    def permalink_for(self, path: str) -> str:
        return self.config.base_url + quote_path(path.lstrip("/"), safe="/#%")


_NEEDS_NO_QUOTING = re.compile(r"[A-Za-z0-9/_.~-]*")


def quote_path(path: str, safe: str) -> str:
    """``urllib.parse.quote``, skipped for the common plain-ASCII path: the model quotes
    tens of thousands of URLs on a big site."""
    return path if _NEEDS_NO_QUOTING.fullmatch(path) else quote(path, safe=safe)


class _Urls:
    def __init__(self, config: SiteConfig):
        self.config = config

    def for_pattern(self, pattern: str, **values: str) -> tuple[str, str, str]:
        """(output path, href, absolute URL) for a permalink pattern."""
        path = pattern.format(**values).lstrip("/")
        output = path + "index.html" if path.endswith("/") or not path else path
        href = quote_path(self.config.base_path + path, safe="/%")
        return output, href, self.config.base_url + quote_path(path, safe="/%")


Memo = Callable[[tuple, Callable[[], object]], object]
"""``memo(key, make)``: what ``key`` names, made by ``make()`` unless the caller kept it."""


def _no_memo(key: tuple, make: Callable[[], object]) -> object:
    return make()


def build_site(config: SiteConfig, notes: list[Note], bodies: dict[str, RenderedBody],
               problems: Problems, memo: Memo | None = None) -> Site:
    """Join the notes and their rendered bodies into the site model, checking URL clashes.
    ``memo`` may keep the related papers between builds (the incremental layer's)."""
    urls = _Urls(config)
    ordered = sorted(notes, key=lambda n: (n.date, n.slug), reverse=True)
    views = [_note_view(note, bodies[note.source], urls, config) for note in ordered]
    _check_clashes(views, problems)
    categories = _terms(views, "category", lambda n: n.categories, config, urls)
    tags = _terms(views, "tag", lambda n: n.tags, config, urls)
    venues = _terms(views, "venue", lambda n: (venue_group(n.venue),) if n.venue else (),
                    config, urls)
    years = _years(views, urls, config)
    _attach_terms(views, categories, tags, venues)
    _link_neighbours(views)
    _attach_related(views, memo or _no_memo)
    resolver = LinkResolver(views, config)
    assets = _connect_links(views, bodies, resolver, problems)
    return Site(config, views, categories, tags, venues, years, assets)


def venue_group(venue: str) -> str:
    """``"CVPR 2025 Highlight"`` -> ``"CVPR 2025"``; venues without a year stay as written."""
    match = _VENUE_YEAR.match(venue.strip())
    return match.group(1) if match else venue.strip()


def _note_view(note: Note, body: RenderedBody, urls: _Urls, config: SiteConfig) -> NoteView:
    d = note.date
    path, href, permalink = urls.for_pattern(
        config.permalinks.note, slug=note.slug, year=f"{d.year:04d}", month=f"{d.month:02d}",
        day=f"{d.day:02d}")
    return NoteView(
        note=note, path=path, url=href, permalink=permalink, rendered=body, toc=body.toc,
        summary=note.summary or body.first_paragraph,
        reading_minutes=max(1, round(body.words / WORDS_PER_MINUTE)),
        links=_links(note), categories=(), tags=(), venue=None,
        lang=note.lang or config.language,
    )


_LINK_KINDS = {"paper", "code", "website", "project", "review", "summary", "slides", "video",
               "pdf", "arxiv", "doi", "openreview", "demo", "data", "blog", "poster"}


def _links(note: Note) -> tuple[Link, ...]:
    links = [Link(label, url, _link_kind(label)) for label, url in note.links]
    known = {link.url for link in links}
    derived = [("arXiv", note.arxiv_abs, "arxiv"), ("PDF", note.arxiv_pdf, "pdf"),
               ("DOI", note.doi_url, "doi")]
    links += [Link(label, url, kind) for label, url, kind in derived if url and url not in known]
    return tuple(links)


def _link_kind(label: str) -> str:
    word = slugify(label).split("-")[0]
    return word if word in _LINK_KINDS else "other"


def _check_clashes(views: list[NoteView], problems: Problems) -> None:
    by_path: dict[str, NoteView] = {}
    for view in sorted(views, key=lambda v: v.note.source):
        first = by_path.setdefault(view.path, view)
        if first is not view:
            problems.error(view.note.source, f"has the same URL {view.url} as "
                           f"{first.note.source}; give one of them another slug", field="slug")


def _terms(views, kind, names_of, config, urls: _Urls) -> list[Term]:
    """One term per URL: spellings whose slug is the same ("vLLM", "VLLM") are one term, as in
    Hugo and Zola, shown under :func:`_display_name`'s choice and reported once at -v."""
    pattern = getattr(config.permalinks, kind)
    by_slug: dict[str, Term] = {}
    spellings: dict[str, dict[str, int]] = {}
    for view in reversed(views):  # oldest first: on a tie the spelling used first wins
        for name in names_of(view.note):
            slug = slugify(name)
            term = by_slug.get(slug)
            if term is None:
                path, href, permalink = urls.for_pattern(pattern, slug=slug)
                term = by_slug[slug] = Term(kind, name, slug, path, href, permalink)
                spellings[slug] = {}
            spellings[slug][name] = spellings[slug].get(name, 0) + 1
            term.notes.insert(0, view)
    for slug, term in by_slug.items():
        _name_term(term, spellings[slug], config)
    return sorted(by_slug.values(), key=lambda t: (-len(t.notes), t.name.lower()))


def _name_term(term: Term, counts: dict[str, int], config: SiteConfig) -> None:
    named = {name: described for name, described in config.categories.items()
             if slugify(name) == term.slug} if term.kind == "category" else {}
    term.name = _display_name(counts, named)
    if term.name in named:
        term.description = named[term.name].description
    if len(counts) > 1 or term.name not in counts:
        others = ", ".join(f'"{name}" ({count})' for name, count in counts.items()
                           if name != term.name)
        log.info('%s "%s" (%d) is also written %s; one %s at %s, shown as "%s"', term.kind,
                 term.name, counts.get(term.name, 0), others, term.kind, term.url, term.name)


def _display_name(counts: dict[str, int], named: dict[str, object]) -> str:
    """The spelling site.toml's ``[categories."X"]`` gives (matched by URL), else the most
    used one, else the first used (``counts`` is in order of first use)."""
    if named:
        return next((name for name in counts if name in named), next(iter(named)))
    return max(counts, key=lambda name: counts[name])  # max keeps the first of equals


def _years(views: list[NoteView], urls: _Urls, config: SiteConfig) -> list[Term]:
    by_year: dict[int, Term] = {}
    for view in views:
        year = view.year
        if year not in by_year:
            path, href, permalink = urls.for_pattern(config.permalinks.year, year=str(year))
            by_year[year] = Term("year", str(year), str(year), path, href, permalink)
        by_year[year].notes.append(view)
    return [by_year[y] for y in sorted(by_year, reverse=True)]


def _attach_terms(views, categories, tags, venues) -> None:
    def refs(terms: list[Term]) -> dict[str, TermRef]:
        return {t.slug: TermRef(t.name, t.url) for t in terms}

    category_refs, tag_refs, venue_refs = refs(categories), refs(tags), refs(venues)
    for view in views:
        note = view.note
        view.categories = tuple(category_refs[s] for s in map(slugify, note.categories)
                                if s in category_refs)
        view.tags = tuple(tag_refs[s] for s in map(slugify, note.tags) if s in tag_refs)
        if note.venue:
            view.venue = venue_refs.get(slugify(venue_group(note.venue)))


def _link_neighbours(views: list[NoteView]) -> None:
    for newer, older in zip(views, views[1:], strict=False):
        newer.older, older.newer = older, newer


def _attach_related(views: list[NoteView], memo: Memo) -> None:
    """Top notes by shared tags (weight 2) and categories (weight 1); ties go to the newer."""
    keys = [_relation_keys(view.note) for view in views]
    signature = ("related", tuple((v.note.source, k) for v, k in zip(views, keys, strict=True)))
    related = memo(signature, lambda: _related(views, keys))
    by_source = {view.note.source: view for view in views}
    for view in views:
        view.related = tuple(by_source[s] for s in related.get(view.note.source, ()))


def _related(views: list[NoteView], keys: list[tuple]) -> dict[str, tuple[str, ...]]:
    """Note source -> sources of its related notes, best first."""
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    for position, note_keys in enumerate(keys):
        for key in note_keys:
            index[key].append(position)
    related = {}
    for position, view in enumerate(views):
        scores: dict[int, int] = defaultdict(int)
        for key in keys[position]:
            members = index[key]
            if len(members) > RELATED_TERM_LIMIT:
                continue
            weight = 2 if key[0] == "tag" else 1
            for other in members:
                if other != position:
                    scores[other] += weight
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:RELATED_COUNT]
        related[view.note.source] = tuple(views[other].note.source for other, _ in best)
    return related


def _relation_keys(note: Note) -> tuple[tuple[str, str], ...]:
    # Deduplicated: "LoRA" and "lora" are one tag and must not count twice.
    keys = [("tag", slugify(t)) for t in note.tags]
    keys += [("category", slugify(c)) for c in note.categories]
    return tuple(dict.fromkeys(keys))


_MARKED = re.compile(re.escape(MARKER) + r"(root|note|slug|asset):([^\"'#\s]*)(#[^\"'\s]*)?")


class LinkResolver:
    """Finds the note a link marker points at and rewrites markers into URLs."""

    def __init__(self, views: list[NoteView], config: SiteConfig):
        self.by_source = {v.note.source: v for v in views}
        self.by_slug = {v.note.slug: v for v in views}
        self.by_page = {_page_key(v.path): v for v in views}
        self.base = config.base_path
        for view in views:
            view.resolver = self

    def note_for(self, kind: str, target: str) -> NoteView | None:
        if kind == "note":
            return self.by_source.get(target)
        if kind == "slug":
            return self.by_slug.get(target)
        return self.by_page.get(_page_key(target))

    def resolve(self, html: str) -> str:
        return _MARKED.sub(self._replace, html)

    def _replace(self, match: re.Match) -> str:
        kind, target, fragment = match.group(1), match.group(2), match.group(3) or ""
        if kind == "root":
            return quote(self.base + target, safe="/%?=&;+:,@!$()*~") + fragment
        if kind == "asset":
            return quote(self.base + _asset_output(target), safe="/%") + fragment
        linked = self.note_for(kind, target)
        if linked is None:  # reported by _connect_links
            return "#" + quote(target, safe="")
        return linked.url + fragment


def _asset_output(source: str) -> str:
    """``content/papers/fig.png`` is published as ``papers/fig.png``."""
    return source.removeprefix("content/")


def _connect_links(views: list[NoteView], bodies: dict[str, RenderedBody],
                   resolver: LinkResolver, problems: Problems) -> dict[str, tuple[str, str]]:
    """Backlinks, warnings for links to missing notes, and the files beside notes to copy.

    A note links to another by a relative link to its file, a ``[[slug]]`` wiki-link, its
    root-relative URL (``/papers/lora/``) or its absolute permalink; each counts as a backlink.
    """
    assets: dict[str, tuple[str, str]] = {}
    backlinks: dict[str, list[NoteView]] = defaultdict(list)
    for view in views:
        body = bodies[view.note.source]
        for source in body.assets:
            assets.setdefault(_asset_output(source), (source, view.note.source))
        for kind, target, line in body.links:
            linked = resolver.note_for(kind, target)
            if linked is None and kind != "root":
                what = f"[[{target}]]" if kind == "slug" else target
                problems.warn(view.note.source, f"links to {what}, which is not a note in "
                              "content/", line, "links")
            elif linked is not None and linked is not view and \
                    view not in backlinks[linked.note.source]:
                backlinks[linked.note.source].append(view)
    for view in views:
        view.backlinks = tuple(backlinks.get(view.note.source, ()))
    return assets


def _page_key(path: str) -> str:
    """``papers/lora/index.html``, ``/papers/lora/`` and ``papers/lora`` -> ``papers/lora``."""
    path = unquote(path.split("?", 1)[0].split("#", 1)[0])
    return path.removesuffix("index.html").strip("/")
