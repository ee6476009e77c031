"""The picture a link to a note shows when shared (Open Graph ``og:image``, Twitter cards).

A note's ``image:`` (a file beside it, a path on the site such as ``/figures/x.png``, or an
http(s) URL) wins; else the first figure of its body that is not an SVG (social sites show
none); else the site's ``image`` in site.toml;
else none, and the card is a plain ``summary``. Social sites fetch the image from elsewhere, so
its URL is always absolute.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from .errors import Problems
from .model import NoteView, Site
from .paths import is_file

_FIRST_IMAGE = re.compile(r"<img\b[^>]*?\bsrc=\"([^\"]+)\"[^>]*>", re.IGNORECASE)
_ALT = re.compile(r"\balt=\"([^\"]*)\"", re.IGNORECASE)


def is_url(value: str) -> bool:
    return urlsplit(value).scheme in ("http", "https")


def site_image(site: Site) -> str:
    """The site's default card image, absolute; "" when site.toml sets none."""
    image = site.config.image
    if not image:
        return ""
    return image if is_url(image) else site.permalink_for(image)


def note_image(view: NoteView, site: Site) -> tuple[str, str]:
    """(absolute image URL, its description) for a note's card; ("", "") when there is none."""
    image = view.note.image
    if image:
        if is_url(image):
            return image, ""
        if image.startswith("/"):
            return site.permalink_for(image), ""
        return site.permalink_for(_beside(view, image)), ""
    for figure in _FIRST_IMAGE.finditer(view.html):
        url = urljoin(view.permalink, unescape(figure.group(1)))
        # Social sites show no SVG (nor data: URLs): take the first figure they can show, and
        # one the site publishes (a missing figure is warned about already).
        if is_url(url) and not urlsplit(url).path.lower().endswith(".svg") and \
                _published(url, site):
            alt = _ALT.search(figure.group(0))
            return url, unescape(alt.group(1)) if alt else ""
    return site_image(site), ""


def _published(url: str, site: Site) -> bool:
    """A URL elsewhere is taken on trust; one on this site must be a file the build copies."""
    base = site.config.base_url
    if not url.startswith(base):
        return True
    path = unquote(urlsplit(url).path).removeprefix(site.config.base_path)
    copied = site.assets.get(path)
    root = site.config.site_dir
    return is_file(root / copied[0]) if copied else is_file(root / "static" / path)


def _beside(view: NoteView, image: str) -> str:
    """``image: fig.png`` in ``content/papers/x.md`` is published as ``papers/fig.png``."""
    path = PurePosixPath(view.note.source).parent / image
    return str(path).removeprefix("content/")


def attach_images(site: Site, problems: Problems) -> None:
    """Copy the files notes name in ``image:`` with the site, and warn about missing ones."""
    root = site.config.site_dir
    for view in site.notes:
        image = view.note.image
        if not image or is_url(image):
            continue
        if image.startswith("/"):
            if not is_file(root / "static" / image.lstrip("/")):
                problems.warn(view.note.source, f"image: {image} is not a file in static/; "
                              "the card has no picture", field="image")
            continue
        source = str(PurePosixPath(view.note.source).parent / image)
        if ".." in PurePosixPath(image).parts or not is_file(root / source):
            problems.warn(view.note.source, f"image: {image} is not a file beside the note; "
                          "the card has no picture", field="image")
            continue
        site.assets.setdefault(source.removeprefix("content/"), (source, view.note.source))
