"""The pipeline, stage by stage: config -> read -> Markdown -> model -> plan -> render -> write.

:func:`build` reads like the list of stages (MkDocs' ``build()``, Zola's ``Site::build``): one
timed call per stage. Every stage reports problems instead of raising on the first, and nothing
is written unless every stage succeeded. The stages are plain functions of their inputs; the
incremental layer (:mod:`digestif.incremental`) wraps them so a rebuild redoes only what
changed, and the writer is the only code that touches the output folder.

The Markdown, model and rendering stages are imported where they run: a build that finds
nothing changed should not spend a third of a second importing Markdown, Pygments, Jinja2 and
lxml.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import schedule
from .config import SiteConfig, load_config
from .console import Console
from .digests import fingerprint
from .errors import BuildError, Problem, Problems
from .incremental import CACHE_DIR, CacheState, Incremental, Source
from .incremental.live import LiveModel
from .plan import (
    EXPORT,
    FEED,
    GENERATED,
    NOTE,
    PAGE,
    SEARCH,
    OutputPlan,
    Producer,
    copied_files,
    make_plan,
)
from .reader import find_notes, parse_note
from .schedule import LeftOut
from .search import BUNDLE_DIR, IndexStats, SearchIndexer, SearchJob
from .theme import THEME_DIR
from .writer import NewOutput, Output, UpdatedOutput, WriteResult, output_token

if TYPE_CHECKING:
    from .incremental.record import Recorder
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
    explain: bool = False
    """Say why each page and feed was rendered again (:attr:`BuildResult.explanations`)."""
    save_later: bool = False
    """Leave writing the build cache to disk to the caller (:attr:`BuildResult.save_cache`):
    the dev server keeps it in memory, and saves it after the browser was told to reload."""


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
    index_search: SearchJob | None = None
    """With ``search_later``: the job that brings the search index up to date."""
    left_out: LeftOut = field(default_factory=LeftOut)
    """Drafts and future-dated notes this build did not publish."""
    explanations: dict[str, list[str]] = field(default_factory=dict)
    """With ``explain``: output path -> why it was rendered again (empty: it was not)."""
    rendered: int = 0
    """Pages and feeds rendered by this build (the others were still right)."""
    patched: set[str] | None = None
    """The notes whose part of the last build's model was patched in place (the dev server,
    for an edit that changed no note's shape); None when the model was built afresh."""
    save_cache: Callable[[], None] | None = None
    """With ``save_later``: writes the cache this build committed to ``.digestif-cache/``."""


def build(site_dir: Path, options: BuildOptions = BuildOptions(),
          console: Console | None = None, cache: CacheState | None = None) -> BuildResult:
    """Build the site in ``site_dir``; raises :class:`BuildError` (or ConfigError) on errors.

    ``cache`` is a previous build's :attr:`BuildResult.cache` (the dev server keeps it in
    memory); without it the cache is read from ``.digestif-cache/``."""
    started = time.perf_counter()
    console = console or Console(quiet=True)
    problems = Problems()
    config = _load_config(site_dir, options)
    search = SearchIndexer(config)
    config = search.config  # without search when Pagefind is missing: no dead search box
    layer = Incremental(config, options.use_cache, cache)
    try:
        return _build(config, options, console, layer, search, problems, started)
    finally:
        gc.unfreeze()  # what the layer froze may be collected again (the dev server lives on)


