"""``digestif import jekyll DIR``: the posts of a Jekyll site (``_posts/`` and nested
``*/_posts/``), or one post file.

Front matter is read leniently, as Jekyll's own YAML parser would (a tab after a key's colon,
``2016-01-26 2:20 PM`` dates, categories as one string). Keys digestif has are mapped; the other
Jekyll keys are kept under ``extra.jekyll`` so nothing is lost. Files the notes use from the
Jekyll site (``/assets/images/x.png``) are copied to ``static/``, which digestif serves at the
site root, so the links keep working unchanged.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

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
    link_label,
    read_text,
    shown,
)
from .distill import convert_distill, find_bibliography
from .jekyll_body import convert_body
from .jekyll_site import markdown_settings, read_config, site_root_of, site_timezone

POST_SUFFIXES = (".md", ".markdown")
# Folders of a Jekyll site that hold no posts and can be huge.
SKIPPED_DIRS = {"_site", "node_modules", "vendor", ".bundle", ".jekyll-cache", ".sass-cache"}

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
                             "folder, a folder of posts, or one post")
        return batch
    site_root = site_root_of(root)
    found = find_posts(root)
    if not root.is_file():
        _exclude(found, site_root)
    batch.skipped += [(shown(path), reason) for path, reason in found.skipped]
    if not found.posts:
        batch.problems.error(source, "has no posts: expected .md or .markdown files in a "
                             "_posts/ folder (or in the folder given)")
        return batch
    tz = site_timezone(site_root, batch.problems) or context.tz
    for path in found.posts:
        entry = path.name if root.is_file() else _entry(path, root)
        post = _Post(path, entry, site_root, tz, context, batch.problems)
        draft = post.draft()
        if draft is not None:
            batch.drafts.append(draft)
        elif post.skipped:
            batch.skipped.append((post.file, post.skipped))
    batch.settings = markdown_settings(site_root, found.posts)
    return batch


def _entry(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:  # reached through a symbolic link
        return path.as_posix()


@dataclass
class FoundPosts:
    posts: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    """Files Jekyll would not publish either, and why."""


def _exclude(found: FoundPosts, site_root: Path) -> None:
    """Jekyll does not read what ``_config.yml``'s ``exclude:`` names (``/docs``, a theme's
    sample posts); neither do we."""
    patterns = read_config(site_root).get("exclude")
    if not isinstance(patterns, list):
        return
    kept = []
    for path in found.posts:
        pattern = _excluded_by(path, site_root, [str(p) for p in patterns])
        if pattern is None:
            kept.append(path)
        else:
            found.skipped.append((path, f"excluded by _config.yml's exclude: {pattern}"))
    found.posts = kept


def _excluded_by(path: Path, site_root: Path, patterns: list[str]) -> str | None:
    try:
        relative = path.resolve().relative_to(site_root.resolve()).as_posix()
    except ValueError:
        return None
    for pattern in patterns:
        bare = pattern.strip().strip("/")
        if bare and (relative == bare or relative.startswith(bare + "/") or
                     fnmatch.fnmatch(relative, bare)):
            return pattern
    return None


def find_posts(root: Path) -> FoundPosts:
    """The posts under ``root`` as Jekyll finds them: files named ``YYYY-MM-DD-name.md`` in
    ``_posts/`` folders (also nested, ``ml/_posts/``; a symbolic link is followed), not in
    folders starting with ``_`` inside them. A folder without any ``_posts/`` is a folder of
    posts: every Markdown file in it. One file given is imported whatever its name."""
    found = FoundPosts()
    if root.is_file():
        found.posts.append(root)
        return found
    folders = [root] if root.name == "_posts" else _posts_folders(root)
    if not folders:
        found.posts = sorted(p for p in _walk(root, found, in_posts=False))
        return found
    for folder in folders:
        found.posts += _walk(folder, found, in_posts=True)
    found.posts.sort()
    return found


def _posts_folders(root: Path) -> list[Path]:
    folders, seen = [], set()
    for folder, dirnames, _ in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a link loop, or a folder linked twice
            dirnames[:] = []
            continue
        seen.add(real)
        if "_posts" in dirnames:
            folders.append(Path(folder) / "_posts")
        # Pruned here, not filtered afterwards: node_modules alone can hold 100,000 files.
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and d[0] != "."
                             and d != "_posts")
    return folders


def _walk(folder: Path, found: FoundPosts, in_posts: bool) -> list[Path]:
    posts = []
    for current, dirnames, filenames in os.walk(folder, followlinks=True):
        here = Path(current)
        dirnames.sort()
        if in_posts:
            for name in [d for d in dirnames if d.startswith("_")]:
                found.skipped += [(path, "in a folder starting with '_' inside _posts/, which "
                                   "Jekyll does not publish") for path in _markdown_in(here / name)]
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and d[0] not in "._"]
        for name in sorted(filenames):
            path = here / name
            if name[0] == "." or not name.lower().endswith(POST_SUFFIXES):
                if in_posts and name.lower().endswith((".html", ".htm")):
                    found.skipped.append((path, "an HTML post: digestif imports Markdown posts "
                                          "only; convert it or copy it by hand"))
                continue
            if in_posts and split_jekyll_date(path.stem)[0] is None:
                found.skipped.append((path, "its name does not start with YYYY-MM-DD-, so "
                                      "Jekyll does not publish it; rename it to import it"))
                continue
            posts.append(path)
    return posts


def _markdown_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in POST_SUFFIXES)


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
        self.used: set[str] = set()
        """Front-matter keys that went into the note; the rest go under extra.jekyll."""
        self.skipped = ""
        """Why the post is not imported, when Jekyll would not publish it either."""

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
        bibliography = find_bibliography(data.get("bibliography"), self.site_root, self.path)
        text = convert_distill(converted.text, bibliography, converted.notes)
        for line, message in sorted(converted.notes):
            self.warn(message, body_line + line - 1)
        meta = self._meta(date_in_name, name_slug, text)
        return Draft(entry=self.entry, where=self.file, slug=slug, meta=meta,
                     body=text, assets=self._assets(text, body, body_line))

    def _split(self, text: str) -> tuple[str, str, int] | None:
        lines = text.split("\n")
        if lines[0].rstrip() != "---":
            self.warn("skipped: no front matter ('---' on the first line), so Jekyll does not "
                      "treat it as a post either")
            self.skipped = "-"  # said already, as a warning
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
        meta.update(self._translated_title())
        updated_key = self._first("last_modified_at", "updated")
        if updated_key:
            meta["updated"] = self._moment(data[updated_key], updated_key)
            if meta["updated"] is not None:
                self.used.add(updated_key)
        meta["venue"] = self._take_text("venue")
        meta["authors"] = self._authors()
        meta["categories"] = _names(data.get("category"), split=False) + \
            _names(data.get("categories")) + self._folder_categories()
        meta["categories"] = list(dict.fromkeys(meta["categories"]))
        meta["tags"] = list(dict.fromkeys(_names(data.get("tags"))))
        meta["links"] = self._links()
        _add_paper_link(meta["links"], body)
        meta["arxiv"] = self._arxiv(meta["links"])
        for key in ("doi", "task"):
            meta[key] = self._take_text(key)
        paper_key = self._first("paper", "paper_ref")  # a citation string: "Bronstein, 2017"
        meta["paper"] = self._take_text(paper_key) if paper_key else ""
        summary_key = self._first("summary", "excerpt", "description")
        meta["summary"] = self._take_text(summary_key) if summary_key else ""
        meta["lang"] = self._take_text("lang") or detect_lang(f"{title}\n{body}",
                                                              self.context.language)
        if data.get("draft") is True or data.get("published") is False:
            meta["draft"] = True
        self.used |= {"title", "date", "category", "categories", "tags", "links", "slug",
                      "published", "draft", *(k for k, _ in LINK_KEYS)}
        unused = {key: value for key, value in data.items()
                  if key not in self.used and value not in (None, "", [], {})}
        if unused:
            meta["extra"] = {"jekyll": unused}
        return meta

    def _first(self, *keys: str) -> str | None:
        """The first of ``keys`` with a value; the others are kept under extra.jekyll."""
        return next((key for key in keys if _text(self.data.get(key)) or
                     isinstance(self.data.get(key), datetime)), None)

    def _take_text(self, key: str) -> str:
        value = _text(self.data.get(key))
        if value:
            self.used.add(key)
        return value

    def _translated_title(self) -> dict[str, str]:
        """``title_ja`` (and ``subtitle``) are kept as written; digestif shows them under the
        title, the translated one with its language."""
        found = {}
        for key in self.data:
            if (key == "subtitle" or re.fullmatch(r"title_[a-z]{2}", key)) and \
                    self._take_text(key):
                found[key] = self._take_text(key)
        return found

    def _authors(self) -> list:
        """Names (``"A, B and C"`` or a list), or distill/al-folio mappings with ``url`` and
        ``affiliations``, kept as written for digestif's reader."""
        value = self.data.get("authors")
        if isinstance(value, str):
            names: list = list(split_authors(value))
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            names = [_author(v) for v in value if _author(v)]
        else:
            names = _names(value) if isinstance(value, list) else []
        if names:
            self.used.add("authors")
        return names

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
        for key in ("arxiv", "arxiv_id", "arxiv_url"):
            given = self.data.get(key)
            if given is None:
                continue
            arxiv = normalise_arxiv(str(given))
            if arxiv:
                self.used.add(key)
                return arxiv
            self.warn(f"{quote(given)} is not an arXiv id; kept under extra.jekyll", None, key)
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


