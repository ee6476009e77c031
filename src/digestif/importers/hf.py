"""``digestif import hf FILE|DATE``: one note per paper of a Hugging Face Daily Papers listing.

The listing is the JSON of ``https://huggingface.co/api/daily_papers?date=YYYY-MM-DD``: a list
of items, each with the paper's ``id`` (its arXiv id), ``title``, ``authors`` and ``summary``
(the abstract), and the time it was listed (``publishedAt``). A DATE asks the API for that
day's listing (one request); a FILE is a listing saved before. Each note is dated the day the
paper was listed and links to its Hugging Face page; the abstract is its summary.
"""

from __future__ import annotations

import json
import re
import urllib.error
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..arxiv import Fetch, http_get
from ..reader import normalise_arxiv
from .common import Batch, Context, Draft, note_slug, read_text

API_URL = "https://huggingface.co/api/daily_papers?date={date}"
PAPER_URL = "https://huggingface.co/papers/{id}"
TIMEOUT_SECONDS = 20
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read_hf(source: str, context: Context, fetch: Fetch = http_get) -> Batch:
    listed_on = None
    if _DATE.match(source) and not Path(source).exists():
        try:
            listed_on = date.fromisoformat(source)
        except ValueError:
            batch = Batch("hf", source)
            batch.problems.error(source, "expected a date YYYY-MM-DD or a listing file")
            return batch
        batch = Batch("hf", API_URL.format(date=source))
        text = _download(batch, source, fetch)
    else:
        path = Path(source)
        batch = Batch("hf", str(path.resolve()))
        if not path.is_file():
            batch.problems.error(source, "not found; give a Daily Papers JSON file or a date "
                                 "YYYY-MM-DD")
            return batch
        text = read_text(path, batch.problems)
    if text is None:
        return batch
    items = _items(text, source, batch)
    for number, item in enumerate(items, start=1):
        draft = _draft(item, number, source, listed_on, context, batch)
        if draft is not None:
            batch.drafts.append(draft)
    return batch


def _download(batch: Batch, day: str, fetch: Fetch) -> str | None:
    url = API_URL.format(date=day)
    try:
        return fetch(url, TIMEOUT_SECONDS).decode("utf-8")
    except urllib.error.HTTPError as exc:
        reason = f"answered HTTP {exc.code} {exc.reason}"
    except urllib.error.URLError as exc:
        reason = f"could not be reached ({exc.reason})"
    except TimeoutError:
        reason = f"did not answer within {TIMEOUT_SECONDS} s"
    except OSError as exc:
        reason = f"could not be reached ({exc})"
    except UnicodeDecodeError:
        reason = "answered something that is not UTF-8 text"
    batch.problems.error(day, f"Hugging Face {reason}; nothing was imported (run the command "
                         "again when it can be reached, or give a saved listing file)")
    return None


def _items(text: str, source: str, batch: Batch) -> list[Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        batch.problems.error(source, f"is not JSON: {exc}", line)
        return []
    if isinstance(data, dict) and isinstance(data.get("papers"), list):
        data = data["papers"]
    if not isinstance(data, list):
        batch.problems.error(source, "expected a Daily Papers listing: a JSON list of papers, "
                             f"found a {type(data).__name__}")
        return []
    return data


def _draft(item: Any, number: int, source: str, listed_on: date | None, context: Context,
           batch: Batch) -> Draft | None:
    where = f"{source}: paper {number}"
    if not isinstance(item, dict):
        batch.problems.error(source, f"paper {number}: expected an object, found "
                             f"{type(item).__name__}; it was not imported")
        return None
    paper = item.get("paper") if isinstance(item.get("paper"), dict) else item
    title = _one_line(item.get("title") or paper.get("title"))
    if not title:
        batch.problems.error(source, f"paper {number} has no title; it was not imported")
        return None
    when = listed_on or _day(item.get("publishedAt") or paper.get("publishedAt"), context)
    if when is None:
        batch.problems.error(source, f"paper {number} ({title!r}) has no listing date "
                             "(publishedAt); it was not imported")
        return None
    paper_id = str(paper.get("id") or "")
    arxiv = normalise_arxiv(paper_id) if paper_id else None
    meta: dict = {"title": title, "date": when, "authors": _authors(paper.get("authors"))}
    if arxiv:
        meta["arxiv"] = arxiv
    if paper_id:
        meta["links"] = {"Hugging Face": PAPER_URL.format(id=paper_id)}
    summary = _one_line(paper.get("summary") or item.get("summary"))
    if summary:
        meta["summary"] = summary
    return Draft(paper_id or f"paper-{number}", where, note_slug(title), meta, "")


def _authors(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    names = [a.get("name") if isinstance(a, dict) else a for a in value]
    return [_one_line(n) for n in names if isinstance(n, str) and n.strip()]


def _day(value: Any, context: Context) -> date | None:
    """The listing's calendar day in the site's time zone."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment.astimezone(context.tz) if moment.tzinfo else moment).date()


def _one_line(text: Any) -> str:
    return re.sub(r"\s+", " ", text).strip() if isinstance(text, str) else ""
