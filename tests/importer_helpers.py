"""Helpers for the importer tests: run ``digestif import`` and read back what it wrote."""

from __future__ import annotations

import argparse
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from digestif.errors import Problems
from digestif.importers import configure_parser, run_import
from digestif.reader import NoteFile, read_note

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"
DIGEST = SEEDS / "001_ai_paper_digest.md"
FEED = SEEDS / "000_litebites_feed.xml"
KOREAN_POST = SEEDS / "002_jekyll_post_ko.md"
ODD_SITE = FIXTURES / "jekyll" / "odd_site"
SITE_TOML = 'title = "Test"\nbase_url = "https://example.org/"\n'


def new_site(folder: Path, toml: str = SITE_TOML) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "site.toml").write_text(toml, encoding="utf-8")
    return folder


def run(kind: str, source: Path | str, site: Path, *options: str) -> int:
    parser = argparse.ArgumentParser()
    configure_parser(parser)
    return run_import(parser.parse_args([kind, str(source), "--into", str(site), *options]))


def notes(site: Path) -> dict[str, Path]:
    """slug -> file, for every note the import wrote."""
    return {path.stem: path for path in sorted((site / "content" / "papers").glob("*.md"))}


def front_matter(path: Path) -> tuple[dict, str]:
    """The note's front matter as plain YAML reads it, and its body."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


def reader_problems(site: Path, path: Path) -> list[str]:
    """What digestif's own reader says about a written note (nothing, if the import is right)."""
    problems = Problems()
    note = read_note(NoteFile(path, path.relative_to(site).as_posix()), ZoneInfo("UTC"),
                     problems)
    assert note is not None, [str(p) for p in problems.items]
    return [str(p) for p in problems.items]