_LINK_LINE = re.compile(r"^\s*\[[^\]\n]+\]\((https?://[^)\s]+)\)\s*$")


def _add_paper_link(links: dict[str, str], body: str) -> None:
    """A post whose text opens with a link to the paper alone on its line (pemami4911's
    ``[Bronstein, 2017](https://arxiv.org/abs/…)``) has that paper: it becomes ``links.paper``
    (and so the arXiv id) when the front matter names none."""
    if "paper" in links:
        return
    first = next((line for line in body.split("\n")
                  if line.strip() and not re.fullmatch(r"\s*([-*_])(\s*\1){2,}\s*", line)), "")
    match = _LINK_LINE.match(first)
    if match and link_label("", match.group(1)) == "paper":
        add_link(links, "paper", match.group(1))


def _author(value: Any) -> str | dict | None:
    """A name, or ``{name, url, affiliations}`` with only the keys digestif reads."""
    if not isinstance(value, dict):
        return _text(value) or None
    name = _text(value.get("name"))
    if not name:
        return None
    author: dict[str, Any] = {"name": name}
    if _text(value.get("url")):
        author["url"] = _text(value["url"])
    affiliations = value.get("affiliations", value.get("affiliation"))
    if affiliations:
        author["affiliations"] = affiliations
    return author if len(author) > 1 else name
