"""Stage 1: load ``site.toml`` into typed, validated settings.

The settings are declared once, as dataclasses with a docstring per field (MkDocs' typed config).
:func:`load_config` validates the whole file in one pass and reports every problem with its key
path (``feed.entries: expected an integer, found "ten"``), as Zola does for unknown fields.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError, Problems, quote

__all__ = ["ConfigError", "SiteConfig", "load_config"]

CONFIG_FILE = "site.toml"


@dataclass(frozen=True)
class Permalinks:
    """URL patterns. ``{slug}`` is the page's slug; note patterns may also use ``{year}``,
    ``{month}`` and ``{day}``; the year pattern uses ``{year}``."""

    note: str = "/papers/{slug}/"
    category: str = "/categories/{slug}/"
    tag: str = "/tags/{slug}/"
    venue: str = "/venues/{slug}/"
    year: str = "/archive/{year}/"
    page: str = "/{slug}/"
    """A standalone page (content/pages/about.md -> /about/)."""


@dataclass(frozen=True)
class FeedConfig:
    """The Atom feeds (``/feed.xml`` and one per category)."""

    entries: int = 20
    """How many of the newest notes each feed carries."""
    full_content: bool = True
    """Whole note HTML in each entry; false puts only the summary."""


@dataclass(frozen=True)
class MarkdownConfig:
    """How note bodies are read (``[markdown]``)."""

    engine: str = "python-markdown"
    """What turns Markdown into HTML: ``"python-markdown"`` (every construct of
    docs/markdown.md) or ``"commonmark"`` (pulldown-cmark through pyromark, many times faster;
    docs/markdown.md "Engines" lists what it reads differently). digestif's own passes (math,
    heading ids, links, wiki-links, alerts, code) are the same for both."""
    math: str = "mathjax"
    """Which ``$`` delimiters are math: ``"mathjax"`` (MathJax/KaTeX auto-render, what most
    notes are written for: ``$ x $`` with spaces is math, ``\\$`` is a dollar sign) or
    ``"pandoc"`` ("costs $5 and $10" is text). docs/math.md has both rules."""
    macros: dict[str, str] = field(default_factory=dict)
    """Site-wide TeX macros, name (without the backslash) -> replacement."""
    smart_quotes: bool = False
    """Curly quotes and en/em dashes from ``"``, ``--`` and ``---`` (kramdown does this)."""
    time_budget: int = 30
    """Seconds Markdown may spend on one note before it is stopped with an error (0: no
    limit). A 5 MB note of dense Markdown takes about 10 s on a slow machine."""
    max_note_kb: int = 10_000
    """Notes larger than this many kilobytes are refused with an error (0: no limit)."""


MATH_RULES = ("pandoc", "mathjax")
ENGINES = ("python-markdown", "commonmark")


@dataclass(frozen=True)
class SearchConfig:
    """Full-text search."""

    enabled: bool = True


@dataclass(frozen=True)
class DigestConfig:
    """What each entry of the digest page says (``[digest]``)."""

    show: str = "summary"
    """``"summary"``: the summary, or the note's bullets when it has none (a brief note that is
    only a list); ``"bullets"``: the note's first list, or the summary when it has no list;
    ``"both"``: the summary and then the bullets."""


DIGEST_SHOWS = ("summary", "bullets", "both")


@dataclass(frozen=True)
class CategoryConfig:
    """Extra information about one category, keyed by its name as notes write it."""

    description: str = ""


