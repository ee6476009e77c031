"""How digestif's math does on a real collection of notes: formulas converted, formulas shown as
code, and TeX left in the text as raw dollars.

    python bench/math_corpus.py [--math pandoc|mathjax] FOLDER...

Every ``.md`` file under each folder is rendered as a note body (front matter dropped). Only the
public ``render_markdown`` API is used, so the same script measures any version of digestif.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import html5lib

from digestif.markup import render_markdown
from digestif.note import Note

_SKIP = {"code", "pre", "script", "style", "math", "textarea"}
# What still reads as TeX in text: a $...$ pair around something with a backslash, ^ or _.
_RAW_TEX = re.compile(r"\$\$?[^$\n]*[\\^_][^$\n]*\$\$?")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--math", default="mathjax")
    parser.add_argument("--show", type=int, default=0, help="print this many failures")
    args = parser.parse_args()
    settings = _settings(args.math)
    totals: Counter = Counter()
    failures: list[str] = []
    started = time.perf_counter()
    for folder in args.folders:
        for path in sorted(folder.rglob("*.md")):
            body = _body(path.read_text(encoding="utf-8", errors="replace"))
            note = Note(source=str(path), title="t", date=datetime(2024, 1, 1, tzinfo=UTC),
                        slug="x", body=body, body_line=1)
            result = render_markdown(note, "", settings) if settings else render_markdown(note)
            _count(result, totals, failures)
            totals["notes"] += 1
    totals["seconds"] = round(time.perf_counter() - started, 2)
    formulas = totals["math"] + totals["code"]
    print(dict(totals))
    if formulas:
        share = 100 * totals["code"] / formulas
        print(f"formulas {formulas}, as code {totals['code']} ({share:.2f}%), "
              f"undefined-macro failures {totals['undefined']}, raw $-TeX left {totals['raw']}, "
              f"notes with raw TeX {totals['notes_raw']}, "
              f"<mi> styled by mathvariant {totals['mathvariant']}")
    for failure in failures[:args.show]:
        print(" ", failure)


def _settings(rule: str):
    try:
        from digestif.config import MarkdownConfig
    except ImportError:
        return None
    return MarkdownConfig(math=rule)


def _body(text: str) -> str:
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            return text[text.find("\n", end + 1) + 1:]
    return text


def _count(result, totals: Counter, failures: list[str]) -> None:
    root = html5lib.parse(result.html, treebuilder="etree", namespaceHTMLElements=False)
    totals["math"] += sum(1 for e in root.iter()
                          if isinstance(e.tag, str) and e.tag.endswith("math"))
    totals["code"] += sum(1 for e in root.iter("code") if e.get("class") == "math-error")
    # Browsers ignore mathvariant on <mi> (MathML Core): such letters show unstyled.
    totals["mathvariant"] += sum(1 for e in root.iter() if isinstance(e.tag, str)
                                 and e.tag.endswith("mi") and e.get("mathvariant") not in
                                 (None, "normal"))
    for problem in result.problems:
        if problem.field == "math":
            failures.append(problem.message)
            if "unknown command" in problem.message.lower():
                totals["undefined"] += 1
    raw = len(_RAW_TEX.findall(_text_outside_code(root)))
    totals["raw"] += raw
    totals["notes_raw"] += bool(raw)


def _text_outside_code(element) -> str:
    parts = []
    if not isinstance(element.tag, str) or element.tag.rsplit("}", 1)[-1] in _SKIP:
        return element.tail or ""  # comments are not shown either
    parts.append(element.text or "")
    for child in element:
        parts.append(_text_outside_code(child))
    parts.append(element.tail or "")
    return "".join(parts)


if __name__ == "__main__":
    sys.exit(main())
