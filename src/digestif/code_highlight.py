"""pymdownx.highlight, with its Pygments lexers and formatter made once instead of per block.

pymdownx.highlight looks the lexer up by name (a scan of Pygments' whole table, and of every
installed package's entry points when the name is not a built-in one) and builds a new HTML
formatter (which compiles a stylesheet of the whole style) for every fenced block: about as
long as highlighting a short block itself. Here a plain block (no line numbers, highlighted
lines, title, id, classes or attributes: the fences notes hold) reuses both, and gives the
very same HTML; any other block goes through pymdownx.highlight unchanged.

Both engines' lexers also find tokens faster (:func:`quick`): the same tokens, a third less time.
"""

from __future__ import annotations

import functools
import re

import pygments
from pygments.lexer import RegexLexer
from pygments.token import Error, Whitespace, _TokenType
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
        lexer, name = pymdownx_highlight.Highlight.get_lexer(
            highlighter, "", language, False, stripnl)
        found = _lexers[key] = (quick(lexer), name)
    return found


@functools.lru_cache(maxsize=16)
def _formatter(css_class: str, style: str, noclasses: bool, anchor_linenums: bool):
    """The formatter pymdownx.highlight builds for a plain block, built once."""
    return pymdownx_highlight.BlockHtmlFormatter(
        cssclass=css_class, linenos=False, linenostart=1, linenostep=1, linenospecial=0,
        style=style, noclasses=noclasses, hl_lines=[], wrapcode=True, filename="",
        linespans="", lineanchors="", anchorlinenos=anchor_linenums)


# --- tokens, faster --------------------------------------------------------------------------
# Pygments' RegexLexer tries each rule of the current state in turn, one regex call each: about
# thirty calls per token in Python code. Here the rules of a state are one regex of alternatives
# in the same order: Python's re takes the first alternative that matches at the position, which
# is the rule Pygments would take, and does the trying in C. Only the rule's own match is redone
# when its action needs the groups (bygroups, using). A state whose rules refer to their own
# groups by number (\1, (?P=x), (?(1)…)) cannot be joined and keeps Pygments' loop.

_BACK_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")
_GLOBAL_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")
_joined: dict[type, _Joined] = {}


def quick(lexer):
    """``lexer``, finding its tokens through :func:`_tokens` when it is a plain RegexLexer (one
    that does not find them its own way); any other is returned as it is."""
    kind = type(lexer)
    if isinstance(lexer, RegexLexer) and \
            kind.get_tokens_unprocessed is RegexLexer.get_tokens_unprocessed:
        joined = _joined.get(kind)
        if joined is None:
            joined = _joined[kind] = _Joined(kind)
        lexer.get_tokens_unprocessed = functools.partial(_tokens, lexer, joined)
    return lexer


class _Joined(dict):
    """State name -> its joined rules, made when the state is first entered: joining Python's
    states costs 0.1 s in all (the regexes are compiled again), most of it for states that
    few code blocks enter."""

    def __init__(self, kind: type):
        super().__init__()
        self.kind = kind

    def __missing__(self, state: str) -> tuple | None:
        found = self[state] = _join(self.kind._tokens[state], self.kind.flags)
        return found


def _join(rules: list[tuple], flags: int) -> tuple | None:
    """(match of the joined regex, its group number -> rule), or None to keep the loop."""
    patterns = [rexmatch.__self__.pattern for rexmatch, _, _ in rules]
    if any(isinstance(p, bytes) or _BACK_REFERENCE.search(p) for p in patterns):
        return None
    rule_of_group, group = {}, 1
    for rule in rules:  # each rule's group in the joined regex, after the groups before it
        rule_of_group[group] = rule
        group += 1 + rule[0].__self__.groups
    try:
        joined = re.compile("|".join(f"({_scoped(p)})" for p in patterns), flags)
    except re.error:
        return None
    return joined.match, rule_of_group


def _scoped(pattern: str) -> str:
    """``(?s)rest`` as ``(?s:rest)``: global flags may only open a whole regex."""
    found = _GLOBAL_FLAGS.match(pattern)
    return pattern if found is None else f"(?{found.group(1)}:{pattern[found.end():]})"


def _tokens(lexer, joined: dict, text: str, stack=("root",)):
    """RegexLexer.get_tokens_unprocessed, choosing each rule with one regex call."""
    pos, tokendefs, statestack = 0, lexer._tokens, list(stack)
    state = statestack[-1]
    while True:
        rule, found = _rule(tokendefs[state], joined[state], text, pos)
        if rule is not None:
            rexmatch, action, new_state = rule
            if type(action) is _TokenType:
                yield pos, action, found.group()  # the rule's text, whichever regex found it
            elif action is not None:
                if found.re is not rexmatch.__self__:  # the action reads the rule's groups
                    found = rexmatch(text, pos)
                yield from action(lexer, found)
            pos = found.end()
            if new_state is not None:
                _change_state(statestack, new_state)
                state = statestack[-1]
            continue
        # No rule matched: what Pygments does, a line end goes back to the root state.
        if pos >= len(text):
            break
        if text[pos] == "\n":
            statestack, state = ["root"], "root"
            yield pos, Whitespace, "\n"
        else:
            yield pos, Error, text[pos]
        pos += 1


def _rule(rules: list[tuple], joined: tuple | None, text: str, pos: int):
    """(the first rule matching at ``pos``, its match), or (None, None)."""
    if joined is not None:
        found = joined[0](text, pos)
        return (joined[1][found.lastindex], found) if found else (None, None)
    for rule in rules:
        found = rule[0](text, pos)
        if found:
            return rule, found
    return None, None


def _change_state(statestack: list[str], new_state) -> None:
    """Pygments' state transitions: a tuple of pushes and pops, a number of pops, #push."""
    if isinstance(new_state, tuple):
        for state in new_state:
            if state == "#pop":
                if len(statestack) > 1:
                    statestack.pop()
            elif state == "#push":
                statestack.append(statestack[-1])
            else:
                statestack.append(state)
    elif isinstance(new_state, int):
        # Pop, but keep at least one state (unexpected pops must not raise).
        if abs(new_state) >= len(statestack):
            del statestack[1:]
        else:
            del statestack[new_state:]
    elif new_state == "#push":
        statestack.append(statestack[-1])
    else:
        raise ValueError(f"wrong state def: {new_state!r}")
