"""Jekyll's front-matter keys and ``_posts`` rules, for posts copied into ``content/`` as they
are: what the reader maps, what it reads without a warning (a theme's keys), what it leaves out
as Jekyll does. docs/importing.md lists where each key goes."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

from .note import Affiliation, Author
from .slugs import split_jekyll_date

log = logging.getLogger("digestif.reader")
NOTE_SUFFIXES = (".md", ".markdown")

# Jekyll link keys and the label each link gets.
JEKYLL_LINK_KEYS = (("paper_url", "paper"), ("code_url", "code"), ("project_url", "website"))
# Keys that style a Jekyll theme (al-folio, minimal-mistakes, distill) and mean nothing to
# digestif's: read without a warning, listed under -v, so nothing is dropped unsaid.
JEKYLL_THEME_KEYS = {
    "layout", "author", "comments", "toc", "toc_sticky", "toc_label", "toc_icon", "use_math",
    "show_date", "htmlwidgets", "future", "hidden", "featured", "giscus_comments",
    "disqus_comments", "share", "related", "read_time", "header", "sidebar", "author_profile",
    "mathjax", "math", "_styles", "bibliography", "img", "image", "redirect_from", "byline",
    "excerpt_separator", "keywords", "classes", "sitemap", "pin", "render_with_liquid",
}
# title_ja, title_ko…: the title in another language.
TRANSLATED_TITLE = re.compile(r"^title_([a-z]{2})$")


def skip_unpublished(folder: str, dirnames: list[str], filenames: list[str],
                      site_dir: Path) -> None:
    """In a Jekyll ``_posts`` folder copied into content/, leave out what Jekyll does not
    publish: folders starting with ``_`` and files without a ``YYYY-MM-DD-`` name (-v says)."""
    where = os.path.relpath(folder, site_dir).replace(os.sep, "/")
    for name in [d for d in dirnames if d.startswith("_")]:
        dirnames.remove(name)
        log.info("%s/%s/: left out, as Jekyll leaves out folders starting with '_' in _posts",
                 where, name)
    for name in [f for f in filenames if f.lower().endswith(NOTE_SUFFIXES)]:
        if split_jekyll_date(name.rsplit(".", 1)[0])[0] is None:
            filenames.remove(name)
            log.info("%s/%s: left out, as Jekyll leaves out posts without a YYYY-MM-DD- name",
                     where, name)


def read_author(item: object, is_link: Callable[[object], bool]) -> Author | None:
    """A name, or distill/al-folio's ``{name, url, affiliations}``; None when it has no
    name. Links that are not http(s) (``javascript:``) are left out."""
    if isinstance(item, str | int) and not isinstance(item, bool) and str(item).strip():
        return Author(str(item).strip())
    name = item.get("name") if isinstance(item, dict) else None
    if not isinstance(name, str) or not name.strip():
        return None
    url = item.get("url")
    places = item.get("affiliations", item.get("affiliation"))
    return Author(name.strip(), url.strip() if is_link(url) else "",
                  _affiliations(places, is_link))


def _affiliations(value: object, is_link: Callable[[object], bool]) -> tuple[Affiliation, ...]:
    items = value if isinstance(value, list) else [value] if value else []
    found = []
    for item in items:
        if isinstance(item, str) and item.strip():
            found.append(Affiliation(item.strip()))
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            url = item.get("url")
            found.append(Affiliation(item["name"].strip(), url.strip() if is_link(url) else ""))
    return tuple(found)


_PAGE_VARIABLE = re.compile(r"\bpage\.([\w-]+)")


def page_variables(body: str, data: dict) -> dict:
    """The front-matter values the body's Liquid shows (``{{ page.paper_ref }}``), by key."""
    if "{{" not in body and "{%" not in body:
        return {}
    names = dict.fromkeys(_PAGE_VARIABLE.findall(body))
    return {name: data[name] for name in names if name in data}
