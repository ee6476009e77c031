"""``digestif check``: prove that every link in the built site leads somewhere.

The checker reads the output folder the way a browser and a feed reader would: every ``href``,
``src`` and ``srcset`` of every page, the links and content of every feed and every sitemap URL.
A link inside the site must name a file of the output (percent-decoded, under base_url's path)
and, with a ``#fragment``, an element with that id on the target page. An unresolved
``[[wiki-link]]`` or relative link to a note, which the build turns into ``#<target>``, is
reported as what it is. External links are checked only with ``--external``
(:mod:`digestif.check_external`).

Each problem is reported once as ``page -> target (why)``, prefixed with the note's file and line
when the link came from a note, so the user edits the right line rather than the output.
"""

from __future__ import annotations

import dataclasses
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

from .build import BuildOptions, build, read_notes
from .check_scan import Link, LinkLines, PageScan, scan_output
from .config import SiteConfig, load_config
from .console import Console
from .errors import BuildError, Problems
from .markup import MARKER, NOTE_SUFFIXES, render_markdown
from .model import build_site
from .writer import MARKER_FILE

UNCHECKED_SCHEMES = {"mailto", "tel", "javascript", "data", "sms", "geo", "about", "blob"}
# Per the HTML standard, #top scrolls to the top even without such an element.
IMPLICIT_FRAGMENTS = {"", "top"}
SHOWN_OTHERS = 3
CACHE_DIR = ".digestif-cache"


@dataclass
class LinkProblem:
    """One broken link (or one broken target shared by several pages)."""

    page: str
    target: str
    why: str
    page_line: int | None = None
    source: str | None = None
    """The note the link came from, relative to the site folder, when known."""
    line: int | None = None
    others: list[str] = field(default_factory=list)
    """The other pages and feeds carrying the same broken link."""

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = f"{self.source}:{self.line}: " if self.line else f"{self.source}: "
        page = f"{self.page}:{self.page_line}" if self.page_line and not self.source else self.page
        more = ""
        if len(self.others) > SHOWN_OTHERS:
            more = f"; also on {len(self.others)} other pages"
        elif self.others:
            more = f"; also in {', '.join(self.others)}"
        if not self.target:
            return f"{where}{page}: {self.why}{more}"
        return f"{where}{page} -> {self.target} ({self.why}{more})"


@dataclass(frozen=True)
class CheckOptions:
    build: bool = True
    """False: check the output of the last build as it is."""
    external: bool = False
    out: Path | None = None
    base_url: str | None = None
    drafts: bool = False
    timeout: float = 10.0


@dataclass
class CheckReport:
    pages: int
    links: int
    problems: list[LinkProblem]
    external: dict[str, list[tuple[str, Link]]]
    """External URL -> the (page, link) pairs that use it."""
    lines: LinkLines | None = None
    """Finds the page line of a link (scans carry none)."""


# --- resolving links -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Broken:
    key: str
    """What is broken, the same for every page that links to it (output path + fragment)."""
    why: str
    from_note: bool = False
    """The link can only have come from a note's body (an unresolved note link)."""


