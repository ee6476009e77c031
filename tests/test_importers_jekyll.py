"""``digestif import jekyll`` on the odd things real Jekyll sites hold (tests/fixtures/jekyll/
odd_site), and the Liquid and kramdown conversions of post bodies."""

from __future__ import annotations

import datetime as dt
import io
import tomllib
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from conftest import parse_html
from digestif.build import BuildOptions, build
from digestif.importers.jekyll import clean_front_matter
from digestif.importers.jekyll_body import convert_body
from importer_helpers import ODD_SITE, front_matter, new_site, notes, reader_problems, run

SEOUL = ZoneInfo("Asia/Seoul")  # the odd site's _config.yml timezone


@pytest.fixture(scope="module")
def odd(tmp_path_factory):
    """The odd site imported once: (site folder, exit code, stdout, stderr)."""
    site = new_site(tmp_path_factory.mktemp("odd") / "site")
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = run("jekyll", ODD_SITE, site)
    return site, code, out.getvalue(), err.getvalue()


def meta_of(odd, slug):
    return front_matter(notes(odd[0])[slug])


def test_every_post_but_the_broken_one_imports_and_the_exit_code_says_one_failed(odd):
    site, code, out, err = odd
    assert code == 1
    assert set(notes(site)) == {"tab-after-colon", "unpadded-date", "derived-from-the-name",
                                "blank-line", "my-post-with-spaces", "nested-post",
                                "liquid-and-kramdown"}
    assert "_posts/2024-06-06-broken-yaml.md:3: front matter is not valid YAML" in err
    assert "7 notes" in err and "3 skipped, 1 failed" in err


def test_files_jekyll_would_not_publish_are_skipped_counted_and_said_why(odd):
    site, _, out, _ = odd
    titles = {front_matter(p)[0]["title"] for p in notes(site).values()}
    assert not titles & {"Not dated in its name", "A theme example", "An HTML post"}
    assert ("_posts/undated-note.md: its name does not start with YYYY-MM-DD-, so Jekyll does "
            "not publish it") in out
    assert ("_posts/_example/2020-01-01-theme-example.md: in a folder starting with '_' "
            "inside _posts/") in out
    assert "_posts/2020-02-02-an-html-post.html: an HTML post" in out


def test_a_tab_after_the_colon_and_a_12_hour_date(odd):
    meta, body = meta_of(odd, "tab-after-colon")
    assert meta["title"] == "Tabs: after colons"
    assert meta["date"] == dt.datetime(2016, 1, 26, 14, 20, tzinfo=SEOUL)
    assert meta["categories"] == ["papers"]
    assert meta["extra"]["jekyll"] == {"layout": "post", "comments": True}
    assert body == "A post whose keys are followed by tabs.\n"


def test_an_unpadded_file_date_and_categories_as_one_string(odd):
    meta, _ = meta_of(odd, "unpadded-date")
    assert meta["date"] == dt.date(2020, 7, 19)
    assert meta["categories"] == ["machine-learning"]
    assert meta["tags"] == ["vision", "transformers"]  # Jekyll splits a tags string on spaces
    assert meta["summary"] == "A short excerpt."


def test_a_missing_title_comes_from_the_file_name_and_is_reported(odd):
    meta, _ = meta_of(odd, "derived-from-the-name")
    assert meta["title"] == "Derived From The Name"
    assert ("2021-03-04-derived-from-the-name.md: title: no title; used "
            '"Derived From The Name" from the file name') in odd[3]


def test_a_blank_line_after_the_opening_dashes(odd):
    meta, body = meta_of(odd, "blank-line")
    assert meta["title"] == "Blank line after the opening dashes"
    assert meta["categories"] == ["Computer Vision", "Efficient Tuning"]
    assert body == "Body.\n"


def test_spaces_and_capitals_in_the_name_and_no_date_prefix(odd):
    meta, _ = meta_of(odd, "my-post-with-spaces")
    assert meta["title"] == "Spaces and Capitals"
    assert meta["date"] == dt.date(2019, 5, 6)
    assert meta["venue"] == "NeurIPS 2019"
    assert meta["arxiv"] == "1905.00001"
    assert meta["links"] == {"paper": "https://arxiv.org/abs/1905.00001v2",
                             "code": "https://github.com/example/spaces",
                             "website": "https://example.github.io/spaces/"}
    assert meta["extra"]["imported_from"] == (
        f"jekyll:{ODD_SITE.resolve()}#_posts/2019-05-06-My Post With Spaces.md")


