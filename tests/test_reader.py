"""The reader: front matter into Notes, and a clear message for every kind of bad note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from digestif.errors import Problems
from digestif.reader import NoteFile, normalise_arxiv, parse_date, read_note

SEOUL = ZoneInfo("Asia/Seoul")


def read(tmp_path, text: str | bytes, name: str = "note.md"):
    path = tmp_path / "content" / "papers" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    problems = Problems()
    note = read_note(NoteFile(path, f"content/papers/{name}"), SEOUL, problems)
    return note, problems


def only_error(problems: Problems) -> str:
    assert len(problems.errors) == 1, problems.items
    return str(problems.errors[0])


def test_every_documented_field_is_read(tmp_path):
    note, problems = read(tmp_path, """---
title: "LoRA: Low-Rank Adaptation"
date: 2025-05-26
updated: 2025-06-01T10:00:00+02:00
venue: ICLR 2022
authors: Edward J. Hu, Yelong Shen and Weizhu Chen
arxiv: arXiv:2106.09685v2
doi: 10.48550/arXiv.2106.09685
task: fine-tuning
categories: Efficient Tuning
tags: [lora, peft]
links:
  paper: https://openreview.net/forum?id=nZeVKeeFYf9
  code: https://github.com/microsoft/LoRA
summary: Learn a low-rank update.
slug: lora
extra: {stars: 5}
---
Body.
""")
    assert not problems.items
    assert note.title == "LoRA: Low-Rank Adaptation"
    assert note.date == datetime(2025, 5, 26, tzinfo=SEOUL)
    assert note.updated == datetime(2025, 6, 1, 10, tzinfo=timezone(timedelta(hours=2)))
    assert note.authors == ("Edward J. Hu", "Yelong Shen", "Weizhu Chen")
    assert note.arxiv == "2106.09685"
    assert note.categories == ("Efficient Tuning",)
    assert note.links == (("paper", "https://openreview.net/forum?id=nZeVKeeFYf9"),
                          ("code", "https://github.com/microsoft/LoRA"))
    assert (note.slug, note.summary, note.extra) == ("lora", "Learn a low-rank update.",
                                                     {"stars": 5})
    assert note.body == "Body.\n" and note.body_line == 19


def test_jekyll_post_builds_as_written(tmp_path):
    note, problems = read(tmp_path, """---
