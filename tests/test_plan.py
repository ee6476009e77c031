"""The output plan: every output path has one producer, and two producers for one path are an
error naming both, reported with the other errors of the run, with the output untouched."""

from __future__ import annotations

import pytest

from conftest import snapshot, write_note
from digestif.build import BuildOptions, build
from digestif.cli import main
from digestif.errors import BuildError, Problems
from digestif.plan import NOTE, PAGE, STATIC, Producer, make_plan


def failed_build(site) -> list[str]:
    with pytest.raises(BuildError) as caught:
        build(site, BuildOptions())
    return [str(p) for p in caught.value.problems if not p.warning]


def test_a_note_whose_url_is_the_tags_index_is_an_error_naming_both(site_copy):
    site = site_copy("minimal")
    (site / "site.toml").write_text('title = "M"\nbase_url = "https://e.org/"\n'
                                    '[permalinks]\nnote = "/{slug}/"\n')
    build(site)
    before = snapshot(site / "_site")
    write_note(site, "papers/tags.md", "---\ntitle: Tags, the paper\ndate: 2024-03-01\n---\n")
    write_note(site, "papers/bad.md", "---\ntitle: Bad\ndate: 2024-13-45\n---\n")
    errors = failed_build(site)
    assert "content/papers/tags.md: slug: is written to tags/index.html, which the tags index " \
           "also writes; give the note another slug or change [permalinks] in site.toml" in errors
    assert any(e.startswith("content/papers/bad.md") for e in errors), "reported in one run"
    assert snapshot(site / "_site") == before


def test_a_static_file_where_the_feed_goes_is_an_error_naming_both(site_copy, capsys):
    site = site_copy("minimal")
    (site / "static").mkdir()
    (site / "static" / "feed.xml").write_text("<rss>my own feed</rss>")
    assert main(["build", str(site), "-q"]) == 1
    err = capsys.readouterr().err
    assert "static/feed.xml: is written to feed.xml, which the site feed also writes; rename " \
           "or move the file in static/" in err
    assert not (site / "_site").exists()


def test_a_static_file_inside_the_search_index_is_an_error(site_copy, monkeypatch):
    from pathlib import Path

    from digestif import search
    monkeypatch.setattr(search, "find_pagefind", lambda: Path("/usr/bin/true"))
    site = site_copy("minimal")
    (site / "static" / "pagefind").mkdir(parents=True)
    (site / "static" / "pagefind" / "pagefind.js").write_text("// mine")
    assert failed_build(site) == ["static/pagefind/pagefind.js: is written to "
                                  "pagefind/pagefind.js, which the search index also writes; "
                                  "rename or move the file in static/"]


def test_a_note_where_a_static_file_goes_names_both_files(site_copy):
    site = site_copy("minimal")
    (site / "static" / "papers" / "only").mkdir(parents=True)
    (site / "static" / "papers" / "only" / "index.html").write_text("<p>mine</p>")
    assert failed_build(site) == [
        "static/papers/only/index.html: is written to papers/only/index.html, which "
        "content/papers/only.md also writes; rename or move the file in static/"]


def test_a_static_file_may_still_replace_a_theme_asset(site_copy):
    site = site_copy("minimal")
    (site / "static" / "assets").mkdir(parents=True)
    (site / "static" / "assets" / "style.css").write_text("body { color: teal }")
    build(site)
    assert (site / "_site" / "assets" / "style.css").read_text() == "body { color: teal }"


def test_a_file_and_a_folder_of_the_same_name_collide():
    problems = Problems()
    make_plan([("feed.xml", Producer(PAGE, "the site feed")),
               ("feed.xml/index.html", Producer(NOTE, "content/feed.xml.md"))], [], problems)
    assert [str(p) for p in problems.items] == [
        "content/feed.xml.md: slug: is written to feed.xml (needed as a folder for "
        "feed.xml/index.html), which the site feed also writes; give the note another slug "
        "or change [permalinks] in site.toml"]


def test_paths_outside_the_output_are_refused():
    problems = Problems()
    plan = make_plan([("../x/index.html", Producer(STATIC, "static/x"))], [], problems)
    assert not plan.paths and "outside the output folder" in str(problems.items[0])