def test_a_nested_posts_folder_is_a_category_and_unpublished_is_a_draft(odd):
    meta, _ = meta_of(odd, "nested-post")
    assert meta["categories"] == ["ml"]
    assert meta["draft"] is True
    assert meta["links"] == {"paper": "https://openreview.net/forum?id=abc"}


def test_liquid_and_kramdown_are_resolved_converted_or_reported(odd):
    meta, body = meta_of(odd, "liquid-and-kramdown")
    assert meta["date"] == dt.datetime(2024, 5, 5, 9, 30, tzinfo=SEOUL)
    assert body.startswith("[TOC]\n\n![A picture](/assets/images/pic.png)\n\n"
                           "![Again](/assets/images/pic.png)\n\n"
                           '<img src="/assets/images/pic.png" alt="pic">\n\n'
                           "See [the other post](unpadded-date.md).\n\n"
                           "## A heading {: #custom-id}\n\n"
                           "A paragraph with a class.\n{: .note}\n\n"
                           "```python\ndef f(x):\n    return {{ x }}\n```\n")
    # Kept in raw, or the note's build would read the literal as Liquid again.
    assert "{% raw %}{{ kept literally }}{% endraw %}" in body
    assert "```\n{: .inside-code}\n```" in body
    assert "{: .orphan}" not in body
    assert '<figure><img src="/assets/images/missing.png" alt=""></figure>' in body
    err = odd[3]
    post = "_posts/2024-05-05-liquid-and-kramdown.md"
    assert f"{post}:42: Liquid '{{% include note.html content=\"a theme box\" %}}' kept" in err
    assert f"{post}:38: kramdown attribute list '{{:.orphan}}' dropped" in err
    assert f"{post}:28: links to /assets/images/missing.png, which is not in the Jekyll" in err


def test_images_the_notes_use_are_copied_to_static(odd):
    site = odd[0]
    copied = site / "static" / "assets" / "images" / "pic.png"
    assert copied.read_bytes() == (ODD_SITE / "assets" / "images" / "pic.png").read_bytes()
    assert sorted(p.name for p in (site / "static").rglob("*") if p.is_file()) == ["pic.png"]


def test_the_readme_beside_the_posts_is_not_a_post(odd):
    assert all(front_matter(p)[0]["title"] != "Not a post" for p in notes(odd[0]).values())


def test_notes_read_cleanly_and_the_site_builds_with_the_image(odd):
    site = odd[0]
    for path in notes(site).values():
        assert reader_problems(site, path) == []
    build(site, BuildOptions(drafts=True))
    out = site / "_site"
    assert (out / "papers" / "my-post-with-spaces" / "index.html").is_file()
    assert (out / "assets" / "images" / "pic.png").is_file()
    page = (out / "papers" / "liquid-and-kramdown" / "index.html").read_text("utf-8")
    assert 'id="custom-id"' in page and '<p class="note">' in page
    assert 'href="/papers/unpadded-date/"' in page


def test_importing_the_posts_folder_alone(tmp_path):
    site = new_site(tmp_path / "site")
    assert run("jekyll", ODD_SITE / "_posts", site) == 1  # the broken post again
    assert "nested-post" not in notes(site)  # ml/_posts is not inside _posts
    assert (site / "static/assets/images/pic.png").is_file()  # assets found above _posts


def test_a_post_slug_key_names_the_note_and_other_keys_go_under_extra(tmp_path):
    posts = tmp_path / "blog" / "_posts"
    posts.mkdir(parents=True)
    (posts / "2020-01-02-long-file-name.md").write_text(
        "---\ntitle: Short\nslug: short\nauthor: Me\nauthors: A. One and B. Two\n"
        "arxiv: arXiv:2106.09685v2\n---\nx\n", encoding="utf-8")
    site = new_site(tmp_path / "site")
    assert run("jekyll", tmp_path / "blog", site) == 0
    meta, _ = front_matter(notes(site)["short"])
    assert meta["authors"] == ["A. One", "B. Two"]
    assert meta["arxiv"] == "2106.09685"
    assert meta["extra"]["jekyll"] == {"author": "Me"}  # the blogger, not the paper's authors


