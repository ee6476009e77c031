"""What a Jekyll site's ``_config.yml`` and layouts say about its posts: where the site is,
the time zone of its dates, and how its Markdown is rendered (math, quotes), for site.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ..config import CONFIG_FILE
from ..console import Console
from ..errors import Problems, quote
from .common import shown

_MATH_SCRIPT = re.compile(r"mathjax|katex", re.IGNORECASE)
# kramdown's setting for plain quotes; any other value (or none) means typographic quotes.
_PLAIN_QUOTES = "apos,apos,quot,quot"


def site_root_of(root: Path) -> Path:
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


def site_timezone(site_root: Path, problems: Problems) -> ZoneInfo | None:
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


def read_config(site_root: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load((site_root / "_config.yml").read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def markdown_settings(site_root: Path, posts: list[Path]) -> dict[str, tuple[Any, str]]:
    """``[markdown]`` keys for site.toml that render the posts as the Jekyll site did, each
    with the reason: ``{"math": ("mathjax", "…"), "smart_quotes": (True, "…")}``. Nothing
    without a ``_config.yml``: then it is not known how the posts were rendered."""
    if not (site_root / "_config.yml").is_file():
        return {}
    config = read_config(site_root)
    return {"math": _math_rule(site_root, config, posts),
            "smart_quotes": _smart_quotes(config)}


def _math_rule(site_root: Path, config: dict, posts: list[Path]) -> tuple[str, str]:
    """MathJax or KaTeX auto-render anywhere (config, layouts, includes, the posts) means
    ``$ x $`` was math on the page: the "mathjax" rule."""
    config_text = yaml.safe_dump(config) if config else ""
    if _MATH_SCRIPT.search(config_text):
        return "mathjax", "_config.yml turns on MathJax/KaTeX"
    for folder in ("_layouts", "_includes"):
        for path in sorted((site_root / folder).rglob("*.html")) if (
                site_root / folder).is_dir() else ():
            if _MATH_SCRIPT.search(_read(path)):
                return "mathjax", f"{shown(path)} loads MathJax/KaTeX"
    for path in posts:
        text = _read(path)
        if "<script" in text and _MATH_SCRIPT.search(text):
            return "mathjax", f"{shown(path)} (and maybe other posts) loads MathJax/KaTeX"
    return "pandoc", "the Jekyll site loads neither MathJax nor KaTeX"


def _smart_quotes(config: dict) -> tuple[bool, str]:
    processor = str(config.get("markdown") or "kramdown").lower()
    if processor != "kramdown":
        return False, f"_config.yml renders Markdown with {processor}, without smart quotes"
    options = config.get("kramdown") if isinstance(config.get("kramdown"), dict) else {}
    if str(options.get("smart_quotes", "")).replace(" ", "") == _PLAIN_QUOTES:
        return False, "_config.yml turns kramdown's smart quotes off"
    return True, "kramdown (Jekyll's Markdown) makes quotes typographic"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def apply_settings(site_dir: Path, settings: dict[str, tuple[Any, str]], console: Console,
                   dry_run: bool) -> None:
    """Add the missing ``[markdown]`` keys to site.toml, keep the ones it has; say which."""
    path = site_dir / CONFIG_FILE
    if not settings:
        return
    if not path.is_file():
        wanted = ", ".join(f"{k} = {_toml(v)}" for k, (v, _) in settings.items())
        console.info(f"no {CONFIG_FILE} in {shown(site_dir)}: add [markdown] {wanted} to it "
                     "so the notes render as they did in Jekyll")
        return
    text = path.read_text(encoding="utf-8")
    try:
        current = tomllib.loads(text).get("markdown", {})
    except tomllib.TOMLDecodeError:
        return  # the build will say what is wrong with it
    added = []
    for key, (value, why) in settings.items():
        if key in current:
            if current[key] != value:
                console.info(f"kept [markdown] {key} = {_toml(current[key])} of "
                             f"{CONFIG_FILE}; the Jekyll site suggests {_toml(value)} ({why})")
            continue
        added.append(f"{key} = {_toml(value)}")
        verb = "would set" if dry_run else "set"
        console.info(f"{verb} [markdown] {key} = {_toml(value)} in {CONFIG_FILE}: {why}")
    if added and not dry_run:
        updated = _with_keys(text, added, has_table="markdown" in tomllib.loads(text))
        if updated is None:
            console.info(f"add {', '.join(added)} to the markdown table of {CONFIG_FILE} "
                         "yourself: it is written inline, so the import leaves it alone")
            return
        path.write_text(updated, encoding="utf-8")


def _with_keys(text: str, lines: list[str], has_table: bool) -> str | None:
    """``text`` with ``lines`` under its ``[markdown]`` header (added at the end when there is
    none); None when the table exists but not as a header (``markdown = {…}``)."""
    text = text if text.endswith("\n") else text + "\n"
    header = re.search(r"^\[markdown\][ \t]*(?:#.*)?$", text, re.MULTILINE)
    block = "\n".join(lines) + "\n"
    if header is None:
        if has_table:
            return None
        return text.rstrip("\n") + "\n\n[markdown]\n" + block
    end = header.end() + 1
    return text[:end] + block + text[end:]


def _toml(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else f'"{value}"'
