"""``digestif import jekyll DIR``: the posts of a Jekyll site (``_posts/`` and nested
``*/_posts/``), or one post file.

Front matter is read leniently, as Jekyll's own YAML parser would (a tab after a key's colon,
``2016-01-26 2:20 PM`` dates, categories as one string). Keys digestif has are mapped; the other
Jekyll keys are kept under ``extra.jekyll`` so nothing is lost. Files the notes use from the
Jekyll site (``/assets/images/x.png``) are copied to ``static/``, which digestif serves at the
site root, so the links keep working unchanged.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ..errors import Problems, quote
from ..reader import _FrontMatterLoader, normalise_arxiv, parse_date, split_authors
from ..slugs import SAFE_SLUG, split_jekyll_date
from .common import (
    Asset,
    Batch,
    Context,
    Draft,
    add_link,
    detect_lang,
    file_slug,
    read_text,
    shown,
)
from .jekyll_body import convert_body

POST_SUFFIXES = (".md", ".markdown")
# Folders of a Jekyll site that hold no posts and can be huge.
SKIPPED_DIRS = {"_site", "node_modules", "vendor", ".bundle", ".jekyll-cache", ".sass-cache"}

# Front-matter keys this importer maps; every other key goes under extra.jekyll.
MAPPED_KEYS = {
    "title", "date", "last_modified_at", "updated", "category", "categories", "tags", "excerpt",
    "description", "summary", "link", "links", "paper_url", "code_url", "project_url", "venue",
    "paper", "arxiv", "doi", "authors", "task", "lang", "published", "draft", "slug",
}
# Jekyll's link keys and the labels digestif shows them under.
LINK_KEYS = (("paper_url", "paper"), ("link", "paper"), ("code_url", "code"),
             ("project_url", "website"))
# Root-relative URLs in Markdown links and images, HTML attributes and reference definitions.
_ROOT_URL = re.compile(
    r"""(?:\]\(\s*<?|\b(?:src|href|poster)\s*=\s*["']?|^\s{0,3}\[[^\]]+\]:\s*<?)"""
    r"""(/(?!/)[^\s)"'<>#?]*)""", re.MULTILINE)
# Paths that name a page rather than a file; those are not expected in the Jekyll folder.
_PAGE_SUFFIXES = {"", ".html", ".htm", ".md", ".markdown", ".xml"}


def read_jekyll(source: str, context: Context) -> Batch:
    root = Path(source)
    batch = Batch("jekyll", str(root.resolve()))
    if not root.exists():
        batch.problems.error(source, "not found; give a Jekyll site folder, its _posts/ "
                             "folder, or one post")
        return batch
    posts = _post_files(root)
    if not posts:
        batch.problems.error(source, "has no posts: expected .md or .markdown files in a "
                             "_posts/ folder")
        return batch
    site_root = _site_root(root)
    tz = _site_timezone(site_root, batch.problems) or context.tz
    for path in posts:
        entry = path.name if root.is_file() else path.relative_to(root).as_posix()
        draft = _Post(path, entry, site_root, tz, context, batch.problems).draft()
        if draft is not None:
            batch.drafts.append(draft)
    return batch


def _post_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    found = []
    for folder, dirnames, filenames in os.walk(root):
        # Pruned here, not filtered afterwards: node_modules alone can hold 100,000 files.
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and d[0] != ".")
        parts = Path(folder).relative_to(root).parts
        if root.name != "_posts" and "_posts" not in parts:
            continue
        found += [Path(folder) / name for name in sorted(filenames)
                  if name.lower().endswith(POST_SUFFIXES) and name[0] != "."]
    return sorted(found)


def _site_root(root: Path) -> Path:
    """The Jekyll site folder, where ``/assets/…`` URLs point: the folder above ``_posts``
    (above ``category/_posts`` if a ``_config.yml`` is there), else the folder given."""
    folder = root.parent if root.is_file() else root
    resolved = folder.resolve()
    posts = next((p for p in (resolved, *resolved.parents) if p.name == "_posts"), None)
    if posts is None:
        return resolved
    for candidate in (posts.parent, *posts.parent.parents[:2]):
        if (candidate / "_config.yml").is_file():
            return candidate
    return posts.parent


def _site_timezone(site_root: Path, problems: Problems) -> ZoneInfo | None:
    """Jekyll reads dates without an offset in ``_config.yml``'s ``timezone``; so do we."""
    config = site_root / "_config.yml"
    if not config.is_file():
        return None
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        problems.warn(shown(config), "cannot be read; dates without an offset are taken in the "
                      "site's time zone")
        return None
    name = data.get("timezone") if isinstance(data, dict) else None
    if not isinstance(name, str):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.warn(shown(config), f"{quote(name)} is not an IANA time zone; dates without "
                      "an offset are taken in the site's time zone", field="timezone")
        return None