def _build(config: SiteConfig, options: BuildOptions, console: Console, layer: Incremental,
           search: SearchIndexer, problems: Problems, started: float) -> BuildResult:
    with _stage("read"):
        sources = layer.sources(find_notes(config.content_path, config.site_dir, problems),
                                problems)
    now = datetime.now(UTC)
    frame = _frame_key(config, options)
    unchanged = layer.unchanged(_inputs_key(frame, sources),
                                output_token(config.output_path), problems)
    # A note left out for its date is published by the first build after that date.
    if unchanged and not schedule.release_due(layer.state.left_out, now):
        return BuildResult(config, *layer.state.counts, 0, time.perf_counter() - started,
                           list(layer.state.warnings), cache=layer.state, unchanged=True,
                           left_out=layer.state.left_out)
    with _stage("parse"):
        parsed = layer.parse(sources, functools.partial(_parse, config), problems, drafts=True)
        notes, left_out = schedule.leave_out(parsed, options.drafts, options.future, now)
        from . import standalone
        notes, pages = standalone.split(notes)  # paper notes, and pages (About, Contact…)
    with _stage("markdown"):
        bodies = layer.markdown(notes + pages, functools.partial(render_bodies, config=config,
                                                                 console=console))
    for body in bodies.values():
        problems.extend(list(body.problems))
    # Notes that failed to parse are left out, but the build goes on to the model and the plan
    # so that URL clashes among the others are reported in the same run.
    first_problem = len(problems.items)
    with _stage("model"):
        live = layer.reuse_model(frame, notes, pages, bodies, problems) if layer.use_cache \
            else None
        if live is None:
            site = _model(config, notes, pages, bodies, problems, layer)
    with _stage("plan"):
        if live is None:
            jobs, feeds, plan, copies = plan_site(site, search, problems)
            live = LiveModel(frame, site, jobs, feeds, plan, copies,
                             problems.items[first_problem:])
        else:  # patched in place: the same pages, feeds and files as the last build
            site, jobs, feeds, plan, copies = live.site, live.jobs, live.feeds, live.plan, \
                live.copies
            problems.extend(live.problems)
    problems.raise_if_errors(strict=options.strict)
    output = _open_output(config, plan, layer)
    indexed = _indexed(plan)
    with output.abandon_on_error():  # a template error, or any other, leaves the old output
        with _stage("render"):
            sink = _PageSink(output, indexed if search.enabled else set())
            recorder = render_site(site, jobs, feeds, layer, sink, options.explain,
                                   theme_stylesheet=STYLESHEET not in copies)
        with _stage("write"):
            written, index_later = _write(config, output, sink, indexed, copies, plan, layer,
                                          search, options.search_later)
    # Search warnings stay out of --strict: a missing Pagefind is the machine's, not the notes'.
    warnings = problems.warnings + search.warnings
    pages = sum(1 for job in jobs if job.path.endswith(".html"))
    layer.commit(recorder, set(plan.paths), warnings, (len(notes), pages), left_out,
                 save=not options.save_later)
    layer.keep_model(live)
    return BuildResult(config, len(notes), pages, written.files,
                       time.perf_counter() - started, warnings, site, search.stats,
                       layer.state, index_search=index_later,
                       explanations=layer.explanations, rendered=layer.rendered,
                       left_out=left_out, patched=layer.patched,
                       save_cache=layer.save if options.save_later else None)


def _model(config: SiteConfig, notes: list[Note], pages: list[Note],
           bodies: dict[str, RenderedBody], problems: Problems, layer: Incremental) -> Site:
    """The site model, built from every note."""
    from . import sharing, standalone
    from .model import build_site
    site = build_site(config, notes, bodies, problems, layer.memo)
    standalone.attach_pages(site, pages, bodies, problems)  # About, Contact…
    sharing.attach_images(site, problems)  # files named by image: are published too
    return site


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


def _parse(config: SiteConfig, file, raw: bytes, problems: Problems, digest: str):
    return parse_note(file, raw, config.tz, problems, digest, config.markdown.max_note_kb * 1000)


def read_notes(config: SiteConfig, problems: Problems, drafts: bool = False) -> list[Note]:
    """Every note of the site, without the cache (for commands that only need front matter)."""
    layer = Incremental(config, use_cache=False)
    sources = layer.sources(find_notes(config.content_path, config.site_dir, problems),
                            problems)
    return layer.parse(sources, functools.partial(_parse, config), problems, drafts)


def render_bodies(notes: list[Note], config: SiteConfig, console: Console
                  ) -> Iterator[RenderedBody]:
    """Markdown for these notes, in order, on every core when there are enough of them to pay
    for starting the workers. Yielded as they come, so the incremental layer can put each
    body's HTML in its store instead of holding every note's."""
    from .markup import render_markdown
    render = functools.partial(render_markdown, base_url=config.base_url,
                               settings=config.markdown)
    with _parallel_map(len(notes)) as parallel_map:
        yield from console.track(parallel_map(render, notes), "Rendering notes", len(notes))


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


