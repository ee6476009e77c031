"""The dev server's builds, in a process of their own.

The server has threads (HTTP, the watcher, the search indexer), and forking a process with
threads can copy a lock some other thread holds. Builds fork (Markdown and page rendering use
every core), so they run in one long-lived worker started with ``spawn``: a fresh interpreter
that keeps the build cache in memory between rebuilds. The worker leads its own process group,
so stopping the server ends the worker and everything it started (render workers, Pagefind) in
one signal, even in the middle of a build.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import multiprocessing
import os
import signal
import traceback
from dataclasses import dataclass
from pathlib import Path

from .build import BuildOptions, BuildResult, build
from .config import ConfigError
from .console import Console
from .errors import BuildError
from .incremental.live import index_readers


@dataclass(frozen=True)
class BuildRequest:
    site_dir: Path
    options: BuildOptions
    progress: bool = False
    """Show a progress bar (the first build, on a terminal)."""
    log_level: int = logging.WARNING
    """The server's (``--debug`` logs each stage's timing): a spawned process starts without."""


# How long the worker waits, quiet, after a rebuild before writing the build cache to disk.
SAVE_AFTER_SECONDS = 1.0


class WorkerGone(Exception):
    """The build worker ended (the server is stopping, or it crashed)."""


class BuildWorker:
    """Sends build requests to the worker process and returns what each build gave."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, theirs = context.Pipe()
        # Not a daemon: a daemonic process may not start children, and a build of 200 notes
        # or more renders Markdown in a process pool. stop() ends it, and it ends by itself
        # when the server's end of the pipe closes.
        self._process = context.Process(target=_serve_builds, args=(theirs,),
                                        name="digestif-build", daemon=False)
        self._process.start()
        theirs.close()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def build(self, request: BuildRequest) -> BuildResult:
        """The build's result without its model and cache (they stay in the worker); raises
        BuildError as a build in this process would, WorkerGone if the worker ended."""
        try:
            self._connection.send(request)
            kind, value = self._connection.recv()
        except (EOFError, OSError) as exc:
            raise WorkerGone(str(exc)) from None
        if kind == "errors":
            raise BuildError(value)
        if kind == "crash":
            raise RuntimeError(value)
        return value

    def stop(self) -> None:
        """End the worker and its whole process group at once, mid-build or not."""
        if self._process.pid is not None and self._process.is_alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGKILL)
        self._process.join(5)
        self._connection.close()


def _serve_builds(connection) -> None:
    """The worker's loop: one build per request, the cache kept for the next one."""
    os.setpgid(0, 0)  # its own group: the server ends it, and all it started, in one kill
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    cache, save = None, None
    while True:
        try:
            request: BuildRequest = connection.recv()
        except (EOFError, OSError):
            return
        if logging.getLogger().level != request.log_level:
            logging.basicConfig(level=request.log_level, format="%(name)s: %(message)s")
            logging.getLogger().setLevel(request.log_level)
        save = None  # a failed build saves nothing, as on the command line
        try:
            console = Console(quiet=not request.progress)
            result = build(request.site_dir, request.options, console, cache)
            cache, save = result.cache, result.save_cache
            answer = ("built", dataclasses.replace(result, site=None, cache=None,
                                                   save_cache=None))
        except BuildError as exc:
            answer = ("errors", list(exc.problems))
        except ConfigError as exc:
            answer = ("errors", list(exc.problems.items))
        except Exception as exc:  # reported by the server as a crash, with where it happened
            answer = ("crash", f"{exc!r}\n{traceback.format_exc()}")
        connection.send(answer)
        # The cache is saved once the browser has had its moment: saving at once competes for
        # the CPU with the reload (300 ms of pickling at 10,000 notes). A save put off by the
        # next request is made by the build after it, which saves everything this one did
        # (the body store and the records are cumulative).
        if save is not None and not connection.poll(SAVE_AFTER_SECONDS):
            _quietly(save)
            if not connection.poll(0):
                _quietly(functools.partial(index_readers, cache))


def _quietly(work) -> None:
    """Work done between builds (saving the cache, indexing it): a failure there only costs
    speed next time, and must not end the worker."""
    try:
        work()
    except Exception:
        logging.getLogger(__name__).exception("work between builds failed")


__all__ = ["BuildRequest", "BuildWorker", "WorkerGone"]