def test_a_file_without_front_matter_is_skipped_with_a_warning(tmp_path, capsys):
    posts = tmp_path / "_posts"
    posts.mkdir()
    (posts / "2020-01-01-plain.md").write_text("# Just Markdown\n", encoding="utf-8")
    (posts / "2020-01-02-post.md").write_text("---\ntitle: P\n---\nx\n", encoding="utf-8")
    site = new_site(tmp_path / "site")
    assert run("jekyll", posts, site) == 0
    assert set(notes(site)) == {"post"}
    captured = capsys.readouterr()
    assert "2020-01-01-plain.md: skipped: no front matter" in captured.err
    assert "imported 1 note into" in captured.out and "1 skipped, 0 failed" in captured.out


def _blog(folder: Path, posts: dict[str, str]) -> Path:
    for name, text in posts.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


POST = "---\ntitle: {title}\n---\nText.\n"


def test_the_site_root_its_posts_folder_or_a_plain_folder_of_posts(tmp_path):
    blog = _blog(tmp_path / "blog", {"_config.yml": "title: B\n",
                                     "_posts/2020-01-01-one.md": POST.format(title="One"),
                                     "ml/_posts/2020-01-02-two.md": POST.format(title="Two"),
                                     "about.md": POST.format(title="About")})
    for source, expected in ((blog, {"one", "two"}), (blog / "_posts", {"one"})):
        site = new_site(tmp_path / f"site-{source.name}")
        assert run("jekyll", source, site) == 0
        assert set(notes(site)) == expected
    plain = _blog(tmp_path / "notes", {"lora.md": POST.format(title="LoRA"),
                                      "2021-06-17-dora.md": POST.format(title="DoRA")})
    site = new_site(tmp_path / "site-plain")
    assert run("jekyll", plain, site) == 0  # not _posts: no rule on the names
    assert set(notes(site)) == {"lora", "dora"}


def test_a_symbolic_link_to_the_posts_is_followed(tmp_path):
    shared = _blog(tmp_path / "shared", {"2020-01-01-linked.md": POST.format(title="Linked")})
    blog = tmp_path / "blog"
    blog.mkdir()
    (blog / "_config.yml").write_text("title: B\n", encoding="utf-8")
    (blog / "_posts").symlink_to(shared, target_is_directory=True)
    site = new_site(tmp_path / "site")
    assert run("jekyll", blog, site) == 0
    assert set(notes(site)) == {"linked"}


@pytest.mark.parametrize(("files", "math", "quotes"), [
    ({"_includes/head.html": '<script src="/js/mathjax/tex-mml-chtml.js"></script>',
      "_config.yml": "title: B\n"},
     "mathjax", "true"),
    ({"_posts/2020-01-01-one.md": POST.format(title="One") + "<script>MathJax.Hub</script>\n",
      "_config.yml": "markdown: kramdown\nkramdown:\n  smart_quotes: apos,apos,quot,quot\n"},
     "mathjax", "false"),
    ({"_config.yml": "markdown: CommonMarkGhPages\n"}, "pandoc", "false"),
])
def test_the_math_rule_and_quotes_of_the_jekyll_site_go_to_site_toml(tmp_path, capsys, files,
                                                                     math, quotes):
    blog = _blog(tmp_path / "blog", {"_posts/2020-01-01-one.md": POST.format(title="One"),
                                     **files})
    site = new_site(tmp_path / "site")
    assert run("jekyll", blog, site) == 0
    config = tomllib.loads((site / "site.toml").read_text(encoding="utf-8"))
    assert config["markdown"] == {"math": math, "smart_quotes": quotes == "true"}
    assert f'set [markdown] math = "{math}" in site.toml' in capsys.readouterr().out


