"""TeX as MathJax and LaTeX authors write it, rewritten into what math-core reads.

Each rewrite is a spelling math-core lacks, not a change of meaning:

* ``\\\\[4pt]`` (a line break with extra space) becomes ``\\\\``;
* ``\\newcommand``/``\\renewcommand``/``\\providecommand`` become ``\\def`` (MathJax lets a note
  redefine ``\\R``, which math-core predefines), ``\\DeclareMathOperator`` becomes a ``\\def`` of
  ``\\operatorname``;
* ``\\mbox``/``\\hbox`` become ``\\text``; ``$x$`` inside ``\\text{…}`` leaves the text;
* a display formula outside any environment that has a ``\\label`` is numbered like
  ``equation``, one with a ``\\tag`` is tagged like ``equation*``; ``\\nonumber`` outside an
  environment means nothing and goes;
* ``\\ref{x}`` is ``\\eqref{x}`` without the parentheses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE_BREAK_SPACE = re.compile(
    r"(\\\\)\s*\[\s*-?[\d.]+\s*(?:pt|em|ex|mm|cm|in|mu|pc|bp|dd|cc|sp)\s*\]")
_NEWCOMMAND = re.compile(
    r"\\(?:re|provide|new)command\*?\s*(?:\{\s*(\\[A-Za-z@]+|\\.)\s*\}|(\\[A-Za-z@]+))"
    r"\s*(?:\[\s*(\d)\s*\])?")
_DECLARE_OPERATOR = re.compile(
    r"\\DeclareMathOperator(\*?)\s*(?:\{\s*(\\[A-Za-z@]+)\s*\}|(\\[A-Za-z@]+))\s*\{([^{}]*)\}")
_BOX = re.compile(r"\\[mh]box\s*\{")
_TEXT_WITH_MATH = re.compile(r"\\text\s*\{([^{}$]*)\$([^{}$]+)\$([^{}$]*)\}")
_DEFINITION = re.compile(r"\\(?:def|(?:re|provide|new)command|DeclareMathOperator|let)\b")
_ENVIRONMENT = re.compile(r"\\begin\s*\{")
_NUMBERING = re.compile(r"\\(label|tag)\b")
_NO_NUMBER = re.compile(r"\\(?:nonumber|notag)\b")
_REF = re.compile(r"\\ref\s*\{([^{}]*)\}")
_EMPTY_MATH = re.compile(r"<math(?: display=\"block\")?>(?:<mrow></mrow>)?</math>")


@dataclass(frozen=True)
class Prepared:
    tex: str
    defines: bool
    """The formula defines macros (a formula of definitions alone shows nothing)."""
    plain_refs: tuple[str, ...] = ()
    """Labels referred to with ``\\ref``: their links lose the parentheses ``\\eqref`` adds."""

    def finish(self, mathml: str) -> str:
        """The converter's MathML, with what the rewrites changed put back."""
        if self.defines and _EMPTY_MATH.fullmatch(mathml):
            return ""
        for label in self.plain_refs:
            link = re.escape(f'<a href="#{label}">')
            mathml = re.sub(f"({link})\\((.*?)\\)</a>", r"\1\2</a>", mathml, count=1)
        return mathml


def prepare(tex: str, display: bool) -> Prepared:
    tex = _LINE_BREAK_SPACE.sub(r"\1", tex)
    defines = bool(_DEFINITION.search(tex))
    if defines:
        tex = _NEWCOMMAND.sub(_as_def, tex)
        tex = _DECLARE_OPERATOR.sub(_operator_as_def, tex)
    tex = _BOX.sub(r"\\text{", tex)
    tex = _TEXT_WITH_MATH.sub(r"\\text{\1}\2\\text{\3}", tex)
    if not _ENVIRONMENT.search(tex):
        tex = _NO_NUMBER.sub("", tex)
        numbering = {m.group(1) for m in _NUMBERING.finditer(tex)}
        if display and numbering:
            environment = "equation*" if "tag" in numbering else "equation"
            tex = f"\\begin{{{environment}}}{tex}\\end{{{environment}}}"
    plain_refs = tuple(_REF.findall(tex))
    if plain_refs:
        tex = _REF.sub(r"\\eqref{\1}", tex)
    return Prepared(tex, defines, plain_refs)


def _as_def(match: re.Match) -> str:
    name = match.group(1) or match.group(2)
    arguments = int(match.group(3) or 0)
    return "\\def" + name + "".join(f"#{n}" for n in range(1, arguments + 1))


def _operator_as_def(match: re.Match) -> str:
    star, name, text = match.group(1), match.group(2) or match.group(3), match.group(4)
    return f"\\def{name}{{\\operatorname{star}{{{text}}}}}"
