"""What a person sees on the terminal: a progress bar for long work on a terminal, none in CI
logs or under -q, and errors always."""

from __future__ import annotations

import io

import pytest

from digestif.console import PROGRESS_AFTER_ITEMS, Console
from digestif.errors import Problem

MANY = list(range(PROGRESS_AFTER_ITEMS))


def tracked(console: Console, out: io.StringIO) -> tuple[list[int], str]:
    items = list(console.track(iter(MANY), "Rendering notes", len(MANY)))
    return items, out.getvalue()


def test_long_work_on_a_terminal_shows_a_progress_bar(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    out = io.StringIO()
    items, shown = tracked(Console(stream=out, terminal=True), out)
    assert items == MANY
    assert "Rendering notes" in shown


@pytest.mark.parametrize("quiet, ci, terminal", [
    (True, None, True),    # -q
    (False, "true", True),  # a CI log, even with a terminal
    (False, None, False),  # output piped to a file
])
def test_no_progress_bar_when_quiet_in_ci_or_piped(monkeypatch, quiet, ci, terminal):
    monkeypatch.delenv("CI", raising=False)
    if ci:
        monkeypatch.setenv("CI", ci)
    out = io.StringIO()
    items, shown = tracked(Console(quiet=quiet, stream=out, terminal=terminal), out)
    assert items == MANY
    assert shown == ""


def test_short_work_shows_no_progress_bar(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    out = io.StringIO()
    console = Console(stream=out, terminal=True)
    assert list(console.track(iter([1, 2]), "Rendering notes", 2)) == [1, 2]
    assert out.getvalue() == ""


def test_quiet_hides_warnings_but_never_errors():
    out, err = io.StringIO(), io.StringIO()
    console = Console(quiet=True, stream=out, err_stream=err)
    console.info("progress")
    console.problems([Problem("a.md", "odd key", 2, "venu", warning=True),
                      Problem("b.md", "bad date", 3, "date")])
    assert out.getvalue() == ""
    assert err.getvalue() == "error: b.md:3: date: bad date\n"


@pytest.mark.parametrize("terminal", [True, False])
def test_file_names_lines_and_user_text_are_printed_exactly(terminal):
    """rich would turn "note.md:100:" into an emoji and "[bold]" into markup; a file:line
    parser in CI needs the text as written."""
    out, err = io.StringIO(), io.StringIO()
    console = Console(stream=out, err_stream=err, terminal=terminal)
    problem = Problem("content/papers/[bold]x:smile:.md", "links to [red]a.png[/red] :100:", 100)
    console.problems([problem, Problem("content/b.md", "unknown key", 1234, "x", warning=True)])
    console.info("read content/papers/[i]note.md:100:")
    console.success("built :thumbs_up: [b]")
    shown_err = _plain(err.getvalue())
    assert shown_err.splitlines() == [
        "error: content/papers/[bold]x:smile:.md:100: links to [red]a.png[/red] :100:",
        "warning: content/b.md:1234: x: unknown key",
    ]
    assert _plain(out.getvalue()).splitlines() == ["read content/papers/[i]note.md:100:",
                                                   "✓ built :thumbs_up: [b]"]


def _plain(text: str) -> str:
    """The text without terminal colour codes."""
    import re
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
