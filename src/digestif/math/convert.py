"""TeX to MathML Core with math-core, one note at a time.

Why math-core (measured in docs/math.md): it writes MathML Core, the MathML that Chromium, Firefox
and Safari all render (styled letters as Unicode characters such as ℝ, 𝓛, 𝐱; ``aligned`` as a
table; big operators and stretchy fences as the browser's math layout expects), it knows
``\\newcommand``, equation numbering, ``\\label``/``\\eqref`` and ``\\tag``, and it converts ~80×
faster than latex2mathml.

A note's formulas are converted together, in order, like a LaTeX document: macros a formula
defines apply to the formulas after it, equations are numbered per note and ``\\eqref`` may point
forwards. Results are remembered by content (failures too), so an unchanged note costs nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from math_core import LatexError, LatexToMathML

from .tex import BUILTIN_MACROS, note_colors, optional_arguments, prepare

# Conversion results by (formulas, macros): a note re-rendered with the same formulas (the dev
# server after a prose edit) is not converted again. Bounded: a cold build renders each note
# once, and a worker must not hold every note's MathML.
_MEMO: dict[tuple, tuple[Converted, ...]] = {}
_MEMO_LIMIT = 256
_REFERENCE = re.compile(r"\\(?:eq)?ref\b")
_ID = re.compile(r'<mtd[^>]* id="([^"]*)"')
_LINK = re.compile(r'<a href="#([^"]*)"')
_ERROR_PREFIX = re.compile(r"^\s*(?:input)?\d*:\d*:?\s*")


@dataclass(frozen=True)
class Converted:
    """One formula's MathML, or why there is none."""

    mathml: str | None
    """MathML, ``""`` for a formula that only defines macros, ``None`` when it failed."""
    error: str | None = None
    """What went wrong, in the reader's words; set when ``mathml`` is ``None`` or holds an
    ``<merror>``."""


def convert_formulas(formulas: tuple[tuple[str, bool], ...],
                     macros: tuple[tuple[str, str], ...] = ()) -> tuple[Converted, ...]:
    """MathML for each ``(tex, display)`` of one note, in order."""
    key = (formulas, macros)
    found = _MEMO.get(key)
    if found is None:
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        found = _MEMO[key] = _convert(formulas, {**BUILTIN_MACROS, **dict(macros)})
    return found


def _convert(formulas, macros: dict[str, str]) -> tuple[Converted, ...]:
    texts = note_colors(optional_arguments([tex for tex, _ in formulas]))
    prepared = [prepare(tex, display) for tex, (_, display) in zip(texts, formulas, strict=True)]
    snippets = [(p.tex, display) for p, (_, display) in zip(prepared, formulas, strict=True)]
    try:
        outputs: list[str | LatexError] = list(_converter(macros).convert_all(snippets))
    except LatexError:
        outputs = _one_by_one(snippets, macros)
    results = [_result(output, p) for output, p in zip(outputs, prepared, strict=True)]
    return tuple(_check_references(results))


def _check_references(results: list[Converted]) -> list[Converted]:
    """A reference to a label no equation of the note has reads "(??)": say so."""
    if not any(r.mathml and '<a href="#' in r.mathml for r in results):
        return results
    labels = {label for r in results if r.mathml for label in _ID.findall(r.mathml)}
    checked = []
    for result in results:
        missing = [label for label in _LINK.findall(result.mathml or "") if label not in labels]
        if missing and not result.error:
            result = Converted(result.mathml, "no equation of this note has \\label{"
                               + "}, \\label{".join(missing) + "}")
        checked.append(result)
    return checked


def _one_by_one(snippets, macros) -> list[str | LatexError]:
    """Each formula on its own, in order, so one bad formula does not take the note's other
    formulas with it; then the good ones again as a batch, for references that point forward."""
    converter = _converter(macros)
    outputs: list[str | LatexError] = []
    for tex, display in snippets:
        try:
            outputs.append(converter.convert_with_global_state(tex, displaystyle=display))
        except LatexError as exc:
            outputs.append(exc)
    good = [i for i, output in enumerate(outputs) if isinstance(output, str)]
    if good and any(_REFERENCE.search(snippets[i][0]) for i in good):
        try:
            batch = _converter(macros).convert_all([snippets[i] for i in good])
        except LatexError:  # a definition in a failed formula was needed after all
            return outputs
        for i, output in zip(good, batch, strict=True):
            outputs[i] = output
    return outputs


def _converter(macros: dict[str, str]) -> LatexToMathML:
    # A fresh converter per note: definitions and equation numbers must not leak between notes.
    # Creating one costs about a microsecond.
    return LatexToMathML(macros=macros, global_group=True, fancy_error=False,
                         allow_unreliable_rendering=True)


def _result(output, prepared) -> Converted:
    if isinstance(output, LatexError):
        return Converted(None, _reason(output))
    mathml = _one_row(_primes_on_the_line(prepared.finish(output)))
    if "<merror" in mathml:
        return Converted(mathml, "shown with an error mark (<merror>): part of it is not valid TeX")
    return Converted(mathml)


_LEAF = r"<m[ion][^>]*>[^<]*</m[ion]>"
_PRIMES = "([′″‴⁗])"
_PRIME_SUP = re.compile(f"<msup>({_LEAF})<mo>{_PRIMES}</mo></msup>")
_PRIME_SUBSUP = re.compile(
    f"<msubsup>({_LEAF})({_LEAF}|<mrow>(?:(?!</?mrow>).)*</mrow>)<mo>{_PRIMES}</mo></msubsup>")


def _primes_on_the_line(mathml: str) -> str:
    """``s'`` as ``s`` followed by ′, not ′ as a superscript: U+2032 is already a raised glyph,
    and Chromium raises it again (Firefox draws both forms alike)."""
    if "′" not in mathml and "″" not in mathml and "‴" not in mathml and "⁗" not in mathml:
        return mathml
    # An <mrow> keeps the element count of a parent such as <munder> (\max_{a'}).
    mathml = _PRIME_SUP.sub(r"<mrow>\1<mo>\2</mo></mrow>", mathml)
    return _PRIME_SUBSUP.sub(r"<msub><mrow>\1<mo>\3</mo></mrow>\2</msub>", mathml)


_MATH_OPEN = re.compile(r"<math(?: display=\"block\")?>")


def _one_row(mathml: str) -> str:
    """Children of <math> in one <mrow>: Firefox breaks a formula between top-level children
    (mid-expression, after a "("), while a display formula should scroll as a whole."""
    opening = _MATH_OPEN.match(mathml)
    if not opening or mathml.startswith("<mtable", opening.end()):
        return mathml
    return f"{opening.group()}<mrow>{mathml[opening.end():-len('</math>')]}</mrow></math>"


def _reason(error: LatexError) -> str:
    message = _ERROR_PREFIX.sub("", str(error)).strip().rstrip(".")
    return message[:1].lower() + message[1:] if message else "it is not valid TeX"
