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
* ``\\ref{x}`` is ``\\eqref{x}`` without the parentheses;
* ``split`` is ``aligned``, ``eqnarray`` and ``alignat`` are ``align``, ``smallmatrix`` is
  ``matrix``, ``\\substack`` is a ``subarray``, ``\\displaylines`` is ``gathered``;
  ``\\require{…}`` (a MathJax extension loader) goes;
* :data:`BUILTIN_MACROS` spells a few amsmath/mathtools commands math-core lacks;
* ``@{}``/``p{2cm}`` in array column specs are simplified, ``\\text{a_b}`` keeps its
  underscore, ``\\beta*`` is ``\\beta{}*``, labels may hold ``_``;
* per note (:func:`optional_arguments`, :func:`note_colors`): ``\\newcommand`` with an optional
  argument, ``\\definecolor`` for later ``\\color``/``\\textcolor``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape

_LINE_BREAK_SPACE = re.compile(
    r"(\\\\)\s*\[\s*-?[\d.]+\s*(?:pt|em|ex|mm|cm|in|mu|pc|bp|dd|cc|sp)\s*\]")
_NEWCOMMAND = re.compile(
    r"\\(?:re|provide|new)command\*?\s*(?:\{\s*(\\[A-Za-z@]+|\\.)\s*\}|(\\[A-Za-z@]+))"
    r"\s*(?:\[\s*(\d)\s*\])?")
_DECLARE_OPERATOR = re.compile(
    r"\\DeclareMathOperator(\*?)\s*(?:\{\s*(\\[A-Za-z@]+)\s*\}|(\\[A-Za-z@]+))\s*\{")
_OPERATOR_TEXT = re.compile(r"(?:[A-Za-z0-9 .'-]|\\[,;:! ])*")
_OPTIONAL_ARGUMENT = re.compile(
    r"\\(?:re|provide|new)command\*?\s*(?:\{\s*(\\[A-Za-z@]+)\s*\}|(\\[A-Za-z@]+))"
    r"\s*\[\s*(\d)\s*\]\s*\[([^\]]*)\]")
_BOX = re.compile(r"\\[mh]box\s*\{")
_TEXT_OPENING = re.compile(r"\\text\s*\{")
# \text{num_layers}: MathJax shows the underscore, math-core wants it escaped.
_TEXT_ARGUMENT = re.compile(r"(\\text(?:rm|it|bf|sf|tt|normal)?\s*\{)([^{}]*)\}")
_UNESCAPED_UNDERSCORE = re.compile(r"(?<!\\)_")
# \beta*x: MathJax reads \beta then *; math-core reads a starred \beta* it does not know.
_STARRED_SYMBOL = re.compile(r"\\([A-Za-z]+)\*")
_STARRED_COMMANDS = {"operatorname", "tag", "DeclareMathOperator", "newcommand", "renewcommand",
                     "providecommand", "hspace", "vspace", "sideset", "substack", "begin", "end",
                     "label", "mathop", "cancel", "boxed", "xrightarrow", "xleftarrow"}
