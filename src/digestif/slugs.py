"""Slugs and URL paths.

Slugs keep Unicode letters (a Korean category gets a Korean URL) and are never transliterated;
links percent-encode them, files on disk keep the plain text.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from urllib.parse import quote

_NOT_WORD = re.compile(r"[^\w]+")
_JEKYLL_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})-")
SAFE_SLUG = re.compile(r"^[\w][\w.-]*$")


@functools.lru_cache(maxsize=65536)  # the same few hundred category and tag names, many times
def slugify(text: str) -> str:
    """``"Efficient Tuning"`` -> ``"efficient-tuning"``; ``"초해상도 복원"`` -> ``"초해상도-복원"``.

    Text with no letters or digits at all gets a short stable hash, never an empty slug.
    """
    normal = unicodedata.normalize("NFC", text).lower().replace("_", "-")
    slug = _NOT_WORD.sub("-", normal).strip("-")
    if not slug:
        slug = "x-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return slug


def split_jekyll_date(stem: str) -> tuple[str | None, str]:
    """``"2025-05-28-chain-of-zoom"`` -> ``("2025-05-28", "chain-of-zoom")``."""
    match = _JEKYLL_DATE.match(stem)
    if not match:
        return None, stem
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}", stem[match.end():]


def url_quote(path: str) -> str:
    """Percent-encode a URL path for use in a link, keeping ``/`` and ``#``."""
    return quote(path, safe="/#%:?=&")
