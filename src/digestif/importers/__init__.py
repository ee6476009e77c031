"""``digestif import KIND SOURCE``: turn existing notes (a Jekyll site, a README digest, an
Atom/RSS feed, a BibTeX file) into digestif notes under ``SITE_DIR/content/papers/``.

Each kind's module reads its source into a :class:`~.common.Batch` of drafts and problems;
:func:`~.writing.write_batch` writes them with the same duplicate, ``--force`` and ``--dry-run``
rules for every kind.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ..config import CONFIG_FILE, ConfigError, load_config
from ..console import Console

if TYPE_CHECKING:
    from .common import Batch, Context

__all__ = ["configure_parser", "run_import"]

KINDS = {
    "jekyll": "a Jekyll site, its _posts/ folder, or one post",
    "digest": "a README-style list of papers in blockquotes",
    "feed": "an Atom or RSS feed, as a file or URL",
    "bibtex": "a BibTeX file, one note per entry",
    "arxiv": "arXiv ids (one or more), fetched in one call to the arXiv API",
    "hf": "a Hugging Face Daily Papers listing: its JSON file, or a date YYYY-MM-DD",
}
# Kinds that take several SOURCEs; the others take exactly one.
MANY_SOURCES = {"arxiv"}


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the import command's arguments to ``parser``."""
    kinds = "; ".join(f"{kind}: {what}" for kind, what in KINDS.items())
    parser.add_argument("kind", choices=list(KINDS), metavar="KIND", help=f"one of: {kinds}")
    parser.add_argument("source", metavar="SOURCE",
                        help="the folder, file or URL to import (arxiv: one or more ids)")
    parser.add_argument("more_sources", metavar="SOURCE", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--into", type=Path, default=Path("."), metavar="SITE_DIR",
                        help="the site to import into (default: here)")
    parser.add_argument("--force", action="store_true",
                        help="replace notes already in the site instead of skipping them")
    parser.add_argument("--merge", action="store_true",
                        help="add to a note already in the site about the same paper what this "
                             "source adds (venue, task, links, bullets) instead of skipping it")
    parser.add_argument("--dry-run", action="store_true",
                        help="print what would be written and write nothing")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")


def run_import(args: argparse.Namespace) -> int:
    """Import, report every note written, skipped or failed; 1 if any entry failed."""
    # Imported here, not at the top: every digestif command builds this parser.
    from .common import NOTES_DIR, shown
    from .writing import write_batch

    console = Console(quiet=args.quiet)
    sources = [args.source, *getattr(args, "more_sources", [])]
    if args.kind not in MANY_SOURCES and len(sources) != 1:
        console.error(f"import {args.kind}: expected one SOURCE, found {len(sources)}")
        return 1
    context = _context(args.into, console)
    if context is None:
        return 1
    batch = _reader(args.kind)(sources if args.kind in MANY_SOURCES else args.source, context)
    for file, why in batch.skipped:
        if why != "-":
            console.info(f"skipped {file}: {why}")
    outcome = write_batch(batch, context, console, force=args.force, dry_run=args.dry_run,
                          merge=args.merge)
    outcome.skipped += len(batch.skipped)
    if batch.settings and outcome.written:
        from .jekyll_site import apply_settings
        apply_settings(context.site_dir, batch.settings, console, args.dry_run)
    console.problems(batch.problems.items)
    failed = len(batch.problems.errors)
    verb = "would import" if args.dry_run else "imported"
    summary = (f"{verb} {outcome.written} note{'s' * (outcome.written != 1)} into "
               f"{shown(context.site_dir / NOTES_DIR)}; "
               + (f"{outcome.merged} merged, " if outcome.merged else "")
               + f"{outcome.skipped} skipped, {failed} failed")
    if args.dry_run:
        summary += " (dry run: nothing was written)"
    if failed:
        console.error(summary)
        return 1
    console.success(summary)
    return 0


def _context(site_dir: Path, console: Console) -> Context | None:
    """Time zone and language from the site's site.toml; defaults when there is none yet."""
    from .common import Context

    if not (site_dir / CONFIG_FILE).is_file():
        return Context(site_dir, ZoneInfo("UTC"))
    try:
        config = load_config(site_dir)
    except ConfigError as exc:
        console.problems(exc.problems)
        console.error(f"fix {CONFIG_FILE} first: the import needs its time zone and language")
        return None
    return Context(site_dir, config.tz, config.language)


def _reader(kind: str) -> Callable[..., Batch]:
    # Imported on use: each kind pulls in its own parser library.
    if kind == "jekyll":
        from .jekyll import read_jekyll
        return read_jekyll
    if kind == "digest":
        from .digest import read_digest
        return read_digest
    if kind == "feed":
        from .feed import read_feed
        return read_feed
    if kind == "arxiv":
        from .arxiv import read_arxiv
        return read_arxiv
    if kind == "hf":
        from .hf import read_hf
        return read_hf
    from .bibtex import read_bibtex
    return read_bibtex
