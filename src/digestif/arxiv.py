"""Paper metadata from the arXiv API, for ``digestif new --arxiv ID``.

The API answers an Atom feed (https://info.arxiv.org/help/api/user-manual.html); feedparser reads
it, including arXiv's own elements (``arxiv:doi``) and its way of reporting a bad id: an entry
titled "Error" whose id points into ``/api/errors``. Fetching is one injectable function so tests
replay a recorded response and never touch the network.
"""

from __future__ import annotations

import re
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from . import __version__

API_URL = "https://export.arxiv.org/api/query?id_list={id}"
# `digestif new` waits for this at most; past it the note is created without arXiv data.
TIMEOUT_SECONDS = 10
USER_AGENT = f"digestif/{__version__} (digestif new --arxiv)"

Fetch = Callable[[str, float], bytes]
"""``fetch(url, timeout) -> response body``; raises OSError (URLError, timeouts) on failure."""


@dataclass(frozen=True)
class ArxivPaper:
    """What a note takes from an arXiv record."""

    arxiv_id: str
    """Without version: ``2106.09685``."""
    title: str
    authors: tuple[str, ...]
    summary: str
    """The abstract on one line."""
    doi: str = ""
    links: tuple[tuple[str, str], ...] = ()
    """(label, URL) pairs: the abstract page and the PDF, version-less and https."""


class ArxivError(Exception):
    """The paper could not be fetched; the message says why, for the user."""


def http_get(url: str, timeout: float) -> bytes:
    import urllib.request  # here: every command imports this module, few fetch anything

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    # Looked up on the module at call time so tests can replace urllib.request.urlopen.
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - fixed https
        return response.read()


def fetch_paper(arxiv_id: str, fetch: Fetch = http_get,
                timeout: float = TIMEOUT_SECONDS) -> ArxivPaper:
    """The record of ``arxiv_id`` (a bare id such as ``2106.09685``); raises ArxivError."""
    url = API_URL.format(id=quote(arxiv_id, safe="./"))
    return parse_response(_ask(url, fetch, timeout), arxiv_id)


def _ask(url: str, fetch: Fetch, timeout: float) -> bytes:
    """The API's answer to ``url``; every way of not getting one is an ArxivError."""
    try:
        body = fetch(url, timeout)
    except urllib.error.HTTPError as exc:
        raise ArxivError(f"the arXiv API answered HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise ArxivError(f"could not reach the arXiv API ({exc.reason})") from exc
    except TimeoutError as exc:
        raise ArxivError(f"the arXiv API did not answer within {timeout:g} s") from exc
    except OSError as exc:
        raise ArxivError(f"could not reach the arXiv API ({exc})") from exc
    return body


def parse_response(body: bytes, arxiv_id: str) -> ArxivPaper:
    """Read the API's Atom answer for one id; raises ArxivError for errors and unknown ids."""
    import feedparser  # here: every digestif command loads this module to build its parser

    feed = feedparser.parse(body)
    if not feed.entries:
        if feed.bozo and not feed.feed:
            raise ArxivError(f"the arXiv API's answer is not an Atom feed "
                             f"({feed.get('bozo_exception')})")
        raise ArxivError(f"arXiv has no paper {arxiv_id}")
    entry = feed.entries[0]
    if "/api/errors" in entry.get("id", ""):
        raise ArxivError(f"arXiv refused the id {arxiv_id}: {_one_line(entry.get('summary'))}")
    title = _one_line(entry.get("title"))
    if not title:
        # For a well-formed id that does not exist the API has answered an empty entry.
        raise ArxivError(f"arXiv has no paper {arxiv_id}")
    return ArxivPaper(
        arxiv_id=arxiv_id,
        title=title,
        authors=tuple(name for a in entry.get("authors", []) if (name := _one_line(a.get("name")))),
        summary=_one_line(entry.get("summary")),
        doi=_one_line(entry.get("arxiv_doi")),
        links=(("arXiv", f"https://arxiv.org/abs/{arxiv_id}"),
               ("PDF", f"https://arxiv.org/pdf/{arxiv_id}")),
    )


# One request for many ids; the API pages results, so ask for as many as there are ids.
LIST_URL = "https://export.arxiv.org/api/query?id_list={ids}&max_results={count}"
# The API documents 2,000 results per request at most; past it, ask in several runs.
MAX_IDS = 2000


def fetch_papers(arxiv_ids: list[str], fetch: Fetch = http_get,
                 timeout: float = TIMEOUT_SECONDS) -> tuple[list[ArxivPaper], list[str]]:
    """The records of ``arxiv_ids`` in one API call: (papers in the order asked, ids arXiv
    does not know). Raises ArxivError when the API cannot be reached or refuses the request:
    then there is nothing, never a part."""
    if len(arxiv_ids) > MAX_IDS:
        raise ArxivError(f"{len(arxiv_ids)} ids in one request; the arXiv API answers "
                         f"{MAX_IDS} at most")
    url = LIST_URL.format(ids=",".join(quote(i, safe="./") for i in arxiv_ids),
                          count=len(arxiv_ids))
    return parse_entries(_ask(url, fetch, timeout), arxiv_ids)


def parse_entries(body: bytes, arxiv_ids: list[str]) -> tuple[list[ArxivPaper], list[str]]:
    """Read the API's Atom answer for several ids, matching entries to ids by their own id."""
    import feedparser

    feed = feedparser.parse(body)
    if feed.bozo and not feed.entries and not feed.feed:
        raise ArxivError(f"the arXiv API's answer is not an Atom feed "
                         f"({feed.get('bozo_exception')})")
    found: dict[str, ArxivPaper] = {}
    for entry in feed.entries:
        if "/api/errors" in entry.get("id", ""):
            raise ArxivError(f"arXiv refused the request: {_one_line(entry.get('summary'))}")
        entry_id = _id_of(entry.get("id", ""))
        if entry_id and _one_line(entry.get("title")):
            found[entry_id] = _paper(entry, entry_id)
    papers = [found[i] for i in arxiv_ids if i in found]
    return papers, [i for i in arxiv_ids if i not in found]


def _id_of(entry_id: str) -> str:
    """``http://arxiv.org/abs/2106.09685v2`` -> ``2106.09685``."""
    tail = entry_id.split("/abs/", 1)[-1] if "/abs/" in entry_id else ""
    return re.sub(r"v\d+$", "", tail)


def _paper(entry, arxiv_id: str) -> ArxivPaper:
    return ArxivPaper(
        arxiv_id=arxiv_id,
        title=_one_line(entry.get("title")),
        authors=tuple(name for a in entry.get("authors", []) if (name := _one_line(a.get("name")))),
        summary=_one_line(entry.get("summary")),
        doi=_one_line(entry.get("arxiv_doi")),
        links=(("arXiv", f"https://arxiv.org/abs/{arxiv_id}"),
               ("PDF", f"https://arxiv.org/pdf/{arxiv_id}")),
    )


def _one_line(text: str | None) -> str:
    """arXiv wraps titles and abstracts at ~80 columns; the note wants them on one line."""
    return re.sub(r"\s+", " ", text or "").strip()