def test_markdown_settings_already_in_site_toml_are_kept(tmp_path, capsys):
    blog = _blog(tmp_path / "blog", {"_posts/2020-01-01-one.md": POST.format(title="One"),
                                     "_layouts/post.html": "katex auto-render",
                                     "_config.yml": "title: B\n"})
    site = new_site(tmp_path / "site", 'title = "T"\nbase_url = "https://e.org/"\n'
                                       '[markdown] # mine\nmath = "pandoc"\n')
    assert run("jekyll", blog, site) == 0
    config = tomllib.loads((site / "site.toml").read_text(encoding="utf-8"))
    assert config["markdown"] == {"math": "pandoc", "smart_quotes": True}
    assert 'kept [markdown] math = "pandoc" of site.toml; the Jekyll site suggests "mathjax"' \
        in capsys.readouterr().out


def test_a_folder_without_posts_is_an_error(tmp_path, capsys):
    site = new_site(tmp_path / "site")
    (tmp_path / "empty").mkdir()
    assert run("jekyll", tmp_path / "empty", site) == 1
    assert "has no posts: expected .md or .markdown files in a _posts/ folder" in \
        capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Body conversions


@pytest.mark.parametrize(("liquid", "resolved"), [
    ("{{ site.baseurl }}/x.png", "/x.png"),
    ("{{site.url}}{{site.baseurl}}/x.png", "/x.png"),
    ("{{ '/x.png' | relative_url }}", "/x.png"),
    ('{{ "x.png" | absolute_url }}', "/x.png"),
    ('{{ "/x.png" | prepend: site.baseurl }}', "/x.png"),
    ("{{ site.baseurl | append: '/x.png' }}", "/x.png"),
    ("{% post_url 2020-01-02-other %}", "other.md"),
    ("{% link _posts/2020-1-2-other.md %}", "other.md"),
])
def test_liquid_that_builds_urls_is_resolved(liquid, resolved):
    converted = convert_body(f"[a]({liquid})\n")
    assert converted.text == f"[a]({resolved})\n"
    assert converted.notes == []


@pytest.mark.parametrize("liquid", [
    "{{ page.tags | join: ', ' }}", "{% include note.html %}", "{% link about.md %}",
    "{{ '/x' | upcase }}", "{% assign x = 1 %}",
])
def test_other_liquid_is_kept_and_reported_with_its_line(liquid):
    converted = convert_body(f"First line.\n\nSee {liquid} here.\n")
    assert converted.text == f"First line.\n\nSee {liquid} here.\n"
    assert len(converted.notes) == 1 and converted.notes[0][0] == 3
    assert "kept as written" in converted.notes[0][1]


def test_page_variables_come_from_the_posts_own_front_matter():
    converted = convert_body("[{{ page.paper_ref }}](https://arxiv.org/abs/1611.08097)\n",
                             {"paper_ref": "Bronstein, 2017"})
    assert converted.text == "[Bronstein, 2017](https://arxiv.org/abs/1611.08097)\n"
    assert converted.notes == []


def test_highlight_becomes_fenced_code_with_a_longer_fence_when_needed():
    text = "{% highlight markdown %}\n```\ncode\n```\n{% endhighlight %}\n"
    assert convert_body(text).text == "~~~~markdown\n```\ncode\n```\n~~~~\n"
    assert convert_body("Text {% highlight c %}int x;{% endhighlight %}").text == \
        "Text \n```c\nint x;\n```"


def test_liquid_and_kramdown_comments_become_html_comments():
    text = "{% comment %}private{% endcomment %}\n{::comment}\nalso private\n{:/comment}\n"
    assert convert_body(text).text == "<!--private-->\n<!--\nalso private\n-->\n"


def test_kramdown_options_and_nomarkdown_markers_are_dropped():
    text = '{::options parse_block_html="true" /}\n{::nomarkdown}\n<b>x</b>\n{:/nomarkdown}\n'
    assert convert_body(text).text == "<b>x</b>\n"


def test_no_toc_and_definitions_are_dropped_and_toc_needs_its_list_item():
    text = "# Contents\n{:.no_toc}\n\n1. this list\n{:toc}\n\n{:ref: .big}\n"
    assert convert_body(text).text == "# Contents\n\n[TOC]\n\n"


def test_attribute_lists_inside_code_are_left_alone():
    text = "~~~\n{: .x}\n{{ site.baseurl }}\n~~~\n"
    converted = convert_body(text)
    assert converted.text == "~~~\n{: .x}\n\n~~~\n"  # Jekyll runs Liquid even in code


