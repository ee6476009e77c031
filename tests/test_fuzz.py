"""Grammar-based fuzzing of whole notes: YAML front matter and Markdown bodies built from the
constructs that broke parsers before (aliases, deep nesting, YAML 1.1 look-alikes, runs of
brackets and emphasis, math delimiters, raw HTML), so the next hang or crash is found here.

Every outcome must be a note that reads and renders, or errors that name the file; a small
note must render well inside the time budget. CI runs a fixed, bounded set of examples (a few
seconds); before a release run many more (docs/limits.md):

    DIGESTIF_FUZZ_EXAMPLES=5000 python -m pytest -q tests/test_fuzz.py

A hang cannot stall the run either: faulthandler ends the process with a traceback of where
it was if one example takes longer than HANG_SECONDS.
"""

from __future__ import annotations

import faulthandler
import os
import time
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import copy_site
from digestif.build import BuildOptions, build
from digestif.config import MarkdownConfig
from digestif.errors import BuildError, Problems
from digestif.markup import render_markdown
from digestif.reader import KNOWN_KEYS, NoteFile, parse_note

LONG_RUN = int(os.environ.get("DIGESTIF_FUZZ_EXAMPLES", "0"))
IN_CI = bool(os.environ.get("CI")) or not LONG_RUN
# CI (and a plain local run) replays the same bounded examples, so a red run is reproducible.
READ_EXAMPLES = LONG_RUN or 150
BUILD_EXAMPLES = max(LONG_RUN // 20, 12)
BUDGET = MarkdownConfig(time_budget=5)
SMALL_BODY = 20_000
"""Characters: a body this short must render in well under the budget."""
SMALL_SECONDS = 2.0
HANG_SECONDS = 120
SOURCE = "content/papers/fuzz.md"


@contextmanager
def hang_guard():
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


# --- YAML ----------------------------------------------------------------------------------

_YAML_SCALARS = st.sampled_from([
    "T", "1:20", "0123", "1_000", "No", "off", "yes", "Y", "~", "null", "", "2025", "-0", "+1",
    "0x1F", "0o17", "1e3", ".inf", ".NaN", "2024-13-45", "2024-02-30", "2106.09685", "0001-01-01",
    "a: b", "#x", "- x", "[x", "{x", "]", "}", "*x", "&x y", "!x y", "!!str 5", "!!float 1",
    "!!binary aGk=", "!!set {a}", "@x", "`x", "%x", "| x", "> x", "'x", '"x', "'it''s'",
    '"\\x16"', '"\\u2028"', "<b>x</b>", "javascript:alert(1)", "https://e.org/a b", "not-a-url",
    "/local", "doi:10.1/x", "mailto:a@b.c", "../../etc", "한국어", ":100:", "[bold]x",
    "? x", "<<", "=", "x\ty",
])
# Valid plain or quoted scalars that YAML 1.1 would have read as something else.
_TAME_SCALARS = st.sampled_from([
    "T", "1:20", "0123", "1_000", "No", "off", "yes", "Y", "~", "2025", "-0", "+1", "0x1F",
    "1e3", ".inf", "2106.09685", "0001-01-01", "한국어", ":100:", '"[bold]x"', '"<b>x</b>"',
    "'it''s'", '"a: b"', '"\\u00e9"', "x y z", "[a, 1:20, No]", "{k: '<x>'}",
])
_TAME_TITLES = _TAME_SCALARS.filter(lambda value: value[0] not in "[{~")
_KEYS = st.sampled_from(sorted(KNOWN_KEYS) + ["links", "links", "extra", "x", "<<", "? k",
                                               "'quoted'", '"k"', "1", "true", "[k]"])


@st.composite
def yaml_value(draw, indent: int = 0, depth: int = 0) -> str:
    """The text after ``key:``: a scalar, a flow collection, or an indented block."""
    kind = draw(st.sampled_from(["scalar"] * 4 + ["flow", "block_list", "block_map",
                                                  "literal", "anchor", "alias", "deep"]))
    if depth > 3 and kind not in ("scalar", "deep"):
        kind = "scalar"
    pad = " " * (indent + 2)
    if kind == "flow":
        items = draw(st.lists(_YAML_SCALARS, max_size=4))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{", "}"), ("[", ""), ("{a: ", "}")]))
        return " " + opener + ", ".join(items) + closer
    if kind == "block_list":
        items = draw(st.lists(yaml_value(indent + 2, depth + 1), min_size=1, max_size=3))
        return "".join(f"\n{pad}-{item}" for item in items)
    if kind == "block_map":
        keys = draw(st.lists(_KEYS, min_size=1, max_size=3))
        return "".join(f"\n{pad}{k}:{draw(yaml_value(indent + 2, depth + 1))}" for k in keys)
    if kind == "literal":
        lines = draw(st.lists(_YAML_SCALARS, max_size=3))
        return " " + draw(st.sampled_from(["|", ">", "|-", ">+"])) + "".join(
            f"\n{pad}{line}" for line in lines)
    if kind == "anchor":
        return f" &a{draw(st.integers(0, 3))}{draw(yaml_value(indent, depth + 1))}"
    if kind == "alias":
        return f" *a{draw(st.integers(0, 3))}"
    if kind == "deep":
        levels = draw(st.integers(1, 400 if LONG_RUN else 150))
        bracket = draw(st.sampled_from(["[", "{a: ", "- "]))
        closing = {"[": "]", "{a: ": "}", "- ": ""}[bracket]
        return " " + bracket * levels + "x" + closing * levels
    return " " + draw(_YAML_SCALARS)


@st.composite
def front_matter(draw) -> str:
    """Wild front matter a quarter of the time; otherwise a title and a date and a few odd
    values, so that most examples get as far as the Markdown stage."""
    wild = draw(st.integers(0, 3)) == 0
    lines = []
    if not wild or draw(st.booleans()):
        lines.append(f"title: {draw(st.sampled_from(['T', 'No', '2025', '<x>', '[b]']))}"
                     if wild else f"title: {draw(_TAME_TITLES)}")
    if not wild or draw(st.booleans()):
        lines.append(f"date: {draw(st.sampled_from(['2024-01-01', '0001-01-01', 'x']))}"
                     if wild else f"date: {draw(st.sampled_from(['2024-01-01', '0001-01-01']))}")
    if wild:
        lines += [f"{key}:{draw(yaml_value())}" for key in draw(st.lists(_KEYS, max_size=5))]
    else:
        tame = st.sampled_from(["venue", "task", "summary", "doi", "tags", "categories",
                                "authors", "lang", "draft"])
        lines += [f"{key}: {draw(_TAME_SCALARS)}" for key in draw(st.lists(tame, max_size=3))]
    return "\n".join(lines)


# --- Markdown ------------------------------------------------------------------------------

_WORDS = st.sampled_from(["word", "LoRA", "x", "한국어", "<b>", "&amp;", "&#0;", "&#xD800;",
                          "\\*", "\\$", "\\[", "\\(", ":100:", "[bold]", "http://e.org",
                          "<!--", "-->", "<?x", "]]>", "|", "~~", "==", "^", "{#id}", "{:.c}"])
_URLS = st.sampled_from(["other.md", "missing.png", "../../../../etc/passwd", "#method", "/x",
                         "https://e.org/<x>", "javascript:alert(1)", "data:text/html,x",
                         "a%0Ab.png", "", " ", "<>", "a b.png", "x.md#y"])


@st.composite
def inline(draw) -> str:
    kind = draw(st.sampled_from(["word"] * 4 + ["emphasis", "brackets", "link", "image",
                                                 "code", "math", "html", "wiki", "run"]))
    word = draw(_WORDS)
    if kind == "emphasis":
        left, right = draw(st.integers(0, 4)), draw(st.integers(0, 4))
        mark = draw(st.sampled_from(["*", "_"]))
        return mark * left + word + mark * right
    if kind == "brackets":
        return draw(st.sampled_from(["[", "]", "![", "[^", "[["])) * draw(st.integers(1, 5))
    if kind == "link":
        return f"[{word}]({draw(_URLS)})"
    if kind == "image":
        return f"![{word}]({draw(_URLS)})"
    if kind == "code":
        ticks = "`" * draw(st.integers(1, 3))
        return ticks + word + draw(st.sampled_from([ticks, "", "`"]))
    if kind == "math":
        return draw(st.sampled_from(["$x$", "$", "$$", "\\(", "\\)", "\\[", "\\]", "$\\frac{a}$",
                                     "$\\notacommand$", "$ x $", "$5", "\\begin{x}"]))
    if kind == "html":
        return draw(st.sampled_from(["<b>", "</b>", "<a href='x.md'>", "<img src=../y.png>",
                                     "<script>", "<div>", "</div>", "<br/>", "<x y='"]))
    if kind == "wiki":
        return f"[[{word}|{draw(_WORDS)}]]"
    # A run of one piece: the shape quadratic parsers choke on.
    piece = draw(st.sampled_from(["[", "*a **b ", "\\( ", "$a ", "![", "<a ", "`", "[a](", "_",
                                  "**", "[^1]", "<div>", "&", "> ", "|"]))
    return piece * draw(st.integers(1, 3000 if LONG_RUN else 400))


@st.composite
def block(draw, depth: int = 0) -> str:
    kinds = ["paragraph"] * 3 + ["heading", "fence", "html", "math", "table", "footnote"]
    if depth < 3:
        kinds += ["list", "quote"]
    kind = draw(st.sampled_from(kinds))
    text = " ".join(draw(st.lists(inline(), min_size=1, max_size=6)))
    if kind == "heading":
        return "#" * draw(st.integers(1, 7)) + " " + text
    if kind == "fence":
        fence = draw(st.sampled_from(["```", "~~~", "````"]))
        return f"{fence}{draw(st.sampled_from(['', 'python', 'math']))}\n{text}\n" + draw(
            st.sampled_from([fence, "", "```"]))
    if kind == "html":
        attribute = draw(st.sampled_from(["", ' markdown="1"']))
        return f"<div{attribute}>\n{text}\n" + draw(st.sampled_from(["</div>", ""]))
    if kind == "math":
        return draw(st.sampled_from(["$$\n", "\\[\n"])) + text + draw(
            st.sampled_from(["\n$$", "\n\\]", ""]))
    if kind == "table":
        return f"| a | b |\n|---|---|\n| {text} | x |"
    if kind == "footnote":
        return f"Text[^n]\n\n[^n]: {text}"
    if kind == "list":
        marker = draw(st.sampled_from(["- ", "* ", "1. ", "+ "]))
        indent = " " * draw(st.sampled_from([2, 4]))
        items = draw(st.lists(block(depth + 1), min_size=1, max_size=3))
        return "\n".join(marker + item.replace("\n", "\n" + indent) for item in items)
    if kind == "quote":
        return "> " + draw(block(depth + 1)).replace("\n", "\n> ")
    return text


@st.composite
def deep_nesting(draw) -> str:
    """Lists indented level by level, quotes deepening line by line, or both on one line."""
    depth = draw(st.integers(50, 1200 if LONG_RUN else 300))
    shape = draw(st.sampled_from(["list", "quotes", "one line"]))
    if shape == "quotes":
        step = draw(st.integers(1, 20))
        return "".join(">" * level + " x\n\n" for level in range(0, depth, step))
    if shape == "one line":
        return draw(st.sampled_from(["> - ", "- ", "1. ", "> ", "* > "])) * depth + "x"
    step = draw(st.sampled_from([2, 4]))
    return "".join(" " * (step * level) + "- x\n" for level in range(depth))


_blocks = st.lists(block(), max_size=8).map("\n\n".join)
markdown_body = st.one_of(_blocks, _blocks, _blocks, _blocks, _blocks, deep_nesting())


def note_text(front: str, body: str, closed: bool) -> str:
    return f"---\n{front}\n" + ("---\n" if closed else "") + body


# --- the properties ------------------------------------------------------------------------


def _settings(examples: int):
    return settings(max_examples=examples, deadline=None, derandomize=IN_CI,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module", autouse=True)
def warm_renderer():
    """The first render builds the Markdown instance and imports Pygments: not the note's."""
    render_markdown(parse_note(NoteFile(Path(SOURCE), SOURCE), b"---\ntitle: T\ndate: "
                               b"2024-01-01\n---\n```python\nx\n```\n", ZoneInfo("UTC"),
                               Problems()), settings=BUDGET)


@_settings(READ_EXAMPLES)
@given(front=front_matter(), body=markdown_body, closed=st.sampled_from([True] * 9 + [False]))
def test_a_fuzzed_note_reads_and_renders_or_names_its_file(front, body, closed):
    text = note_text(front, body, closed)
    problems = Problems()
    with hang_guard():
        # CPU time, not wall time: the bound is on the work, whatever else the machine runs.
        started = time.process_time()
        note = parse_note(NoteFile(Path(SOURCE), SOURCE), text.encode("utf-8"),
                          ZoneInfo("UTC"), problems)
        read_seconds = time.process_time() - started
        rendered = render_markdown(note, settings=BUDGET) if note is not None else None
        render_seconds = time.process_time() - started - read_seconds
    assert read_seconds < SMALL_SECONDS, f"reading took {read_seconds:.1f} s"
    assert {p.file for p in problems.items} <= {SOURCE}
    if note is None:
        assert problems.errors, "a note that is not read must say why"
        event("refused by the reader")
        return
    assert {p.file for p in rendered.problems} == {SOURCE} or not rendered.problems
    errors = [p for p in rendered.problems if not p.warning]
    if len(body) < SMALL_BODY:
        assert render_seconds < SMALL_SECONDS, \
            f"{len(body)} characters took {render_seconds:.1f} s: {errors}"
    event("refused by the Markdown stage" if errors else "rendered")


@pytest.fixture(scope="module")
def fuzz_site(tmp_path_factory) -> Path:
    site = copy_site("minimal", tmp_path_factory.mktemp("fuzz"))
    with open(site / "site.toml", "a", encoding="utf-8") as config:
        config.write("\n[search]\nenabled = false\n\n[markdown]\ntime_budget = 5\n")
    return site


@_settings(BUILD_EXAMPLES)
@given(front=front_matter(), body=markdown_body)
def test_a_fuzzed_site_builds_or_fails_naming_the_note(fuzz_site, front, body):
    path = fuzz_site / SOURCE
    path.write_text(note_text(front, body, closed=True), encoding="utf-8")
    out = fuzz_site.parent / "out"
    with hang_guard():
        try:
            result = build(fuzz_site, BuildOptions(out=out, use_cache=False))
        except BuildError as exc:
            assert {p.file for p in exc.problems} == {SOURCE}, [str(p) for p in exc.problems]
            event("refused with errors naming the note")
            return
    assert result.notes in (1, 2)
    assert {p.file for p in result.warnings} <= {SOURCE}
    event("built")
