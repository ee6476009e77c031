"""Terminal output for people: concise, coloured on a terminal, a progress bar for long work,
silent under ``-q`` (errors still print).

Every command talks to the user through one :class:`Console`; nothing else prints.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console as RichConsole
from rich.text import Text

from .errors import Problem

T = TypeVar("T")

# A progress bar only pays for itself on work longer than about a second.
PROGRESS_AFTER_ITEMS = 300


class Console:
    def __init__(self, quiet: bool = False, stream=None, err_stream=None,
                 terminal: bool | None = None):
        """``terminal`` forces (or denies) terminal behaviour: colour and progress bars;
        by default it is whether the stream is a terminal."""
        self.quiet = quiet
        # Messages name files and quote what the user wrote: rich must neither read
        # "note.md:100:" as the emoji :100: nor "[bold]" as markup. Every message is printed
        # as a Text (never parsed); emoji and markup are off for anything printed otherwise.
        options = dict(highlight=False, soft_wrap=True, force_terminal=terminal, emoji=False,
                       markup=False)
        self.out = RichConsole(file=stream or sys.stdout, **options)
        self.err = RichConsole(file=err_stream or sys.stderr, **options)

    @property
    def interactive(self) -> bool:
        return self.out.is_terminal and not os.environ.get("CI")

    def info(self, message: str) -> None:
        """A line of progress, printed exactly as given."""
        if not self.quiet:
            self.out.print(Text(message))

    def success(self, message: str) -> None:
        if not self.quiet:
            self.out.print(_labelled("✓", "green", message))

    def warning(self, message: str) -> None:
        if not self.quiet:
            self.err.print(_labelled("warning:", "yellow", message))

    def error(self, message: str) -> None:
        self.err.print(_labelled("error:", "bold red", message))

    def problems(self, problems: Iterable[Problem], strict: bool = False) -> None:
        """Errors always; warnings unless quiet (under --strict they are errors)."""
        for problem in problems:
            if problem.warning and not strict:
                self.warning(str(problem))
            else:
                self.error(str(problem))

    @contextmanager
    def timed(self) -> Iterator[list[float]]:
        """``with console.timed() as t:`` ... ``t[0]`` is the elapsed seconds afterwards."""
        box = [0.0]
        start = time.perf_counter()
        try:
            yield box
        finally:
            box[0] = time.perf_counter() - start

    def track(self, items: Iterable[T], description: str, total: int) -> Iterator[T]:
        """Iterate, showing a bar when attached to a terminal and there are many items."""
        if self.quiet or not self.interactive or total < PROGRESS_AFTER_ITEMS:
            yield from items
            return
        # Imported here: only long builds on a terminal need it, and it costs 20 ms to load.
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=self.out, transient=True) as progress:
            task = progress.add_task(description, total=total)
            for item in items:
                yield item
                progress.advance(task)


def _labelled(label: str, style: str, message: str) -> Text:
    """A coloured label and the message as literal text: no markup, no emoji codes."""
    return Text.assemble((label, style), " ", message)