class _Resolver:
    """Decides, for one link on one page, whether it leads somewhere in the output."""

    def __init__(self, base_url: str, files: set[str], scans: dict[str, PageScan]):
        base = urlsplit(base_url)
        self.base_url = base_url
        self.scheme, self.host, self.base_path = base.scheme, base.netloc.lower(), base.path or "/"
        self.files, self.scans = files, scans
        self.external: dict[str, list[tuple[str, Link]]] = defaultdict(list)
        self._fine: set[tuple[str, str, bool]] = set()
        """Links known to resolve, by (folder of the page, URL, wiki): a template repeats the
        same links on thousands of pages."""

    def check(self, page: str, link: Link) -> _Broken | None:
        url = link.url
        if url.startswith("#"):  # the commonest link of all, and on this very page
            return self._check_fragment(page, page, unquote(url[1:]), link)
        folder = "" if url.startswith("/") else page.rpartition("/")[0]
        if page == "404.html":
            folder = page  # its relative links are broken, unlike the same links elsewhere
        key = (folder, url, link.wiki)
        if key in self._fine:
            return None
        broken = self._resolve(page, link)
        if broken is None and urlsplit(url).netloc.lower() in ("", self.host):
            self._fine.add(key)  # external URLs are collected page by page, never skipped
        return broken

    def _resolve(self, page: str, link: Link) -> _Broken | None:
        url = link.url
        if url.startswith(MARKER):
            return _Broken(url, "a link marker the build did not resolve (a digestif bug)")
        scheme = urlsplit(url).scheme.lower()
        if scheme in UNCHECKED_SCHEMES or (scheme and scheme not in ("http", "https")):
            return None
        if page == "404.html" and not scheme and not url.startswith(("/", "#")) and url:
            return _Broken(page + " " + url, "relative link on the 404 page, which is served "
                           "at every missing address; use a root-relative URL")
        absolute = urljoin(self.base_url + quote(page), url)
        parts = urlsplit(absolute)
        if parts.netloc.lower() != self.host:
            if parts.scheme in ("http", "https"):
                self.external[parts._replace(fragment="").geturl()].append((page, link))
            return None
        if not parts.path.startswith(self.base_path):
            return _Broken(parts.path, f"outside the site, whose base_url path is "
                           f"{self.base_path}")
        relative = unquote(parts.path[len(self.base_path):])
        target = self._file_for(relative)
        if target is None:
            shown = relative + "index.html" if relative.endswith("/") or not relative \
                else relative
            return _Broken(shown, f"no such file in the output: {shown or 'index.html'}")
        return self._check_fragment(page, target, unquote(parts.fragment), link)

    def _file_for(self, relative: str) -> str | None:
        """The output file serving ``relative``, as GitHub Pages and most servers map it."""
        if relative in self.files:
            return relative
        index = relative + "index.html" if relative.endswith("/") or not relative \
            else relative + "/index.html"
        return index if index in self.files else None

    def _check_fragment(self, page: str, target: str, fragment: str,
                        link: Link) -> _Broken | None:
        scan = self.scans.get(target)
        if fragment in IMPLICIT_FRAGMENTS or fragment.startswith(":~:") or scan is None \
                or not target.endswith(".html") or fragment in scan.ids:
            return None
        key = f"{target}#{fragment}"
        # The build writes an unresolved note link as "#<target>"; in a feed it is absolute.
        if link.wiki:
            return _Broken(key, f"[[{fragment}]] names no note: no note has the slug "
                           f'"{fragment}"', from_note=True)
        if fragment.lower().endswith(NOTE_SUFFIXES):
            return _Broken(key, f"links to {fragment}, which is not a note in content/",
                           from_note=True)
        where = "this page" if target == page else target
        return _Broken(key, f'no element with id "{fragment}" on {where}')


def find_problems(base_url: str, files: set[str], scans: dict[str, PageScan],
                  sources: NoteSources | None = None) -> CheckReport:
    """Check every link of every scanned file; one problem per broken target and note line."""
    resolver = _Resolver(base_url, files, scans)
    lines = LinkLines(scans)
    sources = sources or NoteSources(Path("."), {})
    found: dict[tuple[str, str], list[LinkProblem]] = defaultdict(list)
    problems: list[LinkProblem] = []
    links = 0
    for page, scan in scans.items():
        if scan.error:
            problems.append(LinkProblem(page, "", scan.error))
        for problem in _liquid_problems(page, scan, sources):  # one per note line
            found[(problem.why, "liquid")].append(problem)
        for link in scan.links:
            links += 1
            broken = resolver.check(page, link)
            if broken is not None:
                source, line = sources.locate(page, link, broken)
                found[(broken.key, broken.why)].append(
                    LinkProblem(page, link.url, broken.why, lines(page, link), source, line))
    for occurrences in found.values():
        problems.extend(merge_occurrences(occurrences))
    problems.sort(key=lambda p: (p.source is None, p.source or "", p.line or 0, p.page))
    return CheckReport(len(scans), links, problems, dict(resolver.external), lines)