_DEFINITION = re.compile(r"\\(?:def|(?:re|provide|new)command|DeclareMathOperator|let)\b")
# Environments that number (or, starred, could): a \tag or \label outside them needs one.
_NUMBERED_ENVIRONMENT = re.compile(r"\\begin\s*\{(?:equation|align|gather|multline|flalign)\*?\}")
_NUMBERING = re.compile(r"\\(label|tag)\b")
_LABEL = re.compile(r"\\label\s*\{[^{}]*\}")
_NO_NUMBER = re.compile(r"\\(?:nonumber|notag)\b")
_ENVIRONMENT_NAMES = [
    (re.compile(r"\\(begin|end)\{split\}"), r"\\\1{aligned}"),
    (re.compile(r"\\(begin|end)\{eqnarray(\*?)\}"), r"\\\1{align\2}"),
    (re.compile(r"\\begin\{alignat(\*?)\}\s*\{\d+\}"), r"\\begin{align\1}"),
    (re.compile(r"\\end\{alignat(\*?)\}"), r"\\end{align\1}"),
    (re.compile(r"\\(begin|end)\{smallmatrix\}"), r"\\\1{matrix}"),
    (re.compile(r"\\require\s*\{[^{}]*\}"), ""),
]
# \begin{array}{@{}c c@{}}: math-core reads l, c, r and | only; p{2cm} is a left column.
_ARRAY_SPEC = re.compile(r"(\\begin\{array\}\s*\{)((?:[^{}]|\{[^{}]*\})*)\}")
_COLUMN_DECORATION = re.compile(r"[@!>]\{[^{}]*\}|<\{[^{}]*\}")
_PARAGRAPH_COLUMN = re.compile(r"[pmbX]\{[^{}]*\}")
_WRAPPING_COMMANDS = {"substack": ("\\begin{subarray}{c}", "\\end{subarray}"),
                      "displaylines": ("\\begin{gathered}", "\\end{gathered}")}