def _frame_key(config: SiteConfig, options: BuildOptions) -> str:
    """Everything a build reads but the notes: settings, templates, theme and static files.
    When it is unchanged, an edit to a note can only change what is made from that note."""
    folders = (config.site_dir / "templates", config.site_dir / "static",
               config.site_dir / "i18n", THEME_DIR)
    files = [(str(p), (info := p.stat()).st_size, info.st_mtime_ns) for folder in folders
             if folder.is_dir() for p in sorted(folder.rglob("*")) if p.is_file()]
    return fingerprint(config, options.drafts, options.future, options.strict, files)


def _inputs_key(frame: str, sources: list[Source]) -> str:
    """Everything a build reads: the frame, and the bytes of every note."""
    return fingerprint(frame, [(s.file.source, s.digest) for s in sources])


# --- the plan -------------------------------------------------------------------------------

STYLESHEET = "assets/style.css"
THEME_STYLESHEET = THEME_DIR / "static" / "style.css"
FIXED_FILES = {"sitemap.xml": "the sitemap", "robots.txt": "robots.txt",
               "papers.bib": "the BibTeX export", "papers.json": "the JSON export",
               "assets/highlight.css": "the code stylesheet", ".nojekyll": ".nojekyll",
               "CNAME": "the CNAME file (cname in site.toml)"}


def plan_site(site: Site, search: SearchIndexer, problems: Problems):
    """Every page, feed and file of the site, each path claimed by exactly one producer."""
    from .feeds import feed_specs
    from .render import page_jobs
    jobs, feeds = page_jobs(site), feed_specs(site)
    notes = {view.note.source: view.note for view in [*site.notes, *site.pages]}
    diagrams = any("mermaid" in note.body for note in notes.values())
    copies = copied_files(site.config.site_dir, THEME_DIR / "static", site.assets, problems,
                          notes, diagrams)
    claims = [(job.path, Producer(NOTE if "note" in job.context else PAGE, job.producer))
              for job in jobs]
    claims += [(spec.path, Producer(FEED, spec.producer)) for spec in feeds]
    claims += [(path, Producer(EXPORT if path.startswith("papers.") else GENERATED, name))
               for path, name in FIXED_FILES.items() if path != "CNAME" or site.config.cname]
    claims += [(path, copy.producer) for path, copy in copies]
    folders = [(BUNDLE_DIR, Producer(SEARCH, "the search index"))] if search.enabled else []
    plan = make_plan(claims, folders, problems)
    copied = {path: copy.source for path, copy in copies if plan.paths.get(path) is copy.producer}
    if copied.get(STYLESHEET) == THEME_STYLESHEET:
        del copied[STYLESHEET]  # render_site serves it minified; a site's own is copied as is
    return jobs, feeds, plan, copied


# --- rendering ------------------------------------------------------------------------------

def render_site(site: Site, jobs, feeds, layer: Incremental, sink: _PageSink,
                explain: bool = False, theme_stylesheet: bool = False) -> Recorder:
    """Every generated file of the site that changed, into ``sink`` as each is made: pages
    and feeds whose recorded inputs changed, and the small files made from the whole site
    (with ``theme_stylesheet``, the theme's style.css too, minified)."""
    from .feeds import render_feed, render_robots, render_sitemap
    from .incremental import page_args
    from .render import make_environment, render_pages
    from .scholarly import Scholarly, render_exports
    scholarly = Scholarly(site, layer.memo)
    env = make_environment(site.config.site_dir, layer.bytecode_dir())
    recorder = layer.recorder(site, env, scholarly)
    stale, _ = layer.stale_jobs(recorder, jobs, page_args, explain)
    render_pages(site, env, stale, scholarly, recorder, sink)
    # The feeds' entry headers use the theme's words, as the pages do.
    render_feed = functools.partial(render_feed, words=env.globals["translations"])
    files = layer.render_feeds(site, feeds, recorder, render_feed, explain)
    layer.rendered = len(stale) + len(files)
    files["sitemap.xml"] = render_sitemap(site, [job.path for job in jobs])
    files["robots.txt"] = render_robots(site)
    files.update(render_exports(scholarly))  # papers.bib, papers.json
    files["assets/highlight.css"] = layer.memo(
        ("highlight.css", LIGHT_CODE_STYLE, DARK_CODE_STYLE),
        lambda: minify_css(code_stylesheet()))
    if theme_stylesheet:
        css = THEME_STYLESHEET.read_text(encoding="utf-8")
        files[STYLESHEET] = layer.memo(("style.css", css), lambda: minify_css(css))
    files[".nojekyll"] = ""
    if site.config.cname:
        files["CNAME"] = site.config.cname + "\n"
    for path, content in files.items():
        sink.put(path, content.encode("utf-8") if isinstance(content, str) else content)
    return recorder


