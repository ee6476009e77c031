"""The incremental layer: wraps the pure stages so a rebuild redoes only what changed.

:class:`Incremental` is what :func:`digestif.build.build` calls around each stage: it stats and
hashes note files (trusting unchanged sizes and times), reuses the parse and the Markdown of
files whose bytes are unchanged, memoises pure results (related papers, BibTeX entries), and
renders only pages and feeds whose recorded inputs (:mod:`.record`) changed. It also says why a
page was rendered again (``digestif build --explain``). Nothing here decides what a page
contains; the stages know nothing of it.

The dev server goes further (:meth:`Incremental.reuse_model`). Its worker keeps the cache state
in memory, and on it (``CacheState.live``, never saved) the last build's site model, page jobs,
feed specs and output plan (:class:`.live.LiveModel`). When an edit leaves the same notes with
the same *shape* (front matter but the title and summary, reading time, links, files beside
it: what the model's structure and the plan are made from) and nothing but notes changed
(settings, options, templates, static files: the *frame*), the edited notes' views get their
new note, body, title and summary in place, and the jobs, feeds and plan are reused (the
edited note's own page gets its new title and description). The pages to render again are
then looked up in an inverted index, input -> outputs that read it (:class:`.record.Readers`),
for the inputs that may have changed: the edited notes', the site-wide ones (terms, lists,
templates) and the BibTeX keys, not compared over every note and every page. Anything else
takes the full path.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..digests import file_digest, fingerprint
from ..errors import Problem, Problems
from ..reader import NoteFile
from ..schedule import LeftOut
from .store import (
    CACHE_DIR,
    CachedNote,
    CacheState,
    load_cache,
    load_rest,
    save_cache,
    settings_fingerprint,
)

if TYPE_CHECKING:
    import jinja2

    from ..config import SiteConfig
    from ..feeds import FeedSpec
    from ..markup import RenderedBody
    from ..model import Site
    from ..note import Note
    from ..render import PageJob
    from ..scholarly import Scholarly
    from .live import LiveModel
    from .record import Input, PageRecord, Recorder
    from .store import BodyStore

log = logging.getLogger(__name__)

# Files modified this close to when their hash was recorded may have changed again within the
# file system's time resolution (a second or two on some), so they are read anyway.
RACY_NS = 2_000_000_000
# A build rendering this many notes' Markdown puts each body's HTML in the body store as it is
# made, in batches of STORE_BATCH, instead of holding them all (0.8 GB at 20,000 notes).
STORE_EARLY_NOTES = 500
STORE_BATCH = 256


@dataclass
class Source:
    """A note file found on disk, with the hash of its bytes. Its bytes are read only when the
    cache cannot vouch for them, and parsed only when they changed."""

    file: NoteFile
    digest: str
    stat: tuple[int, int]
    """(size, modification time in ns) when it was hashed."""
    raw: bytes | None = None

    def read(self) -> bytes:
        if self.raw is None:
            self.raw = self.file.path.read_bytes()
        return self.raw


class StoredBody:
    """A rendered body whose HTML stays in the body store until a page reads it. The other
    fields are copied in: the model reads them for every note on every build."""

    __slots__ = ("_body", "_store", "_note", "_html", "toc", "first_paragraph", "words",
                 "assets", "links", "problems")

    def __init__(self, body: RenderedBody, store: BodyStore | None, note: Note):
        self._body, self._store, self._note, self._html = body, store, note, None
        self.toc, self.first_paragraph, self.words = body.toc, body.first_paragraph, body.words
        self.assets, self.links, self.problems = body.assets, body.links, body.problems

    def __getattr__(self, name: str):  # fields added to RenderedBody later
        return getattr(self._body, name)

    def forget(self) -> None:
        """Drop the HTML read from the store (read again if asked for)."""
        self._html = None

    @property
    def html(self) -> str:
        if self._html is None:
            self._html = self._store.html(self._note) if self._store is not None else ""
        return self._html

    @property
    def markdown(self) -> str:
        """The note's Markdown, which a note loaded from the cache file does not hold (a
        template may show ``note.note.body``)."""
        return self._store.markdown(self._note) if self._store is not None else ""


class Incremental:
    """One build's view of the previous one. ``use_cache=False`` makes every step a plain call."""

    def __init__(self, config: SiteConfig, use_cache: bool, state: CacheState | None = None):
        self.config, self.use_cache = config, use_cache
        settings = settings_fingerprint(config.timezone, config.base_url, config.markdown)
        if not use_cache:
            self.state = CacheState(settings)
        elif state is not None and state.settings == settings:
            self.state = state
        else:
            self.state = load_cache(config.site_dir, settings)
        self.memo_now: dict[str, object] = {}
        self.inputs = ""
        self.explanations: dict[str, list[str]] = {}
        self.rendered = 0
        """Pages and feeds this build rendered."""
        self._output_token = ""
        self._stats_changed = False
        self.patched: set[str] | None = None
        """Notes whose views :meth:`reuse_model` patched in place (None: the model was built)."""
        self._live: LiveModel | None = None
        self._readers = None

    # --- reading ------------------------------------------------------------------------

    def sources(self, files: Iterable[NoteFile], problems: Problems) -> list[Source]:
        """Every note file with the hash of its bytes; files whose size and modification time
        the cache recorded long enough ago are not read (git's index does the same)."""
        state, started_ns = self.state, _now_ns()
        known, trusted_before = state.stats, state.stats_time - RACY_NS
        sources = []
        for file in files:
            try:
                info = os.stat(file.path)
                stat = (info.st_size, info.st_mtime_ns)
                cached = known.get(file.source)
                if cached and cached[:2] == stat and stat[1] < trusted_before:
                    sources.append(Source(file, cached[2], stat))
                    continue
                raw = file.path.read_bytes()
            except OSError as exc:
                problems.error(file.source, f"cannot be read: {exc.strerror}")
                continue
            sources.append(Source(file, file_digest(raw), stat, raw))
        stats = {s.file.source: (*s.stat, s.digest) for s in sources}
        self._stats_changed = stats != state.stats
        state.stats, state.stats_time = stats, started_ns
        return sources

    def unchanged(self, inputs: str, output_token: str, problems: Problems) -> bool:
        """Nothing the site is made from changed and the output is the one the cache knows."""
        self.inputs, self._output_token = inputs, output_token
        state = self.state
        same = not problems.errors and bool(state.token) and state.inputs == inputs and \
            output_token == state.token
        if same and self._stats_changed and self.use_cache:
            save_cache(self.config.site_dir, state, manifest_only=True)
        return same

    def parse(self, sources: list[Source], parse: Callable[[NoteFile, bytes, Problems, str], Note],
              problems: Problems, drafts: bool) -> list[Note]:
        """Notes from their bytes, reusing the cache's parse of files whose bytes did not change
        (and whose HTML the body store still has)."""
        state = self.state
        # The cache is hundreds of thousands of long-lived objects. Unpickling them with the
        # cyclic garbage collector on runs a collection every few hundred objects, each walking
        # what was loaded so far (two thirds of the loading time at 10,000 notes); frozen once
        # loaded, no later collection of the build walks them again.
        enabled = gc.isenabled()
        gc.disable()
        try:
            load_rest(self.config.site_dir, state)
        finally:
            if enabled:
                gc.enable()
        gc.freeze()
        lost = self._lost_bodies()
        entries: dict[str, CachedNote] = {}
        for source in sources:
            entry = state.notes.get(source.file.source)
            if entry is None or entry.digest != source.digest or source.file.source in lost:
                found = Problems()
                note = parse(source.file, source.read(), found, source.digest)
                entry = CachedNote(source.digest, note, tuple(found.items))
            entries[source.file.source] = entry
            problems.extend(list(entry.problems))
        state.notes = entries  # files that are gone leave the cache too
        return [e.note for e in entries.values() if e.note and (drafts or not e.note.draft)]

    def _lost_bodies(self) -> set[str]:
        detached = [e.note for e in self.state.notes.values()
                    if e.detached and e.note is not None]
        if not detached:
            return set()
        store = self.state.store
        lost = store.missing(detached) if store is not None else {n.source for n in detached}
        if lost:
            log.warning("the build cache was incomplete; rendering %d notes again", len(lost))
        return lost

    def markdown(self, notes: list[Note], render_all: Callable[[list[Note]], Iterable]
                 ) -> dict[str, RenderedBody]:
        """Bodies of every note, rendering (with ``render_all``) only those not cached."""
        entries = self.state.notes
        missing = [n for n in notes if entries[n.source].body is None]
        store = self._early_store(len(missing))
        if store is None or not self._store_as_made(store, missing, render_all(missing)):
            for note, body in zip(missing, render_all(missing), strict=True):
                entries[note.source].body = body
        return {n.source: self._body(entries[n.source]) for n in notes}

    def _early_store(self, rendering: int) -> BodyStore | None:
        """Where a build rendering many notes puts their HTML as it comes (None: kept in
        memory): the body store the cache saves them to anyway."""
        if not self.use_cache or rendering < STORE_EARLY_NOTES:
            return None
        from .store import BodyStore, cache_path
        if self.state.store is None:
            self.state.store = BodyStore(cache_path(self.config.site_dir, self.state.settings,
                                                    "sqlite"))
        return self.state.store

    def _store_as_made(self, store: BodyStore, notes: list[Note], bodies: Iterable) -> bool:
        """Put each body's HTML in the store as it comes and drop it here (pages read it back
        one at a time), committed once at the end (a commit waits for the disk). False when
        the store cannot be written: the notes are then rendered again, kept in memory."""
        import sqlite3
        entries = self.state.notes
        batch: list[CachedNote] = []
        try:
            for note, body in zip(notes, bodies, strict=True):
                entries[note.source].body = body
                batch.append(entries[note.source])
                if len(batch) >= STORE_BATCH or note is notes[-1]:
                    store.add(batch)
                    for entry in batch:
                        entry.body = dataclasses.replace(entry.body, html="")
                        entry.stored = True  # the cache's save gives the store a generation
                    batch = []
            store.commit()  # before forked page workers read it
            return True
        except (OSError, sqlite3.Error) as exc:
            log.warning("the build cache's body store cannot be written (%s); rendering the "
                        "notes again, in memory", exc)
            close = getattr(bodies, "close", None)
            if close is not None:
                close()  # the Markdown workers of this attempt
            for note in notes:
                entries[note.source].body, entries[note.source].stored = None, False
            return False

    def _body(self, entry: CachedNote) -> RenderedBody:
        # Stored early (above): the HTML is in the store only ("" too for an empty note).
        if not entry.detached and not (entry.stored and not entry.body.html):
            return entry.body
        return StoredBody(entry.body, self.state.store, entry.note)

    # --- the model, patched in place (the dev server) --------------------------------------

    def reuse_model(self, frame: str, notes: list[Note], pages: list[Note],
                    bodies: dict[str, RenderedBody], problems: Problems) -> LiveModel | None:
        """The last build's model and plan with the edited notes patched in, or None when they
        cannot be reused: no model in memory, another frame, notes added or removed, an edited
        note whose shape changed, errors, or an output folder the cache does not know."""
        from .live import changed_notes, patch
        live, self.state.live = self.state.live, None  # until this build commits
        if live is not None:
            self._readers = live.readers  # still right for the pages kept: brought up to date
        if live is None or live.frame != frame or problems.errors or not self.can_update():
            return None
        changed = changed_notes(live, notes, pages)
        if changed is None or not self._files_as_planned(live):
            return None
        if not patch(live, changed, bodies):
            return None
        self.patched, self._live = {note.source for note in changed}, live
        # The model's memoised results (related papers) were not asked for, and still hold.
        self.memo_now.update(self.state.memo)
        return live

    @staticmethod
    def _files_as_planned(live: LiveModel) -> bool:
        """Every file the plan copies is still there, and no card image the model found
        missing (it may be there now, to be copied): files beside notes are not notes, and
        an edit to a note does not say whether they changed."""
        return all(path.is_file() for path in live.copies.values()) and \
            not any(problem.field == "image" for problem in live.problems)

    def keep_model(self, live: LiveModel) -> None:
        """Keep this build's model for the next one (after it committed)."""
        if live.readers is None:
            live.readers = self._readers
        self.state.live = live

    # --- memoised pure results ----------------------------------------------------------

    def memo(self, key: tuple, make: Callable[[], object]) -> object:
        """What ``make()`` returns, kept between builds under a fingerprint of ``key``."""
        name = fingerprint(*key)
        if name in self.memo_now:
            return self.memo_now[name]
        value = self.state.memo.get(name)
        if value is None:
            value = make()
        self.memo_now[name] = value
        return value

    # --- rendering ----------------------------------------------------------------------

    def recorder(self, site: Site, env: jinja2.Environment, scholarly: Scholarly) -> Recorder:
        # Imported here: recording needs Jinja2 and the model, which a build that changed
        # nothing never loads.
        from .record import Facts, Recorder
        values = self.state.input_values if self.can_update() else {}
        recorder = Recorder(Facts(site, env, scholarly, self._front_keys()), env,
                            self.state.fragments, values)
        if self.patched is not None:  # only the inputs a patched model can change differ
            self._live.sync_readers(self.previous_records())
            recorder.compare_only(self._may_change(values))
        return recorder

    def _front_keys(self) -> Callable[[Note], str]:
        """A note's front-matter key, kept with its parse: made once per edit of the file,
        not once per build."""
        from .record import front_key
        entries = self.state.notes

        def front(note: Note) -> str:
            entry = entries.get(note.source)
            if entry is None or entry.note is not note:
                return front_key(note)
            if not entry.front:
                entry.front = front_key(note)
            return entry.front
        return front

    def previous_records(self) -> dict[str, PageRecord]:
        """Records of the last build, when its output is still there to keep pages of."""
        return self.state.pages if self.can_update() else {}

    def stale_jobs(self, recorder: Recorder, jobs: list, args_of: Callable[[object], str],
                   explain: bool) -> tuple[list, set[str]]:
        """(jobs to render, paths whose output is still right)."""
        if self.patched is not None:
            return self._stale_by_readers(recorder, jobs, args_of, explain)
        return self._split(recorder, jobs, args_of, explain,
                           lambda job, record: recorder.fresh(record, args_of(job)))

    def _split(self, recorder: Recorder, jobs: list, args_of: Callable[[object], str],
               explain: bool, fresh: Callable[[object, PageRecord | None], bool]
               ) -> tuple[list, set[str]]:
        """(jobs to render, paths kept): a kept job's record carries over to this build."""
        previous, kept, stale = self.previous_records(), set(), []
        for job in jobs:
            record = previous.get(job.path)
            if fresh(job, record):
                recorder.records[job.path] = record
                kept.add(job.path)
                if explain:
                    self.explanations[job.path] = []
                continue
            stale.append(job)
            if explain:
                self.explanations[job.path] = self._why(recorder, record, args_of(job))
        return stale, kept

    def _stale_by_readers(self, recorder: Recorder, jobs: list,
                          args_of: Callable[[object], str], explain: bool
                          ) -> tuple[list, set[str]]:
        """:meth:`stale_jobs` for a patched model: the jobs are the last build's (their
        arguments unchanged), and the stale ones are those that read an input that changed."""
        live = self._live
        readers = live.readers.of(recorder.changed)
        # A patched note's page: its arguments (title, description) may be what changed.
        readers.update(view.path for view in live.site.notes if view.note.source in self.patched)
        return self._split(recorder, jobs, args_of, explain,
                           lambda job, record: record is not None and job.path not in readers)

    def _may_change(self, previous: dict[Input, str]) -> set[Input]:
        """The inputs a patched model can have changed: the patched notes', those that name
        no note (terms, lists, templates, settings), and every BibTeX key (unique across the
        site: a new title can change another note's). Another note's other facts follow from
        its own file and from the shapes of the others, which are all unchanged."""
        patched = self.patched
        return {key for key in previous
                if key[0] != "note" or key[1] in patched or key[2] == "cite"}

    def _why(self, recorder: Recorder, record: PageRecord | None, args: str) -> list[str]:
        state = self.state
        if not state.token:
            return ["no previous build to compare with (the first build, or --no-cache)"]
        if state.config != fingerprint(self.config):
            return ["the settings (site.toml, --base-url) changed: every page is made afresh"]
        if not self.can_update():
            return ["the output folder is not the one the last build wrote (deleted or "
                    "replaced): every page is made afresh"]
        if record is None:
            return ["a new page: the last build had none at this path"]
        reasons = [] if record.args == args else [
            "what it was asked to show changed (its title, summary, URL, the notes it lists "
            "or its place in the pagination)"]
        value = recorder.facts.value
        changed = sorted(set(record.inputs) & recorder.changed)
        # A note whose file changed says enough; its HTML and BibTeX key follow from it.
        edited = {key[1] for key in changed if key[0] == "note" and key[2] == "own"}
        return reasons + [describe_input(key, value(key)) for key in changed
                          if not (key[0] == "note" and key[1] in edited and key[2] != "own")]

    def render_feeds(self, site: Site, specs: list[FeedSpec], recorder: Recorder,
                     render: Callable[[Site, FeedSpec], bytes], explain: bool) -> dict[str, bytes]:
        """The feeds whose entries or anything they read changed."""
        stale, _ = self.stale_jobs(recorder, specs, feed_args, explain)
        files = {}
        for spec in stale:
            tracked = dataclasses.replace(spec, notes=recorder.wrap(spec.notes),
                                          category=recorder.wrap(spec.category))
            with recorder.reading() as inputs:
                files[spec.path] = render(site, tracked)
            recorder.records[spec.path] = recorder.record(feed_args(spec), inputs)
        return files

    # --- writing and remembering --------------------------------------------------------

    def can_update(self) -> bool:
        """The output is the one the cache describes and the settings are the same (a settings
        change touches every page, and may drop whole features such as search), so only what
        changed needs writing."""
        state = self.state
        return bool(state.token) and state.config == fingerprint(self.config) and \
            self._output_token == state.token

    def new_token(self) -> str:
        self.state.token = secrets.token_hex(8)
        return self.state.token

    def commit(self, recorder: Recorder | None, outputs: set[str], warnings: list[Problem],
               counts: tuple[int, int], left_out: LeftOut, save: bool = True) -> None:
        """What the next build needs to know of this one; recorded only once it succeeded."""
        state = self.state
        state.left_out = left_out
        state.config = fingerprint(self.config)
        state.inputs = self.inputs
        state.outputs = outputs
        state.warnings = warnings
        state.counts = counts
        state.memo = dict(self.memo_now)
        if recorder is not None:
            state.pages = recorder.records
            state.fragments = _kept_fragments(recorder)
            state.input_values = recorder.values()
        if self.use_cache and save:
            save_cache(self.config.site_dir, state)

    def save(self) -> None:
        """Write the committed state to ``.digestif-cache/`` (when ``commit`` was told not to:
        the dev server saves after the browser was told to reload)."""
        if self.use_cache:
            save_cache(self.config.site_dir, self.state)

    def bytecode_dir(self) -> Path | None:
        return self.config.site_dir / CACHE_DIR / "templates" if self.use_cache else None


