"""The build cache on disk: what the previous build learned, so the next one redoes only what
changed.

Kept under ``SITE_DIR/.digestif-cache/`` (ignored by git), one file per set of render settings
(so the dev server's preview URL and the published URL do not evict each other). It holds:

- each note's parsed front matter and rendered body, keyed by a hash of the file's bytes (the
  bodies' HTML in SQLite beside the cache file);
- what each output page read while it was rendered, with the value each input had (see
  :mod:`.record`), so unchanged pages are neither rendered nor written again;
- memoised results of pure stages (related papers, BibTeX entries) keyed by their inputs;
- a fingerprint of every input, for the "nothing changed" short-cut.

The large part is a base file and a delta file: a build writes only what changed since the
base (a one-note edit writes kilobytes, not the whole cache), and folds the delta into a new
base once it holds a tenth of the entries.

The cache is an optimisation only: a missing, stale or unreadable cache means a full build.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from ..digests import fingerprint
from ..errors import Problem
from ..schedule import LeftOut

if TYPE_CHECKING:
    from ..markup import RenderedBody
    from ..note import Note
    from .record import PageRecord

CACHE_DIR = ".digestif-cache"
# Bump when what the cache holds changes shape.
FORMAT = 14
_RENDERING_PACKAGES = ("digestif", "markdown", "pymdown-extensions", "pygments", "math-core",
                       "pyromark", "jinja2")


@dataclass
class CachedNote:
    digest: str
    note: Note | None
    problems: tuple[Problem, ...]
    """What the reader said about the file (re-reported on every build)."""
    body: RenderedBody | None = None
    stored: bool = False
    """The note's Markdown and HTML are in the :class:`BodyStore`; the cache file keeps only
    the rest."""
    detached: bool = False
    """Loaded from the cache file, so ``note.body`` and ``body.html`` are empty here: the
    :class:`BodyStore` has them."""
    front: str = ""
    """A hash of the note's fields but its body (:func:`.record.front_key`), made once per
    parse: whether a list showing the note needs rendering again."""

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        if self.stored and not self.detached and self.note is not None and \
                self.body is not None:
            # The plan publishes the diagram scripts only when some note's Markdown has a
            # mermaid block (build.plan_site): a note with one keeps its Markdown here, or the
            # next build would delete them from under the pages that draw diagrams.
            if "mermaid" not in self.note.body:
                state["note"] = dataclasses.replace(self.note, body="")
            state["body"] = dataclasses.replace(self.body, html="")
        state["detached"] = self.stored
        return state


class BodyStore:
    """Every rendered note's Markdown and HTML, in SQLite beside the cache file. They are nine
    tenths of the cache, and a build needs them only for the few pages it renders again."""

    def __init__(self, path: Path):
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._pid = 0

    def _connect(self) -> sqlite3.Connection:
        # A forked page-render worker reads bodies too: a connection must not cross a fork.
        if self._db is None or self._pid != os.getpid():
            self._pid = os.getpid()
            if not self.path.parent.is_dir():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                _ignore_in_git(self.path.parent)
            # One build at a time uses it, but the dev server builds from more than one thread.
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS bodies "
                             "(key TEXT PRIMARY KEY, markdown TEXT, html TEXT)")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value)")
        return self._db

    @staticmethod
    def key(note: Note) -> str:
        # The source path is part of the key: relative links make the HTML depend on it.
        return f"{note.source}\0{note.digest}"

    def html(self, note: Note) -> str:
        row = self._connect().execute("SELECT html FROM bodies WHERE key = ?",
                                      (self.key(note),)).fetchone()
        return row[0] if row else ""

    def markdown(self, note: Note) -> str:
        row = self._connect().execute("SELECT markdown FROM bodies WHERE key = ?",
                                      (self.key(note),)).fetchone()
        return row[0] if row else ""

    def missing(self, notes: list[Note]) -> set[str]:
        """Sources of the notes whose HTML the store does not have (checked before rendering,
        so a store that lost something costs those notes' Markdown, not a restart)."""
        try:
            have = {row[0] for row in self._connect().execute("SELECT key FROM bodies")}
        except sqlite3.DatabaseError:
            have = set()
        return {note.source for note in notes if self.key(note) not in have}

    def generation(self) -> str:
        try:
            row = self._connect().execute(
                "SELECT value FROM meta WHERE name = 'generation'").fetchone()
        except sqlite3.DatabaseError:
            return ""
        return row[0] if row else ""

    def save(self, entries: list[CachedNote]) -> str:
        """Store these entries' Markdown and HTML; returns the store's new generation, which
        the cache file records so that a store and a cache file of different builds are
        never used together."""
        db = self._connect()
        rows = [(self.key(e.note), e.note.body, e.body.html) for e in entries]
        generation = secrets.token_hex(8)
        with db:
            db.executemany("INSERT OR REPLACE INTO bodies VALUES (?, ?, ?)", rows)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation,))
        return generation

    def add(self, entries: list[CachedNote]) -> None:
        """Store these entries' Markdown and HTML now, leaving the generation as it is: a cold
        build puts each body here as the Markdown stage makes it, so no process holds every
        note's HTML (at 20,000 notes, 0.8 GB as Python strings), and :func:`save_cache`
        vouches for them with a new generation only once the build succeeded. One transaction
        until :meth:`commit`: a commit waits for the disk."""
        self._connect().executemany("INSERT OR REPLACE INTO bodies VALUES (?, ?, ?)",
                                    [(self.key(e.note), e.note.body, e.body.html)
                                     for e in entries])

    def commit(self) -> None:
        self._connect().commit()

    def count(self) -> int:
        return self._connect().execute("SELECT COUNT(*) FROM bodies").fetchone()[0]

    def prune(self, notes: list[Note]) -> None:
        """Forget the bodies of notes that changed or are gone."""
        db = self._connect()
        with db:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key TEXT PRIMARY KEY)")
            db.execute("DELETE FROM keep")
            db.executemany("INSERT OR IGNORE INTO keep VALUES (?)",
                           [(self.key(n),) for n in notes])
            db.execute("DELETE FROM bodies WHERE key NOT IN (SELECT key FROM keep)")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


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
    left_out: LeftOut = field(default_factory=LeftOut)
    """Drafts and future notes the last build left out, and when the next one is due."""
    # --- the rest ----------------------------------------------------------------------
    notes: dict[str, CachedNote] = field(default_factory=dict)
    pages: dict[str, PageRecord] = field(default_factory=dict)
    """Output path -> what rendering it read (pages and feeds)."""
    fragments: dict[tuple, PageRecord] = field(default_factory=dict)
    """(template, page kind, language, note) -> a fragment of a page, with what it read."""
    input_values: dict[tuple, str] = field(default_factory=dict)
    """The value every recorded input had in the last build."""
    memo: dict[str, object] = field(default_factory=dict)
    """Results of pure stages by a fingerprint of their inputs (related papers, BibTeX)."""
    outputs: set[str] = field(default_factory=set)
    """Every path the last build wrote, so an incremental build can remove what is gone."""
    store_generation: str = ""
    """The :class:`BodyStore` generation the stored notes are in."""
    store: BodyStore | None = field(default=None, repr=False, compare=False)
    """Where stored notes' Markdown and HTML are (set when the cache is loaded or saved)."""
    complete: bool = True
    """False while only the manifest is loaded (see :func:`load_rest`)."""
    live: object | None = field(default=None, repr=False, compare=False)
    """The last build's model and plan (:class:`.live.LiveModel`), in memory only: the dev
    server patches it for an edit instead of building it again. Never saved."""
    base: dict | None = field(default=None, repr=False, compare=False)
    """The cache file's base part as it is on disk (see :func:`_save_rest`): the next save
    writes only what differs from it."""


