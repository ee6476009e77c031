"""The pipeline, stage by stage: config -> read notes -> Markdown -> model -> render -> write.

:func:`build` reads like the list of stages (MkDocs' ``build()``); every stage reports problems
instead of raising on the first, and nothing is written unless every stage succeeded.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pygments.formatters import HtmlFormatter

from .config import SiteConfig, load_config
from .console import Console
from .errors import BuildError, Problem, Problems
from .feeds import render_feeds, render_robots, render_sitemap
from .markup import RenderedBody, render_markdown
from .model import Site, build_site
from .note import Note
from .reader import find_notes, read_note
from .render import THEME_DIR, make_environment, render_pages
from .scholarly import render_exports
from .search import IndexStats, SearchIndexer
from .writer import write_site

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
    strict: bool = False


@dataclass
class BuildResult:
    config: SiteConfig
    notes: int
    pages: int
    files: int
    seconds: float
    warnings: list[Problem] = field(default_factory=list)
    site: Site | None = None
    search: IndexStats | None = None


def build(site_dir: Path, options: BuildOptions = BuildOptions(),
          console: Console | None = None) -> BuildResult:
    """Build the site in ``site_dir``; raises :class:`BuildError` (or ConfigError) on errors."""
    console = console or Console(quiet=True)
    started = time.perf_counter()
    config = _load_config(site_dir, options)
    search = SearchIndexer(config)
    config = search.config  # without search when Pagefind is missing: no dead search box
    problems = Problems()
    with _stage("read"):
        notes = read_notes(config, problems, drafts=options.drafts)
    problems.raise_if_errors()
    with _stage("markdown"):
        bodies = render_bodies(notes, console)
    for body in bodies.values():
        problems.extend(list(body.problems))
    with _stage("model"):
        site = build_site(config, notes, bodies, problems)
    copies = _copies(site, problems)
    problems.raise_if_errors(strict=options.strict)
    with _stage("render"):
        files = render_site(site)
    with _stage("write"):
        written = write_site(config.output_path, files, copies, search.finalizer(site))
    pages = sum(1 for path in files if path.endswith(".html"))
    # Search warnings stay out of --strict: a missing Pagefind is the machine's, not the notes'.
    return BuildResult(config, len(notes), pages, written.files,
                       time.perf_counter() - started, problems.warnings + search.warnings, site,
                       search.stats)


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


def read_notes(config: SiteConfig, problems: Problems, drafts: bool = False) -> list[Note]:
    files = find_notes(config.content_path, config.site_dir, problems)
    notes = [note for file in files if (note := read_note(file, config.tz, problems))]
    return [note for note in notes if drafts or not note.draft]


def render_bodies(notes: list[Note], console: Console) -> dict[str, RenderedBody]:
    """Markdown for every note, on every core when there are enough notes to pay for it."""
    workers = os.cpu_count() or 1
    if len(notes) < PARALLEL_THRESHOLD or workers < 2:
        return {n.source: render_markdown(n) for n in console.track(notes, "Rendering notes")}
    chunk = max(8, len(notes) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = pool.map(render_markdown, notes, chunksize=chunk)
        rendered = list(console.track(list(results), "Rendering notes"))
    return {note.source: body for note, body in zip(notes, rendered, strict=True)}


def render_site(site: Site) -> dict[str, str | bytes]:
    """Every generated file of the site (pages, feeds, sitemap…), keyed by output path."""
    files: dict[str, str | bytes] = dict(render_pages(site, make_environment(
        site.config.site_dir)))
    files.update(render_feeds(site))
    files["sitemap.xml"] = render_sitemap(site, list(files))
    files["robots.txt"] = render_robots(site)
    files.update(render_exports(site))  # papers.bib, papers.json
    files["assets/highlight.css"] = code_stylesheet()
    files[".nojekyll"] = ""
    if site.config.cname:
        files["CNAME"] = site.config.cname + "\n"
    return files


def code_stylesheet() -> str:
    """Pygments colours for light and dark schemes, scoped to the .highlight blocks; print
    always gets the light ones."""
    dark = "\n".join("  " + line for line in _code_rules(DARK_CODE_STYLE).splitlines())
    return (f"{_code_rules(LIGHT_CODE_STYLE)}\n"
            f"@media screen and (prefers-color-scheme: dark) {{\n{dark}\n}}\n")


def _code_rules(style: str) -> str:
    """One rule per distinct declaration and no line-number rules (codehilite adds no line
    numbers): a note page's HTML + CSS must stay under 30 KB, and this file counts."""
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
    copies.update(_tree(config.site_dir / "static", ""))
    for output, (source, note) in site.assets.items():
        path = config.site_dir / source
        if path.is_file():
            copies[output] = path
        else:
            problems.warn(note, f"links to {source}, which does not exist", field="links")
    return copies


def _tree(root: Path, prefix: str) -> dict[str, Path]:
    if not root.is_dir():
        return {}
    return {prefix + path.relative_to(root).as_posix(): path
            for path in sorted(root.rglob("*")) if path.is_file()
            and not any(part.startswith(".") for part in path.relative_to(root).parts)}


__all__ = ["BuildError", "BuildOptions", "BuildResult", "build"]
