"""Full-text search: a Pagefind index of the note pages, built into the output before it goes live.

Pagefind reads the finished HTML and writes a chunked index plus its JavaScript under
``pagefind/``, so a search downloads only the chunks its words need, from the site itself. What is
indexed is decided by the templates: ``data-pagefind-body`` marks the note article (list pages are
left out), ``data-pagefind-weight`` ranks titles above text, ``data-pagefind-meta`` and
``data-pagefind-filter`` carry venue, date, category and year. Each page's ``lang`` picks the
language index, so Korean, Japanese and Chinese notes get their own word splitting.

Pagefind reads the finished pages and writes its bundle into a staging folder the writer hands
out (:func:`digestif.writer.write_site`); the writer then moves it into place, before the atomic
swap of a full build, or under the dev server's lock. Nothing here writes under the output
folder. A Pagefind that is missing or fails costs a warning, never the build.

Pagefind runs as its command-line program rather than through ``pagefind.index.PagefindIndex``:
that asyncio service waits forever for a reply if the binary dies mid-request, while a
subprocess gives an exit code, its error text and a timeout.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .config import SearchConfig, SiteConfig
from .errors import Problem

if TYPE_CHECKING:
    from .model import Site

log = logging.getLogger(__name__)

BUNDLE_DIR = "pagefind"
"""Where the index and Pagefind's JavaScript go, relative to the output folder."""
# Parts of a note article that are navigation or labels rather than what the note says.
EXCLUDED_SELECTORS = (".toc", ".badges", ".anchor")
TIMEOUT_SECONDS = 600
INSTALL_HINT = ("install it with pip install 'pagefind[extended]', or set enabled = false under "
                "[search] in site.toml")


@dataclass(frozen=True)
class IndexStats:
    """What one indexing run produced, for the build summary and docs/search.md."""

    pages: int
    languages: tuple[str, ...]
    files: int
    bytes: int
    seconds: float


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

    def job(self, site: Site) -> SearchJob | None:
        """The indexing of ``site``'s pages, or None when there is nothing to do."""
        if not self.enabled or not site.notes:
            return None
        return SearchJob(self.executable, note_glob(site.config))

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

    def _warn(self, message: str) -> None:
        if not self.warnings:  # one warning per build is enough to act on
            self.warnings.append(Problem("search", message, warning=True))


class SearchFailed(Exception):
    """Pagefind could not run or did not finish its bundle."""


@dataclass(frozen=True)
class SearchJob:
    """Index the pages of a finished site into a staging folder (picklable: the dev server's
    build worker hands it to the server)."""

    executable: Path
    glob: str

    def run(self, folder: Path, stage: Path,
            started: Callable[[subprocess.Popen], object] | None = None) -> IndexStats:
        """Index ``folder``'s pages into the empty folder ``stage``; raises SearchFailed.
        ``started`` is told the running process (the dev server ends it when it stops)."""
        began = time.perf_counter()
        command = [str(self.executable), "--site", ".", "--output-path", str(stage.resolve()),
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
        if process.returncode != 0 or not (stage / "pagefind.js").is_file():
            raise SearchFailed(f"{self.executable} exited with status {process.returncode}: "
                               f"{_last_lines(err or out)}")
        stats = measure(stage, time.perf_counter() - began)
        log.debug("search: %s", stats)
        return stats


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


def measure(bundle: Path, seconds: float) -> IndexStats:
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    languages = entry.get("languages", {})
    files = [path for path in bundle.rglob("*") if path.is_file()]
    return IndexStats(pages=sum(lang.get("page_count", 0) for lang in languages.values()),
                      languages=tuple(sorted(languages)), files=len(files),
                      bytes=sum(path.stat().st_size for path in files), seconds=seconds)


def _last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[-count:]) or "no message"
