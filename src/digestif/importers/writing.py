"""Writing drafts as notes: one note per paper (a draft matching a note already in the site is
skipped, replaced with ``--force`` or merged into it with ``--merge``), names in the site's
spelling, files the notes use copied to ``static/``."""

from __future__ import annotations

import filecmp
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from ..console import Console
from ..errors import Problems, quote
from ..model import venue_group
from ..reader import _FrontMatterLoader, find_notes, normalise_arxiv, read_note
from ..slugs import slugify
from .common import (
    NOTES_DIR,
    STATIC_DIR,
    Batch,
    Context,
    Draft,
    add_link,
    file_slug,
    front_matter,
    note_text,
    read_text,
    shown,
)

# ---------------------------------------------------------------------------------------------
# Duplicates


class Spellings:
    """The spelling the site already uses for each category, tag and venue, by slug.

    The build refuses two spellings of one name ("computer-vision" in a Jekyll post and
    "Computer Vision" from a feed), so imported notes take the spelling already in use."""

    def __init__(self) -> None:
        self.names: dict[str, dict[str, str]] = {"categories": {}, "tags": {}, "venue": {}}

    def learn(self, categories, tags, venue: str) -> None:
        for kind, names in (("categories", categories), ("tags", tags),
                            ("venue", [venue_group(venue)] if venue else [])):
            for name in names:
                self.names[kind].setdefault(slugify(name), name)

    def apply(self, meta: dict[str, Any]) -> list[tuple[str, str]]:
        """Respell ``meta``'s names in place; the (written, used) pairs that changed."""
        changed = []
        for kind in ("categories", "tags"):
            names = [self._spelling(kind, name, changed) for name in meta.get(kind) or []]
            if names:
                meta[kind] = list(dict.fromkeys(names))
        venue = meta.get("venue") or ""
        if venue:
            group = venue_group(venue)
            meta["venue"] = self._spelling("venue", group, changed) + venue.strip()[len(group):]
        self.learn(meta.get("categories") or [], meta.get("tags") or [], meta.get("venue", ""))
        return changed

    def _spelling(self, kind: str, name: str, changed: list[tuple[str, str]]) -> str:
        used = self.names[kind].get(slugify(name), name)
        if used != name:
            changed.append((name, used))
        return used


@dataclass
class ExistingNotes:
    """The notes already in ``content/`` by slug and by what names their paper (arXiv id, DOI,
    OpenReview/CVF/ACL Anthology page, title), and their names' spellings."""

    by_slug: dict[str, Path] = field(default_factory=dict)
    by_paper: dict[tuple[str, str], Path] = field(default_factory=dict)
    spellings: Spellings = field(default_factory=Spellings)

    @classmethod
    def scan(cls, site_dir: Path, tz: ZoneInfo) -> ExistingNotes:
        index = cls()
        content = site_dir / "content"
        if not content.is_dir():
            return index
        ignored = Problems()  # the build reports broken notes; here a name is enough
        for file in find_notes(content, site_dir, ignored):
            note = read_note(file, tz, ignored)
            if note is not None:
                keys = paper_keys(note.title, note.arxiv, note.doi, [u for _, u in note.links])
                origin = note.extra.get("imported_from")
                if isinstance(origin, str):  # imported before: the same entry, surely
                    keys.insert(0, ("origin", origin))
                index.add(note.slug, keys, file.path)
                index.spellings.learn(note.categories, note.tags, note.venue)
            else:
                index.add(file_slug(file.path.stem), [], file.path)
        return index

    def add(self, slug: str, keys: list[tuple[str, str]], path: Path) -> None:
        self.by_slug.setdefault(slug, path)
        for key in keys:
            self.by_paper.setdefault(key, path)

    def match(self, slug: str, keys: list[tuple[str, str]]) -> tuple[Path, str] | None:
        """The note this one duplicates, and why, if any: the paper's identifiers first, then
        the slug, then the title."""
        strong = [k for k in keys if k[0] != "title"]
        for key in strong:
            if key in self.by_paper:
                return self.by_paper[key], _WHY[key[0]].format(key[1])
        if slug in self.by_slug:
            return self.by_slug[slug], f"same slug '{slug}'"
        for key in keys:
            if key[0] == "title" and key in self.by_paper:
                return self.by_paper[key], "same title"
        return None


_WHY = {"origin": "imported from the same entry", "arxiv": "same arXiv id {}",
        "doi": "same DOI {}", "openreview": "same OpenReview paper {}",
        "cvf": "same CVF paper page", "acl": "same ACL Anthology paper {}", "title": "same title"}
_OPENREVIEW = re.compile(r"openreview\.net/(?:forum|pdf|attachment)\?(?:.*&)?id=([\w-]+)")
_CVF = re.compile(r"thecvf\.com/(?:content_)?(\w+?)/?(?:\w+/)?(?:html|papers)/(?:\w+/)?"
                  r"([^/?#]+?)(?:\.html|\.pdf)", re.IGNORECASE)
