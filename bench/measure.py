"""Run one build command and measure it: wall time, peak memory, and digestif's stage times.

Used by run.py; no digestif import, so it measures any tool.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.05
# What bench/digestif_build.py prints for each of digestif's build stages (build._stage), and
# what digestif's search module logs after Pagefind ran (its IndexStats, with seconds=).
_STAGE_LINE = re.compile(r"^bench-stage (\S[^:]*): ([0-9.]+) s$", re.MULTILINE)
_SEARCH_LINE = re.compile(r"^bench-search: .*\bseconds=([0-9.]+)", re.MULTILINE)
SEARCH_STAGE = "pagefind (in write)"


@dataclass(frozen=True)
class Sample:
    seconds: float
    largest_kb: int
    """Peak RSS of the largest single process (getrusage via /usr/bin/time or a wrapper)."""
    total_kb: int | None
    """Peak PSS summed over the whole process tree, sampled; None where /proc is missing."""
    load: float
    """The 1-minute load average when the build started: other work skews the time."""
    stages: dict[str, float] = field(default_factory=dict)
    """digestif's seconds per build stage, in build order (empty for other tools)."""


class BuildFailed(RuntimeError):
    pass


def _gnu_time_works() -> bool:
    if not Path("/usr/bin/time").exists():
        return False
    probe = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", os.devnull, "true"],
                           capture_output=True)
    return probe.returncode == 0


# Used where GNU time is missing: a fresh Python whose only child is the build, so
# RUSAGE_CHILDREN is the build's peak and nothing else's.
_RUSAGE_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)
USE_GNU_TIME = _gnu_time_works()


def _with_rss_report(command: list[str], rss_file: Path) -> list[str]:
    if USE_GNU_TIME:
        return ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), *command]
    return [sys.executable, "-c", _RUSAGE_WRAPPER, str(rss_file), *command]


def _child_environment() -> dict[str, str]:
    """This environment, but Python may write its bytecode: a user's install keeps ``.pyc``
    files after the first run (the warm-up's), and a machine that sets
    PYTHONDONTWRITEBYTECODE would otherwise have every timed build of digestif and Pelican
    compile their sources again (about 0.1 s a command for digestif)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(command: list[str], cwd: Path) -> Sample:
    """Run ``command`` in ``cwd`` once; fail loudly if it fails."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        rss_file, log_file = Path(tmp) / "rss", Path(tmp) / "log"
        with log_file.open("wb") as log:
            start = time.perf_counter()
            process = subprocess.Popen(_with_rss_report(command, rss_file), cwd=cwd,
                                       stdout=log, stderr=subprocess.STDOUT,
                                       env=_child_environment())
            watcher = TreeWatcher(process.pid)
            process.wait()
            seconds = time.perf_counter() - start
            total_kb = watcher.stop()
        if process.returncode != 0:
            tail = log_file.read_text(errors="replace")[-3000:]
            raise BuildFailed(f"{' '.join(command)} (in {cwd}) exited with "
                              f"{process.returncode}:\n{tail}")
        # GNU time puts its own notes before the number on failure; the number is last.
        largest_kb = int(rss_file.read_text().split()[-1])
        stages = parse_stages(log_file.read_text(errors="replace"))
    return Sample(seconds, largest_kb, total_kb, load, stages)


def parse_stages(log: str) -> dict[str, float]:
    """Stage name -> seconds from a build's output; a stage logged twice is summed."""
    stages: dict[str, float] = {}
    for name, seconds in _STAGE_LINE.findall(log):
        stages[name] = stages.get(name, 0.0) + float(seconds)
    searched = _SEARCH_LINE.findall(log)
    if searched:
        stages[SEARCH_STAGE] = sum(float(seconds) for seconds in searched)
    return stages


class TreeWatcher:
    """Samples the summed PSS of a process and its descendants in a thread, because digestif
    renders in a process pool and getrusage reports only the largest single process. PSS
    rather than RSS so pages a forked worker shares with its parent count once."""

    def __init__(self, pid: int):
        self.pid, self.peak_kb = pid, 0
        self.available = Path(f"/proc/{pid}/smaps_rollup").exists()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while self.available and not self._done.wait(SAMPLE_SECONDS):
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in _process_tree(self.pid)))

    def stop(self) -> int | None:
        self._done.set()
        self._thread.join()
        return self.peak_kb if self.available else None


def _process_tree(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            # The thread or process may end while we look.
            with contextlib.suppress(OSError, ValueError):
                stack += [int(child) for child in children.read_text().split()]
    return found


def _pss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    match = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0
