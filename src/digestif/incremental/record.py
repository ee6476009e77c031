"""Recording what each page read, Lektor-style, and checking it against the next build.

Templates (and the feed writer) get proxies instead of the model's objects. Every attribute
read through a proxy records an *input*: a note's own fields, its neighbours, its related
papers, a term's notes, the list of categories, a template, the settings. After the page is
rendered, each input is stored with the value it had (:class:`Facts` computes values on demand,
once per build). The next build renders a page again only when its own arguments or one of
its recorded inputs changed: a "latest notes" sidebar that reads notes through ``site`` is
re-rendered when one of those notes changes, with no flag and no declaration.

Every record of a build holds input values of that build (a page is either rendered, or kept
because none of its inputs changed), so the values are stored once for the whole site
(:attr:`Recorder.values`) and each record keeps only which inputs it read: the next build
compares each distinct input once, not once per page.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

import jinja2

from ..digests import file_digest, fingerprint
from ..model import NoteView, Site, Term
from ..note import Note
from ..render import PageContext, PageJob, Pagination, SiteContext, Tracker
from ..scholarly import Scholarly
from ..standalone import menu

Input = tuple
"""("note", source, group), ("term", kind, slug, group), ("list", name), ("template", name),
("settings",) or ("facets",)."""
SETTINGS: Input = ("settings",)


class PageRecord(NamedTuple):
    """What one output (a page, a feed, a fragment of a page) was made from. A tuple: the
    cache holds thousands, and tuples are the cheapest to load."""

    args: str
    """Fingerprint of its own arguments: template, page context, which notes it lists."""
    inputs: tuple[Input, ...]
    """Every input it read."""
    text: str | None = None
    """For a fragment: the text, reused while the inputs are unchanged."""


# NoteView attribute -> the group of facts it reveals. Anything else is the note's "own": what
# a list shows of it (front matter, URL, summary, reading time, its terms' names), which
# changes far less often than its body: an edited paragraph re-renders the note's page and
# the feeds holding it, not every list the note is on. "html" is the body and what follows
# from the body alone (table of contents, links), read by the pages that show it.
_NOTE_GROUPS = {"html": "html", "raw_html": "html", "rendered": "html", "toc": "html",
                "older": "neighbours", "newer": "neighbours",
                "related": "related", "backlinks": "backlinks"}
# Fields of the Note (``view.note``) that belong to the body's group: its Markdown, where it
# starts in the file, and the hash of the whole file (which changes with the body).
_BODY_FIELDS = frozenset({"body", "body_line", "digest"})
_SITE_LISTS = ("categories", "tags", "venues", "years", "note_count", "menu")


class Facts:
    """The current value of every input a page can have read, computed when first asked."""

    def __init__(self, site: Site, env: jinja2.Environment, scholarly: Scholarly,
                 front: Callable[[Note], str] | None = None):
        self.site, self.env, self.scholarly = site, env, scholarly
        self.front = front or front_key
        """A note's front-matter key (the incremental layer's keeps it with the parse)."""
        self.notes = {view.note.source: view for view in site.notes}
        self.terms = {(t.kind, t.slug): t for group in (
            site.categories, site.tags, site.venues, site.years) for t in group}
        self._values: dict[Input, str] = {}

    def value(self, key: Input) -> str:
        value = self._values.get(key)
        if value is None:
            value = self._values[key] = self._compute(key)
        return value

    def changed(self, previous: dict[Input, str]) -> set[Input]:
        """The inputs whose value differs from ``previous``. The notes' inputs, nearly all of
        them, are computed group by group in bulk: one call per input costs more than the
        comparison itself on a big site."""
        values = self._values
        front = self.front
        for source, view in self.notes.items():
            values.setdefault(("note", source, "own"), _own_fact(view, front))
        for group, fact in _NOTE_FACTS.items():
            for source, view in self.notes.items():
                values.setdefault(("note", source, group), fact(view))
        # A value already computed is looked up directly: a method call per input costs more.
        value, known = self.value, values.get
        return {key for key, seen in previous.items() if (known(key) or value(key)) != seen}

    def _compute(self, key: Input) -> str:
        kind = key[0]
        if kind == "note":
            view = self.notes.get(key[1])
            if view is None:
                return "gone"
            if key[2] == "own":
                return _own_fact(view, self.front)
            fact = _NOTE_FACTS.get(key[2])
            return fact(view) if fact else self.scholarly.cite_key(view)  # "cite"
        if kind == "term":
            term = self.terms.get((key[1], key[2]))
            return "gone" if term is None else _term_fact(term, key[3])
        if kind == "list":
            if key[1] == "note_count":
                return str(len(self.site.notes))
            if key[1] == "menu":  # standalone pages that asked for a place in the navigation
                return fingerprint([(p.title, p.url, p.note.menu) for p in menu(self.site)])
            return "\n".join([t.slug for t in getattr(self.site, key[1])])
        if kind == "template":
            try:
                source, filename, _ = self.env.loader.get_source(self.env, key[1])
            except jinja2.TemplateNotFound:
                return "missing"
            return fingerprint(filename, source)
        if kind == "facets":
            return fingerprint(self.scholarly.digest_facets())
        # The theme's words follow the settings: every page shows some of them.
        translations = self.env.globals.get("translations")
        words = translations.key(self.site.config.language) if translations else ""
        return fingerprint(self.site.config, words)


_SOURCE = operator.attrgetter("note.source")


def _sources(views) -> str:
    return "\n".join(map(_SOURCE, views))


def _html_fact(view: NoteView) -> str:
    """The body, and where each of its links to other notes now points."""
    note_for = view.resolver.note_for if view.resolver else lambda kind, target: None
    targets = [getattr(note_for(kind, target), "url", "-")
               for kind, target, _ in view.rendered.links if kind != "root"]
    return " ".join([view.note.digest, *targets])


def _neighbour(view: NoteView | None) -> str:
    return view.note.source if view is not None else "-"


def front_key(note: Note) -> str:
    """A hash of every field of the note but its body: what lists can show of its file."""
    fields = tuple(getattr(note, name) for name in _front_fields(type(note)))
    return file_digest(repr(fields).encode("utf-8", "surrogatepass"))


@functools.cache
def _front_fields(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind) if f.name not in _BODY_FIELDS)


def _own_fact(view: NoteView, front: Callable[[Note], str]) -> str:
    """What a list can show of a note: its front matter, and what the model made of it and of
    its body's first paragraph and length (URL, summary, reading time, its terms' names)."""
    venue = view.venue
    terms = [*[f"{t.name}\x1e{t.url}" for t in view.categories], "\x1d",
             *[f"{t.name}\x1e{t.url}" for t in view.tags], "\x1d",
             f"{venue.name}\x1e{venue.url}" if venue is not None else "-"]
    text = "\x1f".join([front(view.note), view.url, view.permalink, view.path, view.lang,
                        view.summary, str(view.reading_minutes), *terms])
    return file_digest(text.encode("utf-8", "surrogatepass"))


# Group -> its value for a note, but "own" (above: it needs the front-matter keys) and "cite"
# (Scholarly's: BibTeX keys depend on every note).
_NOTE_FACTS = {
    "html": _html_fact,
    "neighbours": lambda view: f"{_neighbour(view.older)} {_neighbour(view.newer)}",
    "related": lambda view: _sources(view.related),
    "backlinks": lambda view: _sources(view.backlinks),
}


def _term_fact(term: Term, group: str) -> str:
    if group == "notes":
        return _sources(term.notes)
    return repr((term.name, term.url, term.permalink, term.description, term.feed_url))


# --- proxies --------------------------------------------------------------------------------

class _Proxy:
    __slots__ = ("_target", "_recorder")

    def __init__(self, target: object, recorder: Recorder):
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_recorder", recorder)

    # By identity: a build has one object per note or term, and comparing notes field by field
    # would walk their neighbours, and theirs.
    def __eq__(self, other: object) -> bool:
        return self._target is unwrap(other)

    def __hash__(self) -> int:
        return id(self._target)

    def __repr__(self) -> str:
        return repr(self._target)


class _NoteProxy(_Proxy):
    __slots__ = ()

    def __getattr__(self, name: str):
        view: NoteView = self._target
        if name == "note":  # its fields are recorded one by one: the body is not "own"
            return _NoteFieldsProxy(view, self._recorder)
        value = getattr(view, name)
        self._recorder.touch(("note", view.note.source, _NOTE_GROUPS.get(name, "own")))
        if name in ("older", "newer", "related", "backlinks"):
            return self._recorder.wrap(value)
        return value


class _NoteFieldsProxy(_Proxy):
    """``view.note`` as templates see it: the body's fields are the body's group, and the
    body is there even for a note loaded from the cache file (which keeps it in the body
    store): a page rendered again must show what a cold build shows."""

    __slots__ = ("_view",)

    def __init__(self, view: NoteView, recorder: Recorder):
        super().__init__(view.note, recorder)
        object.__setattr__(self, "_view", view)

    def __getattr__(self, name: str):
        note: Note = self._target
        group = "html" if name in _BODY_FIELDS else "own"
        self._recorder.touch(("note", note.source, group))
        value = getattr(note, name)
        if name == "body" and not value:
            value = getattr(self._view.rendered, "markdown", "") or value
        return value


class _TermProxy(_Proxy):
    __slots__ = ()

    def __getattr__(self, name: str):
        term: Term = self._target
        value = getattr(term, name)
        group = "notes" if name == "notes" else "own"
        self._recorder.touch(("term", term.kind, term.slug, group))
        return self._recorder.wrap(value) if name == "notes" else value


class _SiteProxy(_Proxy):
    __slots__ = ()

    def __getattr__(self, name: str):
        value = getattr(self._target, name)
        if name in _SITE_LISTS:
            self._recorder.touch(("list", name))
            return self._recorder.wrap(value)
        return value  # a setting: every page depends on the settings anyway


class _ScholarlyProxy(_Proxy):
    """Each call records the notes it was asked about (their fields and their BibTeX key)."""

    __slots__ = ()

    def __getattr__(self, name: str):
        method = getattr(self._target, name)
        recorder = self._recorder

        def call(*args, **kwargs):
            args = tuple(unwrap(a) for a in args)
            # Open Graph takes the body's first figure when the note names no image.
            groups = ("own", "cite", "html") if name == "open_graph" else ("own", "cite")
            for arg in args:
                if isinstance(arg, NoteView):
                    for group in groups:
                        recorder.touch(("note", arg.note.source, group))
            if name == "digest_facets":
                recorder.touch(("facets",))
            return method(*args, **kwargs)
        return call


def unwrap(value: object) -> object:
    return value._target if isinstance(value, _Proxy) else value


_PROXIES = {NoteView: _NoteProxy, Term: _TermProxy, SiteContext: _SiteProxy,
            Scholarly: _ScholarlyProxy}


_JUST_NOTES = {NoteView}


def describe(value: object) -> object:
    """What identifies a page argument: a note by its file, a term by its slug."""
    kind = type(value)
    if kind is NoteView:
        return value.note.source
    if kind is Term:
        return f"term:{value.kind}:{value.slug}"
    if kind is list or kind is tuple:
        # A list of notes (every listing page has one) by their files, joined: one string
        # hashes faster than the repr of a list.
        if value and set(map(type, value)) == _JUST_NOTES:
            return "notes:" + _sources(value)
        return [describe(item) for item in value]
    if kind is dict:  # every page's context: one string too when its parts are
        parts = [(key, describe(item)) for key, item in value.items()]
        if all(type(key) is str and type(text) is str for key, text in parts):
            return "dict:" + "\x1d".join([f"{key}\x1e{text}" for key, text in parts])
        return parts
    if kind is PageContext:  # every page has one: joined, not repr'd field by field
        return "\x1f".join([value.kind, value.title, value.url, value.permalink, value.lang,
                             value.description, *[f"{f.title}\x1e{f.url}" for f in value.feeds]])
    if kind is Pagination:
        return f"{value.number}/{value.total} {value.newer_url} {value.older_url} {value.count}"
    return value  # other plain data: its repr says all


# --- the recorder ---------------------------------------------------------------------------

class Recorder(Tracker):
    """The incremental layer's :class:`~digestif.render.Tracker`: records every page's
    inputs and reuses fragments whose inputs did not change."""

    def __init__(self, facts: Facts, env: jinja2.Environment,
                 fragments: dict[tuple, PageRecord] | None = None,
                 values: dict[Input, str] | None = None):
        super().__init__()
        self.facts = facts
        self.previous_fragments = fragments or {}
        self.previous_values = values or {}
        """The value of every input the previous build's records read, as it was then."""
        self.fragments: dict[tuple, PageRecord] = {}
        self.records: dict[str, PageRecord] = {}
        self._reading: set[Input] | None = None
        self._changed: set[Input] | None = None
        # One tuple per input, shared with the previous build's: the cache file stays small.
        self._known: dict[Input, Input] = {key: key for key in self.previous_values}
        self._may_change: set[Input] | None = None
        _record_templates(env, self)

    def touch(self, key: Input) -> None:
        if self._reading is not None:
            self._reading.add(key)

    def wrap(self, value: object):
        proxy = _PROXIES.get(type(value))
        if proxy is not None:
            return proxy(value, self)
        if isinstance(value, (list, tuple)) and value:
            proxy = _PROXIES.get(type(value[0]))
            if proxy is not None:  # lists hold one kind of object
                return [proxy(item, self) for item in value]
        return value

    def context(self, job: PageJob) -> dict:
        return {name: self.wrap(value) for name, value in job.context.items()}

    @contextmanager
    def reading(self) -> Iterator[set[Input]]:
        """Collect the inputs read inside the block (nested blocks add to the outer one)."""
        outer, self._reading = self._reading, {SETTINGS}
        try:
            yield self._reading
        finally:
            inner, self._reading = self._reading, outer
            if outer is not None:
                outer |= inner

    @contextmanager
    def page(self, job: PageJob):
        with self.reading() as inputs:
            yield
        self.records[job.path] = self.record(args_key(job.template, job.context), inputs)

    def record(self, args: str, inputs: set[Input], text: str | None = None) -> PageRecord:
        known = self._known
        return PageRecord(args, tuple(known.setdefault(key, key) for key in inputs), text)

    @property
    def changed(self) -> set[Input]:
        """The inputs whose value differs from the previous build's, each compared once."""
        if self._changed is None:
            self._changed = self.facts.changed(self.previous_values)
        return self._changed

    def compare_only(self, may_change: set[Input]) -> None:
        """Only these inputs can differ from the previous build's (the model was patched in
        place for a few notes, and nothing else changed): compare those alone, and let the
        others keep their previous values."""
        self._may_change = may_change
        value, previous = self.facts.value, self.previous_values
        self._changed = {key for key in may_change if value(key) != previous[key]}

    def fresh(self, record: PageRecord | None, args: str) -> bool:
        """Whether what ``record`` was made from is what this build has."""
        # Every input of a stored record is in previous_values: they were saved together.
        if record is None or record.args != args:
            return False
        changed = self.changed
        return not changed or changed.isdisjoint(record.inputs)

    def values(self) -> dict[Input, str]:
        """The value of every input this build's records read, for the next build: every
        input seen, whether read now or by a page kept from before, but a note that is gone
        (no record kept reads it: it would have changed)."""
        value = self.facts.value
        if self._may_change is not None:
            return self._values_patched()
        return {key: found for key in self._known if (found := value(key)) != "gone"}

    def _values_patched(self) -> dict[Input, str]:
        """:meth:`values` after :meth:`compare_only`: the previous values, but those that may
        have changed and inputs first read now."""
        value, may_change = self.facts.value, self._may_change
        values = dict(self.previous_values)
        for key in self._known:
            if key in may_change or key not in values:
                found = value(key)
                if found == "gone":
                    values.pop(key, None)
                else:
                    values[key] = found
        return values

    def fragment(self, key: tuple, note: object, make: Callable[[object], str]) -> str:
        view = unwrap(note)
        full_key = (*key, view.note.source)
        args = ""  # the key says what it was asked to show: template, page kind, language, note
        # One made or checked by this build is right as it is: checking it again would make a
        # cold build compute every note's facts (Facts.changed) at the first shared list entry.
        entry = self.fragments.get(full_key)
        if entry is None:
            entry = self.previous_fragments.get(full_key)
            if not self.fresh(entry, args):
                with self.reading() as inputs:
                    text = make(self.wrap(view))
                self.fragments[full_key] = self.record(args, inputs, text)
                return text
            self.fragments[full_key] = entry
        if self._reading is not None:
            self._reading.update(entry.inputs)
        return entry.text

    def collect(self) -> object:
        return self.records, self.fragments

    def merge(self, collected: object) -> None:
        records, fragments = collected
        known = self._known
        for made in (records, fragments):
            for key, record in made.items():
                record = record._replace(inputs=tuple(known.setdefault(i, i)
                                                      for i in record.inputs))
                (self.records if made is records else self.fragments)[key] = record