def test_jekyll_front_matter_is_cleaned_for_yaml():
    text = "title:\t\"A: b\"\ntags:\n\t- one\n\t- two\nurl: 'http://x'\n"
    assert yaml.safe_load(clean_front_matter(text)) == {
        "title": "A: b", "tags": ["one", "two"], "url": "http://x"}


def test_a_lone_double_brace_in_tex_does_not_swallow_paragraphs():
    text = "$$\\frac{{a}{b}$$\n\nLater }} text {{ site.baseurl }}/x.png\n"
    converted = convert_body(text)
    assert converted.text == "$$\\frac{{a}{b}$$\n\nLater }} text /x.png\n"
    assert converted.notes == []


# ---------------------------------------------------------------------------------------------
# Metadata: mapped, or kept under extra.jekyll, never dropped

AL_FOLIO_POST = """---
layout: distill
title: A blog post about a paper
description: What the paper found.
date: 2024-05-07
last_modified_at: 2024-06-01
future: true
authors:
  - name: Ada Lovelace
    url: "https://ada.example.org"
    affiliations:
      name: Analytical Engines Ltd
  - name: Anonymous
arxiv_id: "2106.09685"
title_ja: 論文についてのブログ記事
paper_url: https://openreview.net/forum?id=abc
code_url: https://github.com/example/code
author: The Blogger
comments: true
topic: geometry
---
Text.
"""


def test_al_folio_and_custom_keys_are_mapped_or_kept(tmp_path):
    posts = _blog(tmp_path / "blog", {"_posts/2024-05-07-post.md": AL_FOLIO_POST}) / "_posts"
    site = new_site(tmp_path / "site")
    assert run("jekyll", posts, site) == 0
    path = notes(site)["post"]
    meta, _ = front_matter(path)
    assert meta["authors"] == [
        {"name": "Ada Lovelace", "url": "https://ada.example.org",
         "affiliations": {"name": "Analytical Engines Ltd"}}, "Anonymous"]
    assert meta["arxiv"] == "2106.09685"
    assert meta["title_ja"] == "論文についてのブログ記事"
    assert meta["summary"] == "What the paper found."
    assert meta["updated"] == dt.date(2024, 6, 1)
    assert meta["links"] == {"paper": "https://openreview.net/forum?id=abc",
                             "code": "https://github.com/example/code"}
    assert meta["extra"]["jekyll"] == {"layout": "distill", "future": True,
                                       "author": "The Blogger", "comments": True,
                                       "topic": "geometry"}
    assert reader_problems(site, path) == []


def test_of_two_summaries_the_other_is_kept_under_extra(tmp_path):
    post = "---\ntitle: T\nsummary: Mine.\ndescription: The theme's.\nvenue: [not, text]\n---\n"
    posts = _blog(tmp_path / "blog", {"_posts/2024-05-07-post.md": post}) / "_posts"
    site = new_site(tmp_path / "site")
    assert run("jekyll", posts, site) == 0
    meta, _ = front_matter(notes(site)["post"])
    assert meta["summary"] == "Mine."
    assert meta["extra"]["jekyll"] == {"description": "The theme's.", "venue": ["not", "text"]}


def test_the_same_post_copied_into_content_builds_with_authors_and_the_translated_title(
        tmp_path):
    site = new_site(tmp_path / "site")
    _blog(site / "content", {"_posts/2024-05-07-post.md": AL_FOLIO_POST})
    result = build(site, BuildOptions())
    # Only the blog's own key is unknown; the theme's (layout, future, comments) are not.
    assert [p.field for p in result.warnings] == ["topic"]
    [view] = result.site.notes
    note = view.note
    assert note.authors == ("Ada Lovelace", "Anonymous")
    assert note.arxiv == "2106.09685" and note.summary == "What the paper found."
    assert note.updated.date() == dt.date(2024, 6, 1)
    assert dict(note.links) == {"paper": "https://openreview.net/forum?id=abc",
                                "code": "https://github.com/example/code"}
    page = parse_html(site / "_site" / "papers" / "post" / "index.html")
    header = page.find(".//header[@class='note-header']")
    subtitle = header.find("p[@class='subtitle']")
    assert (subtitle.text, subtitle.get("lang")) == ("論文についてのブログ記事", "ja")
    authors = header.find("p[@class='authors']")
    assert [(a.text, a.get("href")) for a in authors.iter("a")] == [
        ("Ada Lovelace", "https://ada.example.org")]
    assert "(Analytical Engines Ltd)" in "".join(authors.itertext())
    assert "Anonymous" in "".join(authors.itertext())