layout: post
title: "Chain-of-Zoom"
paper: "Chain-of-Zoom (NeurIPS 2025) - KAIST"
category: computer-vision
excerpt: paper review of chain of zoom
link: https://arxiv.org/pdf/2505.18600
permalink: /old/url/
---
본문
""", name="2025-5-28-chain-of-zoom.md")
    assert note.date == datetime(2025, 5, 28, tzinfo=SEOUL)
    assert note.slug == "chain-of-zoom"
    assert note.categories == ("computer-vision",)
    assert note.links == (("paper", "https://arxiv.org/pdf/2505.18600"),)
    assert note.summary == "paper review of chain of zoom"
    assert note.paper.startswith("Chain-of-Zoom")
    assert [str(w) for w in problems.warnings] == [
        "content/papers/2025-5-28-chain-of-zoom.md:8: permalink: ignored; digestif builds "
        "URLs from site.toml [permalinks]"]


def test_bom_and_crlf_are_accepted(tmp_path):
    note, problems = read(tmp_path, b"\xef\xbb\xbf---\r\ntitle: T\r\ndate: 2024-01-01\r\n---"
                                    b"\r\nLine one\r\nLine two\r\n")
    assert not problems.items
    assert note.body == "Line one\nLine two\n"


def test_unknown_key_warns_with_file_line_and_key(tmp_path):
    _, problems = read(tmp_path, "---\ntitle: T\ndate: 2024-01-01\nvenu: CVPR\n---\n")
    assert [str(w) for w in problems.warnings] == [
        "content/papers/note.md:4: venu: unknown front-matter key (kept out of the site; put "
        "free-form data under 'extra:')"]


@pytest.mark.parametrize("front, expected", [
    ("title: T\ndate: 2025-13-45",
     'content/papers/note.md:3: date: expected YYYY-MM-DD or ISO 8601 date-time, found '
     '"2025-13-45"'),
    ("title: [a, b]\ndate: 2024-01-01",
     "content/papers/note.md:2: title: expected text, found a list"),
    # A missing key is reported on the closing "---" line: where to add it.
    ("date: 2024-01-01",
     'content/papers/note.md:3: title: required; add a line such as  title: "Paper title"'),
    ("title: T",
     "content/papers/note.md:3: date: required: expected YYYY-MM-DD or ISO 8601 date-time (or a "
     "YYYY-MM-DD- prefix on the file name)"),
    ("title: T\ndate: 2024-01-01\nlinks: [https://a.org]",
     "content/papers/note.md:4: links: expected a mapping of label to URL (e.g. 'code: "
     "https://…'), found a list"),
    ("title: T\ndate: 2024-01-01\nlinks:\n  code: \"javascript:alert(1)\"",
     'content/papers/note.md:5: links.code: expected an http(s) URL (or mailto:, doi:, or a '
     'path starting with /), found "javascript:alert(1)"'),
    ("title: T\ndate: 2024-01-01\nlink: \"data:text/html,<b>x</b>\"",
     'content/papers/note.md:4: link: expected an http(s) URL (or mailto:, doi:, or a path '
     'starting with /), found "data:text/html,<b>x</b>"'),
    ("title: T\ndate: 2024-01-01\nslug: ../../evil",
     'content/papers/note.md:4: slug: expected letters, digits, \'-\', \'_\' or \'.\' (no \'/\' '
     'or \'..\'), found "../../evil"'),
    ("title: T\ndate: 2024-01-01\narxiv: not-an-id",
     'content/papers/note.md:4: arxiv: expected an arXiv id such as 2106.09685 or an arxiv.org '
     'URL, found "not-an-id"'),
    ("title: T\ndate: 2024-01-01\ndraft: maybe",
     'content/papers/note.md:4: draft: expected true or false, found "maybe"'),
    ("title: T\ndate: 2024-01-01\ntags: {a: 1}",
     "content/papers/note.md:4: tags: expected a list of names or one name, found {'a': 1}"),
])
def test_bad_field_names_file_line_field_expected_and_found(tmp_path, front, expected):
    note, problems = read(tmp_path, f"---\n{front}\n---\nBody\n")
    assert note is None
    assert only_error(problems) == expected


def test_all_bad_fields_of_one_note_are_reported_together(tmp_path):
    _, problems = read(tmp_path, "---\ntitle: [x]\ndate: someday\ndraft: 3\n---\n")
    assert [p.field for p in problems.errors] == ["title", "date", "draft"]


@pytest.mark.parametrize("text, expected", [
    ("---\ntitle: T\ndate: 2024-01-01\n",
     "content/papers/note.md:1: front matter opened with '---' on line 1 is never closed; add "
     "a '---' line after the last key"),
    ("---\n- a\n- b\n---\n",
     "content/papers/note.md:2: front matter: expected keys and values (a mapping), found a list"),
    ("---\ntitle: T\ndate: 2024-01-01\ntags: [a, b\nvenue: X\n---\n",
     "content/papers/note.md:4: invalid YAML: the '[' on this line is never closed (found on "
     "line 5: did not find expected ',' or ']')"),
    ("---\ntitle: T\ndate: 2024-01-01\nlinks:\n\tcode: https://x.org\n---\n",
     "content/papers/note.md:5: invalid YAML: a tab in 'code'; YAML indents and separates with "
     "spaces only"),
    ("", "content/papers/note.md: is empty; a note needs front matter with a title and a date"),
    ("Just text\n", "content/papers/note.md:1: expected front matter starting with '---', found "
                    '"Just text"'),
])
def test_broken_front_matter(tmp_path, text, expected):
    note, problems = read(tmp_path, text)
    assert note is None
    assert only_error(problems) == expected


def test_tab_after_a_key_is_read_as_a_space_with_a_warning(tmp_path):
    note, problems = read(tmp_path, "---\ntitle:\tT\ndate:\t2024-01-01\n---\n")
    assert note.title == "T"
    assert [str(w) for w in problems.warnings] == [
        "content/papers/note.md:2: title: a tab after 'title:' read as a space; YAML expects a "
        "space there",
        "content/papers/note.md:3: date: a tab after 'date:' read as a space; YAML expects a "
        "space there"]


def test_non_utf8_file_names_the_line(tmp_path):
    _, problems = read(tmp_path, b"---\ntitle: caf\xe9\ndate: 2024-01-01\n---\n")
    assert only_error(problems) == ("content/papers/note.md:2: is not UTF-8 text: byte 0xe9 "
                                    "cannot be decoded; save the file as UTF-8")


def test_binary_file_with_md_name(tmp_path):
    _, problems = read(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert only_error(problems) == "content/papers/note.md: is a binary file, not Markdown text"


@pytest.mark.parametrize("written, expected", [
    ("2025-05-26", datetime(2025, 5, 26, tzinfo=SEOUL)),
    ("2025-05-26T08:30:00Z", datetime(2025, 5, 26, 8, 30, tzinfo=UTC)),
    ("2025-05-28 00:00:00 +0900",
     datetime(2025, 5, 28, tzinfo=timezone(timedelta(hours=9)))),
    ("2016-01-26 2:20 PM", datetime(2016, 1, 26, 14, 20, tzinfo=SEOUL)),
    ("2016-01-26 12:05 am", datetime(2016, 1, 26, 0, 5, tzinfo=SEOUL)),
    ("2020-7-9", datetime(2020, 7, 9, tzinfo=SEOUL)),
])
def test_dates_as_people_write_them(written, expected):
    assert parse_date(written, SEOUL) == expected


@pytest.mark.parametrize("written", ["2025-02-30", "2016-01-26 13:20 PM", "26/01/2016", "soon"])
def test_impossible_dates_are_refused(written):
    with pytest.raises(ValueError):
        parse_date(written, SEOUL)


@pytest.mark.parametrize("written, expected", [
    ("2106.09685", "2106.09685"), ("arXiv:2106.09685v2", "2106.09685"),
    ("https://arxiv.org/abs/2106.09685", "2106.09685"),
    ("https://arxiv.org/pdf/2505.18600v1.pdf", "2505.18600"), ("hep-th/9901001", "hep-th/9901001"),
    ("2106.10000", "2106.10000"),
])
def test_arxiv_ids_are_normalised(written, expected):
    assert normalise_arxiv(written) == expected


def test_arxiv_id_with_trailing_zeros_survives_yaml(tmp_path):
    note, _ = read(tmp_path, "---\ntitle: T\ndate: 2024-01-01\narxiv: 2106.10000\n---\n")
    assert note.arxiv == "2106.10000"


def test_draft_accepts_the_yaml_1_1_words_for_yes_and_no(tmp_path):
    note, problems = read(tmp_path, "---\ntitle: T\ndate: 2024-01-01\ndraft: yes\n---\n")
    assert note.draft is True and not problems.items
    note, _ = read(tmp_path, "---\ntitle: T\ndate: 2024-01-01\ndraft: Off\n---\n")
    assert note.draft is False
