"""Bad input never hurts: whatever a note holds, the build either succeeds or exits 1 listing
every problem with its file, leaving the previous output untouched and writing nothing outside
the output folder. Random front matter and Markdown (hypothesis) never crash the reader or the
renderer, and nothing from front matter lands unescaped in HTML, JSON-LD or XML.

Exact messages per field are tests/test_reader.py's; here every case goes through the command.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import feedparser
import html5lib
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import copy_site, parse_html, snapshot, write_note
from digestif.build import BuildOptions, build
from digestif.cli import main
from digestif.config import load_config
from digestif.errors import BuildError, Problems
from digestif.markup import render_markdown
from digestif.reader import KNOWN_KEYS, NoteFile, read_note

GOOD_FRONT = "title: T\ndate: 2024-01-01\n"


def errors_of(text: str) -> list[str]:
    return [line.removeprefix("error: ") for line in text.splitlines()
            if line.startswith("error: ")]


def everything_but_the_output(root: Path, site: Path) -> dict[str, bytes]:
    return {path: data for path, data in snapshot(root).items()
            if not (root / path).is_relative_to(site / "_site")}


@pytest.fixture
def published(tmp_path):
    """A site built once: (site, root of everything the test may touch)."""
    site = copy_site("minimal", tmp_path)
    assert main(["build", str(site), "-q"]) == 0
    return site, tmp_path


# --- each named case, through the command ----------------------------------------------------


def _symlink_outside(site: Path) -> str:
    secret = site.parent / "outside" / "secret.md"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text("---\ntitle: Secret\ndate: 2024-01-01\n---\nPrivate.\n")
    os.symlink(secret, site / "content" / "papers" / "linked.md")
    return "content/papers/linked.md: is a symbolic link to a file outside the site"


def _write(relative: str, data: str | bytes):
    def make(site: Path) -> None:
        path = site / "content" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return make


def _case(relative: str, data: str | bytes, expected: str):
    def make(site: Path) -> str:
        _write(relative, data)(site)
        return expected
    return make


def _duplicate_slug(site: Path) -> str:
    _write("papers/dup-a.md", "---\ntitle: A\ndate: 2024-01-01\nslug: dup\n---\n")(site)
    _write("papers/dup-b.md", "---\ntitle: B\ndate: 2024-01-02\nslug: dup\n---\n")(site)
    return "content/papers/dup-b.md: slug: has the same URL /papers/dup/ as content/papers/dup-a.md"


CASES = {
    "invalid YAML": _case("papers/yaml.md", f"---\n{GOOD_FRONT}tags: [a, b\nvenue: X\n---\n",
                          "content/papers/yaml.md:4: invalid YAML: the '[' on this line is "
                          "never closed"),
    "impossible date": _case("papers/feb30.md", "---\ntitle: T\ndate: 2025-02-30\n---\n",
                             'content/papers/feb30.md:3: date: expected YYYY-MM-DD or ISO 8601 '
                             'date-time, found "2025-02-30"'),
    "13 PM": _case("papers/pm.md", "---\ntitle: T\ndate: 2016-01-26 13:20 PM\n---\n",
                   'content/papers/pm.md:3: date: expected YYYY-MM-DD or ISO 8601 date-time, '
                   'found "2016-01-26 13:20 PM"'),
    "duplicate slug": _duplicate_slug,
    "slug with ../": _case("papers/up.md", f"---\n{GOOD_FRONT}slug: ../../up\n---\n",
                           "content/papers/up.md:4: slug: expected letters, digits"),
    "symlink outside the site": _symlink_outside,
    "non-UTF-8": _case("papers/latin1.md", b"---\ntitle: caf\xe9\ndate: 2024-01-01\n---\n",
                       "content/papers/latin1.md:2: is not UTF-8 text: byte 0xe9"),
    "binary .md": _case("papers/image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01",
                        "content/papers/image.md: is a binary file, not Markdown text"),
    "empty file": _case("papers/empty.md", "", "content/papers/empty.md: is empty"),
    "unclosed front matter": _case("papers/open.md", f"---\n{GOOD_FRONT}Body, no closing.\n",
                                   "content/papers/open.md:1: front matter opened with '---' "
                                   "on line 1 is never closed"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_note_fails_the_build_and_hurts_nothing(published, capsys, name):
    site, root = published
    output = snapshot(site / "_site")
    capsys.readouterr()
    expected = CASES[name](site)
    elsewhere = everything_but_the_output(root, site)
    assert main(["build", str(site)]) == 1
    errors = errors_of(capsys.readouterr().err)
    assert any(e.startswith(expected) for e in errors), errors
    assert errors[-1].endswith("the previous output is unchanged")
    assert snapshot(site / "_site") == output
    assert everything_but_the_output(root, site) == elsewhere


def test_every_bad_note_is_listed_in_one_run(published, capsys):
    site, _ = published
    capsys.readouterr()
    expected = [make(site) for make in CASES.values()]
    assert main(["build", str(site)]) == 1
    errors = errors_of(capsys.readouterr().err)
    missing = [e for e in expected if not any(line.startswith(e) for line in errors)]
    assert missing == []


WRONG_TYPES = {
    "title": "[a]", "date": "{y: 1}", "updated": "[2024]", "venue": "{a: b}",
    "authors": "{a: b}", "arxiv": "[1]", "doi": "[x]", "task": "{a: 1}",
    "categories": "{a: 1}", "category": "[[a]]", "tags": "{a: 1}", "links": "[x]",
    "link": "[x]", "summary": "[x]", "excerpt": "{a: 1}", "paper": "[x]", "slug": "[5]",
    "draft": "3", "extra": "[1]", "lang": "[en]", "kind": "[page]", "menu": "[1]",
    "image": "[x]",
    # Jekyll keys the reader maps (migrate, issue 15).
    "subtitle": "[x]", "published": "3", "description": "[x]", "last_modified_at": "[2024]",
    "arxiv_id": "[1]", "arxiv_url": "{a: 1}", "paper_url": "[x]", "code_url": "5",
    "paper_ref": "[x]",
    "project_url": "{a: b}",
}


def test_a_wrong_type_in_every_field_is_reported_with_its_line_in_one_run(published, capsys):
    site, _ = published
    assert set(WRONG_TYPES) == KNOWN_KEYS - {"layout", "permalink"}, "a field without a case"
    front = "".join(f"{key}: {value}\n" for key, value in WRONG_TYPES.items())
    write_note(site, "papers/types.md", f"---\n{front}---\nBody\n")
    output = snapshot(site / "_site")
    capsys.readouterr()
    assert main(["build", str(site)]) == 1
    errors = errors_of(capsys.readouterr().err)
    reported = {}
    for error in errors[:-1]:
        match = re.match(r"content/papers/types\.md:(\d+): (\w+): expected", error)
        assert match, error
        reported[match.group(2)] = int(match.group(1))
    assert reported == {key: line for line, key in enumerate(WRONG_TYPES, start=2)}
    assert snapshot(site / "_site") == output


# --- warnings, and --strict making them errors ----------------------------------------------

WARNINGS = {
    "unknown key": ("papers/key.md", f"---\n{GOOD_FRONT}titel: Typo\n---\nBody\n",
                    "content/papers/key.md:4: titel: unknown front-matter key"),
    "bad math": ("papers/math.md", f"---\n{GOOD_FRONT}---\nSee $\\notacommand{{x}}$ here.\n",
                 "content/papers/math.md:5: math: cannot convert TeX"),
    "unresolved wiki-link": ("papers/wiki.md", f"---\n{GOOD_FRONT}---\nText\n\nSee [[nobody]].\n",
                             "content/papers/wiki.md:7: links: links to [[nobody]], which is "
                             "not a note"),
    "tab after a colon": ("papers/tab.md", "---\ntitle:\tT\ndate: 2024-01-01\n---\n",
                          "content/papers/tab.md:2: title: a tab after 'title:'"),
}


@pytest.mark.parametrize("name", list(WARNINGS))
def test_strict_turns_each_warning_into_an_error(published, capsys, name):
    site, root = published
    relative, text, expected = WARNINGS[name]
    write_note(site, relative, text)
    output = snapshot(site / "_site")
    elsewhere = everything_but_the_output(root, site)
    capsys.readouterr()
    assert main(["build", str(site), "--strict"]) == 1
    errors = errors_of(capsys.readouterr().err)
    assert any(e.startswith(expected) for e in errors), errors
    assert snapshot(site / "_site") == output
    assert everything_but_the_output(root, site) == elsewhere
    assert main(["build", str(site)]) == 0, "without --strict it is only a warning"
    assert f"warning: {expected}" in capsys.readouterr().err


def test_strict_lists_every_warning_at_once(published, capsys):
    site, _ = published
    for relative, text, _ in WARNINGS.values():
        write_note(site, relative, text)
    capsys.readouterr()
    assert main(["build", str(site), "--strict"]) == 1
    errors = errors_of(capsys.readouterr().err)
    assert [e for _, _, e in WARNINGS.values() if not any(x.startswith(e) for x in errors)] == []


# --- inputs that must simply work ------------------------------------------------------------


def test_twelve_hour_times_are_read_as_written(site_copy):
    site = site_copy("minimal")
    write_note(site, "papers/pm.md", "---\ntitle: PM\ndate: 2016-01-26 2:20 PM\n---\nx\n")
    write_note(site, "papers/am.md", "---\ntitle: AM\ndate: 2016-01-26 12:05 am\n---\nx\n")
    build(site)
    feed = feedparser.parse((site / "_site" / "feed.xml").read_bytes())
    published = {e.title: e.published for e in feed.entries}
    assert published["PM"] == "2016-01-26T14:20:00+00:00"
    assert published["AM"] == "2016-01-26T00:05:00+00:00"


def test_a_symlinked_file_beside_a_note_pointing_outside_is_not_published(published, capsys):
    """A picture that is really a link to ~/.ssh/id_rsa must not end up on the web."""
    site, root = published
    secret = root / "private.key"
    secret.write_text("PRIVATE KEY")
    os.symlink(secret, site / "content" / "papers" / "figure.png")
    write_note(site, "papers/pic.md", f"---\n{GOOD_FRONT}---\n![Figure](figure.png)\n")
    output = snapshot(site / "_site")
    capsys.readouterr()
    assert main(["build", str(site)]) == 1
    errors = errors_of(capsys.readouterr().err)
    assert any(e.startswith("content/papers/pic.md:5: links: links to content/papers/figure.png, "
                            "a symbolic link to a file outside the site") for e in errors), errors
    assert snapshot(site / "_site") == output
    assert not [p for p in (site / "_site").rglob("*") if p.is_file()
                and p.read_bytes() == b"PRIVATE KEY"]


def test_a_symlink_inside_the_site_is_fine(site_copy):
    site = site_copy("minimal")
    (site / "shared").mkdir()
    (site / "shared" / "fig.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    os.symlink(site / "shared" / "fig.svg", site / "content" / "papers" / "fig.svg")
    write_note(site, "papers/pic.md", f"---\n{GOOD_FRONT}---\n![Figure](fig.svg)\n")
    build(site)
    assert (site / "_site" / "papers" / "fig.svg").is_file()


def test_a_five_megabyte_note_builds(site_copy):
    site = site_copy("minimal")
    # Mostly prose, as long notes are: Python-Markdown costs ~2 s per MB of dense markup.
    prose = " ".join(["Low-rank updates keep most weights frozen while adapters learn."] * 50)
    section = ("## Part {n}\n\n" + prose + " See $\\Delta W = BA$, [code](https://github.com/"
               "microsoft/LoRA) and `peft`.\n\n- one\n- two\n\n")
    sections, size = [], 0
    while size < 5_000_000:
        text = section.format(n=len(sections))
        sections.append(text)
        size += len(text.encode())
    write_note(site, "papers/huge.md", "---\ntitle: Huge\ndate: 2024-05-05\n---\n"
               + "".join(sections))
    result = build(site)
    assert result.notes == 2
    page = parse_html(site / "_site" / "papers" / "huge" / "index.html")
    ids = {e.get("id") for e in page.iter("h2")}
    assert f"part-{len(sections) - 1}" in ids, "the end of the note made it to the page"


def test_ten_thousand_notes_in_one_category(site_copy):
    site = site_copy("minimal")
    # The search index is its own tool with its own benchmark; here it would only add time.
    with open(site / "site.toml", "a", encoding="utf-8") as config:
        config.write("\n[search]\nenabled = false\n")
    folder = site / "content" / "papers"
    for i in range(10_000):
        (folder / f"n{i:05d}.md").write_text(
            f"---\ntitle: Note {i}\ndate: 2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}\n"
            f"categories: [Everything]\n---\nText {i}.\n", encoding="utf-8")
    result = build(site)
    assert result.notes == 10_001
    category = site / "_site" / "categories" / "everything"
    pages = -(-10_000 // result.config.paginate)
    assert (category / "page" / str(pages) / "index.html").is_file()
    assert not (category / "page" / str(pages + 1)).exists()
    feed = feedparser.parse((category / "feed.xml").read_bytes())
    assert len(feed.entries) == result.config.feed.entries


# --- random input (hypothesis) ---------------------------------------------------------------

# CI runs the same examples every time, so a red build is reproducible; locally each run
# explores new ones (and .hypothesis/ remembers any failure).
IN_CI = bool(os.environ.get("CI"))
PAYLOAD = "<xq>\"'&amp;"
"""Every string of the front matter carries this; it must come out as text, never markup."""

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
# Control characters are refused by the reader (tested above); strings that build must not
# carry them, or few examples would get as far as the output.
_printable = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
_hostile = st.builds(lambda a, b: f"{a}{PAYLOAD}{b}".strip() or PAYLOAD, _printable, _printable)
_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**12), _text, _hostile)
_anything = st.recursive(_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_text, inner, max_size=3)), max_leaves=5)
_dates = st.one_of(st.dates().map(str), st.just("2016-01-26 2:20 PM"), st.datetimes(
    timezones=st.timezones()).map(lambda d: d.isoformat()))
_string_fields = ("title", "venue", "task", "summary", "paper", "doi")
_list_fields = ("authors", "categories", "tags")

front_matter = st.fixed_dictionaries(
    {"title": _hostile, "date": st.dates().map(str)},
    optional={
        **{key: _hostile for key in _string_fields if key != "title"},
        **{key: st.lists(_hostile, max_size=3) for key in _list_fields},
        "links": st.dictionaries(_hostile, _hostile.map(lambda s: f"https://e.org/{s}"),
                                 max_size=3),
        "updated": _dates, "lang": st.sampled_from(["ko", "en", PAYLOAD]),
        "extra": st.dictionaries(_printable, _hostile, max_size=2),
        "slug": st.sampled_from(["a", "b", "a.b", "../x"]),
    })
messy_front_matter = st.dictionaries(st.sampled_from(sorted(KNOWN_KEYS)) | _text, _anything,
                                     max_size=6)

_markdown_pieces = st.sampled_from([
    "# Title", "## Method {#method}", "[link](other.md)", "[[a]]", "[[b|the b note]]",
    "[anchor](#method)", "$x^2$", "$$\\frac{a}{b}$$", "\\(", "$", "$\\notacommand$",
    "```python\nprint('<x>')\n```", "<div markdown=\"1\">*raw*</div>", "![img](a.png)",
    "- item\n- item", "1. one\n2. two", "| a | b |\n|---|---|\n| 1 | 2 |",
    "Text[^1]\n\n[^1]: a footnote", "!!! note\n    inside", "term\n: definition",
    "`code`", "    indented code", "> quote", "***", "<script>", "&amp; &lt;", "\t", "",
])
markdown_body = st.lists(st.one_of(_markdown_pieces, _text), max_size=12).map("\n\n".join)


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _note_text(front: dict, body: str) -> str:
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n" + body


def _read(site: Path, relative: str, text: str | bytes, problems: Problems):
    path = site / "content" / relative
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return read_note(NoteFile(path, f"content/{relative}"), load_config(site).tz, problems)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A site to fill with random notes; no search index (its own tool, and slow per example)."""
    site = copy_site("minimal", tmp_path_factory.mktemp("hypothesis"))
    with open(site / "site.toml", "a", encoding="utf-8") as config:
        config.write("\n[search]\nenabled = false\n")
    return site


