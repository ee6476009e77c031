"""Math in notes: which text is math (both delimiter rules), what is never touched, MathML Core
output, macros, equation numbers and the warnings. Formulas are written in the style of two
public collections: masataka123/geometry-paper-digest (Japanese, algebraic geometry) and
pemami4911/pemami4911.github.io (Jekyll + MathJax, reinforcement learning)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from xml.etree import ElementTree

import html5lib
import pytest

from conftest import copy_site, write_note
from digestif.build import BuildError, BuildOptions, build
from digestif.cli import main
from digestif.config import MarkdownConfig
from digestif.markup import render_markdown
from digestif.math import convert_formulas, find_math
from digestif.note import Note

# Both Markdown engines read every construct here but those marked only_engine.
pytestmark = pytest.mark.usefixtures("engine")

_CODE = {"code", "pre", "script", "style", "textarea"}


def render(body: str, math: str = "mathjax", macros: dict | None = None, body_line: int = 5):
    note = Note(source="content/papers/x.md", title="T", date=datetime(2024, 1, 1, tzinfo=UTC),
                slug="x", body=body, body_line=body_line)
    return render_markdown(note, "", MarkdownConfig(math=math, macros=macros or {}))


def tree(html: str) -> ElementTree.Element:
    return html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)


def local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def maths(html: str) -> list[ElementTree.Element]:
    return [e for e in tree(html).iter() if local(e.tag) == "math"]


def text_outside_code_and_math(element: ElementTree.Element) -> str:
    if local(element.tag) in _CODE | {"math"}:
        return element.tail or ""
    inner = "".join(text_outside_code_and_math(child) for child in element)
    return (element.text or "") + inner + (element.tail or "")


def math_warnings(result):
    return [p for p in result.problems if p.field == "math"]


# --- which dollars are math ------------------------------------------------------------------

@pytest.mark.parametrize("rule", ["pandoc", "mathjax"])
def test_letters_digits_and_cjk_next_to_a_dollar_do_not_stop_math(rule):
    body = "次元$X$上の直線束$L$を考える。배열$A$와 TS$\\infty$ and x$y$z 2$n$."
    result = render(body, rule)
    assert len(maths(result.html)) == 6
    assert "$" not in text_outside_code_and_math(tree(result.html))


def test_mathjax_rule_reads_spaced_dollars_and_keeps_escaped_ones():
    result = render("탐색은 $ O(N \\log N) $ 이다. A \\$5 fee.")
    [formula] = maths(result.html)
    assert "log" in "".join(formula.itertext())
    assert "A $5 fee." in text_outside_code_and_math(tree(result.html))


def test_pandoc_rule_leaves_money_alone_and_warns_about_spaced_tex():
    result = render("It costs $5 and $10. Search is $ O(N^2) $.", "pandoc")
    assert not maths(result.html)
    [warning] = math_warnings(result)
    assert "$ O(N^2) $" in warning.message and warning.line == 5


def test_mathjax_rule_warns_when_money_is_read_as_math():
    result = render("It costs $5 and $10.")
    [warning] = math_warnings(result)
    assert "$5 and $" in warning.message and "\\$" in warning.message


def test_display_block_with_blank_lines_is_one_formula_not_emphasis():
    body = ("$$\n\\begin{align}\n    Q(s, a) &= r_{t} + \\gamma \\max_{a'} Q(s', a') \\\\\n\n"
            "    \\mu_{k=1} &= \\mathbb{E}_{t}[x]\n\\end{align}\n$$\n")
    html = render(body).html
    [formula] = maths(html)
    assert formula.get("display") == "block"
    assert not [e for e in tree(html).iter() if local(e.tag) == "em"]
    assert len([e for e in formula.iter() if local(e.tag) == "mtr"]) == 2


def test_bare_environments_are_display_math():
    html = render("Text.\n\n\\begin{equation*}\n  H^0(X, L) \\neq 0\n\\end{equation*}\n").html
    assert [m.get("display") for m in maths(html)] == ["block"]


# --- what is never touched -------------------------------------------------------------------

def test_nothing_inside_code_html_comments_or_attributes_becomes_math():
    body = (
        "Keep `$x$` and ``a `$y$` b``.\n\n"
        "```python\nprice = '$a$'\n```\n\n"
        "- item\n\n  ~~~\n  $b$ in a fence inside a list\n  ~~~\n\n"
        "1. step\n   ```\n   $c$\n   ```\n\nParagraph.\n\n"
        "    $d$ indented code\n\n"
        "<pre>$e$</pre>\n\n<p><code>$f$</code> <span title=\"$g$\">$ok$</span></p>\n\n"
        "<!-- $h$ -->\n\n"
        "<script>\nMathJax = {tex: {inlineMath: [['$', '$']]}};\nvar b = $(a).text();\n"
        "</script>\n\n<style>.x::after { content: \"$i$\"; }</style>\n"
    )
    root = tree(render(body).html)
    formulas = [e for e in root.iter() if local(e.tag) == "math"]
    assert ["".join(m.itertext()) for m in formulas] == ["ok"]
    for element in root.iter():
        if local(element.tag) in _CODE:
            assert not [e for e in element.iter() if local(e.tag) == "math"]
    attributes = " ".join(v for e in root.iter() for v in e.attrib.values())
    assert "$g$" in attributes and "<math" not in attributes
    all_text = "".join(root.itertext())
    for kept in ("$x$", "$y$", "$a$", "$b$", "$c$", "$d$", "$e$", "$f$", "$(a)", "$i$"):
        assert kept in all_text, kept


def test_scanning_is_linear_on_unclosed_delimiters():
    for hostile in ("\\(" * 30_000, "$a " * 30_000, "<a b " * 30_000, "$$ " * 30_000,
                    "`x " * 30_000, "<!-- " * 30_000, "\\[" * 30_000):
        started = time.perf_counter()
        list(find_math(hostile, "mathjax"))
        list(find_math(hostile, "pandoc"))
        assert time.perf_counter() - started < 2, hostile[:10]


# --- MathML Core -----------------------------------------------------------------------------

def test_styled_letters_are_unicode_characters_not_mathvariant():
    body = ("$\\mathbb{R}^n$, $\\mathcal{L}(\\theta)$, $\\mathbf{x}$, $\\boldsymbol{\\mu}$, "
            "$\\bm{v}$, $\\mathsf{KL}$, $\\Gamma(\\Omega)$")
    formulas = maths(render(body).html)
    assert len(formulas) == 7
    for formula in formulas:
        for mi in (e for e in formula.iter() if local(e.tag) == "mi"):
            assert mi.get("mathvariant") in (None, "normal"), ElementTree.tostring(mi)
    letters = ["".join(f.itertext()) for f in formulas]
    assert letters[0].startswith("ℝ") and "𝐱" in letters[2] and "𝝁" in letters[3]
    greek = [e for e in formulas[6].iter() if local(e.tag) == "mi" and e.text == "Γ"]
    assert greek and all(e.get("mathvariant") in (None, "normal") for e in greek)


def test_aligned_is_a_table_and_line_break_spacing_is_not_printed():
    [formula] = maths(render("$$\n\\begin{aligned} f(x) &= x^2 \\\\[4pt] g(x) &= \\log p(x)"
                             "\\end{aligned}\n$$").html)
    assert len([e for e in formula.iter() if local(e.tag) == "mtr"]) == 2
    assert "4pt" not in "".join(formula.itertext())
    assert "&" not in "".join(formula.itertext())


def test_operators_that_papers_use_convert():
    body = ("$\\arg\\max_a Q(s,a)$, $a \\mod n$, $\\operatorname*{arg\\,min}_x f$, "
            "$\\log p(x)$, $\\varinjlim_n M_n$, "
            "$\\sum_{\\substack{i+j=n\\\\ i,j\\ge0}} a_i$")
    result = render(body)
    assert len(maths(result.html)) == 6 and not math_warnings(result)


def test_display_big_operators_are_large_and_log_is_spaced():
    [display] = maths(render("$$\n\\sum_{i=1}^n \\log p(x_i)\n$$").html)
    assert display.get("display") == "block"
    assert [e for e in display.iter() if local(e.tag) == "munderover"]
    assert "\u2061" in "".join(display.itertext())  # function application after "log"


# --- macros and numbering --------------------------------------------------------------------

def test_macros_a_note_defines_apply_to_later_formulas_and_show_nothing():
    body = ("$$\n\\newcommand{\\R}{\\mathbb{R}}\n\\def\\norm#1{\\left\\lVert #1 \\right\\rVert}\n"
            "\\DeclareMathOperator{\\Pic}{Pic}\n$$\n\n"
            "Then $\\norm{x} \\in \\R$ and $\\Pic(X)$.")
    result = render(body)
    formulas = maths(result.html)
    assert len(formulas) == 2 and not math_warnings(result)
    assert "ℝ" in "".join(formulas[0].itertext())
    assert "Pic" in "".join(formulas[1].itertext())


def test_site_macros_apply_to_every_note():
    result = render("$\\E[\\vx]$", macros={"E": "\\mathbb{E}", "vx": "\\mathbf{x}"})
    assert "𝔼" in "".join(maths(result.html)[0].itertext()) and not math_warnings(result)


def test_equations_are_numbered_per_note_and_references_link():
    body = ("By \\eqref{eq:bellman}, below.\n\n"
            "\\begin{equation}\nV(s) = \\max_a Q(s, a) \\label{eq:bellman}\n\\end{equation}\n\n"
            "$$\n\\begin{align}\na &= b \\label{eq:a} \\\\\nc &= d \\nonumber \\\\\n"
            "e &= f \\tag{$\\star$}\n\\end{align}\n$$\n\n"
            "$$ x = y \\label{eq:plain} $$\n\n"
            "See $\\eqref{eq:a}$ and equation $\\ref{eq:plain}$.")
    result = render(body)
    root = tree(result.html)
    ids = {e.get("id"): "".join(e.itertext()) for e in root.iter() if e.get("id")}
    assert ids["eq:bellman"] == "(1)" and ids["eq:a"] == "(2)" and ids["eq:plain"] == "(3)"
    links = [(a.get("href"), "".join(a.itertext())) for a in root.iter() if local(a.tag) == "a"
             and (a.get("href") or "").startswith("#eq")]
    assert links == [("#eq:bellman", "(1)"), ("#eq:a", "(2)"), ("#eq:plain", "3")]
    assert all(href[1:] in ids for href, _ in links)
    numbers = [t for t in ("".join(e.itertext()) for e in root.iter() if local(e.tag) == "mtd")
               if t.startswith("(")]
    assert "(★)" in numbers or "(⋆)" in numbers
    assert not math_warnings(result)


def test_numbering_restarts_in_every_note():
    formulas = (("\\begin{equation}a\\end{equation}", True),)
    for _ in range(2):
        [result] = convert_formulas(formulas)
        assert "(1)" in result.mathml


# --- warnings --------------------------------------------------------------------------------

def test_each_failing_formula_warns_with_its_own_line_and_tex_as_written():
    body = "Fine $a$.\n\nBroken $\\foo{x}$ here.\n\nAgain $\\foo{x}$.\n"
    result = render(body)
    warnings = math_warnings(result)
    assert [w.line for w in warnings] == [7, 9]
    assert all("$\\foo{x}$" in w.message and "\\\\" not in w.message for w in warnings)
    codes = [e for e in tree(result.html).iter("code") if e.get("class") == "math-error"]
    assert ["".join(c.itertext()) for c in codes] == ["$\\foo{x}$"] * 2


def test_one_bad_formula_does_not_break_the_others_of_the_note():
    body = ("$\\newcommand{\\vv}{\\mathbf{v}}$\n\n$\\vv$ and $\\{\\pm1\\}$ and "
            "$\\mathbf y^{(1)$\n\n"
            "$$\\begin{equation}x\\label{e}\\end{equation}$$ see $\\eqref{e}$")
    result = render(body)
    assert len(maths(result.html)) == 4
    assert len(math_warnings(result)) == 1
    assert "𝐯" in "".join(maths(result.html)[0].itertext())


def test_failures_are_remembered_too():
    formulas = (("\\foo", False),)
    assert convert_formulas(formulas) is convert_formulas(formulas)


def test_converted_with_an_error_node_is_a_warning_too():
    from digestif.math.convert import _result
    from digestif.math.tex import prepare

    result = _result("<math><merror><mtext>bad</mtext></merror></math>", prepare("x", False))
    assert result.mathml and "error" in result.error


BAD_NOTE = "---\ntitle: Bad\ndate: 2024-01-03\n---\nFine $a$.\n\nBroken $\\foo{x}$.\n"


def test_strict_builds_fail_on_math_warnings_and_the_summary_counts_them(tmp_path, capsys):
    site = copy_site("minimal", tmp_path)
    write_note(site, "papers/bad.md", BAD_NOTE)
    with pytest.raises(BuildError) as failed:
        build(site, BuildOptions(strict=True))
    [problem] = [p for p in failed.value.problems if p.field == "math"]
    assert problem.file.endswith("bad.md") and problem.line == 7
    assert main(["build", str(site)]) == 0
    assert "1 math warning" in capsys.readouterr().out


def test_a_reference_to_a_missing_label_warns():
    result = render("See \\eqref{eq:nowhere}.\n\n\\begin{equation}x\\label{eq:here}\\end{equation}")
    [warning] = math_warnings(result)
    assert "\\label{eq:nowhere}" in warning.message and warning.line == 5


def test_a_less_than_sign_in_text_is_not_a_tag_that_hides_math():
    spans = find_math("If $0<x$ and x<y then $z_1$ and a>b, <a title=\"$t$\">$k$</a>.")
    assert [span.tex for span in spans] == ["0<x", "z_1", "k"]


def test_primes_sit_on_the_line_and_scripts_keep_their_shape():
    root = tree(render("$$\nQ(s', a') = r + \\max_{a'} Q(s'', a'_t)\n$$").html)
    scripted = [e for e in root.iter() if local(e.tag) in ("msup", "msubsup", "munder", "msub")]
    for element in scripted:
        children = list(element)
        assert len(children) == (3 if local(element.tag) == "msubsup" else 2)
        assert not (local(element.tag) in ("msup", "msubsup")
                    and (children[-1].text or "") in ("′", "″")), "a prime raised twice"
    assert "".join(root.itertext()).count("′") == 4


def test_kramdown_escapes_read_as_the_authors_site_showed_them():
    # InhyeokYoo/inhyeokyoo.github.io: escaped Markdown inside $…$, and \[…\] around prose.
    body = ("$h\\_1 = \\[\\\\overrightarrow h\\_1;\\\\overrightarrow h\\_T \\]$ has shape "
            "\\[batch\\_size, enc\\_hid\\_dim \\* 2\\].")
    result = render(body)
    assert len(maths(result.html)) == 1 and not math_warnings(result)
    assert "[batch_size, enc_hid_dim * 2]" in text_outside_code_and_math(tree(result.html))


def test_mathjax_spellings_that_math_core_reads_otherwise():
    body = ("$\\beta*\\sum_i x_i$, $4096 / (\\text{num_layers} * 2)$, $\\pmb{W}$:\n\n"
            "$$\n\\boldsymbol\\theta = \\begin{bmatrix} \\mu & \\sigma \\end{bmatrix}"
            " \\tag{6.110}\n$$")
    result = render(body)
    assert len(maths(result.html)) == 4 and not math_warnings(result)
    assert "(6.110)" in "".join(tree(result.html).itertext())


def test_a_hidden_definitions_block_with_colours_serves_the_whole_note():
    # In the style of the ICLR 2024 blog posts (al-folio/distill): a hidden block of \def's.
    body = ('<div style="display: none">\n$$\n\\definecolor{input}{rgb}{0.42, 0.55, 0.74}\n'
            "\\def\\mbx{\\textcolor{input}{\\boldsymbol x}}\n\\def\\cH{\\mathcal H}\n$$\n</div>\n\n"
            "Let $$p(\\mbx)$$ be a distribution over $$\\mbx \\in \\cH$$.\n")
    result = render(body)
    formulas = maths(result.html)
    assert len(formulas) == 2 and not math_warnings(result)
    styles = [e.get("style") or "" for f in formulas for e in f.iter()]
    assert any("color:#6B8CBD" in style for style in styles)


def test_jekyll_highlight_blocks_are_code():
    body = ("{% highlight bash %}\npython transfer.py --out_dir $FINETUNE_DIR/SLF \\\n"
            "    --resume $MODE\n{% endhighlight %}\n\nAnd $x$.\n")
    assert [span.tex for span in find_math(body)] == ["x"]


def test_array_column_decorations_and_paragraph_columns():
    result = render("$$\n\\left(\\begin{array}{@{}c c@{}} \\mathbf{I}_D & 0 \\\\ 0 & 0 "
                    "\\end{array}\\right), \\begin{array}{p{2cm}|c} a & b \\end{array}\n$$")
    assert len(maths(result.html)) == 1 and not math_warnings(result)


def test_dollars_in_table_cells_do_not_pair_across_rows():
    # The Markdown table of the distill example post (iclr-blogposts/2024).
    body = ("| Tables | Are | Cool |\n| --- |:---:| ---:|\n| col 3 is | right-aligned | $1600 |\n"
            "| col 2 is | centered | $12 |\n| zebra | $p(x|y)$ | $1 |\n")
    result = render(body)
    assert ["".join(m.itertext()) for m in maths(result.html)] == ["p(x|y)"]
    assert not math_warnings(result)
