"""The benchmark's results as Markdown: the timing table, digestif's stage profile per engine,
and issue 19's targets met or missed."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from dataclasses import dataclass, field

from measure import SAMPLE_SECONDS, Sample

HUGO = "Hugo"


@dataclass
class Row:
    size: int
    tool: str
    build: str
    samples: list[Sample] = field(default_factory=list)
    files: int | None = None
    echo: bool = True
    """Print each run as it is measured (not for the untimed warm-up builds)."""

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def peak_pss_kb(self) -> int | None:
        totals = [s.total_kb for s in self.samples if s.total_kb is not None]
        return max(totals) if totals else None

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)
        if self.echo:
                print(f"  {self.size:>6} {self.tool:<26} {self.build:<20} run "
                  f"{len(self.samples)}: {sample.seconds:.2f} s", flush=True)


def _hugo_medians(rows: list[Row]) -> dict[int, float]:
    return {row.size: row.median for row in rows if row.tool == HUGO and row.build == "cold"}


def format_table(rows: list[Row]) -> str:
    hugo = _hugo_medians(rows)
    lines = [
        "| notes | tool | build | median | runs (s) | × Hugo | peak RSS, largest process "
        "| peak PSS, all processes | files | max load |",
        "|---:|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        runs = " / ".join(f"{s.seconds:.2f}" for s in row.samples)
        ratio = f"{row.median / hugo[row.size]:.2f}×" if row.size in hugo else "–"
        largest = max(s.largest_kb for s in row.samples)
        total = "–" if row.peak_pss_kb is None else f"{row.peak_pss_kb / 1024:.0f} MB"
        files = "" if row.files is None else f"{row.files:,}"
        load = max(s.load for s in row.samples)
        lines.append(f"| {row.size:,} | {row.tool} | {row.build} | {row.median:.2f} s | {runs} "
                     f"| {ratio} | {largest / 1024:.0f} MB | {total} | {files} | {load:.1f} |")
    return "\n".join(lines)


OTHER = "other"
"""Wall time outside every stage: Python start-up and imports, reading site.toml, the cache."""


def stage_medians(row: Row) -> dict[str, float]:
    """Median seconds per stage over the row's runs, in build order, plus ``other``."""
    names: dict[str, None] = {}
    for sample in row.samples:
        names.update(dict.fromkeys(sample.stages))
    medians = {name: statistics.median(s.stages.get(name, 0.0) for s in row.samples)
               for name in names}
    # Pagefind runs inside the write stage, so it is not subtracted a second time.
    inside = {name for name in names if "(in " in name}
    medians[OTHER] = statistics.median(
        s.seconds - sum(v for k, v in s.stages.items() if k not in inside) for s in row.samples)
    return medians


def format_stages(rows: list[Row]) -> str:
    """digestif's builds (all but the no-change one, which stops after reading) with their
    median seconds per stage; empty when no build logged stages."""
    profiled = [row for row in rows if row.tool.startswith("digestif") and
                row.build != "no change" and any(s.stages for s in row.samples)]
    if not profiled:
        return ""
    medians = {id(row): stage_medians(row) for row in profiled}
    names: dict[str, None] = {}
    for values in medians.values():
        names.update(dict.fromkeys(name for name in values if name != OTHER))
    columns = [*names, OTHER]
    lines = ["| notes | tool | build | " + " | ".join(columns) + " | total |",
             "|---:|---|---|" + "---:|" * (len(columns) + 1)]
    for row in profiled:
        values = medians[id(row)]
        cells = [f"{values[name]:.2f}" if name in values else "–" for name in columns]
        lines.append(f"| {row.size:,} | {row.tool} | {row.build} | " + " | ".join(cells) +
                     f" | {row.median:.2f} |")
    return "\n".join(lines)


