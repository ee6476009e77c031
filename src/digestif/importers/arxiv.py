"""``digestif import arxiv ID…``: one note per arXiv id, from one batched arXiv API call.

Each note gets what ``digestif new --arxiv`` fills in (title, authors, the abstract as summary,
the DOI, the ``arxiv:`` id that adds the abstract and PDF links) and today's date. The ids are
asked in one request (arXiv asks API users not to send many); when the API cannot be reached
or refuses the request nothing is written, so a second run after the network is back imports
the whole batch.
"""

from __future__ import annotations

from datetime import datetime

from ..arxiv import ArxivError, ArxivPaper, Fetch, fetch_papers, http_get
from ..reader import normalise_arxiv
from .common import Batch, Context, Draft, note_slug


def read_arxiv(sources: list[str], context: Context, fetch: Fetch = http_get) -> Batch:
    batch = Batch("arxiv", "https://arxiv.org/abs/")
    ids: list[str] = []
    for source in sources:
        arxiv_id = normalise_arxiv(source)
        if arxiv_id is None:
            batch.problems.error(source, "expected an arXiv id such as 2106.09685, "
                                 "arXiv:2106.09685v2 or an arxiv.org URL")
        elif arxiv_id not in ids:
            ids.append(arxiv_id)
    if batch.problems.errors or not ids:
        return batch
    try:
        papers, unknown = fetch_papers(ids, fetch)
    except ArxivError as exc:
        batch.problems.error("arxiv", f"{exc}; nothing was imported (run the command again "
                             "when arXiv can be reached)")
        return batch
    for arxiv_id in unknown:
        batch.problems.error(arxiv_id, "arXiv has no paper with this id; it was not imported")
    today = datetime.now(context.tz).date()
    batch.drafts = [_draft(paper, today) for paper in papers]
    return batch


def _draft(paper: ArxivPaper, today) -> Draft:
    meta: dict = {"title": paper.title, "date": today, "authors": list(paper.authors),
                  "arxiv": paper.arxiv_id}
    if paper.doi:
        meta["doi"] = paper.doi
    meta["summary"] = paper.summary
    return Draft(paper.arxiv_id, f"arXiv {paper.arxiv_id}", note_slug(paper.title), meta, "")