def clean_front_matter(yaml_text: str) -> str:
    """What Jekyll accepts and strict YAML does not: a tab after a key's colon, and tabs as
    indentation."""
    text = re.sub(r"^([^:\n]*):[ \t]*\t[ \t]*", r"\1: ", yaml_text, flags=re.MULTILINE)
    return re.sub(r"^\t+", lambda m: "  " * len(m.group(0)), text, flags=re.MULTILINE)


class _Post:
    """One post file on its way to a draft; problems are reported with the post's lines."""

    def __init__(self, path: Path, entry: str, site_root: Path, tz: ZoneInfo, context: Context,
                 problems: Problems):
        self.path, self.entry, self.site_root, self.tz = path, entry, site_root, tz
        self.context, self.problems = context, problems
        self.file = shown(path)
        self.data: dict[str, Any] = {}

    def warn(self, message: str, line: int | None = None, key: str | None = None) -> None:
        self.problems.warn(self.file, message, line, key)

    def draft(self) -> Draft | None:
        text = read_text(self.path, self.problems)
        if text is None:
            return None
        split = self._split(text)
        if split is None:
            return None
        yaml_text, body, body_line = split
        data = self._parse(yaml_text)
        if data is None:
            return None
        self.data = data
        date_in_name, name_slug = split_jekyll_date(self.path.stem)
        slug = self._slug(name_slug)
        converted = convert_body(body, data)
        for line, message in converted.notes:
            self.warn(message, body_line + line - 1)
        meta = self._meta(date_in_name, name_slug, converted.text)
        return Draft(entry=self.entry, where=self.file, slug=slug, meta=meta,
                     body=converted.text, assets=self._assets(converted.text, body, body_line))

    def _split(self, text: str) -> tuple[str, str, int] | None:
        lines = text.split("\n")
        if lines[0].rstrip() != "---":
            self.warn("skipped: no front matter ('---' on the first line), so Jekyll does not "
                      "treat it as a post either")
            return None
        for index in range(1, len(lines)):
            if lines[index].rstrip() in ("---", "..."):
                return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2
        self.problems.error(self.file, "front matter opened with '---' on line 1 is never "
                            "closed; add a '---' line after the last key; not imported", 1)
        return None

    def _parse(self, yaml_text: str) -> dict | None:
        try:
            data = yaml.load(clean_front_matter(yaml_text), Loader=_FrontMatterLoader)  # noqa: S506
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 2 if mark is not None else None  # +1 for the opening ---
            problem = getattr(exc, "problem", None) or str(exc)
            self.problems.error(self.file, f"front matter is not valid YAML ({problem}); "
                                "not imported", line)
            return None
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.problems.error(self.file, "front matter is not a list of keys and values; "
                                "not imported", 2)
            return None
        return {str(key): value for key, value in data.items()}

    def _slug(self, name_slug: str) -> str:
        """The post's own name (its URL in Jekyll), or its ``slug:`` when valid."""
        value = self.data.get("slug")
        if isinstance(value, str) and SAFE_SLUG.match(value) and ".." not in value:
            return value
        return file_slug(name_slug) or file_slug(self.path.stem) or "post"

    def _meta(self, date_in_name: str | None, name_slug: str, body: str) -> dict[str, Any]:
        data = self.data
        title = self._title(name_slug)
        meta: dict[str, Any] = {"title": title, "date": self._date(date_in_name)}
        updated = data.get("last_modified_at", data.get("updated"))
        if updated is not None:
            meta["updated"] = self._moment(updated, "last_modified_at")
        meta["venue"] = _text(data.get("venue"))
        meta["authors"] = _authors(data.get("authors"))
        meta["categories"] = _names(data.get("category"), split=False) + \
            _names(data.get("categories")) + self._folder_categories()
        meta["categories"] = list(dict.fromkeys(meta["categories"]))
        meta["tags"] = list(dict.fromkeys(_names(data.get("tags"))))
        meta["links"] = self._links()
        meta["arxiv"] = self._arxiv(meta["links"])
        meta["doi"] = _text(data.get("doi"))
        meta["task"] = _text(data.get("task"))
        meta["summary"] = next((s for s in map(_text, (data.get("summary"),
                                data.get("excerpt"), data.get("description"))) if s), "")
        meta["paper"] = _text(data.get("paper"))
        meta["lang"] = _text(data.get("lang")) or detect_lang(f"{title}\n{body}",
                                                              self.context.language)
        meta["draft"] = data.get("draft") is True or data.get("published") is False
        if not meta["draft"]:
            del meta["draft"]
        unmapped = {key: value for key, value in data.items() if key not in MAPPED_KEYS}
        if unmapped:
            meta["extra"] = {"jekyll": unmapped}
        return meta

    def _title(self, name_slug: str) -> str:
        title = _text(self.data.get("title"))
        if title:
            return title
        # Jekyll titles a post without one from its file name; so do we, and say so.
        derived = " ".join(w.capitalize() for w in re.split(r"[-_\s]+", name_slug) if w)
        derived = derived or self.path.stem
        self.warn(f"no title; used {quote(derived)} from the file name, as Jekyll does", None,
                  "title")
        return derived

    def _date(self, date_in_name: str | None) -> datetime:
        value = self.data.get("date")
        if value is not None:
            moment = self._moment(value, "date")
            if moment is not None:
                return moment
        if date_in_name is not None:
            return parse_date(date_in_name, self.tz)
        moment = datetime.fromtimestamp(self.path.stat().st_mtime, self.tz)
        self.warn(f"no date in the front matter or the file name; used the file's modification "
                  f"date {moment.date()}: check it", None, "date")
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)

    def _moment(self, value: Any, key: str) -> datetime | None:
        try:
            return parse_date(value if isinstance(value, str) else str(value), self.tz)
        except ValueError:
            self.warn(f"{quote(value)} is not a date digestif reads (YYYY-MM-DD, optionally "
                      "with a time); ignored", None, key)
            return None

    def _folder_categories(self) -> list[str]:
        """Jekyll makes the folders above ``_posts`` (``ml/_posts/``) categories of the post."""
        try:
            parts = self.path.resolve().relative_to(self.site_root).parts
        except ValueError:
            return []
        if "_posts" not in parts:
            return []
        return [part for part in parts[:parts.index("_posts")] if not part.startswith("_")]

    def _links(self) -> dict[str, str]:
        links: dict[str, str] = {}
        given = self.data.get("links")
        if isinstance(given, dict):
            for label, url in given.items():
                if isinstance(url, str) and url.strip():
                    add_link(links, str(label), url.strip())
        for key, label in LINK_KEYS:
            url = _text(self.data.get(key))
            if url:
                add_link(links, label if label not in links else key.removesuffix("_url"), url)
        return links

    def _arxiv(self, links: dict[str, str]) -> str:
        given = self.data.get("arxiv")
        if given is not None:
            arxiv = normalise_arxiv(str(given))
            if arxiv:
                return arxiv
            self.warn(f"{quote(given)} is not an arXiv id; left out", None, "arxiv")
        return next((a for a in map(normalise_arxiv, links.values()) if a), "")

    def _assets(self, text: str, original: str, body_line: int) -> list[Asset]:
        """Files of the Jekyll site the note links to root-relatively, to copy to static/."""
        assets: dict[str, Asset] = {}
        missing: set[str] = set()
        for match in _ROOT_URL.finditer(text):
            url = unquote(match.group(1))
            rel = url.lstrip("/")
            source = (self.site_root / rel).resolve()
            inside = source.is_relative_to(self.site_root) and not any(
                part.startswith("_") for part in PurePosixPath(rel).parts)
            if inside and source.is_file():
                assets.setdefault(rel, Asset(source, rel))
            elif PurePosixPath(rel).suffix.lower() not in _PAGE_SUFFIXES and url not in missing:
                missing.add(url)
                self.warn(f"links to {url}, which is not in the Jekyll site folder "
                          f"{shown(self.site_root)}; copy it to static{url} by hand",
                          _line_of(original, (match.group(0), match.group(1)), body_line))
        return list(assets.values())


def _line_of(body: str, snippets: tuple[str, ...], body_line: int) -> int | None:
    """The post's line holding the first of ``snippets`` found in its body."""
    for snippet in snippets:
        offset = body.find(snippet)
        if offset >= 0:
            return body_line + body.count("\n", 0, offset)
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value).strip()


def _names(value: Any, split: bool = True) -> list[str]:
    """Jekyll's ``categories``/``tags``: a list, or one string split on spaces (on commas when
    it has any); ``category`` is one name."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if _text(v)]
    text = _text(value)
    if not text:
        return []
    if not split:
        return [text]
    parts = text.split(",") if "," in text else text.split()
    return [part.strip() for part in parts if part.strip()]


def _authors(value: Any) -> list[str]:
    if isinstance(value, str):
        return list(split_authors(value))
    return _names(value) if isinstance(value, list) else []