LIQUID_PROBLEM = "Liquid "


def _liquid_problems(page: str, scan: PageScan, sources: NoteSources) -> list[LinkProblem]:
    problems = []
    for page_line, text in scan.liquid:
        source = sources.page_sources.get(page)
        line = _line_of(sources._text(source), [text]) if source else None
        problems.append(LinkProblem(
            page, "", f"{LIQUID_PROBLEM}'{text}' in the page text: digestif does not run "
            "Liquid; resolve it by hand (docs/importing.md)", page_line, source, line))
    return problems


def merge_occurrences(occurrences: list[LinkProblem]) -> list[LinkProblem]:
    """One problem per note line; pages without a known note fold into the first of them."""
    by_origin: dict[tuple[str | None, int | None], LinkProblem] = {}
    unknown = []
    for problem in occurrences:
        if problem.source is None:
            unknown.append(problem)
            continue
        first = by_origin.setdefault((problem.source, problem.line), problem)
        if first is not problem:
            first.others.append(problem.page)
    unknown.sort(key=lambda p: not p.page.endswith(".html"))  # a page shows it best, not a feed
    if not by_origin and unknown:
        first = unknown.pop(0)
        by_origin[(None, None)] = first
    if unknown:
        next(iter(by_origin.values())).others.extend(p.page for p in unknown)
    return list(by_origin.values())


# --- where a link came from ------------------------------------------------------------------


class NoteSources:
    """Finds the note file and line a link on a note page was written on."""

    def __init__(self, site_dir: Path, page_sources: dict[str, str]):
        self.site_dir = site_dir
        self.page_sources = page_sources
        """Output path of a note page -> the note's file, relative to the site folder."""
        self._texts: dict[str, str] = {}

    def locate(self, page: str, link: Link, broken: _Broken) -> tuple[str | None, int | None]:
        source = self.page_sources.get(page)
        if source is None:
            return None, None
        line = _line_of(self._text(source), _spellings(link.url, broken))
        if line is None and not broken.from_note:
            return None, None  # most likely a link the template wrote, not the note
        return source, line

    def _text(self, source: str) -> str:
        if source not in self._texts:
            try:
                self._texts[source] = (self.site_dir / source).read_text(
                    encoding="utf-8", errors="replace")
            except OSError:
                self._texts[source] = ""
        return self._texts[source]


def _spellings(url: str, broken: _Broken) -> list[str]:
    """How the author may have written the link, most specific first."""
    path, _, fragment = url.partition("#")
    fragment = unquote(fragment)
    spellings = [url, unquote(url)]
    if broken.from_note and fragment:
        spellings += [f"[[{fragment}", fragment.rsplit("/", 1)[-1]]
    written = path.rstrip("/").rsplit("/", 1)[-1]
    names = [n for n in dict.fromkeys((written, unquote(written))) if n and n != "index.html"]
    if fragment:
        spellings += [f"{name}{suffix}#{fragment}" for name in names
                      for suffix in ("", *NOTE_SUFFIXES)]
        spellings.append(f"#{fragment}")
    spellings += [f"{before}{name}" for name in names for before in ("(", "/", "[[", "")]
    return [s for s in spellings if len(s) > 2]


def _line_of(text: str, spellings: list[str]) -> int | None:
    for spelling in spellings:
        offset = text.find(spelling)
        if offset >= 0:
            return text.count("\n", 0, offset) + 1
    return None


def note_sources(config: SiteConfig, drafts: bool) -> dict[str, str]:
    """Output path -> note file for the notes as they are now, without rendering anything.

    A note's URL depends only on its front matter, so empty bodies are enough for the model.
    """
    notes = read_notes(config, Problems(), drafts=drafts)
    bodies = {n.source: render_markdown(dataclasses.replace(n, body="")) for n in notes}
    site = build_site(config, notes, bodies, Problems())
    return {view.path: view.note.source for view in site.notes}