_MANIFEST = ("inputs", "config", "token", "warnings", "counts", "stats", "stats_time",
             "left_out")
_REST = ("notes", "pages", "fragments", "input_values", "memo", "outputs", "store_generation")
# Kept as plain tuples on disk: thousands of named tuples cost a Python call each to pickle.
_RECORDS = ("pages", "fragments")
# The parts of the rest a delta file records entry by entry.
_DICTS = ("notes", "pages", "fragments", "input_values", "memo")
_MISSING = object()
# A delta file with more entries than this share of the base's is folded into a new base: a
# build then reads one file of the size of the site plus a small one.
DELTA_SHARE = 0.1


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
    """Load the large part; if it is missing, unreadable or does not match its body store,
    forget the manifest's claim on the output too, so the build writes everything afresh."""
    if state.complete:
        return
    state.complete = True
    base = _load(cache_path(site_dir, state.settings, "pickle"))
    rest = _with_delta(base, _load(cache_path(site_dir, state.settings, "delta")))
    store = BodyStore(cache_path(site_dir, state.settings, "sqlite"))
    if rest.get("settings") == state.settings and set(_REST) <= rest.keys() and \
            store.generation() == rest["store_generation"]:
        for name in _REST:
            setattr(state, name, rest[name])
        state.notes = dict(rest["notes"])  # shared with the base: unchanged entries are its
        from .record import PageRecord
        for name in _RECORDS:
            setattr(state, name, {key: PageRecord._make(record)
                                  for key, record in rest[name].items()})
        state.store = store
        state.base = base
    else:
        store.close()
        state.token = state.inputs = ""


