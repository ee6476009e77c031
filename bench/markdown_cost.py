"""Per-note Markdown cost: time ``markup.render_markdown`` alone over a folder of notes.

    python bench/markdown_cost.py --notes bench/out/n1000/digestif/content --rounds 3
    python bench/markdown_cost.py --notes ... --engine commonmark,python-markdown
    PYTHONPATH=/path/to/other/src python bench/markdown_cost.py ...   # another checkout

The whole build also reads, lays out and writes pages; this isolates the Markdown stage, which
is what an extension changes. Every note is rendered once untimed (warm-up: the renderer is
built, Pygments lexers are imported), then ``--rounds`` times; the best round is reported, as
the least disturbed by other work on a shared machine, in CPU time of this process (what the
renderer itself costs; on a busy machine wall time mostly measures the other work) and wall.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from digestif.config import ENGINES, MarkdownConfig
from digestif.markup import render_markdown
from digestif.note import Note


def read_notes(folder: Path) -> list[Note]:
    notes = []
    for path in sorted(folder.rglob("*.md")) + sorted(folder.rglob("*.markdown")):
        text = path.read_text(encoding="utf-8", errors="replace")
        body = text.split("\n---\n", 1)[1] if text.startswith("---\n") and "\n---\n" in text \
            else text
        notes.append(Note(source=f"content/{path.relative_to(folder).as_posix()}", title="T",
                          date=datetime(2024, 1, 1, tzinfo=UTC), slug=path.stem, body=body))
    return notes


def best_round(notes: list[Note], rounds: int, settings: MarkdownConfig) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of the best round."""
    for note in notes:
        render_markdown(note, settings=settings)
    best = (float("inf"), float("inf"))
    for _ in range(rounds):
        cpu, wall = time.process_time(), time.perf_counter()
        for note in notes:
            render_markdown(note, settings=settings)
        best = min(best, (time.process_time() - cpu, time.perf_counter() - wall))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=Path, required=True, help="folder of Markdown notes")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", default=ENGINES[0],
                        help=f"comma-separated engines to time, of {', '.join(ENGINES)}")
    args = parser.parse_args()
    engines = args.engine.split(",")
    unknown = [name for name in engines if name not in ENGINES]
    if unknown:
        parser.error(f"--engine: unknown {', '.join(unknown)}; expected {', '.join(ENGINES)}")
    notes = read_notes(args.notes)
    for engine in engines:
        cpu, wall = best_round(notes, args.rounds, MarkdownConfig(engine=engine))
        print(f"{engine}: {len(notes)} notes, best of {args.rounds}: "
              f"{cpu / len(notes) * 1000:.2f} ms CPU per note "
              f"({wall / len(notes) * 1000:.2f} ms wall)")


if __name__ == "__main__":
    main()
