"""The pipeline, stage by stage: config -> read notes -> Markdown -> model -> render -> write.

:func:`build` reads like the list of stages (MkDocs' ``build()``); every stage reports problems
instead of raising on the first, and nothing is written unless every stage succeeded.

The Markdown, model and rendering stages are imported where they run: a build that finds
nothing changed should not spend a third of a second importing Markdown, Pygments, Jinja2 and
lxml.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import posixpath
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import schedule
from .cache import (
    CACHE_DIR,
    CachedNote,
    CacheState,
    Fragments,
    StaleCache,
    file_digest,
    fingerprint,
    load_cache,
    load_rest,
    note_html,
    save_cache,
    settings_fingerprint,
)
from .config import SiteConfig, load_config
from .console import Console
from .errors import BuildError, Problem, Problems
from .paths import is_file
from .reader import NoteFile, find_notes, parse_note
from .schedule import LeftOut
from .search import IndexStats, SearchIndexer
from .theme import THEME_DIR
from .writer import WriteResult, output_token, produced, update_site, write_site

if TYPE_CHECKING:
    from .markup import RenderedBody
    from .model import Site
    from .note import Note

log = logging.getLogger(__name__)

# Below this many notes, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 200
# Every token colour of these two meets WCAG AA (4.5:1) on its background; friendly's comments
# and monokai's namespaces did not (tests/test_theme.py checks).
LIGHT_CODE_STYLE, DARK_CODE_STYLE = "default", "github-dark"


@dataclass(frozen=True)
class BuildOptions:
    out: Path | None = None
    base_url: str | None = None
    drafts: bool = False
    future: bool = False
    """Also publish notes dated after the build (left out by default, as Jekyll and Hugo do)."""
    strict: bool = False
    use_cache: bool = True
    """False ignores and does not update .digestif-cache/: a cold, full build."""
    search_later: bool = False
    """Leave the search index to the caller (:attr:`BuildResult.index_search`): the dev server
    shows the new pages first and indexes them a moment later."""


@dataclass
class BuildResult:
    config: SiteConfig
    notes: int
    pages: int
    files: int
    """Files written (an incremental build writes only those whose bytes changed)."""
    seconds: float
    warnings: list[Problem] = field(default_factory=list)
    site: Site | None = None
    search: IndexStats | None = None
    cache: CacheState | None = None
    """The build cache after this build; the dev server hands it to the next one."""
    unchanged: bool = False
    """Nothing the site is made from changed since the last build: nothing was done."""
    index_search: Callable[[], object] | None = None
    """With ``search_later``: the job that brings the search index up to date."""
    left_out: LeftOut = field(default_factory=LeftOut)
    """Drafts and future-dated notes this build did not publish."""


@dataclass
class SiteFiles:
    """What :func:`render_site` produced."""

    files: dict[str, str | bytes]
    kept: set[str]
    """Pages unchanged since the previous build (their output is still right)."""
    page_keys: dict[str, str]


def build(site_dir: Path, options: BuildOptions = BuildOptions(),
          console: Console | None = None, cache: CacheState | None = None) -> BuildResult:
    """Build the site in ``site_dir``; raises :class:`BuildError` (or ConfigError) on errors.

    ``cache`` is a previous build's :attr:`BuildResult.cache` (the dev server keeps it in
    memory); without it the cache is read from ``.digestif-cache/``."""
    console = console or Console(quiet=True)
    config = _load_config(site_dir, options)
    search = SearchIndexer(config)
    config = search.config  # without search when Pagefind is missing: no dead search box
    state = _cache_for(config, options, cache)
    try:
        return _build(config, options, console, state, search)
    except StaleCache:
        # The cache lost something it vouched for: build from nothing, as if it were absent.
        log.warning("the build cache was incomplete; building everything")
        return _build(config, options, console, CacheState(state.settings), search)


def _build(config: SiteConfig, options: BuildOptions, console: Console, state: CacheState,
           search: SearchIndexer) -> BuildResult:
    started = time.perf_counter()
    problems = Problems()
    with _stage("read"):
        started_ns = time.time_ns()
        sources = read_sources(config, problems, state)
        inputs = _inputs_key(config, options, sources)
        stats_changed = _remember_stats(state, sources, started_ns)
        now = datetime.now(UTC)
        last_left_out = schedule.load(config.site_dir) if options.use_cache else LeftOut()
        if not problems.errors and _unchanged(state, inputs, config) and \
                not schedule.release_due(last_left_out, now):
            if stats_changed and options.use_cache:
                save_cache(config.site_dir, state, manifest_only=True)
            return BuildResult(config, *state.counts, 0, time.perf_counter() - started,
                               list(state.warnings), cache=state, unchanged=True,
                               left_out=last_left_out)
        load_rest(config.site_dir, state)
        notes, left_out = schedule.leave_out(
            parse_sources(sources, config, state, problems, drafts=True), options.drafts,
            options.future, now)
        notes, pages = [n for n in notes if n.kind != "page"], \
            [n for n in notes if n.kind == "page"]  # standalone pages: About, Contact…
    # Notes that failed to parse are left out, but the build goes on to the model so that URL
    # clashes among the others are reported in the same run.
    with _stage("markdown"):
        bodies = render_bodies(notes + pages, state, config, console)
    for body in bodies.values():
        problems.extend(list(body.problems))
    with _stage("model"):
        from . import sharing, standalone
        from .model import build_site
        loaders = {source: functools.partial(note_html, state, entry.note)
                   for source, entry in state.notes.items() if entry.detached}
        site = build_site(config, notes, bodies, problems, state.related, loaders)
        standalone.attach_pages(site, pages, bodies, problems, loaders)  # About, Contact…
        sharing.attach_images(site, problems)  # files named by image: are published too
    copies = _copies(site, problems)
    problems.raise_if_errors(strict=options.strict)
    incremental = _can_update(state, config)
    with _stage("render"):
        bytecode_dir = config.site_dir / CACHE_DIR / "templates" if options.use_cache else None
        fragments = Fragments(state.fragments)
        output = render_site(site, state.pages if incremental else None, bytecode_dir,
                             fragments)
        state.fragments = fragments.current
    finalize = search.finalizer(site)
    index_later = None
    if options.search_later and finalize is not None:
        index_later, finalize = functools.partial(finalize, config.output_path), None
    with _stage("write"):
        written = _write(config, output, copies, state, incremental, finalize)
    pages = sum(1 for path in output.page_keys if path.endswith(".html"))
    # Search warnings stay out of --strict: a missing Pagefind is the machine's, not the notes'.
    warnings = problems.warnings + search.warnings
    _remember(state, site, output, copies, inputs, warnings, (len(notes), pages))
    if options.use_cache:
        save_cache(config.site_dir, state)
        schedule.save(config.site_dir, left_out)
    return BuildResult(config, len(notes), pages, written.files,
                       time.perf_counter() - started, warnings, site, search.stats, state,
                       index_search=index_later, left_out=left_out)


def _load_config(site_dir: Path, options: BuildOptions) -> SiteConfig:
    overrides = {"base_url": options.base_url} if options.base_url else {}
    config = load_config(site_dir, overrides)
    if options.out is not None:
        # --out is relative to where the command runs, not to the site.
        config = dataclasses.replace(config, output_dir=str(options.out.resolve()))
    return config


@contextmanager
def _stage(name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    log.debug("stage %s: %.3f s", name, time.perf_counter() - start)


def _cache_for(config: SiteConfig, options: BuildOptions,
               cache: CacheState | None) -> CacheState:
    settings = settings_fingerprint(config.timezone, config.base_url, config.markdown)
    if not options.use_cache:
        return CacheState(settings)
    if cache is not None and cache.settings == settings:
        return cache
    return load_cache(config.site_dir, settings)


@dataclass
class Source:
    """A note file found on disk, with the hash of its bytes. Its bytes are read only when the
    cache cannot vouch for them, and parsed only when they changed."""

    file: NoteFile
    digest: str
    stat: tuple[int, int]
    """(size, modification time in ns) when it was hashed."""
    raw: bytes | None = None

    def read(self) -> bytes:
        if self.raw is None:
            self.raw = self.file.path.read_bytes()
        return self.raw


# Files modified this close to when their hash was recorded may have changed again within the
# file system's time resolution (a second or two on some), so they are read anyway.
RACY_NS = 2_000_000_000


def read_sources(config: SiteConfig, problems: Problems,
                 state: CacheState | None = None) -> list[Source]:
    sources = []
    known, trusted_before = (state.stats, state.stats_time - RACY_NS) if state else ({}, 0)
    for file in find_notes(config.content_path, config.site_dir, problems):
        try:
            info = os.stat(file.path)
            stat = (info.st_size, info.st_mtime_ns)
            cached = known.get(file.source)
            if cached and cached[:2] == stat and stat[1] < trusted_before:
                sources.append(Source(file, cached[2], stat))
                continue
            raw = file.path.read_bytes()
        except OSError as exc:
            problems.error(file.source, f"cannot be read: {exc.strerror}")
            continue
        sources.append(Source(file, file_digest(raw), stat, raw))
    return sources


def _remember_stats(state: CacheState, sources: list[Source], started_ns: int) -> bool:
    """Record what was hashed; True if that differs from what the cache had."""
    stats = {s.file.source: (*s.stat, s.digest) for s in sources}
    changed = stats != state.stats
    state.stats, state.stats_time = stats, started_ns
    return changed


def parse_sources(sources: list[Source], config: SiteConfig, state: CacheState,
                  problems: Problems, drafts: bool) -> list[Note]:
    """Notes from their bytes, reusing the cache's parse of files whose bytes did not change."""
    entries: dict[str, CachedNote] = {}
    for source in sources:
        entry = state.notes.get(source.file.source)
        if entry is None or entry.digest != source.digest:
            found = Problems()
            note = parse_note(source.file, source.read(), config.tz, found, source.digest,
                              config.markdown.max_note_kb * 1000)
            entry = CachedNote(source.digest, note, tuple(found.items))
        entries[source.file.source] = entry
        problems.extend(list(entry.problems))
    state.notes = entries  # files that are gone leave the cache too
    return [e.note for e in entries.values() if e.note and (drafts or not e.note.draft)]


