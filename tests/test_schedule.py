"""Drafts are marked as drafts when built with --drafts; notes dated in the future are left out
unless --future; the build summary says how many were left out and why."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from conftest import copy_site, parse_html, write_note
from digestif.build import BuildOptions, build
from digestif.cli import main

DRAFT = ("---\ntitle: Half-written thoughts\ndate: 2024-03-01\ndraft: true\ntags: [ssm]\n---\n"
         "- Not yet.\n")


def future_note(delta: timedelta) -> str:
    when = (datetime.now(UTC) + delta).replace(microsecond=0).isoformat()
    return f"---\ntitle: Scheduled post\ndate: {when}\n---\nComing soon.\n"


def text_of(element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


@pytest.fixture
def site(tmp_path):
    site = copy_site("minimal", tmp_path)
    write_note(site, "papers/draft.md", DRAFT)
    write_note(site, "papers/later.md", future_note(timedelta(days=30)))
    return site


def test_a_draft_built_with_drafts_says_so_on_its_page_and_in_every_list(site):
    write_note(site, "papers/peer.md", "---\ntitle: Peer\ndate: 2024-02-01\ntags: [ssm]\n---\nx\n")
    build(site, BuildOptions(drafts=True))
    out = site / "_site"
    page = parse_html(out / "papers/draft/index.html")
    notice = page.find(".//p[@class='draft-notice']")
    assert notice is not None and "--drafts" in text_of(notice)
    for listing in ("index.html", "digest/index.html", "archive/index.html"):
        lines = {text_of(link): text_of(line) for line in parse_html(out / listing).iter()
                 for link in line if link.tag == "a"}
        assert lines["Half-written thoughts"].endswith("Half-written thoughts Draft"), listing
        others = [line for title, line in lines.items() if title != "Half-written thoughts"]
        assert not [line for line in others if line.endswith(" Draft")], listing
    only = parse_html(out / "papers/only/index.html")
    assert only.find(".//p[@class='draft-notice']") is None
    peer = parse_html(out / "papers/peer/index.html")
    related = {text_of(li) for li in peer.iterfind(".//section[@class='related']//li")}
    assert related == {"Half-written thoughts Draft"}  # related papers mark it too


def test_without_drafts_the_draft_is_not_published(site):
    result = build(site, BuildOptions())
    assert not (site / "_site/papers/draft").exists()
    assert result.left_out.drafts == 1


def test_a_note_dated_in_the_future_is_left_out_of_pages_feed_and_digest(site):
    result = build(site, BuildOptions())
    out = site / "_site"
    assert not (out / "papers/later").exists()
    assert "Scheduled post" not in (out / "feed.xml").read_text(encoding="utf-8")
    assert "Scheduled post" not in text_of(parse_html(out / "digest/index.html").find(".//main"))
    assert "Scheduled post" not in (out / "papers.bib").read_text(encoding="utf-8")
    assert (result.left_out.drafts, result.left_out.future) == (1, 1)


def test_future_publishes_it(site):
    result = build(site, BuildOptions(future=True))
    assert (site / "_site/papers/later/index.html").is_file()
    assert result.left_out.future == 0


def test_the_build_summary_says_what_was_left_out_and_why(site, capsys):
    assert main(["build", str(site)]) == 0
    out = capsys.readouterr().out
    assert "left out 1 draft (--drafts) and 1 note dated in the future (--future)" in out
    assert main(["build", str(site)]) == 0  # nothing changed: the summary still says it
    assert "left out 1 draft (--drafts) and 1 note dated in the future" in capsys.readouterr().out
    assert main(["build", str(site), "--drafts", "--future"]) == 0
    assert "left out" not in capsys.readouterr().out


def test_a_scheduled_note_appears_once_its_time_has_come_without_any_file_changing(tmp_path):
    site = copy_site("minimal", tmp_path)
    write_note(site, "papers/later.md", future_note(timedelta(seconds=2)))
    assert build(site, BuildOptions()).left_out.future == 1
    time.sleep(2.5)
    result = build(site, BuildOptions())
    assert not result.unchanged and result.left_out.future == 0
    assert (site / "_site/papers/later/index.html").is_file()