def _with_delta(base: dict, delta: dict) -> dict:
    """The base file with the changes the delta file records since it was written (a delta
    of another base, or none, leaves the base as it is: the body store's generation then
    tells whether the base alone is still right)."""
    if not base.get("id") or delta.get("base") != base["id"]:
        return base
    rest = dict(base)
    for name in _DICTS:
        changed, gone = delta[name]
        rest[name] = merged = dict(base[name])
        merged.update(changed)
        for key in gone:
            merged.pop(key, None)
    added, removed = delta["outputs"]
    rest["outputs"] = (base["outputs"] | added) - removed
    rest["store_generation"] = delta["store_generation"]
    return rest


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
    try:
        folder = site_dir / CACHE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        _ignore_in_git(folder)
        if not manifest_only:
            _store_bodies(site_dir, state)
            _save_rest(site_dir, state)
            _forget_other_settings(folder, state.settings)
        _write(site_dir, state, "manifest", _MANIFEST)  # last: it vouches for the rest
    except (OSError, sqlite3.Error):
        pass


def _store_bodies(site_dir: Path, state: CacheState) -> None:
    if state.store is None:
        state.store = BodyStore(cache_path(site_dir, state.settings, "sqlite"))
    entries = [e for e in state.notes.values() if e.note is not None and e.body is not None]
    state.store_generation = state.store.save([e for e in entries if not e.stored])
    for entry in entries:
        entry.stored = True
    if state.store.count() > 2 * len(entries) + 100:  # old versions of edited notes
        state.store.prune([e.note for e in entries])


def _write(site_dir: Path, state: CacheState, part: str, names: tuple[str, ...]) -> None:
    data = {"format": FORMAT, "settings": state.settings,
            **{name: getattr(state, name) for name in names}}
    _dump(cache_path(site_dir, state.settings, part), data)


def _dump(path: Path, data: dict) -> None:
    temporary = path.with_suffix(f".tmp{os.getpid()}")
    with temporary.open("wb") as stream:
        pickle.dump(data, stream, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, path)


def _save_rest(site_dir: Path, state: CacheState) -> None:
    """Write what changed since the base file into the delta file, or, when there is no base
    or the delta has grown past a share of it, a new base (and no delta). A one-note edit on
    a 10,000-note site writes a few hundred kilobytes, not the whole cache."""
    delta_path = cache_path(site_dir, state.settings, "delta")
    delta = _delta(state)
    if delta is not None:
        _dump(delta_path, delta)
        return
    data = {"format": FORMAT, "settings": state.settings, "id": secrets.token_hex(8),
            "notes": dict(state.notes),
            **{name: {key: tuple(record) for key, record in getattr(state, name).items()}
               for name in _RECORDS},
            **{name: getattr(state, name) for name in
               ("input_values", "memo", "outputs", "store_generation")}}
    _dump(cache_path(site_dir, state.settings, "pickle"), data)
    delta_path.unlink(missing_ok=True)  # after: an old delta names the old base's id
    state.base = data


def _delta(state: CacheState) -> dict | None:
    """What changed since the base file, in its on-disk form; None when a new base is due."""
    base = state.base
    if not base or not base.get("id"):  # none, or written by a digestif without deltas
        return None
    delta: dict = {"format": FORMAT, "settings": state.settings, "base": base["id"],
                   "store_generation": state.store_generation}
    size = total = 0
    for name in _DICTS:
        old, new = base[name], getattr(state, name)
        if name == "notes":  # an edited note gets a new entry; the others are the base's
            changed = {key: entry for key, entry in new.items() if old.get(key) is not entry}
        else:
            changed = {key: value for key, value in new.items()
                       if old.get(key, _MISSING) != value}
        if name in _RECORDS:
            changed = {key: tuple(record) for key, record in changed.items()}
        gone = [key for key in old if key not in new]
        delta[name] = (changed, gone)
        size, total = size + len(changed) + len(gone), total + len(old)
    added, removed = state.outputs - base["outputs"], base["outputs"] - state.outputs
    delta["outputs"] = (added, removed)
    size, total = size + len(added) + len(removed), total + len(base["outputs"])
    return delta if size <= DELTA_SHARE * total else None


# Caches of other settings (another preview port, an older digestif) are kept this long.
KEEP_OTHER_SETTINGS_SECONDS = 14 * 24 * 3600


def _forget_other_settings(folder: Path, settings: str) -> None:
    """Remove cache files of other settings that no build has used for two weeks."""
    cutoff = time.time() - KEEP_OTHER_SETTINGS_SECONDS
    for path in folder.glob("build-*"):
        if not path.name.startswith(f"build-{settings[:12]}.") and \
                path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _ignore_in_git(folder: Path) -> None:
    marker = folder / ".gitignore"
    if not marker.exists():
        marker.write_text("# Written by digestif; safe to delete.\n*\n", encoding="utf-8")
