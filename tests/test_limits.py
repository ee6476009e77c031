"""The Markdown stage's bounds: the time budget stops a render in the main thread (the serial
build and each worker process), does nothing elsewhere, and a stopped render is an error
naming the note; the shape checks refuse what would take too long, with the line."""

from __future__ import annotations

import signal
import threading
import time
from datetime import datetime

import pytest

from digestif import markup
from digestif.config import MarkdownConfig
from digestif.limits import OutOfTime, markdown_problem, time_budget
from digestif.markup import render_markdown
from digestif.note import Note


def spin(seconds: float) -> None:
    """Python work that only an exception can stop early."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_the_budget_stops_work_in_the_main_thread():
    started = time.perf_counter()
    with pytest.raises(OutOfTime), time_budget(0.2):
        spin(5)
    assert time.perf_counter() - started < 2
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0), "the alarm is cleared"
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL, "the handler is restored"


def test_the_budget_is_not_an_exception_extensions_can_swallow():
    with pytest.raises(OutOfTime), time_budget(0.2):
        try:
            spin(5)
        except Exception:  # noqa: BLE001 - what a Markdown extension might do
            pytest.fail("OutOfTime was caught as an Exception")


def test_outside_the_main_thread_there_is_no_budget_and_no_error():
    """The dev server builds in a thread: signals cannot reach it, so the work runs on."""
    outcome = []

    def work():
        with time_budget(0.1):
            spin(0.4)
        outcome.append("finished")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert outcome == ["finished"]


def test_an_alarm_already_set_is_left_alone():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with time_budget(0.05):
            spin(0.1)  # no OutOfTime: the budget stood aside
        spin(0.4)
        assert fired == [True], "the earlier alarm still went off"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def note(body: str) -> Note:
    return Note(source="content/papers/slow.md", title="T", date=datetime(2024, 1, 1),
                body=body, slug="slow", body_line=5)


def test_a_render_over_budget_is_an_error_naming_the_note(monkeypatch):
    monkeypatch.setattr(markup.MarkdownRenderer, "render", lambda self, n: spin(5))
    started = time.perf_counter()
    body = render_markdown(note("text"), settings=MarkdownConfig(time_budget=1))
    assert time.perf_counter() - started < 3
    [problem] = body.problems
    assert (problem.file, problem.warning) == ("content/papers/slow.md", False)
    assert problem.message.startswith("Markdown took more than 1 s on this note and was "
                                      "stopped (the limit is time_budget under [markdown]")


def test_a_recursion_error_is_an_error_naming_the_note():
    body = render_markdown(note('<div markdown="1">\n' * 1000 + "x\n" + "</div>\n" * 1000))
    [problem] = body.problems
    assert problem.file == "content/papers/slow.md" and not problem.warning
    assert problem.message.startswith("nests lists, quotes or HTML blocks more deeply")


def test_after_a_stopped_render_the_next_note_renders_normally(monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(markup.MarkdownRenderer, "render", lambda self, n: spin(5))
        render_markdown(note("x"), settings=MarkdownConfig(time_budget=1))
    body = render_markdown(note("*fine*"), settings=MarkdownConfig(time_budget=1))
    assert body.problems == () and body.html == "<p><em>fine</em></p>"


@pytest.mark.parametrize("body, line, start", [
    ("".join("  " * i + "- x\n" for i in range(150)), 101, "lists nested more than 100"),
    ("ok\n\n" + "[" * 300, 3, "a paragraph with 300 '['"),
    ("ok\n\n" + "[a](" * 300, 3, "a paragraph with 300 '('"),
    ("\\( " * 300, 1, "a paragraph with 300 '\\('"),
    ("".join(">" * i + " x\n\n" for i in range(0, 200, 50)), 7, "quotes nested more than 100"),
])
def test_shapes_markdown_cannot_handle_are_refused_with_the_line(body, line, start):
    message, found = markdown_problem(body)
    assert (found, message[:len(start)]) == (line, start)


@pytest.mark.parametrize("body", [
    "```\n" + "[" * 300 + "\n```\n",  # code is not parsed
    "[a](b) " * 1000,  # closed links, however many
    "\\(x\\) " * 1000,
    "(" * 150 + ")" * 150,
    "".join("    " * i + "- x\n" for i in range(40)),
])
def test_shapes_markdown_handles_pass(body):
    assert markdown_problem(body) is None
