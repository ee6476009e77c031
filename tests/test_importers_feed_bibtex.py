"""``digestif import feed`` beyond LiteBites (RSS, odd entries) and ``digestif import bibtex``."""

from __future__ import annotations

import datetime as dt

import pytest

from digestif.build import BuildOptions, build
from digestif.importers.common import link_label
from importer_helpers import front_matter, new_site, notes, reader_problems, run

RSS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Reading</title><link>https://r.example/</link>
<description>x</description>
<item><title>Attention &amp;amp; More</title><link>https://r.example/2017/attention.html</link>
<guid>https://r.example/?p=1</guid><pubDate>Tue, 13 Jun 2017 15:30:00 +0200</pubDate>
<category>Transformers</category>
<description>&lt;p&gt;My own summary.&lt;/p&gt;</description>
</item>
<item><title>No date here</title><link>https://r.example/nodate.html</link>
<description>text</description></item>
<item><title>한국어 노트</title><link>https://r.example/ko/</link>
<pubDate>Wed, 14 Jun 2017 00:00:00 +0900</pubDate>
<description>&lt;p&gt;이 논문은 초해상도 복원을 위한
새로운 방법을 제안한다.&lt;/p&gt;</description></item>
</channel></rss>
"""


def test_rss_items_with_rfc822_dates_html_titles_and_a_missing_date(tmp_path, capsys):
    feed = tmp_path / "feed.rss"
    feed.write_text(RSS, encoding="utf-8")
    site = new_site(tmp_path / "site")
    assert run("feed", feed, site) == 1
    assert set(notes(site)) == {"attention", "ko"}
    meta, body = front_matter(notes(site)["attention"])
    assert meta["title"] == "Attention & More"
    assert meta["date"] == dt.datetime(2017, 6, 13, 15, 30,
                                       tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert meta["categories"] == ["Transformers"]
    assert "links" not in meta
    assert meta["summary"] == "My own summary."
    assert body == "<p>My own summary.</p>\n"
    assert meta["extra"]["imported_from"] == f"feed:{feed.resolve()}#https://r.example/?p=1"
    korean, _ = front_matter(notes(site)["ko"])
    assert korean["lang"] == "ko" and korean["date"] == dt.date(2017, 6, 14)
    assert "feed.rss: entry 2 ('No date here') has no published or updated date" in \
        capsys.readouterr().err
    build(site, BuildOptions())
    assert (site / "_site/papers/ko/index.html").is_file()


def test_a_links_section_with_prose_stays_in_the_body(tmp_path):
    feed = tmp_path / "atom.xml"
    content = ("<p>Body.</p><h2>Links</h2><ul><li><a href='https://arxiv.org/abs/2106.09685'>"
               "Paper on arXiv</a></li><li>Ask me for the slides.</li></ul>")
    feed.write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>T</title>'
        '<id>urn:1</id><updated>2024-01-02T03:04:05Z</updated>'
        f'<content type="html"><![CDATA[{content}]]></content></entry></feed>',
        encoding="utf-8")
    site = new_site(tmp_path / "site")
    assert run("feed", feed, site) == 0
    meta, body = front_matter(notes(site)["t"])
    assert "links" not in meta and "arxiv" not in meta
    assert "<h2>Links</h2>" in body and "Ask me for the slides." in body
    assert meta["date"] == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def test_a_file_that_is_not_a_feed(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("just text", encoding="utf-8")
    assert run("feed", bad, new_site(tmp_path / "site")) == 1
    assert "notes.txt: has no feed entries" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "url", "label"), [
    ("Official code on GitHub", "https://github.com/x/y", "code"),
    ("Project page on GitHub", "https://x.github.io/", "website"),
    ("Paper page at OpenReview", "https://openreview.net/forum?id=1", "paper"),
    ("", "https://github.com/x/y", "code"),
    ("Talk", "https://example.org/v", "video"),
    ("Something", "https://example.org/", "link"),
])
def test_link_labels_from_text_then_host(text, url, label):
    assert link_label(text, url) == label


# ---------------------------------------------------------------------------------------------
# BibTeX

BIB = r"""@string{iclr = "International Conference on Learning Representations"}