class Readers:
    """Input -> the outputs (pages, feeds) whose record read it: the outputs an edit makes
    stale are looked up, not found by checking every record. Kept by the dev server between
    builds and brought up to date from the records that changed (by identity: a kept page
    keeps its record object)."""

    def __init__(self) -> None:
        self.by_input: dict[Input, set[str]] = {}
        self._records: dict[str, PageRecord] = {}

    def sync(self, records: dict[str, PageRecord]) -> None:
        """Index ``records`` (a build's every page and feed), reindexing what changed."""
        known, by_input = self._records, self.by_input
        for path in [path for path in known if path not in records]:
            self._drop(path)
        for path, record in records.items():
            if known.get(path) is record:
                continue
            self._drop(path)
            known[path] = record
            for key in record.inputs:
                readers = by_input.get(key)
                if readers is None:
                    by_input[key] = {path}
                else:
                    readers.add(path)

    def _drop(self, path: str) -> None:
        record = self._records.pop(path, None)
        if record is not None:
            for key in record.inputs:
                self.by_input[key].discard(path)

    def of(self, inputs: set[Input]) -> set[str]:
        """Every output that read one of ``inputs``."""
        found: set[str] = set()
        for key in inputs:
            found |= self.by_input.get(key, set())
        return found


def args_key(*parts: object) -> str:
    return fingerprint(*[describe(part) for part in parts])


def _record_templates(env: jinja2.Environment, recorder: Recorder) -> None:
    """Every template a page loads (extends, includes, imports) becomes one of its inputs."""
    get_template, select_template = env.get_template, env.select_template

    def recorded(template: jinja2.Template) -> jinja2.Template:
        recorder.touch(("template", template.name))
        return template

    env.get_template = lambda *args, **kwargs: recorded(get_template(*args, **kwargs))
    env.select_template = lambda *args, **kwargs: recorded(select_template(*args, **kwargs))
