"""Stage 2: find the notes under ``content/`` and read each into a :class:`Note`.

Nothing here renders Markdown; the reader validates front matter and reports every problem with
file, line and field, so one run lists every mistake in every note.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml

from .digests import file_digest
from .errors import Problems, quote
from .frontmatter import FrontMatterLoader, key_lines, yaml_error_location
from .jekyll_keys import (
    JEKYLL_LINK_KEYS,
    JEKYLL_THEME_KEYS,
    TRANSLATED_TITLE,
    page_variables,
    read_author,
    skip_unpublished,
)
from .note import Author, Note
from .slugs import SAFE_SLUG, slugify, split_jekyll_date

NOTE_SUFFIXES = (".md", ".markdown")
log = logging.getLogger(__name__)
_FrontMatterLoader = FrontMatterLoader  # the name import jekyll uses
PAGES_DIR = "content/pages/"
"""Files under it are standalone pages (About, Contact), not paper notes."""
PAGE_DATE = datetime(1970, 1, 1, tzinfo=UTC)
"""The date of a page that gives none: pages show no date, and sort after every note."""

KNOWN_KEYS = {
    "title", "date", "updated", "venue", "authors", "arxiv", "doi", "task", "categories",
    "tags", "links", "summary", "slug", "draft", "extra", "lang", "subtitle",
    # Standalone pages (content/pages/ or kind: page) and their place in the menu.
    "kind", "menu",
    # The picture shown when the note is shared (og:image).
    "image",
    # Jekyll keys with a meaning here, so posts copied into content/ build as imported ones:
    # docs/importing.md says where each goes.
    "category", "link", "paper", "paper_ref", "excerpt", "permalink", "published", "description",
    "last_modified_at", "arxiv_id", "arxiv_url", "paper_url", "code_url", "project_url",
}


# A folder name holds at most 255 bytes on ext4, APFS and NTFS; a slug becomes a folder that
# holds index.html, and a file name may end in .html: leave room for either.
NAME_MAX_BYTES = 255 - len("index.html")


@dataclass(frozen=True)
class NoteFile:
    """A found note file, before reading."""

    path: Path
    source: str


def find_notes(content_dir: Path, site_dir: Path, problems: Problems) -> list[NoteFile]:
    """Every ``*.md`` / ``*.markdown`` under ``content_dir``, sorted (a folder's files, then
    its folders), refusing links that leave the site and anything that is not a regular file:
    reading a named pipe called ``note.md`` would wait forever. Plain string paths and
    ``os.scandir``, whose entries know their type without a ``stat`` per file: pathlib costs
    more than the walk itself on big sites."""
    found: list[NoteFile] = []
    site_root = site_dir.resolve()
    prefix = len(str(site_dir).rstrip(os.sep)) + 1
    pending = [str(content_dir)]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except FileNotFoundError:
            continue
        except OSError as exc:
            problems.error(visible(folder[prefix:]), f"cannot be read: {exc.strerror}")
            continue
        if "_posts" in Path(folder).relative_to(content_dir).parts:
            entries = _published_by_jekyll(folder, entries, site_dir)
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                subfolders.append(entry.path)
            elif entry.name.lower().endswith(NOTE_SUFFIXES):
                note = _note_file(entry, prefix, site_root, problems)
                if note is not None:
                    found.append(note)
        pending.extend(reversed(subfolders))
    return found


def _published_by_jekyll(folder: str, entries: list[os.DirEntry],
                         site_dir: Path) -> list[os.DirEntry]:
    """Inside a ``_posts`` folder copied into content/, what Jekyll itself would publish."""
    folders = [e.name for e in entries if e.is_dir(follow_symlinks=False)]
    files = [e.name for e in entries if not e.is_dir(follow_symlinks=False)]
    skip_unpublished(folder, folders, files, site_dir)
    kept = set(folders) | set(files)
    return [e for e in entries if e.name in kept]


def _note_file(entry: os.DirEntry, prefix: int, site_root: Path,
               problems: Problems) -> NoteFile | None:
    path = entry.path
    source = path[prefix:].replace(os.sep, "/")
    character = _NAME_CONTROL.search(source)
    if character:
        # A newline in a name would become a folder of the site and split the messages.
        problems.error(visible(source), f"the file name holds the control character "
                       f"U+{ord(character.group()):04X}; rename the file")
        return None
    if entry.is_symlink() and not Path(path).resolve().is_relative_to(site_root):
        problems.error(source, "is a symbolic link to a file outside the site; "
                       "copy the file into content/ instead")
        return None
    if not entry.is_file():
        problems.error(source, "is not a regular file (a named pipe, a device or a broken "
                       "link); remove it or give it another name")
        return None
    return NoteFile(Path(path), source)


_NAME_CONTROL = re.compile("[\x00-\x1f\x7f]")


def visible(text: str) -> str:
    """A name with its control characters written as escapes (``new\\nline.md``), so that a
    message about it stays on one line."""
    return _NAME_CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def read_note(file: NoteFile, tz: ZoneInfo, problems: Problems) -> Note | None:
    """Read and parse one file; on any error report it and return None."""
    try:
        raw = file.path.read_bytes()
    except OSError as exc:
        problems.error(file.source, f"cannot be read: {exc.strerror}")
        return None
    return parse_note(file, raw, tz, problems)


# [markdown] max_note_kb's default; the reader's own callers (importers) use it too.
DEFAULT_MAX_NOTE_BYTES = 10_000 * 1000


def parse_note(file: NoteFile, raw: bytes, tz: ZoneInfo, problems: Problems,
               digest: str = "", max_bytes: int = DEFAULT_MAX_NOTE_BYTES) -> Note | None:
    """Parse a file's bytes; on any error report it and return None. A file over
    ``max_bytes`` ([markdown] max_note_kb) is refused before it is decoded (0: no limit)."""
    if max_bytes and len(raw) > max_bytes:
        problems.error(file.source, f"is {len(raw) / 1000:,.0f} KB, over the limit of "
                       f"{max_bytes / 1000:,.0f} KB per note; split it, or raise max_note_kb "
                       "under [markdown] in site.toml")
        return None
    text = _decode(file, raw, problems)
    if text is None:
        return None
    split = _split_front_matter(text, file.source, problems)
    if split is None:
        return None
    yaml_text, body, body_line = split
    yaml_text = _replace_tabs_after_keys(yaml_text, file.source, problems)
    data = _parse_yaml(yaml_text, file.source, problems)
    if data is None:
        return None
    builder = _NoteBuilder(file, data, yaml_text, tz, problems)
    return builder.build(body, body_line, digest or file_digest(raw))


def _decode(file: NoteFile, raw: bytes, problems: Problems) -> str | None:
    if b"\0" in raw[:8192]:
        problems.error(file.source, "is a binary file, not Markdown text")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        problems.error(file.source, f"is not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be "
                       "decoded; save the file as UTF-8", line)
        return None
    return _drop_control_characters(text.replace("\r\n", "\n").replace("\r", "\n"),
                                    file.source, problems)


# Feeds (XML 1.0) cannot carry these at all and HTML calls them errors; text pasted from a PDF
# brings form feeds and the like.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _drop_control_characters(text: str, source: str, problems: Problems) -> str:
    first = _CONTROL.search(text)
    if first is None:
        return text
    problems.warn(source, f"control character U+{ord(first.group()):04X} removed (and any "
                  "others): HTML and feeds cannot carry it", text.count("\n", 0, first.start()) + 1)
    return _CONTROL.sub("", text)


def _control_character_in(value: object) -> str | None:
    """The first control character in a front-matter value (YAML escapes such as "\\x16").
    Iterative: the loader caps nesting, and a walk must not hit Python's recursion limit."""
    if isinstance(value, str):  # most values: no walk
        found = _CONTROL.search(value)
        return found.group() if found else None
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found = _CONTROL.search(item)
            if found:
                return found.group()
        elif isinstance(item, dict):  # reversed: the first character found is the first written
            pending.extend(reversed([*item.keys(), *item.values()]))
        elif isinstance(item, list):
            pending.extend(reversed(item))
    return None