def code_stylesheet() -> str:
    """Pygments colours for light and dark schemes, scoped to the .highlight blocks; print
    always gets the light ones."""
    dark = "\n".join("  " + line for line in _code_rules(DARK_CODE_STYLE).splitlines())
    return (f"{_code_rules(LIGHT_CODE_STYLE)}\n"
            f"@media screen and (prefers-color-scheme: dark) {{\n{dark}\n}}\n")


def minify_css(css: str) -> str:
    """The stylesheet without comments and spaces: a note page's HTML and CSS must stay under
    30 KB (tests/test_theme.py), and the theme's sources stay readable."""
    import rcssmin
    return rcssmin.cssmin(css) + "\n"


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



# --- writing --------------------------------------------------------------------------------

class _PageSink:
    """Rendered files go straight to the output's staging area (in the worker that rendered
    them), so no build holds every page's bytes (the :class:`~digestif.render.Pages`
    interface); what later steps need is taken on the way:
    the search fingerprint of each note page. The sitemap needs only the paths."""

    def __init__(self, output: Output, indexed: set[str]):
        self.output, self.indexed = output, indexed
        self.fingerprints: dict[str, str] = {}

    def put(self, path: str, data: bytes) -> None:
        self.output.write(path, data)
        if path in self.indexed:
            from .search import page_fingerprint
            self.fingerprints[path] = page_fingerprint(data)

    def collect(self) -> object:
        fingerprints, self.fingerprints = self.fingerprints, {}
        return self.output.collect(), fingerprints

    def merge(self, collected: object) -> None:
        written, fingerprints = collected
        self.output.merge(written)
        self.fingerprints.update(fingerprints)


def _indexed(plan: OutputPlan) -> set[str]:
    """The note pages: what the search index reads."""
    return {path for path, producer in plan.paths.items() if producer.kind == NOTE}


def _open_output(config: SiteConfig, plan: OutputPlan, layer: Incremental) -> Output:
    """Where this build's files go as they are made: in place when the output is the one the
    cache knows, else a whole new folder, swapped in by :func:`_write`. Every path of the plan
    is checked before anything is written."""
    if layer.can_update():
        return UpdatedOutput(config.output_path, plan.paths, plan)
    return NewOutput(config.output_path, plan.paths, plan)


def _write(config: SiteConfig, output: Output, sink: _PageSink, indexed: set[str],
           copies: dict[str, Path], plan: OutputPlan, layer: Incremental,
           search: SearchIndexer, search_later: bool) -> tuple[WriteResult, SearchJob | None]:
    """Finish the output: copy the static files, then swap the new folder in or rename the
    changed files into place. The search index is built into a staging folder the writer
    hands out, and installed by the writer; when no indexed text changed, the bundle stays
    (in place) or is carried into the new folder."""
    in_place = isinstance(output, UpdatedOutput)
    index = search.prepare(indexed, sink.fingerprints, config.output_path, in_place,
                           config.site_dir / CACHE_DIR if layer.use_cache else None)
    later = index.job if search_later and index.job is not None else None
    generated = {BUNDLE_DIR: index.generate} if index.generate and later is None else {}
    if in_place:
        kept = plan.paths.keys() - output.written.keys() - copies.keys()
        return output.finish(copies, kept, layer.state.outputs, generated), later
    return output.finish(copies, generated, layer.new_token()), later


__all__ = ["BuildError", "BuildOptions", "BuildResult", "build"]
