"""TeX math in notes: found in the Markdown source (:mod:`.find`), rewritten where authors' TeX
and the converter's differ (:mod:`.tex`) and converted to MathML Core at build time
(:mod:`.convert`), so pages need no JavaScript and feeds carry the same math."""

from __future__ import annotations

from html import escape

from .convert import Converted, convert_formulas
from .find import RULES, MathSpan, find_math

__all__ = ["RULES", "Converted", "MathSpan", "convert_formulas", "find_math", "math_fallback"]


def math_fallback(span: MathSpan) -> str:
    """What a reader sees for TeX that could not be converted: the source, as code."""
    return f'<code class="math-error">{escape(span.source)}</code>'
