"""The delta index: a few edited note pages indexed into a small second bundle beside the full one.

Pagefind cannot update an index, and indexing every note page again costs about 4 s of CPU per
1,000 notes. When only a few note pages' indexed text changed since the full bundle was made,
Pagefind indexes just those pages into ``pagefind/recent/``; search.js merges that bundle with
``mergeIndex`` and drops the full bundle's results for the pages it supersedes (edited or
deleted ones), listed by Pagefind page id in :data:`RECENT_FILE`. The full bundle is carried as
it is (hard links). Above :func:`delta_limit` changed pages, or without a full bundle whose pages
are known, the whole site is indexed again and the delta goes.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

RECENT_DIR = "recent"
"""Inside the bundle: the delta bundle of the pages changed since the full one was made."""
RECENT_FILE = "digestif-recent.json"
"""In the delta: the full bundle's page ids it supersedes, with their filters (search.js)."""
PAGES_FILE = ".digestif-pages.json"
"""In the full bundle: each URL's Pagefind page id and filters, so a delta can supersede it."""
DELTA_PAGES = 50
DELTA_SHARE = 0.05
_FRAGMENT_SIGNATURE = b"pagefind_dcd"


def delta_limit(page_count: int) -> int:
    """How many changed or deleted pages a delta may cover: 50, or 5% of a bigger site (past
    that, a full index is worth its time, and the merged search would grow)."""
    return max(DELTA_PAGES, int(page_count * DELTA_SHARE))


def changed_pages(base: Mapping[str, str], current: Mapping[str, str | None]
                  ) -> tuple[list[str], list[str]]:
    """Pages (output paths) whose indexed text differs from the full bundle's, and pages it
    indexes that are gone."""
    changed = sorted(path for path, value in current.items() if base.get(path) != value)
    deleted = sorted(base.keys() - current.keys())
    return changed, deleted


def page_url(path: str) -> str:
    """The URL Pagefind records for an output path: ``papers/x/index.html`` -> ``/papers/x/``."""
    url = "/" + path
    return url.removesuffix("index.html") if url.endswith("/index.html") else url


def read_fragments(bundle: Path) -> dict[str, tuple[str, dict]]:
    """URL -> (page id, filters) of every page a Pagefind bundle holds."""
    pages = {}
    for fragment in (bundle / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes())
        record = json.loads(data.removeprefix(_FRAGMENT_SIGNATURE))
        pages[record["url"]] = (fragment.name.removesuffix(".pf_fragment"),
                                record.get("filters", {}))
    return pages


def record_pages(bundle: Path) -> None:
    """Write :data:`PAGES_FILE` into a full bundle Pagefind just made."""
    pages = {url: [page_id, filters] for url, (page_id, filters) in read_fragments(bundle).items()}
    (bundle / PAGES_FILE).write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")


def recorded_pages(bundle: Path) -> dict[str, list] | None:
    """The full bundle's :data:`PAGES_FILE` (None: not there, or unreadable)."""
    try:
        data = json.loads((bundle / PAGES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def carry_base(bundle: Path, stage: Path, with_delta: bool = False) -> None:
    """Fill ``stage`` with the full bundle, without its delta unless ``with_delta`` (hard
    links where the file system allows: Pagefind's files are only ever replaced with the
    folder)."""
    for source in bundle.rglob("*"):
        relative = source.relative_to(bundle)
        if relative.parts[0] == RECENT_DIR and not with_delta:
            continue
        target = stage / relative
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        _link_or_copy(source, target)


def link_pages(folder: Path, pages: Iterable[str], site: Path) -> None:
    """A site folder holding only ``pages`` of ``folder``, at the same paths (same URLs)."""
    for path in pages:
        _link_or_copy(folder / path, site / path)


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link where the file system allows (Pagefind's files and the built pages are only
    ever replaced, never changed in place), else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def write_recent(recent: Path, base_pages: Mapping[str, list], superseded_paths: Iterable[str]
                 ) -> int:
    """Write :data:`RECENT_FILE`: the full bundle's page ids of ``superseded_paths`` with their
    filters (so search.js can take them out of the filter counts), and the delta's own ids (a
    page whose Pagefind record came out the same keeps its id in both: shown once). Returns how
    many ids it supersedes."""
    recent.mkdir(parents=True, exist_ok=True)
    own = sorted(name.removesuffix(".pf_fragment")
                 for name in os.listdir(recent / "fragment")) if (recent / "fragment").is_dir() \
        else []
    superseded = {}
    for path in superseded_paths:
        entry = base_pages.get(page_url(path))
        if entry:
            superseded[entry[0]] = entry[1]
    (recent / RECENT_FILE).write_text(
        json.dumps({"superseded": superseded, "pages": own}, ensure_ascii=False),
        encoding="utf-8")
    return len(superseded)