_ACL = re.compile(r"aclanthology\.org/([A-Za-z0-9.-]+?)(?:\.pdf)?/?$")
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?(10\.\d{4,9}/\S+)$",
                  re.IGNORECASE)
# A title this short ("Introduction", "Notes") names no one paper.
MIN_TITLE_WORDS = 3


def paper_keys(title: str, arxiv: str, doi: str, urls: list[str]) -> list[tuple[str, str]]:
    """What identifies the paper a note is about, strongest first."""
    keys = [("arxiv", arxiv)] if arxiv else []
    for value in (doi, *urls):
        found = _DOI.match(value.strip()) if value else None
        if found:
            keys.append(("doi", found.group(1).lower().rstrip(".")))
    for url in urls:
        keys += _url_keys(url)
    words = normalised_title(title)
    if len(words.split()) >= MIN_TITLE_WORDS:
        keys.append(("title", words))
    return list(dict.fromkeys(keys))


def _url_keys(url: str) -> list[tuple[str, str]]:
    arxiv = normalise_arxiv(url)
    if arxiv:
        return [("arxiv", arxiv)]
    for kind, pattern in (("openreview", _OPENREVIEW), ("acl", _ACL)):
        found = pattern.search(url)
        if found:
            return [(kind, found.group(1))]
    found = _CVF.search(url)
    if found:  # the HTML page and the PDF of one paper share its file name
        return [("cvf", found.group(2).lower())]
    return []


def normalised_title(title: str) -> str:
    """``"LoRA: Low-Rank Adaptation…"`` -> ``"lora low rank adaptation…"``: case, accents,
    punctuation and spacing do not tell papers apart."""
    text = unicodedata.normalize("NFKD", title).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[^\W_]+", text))


def draft_keys(draft: Draft, origin: str) -> list[tuple[str, str]]:
    meta = draft.meta
    links = meta.get("links") or {}
    keys = paper_keys(draft.title, str(meta.get("arxiv") or ""), str(meta.get("doi") or ""),
                      [str(u) for u in links.values()])
    return [("origin", origin), *keys]


# ---------------------------------------------------------------------------------------------
# Writing notes


@dataclass
class Outcome:
    written: int = 0
    skipped: int = 0
    merged: int = 0


def write_batch(batch: Batch, context: Context, console: Console, force: bool,
                dry_run: bool, merge: bool = False) -> Outcome:
    """Write each draft to ``content/papers/<slug>.md`` unless it duplicates a note already
    there (or an earlier entry of this source): then skip it, or with ``force`` replace the
    matching note in place, or with ``merge`` add to it what this source knows and it lacks."""
    return _Writer(batch, context, console, force, dry_run, merge).write_all()


class _Writer:
    def __init__(self, batch: Batch, context: Context, console: Console, force: bool,
                 dry_run: bool, merge: bool):
        self.batch, self.context, self.console = batch, context, console
        self.force, self.dry_run, self.merge = force, dry_run, merge
        self.existing = ExistingNotes.scan(context.site_dir, context.tz)
        self.this_run = ExistingNotes()
        self.respelled: set[tuple[str, str]] = set()
        self.outcome = Outcome()

    def write_all(self) -> Outcome:
        for draft in self.batch.drafts:
            keys = draft_keys(draft, _origin(self.batch, draft))
            target = self._target(draft, keys)
            if target is None:
                continue
            self.this_run.add(draft.slug, keys, target)
            self._respell(draft)
            _write_note(self.batch, draft, target, self.console, self.dry_run)
            _copy_assets(draft, self.context, self.batch.problems, self.console, self.force,
                         self.dry_run)
            self.outcome.written += 1
        return self.outcome

    def _target(self, draft: Draft, keys: list[tuple[str, str]]) -> Path | None:
        """Where the note goes, or None (said why) when it is a duplicate to skip or merge."""
        what = f"{draft.where} {quote(draft.title)}"
        if self.batch.kind == "jekyll":  # a blog's posts are pages of their own
            self._own_slug(draft)
        earlier = self.this_run.match(draft.slug, keys) if self.batch.kind != "jekyll" else None
        if earlier is not None:
            self.console.info(f"skipped {what}: duplicate of an earlier entry ({earlier[1]}) "
                              "in this source")
            self.outcome.skipped += 1
            return None
        target = self.context.site_dir / NOTES_DIR / f"{draft.slug}.md"
        found = self.existing.match(draft.slug, keys)
        if found is None and target.exists():
            found = (target, "a file with this name exists")
        if found is None:
            return target
        if self.force:
            return found[0]  # replace the matching note in place, so its URL stays the same
        if self.merge and found[1] != "a file with this name exists" and \
                not found[1].startswith("same slug"):
            self._merge(draft, found)
            return None
        self.console.info(f"skipped {what}: already in the site as {shown(found[0])} "
                          f"({found[1]}); use --merge to add what this source adds, --force "
                          "to replace it")
        self.outcome.skipped += 1
        return None

    def _own_slug(self, draft: Draft) -> None:
        """Two posts of one blog are two pages even with one name (``algorithm/stack`` and
        ``interview/stack``), one title or one paper (a series, or a link copied by mistake):
        the later gets ``stack-2``."""
        taken = self.this_run.by_slug.get(draft.slug)
        if taken is None:
            return
        slug, number = draft.slug, 2
        while f"{slug}-{number}" in self.this_run.by_slug or \
                (self.context.site_dir / NOTES_DIR / f"{slug}-{number}.md").exists():
            number += 1
        draft.slug = f"{slug}-{number}"
        self.console.info(f"{draft.where}: named {draft.slug}, as '{slug}' is "
                          f"{shown(taken)} of the same blog")

    def _merge(self, draft: Draft, found: tuple[Path, str]) -> None:
        path, why = found
        added = merge_into(path, draft, _origin(self.batch, draft), self.batch.problems,
                           self.dry_run)
        verb = "would merge" if self.dry_run else "merged"
        what = ", ".join(added) if added else "nothing new"
        self.console.info(f"{verb} {draft.where} {quote(draft.title)} into {shown(path)} "
                          f"({why}): {what}")
        self.outcome.merged += 1

    def _respell(self, draft: Draft) -> None:
        for written, used in self.existing.spellings.apply(draft.meta):
            if (written, used) not in self.respelled:
                self.respelled.add((written, used))
                self.console.info(f"{draft.where}: wrote '{used}' for '{written}', the "
                                  "spelling the site already uses")


