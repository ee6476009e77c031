"""``digestif serve``: build into a private folder, serve it, rebuild on every save, and reload
every open tab.

The preview is built into a temporary folder with base_url pointing at the local server (its
path kept, so ``/repo/`` previews as GitHub Pages serves it); the user's ``_site/`` is never
touched. One thread watches the site with watchfiles and calls :meth:`DevServer.rebuild`,
which hands the build to a worker process (``serve_worker``: the server's threads never fork);
the HTTP side (``serve_http``) waits while a build runs, then pages reload through server-sent
events. A failed build keeps the last good site and puts its errors over every page.
"""

from __future__ import annotations

import errno
import functools
import logging
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from .build import BuildOptions, BuildResult
from .config import CONFIG_FILE, load_config
from .console import Console
from .errors import BuildError, Problem
from .search import BUNDLE_DIR, SearchFailed, SearchJob
from .serve_http import LiveSite, PreviewServer
from .serve_worker import BuildRequest, BuildWorker, WorkerGone
from .writer import prepare_generated

log = logging.getLogger(__name__)

# What a change under each top-level name is reported as; anything else in the site folder
# (_site/, .git/, caches) is not watched.
WATCHED_KINDS = {"content": "content", "templates": "templates", "static": "static",
                 "i18n": "templates", CONFIG_FILE: "config"}  # i18n/: the theme's words
# Editors save in bursts (temp file, rename, chmod) a few ms apart: wait this long for quiet
# before building (watchfiles' own default; a save shows between one and two of these later).
SETTLE_MS = 50
WATCHER_READY_SECONDS = 10
# How long Ctrl-C waits for a build in progress to finish before leaving without it.
STOP_WAIT_SECONDS = 1

# A watchfiles change: (watchfiles.Change, absolute path).
Changes = set[tuple[watchfiles.Change, str]]


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    """0 picks a free port."""
    drafts: bool = False
    open_browser: bool = False


class ServeError(Exception):
    """The server cannot start: the port is busy, the host is wrong, the folder is missing."""


def serve(site_dir: Path, options: ServeOptions, console: Console) -> int:
    """Run the dev server until Ctrl-C; the exit code."""
    if not (site_dir / CONFIG_FILE).is_file():
        console.error(f"{CONFIG_FILE} not found in {site_dir}; run `digestif init` to create a "
                      "site, or pass the site folder: digestif serve SITE_DIR")
        return 1
    server = DevServer(site_dir, options, console)
    # `kill` stops the server as cleanly as Ctrl-C does: the temporary folder goes away.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.start()
        console.info(f"serving {server.url} (Ctrl-C to stop)")
        if options.open_browser:
            webbrowser.open(server.url)
        server.wait()
    except ServeError as exc:
        console.error(str(exc))
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        server.stop(wait=STOP_WAIT_SECONDS)
    console.info("stopped")
    return 0


class _LateIndexer:
    """Runs search-index jobs after the pages they index went live. One job runs at a time and
    a newer job replaces one still waiting, so the index always ends up matching the newest
    build. A rebuild does not wait for a running job: Pagefind only reads the pages, which the
    writer replaces whole, one file at a time, and writes into a staging folder outside the
    preview, which the writer swaps in under the lock; a job that raced a rebuild is simply
    followed by the newer one."""

    def __init__(self, stopping: threading.Event):
        self._stopping = stopping
        self._pending: Callable[[], object] | None = None
        self._wake = threading.Condition()

    def submit(self, job: Callable[[], object]) -> None:
        with self._wake:
            self._pending = job
            self._wake.notify()

    def run(self) -> None:
        while not self._stopping.is_set():
            with self._wake:
                self._wake.wait_for(lambda: self._pending is not None, timeout=0.2)
                job, self._pending = self._pending, None
            if job is None:
                continue
            try:
                job()
            except Exception:  # search is a convenience; it must not stop the preview
                log.exception("indexing the preview for search failed")