def test_a_raw_build_leaves_out_what_jekyll_does_not_publish(tmp_path, caplog):
    site = new_site(tmp_path / "site")
    _blog(site / "content", {
        "_posts/2024-01-01-kept.md": POST.format(title="Kept"),
        "_posts/2024-01-02-hidden.md": "---\ntitle: Unpublished\npublished: false\n---\n",
        "_posts/_example/2024-01-03-example.md": POST.format(title="Example"),
        "_posts/no-date.md": POST.format(title="No date"),
        "papers/not-a-post.md": "---\ntitle: Mine\ndate: 2024-01-04\n---\n"})
    with caplog.at_level("INFO", logger="digestif"):
        result = build(site, BuildOptions(strict=True))
    assert sorted(v.title for v in result.site.notes) == ["Kept", "Mine"]
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "_posts/_example/: left out" in said and "_posts/no-date.md: left out" in said
    assert "1 draft left out (draft: true or Jekyll's published: false" in said
    assert len(build(site, BuildOptions(drafts=True, use_cache=False)).site.notes) == 3


DISTILL_POST = """---
layout: distill
title: Citations
bibliography: 2024-05-07-cites.bib
---
<script type="text/x-mathjax-config">
MathJax.Hub.Config({tex2jax: {inlineMath: [['$','$']]}});
</script>
<script src="https://cdn.mathjax.org/mathjax/latest/MathJax.js"></script>
As shown before <d-cite key="lyle2020,immer2021"></d-cite>, and again <d-cite key="lyle2020">
</d-cite>.<d-footnote>A note citing <d-cite key="immer2021"></d-cite>.</d-footnote>
Unknown <d-cite key="nobody"></d-cite>.
"""
BIB = """@article{lyle2020, title={A {Bayesian} Perspective on Training Speed},
  author={Lyle, Clare and Gal, Yarin}, journal={NeurIPS}, year={2020},
  url={https://example.org/lyle}}
@inproceedings{immer2021, title={Scalable Marginal Likelihood <Estimation>},
  author={Immer, Alexander and R{\\"a}tsch, Gunnar}, booktitle={ICML}, year={2021}}
"""


def test_distill_citations_footnotes_and_math_scripts(tmp_path, capsys):
    blog = _blog(tmp_path / "blog", {"_config.yml": "title: B\n",
                                     "_posts/2024-05-07-cites.md": DISTILL_POST,
                                     "assets/bibliography/2024-05-07-cites.bib": BIB})
    site = new_site(tmp_path / "site")
    assert run("jekyll", blog, site) == 0
    err = capsys.readouterr().err
    assert "2024-05-07-cites.md:6: 2 MathJax/KaTeX scripts removed" in err
    assert "cites 'nobody', which is not in 2024-05-07-cites.bib" in err
    build(site, BuildOptions())
    page = parse_html(site / "_site" / "papers" / "cites" / "index.html").find(".//main")
    citations = [["".join(a.itertext()) for a in span.iter("a")]
                 for span in page.iter("span") if span.get("class") == "citation"]
    assert citations == [["1", "2"], ["1"], [], ["2"]]  # the last one in the footnote
    references = page.find(".//ol[@class='references']")
    items = {li.get("id"): "".join(li.itertext()) for li in references.iter("li")}
    assert list(items) == ["ref-lyle2020", "ref-immer2021"]
    assert items["ref-lyle2020"].startswith("Clare Lyle, Yarin Gal. A Bayesian Perspective on "
                                            "Training Speed. NeurIPS, 2020.")
    assert "Gunnar Rätsch" in items["ref-immer2021"] and "<Estimation>" in items["ref-immer2021"]
    assert page.find(".//a[@href='#ref-lyle2020']") is not None
    footnotes = page.find(".//div[@class='footnote']")
    assert "A note citing" in "".join(footnotes.itertext())
    assert not [s for s in page.iter("script") if "mathjax" in (s.get("src", "") +
                                                               (s.text or "")).lower()]