def _kept_fragments(recorder: Recorder) -> dict[tuple, PageRecord]:
    """This build's fragments, and the last build's of notes still on the site that no page
    rendered this time asked for (the archive, kept as it was): the next build that renders
    that page reuses them instead of making every entry again."""
    fragments, previous = recorder.fragments, recorder.previous_fragments
    if len(fragments) >= len(previous):
        return fragments
    notes = recorder.facts.notes
    return {**{key: record for key, record in previous.items() if key[-1] in notes},
            **fragments}


def feed_args(spec: FeedSpec) -> str:
    from .record import args_key
    return args_key(spec.path, spec.title, spec.home, spec.notes, spec.category)


def page_args(job: PageJob) -> str:
    from .record import args_key
    return args_key(job.template, job.context)


_GROUP_WORDS = {
    "own": "{0} changed", "html": "the body of {0}, or a note it links to, changed",
    "neighbours": "the notes before and after {0} changed",
    "related": "the related papers of {0} changed",
    "backlinks": "the notes linking to {0} changed", "cite": "the BibTeX key of {0} changed",
}


def describe_input(key: Input, value: str) -> str:
    """One changed input, as ``--explain`` prints it."""
    kind = key[0]
    if kind == "note":
        return f"{key[1]} is gone" if value == "gone" else _GROUP_WORDS[key[2]].format(key[1])
    if kind == "term":
        what = f'{key[1]} "{key[2]}"'
        return f"the notes of {what} changed" if key[3] == "notes" else f"{what} changed"
    if kind == "list":
        return "the number of notes changed" if key[1] == "note_count" else \
            f"the list of {key[1]} changed"
    if kind == "template":
        return f"template {key[1]} changed"
    if key == ("settings",):
        return "the settings (site.toml, --base-url, --drafts) changed"
    return "the digest's filters changed"


def _now_ns() -> int:
    import time
    return time.time_ns()