@settings(max_examples=150, deadline=None, derandomize=IN_CI,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(front=messy_front_matter, body=markdown_body, raw=st.binary(max_size=64))
def test_the_reader_and_renderer_never_crash(scratch, front, body, raw):
    for relative, text in (("papers/random.md", _note_text(front, body)),
                           ("papers/raw.md", raw),
                           ("papers/rawtext.md", b"---\n" + raw + b"\n---\n" + raw)):
        problems = Problems()
        note = _read(scratch, relative, text, problems)
        if note is None:
            assert problems.errors, "a note that is not read must say why"
            assert {p.file for p in problems.items} == {f"content/{relative}"}
        else:
            rendered = render_markdown(note)
            assert {p.file for p in rendered.problems} <= {note.source}
            for text in (rendered.html, rendered.first_paragraph, note.title):
                assert not _CONTROL.search(text), "feeds cannot carry control characters"


_ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_.:-]*$")
# The payload's quotes, right after its tag, left as they were: they could end an attribute.
_RAW_QUOTE = re.compile(r"xq(?:>|&gt;|&#62;|&#x3e;)[\"']", re.IGNORECASE)


def _check_escaping(files: dict[str, str | bytes]) -> None:
    for path, content in files.items():
        text = content.decode("utf-8") if isinstance(content, bytes) else content
        if path.endswith((".html", ".xml")):
            assert "<xq" not in text.lower(), f"{path}: a '<' from front matter is unescaped"
        if path.endswith(".html"):
            assert not _RAW_QUOTE.search(text), f"{path}: a quote from front matter is unescaped"
            root = parse_html_text(text)
            assert not [e for e in root.iter() if e.tag == "xq"], path
            names = {name for e in root.iter() for name in e.attrib}
            assert {n for n in names if not _ATTRIBUTE_NAME.match(n)} == set(), path
            for script in root.iter("script"):
                if script.get("type") == "application/ld+json":
                    json.loads(script.text or "")
        elif path.endswith(".xml"):
            etree.fromstring(text.encode("utf-8"))
        elif path.endswith(".json"):
            json.loads(text)


