"""TeX math in notes: found in the Markdown source (:mod:`.find`), rewritten where authors' TeX
and the converter's differ (:mod:`.tex`) and converted to MathML Core at build time
(:mod:`.convert`), so pages need no JavaScript and feeds carry the same math."""

from __future__ import annotations

from html import escape

from .convert import Converted, convert_formulas
from .find import RULES, MathSpan, find_math
from .tex import without_markdown_escapes

__all__ = ["RULES", "Converted", "MathSpan", "convert_formulas", "convert_spans", "find_math",
           "math_fallback"]


def convert_spans(spans: list[MathSpan], macros: tuple[tuple[str, str], ...] = ()
                  ) -> tuple[Converted, ...]:
    """MathML for each span of one note. A ``$…$`` formula that fails is tried once more with
    Markdown's escapes undone (``h\\_1``), as kramdown, which knows no ``$…$`` math, handed it
    to MathJax; the second reading is kept when fewer formulas fail."""
    formulas = tuple((span.tex, span.display) for span in spans)
    results = convert_formulas(formulas, macros)
    retried = list(formulas)
    for index, (span, result) in enumerate(zip(spans, results, strict=True)):
        if result.mathml is None and not span.source.startswith("$$"):
            unescaped = without_markdown_escapes(span.tex)
            if unescaped is not None:
                retried[index] = (unescaped, span.display)
    if tuple(retried) == formulas:
        return results
    second = convert_formulas(tuple(retried), macros)
    failures = sum(r.mathml is None for r in results)
    return second if sum(r.mathml is None for r in second) < failures else results


def math_fallback(span: MathSpan) -> str:
    """What a reader sees for TeX that could not be converted: the source, as code."""
    return f'<code class="math-error">{escape(span.source)}</code>'