def _origin(batch: Batch, draft: Draft) -> str:
    """What ``extra.imported_from`` records: ``kind:source#entry``."""
    return f"{batch.kind}:{batch.source}#{draft.entry}"


# What a merge fills in when the note has none.
MERGED_KEYS = ("venue", "task", "arxiv", "doi", "authors")
_BULLET = re.compile(r"^\s{0,3}[-*+]\s+\S")


def merge_into(path: Path, draft: Draft, origin: str, problems: Problems,
               dry_run: bool) -> list[str]:
    """Add to the note at ``path`` what ``draft`` knows and it lacks: the keys of
    :data:`MERGED_KEYS`, links to other URLs, bullets it does not have. Returns what was
    added; the note's own values are never changed."""
    text = read_text(path, problems)
    split = _split(text) if text is not None else None
    if split is None:
        problems.warn(shown(path), "not merged into: its front matter cannot be read")
        return []
    meta, body = split
    added = [key for key in MERGED_KEYS if not meta.get(key) and draft.meta.get(key)]
    for key in added:
        meta[key] = draft.meta[key]
    links = dict(meta.get("links") or {})
    for label, url in (draft.meta.get("links") or {}).items():
        if url not in links.values():
            add_link(links, label, url)
            added.append(f"link {label}")
    meta["links"] = links
    bullets = [line for line in draft.body.split("\n") if _BULLET.match(line)
               and line.strip() not in body]
    if bullets:
        body = body.rstrip("\n") + "\n\n" + "\n".join(bullets) + "\n"
        added.append(f"{len(bullets)} bullet{'s' * (len(bullets) != 1)}")
    if added and not dry_run:
        extra = dict(meta.get("extra") or {})
        extra["merged_from"] = [*extra.get("merged_from", []), origin]
        meta["extra"] = extra
        path.write_text(note_text(meta, body), encoding="utf-8")
    return added


def _split(text: str) -> tuple[dict, str] | None:
    if not text.startswith("---\n"):
        return None
    head, marker, body = text[4:].partition("\n---\n")
    if not marker:
        return None
    try:
        data = yaml.load(head, Loader=_FrontMatterLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return None
    return (data, body) if isinstance(data, dict) else None


def _write_note(batch: Batch, draft: Draft, target: Path, console: Console,
                dry_run: bool) -> None:
    meta = dict(draft.meta)
    extra = dict(meta.get("extra") or {})
    meta["extra"] = {"imported_from": _origin(batch, draft), **extra}
    text = note_text(meta, draft.body)
    if dry_run:
        console.info(f"would write {shown(target)}:")
        console.info("    " + "\n    ".join(f"---\n{front_matter(meta)}---".split("\n")))
        console.info(f"    (and {draft.body.count(chr(10))} lines of body)")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    console.success(f"wrote {shown(target)}  ({draft.title})")


def _copy_assets(draft: Draft, context: Context, problems: Problems, console: Console,
                 force: bool, dry_run: bool) -> None:
    for asset in draft.assets:
        target = context.site_dir / STATIC_DIR / asset.target
        if target.exists() and filecmp.cmp(asset.source, target, shallow=False):
            continue
        if target.exists() and not force:
            problems.warn(shown(asset.source), f"not copied: {shown(target)} exists with other "
                          "content; use --force to replace it")
            continue
        if dry_run:
            console.info(f"would copy {shown(asset.source)} -> {shown(target)}")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(asset.source, target)
        console.success(f"copied {shown(asset.source)} -> {shown(target)}")