def parse_html_text(text: str):
    return html5lib.parse(text, treebuilder="etree", namespaceHTMLElements=False)


@settings(max_examples=60, deadline=None, derandomize=IN_CI,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(fronts=st.lists(front_matter, min_size=1, max_size=3), body=markdown_body)
def test_front_matter_is_escaped_everywhere_it_lands(scratch, fronts, body):
    papers = scratch / "content" / "papers"
    shutil.rmtree(papers)
    papers.mkdir()
    for index, front in enumerate(fronts):
        (papers / f"h{index}.md").write_text(_note_text(front, body), encoding="utf-8")
    out = scratch.parent / "out"
    try:
        build(scratch, BuildOptions(out=out))
    except BuildError as exc:
        assert all(p.file.startswith("content/papers/h") for p in exc.problems), exc.problems
        event("refused with a reported error")
        return
    event("built")
    _check_escaping({p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
                     if p.suffix in (".html", ".xml", ".json")})


def test_control_characters_never_reach_a_feed(published, capsys):
    """Found by the random test above: a control character crashed the feed writer."""
    site, _ = published
    write_note(site, "papers/pasted.md", f"---\n{GOOD_FRONT}---\nFrom a PDF:\x0c page two.\n")
    capsys.readouterr()
    assert main(["build", str(site)]) == 0
    assert ("warning: content/papers/pasted.md:5: control character U+000C removed (and any "
            "others): HTML and feeds cannot carry it") in capsys.readouterr().err
    feed = feedparser.parse((site / "_site" / "feed.xml").read_bytes())
    assert not feed.bozo
    [entry] = [e for e in feed.entries if e.title == "T"]
    assert "From a PDF: page two." in entry.content[0].value
    write_note(site, "papers/escaped.md", '---\ntitle: "Bell\\a"\ndate: 2024-01-01\n---\n')
    assert main(["build", str(site)]) == 1
    assert ("error: content/papers/escaped.md:2: title: contains the control character U+0007, "
            "which HTML and feeds cannot carry; remove it") in capsys.readouterr().err


def test_an_escaped_dollar_in_the_first_paragraph_shows_as_a_dollar(site_copy):
    """Found by the random test: Markdown's placeholder for "\\$" leaked into the summary and
    crashed the feed writer."""
    site = site_copy("minimal")
    write_note(site, "papers/cost.md", "---\ntitle: Cost\ndate: 2024-03-03\n---\nIt costs "
               "\\$5 \\*per\\* run.\n")
    build(site)
    feed = feedparser.parse((site / "_site" / "feed.xml").read_bytes())
    [entry] = [e for e in feed.entries if e.title == "Cost"]
    assert entry.summary == "It costs $5 *per* run."
    home = parse_html(site / "_site" / "index.html")
    assert "It costs $5 *per* run." in [" ".join("".join(p.itertext()).split())
                                        for p in home.iter("p")]