# Issue 19's targets: (what, notes, tool prefix, build, limit, unit) with unit "× Hugo", "s"
# or "MB" (peak PSS).
TARGETS = [
    ("cold, commonmark", 1000, "digestif (commonmark)", "cold", 1.0, "× Hugo"),
    ("cold, commonmark", 10000, "digestif (commonmark)", "cold", 1.0, "× Hugo"),
    ("cold, default engine", 1000, "digestif (python-markdown)", "cold", 1.5, "× Hugo"),
    ("no change", 10000, "digestif", "no change", 0.05, "× Hugo"),
    ("one edit, search off", 1000, "digestif", "one edit", 0.4, "s"),
    ("one edit, search off", 10000, "digestif", "one edit", 1.0, "s"),
    ("one edit, search on", 1000, "digestif", "one edit, search on", 1.0, "s"),
    ("cold, commonmark", 20000, "digestif (commonmark)", "cold", 60.0, "s"),
    ("cold, commonmark, peak PSS", 20000, "digestif (commonmark)", "cold", 1024, "MB"),
]


def format_targets(rows: list[Row], search_everywhere: bool = False) -> str:
    """One line per target and matching row measured; the rows not measured are left out
    (and the search-off edit targets when every build had search on)."""
    hugo = _hugo_medians(rows)
    lines = ["| target | notes | tool | measured | limit | met |", "|---|---:|---|---:|---:|---|"]
    for what, size, tool, build, limit, unit in TARGETS:
        if search_everywhere and "search off" in what:
            continue
        for row in rows:
            if row.size != size or row.build != build or not row.tool.startswith(tool):
                continue
            if unit == "× Hugo":
                if size not in hugo:
                    continue
                value, shown = row.median / hugo[size], f"{row.median / hugo[size]:.2f}×"
            elif unit == "MB":
                if row.peak_pss_kb is None:
                    continue
                value = row.peak_pss_kb / 1024
                shown = f"{value:.0f} MB"
            else:
                value, shown = row.median, f"{row.median:.2f} s"
            limit_text = f"{limit:g}×" if unit == "× Hugo" else f"{limit:g} {unit}"
            met = "yes" if value <= limit else f"no, by {value / limit - 1:.0%}"
            lines.append(f"| {what} | {size:,} | {row.tool} | {shown} | ≤ {limit_text} | "
                         f"{met} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def _search_note(args: argparse.Namespace) -> str:
    if args.digestif_search:
        return "built in every build"
    if getattr(args, "search_edit", False):
        return "off except in the rows marked search on, whose cold build ran once"
    return "off"


def format_report(rows: list[Row], versions: dict[str, str], args: argparse.Namespace,
                  argv: list[str]) -> str:
    command = "python bench/run.py " + " ".join(argv)
    names = ", ".join(f"{name} {v}" for name, v in versions.items())
    runs = ", ".join(f"{count} at {size:,}" for size, count in args.runs.items())
    engine_note = "" if args.engine_key else (
        " This digestif has no `[markdown] engine` key, so python-markdown ran without it.")
    parts = [
        f"Command: `{command}`",
        "",
        f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; {names}.",
        "",
        format_table(rows),
        "",
        f"Median of the runs (runs per size: {runs}). × Hugo divides by Hugo's cold median at "
        "the same size (Hugo has no incremental build to compare with). Peak RSS is the largest "
        "single process (getrusage); peak PSS sums every process of the build, sampled every "
        f"{SAMPLE_SECONDS * 1000:.0f} ms. Files counts what the first cold build wrote; max "
        "load is the highest 1-minute load average at the start of a run. digestif's Pagefind "
        f"search index was {_search_note(args)}.{engine_note}",
    ]
    stages = format_stages(rows)
    if stages:
        parts += ["", "digestif's stages (median seconds; `other` is start-up, imports, "
                  "site.toml and the cache, outside every stage; Pagefind runs inside write):",
                  "", stages]
    targets = format_targets(rows, args.digestif_search)
    if targets:
        parts += ["", "Issue 19's targets:", "", targets]
    return "\n".join(parts) + "\n"