# --- the command -----------------------------------------------------------------------------


def check_output(out_dir: Path, base_url: str, sources: NoteSources | None = None) -> CheckReport:
    """Every internal link problem of the site built into ``out_dir`` for ``base_url``."""
    files, scans = scan_output(out_dir)
    return find_problems(base_url, files, scans, sources)


def run_check(site_dir: Path, options: CheckOptions, console: Console) -> int:
    """Build (unless told not to), check, report; the exit code."""
    try:
        config, page_sources = _prepare(site_dir, options, console)
    except BuildError as exc:  # site.toml's errors (ConfigError) included
        console.problems(exc.problems)
        console.error("the build failed, so nothing was checked")
        return 1
    out_dir = config.output_path
    if not (out_dir / MARKER_FILE).is_file():
        console.error(f"{os.path.relpath(out_dir)} holds no digestif build; run "
                      "'digestif build' first or drop --no-build")
        return 1
    sources = NoteSources(config.site_dir, page_sources)
    report = check_output(out_dir, config.base_url, sources)
    problems = list(report.problems)
    if options.external:
        problems += _check_external(report, config, options, sources, console)
    for problem in problems:
        console.error(str(problem))
    _warn_about_scripts(out_dir, sources, console)
    summary = (f"checked {report.links} links on {report.pages} pages and feeds"
               + (f", {len(report.external)} external URLs" if options.external else ""))
    if problems:
        liquid = sum(1 for p in problems if p.why.startswith(LIQUID_PROBLEM))
        count = len(problems) - liquid
        found = [f"{count} broken link{'s' * (count != 1)}"] if count else []
        found += [f"{liquid} place{'s' * (liquid != 1)} with Liquid left"] if liquid else []
        console.error(f"{summary}: {', '.join(found)}")
        return 1
    console.success(f"{summary}: no broken links")
    return 0


def _warn_about_scripts(out_dir: Path, sources: NoteSources, console: Console) -> None:
    """Raw HTML in notes that runs script (check_scripts): warned about, never a failure."""
    from .check_scripts import script_uses

    for use in script_uses(out_dir, sources.page_sources, sources.site_dir):
        console.warning(str(use))


def _prepare(site_dir: Path, options: CheckOptions,
             console: Console) -> tuple[SiteConfig, dict[str, str]]:
    if options.build:
        result = build(site_dir, BuildOptions(out=options.out, base_url=options.base_url,
                                              drafts=options.drafts), console)
        # Link warnings are reported below as broken links, with their page.
        console.problems(w for w in result.warnings if w.field != "links")
        console.info(f"built {result.notes} notes into {result.pages} pages")
        site = result.site
        pages = {v.path: v.note.source for v in site.notes} if site else {}
        return result.config, pages
    overrides = {"base_url": options.base_url} if options.base_url else {}
    config = load_config(site_dir, overrides)
    if options.out is not None:
        config = dataclasses.replace(config, output_dir=str(options.out.resolve()))
    return config, note_sources(config, options.drafts)


def _check_external(report: CheckReport, config: SiteConfig, options: CheckOptions,
                    sources: NoteSources, console: Console) -> list[LinkProblem]:
    from .check_external import check_urls, summarise

    results = check_urls(sorted(report.external), config.site_dir / CACHE_DIR,
                         timeout=options.timeout)
    problems = []
    for result in results:
        if result.ok:
            continue
        broken = _Broken(result.url, result.why)
        occurrences = []
        for page, link in report.external[result.url]:
            source, line = sources.locate(page, link, broken)
            page_line = report.lines(page, link) if report.lines else link.line
            occurrences.append(LinkProblem(page, link.url, result.why, page_line, source, line))
        for problem in merge_occurrences(occurrences):
            if result.warning:
                console.warning(str(problem))
            else:
                problems.append(problem)
    console.info(summarise(results))
    return problems
