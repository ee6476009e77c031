"""The Markdown stage's shortcuts (fast_inline, code_highlight, the dialect's quick tests) give
exactly what the slow paths they skip give: each is checked against the code it stands for."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import html5lib
import pytest
from markdown import treeprocessors
from pymdownx import highlight as pymdownx_highlight

from digestif import code_highlight, dialect, fast_inline
from digestif.config import MarkdownConfig
from digestif.markup import MarkdownRenderer
from digestif.note import Note

# Inline syntax where the skipped patterns start: backticks after escaped backslashes, breaks
# after escaped backslashes, links, images, bare URLs and addresses in any case, footnotes.
INLINE_CASES = [
    "\\\\`code` and \\\\\\`not code` and ``a ` b``",
    "line\\\nbreak, escaped\\\\\nno break, three\\\\\\\nbreak",
    "[link](http://x.org) ![img](a.png) [ref][r] [short] ![short img]\n\n[r]: /r",
    "see HTTP://X.ORG/a_b, WwW.example.com, ftp://f.org and www.x",
    "mail A.B@Example.COM or a@b or <me@x.org> or <https://auto.link>",
    "note[^1] and [[slug]] and [[slug|Text]] and [[Ref]](http://x.pdf)\n\n[^1]: foot",
    "~~del~~ ^^ins^^ ==mark== H~2~O x^2^ i==1, *em* __strong__ <b>html</b> &amp; &#91;",
    "plain words only, nothing to look for at all",
    "'quoted' \"double\" \"'nested'\" '\"sets\"' the '80s it's -- and --- and ... or ....",
    "'\"start\n\"'start, `'code'` and <b title=\"x\">'html'</b> &ndash;'a' --'b'",
]
ALPHABET = list("ab \n\\`[]()!<>@:/.w*_~^=&#|'\"-") + ["www.", "http://", "  \n", "[^1]", "[[",
                                                       "...", "--", "&nbsp;"]


def renderers(settings: MarkdownConfig) -> tuple[MarkdownRenderer, MarkdownRenderer]:
    """The dialect's renderer, and the same with Markdown's own inline passes put back."""
    fast, slow = MarkdownRenderer(settings=settings), MarkdownRenderer(settings=settings)
    slow.md.treeprocessors.register(treeprocessors.InlineProcessor(slow.md), "inline", 20)
    assert isinstance(fast.md.treeprocessors["inline"], fast_inline.InlineProcessor)
    if settings.smart_quotes:
        smarty = treeprocessors.InlineProcessor(slow.md)
        smarty.inlinePatterns = slow.md.treeprocessors["smarty"].inlinePatterns
        slow.md.treeprocessors.register(smarty, "smarty", 6)
        assert isinstance(fast.md.treeprocessors["smarty"], fast_inline.InlineProcessor)
    return fast, slow


def note(body: str) -> Note:
    return Note(source="content/papers/x.md", title="T", date=datetime(2024, 1, 1, tzinfo=UTC),
                slug="x", body=body)


def fuzz(seed: int, count: int, pieces: list[str], length: int = 40) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(length)) for _ in range(count)]


def outcome(renderer: MarkdownRenderer, body: str) -> str:
    try:
        return renderer.render(note(body)).html
    except ValueError as error:  # urlsplit on "http://[": the same either way
        return repr(error)


@pytest.mark.parametrize("smart_quotes", [False, True])
def test_inline_pass_gives_what_markdowns_own_gives(smart_quotes):
    fast, slow = renderers(MarkdownConfig(smart_quotes=smart_quotes))
    for body in INLINE_CASES + fuzz(1, 300, ALPHABET):
        assert outcome(fast, body) == outcome(slow, body), body


def block(src: str, language: str, **options) -> tuple[str, str]:
    """One fence through digestif's highlighter and through pymdownx.highlight's."""
    md = MarkdownRenderer().md
    ours = code_highlight.Highlight(md).highlight(src, language, "highlight", **options)
    theirs = pymdownx_highlight.Highlight(md).highlight(src, language, "highlight", **options)
    return ours, theirs


@pytest.mark.parametrize("language", ["python", "Python", "js", "", "no-such-language", "text"])
@pytest.mark.parametrize("options", [{}, {"title": "x.py"}, {"hl_lines": [1]},
                                     {"linestart": 1}, {"id_value": "a", "classes": ["c"]}])
def test_highlighted_block_is_pymdownx_highlights(language, options):
    ours, theirs = block("def f(x):\n    return x < 1  # <b>\n", language, **options)
    assert ours == theirs
    assert html5lib.parse(ours, namespaceHTMLElements=False).find(".//code") is not None


def test_lexers_are_looked_up_once_per_language():
    first, _ = code_highlight.Highlight(MarkdownRenderer().md).get_lexer("", "python", False, True)
    again, _ = code_highlight.Highlight(MarkdownRenderer().md).get_lexer("", "python", False, True)
    assert first is again


# Code that walks a lexer through many of its states: strings over lines, f-strings, nested
# brackets, decorators, escapes, characters no rule matches (Error tokens), unclosed strings.
LEXER_CASES = {
    "python": 'import os\n@dec(1)\nclass A(B):\n    """doc\n    more"""\n    def f(self, *a):'
              '\n        return f"{a!r:>{w}} {{x}}" + rb\'\\x00\' + 0x1F + 1e-3j  # c\n'
              '    s = \'unclosed\n$ ? `\n',
    "javascript": "const re = /a+b/g; let t = `x ${y + `z`}`; // c\n/* d */ a?.b ?? c\n\u00e9",
    "bash": "for f in *.md; do echo \"$f ${f%.md}\" | grep -E '^a' <<EOF\nhi\nEOF\ndone",
    "html": '<!DOCTYPE html><p class="a">x &amp; <script>var a = "<b>";</script><style>p{}</style>',
    "c": "#include <stdio.h>\nint main(void) { char *s = \"a\\n\"; return s[0] ? 1 : 0; } /* x",
    "json": '{"a": [1, 2.5e3, true, null], "b": {"c": "d\\u0041"}, bad}',
    "yaml": "key: value\nlist:\n  - a\n  - {b: c}\ntext: |\n  multi\n  line\n",
    "sql": "SELECT a, COUNT(*) FROM t WHERE b = 'x''y' GROUP BY a; -- c",
    "rust": 'fn main() { let x: Vec<i32> = vec![1]; println!("{:?}", x); r#"raw"#; }',
    "latex": "\\begin{align} a &= \\frac{1}{2} \\\\ b \\end{align} % c",
}


@pytest.mark.parametrize("language", sorted(LEXER_CASES))
def test_quick_lexers_find_pygments_own_tokens(language):
    from pygments.lexers import get_lexer_by_name
    text = LEXER_CASES[language]
    quick = code_highlight.quick(get_lexer_by_name(language, stripnl=True))
    plain = get_lexer_by_name(language, stripnl=True)
    for sample in (text, text * 3, text[: len(text) // 2], text.replace("\n", "\r\n")):
        assert list(quick.get_tokens(sample)) == list(plain.get_tokens(sample))


def test_a_state_whose_rules_refer_to_their_own_groups_keeps_pygments_loop():
    from pygments.lexers import get_lexer_by_name
    for language in ("python", "javascript", "bash", "html", "sql", "rust", "latex"):
        assert "get_tokens_unprocessed" in vars(
            code_highlight.quick(get_lexer_by_name(language))), language  # plain RegexLexers
    lexer = code_highlight.quick(get_lexer_by_name("bash"))  # heredocs: <<(\w+) … \1
    joined = code_highlight._joined[type(lexer)]
    joined = [joined[state] for state in type(lexer)._tokens]
    assert None in joined and any(rules is not None for rules in joined)


# The dialect's list test, as the one multiline regex it replaces wrote it.
LIST_UNDER_TEXT = re.compile(r"^[^\s<|>#$\\*+-].*\n(?:[-*+]|1[.)]) ", re.M)
LINE_PIECES = ["\n", "\n", "- ", "* ", "+ ", "1. ", "1) ", "2. ", " ", "  ", "    ", "text",
               "#", ">", "|", "<", "$", "\\", "-", "x"]


def test_list_tests_match_their_regexes():
    for text in fuzz(2, 2000, LINE_PIECES, 12):
        assert dialect._list_under_text(text) == bool(LIST_UNDER_TEXT.search(text)), text
        odd = dialect._ODD_NESTING.match(text) or dialect._ODD_NESTING_BELOW.search(text)
        assert bool(odd) == bool(dialect._ODD_NESTING.search(text)), text


def toc_boxes(body: str) -> list:
    root = html5lib.parse(MarkdownRenderer().render(note(body)).html, treebuilder="etree",
                          namespaceHTMLElements=False)
    return [e for e in root.iter() if "note-toc" in (e.get("class") or "").split()]


@pytest.mark.parametrize("body", [
    "## A\n\n[TOC]\n\n## B\n",
    '## A\n\n<div markdown="1">\n\n[TOC]\n\n</div>\n\n## B\n',  # stashed as elements
    "## A\n\n* TOC\n{:toc}\n\n## B\n",  # kramdown's, written as [TOC] by a preprocessor
])
def test_a_marked_table_of_contents_is_placed(body):
    assert len(toc_boxes(body)) == 1


def test_no_table_of_contents_without_its_marker():
    assert toc_boxes("## A\n\n`[TOC]`\n\n    [TOC]\n\n## B\n") == []
