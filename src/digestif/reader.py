"""Stage 2: find the notes under ``content/`` and read each into a :class:`Note`.

Nothing here renders Markdown; the reader validates front matter and reports every problem with
file, line and field, so one run lists every mistake in every note.
"""

from __future__ import annotations

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
from .note import Note
from .slugs import SAFE_SLUG, split_jekyll_date

NOTE_SUFFIXES = (".md", ".markdown")

KNOWN_KEYS = {
    "title", "date", "updated", "venue", "authors", "arxiv", "doi", "task", "categories",
    "tags", "links", "summary", "slug", "draft", "extra", "lang",
    # Jekyll keys kept so existing notes build unchanged.
    "category", "layout", "link", "paper", "excerpt", "permalink",
}


class _FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML without implicit timestamps and floats: dates are parsed by us (PyYAML crashes on
    ``2025-13-45`` and guesses time zones), and ``arxiv: 2106.10000`` must not become 2106.1."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class NoteFile:
    """A found note file, before reading."""

    path: Path
    source: str


def find_notes(content_dir: Path, site_dir: Path, problems: Problems) -> list[NoteFile]:
    """Every ``*.md`` / ``*.markdown`` under ``content_dir``, sorted, refusing links that leave
    the site. Plain string paths: pathlib costs more than the walk itself on big sites."""
    found: list[NoteFile] = []
    site_root = site_dir.resolve()
    prefix = len(str(site_dir).rstrip(os.sep)) + 1
    for folder, dirnames, filenames in os.walk(content_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(NOTE_SUFFIXES):
                continue
            path = os.path.join(folder, name)
            source = path[prefix:].replace(os.sep, "/")
            if os.path.islink(path) and not Path(path).resolve().is_relative_to(site_root):
                problems.error(source, "is a symbolic link to a file outside the site; "
                               "copy the file into content/ instead")
                continue
            found.append(NoteFile(Path(path), source))
    return found


def read_note(file: NoteFile, tz: ZoneInfo, problems: Problems) -> Note | None:
    """Read and parse one file; on any error report it and return None."""
    try:
        raw = file.path.read_bytes()
    except OSError as exc:
        problems.error(file.source, f"cannot be read: {exc.strerror}")
        return None
    return parse_note(file, raw, tz, problems)


def parse_note(file: NoteFile, raw: bytes, tz: ZoneInfo, problems: Problems,
               digest: str = "") -> Note | None:
    """Parse a file's bytes; on any error report it and return None."""
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
    """The first control character in a front-matter value (YAML escapes such as "\\x16")."""
    if isinstance(value, str):
        found = _CONTROL.search(value)
        return found.group() if found else None
    items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
    if not isinstance(items, list):
        return None
    return next((c for c in map(_control_character_in, items) if c), None)


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
        data = yaml.load(yaml_text, Loader=_FrontMatterLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None  # +1 for the opening ---
        problems.error(source, _describe_yaml_error(exc, yaml_text, mark), line)
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.error(source, f"front matter: expected keys and values (a mapping), found a "
                       f"{_type_name(data)}", 2)
        return None
    return data


def _describe_yaml_error(exc: yaml.YAMLError, yaml_text: str, mark) -> str:
    problem = getattr(exc, "problem", None) or str(exc)
    lines = yaml_text.split("\n")
    if mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]:
        key = lines[mark.line].split(":", 1)[0].strip()
        return f"invalid YAML: a tab in '{key}'; YAML indents and separates with spaces only"
    return f"invalid YAML: {problem}"


def _type_name(value: object) -> str:
    return {list: "list", dict: "mapping", str: "string", int: "number", bool: "true/false",
            float: "number"}.get(type(value), type(value).__name__)


def _key_lines(yaml_text: str) -> dict[str, int]:
    """Line (in the file) of each top-level key, for messages about one field."""
    try:
        node = yaml.compose(yaml_text, Loader=_FrontMatterLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 2 for key, _ in node.value}


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


def normalise_arxiv(value: str) -> str | None:
    """``arXiv:2106.09685v2`` or an abs/pdf URL -> ``2106.09685``; None if not an arXiv id."""
    match = _ARXIV.match(value.strip())
    return match.group(1) if match else None


def split_authors(value: str) -> tuple[str, ...]:
    """``"A, B and C"`` -> ``("A", "B", "C")``."""
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+|;\s*", value)
    return tuple(p.strip() for p in parts if p.strip())


_LINK_SCHEMES = ("http", "https", "mailto", "doi", "")


def _is_link(url: object) -> bool:
    """An URL a badge may point at: web, mail, DOI, or a path on the site. Never
    ``javascript:`` or ``data:``, which would run or show code from an imported note."""
    if not isinstance(url, str) or not url.strip():
        return False
    return urlsplit(url.strip()).scheme.lower() in _LINK_SCHEMES


class _NoteBuilder:
    """Validates one front-matter mapping field by field, collecting every problem."""

    def __init__(self, file: NoteFile, data: dict, yaml_text: str, tz: ZoneInfo,
                 problems: Problems):
        self.file, self.data, self.tz, self.problems = file, data, tz, problems
        self._yaml_text = yaml_text
        self._lines: dict[str, int] | None = None
        self.failed = False

    def line(self, key: str) -> int | None:
        if self._lines is None:
            self._lines = _key_lines(self._yaml_text)
        return self._lines.get(key)

    def error(self, key: str, message: str) -> None:
        self.failed = True
        self.problems.error(self.file.source, message, self.line(key), key)

    def warn(self, key: str, message: str) -> None:
        self.problems.warn(self.file.source, message, self.line(key), key)

    def build(self, body: str, body_line: int, digest: str) -> Note | None:
        data = self.data
        for key, value in data.items():
            character = _control_character_in(value)
            if character:
                self.error(str(key), f"contains the control character U+{ord(character):04X}, "
                           "which HTML and feeds cannot carry; remove it")
        for key in data:
            if key == "permalink":
                self.warn(key, "ignored; digestif builds URLs from site.toml [permalinks]")
            elif key not in KNOWN_KEYS:
                self.warn(str(key), "unknown front-matter key (kept out of the site; put "
                          "free-form data under 'extra:')")
        file_date, stem_slug = self._name_parts()
        title = self.text("title", required=True)
        note_date = self.date("date", fallback=file_date)
        fields = dict(
            source=self.file.source, title=title, date=note_date, body=body,
            body_line=body_line, slug=self.slug(stem_slug),
            updated=self.date("updated") if "updated" in data else None,
            venue=self.text("venue"), authors=self.authors(), arxiv=self.arxiv(),
            doi=self.text("doi"), task=self.text("task"), categories=self.categories(),
            tags=self.string_list("tags"), links=self.links(),
            summary=self.text("summary") or self.text("excerpt"), paper=self.text("paper"),
            lang=self.text("lang"), draft=self.flag("draft"), extra=self.mapping("extra"),
            digest=digest,
        )
        if self.failed:
            return None
        return Note(**fields)

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
        if isinstance(value, int) and key in ("title",):
            self.error(key, f"expected text, found the number {value}; put it in quotes")
            return ""
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
            return stem_slug.lower().replace(" ", "-")
        if not isinstance(value, str) or not SAFE_SLUG.match(value) or ".." in value:
            self.error("slug", f"expected letters, digits, '-', '_' or '.' (no '/' or '..'), "
                       f"found {quote(value)}")
            return ""
        return value

    def string_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value.strip(),) if value.strip() else ()
        if isinstance(value, list) and all(isinstance(v, str | int) and
                                           not isinstance(v, bool) for v in value):
            return tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))
        self.error(key, f"expected a list of names or one name, found {quote(value)}")
        return ()

    def categories(self) -> tuple[str, ...]:
        both = self.string_list("categories") + self.string_list("category")
        return tuple(dict.fromkeys(both))

    def authors(self) -> tuple[str, ...]:
        value = self.data.get("authors")
        if isinstance(value, str):
            return split_authors(value)
        return self.string_list("authors")

    def arxiv(self) -> str:
        value = self.data.get("arxiv")
        if value is None:
            return ""
        normal = normalise_arxiv(str(value)) if isinstance(value, str | int) else None
        if normal is None:
            self.error("arxiv", f"expected an arXiv id such as 2106.09685 or an arxiv.org URL, "
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
                self.error("links", f"expected an http(s) URL for '{label}', found {quote(url)}")
                continue
            pairs.append((str(label), url.strip()))
        link = self.data.get("link")
        if link is not None:
            if _is_link(link):
                if all(label != "paper" for label, _ in pairs):
                    pairs.insert(0, ("paper", link.strip()))
            else:
                self.error("link", f"expected an http(s) URL, found {quote(link)}")
        return tuple(pairs)

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
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