class DevServer:
    """The preview: ``start()``, then ``url`` serves the site until ``stop()``."""

    def __init__(self, site_dir: Path, options: ServeOptions = ServeOptions(),
                 console: Console | None = None):
        self.site_dir = site_dir.resolve()
        self.options = options
        self.console = console or Console(quiet=True)
        self.workdir = Path(tempfile.mkdtemp(prefix="digestif-serve-"))
        """Private to this server: the preview and the writer's scratch folders."""
        self.output = self.workdir / "site"
        self.live = LiveSite(self.output)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._http: PreviewServer | None = None
        self._serving = False
        self._shown_warnings: set[Problem] = set()
        self._worker: BuildWorker | None = None
        self._indexer = _LateIndexer(self._stopping)
        self._pagefind: subprocess.Popen | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        if not self.site_dir.is_dir():
            raise ServeError(f"{self.site_dir} is not a folder")
        self._http = listen(self.options.host, self.options.port, self.live)
        self._worker = BuildWorker()
        self._start_watching()
        self._spawn(self._indexer.run, "digestif-search-index")
        self.rebuild(set())
        # A short poll keeps Ctrl-C snappy: shutdown() waits for the loop to look.
        self._spawn(self._http.serve_forever, "digestif-http", 0.1)
        self._serving = True

    def wait(self) -> None:
        self._stopping.wait()

    def stop(self, wait: float | None = None) -> bool:
        """Stop serving and watching, end the build worker (a build in progress with it) and
        Pagefind, then delete the preview. Threads get ``wait`` seconds (default: as long as
        they need) to notice; False if one did not."""
        self._stopping.set()
        self.live.stop()
        if self._http is not None:
            if self._serving:
                self._http.shutdown()
            self._http.server_close()
        if self._worker is not None:
            self._worker.stop()
        pagefind = self._pagefind
        if pagefind is not None and pagefind.poll() is None:
            pagefind.kill()
            pagefind.wait()
        for thread in self._threads:
            thread.join(timeout=wait)
        shutil.rmtree(self.workdir, ignore_errors=True)
        return not any(thread.is_alive() for thread in self._threads)

    def __enter__(self) -> DevServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _spawn(self, target: Callable[..., object], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    @property
    def port(self) -> int:
        assert self._http is not None, "start() first"
        return self._http.server_address[1]

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:8000``: where browsers reach this server."""
        host = self.options.host
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The home page of the preview, base_url path included."""
        return self.origin + self.live.base_path

    # --- building -------------------------------------------------------------------------

    def rebuild(self, changes: Changes) -> bool:
        """Build the preview and publish the outcome; requests wait meanwhile. True if it
        succeeded; a failure keeps serving the last good build under an error overlay."""
        started = time.perf_counter()
        with self.live.lock.writing():
            try:
                base_path, result = self._build(changes)
            except WorkerGone:
                if self._stopping.is_set():
                    return False  # stopped mid-build: nothing to say
                errors = (Problem("digestif", "the build worker ended unexpectedly; restart "
                                  "digestif serve, and please report it"),)
                self.live.publish(built=False, problems=errors)
            except BuildError as exc:  # site.toml's errors (ConfigError) included
                errors = tuple(p for p in exc.problems if not p.warning)
                self.live.publish(built=False, problems=errors)
            except Exception as exc:  # a bug must not take the server down with it
                log.exception("build crashed")
                errors = (Problem("digestif", f"the build crashed: {exc!r}; run `digestif "
                                  "serve --debug` to see where, and please report it"),)
                self.live.publish(built=False, problems=errors)
            else:
                moved = self.live.built and base_path != self.live.base_path
                self.live.publish(built=True, base_path=base_path)
                if result.index_search is not None:
                    self._indexer.submit(functools.partial(self._index, result.index_search))
                if not self._stopping.is_set():  # a build Ctrl-C cut short says nothing
                    self._report_success(changes, result, time.perf_counter() - started)
                    if moved:
                        self.console.info(f"base_url's path changed: now serving {self.url}")
                return True
        if not self._stopping.is_set():
            self._report_failure(changes, errors)
        return False

    def _build(self, changes: Changes) -> tuple[str, BuildResult]:
        base_path = load_config(self.site_dir).base_path
        # After the first build, pages go live before search has re-indexed them: an edit
        # shows at once, and search catches up a few seconds later on a large site.
        options = BuildOptions(out=self.output, base_url=self.origin + base_path,
                               drafts=self.options.drafts, search_later=bool(changes),
                               save_later=True)
        # The first build may be long enough for a progress bar; rebuilds print one line.
        progress = not changes and not self.console.quiet
        assert self._worker is not None, "start() first"
        request = BuildRequest(self.site_dir, options, progress, logging.getLogger().level)
        return base_path, self._worker.build(request)

    def _index(self, job: SearchJob) -> None:
        """Index the live pages into the writer's staging folder, then let the writer swap
        the bundle in while requests wait, so none sees half an index."""
        def generate(folder: Path, stage: Path) -> bool:
            try:
                job.run(folder, stage, started=self._track_pagefind)
            except SearchFailed as exc:
                log.warning("the preview's search index failed: %s", exc)
                return False
            return True
        install = prepare_generated(self.output, BUNDLE_DIR, generate)
        with self.live.lock.writing():
            install()

    def _track_pagefind(self, process: subprocess.Popen) -> None:
        """Remember the running Pagefind, so that stop() can end it by its id."""
        self._pagefind = process
        if self._stopping.is_set():
            process.kill()

    def _report_success(self, changes: Changes, result: BuildResult, seconds: float) -> None:
        new_warnings = [w for w in result.warnings if w not in self._shown_warnings]
        self._shown_warnings = set(result.warnings)
        self.console.problems(new_warnings)
        built = f"{result.notes} notes into {result.pages} pages in {seconds:.2f} s"
        if changes:
            self.console.success(f"{describe_changes(changes, self.site_dir)}: rebuilt {built}")
        else:
            self.console.success(f"built {built}")

    def _report_failure(self, changes: Changes, errors: tuple[Problem, ...]) -> None:
        self.console.problems(errors)
        what = f"{describe_changes(changes, self.site_dir)}: " if changes else ""
        count = len(errors)
        self.console.error(f"{what}build failed with {count} error{'s' * (count != 1)}; "
                           "open pages show them until the next good build")

    # --- watching -------------------------------------------------------------------------

    def _start_watching(self) -> None:
        ready = threading.Event()
        self._spawn(self._watch, "digestif-watch", ready)
        if not ready.wait(WATCHER_READY_SECONDS):
            log.warning("the file watcher took over %s s to start", WATCHER_READY_SECONDS)

    def _watch(self, ready: threading.Event) -> None:
        try:
            for changes in watchfiles.watch(
                    self.site_dir, watch_filter=self._is_watched, step=SETTLE_MS,
                    stop_event=_StopSignal(self._stopping, ready), raise_interrupt=False):
                self.rebuild(changes)
        except Exception as exc:
            self.console.error(f"watching {self.site_dir} for changes failed: {exc}; restart "
                               "digestif serve")
        finally:
            ready.set()

    def _is_watched(self, change: watchfiles.Change, path: str) -> bool:
        kind = change_kind(self.site_dir, Path(path))
        return kind is not None and _NOT_EDITOR_NOISE(change, path)


# Drops .git, __pycache__, editor swap and backup files (*.swp, *~) and the like.
_NOT_EDITOR_NOISE = watchfiles.DefaultFilter()


class _StopSignal:
    """What watchfiles polls to know when to stop. Its first poll also tells us the watcher is
    installed, so no save made after ``start()`` returns can be missed."""

    def __init__(self, stop: threading.Event, ready: threading.Event):
        self._stop, self._ready = stop, ready

    def is_set(self) -> bool:
        self._ready.set()
        return self._stop.is_set()


def listen(host: str, port: int, live: LiveSite) -> PreviewServer:
    """Bind the server socket, turning the usual failures into a message for the user."""
    try:
        return PreviewServer((host, port), live)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(f"port {port} on {host} is already in use (is another digestif "
                             "serve running?); stop it or choose another port with --port") \
                from None
        raise ServeError(f"cannot listen on {host} port {port}: {exc.strerror or exc}; "
                         "check --host and --port") from None


def change_kind(site_dir: Path, path: Path) -> str | None:
    """content, templates, static or config for a watched file; None for anything else."""
    try:
        parts = path.relative_to(site_dir).parts
    except ValueError:
        return None
    if not parts or any(part.startswith(".") for part in parts):
        return None
    if parts[0] == CONFIG_FILE and len(parts) > 1:
        return None
    return WATCHED_KINDS.get(parts[0])


def describe_changes(changes: Iterable[tuple[watchfiles.Change, str]], site_dir: Path) -> str:
    """``content/papers/lora.md changed`` or ``3 files changed (content, templates)``."""
    paths = sorted({Path(path) for _, path in changes})
    if len(paths) == 1:
        return f"{paths[0].relative_to(site_dir).as_posix()} changed"
    kinds = sorted({kind for path in paths if (kind := change_kind(site_dir, path))})
    return f"{len(paths)} files changed ({', '.join(kinds)})"
