"""Full-text search: a Pagefind index of the note pages, built into the output before it goes live.

Pagefind reads the finished HTML and writes a chunked index plus its JavaScript under
``pagefind/``, so a search downloads only the chunks its words need, from the site itself. What is
indexed is decided by the templates: ``data-pagefind-body`` marks the note article (list pages are
left out), ``data-pagefind-weight`` ranks titles above text, ``data-pagefind-meta`` and
``data-pagefind-filter`` carry venue, date, category and year. Each page's ``lang`` picks the
language index, so Korean, Japanese and Chinese notes get their own word splitting.

The writer hands out a staging folder (:func:`digestif.writer.write_site`) and moves what is
written there into place, before the atomic swap of a full build, or under the dev server's
lock. Nothing here writes under the output folder. A Pagefind that is missing or fails costs a
warning, never the build.

Pagefind cannot update an index: indexing every note page again costs about 4 s of CPU per
1,000 notes of 1,000 words. What each note page gives Pagefind is fingerprinted
(:func:`indexed_fingerprint`), and the bundle carries the fingerprint of the whole set
(:data:`INDEX_MARKER`); each page's fingerprint is kept beside the build cache, so a build
fingerprints only the pages it rendered. A build whose indexed text did not change (a template
outside the article, a stylesheet, the site's title) leaves the bundle in place, or carries it
into the new output folder, without running Pagefind. When a few pages changed since the full
bundle was made, only those are indexed, into a delta bundle inside it (search_delta.py).

Pagefind runs as its command-line program, reading the written pages, rather than fed from
memory through ``pagefind --service`` (``pagefind.index.PagefindIndex`` speaks it): measured
at 1,000 notes, the service took 4.6 s of Pagefind CPU and 12.8 s wall against the program's
3.9 s and 9.5 s (it indexes pages one at a time; the program reads them on every core, and
reading 20 MB of pages costs it next to nothing). The program also gives an exit code, its
error text and a timeout, where the Python API reads one reply per 0.1 s poll and waits
forever if the binary dies.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import pickle
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .config import SearchConfig, SiteConfig
from .digests import fingerprint
from .errors import Problem
from .search_delta import (
    RECENT_DIR,
    carry_base,
    changed_pages,
    delta_limit,
    link_pages,
    page_url,
    record_pages,
    recorded_pages,
    write_recent,
)

if TYPE_CHECKING:
    from .writer import Generate

log = logging.getLogger(__name__)

BUNDLE_DIR = "pagefind"
"""Where the index and Pagefind's JavaScript go, relative to the output folder."""
INDEX_MARKER = ".digestif-index"
"""In the bundle: the fingerprint of the pages it indexes, so a build can tell it is current."""
# Parts of a note article that are navigation or labels rather than what the note says.
EXCLUDED_SELECTORS = (".toc", ".badges", ".anchor")
TIMEOUT_SECONDS = 600
INSTALL_HINT = ("install it with pip install 'pagefind[extended]', or set enabled = false under "
                "[search] in site.toml")
# Bump when what a page's fingerprint covers changes.
FINGERPRINT_FORMAT = 1
# Besides data-pagefind-body, what Pagefind reads anywhere on a page: the default title (the
# first h1) and image (the first img), and explicit metadata, filters and sort keys.
_PAGE_WIDE = ("[data-pagefind-meta], [data-pagefind-filter], [data-pagefind-sort], "
              "[data-pagefind-default-meta]")
_LEFT_OUT = ", ".join(("[data-pagefind-ignore]", *EXCLUDED_SELECTORS))
# Per-page fingerprints of this many recent bundles are kept in the build cache (the dev
# server's index may be a build or two behind its pages).
KEEP_FINGERPRINT_FILES = 3


@dataclass(frozen=True)
class IndexStats:
    """What one indexing run produced, for the build summary and docs/search.md."""

    pages: int
    languages: tuple[str, ...]
    files: int
    bytes: int
    seconds: float
    delta: bool = False
    """Only the changed pages were indexed, into the delta bundle these figures are of."""


@dataclass(frozen=True)
class IndexPlan:
    """What a build does about search: ``generate`` fills the bundle's staging folder (None:
    leave the bundle as it is); ``job`` is the indexing, when the indexed text changed."""

    generate: Generate | None = None
    job: SearchJob | None = None


