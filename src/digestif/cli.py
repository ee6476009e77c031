"""The ``digestif`` command: a thin layer that parses arguments and calls into the stages."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from . import __version__
from .build import BuildOptions, build
from .console import Console
from .errors import BuildError, ConfigError


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "debug", False):
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    elif getattr(args, "verbose", False):
        _show_notes()
    return args.run(args)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (tests and the dev server swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _show_notes() -> None:
    """``-v``: the stages' informational notes (merged spellings, posts left out) on stderr."""
    logger = logging.getLogger("digestif")
    logger.setLevel(logging.INFO)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("note: %(message)s"))
        logger.addHandler(handler)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digestif", description="A static site generator for research-paper digests.")
    parser.add_argument("--version", action="version", version=f"digestif {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for add in (_add_build, _add_import, _add_serve, _add_init, _add_new, _add_check):
        add(commands)
    return parser


def add_site_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments every command that builds shares."""
    parser.add_argument("site_dir", nargs="?", type=Path, default=Path("."), metavar="SITE_DIR",
                        help="the site folder, holding site.toml (default: here)")
    parser.add_argument("--drafts", action="store_true", help="include notes with draft: true")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print notes: merged spellings, posts left out")
    parser.add_argument("--debug", action="store_true", help="log each stage's timing")


def _add_build(commands) -> None:
    parser = commands.add_parser("build", help="build the site into _site/",
                                 description="Build the site in SITE_DIR.")
    add_site_arguments(parser)
    parser.add_argument("--out", type=Path, help="output folder (default: output_dir in "
                        "site.toml, else _site)")
    parser.add_argument("--base-url", help="override base_url, e.g. for a preview deploy")
    parser.add_argument("--strict", action="store_true",
                        help="treat warnings (unknown keys, bad math, broken links) as errors")
    parser.add_argument("--no-cache", dest="use_cache", action="store_false",
                        help="ignore .digestif-cache/ and rebuild everything")
    parser.add_argument("--future", action="store_true",
                        help="include notes dated after now (left out by default)")
    parser.add_argument("--explain", nargs="?", const="", default=None, metavar="PATH",
                        help="say why each page was rendered again (which input it read "
                             "changed); with PATH (papers/lora/, a note's file), why that page "
                             "was or was not. Put it after SITE_DIR")
    parser.set_defaults(run=_run_build)


def _run_build(args: argparse.Namespace) -> int:
    console = Console(quiet=args.quiet)
    options = BuildOptions(out=args.out, base_url=args.base_url, drafts=args.drafts,
                           future=args.future, strict=args.strict, use_cache=args.use_cache,
                           explain=args.explain is not None)
    return run_build(args.site_dir, options, console, args.explain or None)


def run_build(site_dir: Path, options: BuildOptions, console: Console,
              explain_path: str | None = None) -> int:
    """Build and tell the user how it went; the exit code."""
    try:
        result = build(site_dir, options, console)
    except BuildError as exc:  # site.toml's errors (ConfigError) included
        problems = exc.problems
        console.problems(problems, strict=options.strict)
        errors = sum(1 for p in problems if options.strict or not p.warning)
        console.error(f"build failed with {errors} error{'s' * (errors != 1)}; "
                      "the previous output is unchanged")
        return 1
    console.problems(result.warnings)
    if options.explain:
        _explain(result, explain_path)
    output = os.path.relpath(result.config.output_path)
    left_out = result.left_out.summary()
    left_out = f"; {left_out}" if left_out else ""
    if result.unchanged:
        console.success(f"nothing changed since the last build ({result.notes} notes, "
                        f"{result.pages} pages, checked in {result.seconds:.2f} s{left_out}) "
                        f"-> {output}")
    else:
        console.success(f"built {result.notes} notes into {result.pages} pages "
                        f"({result.files} files written) in {result.seconds:.2f} s{left_out}"
                        f"{_math_warnings(result.warnings)} -> {output}")
    return 0


def _math_warnings(warnings: list) -> str:
    count = sum(1 for problem in warnings if problem.field == "math")
    return f", {count} math warning{'s' * (count != 1)}" if count else ""


def _explain(result, path: str | None) -> None:
    """Printed to stdout, even with -q: it is what was asked for."""
    from .incremental.explain import explain
    if result.unchanged:
        print("nothing changed since the last build: no page was rendered again")
        return
    pages_of = {view.note.source: view.path for view in result.site.notes}
    for line in explain(result.explanations, result.cache.pages, path, pages_of):
        print(line)


def _add_check(commands) -> None:
    parser = commands.add_parser(
        "check", help="build, then verify every link, anchor and image of the site",
        description="Build SITE_DIR and verify that every internal link, image and #anchor of "
                    "every page and feed resolves to a file of the output, and that every "
                    "[[wiki-link]] names a note. Exits 1 listing every broken link.")
    add_site_arguments(parser)
    parser.add_argument("--no-build", dest="build", action="store_false",
                        help="check the output of the last build as it is")
    parser.add_argument("--external", action="store_true",
                        help="also ask every external URL (HEAD, then GET); answers are "
                             "cached for a day in .digestif-cache/")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="per-request timeout for --external (default: 10)")
    parser.add_argument("--out", type=Path, help="output folder (default: as for build)")
    parser.add_argument("--base-url", help="the base_url the output was built for")
    parser.set_defaults(run=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    from .check import CheckOptions, run_check

    options = CheckOptions(build=args.build, external=args.external, out=args.out,
                           base_url=args.base_url, drafts=args.drafts, timeout=args.timeout)
    return run_check(args.site_dir, options, Console(quiet=args.quiet))


def _add_import(commands) -> None:
    from .importers import configure_parser, run_import

    parser = commands.add_parser(
        "import", help="import notes from Jekyll, a README digest, a feed or BibTeX",
        description="Turn existing notes into digestif notes under SITE_DIR/content/papers/.")
    configure_parser(parser)
    parser.set_defaults(run=run_import)


def _add_serve(commands) -> None:
    parser = commands.add_parser(
        "serve", help="preview the site, rebuilding and reloading the browser on every save",
        description="Build SITE_DIR into a private folder (not _site/), serve it, and rebuild "
                    "and reload open pages whenever content/, templates/, static/ or site.toml "
                    "change.")
    add_site_arguments(parser)
    parser.add_argument("--port", type=_port, default=8000,
                        help="port to listen on (default: 8000; 0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this computer only; "
                             "0.0.0.0 shares the preview with your network)")
    parser.add_argument("--open", action="store_true", help="open the site in a web browser")
    parser.set_defaults(run=_run_serve)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, found {text!r}")
    return int(text)


def _run_serve(args: argparse.Namespace) -> int:
    from .serve import ServeOptions, serve  # watchfiles loads only for this command

    options = ServeOptions(host=args.host, port=args.port, drafts=args.drafts,
                           open_browser=args.open)
    return serve(args.site_dir, options, Console(quiet=args.quiet))


def _add_init(commands) -> None:
    from .scaffold import DEFAULT_BASE_URL, DEFAULT_TITLE

    parser = commands.add_parser(
        "init", help="create a new site, ready to publish on GitHub Pages",
        description="Create a site in DIR: site.toml, an example note, templates/, static/, "
                    ".gitignore and a GitHub Pages workflow. Existing files are never replaced.")
    parser.add_argument("dir", type=Path, metavar="DIR", help="folder for the new site")
    parser.add_argument("--title", default=DEFAULT_TITLE,
                        help=f"the site's title (default: {DEFAULT_TITLE})")
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL,
                        help="where the site will be published, e.g. "
                             "https://user.github.io/repo/ (the Pages workflow sets it anyway)")
    parser.add_argument("--force", action="store_true",
                        help="add the missing files to a non-empty folder (keeps existing ones)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    parser.set_defaults(run=_run_init)


def _run_init(args: argparse.Namespace) -> int:
    from .scaffold import ScaffoldError, init_site

    console = Console(quiet=args.quiet)
    try:
        result = init_site(args.dir, title=args.title, base_url=args.base_url, force=args.force)
    except ScaffoldError as exc:
        console.error(str(exc))
        return 1
    for path in result.kept:
        console.warning(f"{args.dir / path} already exists; kept it unchanged")
    for path in result.created:
        console.info(f"created {args.dir / path}")
    if not result.created:
        console.success(f"{args.dir} already has every file a new site gets; nothing written")
        return 0
    console.success(f"new site in {args.dir}; next: cd {args.dir} && digestif build "
                    "(docs/publishing.md puts it on GitHub Pages)")
    return 0


def _add_new(commands) -> None:
    parser = commands.add_parser(
        "new", help="start a note for a paper (with --arxiv: title, authors, abstract)",
        description="Create content/papers/<slug>.md with today's date and the given fields. "
                    "With --arxiv, missing fields come from the arXiv API.")
    parser.add_argument("title", nargs="?", default="", metavar="TITLE",
                        help="the paper's title (optional with --arxiv)")
    parser.add_argument("--arxiv", default="", metavar="ID",
                        help="arXiv id or URL, e.g. 2106.09685, to fetch the paper's data")
    parser.add_argument("--category", action="append", default=[], dest="categories",
                        metavar="NAME", help="a category (repeat for more)")
    parser.add_argument("--tag", action="append", default=[], dest="tags", metavar="NAME",
                        help="a tag (repeat for more)")
    parser.add_argument("--venue", default="", help="where it was published, e.g. 'ICLR 2022'")
    parser.add_argument("--slug", default="",
                        help="file name without .md (default: from the title)")
    parser.add_argument("--site", type=Path, default=Path("."), metavar="SITE_DIR",
                        help="the site folder, holding site.toml (default: here)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    parser.set_defaults(run=_run_new)


def _run_new(args: argparse.Namespace) -> int:
    from .scaffold import NoteRequest, ScaffoldError, new_note

    console = Console(quiet=args.quiet)
    request = NoteRequest(title=args.title, arxiv=args.arxiv, categories=tuple(args.categories),
                          tags=tuple(args.tags), venue=args.venue, slug=args.slug)
    try:
        result = new_note(args.site, request)
    except ConfigError as exc:
        console.problems(exc.problems)
        return 1
    except ScaffoldError as exc:
        console.error(str(exc))
        return 1
    if result.arxiv_problem:
        console.warning(f"{result.arxiv_problem}; the note has only what you gave")
    console.success(f"created {os.path.relpath(result.path)}")
    return 0
