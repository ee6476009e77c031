"""``digestif import arxiv ID…`` and ``digestif import hf FILE|DATE``, on recorded responses:
one batched arXiv call, Hugging Face Daily Papers listings, duplicates skipped like the other
importers, and offline runs that say so, exit 1 and write nothing."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from conftest import RecordedResponse, snapshot, write_note
from digestif.build import BuildOptions, build
from digestif.cli import main
from digestif.errors import Problems
from digestif.reader import NoteFile, read_note
from digestif.scaffold import init_site

FIXTURES = Path(__file__).parent / "fixtures"
ARXIV_BATCH = (FIXTURES / "arxiv_batch.xml").read_bytes()
HF_LISTING = FIXTURES / "hf_daily_papers_2025-04-28.json"


@pytest.fixture
def site(tmp_path):
    init_site(tmp_path / "site", today=date(2025, 5, 26))
    return tmp_path / "site"


@pytest.fixture
def requests(monkeypatch):
    """Every URL asked; answers with what ``answer`` holds (bytes or an exception)."""
    asked: list[str] = []
    answer: dict[str, object] = {"body": ARXIV_BATCH}

    def urlopen(request, timeout=None):
        asked.append(request.full_url)
        if isinstance(answer["body"], Exception):
            raise answer["body"]
        return RecordedResponse(answer["body"])

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return asked, answer


def notes_in(site: Path) -> dict[str, object]:
    found = {}
    for path in sorted((site / "content/papers").glob("*.md")):
        problems = Problems()
        note = read_note(NoteFile(path, path.relative_to(site).as_posix()), ZoneInfo("UTC"),
                         problems)
        assert not problems.items, [str(p) for p in problems.items]
        found[path.name] = note
    return found


def test_import_arxiv_asks_once_for_every_id_and_writes_a_note_each(site, requests, capsys):
    asked, _ = requests
    code = main(["import", "arxiv", "2106.09685", "arXiv:2305.14314v1",
                 "https://arxiv.org/abs/2106.09685", "--into", str(site)])
    assert code == 0
    [url] = asked
    query = parse_qs(urlsplit(url).query)
    assert query["id_list"] == ["2106.09685,2305.14314"] and query["max_results"] == ["2"]
    notes = notes_in(site)
    lora = notes["lora-low-rank-adaptation-of-large-language-models.md"]
    assert lora.title == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert lora.authors == ("Edward J. Hu", "Yelong Shen") and lora.arxiv == "2106.09685"
    assert lora.doi == "10.48550/arXiv.2106.09685"
    assert lora.summary.startswith("An important paradigm of natural language processing")
    qlora = notes["qlora-efficient-finetuning-of-quantized-llms.md"]
    assert qlora.authors[0] == "Tim Dettmers" and qlora.arxiv == "2305.14314"
    assert "imported 2 notes" in capsys.readouterr().out
    build(site, BuildOptions(strict=True))  # the notes build without a warning


def test_an_id_arxiv_does_not_know_fails_and_the_others_are_imported(site, requests, capsys):
    code = main(["import", "arxiv", "2106.09685", "2106.99999", "--into", str(site)])
    assert code == 1
    assert "2106.99999: arXiv has no paper with this id" in capsys.readouterr().err
    assert "lora-low-rank-adaptation-of-large-language-models.md" in notes_in(site)


def test_offline_import_arxiv_says_so_exits_1_and_writes_nothing(site, requests, capsys):
    _, answer = requests
    answer["body"] = urllib.error.URLError("Network is unreachable")
    before = snapshot(site)
    assert main(["import", "arxiv", "2106.09685", "2305.14314", "--into", str(site)]) == 1
    err = capsys.readouterr().err
    assert "could not reach the arXiv API (Network is unreachable)" in err
    assert "nothing was imported" in err
    assert snapshot(site) == before


def test_a_malformed_id_is_refused_before_asking_arxiv(site, requests, capsys):
    asked, _ = requests
    assert main(["import", "arxiv", "2106.09685", "not-an-id", "--into", str(site)]) == 1
    assert asked == [] and "not-an-id: expected an arXiv id" in capsys.readouterr().err


def test_a_paper_already_in_the_site_is_skipped_by_its_arxiv_id(site, requests, capsys):
    write_note(site, "papers/my-lora.md", "---\ntitle: My LoRA notes\ndate: 2025-01-01\n"
               "arxiv: \"2106.09685\"\n---\nMine.\n")
    assert main(["import", "arxiv", "2106.09685", "2305.14314", "--into", str(site)]) == 0
    out = capsys.readouterr().out
    assert "same arXiv id 2106.09685" in out and "imported 1 note" in out
    assert (site / "content/papers/my-lora.md").read_text(encoding="utf-8").endswith("Mine.\n")


def test_import_hf_file_makes_notes_dated_the_listing_day(site, capsys):
    assert main(["import", "hf", str(HF_LISTING), "--into", str(site)]) == 1  # one has no title
    err = capsys.readouterr().err
    assert "paper 4 has no title" in err
    notes = notes_in(site)
    sr = notes["augmenting-perceptual-super-resolution-via-image-quality-predictors.md"]
    assert sr.date.date() == date(2025, 4, 28)  # listed, not published on arXiv (04-25)
    assert sr.authors == ("Fengjia Zhang", "Samrudhdhi B. Rangrej") and sr.arxiv == "2504.18524"
    assert sr.summary == ("Super-resolution (SR), a classical inverse problem in computer "
                          "vision, is inherently ill-posed.")
    assert dict(sr.links) == {"Hugging Face": "https://huggingface.co/papers/2504.18524"}
    assert len([n for n in notes.values() if dict(n.links).get("Hugging Face")]) == 3


def test_import_hf_date_asks_the_daily_papers_api_once(site, requests, capsys):
    asked, answer = requests
    answer["body"] = HF_LISTING.read_bytes()
    main(["import", "hf", "2025-04-28", "--into", str(site)])
    assert asked == ["https://huggingface.co/api/daily_papers?date=2025-04-28"]
    assert "dual-prompting-image-restoration-with-diffusion-transformers.md" in notes_in(site)


def test_offline_import_hf_says_so_exits_1_and_writes_nothing(site, requests, capsys):
    _, answer = requests
    answer["body"] = urllib.error.URLError("Name or service not known")
    before = snapshot(site)
    assert main(["import", "hf", "2025-04-28", "--into", str(site)]) == 1
    err = capsys.readouterr().err
    assert "Hugging Face could not be reached (Name or service not known)" in err
    assert "nothing was imported" in err and snapshot(site) == before


def test_import_hf_twice_skips_what_is_there(site, capsys):
    main(["import", "hf", str(HF_LISTING), "--into", str(site)])
    capsys.readouterr()
    main(["import", "hf", str(HF_LISTING), "--into", str(site)])
    printed = capsys.readouterr()
    summary = printed.out + printed.err
    assert "imported 0 notes" in summary and "3 skipped" in summary


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "is not JSON"), ('{"a": 1}', "expected a Daily Papers listing"),
])
def test_a_file_that_is_no_listing_is_reported(site, tmp_path, capsys, text, message):
    listing = tmp_path / "bad.json"
    listing.write_text(text, encoding="utf-8")
    assert main(["import", "hf", str(listing), "--into", str(site)]) == 1
    assert message in capsys.readouterr().err


def test_other_kinds_still_take_one_source(site, capsys):
    assert main(["import", "bibtex", "a.bib", "b.bib", "--into", str(site)]) == 1
    assert "expected one SOURCE, found 2" in capsys.readouterr().err