def read_notes(config: SiteConfig, problems: Problems, drafts: bool = False) -> list[Note]:
    """Every note of the site, without the cache (for commands that only need front matter)."""
    sources = read_sources(config, problems)
    return parse_sources(sources, config, CacheState(""), problems, drafts)


def render_bodies(notes: list[Note], state: CacheState, config: SiteConfig,
                  console: Console) -> dict[str, RenderedBody]:
    """Markdown for every note whose body is not cached, on every core when there are enough
    of them to pay for starting the workers."""
    from .markup import render_markdown
    missing = [n for n in notes if state.notes[n.source].body is None]
    render = functools.partial(render_markdown, base_url=config.base_url,
                               settings=config.markdown)
    with _parallel_map(len(missing)) as parallel_map:
        rendered = parallel_map(render, missing)
        for note, body in zip(missing, console.track(rendered, "Rendering notes", len(missing)),
                              strict=True):
            state.notes[note.source].body = body
    return {n.source: state.notes[n.source].body for n in notes}


@contextmanager
def _parallel_map(count: int) -> Iterator[Callable]:
    """``map`` over a process pool when there are enough items to pay for the workers."""
    workers = os.cpu_count() or 1
    if count < PARALLEL_THRESHOLD or workers < 2:
        yield map
        return
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield functools.partial(pool.map, chunksize=max(8, count // (workers * 8)))


def _inputs_key(config: SiteConfig, options: BuildOptions, sources: list[Source]) -> str:
    """Everything a build reads: settings, note bytes, templates, theme and static files."""
    folders = (config.site_dir / "templates", config.site_dir / "static",
               config.site_dir / "i18n", THEME_DIR)
    files = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for folder in folders
             if folder.is_dir() for p in sorted(folder.rglob("*")) if p.is_file()]
    return fingerprint(config, options.drafts, options.future, options.strict, files,
                       [(s.file.source, s.digest) for s in sources])


def _unchanged(state: CacheState, inputs: str, config: SiteConfig) -> bool:
    return bool(state.token) and state.inputs == inputs and \
        output_token(config.output_path) == state.token


def _can_update(state: CacheState, config: SiteConfig) -> bool:
    """The output is the one the cache describes and the settings are the same (a settings
    change touches every page, and may drop whole features such as search), so only what
    changed needs writing."""
    return bool(state.token) and state.config == fingerprint(config) and \
        output_token(config.output_path) == state.token


def _write(config: SiteConfig, output: SiteFiles, copies: dict[str, Path], state: CacheState,
           incremental: bool, finalize) -> WriteResult:
    if incremental:
        return update_site(config.output_path, output.files, copies, output.kept,
                           state.outputs, finalize)
    state.token = secrets.token_hex(8)
    return write_site(config.output_path, output.files, copies, finalize, state.token)


def _remember(state: CacheState, site: Site, output: SiteFiles, copies: dict[str, Path],
              inputs: str, warnings: list[Problem], counts: tuple[int, int]) -> None:
    """What the next build needs to know of this one; recorded only once it succeeded."""
    state.config = fingerprint(site.config)
    state.pages = output.page_keys
    state.related = site.related_state
    state.inputs = inputs
    state.outputs = produced(output.files, copies, output.kept)
    state.warnings = warnings
    state.counts = counts


def render_site(site: Site, previous: dict[str, str] | None = None,
                bytecode_dir: Path | None = None, fragments: Fragments | None = None) -> SiteFiles:
    """Every generated file of the site (pages, feeds, sitemap…), keyed by output path; pages
    and feeds whose fingerprint is in ``previous`` are not made again. Compiled templates are
    kept in ``bytecode_dir`` when given."""
    from .feeds import render_feeds, render_robots, render_sitemap
    from .render import make_environment, render_pages
    from .scholarly import Scholarly, render_exports
    scholarly = Scholarly(site, fragments)
    env = make_environment(site.config.site_dir, bytecode_dir)
    pages = render_pages(site, env, previous, scholarly)
    feeds = render_feeds(site, previous)
    files: dict[str, str | bytes] = {**pages.pages, **feeds.pages}
    files["sitemap.xml"] = render_sitemap(site, list(pages.keys))
    files["robots.txt"] = render_robots(site)
    files.update(render_exports(scholarly))  # papers.bib, papers.json
    files["assets/highlight.css"] = code_stylesheet()
    files[".nojekyll"] = ""
    if site.config.cname:
        files["CNAME"] = site.config.cname + "\n"
    return SiteFiles(files, pages.kept | feeds.kept, pages.keys | feeds.keys)


def code_stylesheet() -> str:
    """Pygments colours for light and dark schemes, scoped to the .highlight blocks; print
    always gets the light ones."""
    dark = "\n".join("  " + line for line in _code_rules(DARK_CODE_STYLE).splitlines())
    return (f"{_code_rules(LIGHT_CODE_STYLE)}\n"
            f"@media screen and (prefers-color-scheme: dark) {{\n{dark}\n}}\n")


def _code_rules(style: str) -> str:
    """One rule per distinct declaration and no line-number rules (codehilite adds no line
    numbers): a note page's HTML + CSS must stay under 30 KB, and this file counts."""
    from pygments.formatters import HtmlFormatter
    formatter = HtmlFormatter(style=style)
    selectors: dict[str, list[str]] = {}
    for rule in (formatter.get_background_style_defs(".highlight")
                 + formatter.get_token_style_defs(".highlight")):
        selector, _, rest = rule.partition(" { ")
        declarations = rest.partition(" }")[0].strip().rstrip(";")
        selectors.setdefault(declarations, []).append(selector)
    return "\n".join(f"{', '.join(group)} {{ {declarations} }}"
                     for declarations, group in selectors.items())


def _copies(site: Site, problems: Problems) -> dict[str, Path]:
    """Theme assets, the site's static/ folder and files beside notes, by output path."""
    config = site.config
    copies = _tree(THEME_DIR / "static", "assets/")
    if not any("mermaid" in view.note.body for view in site.notes):
        # The vendored mermaid (5.4 MB, docs/markdown.md) only goes where a diagram is.
        copies = {path: file for path, file in copies.items()
                  if not path.startswith(("assets/mermaid/", "assets/diagrams.js"))}
    copies.update(_tree(config.site_dir / "static", ""))
    site_root = config.site_dir.resolve()
    notes = {view.note.source: view.note for view in site.notes}
    for output, (source, note) in site.assets.items():
        path = config.site_dir / source
        line = _link_line(notes.get(note), source)
        if source.startswith("../") or source == "..":
            # ![](../../../../etc/passwd): the path itself leaves the site.
            problems.error(note, f"links to {source}, a path outside the site; only files "
                           "inside the site folder are published", line, "links")
        elif is_file(path) and not path.resolve().is_relative_to(site_root):
            # A "figure" that links to ~/.ssh/id_rsa must not be published.
            problems.error(note, f"links to {source}, a symbolic link to a file outside the "
                           "site; copy the file into the site instead", line, "links")
        elif is_file(path):
            copies[output] = path
        else:
            problems.warn(note, f"links to {source}, which does not exist", line, "links")
    return copies


def _link_line(note: Note | None, source: str) -> int | None:
    """The body line that names a linked file, for the message."""
    from .reader import body_line_of
    return body_line_of(note, posixpath.basename(source)) if note is not None else None


def _tree(root: Path, prefix: str) -> dict[str, Path]:
    if not root.is_dir():
        return {}
    return {prefix + path.relative_to(root).as_posix(): path
            for path in sorted(root.rglob("*")) if path.is_file()
            and not any(part.startswith(".") for part in path.relative_to(root).parts)}


__all__ = ["BuildError", "BuildOptions", "BuildResult", "build"]