_WRAPPING = re.compile(r"\\(substack|displaylines)\s*\{")
BUILTIN_MACROS = {
    "varinjlim": r"\mathop{\underrightarrow{\lim}}",
    "varprojlim": r"\mathop{\underleftarrow{\lim}}",
    "varliminf": r"\mathop{\underline{\lim}}",
    "varlimsup": r"\mathop{\overline{\lim}}",
    "mathclap": "#1", "mathrlap": "#1", "mathllap": "#1",
    "mathbbm": r"\mathbb{#1}", "mathds": r"\mathbb{#1}",
    "dotsc": r"\ldots", "dotsb": r"\cdots", "dotsm": r"\cdots", "dotsi": r"\cdots",
    "dotso": r"\ldots",
    "pmb": r"\boldsymbol{#1}",
    "LaTeX": r"\text{LaTeX}", "TeX": r"\text{TeX}",
}
"""Site macros (``[markdown.macros]``) and a note's own definitions win over these."""
_REF = re.compile(r"\\ref\s*\{([^{}]*)\}")
_TAG = re.compile(r"\\tag(\*?)\s*\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
_PLAIN_TAG = re.compile(r"[A-Za-z0-9 .,:;()-]*")
_TAG_SYMBOLS = {"\\star": "⋆", "\\ast": "∗", "\\dagger": "†", "\\ddagger": "‡",
                "\\prime": "′", "\\#": "#", "\\S": "§"}
_LABEL_USE = re.compile(r"(\\label|\\eqref|\\ref)\s*\{([^{}]*)\}")
# Characters math-core refuses in a label (it takes letters, digits and :-.+/ ,;!?()*@).
_LABEL_REFUSED = re.compile(r"[^A-Za-z0-9:\-.+/ ,;!?()*]")
_ENCODED = re.compile(r"@([0-9a-f]{1,6})@")
_EMPTY_MATH = re.compile(r"<math(?: display=\"block\")?>(?:<mrow></mrow>)?</math>")


@dataclass(frozen=True)
class Prepared:
    tex: str
    defines: bool
    """The formula defines macros (a formula of definitions alone shows nothing)."""
    plain_refs: tuple[str, ...] = ()
    """Labels referred to with ``\\ref``: their links lose the parentheses ``\\eqref`` adds."""
    tags: tuple[tuple[str, str], ...] = ()
    """(stand-in, text) of ``\\tag``s math-core cannot spell (``\\tag{$\\star$}``, ``2'``)."""
    encoded_labels: bool = False
    """Labels held characters math-core refuses (``eq:score_fn``); they were spelled ``@5f@``."""

    def finish(self, mathml: str) -> str:
        """The converter's MathML, with what the rewrites changed put back."""
        if self.defines and _EMPTY_MATH.fullmatch(mathml):
            return ""
        for stand_in, text in self.tags:
            mathml = mathml.replace(stand_in, escape(text))
        if self.encoded_labels:
            mathml = _ENCODED.sub(lambda m: escape(chr(int(m.group(1), 16))), mathml)
        for label in self.plain_refs:
            link = re.escape(f'<a href="#{label}">')
            mathml = re.sub(f"({link})\\((.*?)\\)</a>", r"\1\2</a>", mathml, count=1)
        return mathml


@lru_cache(maxsize=8192)
def prepare(tex: str, display: bool) -> Prepared:
    """``tex`` as math-core reads it. Each rewrite runs only when its command is there: most
    formulas need none."""
    if "\\\\" in tex:
        tex = _LINE_BREAK_SPACE.sub(r"\1", tex)
    defines = bool(_DEFINITION.search(tex))
    if defines:
        tex = _NEWCOMMAND.sub(_as_def, tex)
        tex = _declare_operators(tex)
    if "box" in tex:
        tex = _BOX.sub(r"\\text{", tex)
    if "\\begin" in tex or "\\end" in tex or "\\require" in tex:
        for pattern, replacement in _ENVIRONMENT_NAMES:
            tex = pattern.sub(replacement, tex)
    if "{array}" in tex:
        tex = _ARRAY_SPEC.sub(_plain_columns, tex)
    if _WRAPPING.search(tex):
        tex = _unwrap_commands(tex)
    if "_" in tex and "\\text" in tex:
        tex = _TEXT_ARGUMENT.sub(_escape_underscores, tex)
    if "*" in tex:
        tex = _STARRED_SYMBOL.sub(_star_after_symbol, tex)
    if "$" in tex:
        tex = _math_out_of_text(tex)
    if ("\\no" in tex or "\\label" in tex or "\\tag" in tex) and \
            not _NUMBERED_ENVIRONMENT.search(tex):
        tex = _outside_environments(tex, display)
    plain_refs = tuple(_REF.findall(tex)) if "ref" in tex else ()
    if plain_refs:
        tex = _REF.sub(r"\\eqref{\1}", tex)
    tags: list[tuple[str, str]] = []
    if "\\tag" in tex:
        tex = _TAG.sub(lambda m: _tag_stand_in(m, tags), tex)
    encoded = False
    if "\\label" in tex or "ref" in tex:
        spelled = _LABEL_USE.sub(_encode_label, tex)
        encoded, tex = spelled != tex, spelled
    return Prepared(tex, defines, plain_refs, tuple(tags), encoded)


def _encode_label(match: re.Match) -> str:
    label = _LABEL_REFUSED.sub(lambda m: f"@{ord(m.group()):x}@", match.group(2))
    return f"{match.group(1)}{{{label}}}"


def _outside_environments(tex: str, display: bool) -> str:
    """Numbering commands in a formula with no environment: numbered as ``equation`` when it
    has a label, tagged as ``equation*`` when it has a tag; the rest means nothing there."""
    tex = _NO_NUMBER.sub("", tex)
    if not display:  # inline math has no number to label
        return _LABEL.sub("", tex)
    numbering = {m.group(1) for m in _NUMBERING.finditer(tex)}
    if numbering:
        environment = "equation*" if "tag" in numbering else "equation"
        tex = f"\\begin{{{environment}}}{tex}\\end{{{environment}}}"
    return tex


def _math_out_of_text(tex: str) -> str:
    """``\\text{the identity of $\\RR^2$}`` as ``\\text{the identity of }{\\RR^2}``: math-core
    has no math inside text mode."""
    pieces, last = [], 0
    for match in _TEXT_OPENING.finditer(tex):
        if match.start() < last:
            continue
        close = _closing_brace(tex, match.end())
        content = tex[match.end():close] if close != -1 else ""
        if content.count("$") < 2 or content.count("$") % 2:
            continue
        parts = content.split("$")
        pieces.append(tex[last:match.start()])
        pieces += [f"{{{part}}}" if odd else f"\\text{{{part}}}" if part else ""
                   for odd, part in ((k % 2 == 1, p) for k, p in enumerate(parts))]
        last = close + 1
    pieces.append(tex[last:])
    return "".join(pieces)


def _plain_columns(match: re.Match) -> str:
    spec = _PARAGRAPH_COLUMN.sub("l", _COLUMN_DECORATION.sub("", match.group(2)))
    return f"{match.group(1)}{spec}}}"


def _escape_underscores(match: re.Match) -> str:
    return match.group(1) + _UNESCAPED_UNDERSCORE.sub(r"\\_", match.group(2)) + "}"


def _star_after_symbol(match: re.Match) -> str:
    if match.group(1) in _STARRED_COMMANDS:
        return match.group(0)
    return f"\\{match.group(1)}{{}}*"


def _tag_stand_in(match: re.Match, tags: list[tuple[str, str]]) -> str:
    text = match.group(2)
    if _PLAIN_TAG.fullmatch(text):
        return match.group(0)
    for command, symbol in _TAG_SYMBOLS.items():
        text = text.replace(command, symbol)
    stand_in = f"digestifTag{len(tags)}x"
    tags.append((stand_in, text.replace("$", "").strip()))
    return f"\\tag{match.group(1)}{{{stand_in}}}"


def _as_def(match: re.Match) -> str:
    name = match.group(1) or match.group(2)
    arguments = int(match.group(3) or 0)
    return "\\def" + name + "".join(f"#{n}" for n in range(1, arguments + 1))


def _declare_operators(tex: str) -> str:
    """``\\DeclareMathOperator{\\tr}{tr}`` as ``\\def\\tr{\\operatorname{tr}}``; an operator
    that is not plain text (``{\\mathbb{E}}``) is a ``\\mathop``."""
    pieces, last = [], 0
    for match in _DECLARE_OPERATOR.finditer(tex):
        if match.start() < last:
            continue
        close = _closing_brace(tex, match.end())
        if close == -1:
            break
        star, name, text = match.group(1), match.group(2) or match.group(3), tex[match.end():close]
        body = (f"\\operatorname{star}{{{text}}}" if _OPERATOR_TEXT.fullmatch(text)
                else f"\\mathop{{{text}}}")
        pieces += [tex[last:match.start()], f"\\def{name}{{{body}}}"]
        last = close + 1
    pieces.append(tex[last:])
    return "".join(pieces)


def optional_arguments(texts: list[str]) -> list[str]:
    """A note's formulas with ``\\newcommand{\\x}[1][default]{…}`` (an optional first
    argument, which math-core lacks) made mandatory: later ``\\x[a]`` becomes ``\\x{a}`` and a
    bare ``\\x`` becomes ``\\x{default}``."""
    if not any("command" in text and _OPTIONAL_ARGUMENT.search(text) for text in texts):
        return texts
    defaults: dict[str, str] = {}
    rewritten = []
    for text in texts:
        pieces, last = [], 0
        for match in _OPTIONAL_ARGUMENT.finditer(text):
            pieces.append(_with_defaults(text[last:match.start()], defaults))
            name = match.group(1) or match.group(2)
            pieces.append(f"\\newcommand{{{name}}}[{match.group(3)}]")
            defaults[name] = match.group(4)
            last = match.end()
        pieces.append(_with_defaults(text[last:], defaults))
        rewritten.append("".join(pieces))
    return rewritten


def _with_defaults(text: str, defaults: dict[str, str]) -> str:
    for name, default in defaults.items():
        if name in text:
            use = re.compile(re.escape(name) + r"(?![A-Za-z@])(?:\s*\[([^\]]*)\])?")
            text = use.sub(lambda m, n=name, d=default: _call(n, d, m.group(1)), text)
    return text


def _call(name: str, default: str, given: str | None) -> str:
    return f"{name}{{{default if given is None else given}}}"


def _unwrap_commands(tex: str) -> str:
    """``\\substack{a \\\\ b}`` as ``\\begin{subarray}{c}a \\\\ b\\end{subarray}``: the
    argument is found by counting braces."""
    pieces, last = [], 0
    for match in _WRAPPING.finditer(tex):
        if match.start() < last:
            continue
        close = _closing_brace(tex, match.end())
        if close == -1:
            break
        begin, end = _WRAPPING_COMMANDS[match.group(1)]
        pieces += [tex[last:match.start()], begin, tex[match.end():close], end]
        last = close + 1
    pieces.append(tex[last:])
    return "".join(pieces)


def _closing_brace(tex: str, start: int) -> int:
    depth = 1
    for i in range(start, len(tex)):
        char = tex[i]
        if char == "\\":
            continue
        if char == "{" and tex[i - 1] != "\\":
            depth += 1
        elif char == "}" and tex[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return i
    return -1


_KRAMDOWN_ESCAPE = re.compile(r"\\([\\.*_+\-=`()\[\]{}#!<>|\"':$])")


def without_markdown_escapes(tex: str) -> str | None:
    """``h\\_1 = \\[\\\\vec h\\]`` as kramdown hands it to MathJax (``h_1 = [\\vec h]``):
    kramdown knows no ``$…$`` math, so authors escaped Markdown inside it. None if nothing is
    escaped."""
    unescaped = _KRAMDOWN_ESCAPE.sub(r"\1", tex)
    return unescaped if unescaped != tex else None



_DEFINE_COLOR = re.compile(r"\\definecolor\s*\{([^{}]+)\}\s*\{(rgb|RGB|HTML|gray)\}\s*\{([^{}]+)\}")
_USE_COLOR = re.compile(r"\\(color|textcolor)\s*\{([^{}]+)\}")


def note_colors(texts: list[str]) -> list[str]:
    """``\\definecolor{input}{rgb}{0.42,0.55,0.74}`` (xcolor, which MathJax and al-folio posts
    use) applied to the note's later ``\\color{input}``/``\\textcolor{input}``: math-core knows
    only ``\\color[rgb]{…}`` and named colours. The definition itself shows nothing."""
    if not any("\\definecolor" in text for text in texts):
        return texts
    colors: dict[str, str] = {}
    rewritten = []
    for text in texts:
        for match in _DEFINE_COLOR.finditer(text):
            colors[match.group(1).strip()] = _as_option(match.group(2), match.group(3))
        text = _DEFINE_COLOR.sub("", text)
        if colors and "color" in text:
            text = _with_colors(text, colors)
        rewritten.append(text)
    return rewritten


def _with_colors(text: str, colors: dict[str, str]) -> str:
    """``\\color{name}`` as ``\\color[model]{spec}``; ``\\textcolor{name}{x}`` as
    ``{\\color[model]{spec}x}`` (math-core's \\textcolor takes no model)."""
    pieces, last = [], 0
    for match in _USE_COLOR.finditer(text):
        option = colors.get(match.group(2).strip())
        if option is None or match.start() < last:
            continue
        pieces.append(text[last:match.start()])
        if match.group(1) == "color":
            pieces.append(f"\\color{option}")
            last = match.end()
            continue
        opening = text.find("{", match.end())
        close = _closing_brace(text, opening + 1) if opening != -1 else -1
        if close == -1 or text[match.end():opening].strip():
            pieces.append(match.group(0))
            last = match.end()
            continue
        pieces.append(f"{{\\color{option}{text[opening + 1:close]}}}")
        last = close + 1
    pieces.append(text[last:])
    return "".join(pieces)


def _as_option(model: str, spec: str) -> str:
    values = [v.strip() for v in spec.split(",")]
    if model == "RGB" and len(values) == 3:
        return "[HTML]{" + "".join(f"{int(float(v)):02X}" for v in values) + "}"
    if model == "gray" and len(values) == 1:
        return f"[rgb]{{{values[0]},{values[0]},{values[0]}}}"
    return f"[{model}]{{{','.join(values)}}}"

