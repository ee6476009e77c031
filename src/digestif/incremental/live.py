"""The previous build's model, kept in memory to be patched for a one-note edit.

The dev server's worker keeps the build cache (:class:`~.store.CacheState`) between rebuilds;
:class:`LiveModel` rides on it (``state.live``, never saved to disk) with the site model, the
page jobs, the feed specs and the output plan of the last successful build. When a rebuild's
notes differ from it only in notes whose *shape* is unchanged (:func:`shape`), the changed
notes' views are patched in place (:func:`patch`) and the jobs, feeds and plan are reused:
they hold the very :class:`~digestif.model.NoteView` objects that were patched, and nothing
they were computed from changed but a note page's own title and description, which are
patched too. Anything else (a note added or removed, a front-matter edit other than the title
or summary, a new link, another reading time, another template) returns None: the caller
builds the model and the plan afresh, as a cold build does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..digests import fingerprint

if TYPE_CHECKING:
    from ..errors import Problem
    from ..markup import RenderedBody
    from ..model import NoteView, Site
    from ..note import Note
    from .record import Readers


@dataclass
class LiveModel:
    """One successful build's model and plan, as the next build may reuse them."""

    frame: str
    """Fingerprint of everything but the notes: settings, build options, templates, static
    files, the theme. Another frame: the model is built afresh."""
    site: Site
    jobs: list
    feeds: list
    plan: object
    copies: dict
    problems: list[Problem]
    """What the model and plan stages reported (warnings): reported again when reused."""
    readers: Readers | None = field(default=None, repr=False)
    """Input -> the pages and feeds that read it (built on first use, then kept up to date)."""

    def views(self) -> dict[str, NoteView]:
        return {view.note.source: view for view in self.site.notes}

    def sync_readers(self, records: dict) -> Readers:
        """The readers index, made on first use and brought up to date with ``records``."""
        if self.readers is None:
            from .record import Readers
            self.readers = Readers()
        self.readers.sync(records)
        return self.readers


def shape(note: Note, body: RenderedBody) -> str:
    """Everything about a note that the model, the page jobs, the feed specs and the plan
    read, so other pages can depend on it, but for the two fields :func:`patch` updates
    itself (the title and the summary): its front matter (date, slug, terms, venue, links,
    language, draft, image, authors…) and the facts taken from its body (reading time, links
    to other notes, files beside it, diagrams). Not its HTML or table of contents: only pages
    that read them (recorded as its inputs) show those."""
    front = dataclasses.replace(note, body="", digest="", title="", summary="", body_line=0)
    from ..model import WORDS_PER_MINUTE
    minutes = max(1, round(body.words / WORDS_PER_MINUTE))
    links = [(kind, target) for kind, target, _line in body.links]  # lines: for warnings
    return fingerprint(repr(front), minutes, links, list(body.assets), "mermaid" in note.body)


def changed_notes(live: LiveModel, notes: list[Note], pages: list[Note]) -> list[Note] | None:
    """The paper notes that differ from the live model's, or None when the model cannot be
    patched for them: another set of notes or pages, an edited page, a changed shape."""
    views = live.views()
    if len(views) != len(notes) or len(live.site.pages) != len(pages):
        return None
    if any(view.note is not page for view, page in
           zip(sorted(live.site.pages, key=lambda v: v.note.source),
               sorted(pages, key=lambda n: n.source), strict=True)):
        return None  # pages hold their HTML: an edited page is built afresh
    changed = []
    for note in notes:
        view = views.get(note.source)
        if view is None:
            return None
        if view.note is not note:
            changed.append(note)
    return changed


def patch(live: LiveModel, changed: list[Note], bodies: dict[str, RenderedBody]) -> bool:
    """Give the changed notes' views their new note, body and summary, and their pages their
    new title and description; False (nothing patched) if one of them changed shape or has
    a warning of the model or the plan (to be made again, with its line)."""
    views = live.views()
    # The model's and the plan's warnings about an edited note name lines of its old text.
    warned = {problem.file for problem in live.problems}
    for note in changed:
        view = views[note.source]
        if note.source in warned or \
                shape(view.note, view.rendered) != shape(note, bodies[note.source]):
            return False
    jobs = None
    for note in changed:
        view = views[note.source]
        body = bodies[note.source]
        summary = note.summary or body.first_paragraph
        retitled = summary != view.summary or note.title != view.title
        view.note, view.rendered, view.toc, view._html = note, body, body.toc, None
        view.summary = summary
        if retitled:
            jobs = jobs or {job.path: job for job in live.jobs}
            _retitle(jobs[view.path], view, live.site.config.description)
    return True


def _retitle(job, view: NoteView, site_description: str) -> None:
    """The note page's ``page`` context as :mod:`digestif.render` makes it, with the note's
    new title and summary (the only page whose arguments hold them: lists name notes by file,
    and read their titles through the recorded proxies)."""
    page = job.context["page"]
    job.context["page"] = dataclasses.replace(page, title=view.title,
                                              description=view.summary or site_description)


def index_readers(state) -> None:
    """Index which pages read which input ahead of the first edit (the dev server's worker
    does it while it waits): on a big site the first index takes a few tenths of a second."""
    live = state.live
    if live is not None and live.readers is None:
        live.sync_readers(state.pages)