class SearchIndexer:
    """Builds the search index of one build; collects its warnings instead of failing."""

    def __init__(self, config: SiteConfig):
        self.warnings: list[Problem] = []
        self.stats: IndexStats | None = None
        self.executable = find_pagefind() if config.search.enabled else None
        if config.search.enabled and self.executable is None:
            self._warn(f"Pagefind was not found; the site was built without search: "
                       f"{INSTALL_HINT}")
        self.config = config if self.enabled else dataclasses.replace(
            config, search=SearchConfig(enabled=False))
        """The settings to render with: search switched off when it cannot be built, so no page
        offers a search box that cannot work."""

    @property
    def enabled(self) -> bool:
        return self.executable is not None

    def prepare(self, pages: Iterable[str], rendered: Mapping[str, str], out_dir: Path,
                in_place: bool, cache_dir: Path | None) -> IndexPlan:
        """What to do about the index of the note pages ``pages`` (output paths): ``rendered``
        has the :func:`page_fingerprint` of those this build rendered (taken as each page
        went to the writer: the pages themselves are not kept), the others are still in
        ``out_dir`` as the last build wrote them. ``in_place``: the writer updates
        ``out_dir`` rather than replacing it. ``cache_dir`` keeps each page's fingerprint
        (None: no build cache)."""
        pages = sorted(pages)
        if not self.enabled or not pages:
            return IndexPlan()
        began = time.perf_counter()
        bundle = out_dir / BUNDLE_DIR
        previous = bundle_fingerprint(bundle)
        known = _load_fingerprints(cache_dir, previous) if previous else {}
        pages_fps = {path: rendered.get(path) or known.get(path)
                     or _fingerprint_file(out_dir / path) for path in pages}
        current = self._site_fingerprint(pages_fps)
        if cache_dir is not None:
            _save_fingerprints(cache_dir, current, pages_fps)
        log.debug("search: fingerprinted %d pages (%d rendered) in %.3f s", len(pages),
                  len(rendered), time.perf_counter() - began)
        if current == previous:
            log.debug("search: the indexed text did not change; the index is kept")
            return IndexPlan() if in_place else IndexPlan(generate=_carry(bundle))
        job = SearchJob(self.executable, note_glob(self.config), current,
                        **_delta_of(bundle, cache_dir, previous, known, pages_fps))
        return IndexPlan(generate=lambda folder, stage: self.index(job, folder, stage), job=job)

    def index(self, job: SearchJob, folder: Path, stage: Path) -> bool:
        """Run ``job``; True when ``stage`` holds a complete bundle, else a warning (the writer
        then removes any old bundle: the site goes live without search, never a stale one)."""
        try:
            self.stats = job.run(folder, stage)
        except SearchFailed as exc:
            self._warn(f"Pagefind failed, the site was built without a search index ({exc}); "
                       f"{INSTALL_HINT}")
            return False
        return True

    def _site_fingerprint(self, pages: Mapping[str, str | None]) -> str | None:
        if None in pages.values():
            return None  # a page that could not be read: index afresh
        binary = self.executable.stat() if self.executable.exists() else None
        return fingerprint(FINGERPRINT_FORMAT, str(self.executable),
                           binary and (binary.st_size, binary.st_mtime_ns), EXCLUDED_SELECTORS,
                           sorted(pages.items()))

    def _warn(self, message: str) -> None:
        if not self.warnings:  # one warning per build is enough to act on
            self.warnings.append(Problem("search", message, warning=True))


class SearchFailed(Exception):
    """Pagefind could not run or did not finish its bundle."""


