"""pymdownx.highlight, with its Pygments lexers and formatter made once instead of per block.

pymdownx.highlight looks the lexer up by name (a scan of Pygments' whole table, and of every
installed package's entry points when the name is not a built-in one) and builds a new HTML
formatter (which compiles a stylesheet of the whole style) for every fenced block: about as
long as highlighting a short block itself. Here a plain block (no line numbers, highlighted
lines, title, id, classes or attributes: the fences notes hold) reuses both, and gives the
very same HTML; any other block goes through pymdownx.highlight unchanged.
"""

from __future__ import annotations

import functools

import pygments
from pymdownx import highlight as pymdownx_highlight


class HighlightExtension(pymdownx_highlight.HighlightExtension):
    """The ``pymdownx.highlight`` extension, with :class:`Highlight` as its highlighter
    (superfences asks the registered extension for it)."""

    def get_pymdownx_highlighter(self):
        return Highlight


class Highlight(pymdownx_highlight.Highlight):
    def get_lexer(self, src, language, inline, stripnl):
        if self.guess_lang:  # the lexer then depends on the code
            return super().get_lexer(src, language, inline, stripnl)
        return _lexer(self, language, stripnl)

    def highlight(self, src, language, css_class="highlight", hl_lines=None, linestart=-1,
                  linestep=-1, linespecial=-1, inline=False, classes=None, id_value="",
                  attrs=None, title=None, code_block_count=0):
        if not self._plain(inline, hl_lines, linestart, classes, id_value, attrs, title):
            return super().highlight(src, language, css_class, hl_lines, linestart, linestep,
                                     linespecial, inline, classes, id_value, attrs, title,
                                     code_block_count)
        lexer, _ = self.get_lexer(src, language or self.default_lang, False, self.stripnl)
        code = pygments.highlight(src, lexer, _formatter(css_class, self.pygments_style,
                                                         self.noclasses, self.anchor_linenums))
        # What pymdownx.highlight does to the wrapper of a block without id or classes.
        found = pymdownx_highlight.RE_PYG_CODE.match(code)
        if found is not None:
            kept = " " + found.group(2).lstrip() if found.group(2) else ""
            code = f"{code[:found.start(0)]}<{found.group(1)}{kept}>{code[found.end(0):]}"
        return code.strip()

    def _plain(self, inline, hl_lines, linestart, classes, id_value, attrs, title) -> bool:
        """Whether this block is one whose formatter options are the same for every block."""
        numbered = (self.linenums and linestart != 0) or (self.linenums is not False
                                                          and linestart > 0)
        return (self.use_pygments and pymdownx_highlight.pygments and not inline
                and not numbered and not hl_lines and not classes and not id_value
                and not attrs and not title and not self.auto_title
                and not self.pygments_lang_class and not self.line_spans
                and not self.line_anchors and self.linenums_special < 0)


_lexers: dict[tuple, tuple] = {}


def _lexer(highlighter: Highlight, language: str, stripnl: bool):
    """The lexer for a language name, looked up once per extension and language (a lexer
    keeps no state between texts: Pygments' own highlight reuses them too)."""
    key = (language, stripnl, repr(highlighter.extend_pygments_lang), highlighter.default_lang)
    found = _lexers.get(key)
    if found is None:
        found = _lexers[key] = pymdownx_highlight.Highlight.get_lexer(
            highlighter, "", language, False, stripnl)
    return found


@functools.lru_cache(maxsize=16)
def _formatter(css_class: str, style: str, noclasses: bool, anchor_linenums: bool):
    """The formatter pymdownx.highlight builds for a plain block, built once."""
    return pymdownx_highlight.BlockHtmlFormatter(
        cssclass=css_class, linenos=False, linenostart=1, linenostep=1, linenospecial=0,
        style=style, noclasses=noclasses, hl_lines=[], wrapcode=True, filename="",
        linespans="", lineanchors="", anchorlinenos=anchor_linenums)
