"""What a page reads of a note decides when it is rendered again: lists read what a list shows
(title, summary, terms), only the note's own page and the feeds read its body."""

from __future__ import annotations

from conftest import cold_build_output, comparable_output, parse_html, write_note
from digestif.build import BuildOptions, build

BODY = ("It opens with a first paragraph that the lists show as its summary.\n\n"
        "## Method\n\nThe method has a last paragraph, which no list shows.\n")


def small_site(tmp_path):
    """Three notes without a summary in their front matter: lists show each one's first
    paragraph."""
    site = tmp_path / "small"
    (site / "site.toml").parent.mkdir(parents=True)
    (site / "site.toml").write_text('title = "Small"\nbase_url = "https://example.org/"\n'
                                    "[search]\nenabled = false\n")
    for i, tag in enumerate(("alpha", "alpha", "beta")):
        write_note(site, f"papers/n{i}.md",
                   f"---\ntitle: Note {i}\ndate: 2024-03-0{i + 1}\ncategories: [Group]\n"
                   f"tags: [{tag}]\n---\n{BODY}")
    return site


def rendered_after(site, edit):
    build(site)
    path = site / "content" / "papers" / "n0.md"
    path.write_text(edit(path.read_text()))
    result = build(site, BuildOptions(explain=True))
    return {page for page, why in result.explanations.items() if why}




def test_a_sentence_added_to_the_last_paragraph_renders_the_page_and_feeds_not_lists(tmp_path):
    site = small_site(tmp_path)
    rendered = rendered_after(site, lambda text: text.replace(
        "no list shows.", "no list shows. One more sentence."))
    assert "papers/n0/index.html" in rendered and "feed.xml" in rendered
    for listing in ("index.html", "tags/alpha/index.html", "categories/group/index.html",
                    "archive/index.html", "papers/n1/index.html"):
        assert listing not in rendered, f"{listing} shows nothing of the body"
    page = "".join(parse_html(site / "_site" / "papers" / "n0" / "index.html").itertext())
    assert "One more sentence." in page
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)


def test_a_title_edit_renders_the_lists_showing_the_note(tmp_path):
    site = small_site(tmp_path)
    rendered = rendered_after(site, lambda text: text.replace("title: Note 0",
                                                              "title: Note Zero"))
    assert {"index.html", "tags/alpha/index.html", "papers/n0/index.html"} <= rendered
    home = "".join(parse_html(site / "_site" / "index.html").itertext())
    assert "Note Zero" in home
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)


def test_an_edit_of_the_first_paragraph_renders_the_lists_showing_it_as_summary(tmp_path):
    site = small_site(tmp_path)
    rendered = rendered_after(site, lambda text: text.replace(
        "It opens with", "It now opens with"))
    assert {"index.html", "tags/alpha/index.html", "papers/n0/index.html"} <= rendered
    home = "".join(parse_html(site / "_site" / "index.html").itertext())
    assert "It now opens with a first paragraph" in home
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)


def test_a_template_reading_the_file_hash_of_listed_notes_renders_on_a_body_edit(tmp_path):
    site = small_site(tmp_path)
    (site / "templates").mkdir()
    (site / "templates" / "home.html").write_text(
        '{% extends "base.html" %}{% block content %}<ul id="sizes">{% for n in notes %}'
        "<li>{{ n.note.title }}: {{ n.note.digest }}</li>{% endfor %}</ul>"
        "{% endblock %}")
    rendered = rendered_after(site, lambda text: text + "\nAppended.\n")
    assert "index.html" in rendered, "the home page shows the file's hash"
    assert "tags/alpha/index.html" not in rendered
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)


def test_an_edit_of_another_note_keeps_the_diagram_scripts(tmp_path):
    """The plan publishes mermaid's scripts when a note has a diagram: it must still know so
    when that note comes from the cache."""
    site = small_site(tmp_path)
    write_note(site, "papers/chart.md", "---\ntitle: Chart\ndate: 2024-02-01\n---\n"
               "```mermaid\ngraph TD; A-->B\n```\n")
    rendered_after(site, lambda text: text + "\nAppended.\n")
    assert (site / "_site" / "assets" / "diagrams.js").is_file()
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)


def test_a_page_rendered_again_shows_the_markdown_of_a_note_read_from_the_cache(tmp_path):
    """The cache file keeps a note's Markdown in the body store, not in the note: a template
    showing ``note.note.body`` must show it on a page rendered again (here every page, for a
    template edit) as a cold build does."""
    site = small_site(tmp_path)
    template = site / "templates" / "note.html"
    template.parent.mkdir()
    template.write_text('<h1>{{ note.title }}</h1><pre class="source">{{ note.note.body }}'
                        "</pre>\n", encoding="utf-8")
    build(site)
    template.write_text(template.read_text() + "<footer>edited</footer>\n", encoding="utf-8")
    build(site)  # from the cache file, as a new command would
    page = parse_html(site / "_site" / "papers" / "n1" / "index.html")
    assert "no list shows." in "".join(page.find(".//pre").itertext())
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)
