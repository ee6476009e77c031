"""``digestif check``, reading the output: the ids and links of every page and feed.

Pages are parsed with Lexbor (selectolax), an HTML5 parser about ten times faster than the
standard library's html.parser, which ``digestif check`` used before (with the same findings on
every page of the benchmark site, the test sites and four real collections). Lexbor gives no
source lines, so the line of a link is found only when it is reported (:class:`LinkLines`).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from .liquid import find_liquid

# Attributes holding a URL the browser fetches or follows, by element.
URL_ATTRIBUTES = {
    "a": ("href",), "area": ("href",), "link": ("href",), "img": ("src", "srcset"),
    "source": ("src", "srcset"), "script": ("src",), "iframe": ("src",), "embed": ("src",),
    "video": ("src", "poster"), "audio": ("src",), "track": ("src",), "object": ("data",),
    "use": ("href",), "image": ("href",),
}
META_URL_KEYS = {"og:url", "og:image", "twitter:image"}
# <link rel=preconnect href="https://host"> names a host, not a document.
HOST_ONLY_RELS = {"preconnect", "dns-prefetch"}
PARALLEL_PAGES = 400


@dataclass(frozen=True)
class Link:
    url: str
    line: int | None
    wiki: bool = False
    """The build's ``class="wikilink"``: written as ``[[slug]]`` in a note."""
    position: int = -1
    """Its place among the links of its page (for :class:`LinkLines`); -1 in a feed."""


@dataclass
class PageScan:
    """What the checker needs from one output file."""

    ids: set[str] = field(default_factory=set)
    links: list[Link] = field(default_factory=list)
    error: str = ""
    """Why the file could not be read (XML that is not well-formed…)."""
    liquid: list[tuple[int, str]] = field(default_factory=list)
    """(page line, text) of Liquid left in the page's text, outside code."""
    path: str = ""
    """The file scanned, to find the lines of reported links in."""
    text: str = field(default="", repr=False)
    """The text scanned, when it came from no file."""


def _scan_element(scan: PageScan, tag: str, values: dict[str, str], line: int | None) -> None:
    """What one start tag adds to a page's scan: ids, and the URLs the browser would load."""
    if "id" in values:
        scan.ids.add(values["id"])
    if tag == "a" and "name" in values:
        scan.ids.add(values["name"])
    if tag == "meta":
        key = values.get("property") or values.get("name")
        if key in META_URL_KEYS and values.get("content"):
            scan.links.append(Link(values["content"].strip(), line, position=len(scan.links)))
        return
    if tag == "link" and HOST_ONLY_RELS & set(values.get("rel", "").lower().split()):
        return
    wiki = "wikilink" in values.get("class", "").split()
    for attribute in URL_ATTRIBUTES.get(tag, ()):
        if attribute in values:
            urls = _srcset_urls(values[attribute]) if attribute == "srcset" \
                else [values[attribute].strip()]
            scan.links.extend(Link(url, line, wiki, len(scan.links) + n)
                              for n, url in enumerate(urls))


class _PageParser(HTMLParser):
    """The standard library's parser: slow, but it knows each tag's line. Used only to find
    the line of a link that is reported."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = PageScan()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        _scan_element(self.scan, tag, values, self.getpos()[0])


# Elements that can carry an id or a checked URL: Lexbor finds them in one walk, in order.
_SCANNED = ", ".join(["[id]", "a[name]", "meta[content]",
                      *(f"{tag}[{name}]" for tag, names in URL_ATTRIBUTES.items()
                        for name in names)])


def _srcset_urls(srcset: str) -> list[str]:
    """``"a.png 1x, b.png 2x"`` -> ``["a.png", "b.png"]``."""
    return [part.split()[0] for part in srcset.split(",") if part.strip()]


def scan_html(text: str, path: str = "") -> PageScan:
    """Ids and links of a page, parsed with Lexbor (selectolax), an HTML5 parser about ten
    times faster than html.parser; links carry no line until one is reported
    (:class:`LinkLines`)."""
    from selectolax.lexbor import LexborHTMLParser
    scan = PageScan(path=path, text="" if path else text)
    for node in LexborHTMLParser(text).css(_SCANNED):
        values = {name: value for name, value in node.attributes.items() if value is not None}
        _scan_element(scan, node.tag, values, None)
    if "{{" in text or "{%" in text:  # rare: parse again only then
        scan.liquid = find_liquid(text)
    return scan


def scan_html_with_lines(text: str) -> PageScan:
    """As :func:`scan_html`, with each link's line, by the standard library's parser."""
    parser = _PageParser()
    parser.feed(text)
    parser.close()
    return parser.scan


class LinkLines:
    """The line of a reported link, found by reading its page again with html.parser (which
    knows lines, and meets the links in the same order); pages with nothing to report are
    never read twice."""

    def __init__(self, scans: dict[str, PageScan]):
        self.scans = scans
        self._links: dict[str, list[Link]] = {}

    def __call__(self, page: str, link: Link) -> int | None:
        if link.line is not None or link.position < 0:
            return link.line
        if page not in self._links:
            self._links[page] = scan_html_with_lines(self._text(page)).links
        found = self._links[page]
        same = link.position < len(found) and found[link.position].url == link.url
        return found[link.position].line if same else None

    def _text(self, page: str) -> str:
        scan = self.scans.get(page)
        if scan is None or not scan.path:
            return scan.text if scan is not None else ""
        try:
            return Path(scan.path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def scan_xml(data: bytes) -> PageScan:
    """Atom links, HTML entry content and sitemap URLs of a feed or sitemap."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        return PageScan(error=f"not well-formed XML: {exc}")
    scan = PageScan()
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if name == "link" and element.get("href"):
            scan.links.append(Link(element.get("href", "").strip(), None))
        elif name == "loc" and element.text:
            scan.links.append(Link(element.text.strip(), None))
        elif name in ("content", "summary") and element.get("type") == "html" and element.text:
            scan.links.extend(Link(link.url, None, link.wiki)
                              for link in scan_html(element.text).links)
    return scan


def scan_file(path: str) -> PageScan:
    data = Path(path).read_bytes()
    if path.endswith(".xml"):
        return scan_xml(data)
    return scan_html(data.decode("utf-8", errors="replace"), path)


def scan_output(out_dir: Path) -> tuple[set[str], dict[str, PageScan]]:
    """Every file of the output (relative, ``/``-separated) and the scan of each page/feed."""
    files: set[str] = set()
    for folder, _, names in os.walk(out_dir):
        relative = Path(folder).relative_to(out_dir).as_posix()
        prefix = "" if relative == "." else relative + "/"
        files.update(prefix + name for name in names)
    scanned = sorted(f for f in files if f.endswith((".html", ".xml")))
    paths = [str(out_dir / f) for f in scanned]
    if len(paths) < PARALLEL_PAGES or (os.cpu_count() or 1) < 2:
        scans = list(map(scan_file, paths))
    else:
        with ProcessPoolExecutor() as pool:
            scans = list(pool.map(scan_file, paths, chunksize=64))
    return files, dict(zip(scanned, scans, strict=True))
