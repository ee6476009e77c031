"""The build cache: what the previous build learned, so the next one redoes only what changed.

Kept under ``SITE_DIR/.digestif-cache/`` (ignored by git), one file per set of render settings
(so the dev server's preview URL and the published URL do not evict each other). It holds:

- each note's parsed front matter and rendered body, keyed by a hash of the file's bytes;
- a fingerprint of what each output page shows, so unchanged pages are neither rendered nor
  written again;
- the related-papers result, keyed by everything it depends on (every note's tags, categories);
- a fingerprint of every input, for the "nothing changed" short-cut.

The cache is an optimisation only: a missing, stale or unreadable cache means a full build.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .errors import Problem
from .markup import RenderedBody
from .note import Note

CACHE_DIR = ".digestif-cache"
# Bump when the cached data classes change shape (load_cache also checks their fields).
FORMAT = 2
_RENDERING_PACKAGES = ("digestif", "markdown", "pygments", "latex2mathml", "jinja2")


@dataclass
class CachedNote:
    digest: str
    note: Note | None
    problems: tuple[Problem, ...]
    """What the reader said about the file (re-reported on every build)."""
    body: RenderedBody | None = None


@dataclass
class CacheState:
    settings: str
    notes: dict[str, CachedNote] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)
    """Output path -> fingerprint of the data it shows."""
    related: tuple[str, dict[str, tuple[str, ...]]] | None = None
    """(signature of every note's relation keys, source -> related sources)."""
    inputs: str = ""
    """Fingerprint of every input of the last successful build."""
    config: str = ""
    """Fingerprint of the settings of the last build: any change means a full write."""
    token: str = ""
    """Written into the output's marker file: proves the output is the one this state
    describes (a deleted or replaced output means a full build)."""
    outputs: set[str] = field(default_factory=set)
    """Every path the last build wrote, so an incremental build can remove what is gone."""
    warnings: list[Problem] = field(default_factory=list)
    fragments: dict[str, str] = field(default_factory=dict)
    """Text made from one note for a list of every note (digest entries, BibTeX entries)."""
    counts: tuple[int, int] = (0, 0)
    """(notes, pages) of the last build, for the summary of a build that changed nothing."""


class Fragments:
    """Text made from one note for pages that list every note, reused while its key is the
    same, so a one-note edit does not redo thousands of digest or BibTeX entries."""

    def __init__(self, previous: dict[str, str] | None = None):
        self.previous = previous or {}
        self.current: dict[str, str] = {}
        """The fragments this build used: what the cache keeps for the next one."""

    def get(self, key_parts: tuple, make: Callable[[], str]) -> str:
        key = fingerprint(*key_parts)
        text = self.current.get(key)
        if text is None:
            text = self.previous.get(key)
            self.current[key] = text = make() if text is None else text
        return text


def fingerprint(*parts: object) -> str:
    """A short stable hash of ``parts`` (their reprs)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(repr(part).encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def file_digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def settings_fingerprint(*settings: object) -> str:
    """What changes how any note renders: the libraries' versions and the given settings."""
    return fingerprint(FORMAT, [_version(name) for name in _RENDERING_PACKAGES], *settings)


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "?"


def cache_path(site_dir: Path, settings: str) -> Path:
    return site_dir / CACHE_DIR / f"build-{settings[:12]}.pickle"


def load_cache(site_dir: Path, settings: str) -> CacheState:
    """The cached state for these settings, or an empty one."""
    path = cache_path(site_dir, settings)
    try:
        with path.open("rb") as stream:
            state = pickle.load(stream)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
            TypeError, ValueError):
        return CacheState(settings)
    expected = {f.name for f in fields(CacheState)}
    if not isinstance(state, CacheState) or state.settings != settings or \
            not expected <= vars(state).keys():
        return CacheState(settings)
    return state


def save_cache(site_dir: Path, state: CacheState) -> None:
    """Write atomically; a cache that cannot be written only costs speed next time."""
    path = cache_path(site_dir, state.settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _ignore_in_git(path.parent)
        temporary = path.with_suffix(f".tmp{os.getpid()}")
        with temporary.open("wb") as stream:
            pickle.dump(state, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        pass


def _ignore_in_git(folder: Path) -> None:
    marker = folder / ".gitignore"
    if not marker.exists():
        marker.write_text("# Written by digestif; safe to delete.\n*\n", encoding="utf-8")
