"""The arXiv API client, replaying recorded Atom answers; the network is never used."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import RecordedResponse
from digestif.arxiv import ArxivError, fetch_paper, parse_response

FIXTURES = Path(__file__).parent / "fixtures"
LORA_AUTHORS = ("Edward J. Hu", "Yelong Shen", "Phillip Wallis", "Zeyuan Allen-Zhu",
                "Yuanzhi Li", "Shean Wang", "Lu Wang", "Weizhu Chen")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """A test that reaches for the network fails instead of depending on it."""
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def recorded(name: str):
    """A fetch that answers with a fixture and remembers the URLs asked for."""
    def fetch(url: str, timeout: float) -> bytes:
        fetch.urls.append((url, timeout))
        return (FIXTURES / name).read_bytes()
    fetch.urls = []
    return fetch


def failing(exc: BaseException):
    def fetch(url: str, timeout: float) -> bytes:
        raise exc
    return fetch


def test_recorded_answer_gives_title_authors_and_abstract_on_one_line():
    paper = fetch_paper("2106.09685", recorded("arxiv_2106.09685.xml"))
    assert paper.title == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert paper.authors == LORA_AUTHORS
    assert paper.summary.startswith("An important paradigm of natural language processing")
    assert paper.summary.endswith("at https://github.com/microsoft/LoRA.")
    assert "\n" not in paper.summary and "  " not in paper.summary


def test_links_are_the_versionless_abstract_and_pdf():
    paper = fetch_paper("2106.09685", recorded("arxiv_2106.09685.xml"))
    assert dict(paper.links) == {"arXiv": "https://arxiv.org/abs/2106.09685",
                                 "PDF": "https://arxiv.org/pdf/2106.09685"}


def test_asks_the_api_for_the_id_with_a_short_timeout():
    fetch = recorded("arxiv_2106.09685.xml")
    fetch_paper("2106.09685", fetch)
    [(url, timeout)] = fetch.urls
    assert url == "https://export.arxiv.org/api/query?id_list=2106.09685"
    assert 0 < timeout <= 15


def test_doi_is_read_from_the_arxiv_namespace():
    text = (FIXTURES / "arxiv_2106.09685.xml").read_text(encoding="utf-8")
    text = text.replace("<arxiv:comment", '<arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom"'
                        ">10.1000/example.42</arxiv:doi>\n    <arxiv:comment", 1)
    assert parse_response(text.encode(), "2106.09685").doi == "10.1000/example.42"


def test_api_error_entry_is_reported_with_arxivs_reason():
    with pytest.raises(ArxivError, match="incorrect id format for 9999.zzzzz"):
        fetch_paper("9999.zzzzz", recorded("arxiv_error_bad_id.xml"))


def test_unknown_id_is_reported():
    with pytest.raises(ArxivError, match="no paper 2106.99999"):
        fetch_paper("2106.99999", recorded("arxiv_empty.xml"))


def test_entry_without_title_counts_as_unknown():
    text = (FIXTURES / "arxiv_2106.09685.xml").read_text(encoding="utf-8")
    text = text.replace("LoRA: Low-Rank Adaptation of Large Language Models", "")
    with pytest.raises(ArxivError, match="no paper"):
        parse_response(text.encode(), "2106.09685")


def test_an_answer_that_is_not_a_feed_is_reported():
    with pytest.raises(ArxivError, match="not an Atom feed"):
        parse_response(b"<html><body>Service unavailable", "2106.09685")


@pytest.mark.parametrize(("exc", "message"), [
    (urllib.error.URLError(socket.gaierror(-3, "Temporary failure in name resolution")),
     "could not reach the arXiv API"),
    (TimeoutError("timed out"), "did not answer within 10 s"),
    (urllib.error.HTTPError("https://export.arxiv.org/api/query", 503, "Service Unavailable",
                            None, None), "HTTP 503 Service Unavailable"),
    (ConnectionResetError(104, "Connection reset by peer"), "could not reach the arXiv API"),
])
def test_network_failures_become_one_readable_error(exc, message):
    with pytest.raises(ArxivError, match=message):
        fetch_paper("2106.09685", failing(exc))


def test_default_fetch_goes_through_urlopen_with_a_user_agent(monkeypatch):
    seen = {}

    def fake_urlopen(request, timeout):
        seen.update(url=request.full_url, agent=request.get_header("User-agent"), timeout=timeout)
        return RecordedResponse((FIXTURES / "arxiv_2106.09685.xml").read_bytes())

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    assert fetch_paper("2106.09685").title.startswith("LoRA")
    assert seen["url"].endswith("id_list=2106.09685")
    assert seen["agent"].startswith("digestif/")
    assert seen["timeout"] == 10
