"""Hostile and unusual input (issue 16's table): every row either builds correctly or fails in
seconds with an error naming the file (and line and field where known), and a failed build
leaves the previous output exactly as it was. docs/limits.md lists the limits tested here.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import copy_site, parse_html, snapshot, write_note
from digestif.cli import main
from test_bad_input import errors_of

FRONT = "---\ntitle: Bad\ndate: 2024-01-02\n"
# Every row must be over well inside this, on a slow machine; before, several never ended.
SECONDS = 20


def alias_bomb(use: str = "") -> str:
    """Nine lines that expand to 9**9 (387 million) items."""
    lines = ["  a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return FRONT + "extra:\n" + "\n".join(lines) + f"\n{use}---\nBody\n"


def nested_list(depth: int) -> str:
    return "".join("  " * level + "- x\n" for level in range(depth))


# name -> (file under content/, its text, the start of the error expected)
ERRORS = {
    "alias bomb under extra": ("papers/bomb.md", alias_bomb(),
                               "content/papers/bomb.md:6: invalid YAML: an alias (*a0) repeats "
                               "a value written elsewhere; digestif does not expand aliases"),
    "alias bomb as tags": ("papers/bomb.md", alias_bomb("tags: *a8\n"),
                           "content/papers/bomb.md:6: invalid YAML: an alias (*a0)"),
    "YAML nested 5,000 deep": ("papers/deep.md", FRONT + "extra: " + "[" * 5000 + "]" * 5000
                               + "\n---\n", "content/papers/deep.md:4: invalid YAML: lists and "
                               "mappings nested more than 100 deep"),
    "a 1,000-deep nested list": ("papers/deep.md", FRONT + "---\n" + nested_list(1000),
                                 "content/papers/deep.md:105: lists nested more than 100 deep"),
    "a hundred lines quoted up to 990 deep": (
        "papers/q.md", FRONT + "---\n" + "".join(">" * i + " x\n\n" for i in range(0, 1000, 10)),
        "content/papers/q.md:27: quotes nested more than 100 deep"),
    "HTML blocks nested 1,000 deep": ("papers/divs.md", FRONT + "---\n"
                                      + '<div markdown="1">\n' * 1000 + "x\n" + "</div>\n" * 1000,
                                      "content/papers/divs.md: nests lists, quotes or HTML "
                                      "blocks more deeply than Markdown can follow"),
    "a 300-character slug": ("papers/s.md", FRONT + "slug: " + "b" * 300 + "\n---\nx\n",
                             "content/papers/s.md:4: slug: 300 bytes long, over the 245 a folder "
                             "name can hold with index.html"),
    "a 250-character file name": ("papers/" + "a" * 250 + ".md", FRONT + "---\nx\n",
                                  f"content/papers/{'a' * 250}.md:4: slug: the file name makes a "
                                  "slug of 250 bytes"),
    "a 300-character tag": ("papers/t.md", FRONT + "tags: [ok, " + "t" * 300 + "]\n---\nx\n",
                            'content/papers/t.md:4: tags: "' + "t" * 76),
    "50,000 [": ("papers/br.md", FRONT + "---\n" + "[" * 50000 + "\n",
                 "content/papers/br.md:5: a paragraph with 50000 '[' that are never closed"),
    "50,000 [ after a line that looks like a fence": (
        "papers/br.md", FRONT + "---\n```word```\n\n" + "[" * 50000 + "\n",
        "content/papers/br.md:7: a paragraph with 50000 '['"),  # found by tests/test_fuzz.py
    "3,000 [a]( never closed": ("papers/br.md", FRONT + "---\n" + "[a](" * 3000 + "\n",
                                "content/papers/br.md:5: a paragraph with 3000 '(' that are "
                                "never closed"),  # found by tests/test_fuzz.py
    "30,000 unclosed \\(": ("papers/paren.md", FRONT + "---\n" + "\\( " * 30000 + "\n",
                            "content/papers/paren.md:5: a paragraph with 30000 '\\(' that are "
                            "never closed (at most 200; the time Markdown needs grows much "
                            "faster than their number); write the backslash as &#92;"),
    "a YAML syntax error": ("papers/syn.md", FRONT + "tags: [a, b\nvenue: X\n---\n",
                            "content/papers/syn.md:4: invalid YAML: the '[' on this line is never "
                            "closed (found on line 5: did not find expected ',' or ']')"),
    "a missing title": ("papers/nt.md", "---\ndate: 2024-01-01\n---\nx\n",
                        'content/papers/nt.md:3: title: required; add a line such as  title:'),
    "links: {code: not-a-url}": ("papers/l.md", FRONT + "links: {code: not-a-url}\n---\nx\n",
                                 "content/papers/l.md:4: links.code: expected an http(s) URL (or "
                                 'mailto:, doi:, or a path starting with /), found "not-a-url"'),
    "links on their own lines": ("papers/l.md", FRONT + "links:\n  paper: https://a.org/p\n"
                                 "  code: github.com/x\n---\nx\n",
                                 "content/papers/l.md:6: links.code: expected an http(s) URL"),
    "an image ../../../../etc/passwd": ("papers/p.md", FRONT + "---\nSee:\n\n![]("
                                        + "../" * 30 + "etc/passwd)\n",
                                        "content/papers/p.md:7: links: links to "
                                        + "../" * 28 + "etc/passwd, a path outside the site"),
    "a file name holding a newline": ("papers/new\nline.md", FRONT + "---\nx\n",
                                      "content/papers/new\\nline.md: the file name holds the "
                                      "control character U+000A; rename the file"),
    "a note over max_note_kb": ("papers/big.md", FRONT + "---\n" + "word " * 600,
                                "content/papers/big.md: is 3 KB, over the limit of 2 KB per "
                                "note; split it, or raise max_note_kb under [markdown]"),
}


@pytest.fixture
def published(tmp_path):
    """A site with one good note, built once, with a short time budget."""
    site = copy_site("minimal", tmp_path)
    with open(site / "site.toml", "a", encoding="utf-8") as config:
        config.write("\n[search]\nenabled = false\n\n[markdown]\ntime_budget = 3\n")
    assert main(["build", str(site), "-q"]) == 0
    return site


def build_timed(site: Path, *args: str) -> tuple[int, float]:
    started = time.perf_counter()
    code = main(["build", str(site), *args])
    return code, time.perf_counter() - started


@pytest.mark.parametrize("name", list(ERRORS))
def test_each_row_fails_fast_naming_the_file_and_leaves_the_output(published, capsys, name):
    relative, text, expected = ERRORS[name]
    output = snapshot(published / "_site")
    write_note(published, relative, text)
    if name == "a note over max_note_kb":
        toml = published / "site.toml"
        toml.write_text(toml.read_text().replace("time_budget", "max_note_kb = 2\ntime_budget"))
    capsys.readouterr()
    code, seconds = build_timed(published)
    errors = errors_of(capsys.readouterr().err)
    assert code == 1
    assert any(e.startswith(expected) for e in errors), errors
    assert errors[-1].endswith("the previous output is unchanged")
    assert seconds < SECONDS
    assert snapshot(published / "_site") == output


def test_emphasis_runs_build_quickly(published):
    write_note(published, "papers/em.md", FRONT + "---\n" + "*a **b " * 20000 + "\n")
    code, seconds = build_timed(published, "-q")
    assert code == 0 and seconds < SECONDS
    page = parse_html(published / "_site" / "papers" / "em" / "index.html")
    assert "a" in "".join(page.find(".//main").itertext())


@pytest.mark.parametrize("line", [100, 1234])
def test_a_broken_image_keeps_its_line_number_on_the_console(published, capsys, line):
    """rich printed "img.md💯": the :100: was an emoji code."""
    write_note(published, "papers/img.md", FRONT + "---\n" + "\n" * (line - 5)
               + "![x](missing.png)\n")
    capsys.readouterr()
    assert main(["build", str(published)]) == 0
    assert (f"warning: content/papers/img.md:{line}: links: links to "
            "content/papers/missing.png, which does not exist") in capsys.readouterr().err


YAML_AS_TYPED = {
    "venue": ("1:20", "1:20"), "task": ("1_000", "1_000"), "title": ("No", "No"),
    "summary": ("Off", "Off"), "doi": ("0123", "0123"),
}


def test_yaml_means_what_was_typed(published):
    """YAML 1.1 read 1:20 as 80, 1_000 as 1000, No as false, 0123 as 83."""
    front = "".join(f"{key}: {typed}\n" for key, (typed, _) in YAML_AS_TYPED.items())
    write_note(published, "papers/typed.md", f"---\n{front}date: 2024-03-03\nslug: 0123\n"
               "draft: no\n---\nx\n")
    write_note(published, "papers/year.md", "---\ntitle: 2025\ndate: 2024-03-04\n---\nx\n")
    assert main(["build", str(published), "-q"]) == 0
    page = parse_html(published / "_site" / "papers" / "0123" / "index.html")
    text = " ".join("".join(page.find(".//main").itertext()).split())
    for key, (_, shown) in YAML_AS_TYPED.items():
        assert shown in text, key
    assert page.find(".//h1").text.strip() == "No"
    other = parse_html(published / "_site" / "papers" / "year" / "index.html")
    assert other.find(".//h1").text.strip() == "2025"
    venue = published / "_site" / "venues" / "1-20" / "index.html"
    assert venue.is_file(), "the venue is the text 1:20, not the number 80"


def test_the_first_day_of_year_one_is_shown_with_four_digits(published):
    write_note(published, "papers/old.md", "---\ntitle: Old\ndate: 0001-01-01\n---\nx\n")
    assert main(["build", str(published), "-q"]) == 0
    page = parse_html(published / "_site" / "papers" / "old" / "index.html")
    shown = next(page.iter("time"))
    assert shown.get("datetime").startswith("0001-01-01")
    assert shown.text == "Jan 1, 0001", "the year keeps its four digits in the English date"


def test_import_jekyll_refuses_an_alias_bomb_in_seconds(tmp_path, capsys):
    site = copy_site("minimal", tmp_path)
    posts = tmp_path / "blog" / "_posts"
    posts.mkdir(parents=True)
    (posts / "2024-01-02-bomb.md").write_text(alias_bomb(), encoding="utf-8")
    started = time.perf_counter()
    assert main(["import", "jekyll", str(posts), "--into", str(site)]) == 1
    assert time.perf_counter() - started < SECONDS
    err = capsys.readouterr().err
    assert "2024-01-02-bomb.md:6: front matter is not valid YAML (an alias (*a0) repeats" in err
    assert not (site / "content" / "papers" / "bomb.md").exists()


def test_a_permalink_that_lengthens_a_slug_past_the_file_system_limit(published, capsys):
    """The reader's slug limit leaves room for index.html; a pattern using the slug twice can
    still make a name no file system holds: an error, not an OSError traceback."""
    toml = published / "site.toml"
    toml.write_text(toml.read_text().replace(
        "[search]", '[permalinks]\nnote = "/papers/{slug}-{slug}/"\n\n[search]'))
    write_note(published, "papers/long.md", FRONT + "slug: " + "s" * 200 + "\n---\nx\n")
    output = snapshot(published / "_site")
    capsys.readouterr()
    assert main(["build", str(published)]) == 1
    errors = errors_of(capsys.readouterr().err)
    assert any(e.startswith(f"papers/{'s' * 200}-{'s' * 200}/index.html: holds a name longer "
                            "than the 255 bytes") for e in errors), errors
    assert snapshot(published / "_site") == output


def test_a_linked_file_whose_name_holds_a_newline_is_not_published(published, capsys):
    (published / "content" / "papers" / "a\nb.png").write_bytes(b"\x89PNG")
    write_note(published, "papers/pic.md", FRONT + "---\n![x](a%0Ab.png)\n")
    output = snapshot(published / "_site")
    capsys.readouterr()
    assert main(["build", str(published)]) == 1
    errors = errors_of(capsys.readouterr().err)
    assert any(e.startswith("papers/a\\nb.png: holds a control character") for e in errors), \
        errors
    assert snapshot(published / "_site") == output


def test_a_named_pipe_called_note_md_is_refused_not_waited_on(published, capsys):
    """Reading a FIFO blocks until someone writes to it: the build would wait forever."""
    os.mkfifo(published / "content" / "papers" / "pipe.md")
    output = snapshot(published / "_site")
    capsys.readouterr()
    code, seconds = build_timed(published)
    errors = errors_of(capsys.readouterr().err)
    assert code == 1 and seconds < SECONDS
    assert errors[0].startswith("content/papers/pipe.md: is not a regular file"), errors
    assert snapshot(published / "_site") == output


def test_an_image_with_a_name_too_long_for_any_file_system_is_missing_not_a_crash(published,
                                                                                  capsys):
    """Found by tests/test_fuzz.py: checking the file raised ENAMETOOLONG, a traceback."""
    write_note(published, "papers/pic.md", FRONT + "---\n![x](" + "a" * 3000 + ".png)\n")
    capsys.readouterr()
    assert main(["build", str(published)]) == 0
    assert (f"warning: content/papers/pic.md:5: links: links to content/papers/{'a' * 3000}.png, "
            "which does not exist") in capsys.readouterr().err