@dataclass(frozen=True)
class SiteConfig:
    """Everything ``site.toml`` can say. Paths are resolved against the site folder."""

    title: str = "Paper Notes"
    description: str = ""
    author: str = ""
    base_url: str = "http://localhost:8000/"
    """Where the site is published; a path (``https://user.github.io/repo/``) prefixes every URL."""
    language: str = "en"
    """BCP 47 language tag of the site (``en``, ``en-US``, ``ko``)."""
    timezone: str = "UTC"
    """IANA zone for dates written without an offset."""
    output_dir: str = "_site"
    cname: str = ""
    """A custom domain for GitHub Pages; written to ``CNAME`` when set."""
    paginate: int = 10
    """Notes per page on the home, category and tag pages."""
    image: str = ""
    """The picture of a shared link (``og:image``) for pages and notes without one: a path on
    the site (``/card.png``, a file in ``static/``) or an http(s) URL."""
    permalinks: Permalinks = field(default_factory=Permalinks)
    feed: FeedConfig = field(default_factory=FeedConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    markdown: MarkdownConfig = field(default_factory=MarkdownConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    categories: dict[str, CategoryConfig] = field(default_factory=dict)
    extra: dict[str, typing.Any] = field(default_factory=dict)
    """Free-form values for templates (``site.extra``)."""

    # Derived at load time, not read from the file.
    site_dir: Path = field(default=Path("."), compare=False)

    @property
    def base_path(self) -> str:
        """The path part of base_url, always ending in ``/`` (``/`` or ``/repo/``)."""
        return urlsplit(self.base_url).path or "/"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def output_path(self) -> Path:
        return (self.site_dir / self.output_dir).resolve()

    @property
    def content_path(self) -> Path:
        return self.site_dir / "content"


def load_config(site_dir: Path, overrides: dict[str, typing.Any] | None = None) -> SiteConfig:
    """Read and validate ``site_dir/site.toml``; ``overrides`` (from the command line) win."""
    path = site_dir / CONFIG_FILE
    problems = Problems()
    raw: dict[str, typing.Any] = {}
    if not path.is_file():
        problems.error(CONFIG_FILE,
                       f"not found in {site_dir}; run `digestif init` to create a site")
        raise ConfigError(problems)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        problems.error(CONFIG_FILE, f"is not UTF-8 text ({exc.reason} at byte {exc.start})")
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        problems.error(CONFIG_FILE, f"invalid TOML: {exc}", int(line.group(1)) if line else None)
    raw.update(overrides or {})
    config = _build(SiteConfig, raw, "", problems)
    if config is not None:
        config = dataclasses.replace(config, site_dir=site_dir.resolve())
        config = _check_values(config, problems)
    if problems.errors:
        raise ConfigError(problems)
    return config


def _build(cls: type, raw: object, prefix: str, problems: Problems):
    """Turn a TOML table into ``cls``, reporting unknown keys and wrong types by key path."""
    if not isinstance(raw, dict):
        problems.error(CONFIG_FILE, f"expected a table, found {quote(raw)}", field=prefix or None)
        return None
    hints = typing.get_type_hints(cls)
    settable = {f.name for f in dataclasses.fields(cls) if f.name != "site_dir"}
    values = {}
    for key, value in raw.items():
        path = f"{prefix}{key}"
        if key not in settable:
            expected = ", ".join(sorted(settable))
            problems.error(CONFIG_FILE, f"unknown key; expected one of {expected}", field=path)
            continue
        converted = _convert(hints[key], value, path, problems)
        if converted is not _INVALID:
            values[key] = converted
    return cls(**values)


_INVALID = object()
_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false"}


def _convert(hint: typing.Any, value: object, path: str, problems: Problems):
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        built = _build(hint, value, f"{path}.", problems)
        return _INVALID if built is None else built
    if origin is dict:
        if not isinstance(value, dict):
            problems.error(CONFIG_FILE, f"expected a table, found {quote(value)}", field=path)
            return _INVALID
        _, value_hint = typing.get_args(hint)
        if value_hint is typing.Any:
            return value
        items = {k: _convert(value_hint, v, f"{path}.{k}", problems) for k, v in value.items()}
        return {k: v for k, v in items.items() if v is not _INVALID}
    if hint in _TYPE_NAMES:
        # bool is an int in Python; TOML keeps them apart, and so do we.
        if type(value) is not hint:
            problems.error(CONFIG_FILE, f"expected {_TYPE_NAMES[hint]}, found {quote(value)}",
                           field=path)
            return _INVALID
        return value
    if origin in (typing.Union, types.UnionType):  # pragma: no cover - no optional keys yet
        return value
    return value


_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
_PATTERN_FIELDS = {"note": "{slug}", "category": "{slug}", "tag": "{slug}", "venue": "{slug}",
                   "year": "{year}", "page": "{slug}"}


def _check_values(config: SiteConfig, problems: Problems) -> SiteConfig:
    """Checks on values whose type is right but whose content may not be."""
    changes: dict[str, typing.Any] = {}
    url = urlsplit(config.base_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        problems.error(CONFIG_FILE, f"expected an http(s) URL, found {quote(config.base_url)}",
                       field="base_url")
    elif not config.base_url.endswith("/"):
        changes["base_url"] = config.base_url + "/"
    if not _LANGUAGE.match(config.language):
        problems.error(CONFIG_FILE, f"expected a BCP 47 language tag such as en-US, found "
                       f"{quote(config.language)}", field="language")
    else:
        changes["language"] = config.language.replace("_", "-")
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.error(CONFIG_FILE, f"expected an IANA time zone such as Asia/Seoul, found "
                       f"{quote(config.timezone)}", field="timezone")
    if config.image and not (config.image.startswith("/") or
                             urlsplit(config.image).scheme in ("http", "https")):
        problems.error(CONFIG_FILE, f"expected a path on the site such as /card.png or an "
                       f"http(s) URL, found {quote(config.image)}", field="image")
    if config.paginate < 1:
        problems.error(CONFIG_FILE, f"expected a positive integer, found {config.paginate}",
                       field="paginate")
    if config.feed.entries < 1:
        problems.error(CONFIG_FILE, f"expected a positive integer, found {config.feed.entries}",
                       field="feed.entries")
    if config.markdown.math not in MATH_RULES:
        problems.error(CONFIG_FILE, f"expected one of {', '.join(MATH_RULES)}, found "
                       f"{quote(config.markdown.math)}", field="markdown.math")
    if config.markdown.engine not in ENGINES:
        problems.error(CONFIG_FILE, f"expected one of {', '.join(ENGINES)}, found "
                       f"{quote(config.markdown.engine)}", field="markdown.engine")
    if config.digest.show not in DIGEST_SHOWS:
        problems.error(CONFIG_FILE, f"expected one of {', '.join(DIGEST_SHOWS)}, found "
                       f"{quote(config.digest.show)}", field="digest.show")
    for name in ("time_budget", "max_note_kb"):
        if getattr(config.markdown, name) < 0:
            problems.error(CONFIG_FILE, f"expected 0 (no limit) or a positive integer, found "
                           f"{getattr(config.markdown, name)}", field=f"markdown.{name}")
    for name, placeholder in _PATTERN_FIELDS.items():
        pattern = getattr(config.permalinks, name)
        if not pattern.startswith("/") or placeholder not in pattern or ".." in pattern:
            problems.error(CONFIG_FILE, f"expected a path starting with / containing "
                           f"{placeholder} and no '..', found {quote(pattern)}",
                           field=f"permalinks.{name}")
    out = (config.site_dir / config.output_dir).resolve()
    if out == config.site_dir or out in config.site_dir.parents or \
            config.content_path.resolve().is_relative_to(out):
        problems.error(CONFIG_FILE, f"{quote(config.output_dir)} would overwrite the site itself; "
                       "choose a folder such as _site", field="output_dir")
    return dataclasses.replace(config, **changes)