@dataclass(frozen=True)
class SearchJob:
    """Index the note pages of a finished site into a staging folder (picklable: the dev
    server's build worker hands it to the server)."""

    executable: Path
    glob: str
    fingerprint: str | None = None
    """Of what the pages give Pagefind; written into the bundle (:data:`INDEX_MARKER`)."""
    base: Path | None = None
    """A delta job: the full bundle to keep, made for ``base_fingerprint``."""
    base_fingerprint: str | None = None
    changed: tuple[str, ...] = ()
    """A delta job: the note pages to index (changed or new since the full bundle)."""
    deleted: tuple[str, ...] = ()
    """A delta job: the full bundle's pages that are gone."""
    superseded: tuple[str, ...] = ()
    """A delta job: the full bundle's pages whose records search must drop (edited, gone)."""

    def run(self, folder: Path, stage: Path,
            started: Callable[[subprocess.Popen], object] | None = None) -> IndexStats:
        """Index ``folder``'s pages into the empty folder ``stage``; raises SearchFailed.
        ``started`` is told the running process (the dev server ends it when it stops)."""
        began = time.perf_counter()
        if self.base is not None and self._run_delta(folder, stage, started):
            recent = stage / RECENT_DIR
            stats = measure(recent, time.perf_counter() - began, delta=True)
            log.debug("search: delta of %d pages, %d gone: %s", len(self.changed),
                      len(self.deleted), stats)
            return stats
        shutil.rmtree(stage / RECENT_DIR, ignore_errors=True)
        self._pagefind(folder, stage, started)
        record_pages(stage)
        if self.fingerprint:
            (stage / INDEX_MARKER).write_text(self.fingerprint + "\n", encoding="utf-8")
        stats = measure(stage, time.perf_counter() - began)
        log.debug("search: %s", stats)
        return stats

    def _run_delta(self, folder: Path, stage: Path,
                   started: Callable[[subprocess.Popen], object] | None) -> bool:
        """Keep the full bundle and index the changed pages into its delta; False when the
        full bundle is no longer the one this job was made for (then the caller indexes all)."""
        base_pages = recorded_pages(self.base)
        if base_pages is None or base_fingerprint(self.base) != self.base_fingerprint:
            return False
        if any(page_url(path) not in base_pages for path in self.superseded):
            # A record search could not drop would show a note's old text: index all.
            log.debug("search: a superseded page is not in the full bundle's records")
            return False
        carry_base(self.base, stage)
        recent = stage / RECENT_DIR
        if self.changed:
            site = Path(tempfile.mkdtemp(prefix=".digestif-recent-", dir=stage.parent))
            try:
                link_pages(folder, self.changed, site)
                self._pagefind(site, recent, started)
            finally:
                shutil.rmtree(site, ignore_errors=True)
        write_recent(recent, base_pages, self.superseded)
        (recent / INDEX_MARKER).write_text(f"{self.fingerprint}\n", encoding="utf-8")
        return True

    def _pagefind(self, folder: Path, output: Path,
                  started: Callable[[subprocess.Popen], object] | None) -> None:
        """Run Pagefind on ``folder``'s note pages into ``output``; raises SearchFailed."""
        command = [str(self.executable), "--site", ".", "--output-path", str(output.resolve()),
                   "--glob", self.glob, "--exclude-selectors", ", ".join(EXCLUDED_SELECTORS),
                   "--quiet"]
        try:
            # cwd is the site folder, so no pagefind.toml of whoever runs the build applies.
            with subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) as process:
                if started is not None:
                    started(process)
                try:
                    out, err = process.communicate(timeout=TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    raise SearchFailed(f"{self.executable} took over {TIMEOUT_SECONDS} s") \
                        from None
        except OSError as exc:
            raise SearchFailed(f"{self.executable} could not run: {exc}") from None
        if process.returncode != 0 or not (output / "pagefind.js").is_file():
            raise SearchFailed(f"{self.executable} exited with status {process.returncode}: "
                               f"{_last_lines(err or out)}")


def find_pagefind() -> Path | None:
    """The Pagefind binary from pip (``pagefind[extended]`` first), $PAGEFIND_BINARY_PATH or
    $PATH, as the ``pagefind`` package looks it up; None when there is none."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        found = shutil.which("pagefind_extended") or shutil.which("pagefind")
        return Path(found) if found else None
    try:
        return get_executable()
    except (OSError, FileNotFoundError) as exc:
        log.debug("no pagefind binary: %s", exc)
        return None


def note_glob(config: SiteConfig) -> str:
    """The files note pages are written to, as a Pagefind glob: ``/papers/{slug}/`` ->
    ``papers/*/index.html``. Pagefind then parses no list page, and ``data-pagefind-body``
    still decides what is indexed."""
    pattern = config.permalinks.note.format(slug="*", year="*", month="*", day="*").lstrip("/")
    return pattern + "index.html" if pattern.endswith("/") or not pattern else pattern


def indexed_fingerprint(html: str) -> str:
    """A fingerprint of what Pagefind reads from a page: its language, the
    ``data-pagefind-body`` elements (the whole body when there is none) without what is left
    out of the index, the first heading and image, and metadata, filters and sort keys
    anywhere. Navigation, related notes, the footer and the ignored parts of the article do not
    count: a change there does not need a new index."""
    from selectolax.lexbor import LexborHTMLParser
    tree = LexborHTMLParser(html)
    root = tree.root
    parts = [(root.attributes.get("lang") or "") if root is not None else ""]
    parts += [(node.html or "") if node is not None else "" for node in
              (tree.css_first("h1"), tree.css_first("img"))]
    parts += [node.html or "" for node in tree.css(_PAGE_WIDE)]
    bodies = tree.css("[data-pagefind-body]") or ([tree.body] if tree.body else [])
    for body in bodies:
        for left_out in body.css(_LEFT_OUT):
            left_out.decompose()
        parts.append(body.html or "")
    return hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogatepass"),
                           digest_size=16).hexdigest()


def page_fingerprint(content: str | bytes) -> str:
    """:func:`indexed_fingerprint` of a rendered page, as the build takes it on the page's way
    to the writer (in the worker that rendered it)."""
    return indexed_fingerprint(_text(content))


def bundle_fingerprint(bundle: Path) -> str | None:
    """The fingerprint of the pages a complete bundle indexes, its delta's when it has one
    (None: no bundle, or an unknown one)."""
    base = base_fingerprint(bundle)
    return base and (_marker(bundle / RECENT_DIR) if (bundle / RECENT_DIR).exists() else base)


def base_fingerprint(bundle: Path) -> str | None:
    """The fingerprint the full bundle was made for, whatever its delta holds."""
    return _marker(bundle) if (bundle / "pagefind.js").is_file() else None


def _marker(folder: Path) -> str | None:
    try:
        text = (folder / INDEX_MARKER).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def _delta_of(bundle: Path, cache_dir: Path | None, previous: str | None,
              known: Mapping[str, str], pages: Mapping[str, str | None]) -> dict:
    """The delta fields of the job that brings ``bundle`` up to ``pages`` ({}: index them all):
    a delta when the full bundle's pages are known and few of them changed."""
    base = base_fingerprint(bundle)
    if base is None or None in pages.values():
        return {}
    base_pages = known if base == previous else _load_fingerprints(cache_dir, base)
    if not base_pages:
        return {}
    changed, deleted = changed_pages(base_pages, pages)
    if len(changed) + len(deleted) > delta_limit(len(pages)):
        return {}
    _touch_fingerprints(cache_dir, base)  # the full bundle's stay among the kept ones
    return {"base": bundle.resolve(), "base_fingerprint": base, "changed": tuple(changed),
            "deleted": tuple(deleted),
            "superseded": tuple(path for path in (*changed, *deleted) if path in base_pages)}


def measure(bundle: Path, seconds: float, delta: bool = False) -> IndexStats:
    entry_file = bundle / "pagefind-entry.json"
    entry = json.loads(entry_file.read_text(encoding="utf-8")) if entry_file.exists() else {}
    languages = entry.get("languages", {})
    files = [path for path in bundle.rglob("*") if path.is_file()]
    return IndexStats(pages=sum(lang.get("page_count", 0) for lang in languages.values()),
                      languages=tuple(sorted(languages)), files=len(files),
                      bytes=sum(path.stat().st_size for path in files), seconds=seconds,
                      delta=delta)


def _carry(bundle: Path) -> Generate:
    """Fill a staging folder with the bundle already live, its delta included."""
    def carry(folder: Path, stage: Path) -> bool:
        carry_base(bundle, stage, with_delta=True)
        return True
    return carry


def _text(content: str | bytes) -> str:
    return content if isinstance(content, str) else content.decode("utf-8", "replace")


def _fingerprint_file(path: Path) -> str | None:
    try:
        return indexed_fingerprint(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None


def _fingerprints_path(cache_dir: Path, site_fingerprint: str) -> Path:
    return cache_dir / f"search-{site_fingerprint[:16]}.fingerprints"


def _load_fingerprints(cache_dir: Path | None, site_fingerprint: str) -> dict[str, str]:
    """Page -> fingerprint of the bundle made for ``site_fingerprint`` ({} if not cached)."""
    if cache_dir is None:
        return {}
    try:
        with _fingerprints_path(cache_dir, site_fingerprint).open("rb") as stream:
            data = pickle.load(stream)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return {}
    return data.get("pages", {}) if isinstance(data, dict) and \
        data.get("fingerprint") == site_fingerprint else {}


def _touch_fingerprints(cache_dir: Path | None, site_fingerprint: str) -> None:
    if cache_dir is not None:
        with contextlib.suppress(OSError):
            os.utime(_fingerprints_path(cache_dir, site_fingerprint))


def _save_fingerprints(cache_dir: Path, site_fingerprint: str | None,
                       pages: Mapping[str, str | None]) -> None:
    """Keep each page's fingerprint beside the build cache, named by the bundle's: the next
    build fingerprints only the pages it renders. Failing to save costs speed, not search."""
    if site_fingerprint is None:
        return
    path = _fingerprints_path(cache_dir, site_fingerprint)
    try:
        if path.exists():
            os.utime(path)  # still in use: kept among the newest
            return
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".tmp{os.getpid()}")
        with partial.open("wb") as stream:
            pickle.dump({"fingerprint": site_fingerprint, "pages": dict(pages)}, stream,
                        protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
        older = sorted(cache_dir.glob("search-*.fingerprints"), key=lambda p: p.stat().st_mtime_ns)
        for old in older[:-KEEP_FINGERPRINT_FILES]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def _last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[-count:]) or "no message"
