"""What every importer shares: the note being made (:class:`Draft`), front matter written the way
digestif reads it, duplicate detection against ``content/``, and writing with a report.

Each importer only parses its source into drafts and problems; :func:`write_batch` decides what
is written, skipped or refused, so ``--force``, ``--dry-run`` and duplicate rules are the same for
every kind.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml

from ..errors import Problems
from ..slugs import slugify, split_jekyll_date

NOTES_DIR = Path("content") / "papers"
STATIC_DIR = Path("static")

# The order digestif documents its keys in; written notes follow it so they read alike.
KEY_ORDER = ("title", "subtitle", "date", "updated", "venue", "authors", "arxiv", "doi", "task",
             "categories", "tags", "links", "summary", "slug", "lang", "paper", "draft", "extra")

# Slugs are file names and URL segments; very long titles make unwieldy ones.
MAX_SLUG_LENGTH = 80


@dataclass(frozen=True)
class Context:
    """What importers need to know about the site they import into."""

    site_dir: Path
    tz: ZoneInfo
    language: str = "en"


@dataclass(frozen=True)
class Asset:
    """A file a note uses, copied to ``static/<target>`` so its root-relative URL still works."""

    source: Path
    target: str


@dataclass
class Draft:
    """One note about to be written: its front matter (without ``extra.imported_from``), body,
    and where it came from, for messages."""

    entry: str
    """Names the entry in its source: a post path, ``L12``, a feed entry id, a BibTeX key."""
    where: str
    """``file`` or ``file:line``, for messages."""
    slug: str
    meta: dict[str, Any]
    body: str
    assets: list[Asset] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.meta.get("title", ""))


@dataclass
class Batch:
    """What reading one source gave: drafts to write and problems found on the way."""

    kind: str
    source: str
    """The source path (absolute) or URL, as recorded in ``imported_from``."""
    drafts: list[Draft] = field(default_factory=list)
    problems: Problems = field(default_factory=Problems)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(file, why) of what the source holds and is not imported on purpose (a Jekyll post
    Jekyll would not publish); why ``"-"`` when a warning said it already."""
    settings: dict[str, Any] = field(default_factory=dict)
    """``[markdown]`` settings of site.toml that make the notes render as in their source."""


# ---------------------------------------------------------------------------------------------
# Values


def note_slug(text: str) -> str:
    """A slug for a title: :func:`slugify`, cut at a word boundary when very long."""
    slug = slugify(text)
    if len(slug) <= MAX_SLUG_LENGTH:
        return slug
    cut = slug[:MAX_SLUG_LENGTH]
    return cut.rsplit("-", 1)[0] if "-" in cut else cut


def file_slug(stem: str) -> str:
    """A slug from a file name, kept as close to the name as a URL allows: ``"My Post"`` ->
    ``"my-post"``, ``"002_notes"`` stays; a leading ``YYYY-MM-DD-`` is dropped."""
    _, rest = split_jekyll_date(stem)
    slug = re.sub(r"\s+", "-", rest.strip().lower())
    slug = re.sub(r"[^\w.-]+", "-", slug).strip("-.")
    return re.sub(r"-{2,}", "-", slug)


def date_value(moment: datetime) -> date | str:
    """Midnight means the author gave a calendar date: write ``YYYY-MM-DD``. Otherwise an ISO
    8601 date-time with its offset, so the reader needs no time zone to place it."""
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return moment.date()
    return _Timestamp(moment.isoformat())


_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff]")
# A few quoted words are not a note written in that language.
MIN_SCRIPT_CHARACTERS = 10


def detect_lang(text: str, site_language: str) -> str | None:
    """``ko`` for notes written (partly) in Korean, ``ja`` for Japanese; None when the note is
    in the site's own language or nothing stands out."""
    hangul, kana = len(_HANGUL.findall(text)), len(_KANA.findall(text))
    lang = None
    if hangul >= MIN_SCRIPT_CHARACTERS and hangul >= kana:
        lang = "ko"
    elif kana >= MIN_SCRIPT_CHARACTERS:
        lang = "ja"
    return None if lang is None or same_language(lang, site_language) else lang


def same_language(one: str, other: str) -> bool:
    return one.split("-")[0].lower() == other.split("-")[0].lower()