def test_two_posts_of_one_blog_with_one_name_or_title_are_two_notes(tmp_path, capsys):
    blog = _blog(tmp_path / "blog", {
        "_config.yml": "title: B\nexclude:\n  - /docs # the theme's own\n  - '*.tmp.md'\n",
        "_posts/algorithm/2020-07-16-stack.md": POST.format(title="Stack"),
        "_posts/interview/2020-07-07-stack.md": POST.format(title="Stack for interviews"),
        "_posts/2021-10-13-tips.md": POST.format(title="Tips for VS Code users"),
        "_posts/2025-06-18-uv.md": POST.format(title="Tips for VS Code users"),
        "docs/_posts/2012-01-02-sample.md": POST.format(title="Theme sample"),
        "_posts/2020-01-01-draft.tmp.md": POST.format(title="Scratch")})
    site = new_site(tmp_path / "site")
    assert run("jekyll", blog, site) == 0
    out = capsys.readouterr().out
    assert set(notes(site)) == {"stack", "stack-2", "tips", "uv"}
    assert front_matter(notes(site)["stack-2"])[0]["title"] == "Stack for interviews"
    assert "_posts/interview/2020-07-07-stack.md: named stack-2, as 'stack' is" in out
    assert "docs/_posts/2012-01-02-sample.md: excluded by _config.yml's exclude: /docs" in out
    assert "excluded by _config.yml's exclude: *.tmp.md" in out
    assert "4 notes" in out and "2 skipped, 0 failed" in out
    capsys.readouterr()
    assert run("jekyll", blog, site) == 0  # again: each post matches the note it made
    out = capsys.readouterr().out
    assert out.count("(imported from the same entry)") == 4 and set(notes(site)) == \
        {"stack", "stack-2", "tips", "uv"}


def test_a_paper_reference_and_a_leading_paper_link_become_paper_and_links(tmp_path):
    post = ("---\ntitle: Geometric deep learning\ndate: 2017-11-19\npaper_ref: Bronstein, 2017\n"
            "---\n\n---\n\n[{{ page.paper_ref }}](https://arxiv.org/abs/1611.08097)\n\n"
            "## Notes\n\nText.\n")
    posts = _blog(tmp_path / "blog", {"_posts/2017-11-19-gdl.md": post}) / "_posts"
    site = new_site(tmp_path / "site")
    assert run("jekyll", posts, site) == 0
    meta, body = front_matter(notes(site)["gdl"])
    assert meta["paper"] == "Bronstein, 2017"
    assert meta["links"] == {"paper": "https://arxiv.org/abs/1611.08097"}
    assert meta["arxiv"] == "1611.08097"
    assert "[Bronstein, 2017](https://arxiv.org/abs/1611.08097)" in body
    assert "jekyll" not in meta.get("extra", {})


def test_two_posts_about_one_paper_are_both_kept(tmp_path):
    blog = _blog(tmp_path / "blog", {
        "_posts/2016-09-10-part-one.md": "---\ntitle: Part one\n---\n"
                                         "[Paper](https://arxiv.org/abs/1604.06057)\n",
        "_posts/2016-09-16-part-two.md": "---\ntitle: Part two\narxiv: 1604.06057\n---\nx\n"})
    site = new_site(tmp_path / "site")
    assert run("jekyll", blog, site) == 0
    assert set(notes(site)) == {"part-one", "part-two"}
    assert front_matter(notes(site)["part-one"])[0]["arxiv"] == "1604.06057"


def test_an_inline_markdown_table_in_site_toml_is_left_alone(tmp_path, capsys):
    blog = _blog(tmp_path / "blog", {"_posts/2020-01-01-one.md": POST.format(title="One"),
                                     "_config.yml": "title: B\n"})
    toml = 'title = "T"\nbase_url = "https://e.org/"\nmarkdown = {math = "pandoc"}\n'
    site = new_site(tmp_path / "site", toml)
    assert run("jekyll", blog, site) == 0
    assert (site / "site.toml").read_text(encoding="utf-8") == toml
    assert "add smart_quotes = true to the markdown table of site.toml yourself" in \
        capsys.readouterr().out
