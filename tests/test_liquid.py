"""Liquid of Jekyll posts: what :mod:`digestif.liquid` resolves, what it leaves and reports, and
the same rules at build (a post copied into content/ as it is) and in ``digestif check``."""

from __future__ import annotations

import pytest

from conftest import parse_html, write_note
from digestif.build import BuildOptions, build
from digestif.check import CheckOptions, run_check
from digestif.console import Console
from digestif.errors import BuildError
from digestif.liquid import Context, find_liquid, resolve


def resolved(text: str, page: dict | None = None, **options) -> tuple[str, list]:
    result = resolve(text, Context(page or {}, lambda name: f"<{name}>", **options))
    return result.text, result.notes


@pytest.mark.parametrize(("liquid", "value"), [
    ("{{ page.paper_ref }}", "Bronstein, 2017"),
    ("{{page.year}}", "2017"),
    ("{{ site.baseurl }}/x.png", "/x.png"),
    ("{{ site.url }}{{ site.baseurl }}/x.png", "/x.png"),
    ("{{ 'assets/x.png' | relative_url }}", "/assets/x.png"),
    ('{{ "/x.png" | prepend: site.baseurl }}', "/x.png"),
    ("{{ page.missing | default: 'none' }}", "none"),
    ("{{ page.paper_ref | escape }}", "Bronstein, 2017"),
    ("{% post_url 2020-01-02-other %}", "<2020-01-02-other>"),
])
def test_what_has_one_meaning_is_resolved(liquid, value):
    page = {"paper_ref": "Bronstein, 2017", "year": 2017}
    text, notes = resolved(f"See {liquid} here.", page)
    assert text == f"See {value} here."
    assert [n for n in notes if "kept as written" in n[1]] == []


def test_al_folio_figure_include_becomes_a_figure():
    text, notes = resolved('Before.\n\n{% include figure.html path="assets/img/a b.png" '
                           'class="img-fluid rounded" caption="The <em>model</em>" '
                           "zoomable=true %}\n\nAfter.\n")
    assert notes == []
    figure = parse_html_fragment(text).find(".//figure")
    image = figure.find("img")
    assert image.get("src") == "/assets/img/a b.png"
    assert image.get("class") == "img-fluid rounded"
    assert "".join(figure.find("figcaption").itertext()) == "The model"


def test_a_multi_line_image_include_with_a_captured_caption():
    text, notes = resolved('{% capture cap %}\nCliff-walking, Fig. 6.4 of [1]\n{% endcapture %}'
                           '\n{%\n    include image.html\n    img="/img/cliff.jpg"\n'
                           '    title="Cliff" caption=cap\n%}\n')
    assert notes == []
    figure = parse_html_fragment(text).find(".//figure")
    assert figure.find("img").get("src") == "/img/cliff.jpg"
    assert figure.find("img").get("alt") == "Cliff"
    assert figure.find("figcaption").text == "Cliff-walking, Fig. 6.4 of [1]"


def test_attribute_values_are_escaped():
    text, _ = resolved("""{% include figure.html path='x.png" onerror="alert(1)' alt='<b>' %}""")
    image = parse_html_fragment(text).find(".//img")
    assert image.get("onerror") is None and image.get("alt") == "<b>"
    assert image.get("src") == '/x.png" onerror="alert(1)'


def test_highlight_and_mermaid_become_fences_and_raw_stays_literal():
    text, notes = resolved("{% highlight python linenos %}\nx = {% raw %}{{ y }}{% endraw %}\n"
                           "{% endhighlight %}\n\n{% mermaid %}\ngraph TD; A-->B\n"
                           "{% endmermaid %}\n\n{% raw %}{% if %}{% endraw %}\n")
    assert text == ("```python\nx = {{ y }}\n```\n\n```mermaid\ngraph TD; A-->B\n```\n\n"
                    "{% if %}\n")
    assert notes == []


def test_a_tweet_is_a_quote_linking_it_without_twitters_script():
    text, notes = resolved("{% twitter https://twitter.com/a/status/1?x=1&y=2 maxwidth=500 %}")
    link = parse_html_fragment(text).find(".//blockquote/p/a")
    assert link.get("href") == "https://twitter.com/a/status/1?x=1&y=2" and notes == []


def test_an_import_keeps_raw_around_liquid_shown_as_text_and_the_build_shows_it(site_copy):
    text = ("Wrap it: {% raw %}{% highlight c %}x{% endhighlight %}{% endraw %}\n\n"
            "```\n{% raw %}{{ y }}{% endraw %}\n```\n")
    imported, notes = resolved(text, keep_raw=True)
    assert imported == ("Wrap it: {% raw %}{% highlight c %}x{% endhighlight %}{% endraw %}\n\n"
                        "```\n{{ y }}\n```\n") and notes == []
    site = site_copy("minimal")
    write_note(site, "papers/r.md", f"---\ntitle: R\ndate: 2024-01-01\n---\n{imported}")
    build(site, BuildOptions(strict=True))
    main = parse_html(site / "_site" / "papers" / "r" / "index.html").find(".//main")
    assert "Wrap it: {% highlight c %}x{% endhighlight %}" in "".join(main.itertext())
    assert main.find(".//pre") is not None and "{{ y }}" in "".join(main.find(".//pre").itertext())


def test_comments_are_kept_as_html_comments_only_when_asked():
    assert resolved("a{% comment %}private{% endcomment %}b")[0] == "ab"
    assert resolved("a{% comment %}p{% endcomment %}b", keep_comments=True)[0] == "a<!--p-->b"


@pytest.mark.parametrize("tex", ["$$x^{{2}}$$", "$\\frac{{a}}{b}$", "$$\\frac{{a}{b}$$\n\n}}"])
def test_double_braces_of_tex_are_not_liquid(tex):
    assert resolved(tex) == (tex, [])