# Keywords in a link's text, matched by position so "Project page on GitHub" is a website and
# "Official code on GitHub" is code.
_TEXT_LABELS = (
    ("code", "code"), ("implementation", "code"), ("repository", "code"), ("repo", "code"),
    ("project", "website"), ("website", "website"), ("homepage", "website"),
    ("paper", "paper"), ("pdf", "paper"), ("arxiv", "paper"), ("openreview", "paper"),
    ("proceedings", "paper"), ("video", "video"), ("talk", "video"), ("slides", "slides"),
    ("dataset", "data"), ("data", "data"), ("demo", "demo"), ("blog", "blog"),
    ("review", "review"), ("github", "code"), ("gitlab", "code"),
)
_HOST_LABELS = (
    ("github.com", "code"), ("gitlab.com", "code"), ("bitbucket.org", "code"),
    ("arxiv.org", "paper"), ("openreview.net", "paper"), ("thecvf.com", "paper"),
    ("aclanthology.org", "paper"), ("dl.acm.org", "paper"), ("ieeexplore.ieee.org", "paper"),
    ("neurips.cc", "paper"), ("mlr.press", "paper"), ("doi.org", "paper"),
    ("youtube.com", "video"), ("youtu.be", "video"), ("vimeo.com", "video"),
    ("github.io", "website"),
)


def link_label(text: str, url: str) -> str:
    """``("Official code on GitHub", …)`` -> ``"code"``; from the host when the text says
    nothing (``https://github.com/x`` -> ``code``); else ``"link"``."""
    words = text.lower()
    found = [(match.start(), label) for keyword, label in _TEXT_LABELS
             for match in [re.search(rf"\b{keyword}\b", words)] if match]
    if found:
        return min(found)[1]
    host = (urlsplit(url).hostname or "").lower()
    for suffix, label in _HOST_LABELS:
        if host == suffix or host.endswith("." + suffix):
            return label
    return "link"


def add_link(links: dict[str, str], label: str, url: str) -> None:
    """Add under ``label``, or ``label-2``… when taken by another URL; the same URL twice is
    kept once."""
    if url in links.values():
        return
    name, number = label, 2
    while name in links:
        name, number = f"{label}-{number}", number + 1
    links[name] = url


# ---------------------------------------------------------------------------------------------
# Writing front matter


class _Quoted(str):
    """A string always written in double quotes: titles and arXiv ids, which YAML would
    otherwise read as numbers or dates (``"2025"``, ``2106.09685``)."""


class _Timestamp(str):
    """An ISO date-time written plain (``2016-01-26T14:20:00+09:00``), not as a quoted string."""


class _NoteDumper(yaml.SafeDumper):
    pass


_NoteDumper.add_representer(
    _Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))
_NoteDumper.add_representer(
    _Timestamp, lambda d, v: d.represent_scalar("tag:yaml.org,2002:timestamp", str(v)))
# Lists of names read best on one line: `tags: [lora, peft]`.
_NoteDumper.add_representer(
    list, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def front_matter(meta: dict[str, Any]) -> str:
    """The YAML between the ``---`` lines, keys in :data:`KEY_ORDER`, empty values left out."""
    # title_ja, title_ko…: a translated title, right after the title.
    translated = [key for key in meta if re.fullmatch(r"title_[a-z]{2}", key)]
    order = ("title", *translated, *KEY_ORDER[1:])
    ordered = {key: _yaml_value(key, meta[key]) for key in order
               if key in meta and meta[key] not in (None, "", [], {}, ())}
    return yaml.dump(ordered, Dumper=_NoteDumper, allow_unicode=True, sort_keys=False,
                     width=4096, default_flow_style=False)


def _yaml_value(key: str, value: Any) -> Any:
    if key in ("title", "arxiv", "paper") and isinstance(value, str):
        return _Quoted(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, datetime):
        return date_value(value)
    return value


def note_text(meta: dict[str, Any], body: str) -> str:
    """The whole note file: front matter, then the body, ending in one newline."""
    text = f"---\n{front_matter(meta)}---\n{body}"
    return text if text.endswith("\n") else text + "\n"


def shown(path: Path | str) -> str:
    """A path as the user would type it: relative to here when below here."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def read_source_file(kind: str, source: str, what: str) -> tuple[Batch, str | None]:
    """A batch for importing the file ``source`` and its text; the text is None, with the
    reason in the batch, when the file is missing or unreadable. ``what`` tells the user what
    to give instead ("a .bib file")."""
    path = Path(source)
    batch = Batch(kind, str(path.resolve()))
    if not path.is_file():
        batch.problems.error(source, f"not found; give {what}")
        return batch, None
    return batch, read_text(path, batch.problems)


def read_text(path: Path, problems: Problems) -> str | None:
    """A UTF-8 text file with ``\\n`` line endings, or None (reported) when unreadable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.error(shown(path), f"cannot be read: {exc.strerror}")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        problems.error(shown(path), f"is not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be "
                       "decoded; save the file as UTF-8 and import again", line)
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")
