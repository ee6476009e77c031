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
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Problem

if TYPE_CHECKING:
    from .markup import RenderedBody
    from .note import Note

CACHE_DIR = ".digestif-cache"
# Bump when what the cache holds changes shape.
FORMAT = 3
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
    """What one build leaves for the next. The small "manifest" fields are read on every
    build; the large ones (every note's parse and HTML) only when something changed."""

    settings: str
    # --- the manifest -------------------------------------------------------------------
    inputs: str = ""
    """Fingerprint of every input of the last successful build."""
    config: str = ""
    """Fingerprint of the settings of the last build: any change means a full write."""
    token: str = ""
    """Written into the output's marker file: proves the output is the one this state
    describes (a deleted or replaced output means a full build)."""
    warnings: list[Problem] = field(default_factory=list)
    counts: tuple[int, int] = (0, 0)
    """(notes, pages) of the last build, for the summary of a build that changed nothing."""
    stats: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    """Note file -> (size, modification time in ns, digest): a file whose size and time are
    unchanged is not read again (git's index does the same)."""
    stats_time: int = 0
    """When ``stats`` was recorded (ns); files modified since then are read anyway."""
    # --- the rest ----------------------------------------------------------------------
    notes: dict[str, CachedNote] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)
    """Output path -> fingerprint of the data it shows."""
    related: tuple[str, dict[str, tuple[str, ...]]] | None = None
    """(signature of every note's relation keys, source -> related sources)."""
    outputs: set[str] = field(default_factory=set)
    """Every path the last build wrote, so an incremental build can remove what is gone."""
    fragments: dict[str, str] = field(default_factory=dict)
    """Text made from one note for a list of every note (digest entries, BibTeX entries)."""
    complete: bool = True
    """False while only the manifest is loaded (see :func:`load_rest`)."""


_MANIFEST = ("inputs", "config", "token", "warnings", "counts", "stats", "stats_time")
_REST = ("notes", "pages", "related", "outputs", "fragments")


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
    """A short stable hash of ``parts`` (strings as they are, anything else by its repr)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        text = part if isinstance(part, str) else repr(part)
        digest.update(text.encode("utf-8", "surrogatepass"))
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


def cache_path(site_dir: Path, settings: str, part: str) -> Path:
    return site_dir / CACHE_DIR / f"build-{settings[:12]}.{part}"


def load_cache(site_dir: Path, settings: str) -> CacheState:
    """The manifest cached for these settings (or an empty state); :func:`load_rest` adds
    the rest when the build needs it."""
    manifest = _load(cache_path(site_dir, settings, "manifest"))
    if manifest.get("settings") != settings or not set(_MANIFEST) <= manifest.keys():
        return CacheState(settings)
    return CacheState(settings, **{name: manifest[name] for name in _MANIFEST}, complete=False)


def load_rest(site_dir: Path, state: CacheState) -> None:
    """Load the large part; if it is missing or unreadable, forget the manifest's claim on the
    output too, so the build writes everything afresh."""
    if state.complete:
        return
    rest = _load(cache_path(site_dir, state.settings, "pickle"))
    if rest.get("settings") == state.settings and set(_REST) <= rest.keys():
        for name in _REST:
            setattr(state, name, rest[name])
    else:
        state.token = state.inputs = ""
    state.complete = True


def _load(path: Path) -> dict:
    try:
        with path.open("rb") as stream:
            data = pickle.load(stream)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
            TypeError, ValueError, IndexError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == FORMAT else {}


def save_cache(site_dir: Path, state: CacheState, manifest_only: bool = False) -> None:
    """Write atomically; a cache that cannot be written only costs speed next time."""
    parts = [("manifest", _MANIFEST)] if manifest_only else [("pickle", _REST),
                                                             ("manifest", _MANIFEST)]
    try:
        for part, names in parts:  # the manifest last: it vouches for the rest
            path = cache_path(site_dir, state.settings, part)
            path.parent.mkdir(parents=True, exist_ok=True)
            _ignore_in_git(path.parent)
            data = {"format": FORMAT, "settings": state.settings,
                    **{name: getattr(state, name) for name in names}}
            temporary = path.with_suffix(f".tmp{os.getpid()}")
            with temporary.open("wb") as stream:
                pickle.dump(data, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
    except OSError:
        pass


def _ignore_in_git(folder: Path) -> None:
    marker = folder / ".gitignore"
    if not marker.exists():
        marker.write_text("# Written by digestif; safe to delete.\n*\n", encoding="utf-8")