def _split_front_matter(text: str, source: str, problems: Problems):
    if not text.strip():
        problems.error(source, "is empty; a note needs front matter with a title and a date")
        return None
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        problems.error(source, f"expected front matter starting with '---', found "
                       f"{quote(lines[0])}", 1)
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2
    problems.error(source, "front matter opened with '---' on line 1 is never closed; add a "
                   "'---' line after the last key", 1)
    return None


_TAB_AFTER_KEY = re.compile(r"^([ ]*[^\s:#][^:\n]*:)\t+", re.M)


def _replace_tabs_after_keys(yaml_text: str, source: str, problems: Problems) -> str:
    """Jekyll users often type a tab after ``key:``. libyaml accepts it and pure-Python PyYAML
    does not; read it as a space everywhere, and say so."""
    def replace(match: re.Match) -> str:
        line = yaml_text.count("\n", 0, match.start()) + 2
        key = match.group(1).strip()
        problems.warn(source, f"a tab after '{key}' read as a space; YAML expects a space there",
                      line, key.rstrip(":"))
        return match.group(1) + " "

    return _TAB_AFTER_KEY.sub(replace, yaml_text) if "\t" in yaml_text else yaml_text


def _parse_yaml(yaml_text: str, source: str, problems: Problems) -> dict | None:
    try:
        data = yaml.load(yaml_text, Loader=FrontMatterLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        line, message = yaml_error_location(exc, yaml_text)
        problems.error(source, message, line)
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.error(source, f"front matter: expected keys and values (a mapping), found a "
                       f"{_type_name(data)}", 2)
        return None
    return data


def _type_name(value: object) -> str:
    return {list: "list", dict: "mapping", str: "string", int: "number", bool: "true/false",
            float: "number"}.get(type(value), type(value).__name__)


_DATE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?\s*([AaPp][Mm])?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_date(value: object, tz: ZoneInfo) -> datetime:
    """Accept ``YYYY-MM-DD``, ISO 8601 date-times with or without offset, Jekyll's
    ``2025-05-28 00:00:00 +0900`` and 12-hour ``2016-01-26 2:20 PM``. Raises ValueError."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(), tz)
    match = _DATE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError
    year, month, day, hour, minute, second, micro, half, offset = match.groups()
    hour_value = int(hour or 0)
    if half:
        if not 1 <= hour_value <= 12:
            raise ValueError
        hour_value = hour_value % 12 + (12 if half.lower() == "pm" else 0)
    zone = tz if offset is None else _offset(offset)
    return datetime(int(year), int(month), int(day), hour_value, int(minute or 0),
                    int(second or 0), int((micro or "0").ljust(6, "0")), zone)


def _offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


_ARXIV = re.compile(
    r"^(?:arxiv:\s*|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)?"
    r"(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?/?$",
    re.IGNORECASE,
)


def body_line_of(note: Note, text: str) -> int | None:
    """The line of the file on which ``text`` first appears in the note's body."""
    offset = note.body.find(text) if text else -1
    return None if offset < 0 else note.body_line + note.body.count("\n", 0, offset)


def normalise_arxiv(value: str) -> str | None:
    """``arXiv:2106.09685v2`` or an abs/pdf URL -> ``2106.09685``; None if not an arXiv id."""
    match = _ARXIV.match(value.strip())
    return match.group(1) if match else None


def split_authors(value: str) -> tuple[str, ...]:
    """``"A, B and C"`` -> ``("A", "B", "C")``."""
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+|;\s*", value)
    return tuple(p.strip() for p in parts if p.strip())


_SPACE = re.compile(r"\s")


def _is_link(url: object) -> bool:
    """An URL a badge may point at, by scheme and shape: ``http(s)://host…``, ``mailto:a@b``,
    ``doi:10.…``, or a path on the site (``/slides.pdf``). Never ``javascript:`` or ``data:``,
    which would run or show code from an imported note, and never a bare word such as
    ``not-a-url``, which a browser would resolve against the page and break silently."""
    if not isinstance(url, str) or not url.strip() or _SPACE.search(url.strip()):
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # an unbalanced "[" in the host
        return False
    scheme = parts.scheme.lower()
    if scheme in ("http", "https") or (not scheme and url.strip().startswith("//")):
        return bool(parts.hostname)
    if scheme == "mailto":
        return "@" in parts.path
    if scheme == "doi":
        return parts.path.startswith("10.")
    return not scheme and url.strip().startswith("/")


_YAML11_FLAGS = {"yes": True, "no": False, "on": True, "off": False}


class _NoteBuilder:
    """Validates one front-matter mapping field by field, collecting every problem."""

    def __init__(self, file: NoteFile, data: dict, yaml_text: str, tz: ZoneInfo,
                 problems: Problems):
        self.file, self.data, self.tz, self.problems = file, data, tz, problems
        self._yaml_text = yaml_text
        self._lines: dict[str, int] | None = None
        self.closing_line: int | None = None
        """The front matter's closing ``---``: where a missing key is reported (add it there)."""
        self.failed = False

    def line(self, key: str) -> int | None:
        if self._lines is None:
            self._lines = key_lines(self._yaml_text)
        if key not in self._lines and key.partition(".")[0] not in self.data:
            return self.closing_line
        return self._lines.get(key, self._lines.get(key.partition(".")[0]))

    def error(self, key: str, message: str) -> None:
        self.failed = True
        self.problems.error(self.file.source, message, self.line(key), key)

    def warn(self, key: str, message: str) -> None:
        self.problems.warn(self.file.source, message, self.line(key), key)

    def build(self, body: str, body_line: int, digest: str) -> Note | None:
        data = self.data
        self.closing_line = body_line - 1
        for key, value in data.items():
            character = _control_character_in(value)
            if character:
                self.error(str(key), f"contains the control character U+{ord(character):04X}, "
                           "which HTML and feeds cannot carry; remove it")
        variables = page_variables(body, data)
        theme_keys = [str(key) for key in data if key in JEKYLL_THEME_KEYS]
        if theme_keys:
            log.info("%s: Jekyll theme keys %s have no meaning in digestif; ignored",
                     self.file.source, ", ".join(theme_keys))
        for key in data:
            if key in variables or key in JEKYLL_THEME_KEYS or \
                    TRANSLATED_TITLE.match(str(key)):
                continue  # the body shows it ({{ page.key }}), or it is a theme's
            if key == "permalink":
                self.warn(key, "ignored; digestif builds URLs from site.toml [permalinks]")
            elif key not in KNOWN_KEYS:
                self.warn(str(key), "unknown front-matter key (kept out of the site; put "
                          "free-form data under 'extra:')")
        file_date, stem_slug = self._name_parts()
        title = self.text("title", required=True)
        kind = self.kind()
        # A page (an About page) needs no date; a note does.
        note_date = PAGE_DATE if kind == "page" and "date" not in data and not file_date \
            else self.date("date", fallback=file_date)
        authors, author_details = self.authors()
        subtitle, subtitle_lang = self.subtitle()
        updated = [self.date(key) for key in ("updated", "last_modified_at") if key == "updated"
                   and key in data or data.get(key) is not None]
        fields = dict(
            source=self.file.source, title=title, date=note_date, body=body,
            body_line=body_line, slug=self.slug(stem_slug),
            updated=updated[0] if updated else None,
            venue=self.venue(), authors=authors, author_details=author_details,
            arxiv=self.arxiv(), doi=self.text("doi"), subtitle=subtitle,
            subtitle_lang=subtitle_lang, task=self.text("task"), categories=self.categories(),
            tags=self.string_list("tags"), links=self.links(),
            summary=self.text("summary") or self.text("excerpt") or self.text("description"),
            paper=self.text("paper") or self.text("paper_ref"), lang=self.text("lang"),
            draft=self.is_draft(),
            extra=self.mapping("extra"), digest=digest, page_variables=variables,
            kind=kind, menu=self.menu(kind), image=self.text("image"),
        )
        if self.failed:
            return None
        return Note(**fields)

    def kind(self) -> str:
        value = self.data.get("kind")
        if value is None:
            return "page" if self.file.source.startswith(PAGES_DIR) else "note"
        if value not in ("note", "page"):
            self.error("kind", f"expected note or page, found {quote(value)}")
            return "note"
        return value

    def menu(self, kind: str) -> int | None:
        value = self.data.get("menu")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error("menu", f"expected a whole number (the page's place in the menu, lowest "
                       f"first), found {quote(value)}")
            return None
        if kind != "page":
            self.warn("menu", "only pages (content/pages/ or kind: page) go in the menu; "
                      "ignored")
            return None
        return value

    def _name_parts(self) -> tuple[str | None, str]:
        path = PurePosixPath(self.file.source)
        stem = path.parent.name if path.stem == "index" else path.stem
        return split_jekyll_date(stem)

    def text(self, key: str, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, "required; add a line such as  title: \"Paper title\""
                           if key == "title" else "required")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.error(key, f"expected text, found a {_type_name(value)}")
            return ""
        # An int is read only from digits str() writes back the same: `title: 2025` is "2025".
        text = str(value).strip()
        if required and not text:
            self.error(key, "must not be empty")
        return text

    def date(self, key: str, fallback: str | None = None) -> datetime:
        value = self.data.get(key, fallback)
        if value is None:
            self.error(key, "required: expected YYYY-MM-DD or ISO 8601 date-time (or a "
                       "YYYY-MM-DD- prefix on the file name)")
            return datetime.min
        try:
            return parse_date(value, self.tz)
        except ValueError:
            self.error(key, f"expected YYYY-MM-DD or ISO 8601 date-time, found {quote(value)}")
            return datetime.min

    def slug(self, stem_slug: str) -> str:
        value = self.data.get("slug")
        if value is None:
            slug = stem_slug.lower().replace(" ", "-")
            if len(slug.encode()) > NAME_MAX_BYTES:
                self.error("slug", f"the file name makes a slug of {len(slug.encode())} bytes, "
                           f"over the {NAME_MAX_BYTES} a folder name can hold with index.html; "
                           "add a shorter 'slug:' or rename the file")
            return slug
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # `slug: 2025` is the text typed
        if not isinstance(value, str) or not SAFE_SLUG.match(value) or ".." in value:
            self.error("slug", f"expected letters, digits, '-', '_' or '.' (no '/' or '..'), "
                       f"found {quote(value)}")
            return ""
        if len(value.encode()) > NAME_MAX_BYTES:
            self.error("slug", f"{len(value.encode())} bytes long, over the {NAME_MAX_BYTES} a "
                       "folder name can hold with index.html; choose a shorter slug")
            return ""
        return value

    def string_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            names: tuple[str, ...] = (value.strip(),) if value.strip() else ()
        elif isinstance(value, list) and all(isinstance(v, str | int) and
                                             not isinstance(v, bool) for v in value):
            names = tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))
        else:
            self.error(key, f"expected a list of names or one name, found {quote(value)}")
            return ()
        return names if self._fit_in_folder_names(key, names) else ()

    def _fit_in_folder_names(self, key: str, names: tuple[str, ...]) -> bool:
        """Each category, tag and venue gets a folder named by its slug."""
        if key not in ("categories", "category", "tags", "venue"):
            return True
        too_long = next((n for n in names if len(slugify(n).encode()) > NAME_MAX_BYTES), None)
        if too_long is not None:
            self.error(key, f"{quote(too_long)} makes a folder name of "
                       f"{len(slugify(too_long).encode())} bytes, over the {NAME_MAX_BYTES} a "
                       "file system allows with index.html; shorten it")
        return too_long is None

    def venue(self) -> str:
        venue = self.text("venue")
        return venue if self._fit_in_folder_names("venue", (venue,) if venue else ()) else ""

    def categories(self) -> tuple[str, ...]:
        both = self.string_list("categories") + self.string_list("category")
        return tuple(dict.fromkeys(both))

    def authors(self) -> tuple[tuple[str, ...], tuple[Author, ...]]:
        """Names, and the authors with links and affiliations when mappings give them
        (``- name: Ada Lovelace`` / ``url:`` / ``affiliations: {name:, url:}``)."""
        value = self.data.get("authors")
        if isinstance(value, str):
            return split_authors(value), ()
        if not isinstance(value, list) or not any(isinstance(v, dict) for v in value):
            return self.string_list("authors"), ()
        details = [self._author(item) for item in value]
        if any(author is None for author in details):
            return (), ()
        found = tuple(a for a in details if a is not None)
        detailed = any(a.url or a.affiliations for a in found)
        return tuple(a.name for a in found), found if detailed else ()

    def _author(self, item: object) -> Author | None:
        author = read_author(item, _is_link)
        if author is None:
            self.error("authors", f"expected a name, or a mapping with 'name:' (and 'url:', "
                       f"'affiliations:'), found {quote(item)}")
        return author

    def subtitle(self) -> tuple[str, str]:
        """``subtitle``, else a translated title (``title_ja``) and its language."""
        if self.data.get("subtitle") is not None:
            return self.text("subtitle"), ""
        for key in self.data:
            match = TRANSLATED_TITLE.match(str(key))
            if match and self.text(str(key)):
                return self.text(str(key)), match.group(1)
        return "", ""

    def is_draft(self) -> bool:
        """``draft: true``, or Jekyll's ``published: false``: left out unless --drafts."""
        published = self.flag("published") if "published" in self.data else True
        return self.flag("draft") or not published

    def arxiv(self) -> str:
        """``arxiv``, else Jekyll's ``arxiv_id``, else ``arxiv_url``; each one is checked."""
        found = [self._arxiv(key) for key in ("arxiv", "arxiv_id", "arxiv_url")
                 if self.data.get(key) is not None]
        return next((arxiv for arxiv in found if arxiv), "")

    def _arxiv(self, key: str) -> str:
        value = self.data[key]
        normal = normalise_arxiv(str(value)) if isinstance(value, str | int) else None
        if normal is None:
            self.error(key, f"expected an arXiv id such as 2106.09685 or an arxiv.org URL, "
                       f"found {quote(value)}")
            return ""
        return normal

    def links(self) -> tuple[tuple[str, str], ...]:
        value = self.data.get("links")
        pairs: list[tuple[str, str]] = []
        if value is not None and not isinstance(value, dict):
            self.error("links", f"expected a mapping of label to URL (e.g. 'code: https://…'), "
                       f"found a {_type_name(value)}")
            value = None  # 'link' below is still checked: every mistake in one run
        for label, url in (value or {}).items():
            if not _is_link(url):
                self.error(f"links.{label}", f"expected an http(s) URL (or mailto:, doi:, or a "
                           f"path starting with /), found {quote(url)}")
                continue
            pairs.append((str(label), url.strip()))
        for key, label in JEKYLL_LINK_KEYS:
            url = self.data.get(key)
            if url is None:
                continue
            if not _is_link(url):
                self.error(key, f"expected an http(s) URL, found {quote(url)}")
            elif all(u != url.strip() for _, u in pairs):
                taken = any(name == label for name, _ in pairs)
                pairs.append((key.removesuffix("_url") if taken else label, url.strip()))
        link = self.data.get("link")
        if link is not None:
            if _is_link(link):
                if all(label != "paper" for label, _ in pairs):
                    pairs.insert(0, ("paper", link.strip()))
            else:
                self.error("link", f"expected an http(s) URL (or mailto:, doi:, or a path "
                           f"starting with /), found {quote(link)}")
        return tuple(pairs)

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if isinstance(value, str) and value.lower() in _YAML11_FLAGS:
            # YAML 1.1 spellings, which the loader leaves as text: for a flag they mean yes/no.
            return _YAML11_FLAGS[value.lower()]
        if not isinstance(value, bool):
            self.error(key, f"expected true or false, found {quote(value)}")
            return False
        return value

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(key, f"expected a mapping, found a {_type_name(value)}")
            return {}
        return value