@inproceedings{hu2022lora,
  title = {{LoRA}: Low-Rank Adaptation of Large Language Models},
  author = {Hu, Edward J. and Shen, Yelong and M{\"u}ller, J{\"o}rg},
  booktitle = iclr # " 2022",
  year = 2022,
  eprint = {2106.09685}, archivePrefix = {arXiv},
  doi = {10.48550/arXiv.2106.09685},
  url = {https://openreview.net/forum?id=nZeVKeeFYf9},
  keywords = {lora, peft},
  abstract = {We freeze the weights and learn $W = W_0 + BA$; 100\% of the time.},
}

@article{broken,
  title = {Oops,
  year = 2020

@article{vaswani2017,
  title = "Attention Is All You Need",
  author = "Ashish Vaswani and Noam Shazeer",
  journal = {arXiv preprint arXiv:1706.03762},
  year = {2017}
}

@misc{undated, title = {Undated}}
@misc{hu2022lora, title = {Same key}, year = 2020}
@misc{number, title = {2025}, year = 2025, url = {https://arxiv.org/abs/1706.03762}}
"""


@pytest.fixture(scope="module")
def bib_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bib")
    bib = folder / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    site = new_site(folder / "site")
    return site, bib


def test_bibtex_entries_become_notes_and_failures_are_reported(bib_site, capsys):
    site, bib = bib_site
    assert run("bibtex", bib, site) == 1
    err = capsys.readouterr().err
    assert "refs.bib:15: cannot parse this block" in err
    assert "refs.bib:26: entry 'undated' has no year; it was not imported" in err
    assert "refs.bib:27: Duplicate entry key 'hu2022lora'" in err
    # "2025" and "Attention…" share arXiv 1706.03762: the second is a duplicate, not a note.
    assert set(notes(site)) == {"lora-low-rank-adaptation-of-large-language-models",
                                "attention-is-all-you-need"}


def test_bibtex_fields_are_mapped(bib_site):
    site, bib = bib_site
    meta, body = front_matter(notes(site)["lora-low-rank-adaptation-of-large-language-models"])
    assert meta == {
        "title": "LoRA: Low-Rank Adaptation of Large Language Models",
        "date": dt.date(2022, 1, 1),
        "venue": "International Conference on Learning Representations 2022",
        "authors": ["Edward J. Hu", "Yelong Shen", "Jörg Müller"],
        "arxiv": "2106.09685", "doi": "10.48550/arXiv.2106.09685", "tags": ["lora", "peft"],
        "links": {"paper": "https://openreview.net/forum?id=nZeVKeeFYf9"},
        "extra": {"imported_from": f"bibtex:{bib.resolve()}#hu2022lora"},
    }
    assert body == "We freeze the weights and learn $W = W_0 + BA$; 100% of the time.\n"
    vaswani, _ = front_matter(notes(site)["attention-is-all-you-need"])
    assert vaswani["arxiv"] == "1706.03762" and vaswani["venue"].startswith("arXiv preprint")
    for path in notes(site).values():
        assert reader_problems(site, path) == []
    build(site, BuildOptions())
    assert (site / "_site/papers/attention-is-all-you-need/index.html").is_file()


def test_a_numeric_title_is_written_as_text(tmp_path):
    bib = tmp_path / "n.bib"
    bib.write_text("@misc{n, title = {2025}, year = 2025}\n", encoding="utf-8")
    site = new_site(tmp_path / "site")
    assert run("bibtex", bib, site) == 0
    path = notes(site)["2025"]
    assert front_matter(path)[0]["title"] == "2025"
    assert reader_problems(site, path) == []