@pytest.mark.parametrize("liquid", [
    "{% include note.html %}", "{% if page.x %}", "{{ page.tags | join: ', ' }}",
    "{% twitter javascript:alert(1) %}", "{{ site.title }}", "{% highlight python %}",
])
def test_the_rest_is_kept_byte_for_byte_and_reported_with_its_line(liquid):
    text, notes = resolved(f"One.\n\nTwo {liquid} three.\n", {"tags": ["a"]})
    assert text == f"One.\n\nTwo {liquid} three.\n"
    assert [line for line, _ in notes] == [3]
    assert "kept as written" in notes[0][1]


def test_a_page_variable_that_is_not_there_shows_nothing_and_says_so():
    text, notes = resolved("[{{ page.paper_ref }}](https://x)")
    assert text == "[](https://x)"
    assert notes == [(1, "'page.paper_ref' is not in the front matter: it shows nothing here, "
                         "as in Jekyll")]


def test_code_can_be_left_alone():
    text = "```\n{{ page.x }}\n```\nand `{{ page.x }}` but {{ page.x }}"
    assert resolved(text, {"x": "1"}, skip_code=True)[0] == \
        "```\n{{ page.x }}\n```\nand `{{ page.x }}` but 1"
    assert resolved(text, {"x": "1"})[0] == "```\n1\n```\nand `1` but 1"  # as Jekyll does


def parse_html_fragment(text: str):
    from lxml import html

    return html.fromstring(f"<div>{text}</div>")


# ---------------------------------------------------------------------------------------------
# At build: a Jekyll post copied into content/ as it is

POST = """---
layout: post
title: "Geometric deep learning"
date: 2017-11-19
paper_ref: Bronstein, 2017
---

[{{ page.paper_ref }}](https://arxiv.org/abs/1611.08097)

{% include figure.html path="assets/img/graph.png" caption="A graph" %}

{% highlight python %}
print("{{ not_liquid }}")
{% endhighlight %}

See [the other one]({% post_url 2017-11-18-other %}).
"""
OTHER = "---\ntitle: Other\ndate: 2017-11-18\n---\nOther.\n"


def test_a_raw_post_builds_with_its_liquid_resolved(site_copy):
    site = site_copy("minimal")
    write_note(site, "_posts/2017-11-19-gdl.md", POST)
    write_note(site, "_posts/2017-11-18-other.md", OTHER)
    (site / "static" / "assets" / "img").mkdir(parents=True)
    (site / "static" / "assets" / "img" / "graph.png").write_bytes(b"\x89PNG")
    result = build(site, BuildOptions(strict=True))
    page = parse_html(site / "_site" / "papers" / "gdl" / "index.html")
    body = page.find(".//main")
    link = next(a for a in body.iter("a") if a.get("href", "").startswith("https://arxiv"))
    assert link.text == "Bronstein, 2017"
    assert body.find(".//figure/img").get("src") == "/assets/img/graph.png"
    assert body.find(".//figure/figcaption").text == "A graph"
    assert 'print("{{ not_liquid }}")' in "".join(body.find(".//pre").itertext())
    assert any(a.get("href") == "/papers/other/" for a in body.iter("a"))
    [view] = [v for v in result.site.notes if v.note.slug == "gdl"]
    assert view.summary == "Bronstein, 2017"  # the summary and feed show the text, not Liquid


def test_liquid_left_is_a_warning_at_build_and_an_error_with_strict(site_copy):
    site = site_copy("minimal")
    write_note(site, "papers/left.md", "---\ntitle: Left\ndate: 2024-01-01\n---\n\n"
                                       "Text {% include note.html %} here.\n")
    result = build(site, BuildOptions())
    [warning] = [p for p in result.warnings if p.field == "liquid"]
    assert (warning.file, warning.line) == ("content/papers/left.md", 6)
    with pytest.raises(BuildError) as caught:
        build(site, BuildOptions(strict=True))
    assert any(p.field == "liquid" for p in caught.value.problems)


def test_check_flags_liquid_in_page_text_but_not_in_code(site_copy, capsys):
    html = "<p>a {{ page.x }}</p>\n<pre><code>{{ fine }}</code></pre>\n<p>{% if %}</p>"
    assert find_liquid(html) == [(1, "{{ page.x }}"), (3, "{% if %}")]
    site = site_copy("minimal")
    write_note(site, "papers/left.md", "---\ntitle: Left\ndate: 2024-01-01\n---\n"
                                       "Text {% include note.html %} here.\n")
    assert run_check(site, CheckOptions(), Console()) == 1
    err = capsys.readouterr().err
    assert "content/papers/left.md:5: papers/left/index.html: Liquid '{% include note.html %}'" \
        in err
    # Once, though the note's first paragraph also shows on the home page and the digest.
    assert err.rstrip().endswith(": 1 place with Liquid left")
    assert "; also in " in err


def test_a_posts_own_mathjax_script_is_removed_at_build_with_a_warning(site_copy):
    site = site_copy("minimal")
    write_note(site, "papers/m.md", "---\ntitle: M\ndate: 2024-01-01\n---\n"
               '<script type="text/javascript" async\n  src="https://cdn.mathjax.org/mathjax/'
               'latest/MathJax.js?config=TeX-MML-AM_CHTML">\n</script>\n\nThe $x$ stays.\n')
    result = build(site, BuildOptions())
    [warning] = [p for p in result.warnings if p.field == "script"]
    assert (warning.line, warning.message.split(":")[0]) == (5, "1 MathJax/KaTeX script removed")
    page = parse_html(site / "_site" / "papers" / "m" / "index.html")
    assert not [s for s in page.iter("script") if "mathjax" in (s.get("src") or "")]
