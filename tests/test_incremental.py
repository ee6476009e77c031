"""Incremental builds: after any change, the output equals what a full build makes, and pages
that show nothing that changed are not written again."""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3
import time
from pathlib import Path

import feedparser
import pytest

from conftest import cold_build_output, comparable_output, parse_html, snapshot, write_note
from digestif.build import BuildOptions, build
from digestif.errors import BuildError
from digestif.incremental import CACHE_DIR


def mtimes(folder):
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
            for p in folder.rglob("*") if p.is_file()}


def test_nothing_changed_does_nothing(built):
    site, first = built("example")
    before = mtimes(site / "_site")
    second = build(site)
    assert second.unchanged and second.files == 0
    assert (second.notes, second.pages) == (first.notes, first.pages)
    assert mtimes(site / "_site") == before
    assert second.warnings == first.warnings, "warnings are repeated on every build"


def test_editing_a_title_updates_every_page_and_feed_that_shows_it(built, tmp_path):
    site, _ = built("example")
    before = mtimes(site / "_site")
    note = site / "content" / "papers" / "pft-sr.md"
    note.write_text(note.read_text().replace(
        "title: Progressive Focused Transformer for Single Image Super-Resolution",
        "title: Progressive Focusing, Renamed"))
    result = build(site)
    out = site / "_site"
    assert not result.unchanged
    assert parse_html(out / "papers" / "pft-sr" / "index.html").find(".//h1").text == \
        "Progressive Focusing, Renamed"
    for listing in ("categories/super-resolution/index.html", "digest/index.html",
                    "archive/index.html", "papers/flashattention/index.html"):
        text = "".join(parse_html(out / listing).itertext())
        assert "Progressive Focusing, Renamed" in text, listing
    titles = [e.title for e in feedparser.parse((out / "feed.xml").read_bytes()).entries]
    assert "Progressive Focusing, Renamed" in titles
    after = mtimes(out)
    untouched = [p for p in ("papers/lora/index.html", "tags/lora/index.html",
                             "categories/systems/index.html") if after[p] == before[p]]
    assert untouched == ["papers/lora/index.html", "tags/lora/index.html",
                         "categories/systems/index.html"]
    assert comparable_output(out) == cold_build_output(site, tmp_path)


def test_adding_and_removing_notes_matches_a_full_build(built, tmp_path):
    site, _ = built("example")
    write_note(site, "papers/new.md", "---\ntitle: A New Paper\ndate: 2025-12-01\n"
                                      "categories: [Systems]\ntags: [lora]\n---\nNew [[lora]].\n")
    (site / "content" / "papers" / "qlora.md").unlink()
    build(site)
    out = site / "_site"
    assert (out / "papers" / "new" / "index.html").is_file()
    assert not (out / "papers" / "qlora").exists()
    assert comparable_output(out) == cold_build_output(site, tmp_path)


def test_a_template_change_rerenders_the_pages_that_use_it(built):
    site, _ = built("example")
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates" / "note.html").write_text(
        '{% extends "base.html" %}{% block content %}<p id="custom">{{ note.title }}</p>'
        "{% endblock %}")
    build(site)
    page = parse_html(site / "_site" / "papers" / "lora" / "index.html")
    assert page.find(".//p[@id='custom']") is not None
    home = parse_html(site / "_site" / "index.html")
    assert home.find(".//p[@id='custom']") is None


def test_a_deleted_output_or_a_broken_cache_means_a_full_build(built):
    site, first = built("example")
    shutil.rmtree(site / "_site")
    again = build(site)
    assert not again.unchanged and (site / "_site" / "papers" / "lora" / "index.html").is_file()
    for cache_file in (site / CACHE_DIR).glob("build-*"):
        cache_file.write_bytes(b"not a pickle")
    third = build(site)
    assert not third.unchanged and third.pages == first.pages


def test_a_broken_cache_of_note_bodies_means_a_full_write(built, tmp_path):
    site, _ = built("example")
    [bodies] = (site / CACHE_DIR).glob("build-*.pickle")
    bodies.write_bytes(b"truncated")
    lora = site / "content" / "papers" / "lora.md"
    lora.write_text(lora.read_text().replace("LoRA: Low-Rank", "LoRA: Lower-Rank"))
    build(site)
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)


def test_a_failed_incremental_build_changes_nothing(built):
    site, _ = built("example")
    before = snapshot(site / "_site")
    write_note(site, "papers/broken.md", "---\ntitle: [x]\ndate: 2025-01-01\n---\n")
    lora = site / "content" / "papers" / "lora.md"
    lora.write_text(lora.read_text().replace("LoRA: Low-Rank", "LoRA: Very Low-Rank"))
    with pytest.raises(BuildError):
        build(site)
    assert snapshot(site / "_site") == before
    (site / "content" / "papers" / "broken.md").unlink()
    build(site)
    assert "Very Low-Rank" in parse_html(
        site / "_site" / "papers" / "lora" / "index.html").find(".//h1").text


def test_no_cache_option_neither_reads_nor_writes_the_cache(built):
    site, _ = built("minimal", use_cache=False)
    assert not (site / CACHE_DIR).exists()


def test_turning_search_off_removes_the_index(built):
    site, _ = built("example")
    if not (site / "_site" / "pagefind").is_dir():
        pytest.skip("Pagefind is not installed here: pip install 'pagefind[extended]'")
    toml = site / "site.toml"
    toml.write_text(toml.read_text() + "\n[search]\nenabled = false\n")
    build(site)
    assert not (site / "_site" / "pagefind").exists()
    assert not (site / "_site" / "search").exists()


def test_a_cache_from_an_older_digestif_is_ignored(built):
    site, first = built("example")
    [cache_file] = (site / CACHE_DIR).glob("*.pickle")
    state = pickle.loads(cache_file.read_bytes())
    del state["memo"]  # as pickled by a version without that field
    cache_file.write_bytes(pickle.dumps(state))
    lora = site / "content" / "papers" / "lora.md"
    lora.write_text(lora.read_text() + "\nOne more line.\n")
    assert build(site).pages == first.pages


def test_unchanged_files_are_not_read_again_and_edits_are_still_seen(built, monkeypatch):
    site, _ = built("minimal")
    notes = list((site / "content").rglob("*.md"))
    long_ago = time.time() - 3600
    for note in notes:
        os.utime(note, (long_ago, long_ago))
    build(site)  # records sizes and times that are now old enough to trust
    read = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self.name) or original(self))
    assert build(site).unchanged
    assert not [name for name in read if name.endswith(".md")]
    notes[0].write_text(notes[0].read_text().replace("Only note", "Only note, edited"))
    assert not build(site).unchanged
    assert "Only note, edited" in (site / "_site" / "index.html").read_text()


def test_a_body_store_that_lost_a_note_means_a_full_build(built, tmp_path, caplog):
    site, _ = built("example")
    build(site)  # a second build, so the cache file's notes come back without their HTML
    lora = site / "content" / "papers" / "lora.md"
    lora.write_text(lora.read_text().replace("LoRA: Low-Rank", "LoRA: Lowest-Rank"))
    [store] = (site / CACHE_DIR).glob("build-*.sqlite")
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM bodies WHERE key LIKE 'content/papers/qlora.md%'")
    build(site)
    assert "the build cache was incomplete" in caplog.text
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)


def test_a_settings_change_whose_build_failed_still_gets_a_full_write(built, tmp_path):
    site, first = built("example")
    if not (site / "_site" / "pagefind").is_dir():
        pytest.skip("Pagefind is not installed here: pip install 'pagefind[extended]'")
    toml = site / "site.toml"
    toml.write_text(toml.read_text() + "\n[search]\nenabled = false\n")
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates" / "note.html").write_text("{{ note.no_such_field }}\n")
    with pytest.raises(BuildError):
        build(site, cache=first.cache)  # kept in memory, as the dev server does
    (site / "templates" / "note.html").unlink()
    build(site, cache=first.cache)
    assert not (site / "_site" / "pagefind").exists()
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)


# --- templates that read other notes through `site` -------------------------------------------

LATEST_SIDEBAR = ('{% extends "base.html" %}{% block content %}<h1>{{ note.title }}</h1>'
                  '<aside id="latest">{% for n in site.years[0].notes[:3] %}'
                  '<a href="{{ n.url }}">{{ n.title }}</a>{% endfor %}</aside>{% endblock %}')
CATEGORY_LISTING = ('{% extends "base.html" %}{% block content %}<h1>Lost?</h1>'
                    '<ul id="everything">{% for c in site.categories %}{% for n in c.notes %}'
                    '<li>{{ c.name }}: {{ n.title }}</li>{% endfor %}{% endfor %}</ul>'
                    '{% endblock %}')


def with_templates(site, **templates):
    (site / "templates").mkdir(exist_ok=True)
    for name, text in templates.items():
        (site / "templates" / f"{name}.html").write_text(text)


def retitle(site, note, old, new):
    path = site / "content" / "papers" / note
    path.write_text(path.read_text().replace(old, new))


def test_a_sidebar_of_latest_notes_updates_on_every_page_when_one_is_edited(site_copy,
                                                                            tmp_path):
    site = site_copy("example")
    with_templates(site, note=LATEST_SIDEBAR)
    build(site)
    newest = [a.text for a in parse_html(site / "_site" / "papers" / "lora" / "index.html")
              .find(".//aside[@id='latest']")]
    [source] = [p for p in (site / "content").rglob("*.md")
                if f"title: {newest[0]}" in p.read_text() or f'title: "{newest[0]}"'
                in p.read_text()]
    source.write_text(source.read_text().replace(newest[0], "Renamed In The Sidebar", 1))
    build(site)
    for page in ("papers/lora/index.html", "papers/qlora/index.html"):
        aside = parse_html(site / "_site" / page).find(".//aside[@id='latest']")
        assert aside[0].text == "Renamed In The Sidebar", page
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)


def test_a_page_listing_notes_through_site_categories_updates_on_edit(site_copy, tmp_path):
    site = site_copy("example")
    with_templates(site, **{"404": CATEGORY_LISTING})
    build(site)
    retitle(site, "lora.md", "LoRA: Low-Rank", "LoRA: Listed Low-Rank")
    build(site)
    items = ["".join(li.itertext()) for li in
             parse_html(site / "_site" / "404.html").find(".//ul[@id='everything']")]
    assert any("LoRA: Listed Low-Rank" in item for item in items)
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)


def test_a_settings_change_matches_a_full_build(built, tmp_path):
    site, _ = built("example")
    toml = site / "site.toml"
    toml.write_text(toml.read_text().replace('title = "Paper Bites"', 'title = "Bites"'))
    build(site)
    assert parse_html(site / "_site" / "index.html").find(".//title").text == "Bites"
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)


def test_deleting_a_note_a_template_and_a_static_file_matches_a_full_build(site_copy,
                                                                          tmp_path):
    site = site_copy("example")
    with_templates(site, note=LATEST_SIDEBAR)
    (site / "static").mkdir(exist_ok=True)
    (site / "static" / "extra.txt").write_text("to be deleted")
    build(site)
    (site / "content" / "papers" / "qlora.md").unlink()
    (site / "templates" / "note.html").unlink()
    (site / "static" / "extra.txt").unlink()
    build(site)
    out = site / "_site"
    assert not (out / "papers" / "qlora").exists() and not (out / "extra.txt").exists()
    assert parse_html(out / "papers" / "lora" / "index.html").find(".//aside") is None
    assert comparable_output(out) == cold_build_output(site, tmp_path)


def test_an_edit_renders_only_the_pages_that_read_the_note(built):
    site, first = built("example")
    retitle(site, "lora.md", "LoRA: Low-Rank", "LoRA: Slightly Low-Rank")
    result = build(site, BuildOptions(explain=True))
    rendered = {path for path, why in result.explanations.items() if why}
    assert "papers/lora/index.html" in rendered and "digest/index.html" in rendered
    assert "papers/pft-sr/index.html" not in rendered, "it shows nothing of LoRA"
    assert 0 < result.rendered < first.pages / 2


# --- --explain ------------------------------------------------------------------------------

def test_explain_names_the_input_that_changed_for_each_page_rendered_again(built, capsys):
    from digestif.cli import main

    site, _ = built("example")
    retitle(site, "lora.md", "LoRA: Low-Rank", "LoRA: Explained Low-Rank")
    assert main(["build", str(site), "-q", "--explain"]) == 0
    lines = capsys.readouterr().out.splitlines()
    tag_page = lines.index("tags/lora/index.html:")
    assert lines[tag_page + 1] == "  - content/papers/lora.md changed"
    assert "papers/pft-sr/index.html:" not in lines, "it reads nothing of LoRA"
    assert lines[-1].endswith("pages and feeds rendered again")


def test_explain_path_says_why_a_page_was_not_rendered_again(built, capsys):
    from digestif.cli import main

    site, _ = built("example")
    retitle(site, "lora.md", "LoRA: Low-Rank", "LoRA: Explained Low-Rank")
    assert main(["build", str(site), "-q", "--explain", "/papers/pft-sr/"]) == 0
    first, read = capsys.readouterr().out.splitlines()
    assert first.startswith("papers/pft-sr/index.html: not rendered again: none of the ")
    assert "content/papers/pft-sr.md" in read and "template note.html" in read
    toml = site / "site.toml"
    toml.write_text(toml.read_text().replace('title = "Paper Bites"', 'title = "Bites"'))
    assert main(["build", str(site), "-q", "--explain", "content/papers/pft-sr.md"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "papers/pft-sr/index.html: rendered again because",
        "  - the settings (site.toml, --base-url) changed: every page is made afresh"]


def test_explain_after_a_template_edit_names_the_template(built):
    site, _ = built("example")
    with_templates(site, **{"404": CATEGORY_LISTING})
    result = build(site, BuildOptions(explain=True))
    assert result.explanations["404.html"] == ["template 404.html changed"]
    assert result.explanations["papers/lora/index.html"] == []


def test_pages_rendered_on_several_cores_still_update_on_the_next_edit(site_copy, monkeypatch,
                                                                       tmp_path):
    """What forked workers recorded comes back to the parent, values and all."""
    import digestif.render

    monkeypatch.setattr(digestif.render, "PARALLEL_PAGES", 1)
    monkeypatch.setattr(digestif.render.os, "cpu_count", lambda: 2)
    site = site_copy("example")
    with_templates(site, note=LATEST_SIDEBAR)
    build(site)
    retitle(site, "lora.md", "LoRA: Low-Rank", "LoRA: Forked Low-Rank")
    build(site)
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)
    with_templates(site, note=LATEST_SIDEBAR.replace('id="latest"', 'id="newest"'))
    build(site)
    assert parse_html(site / "_site" / "papers" / "lora" / "index.html").find(
        ".//aside[@id='newest']") is not None


def test_a_note_deleted_after_builds_that_kept_its_page_disappears(built, tmp_path):
    site, _ = built("example")
    retitle(site, "lora.md", "LoRA: Low-Rank", "LoRA: Kept Low-Rank")
    build(site)  # pft-sr's page is kept, not written
    (site / "content" / "papers" / "pft-sr.md").unlink()
    build(site)
    assert not (site / "_site" / "papers" / "pft-sr").exists()
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)


def test_templates_compare_and_look_up_notes_as_before(site_copy):
    """Templates see recording proxies; comparing notes and finding one in a list still work."""
    site = site_copy("example")
    with_templates(site, note='{% extends "base.html" %}{% block content %}<h1>{{ note.title }}'
                   '</h1><p id="newest">{{ note == site.years[0].notes[0] }}</p>'
                   '<p id="listed">{{ note in site.years[0].notes }}</p>'
                   '<p id="neighbour">{{ note.newer.older == note if note.newer else "-" }}'
                   '</p>{% endblock %}')
    build(site)
    page = parse_html(site / "_site" / "papers" / "lora" / "index.html")
    assert [page.find(f".//p[@id='{i}']").text for i in ("listed", "neighbour")] == \
        ["True", "True"]
    assert {parse_html(p).find(".//p[@id='newest']").text
            for p in (site / "_site" / "papers").glob("*/index.html")} == {"True", "False"}


def test_a_translation_override_and_a_new_menu_page_update_every_page(built, tmp_path):
    """Every page shows the theme's words and the menu, so both are inputs of every page."""
    site, _ = built("example")
    (site / "i18n").mkdir()
    (site / "i18n" / "en.toml").write_text('[nav]\ndigest = "All papers"\n', encoding="utf-8")
    build(site)
    nav = [a.text for a in parse_html(site / "_site" / "index.html").iter("a")]
    assert "All papers" in nav
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path / "words")
    write_note(site, "pages/colophon.md", "---\ntitle: Colophon\nmenu: 1\n---\nMade by hand.\n")
    build(site)
    for page in ("index.html", "digest/index.html"):
        links = [a.text for a in parse_html(site / "_site" / page).iter("a")]
        assert "Colophon" in links, page
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path / "menu")


# --- the cache file grows with what changed, not with the site ------------------------------

def _many_notes_site(tmp_path, count=80):
    """A site big enough that one note is a small share of the cache: notes in 4 categories,
    sharing tags, linking to each other."""
    site = tmp_path / "many"
    (site / "content" / "papers").mkdir(parents=True)
    (site / "site.toml").write_text('title = "Many"\nbase_url = "https://example.org/"\n'
                                    "[search]\nenabled = false\n")
    for i in range(count):
        write_note(site, f"papers/n{i:03}.md",
                   f"---\ntitle: Note number {i}\ndate: 2024-01-{1 + i % 28:02}\n"
                   f"categories: [Group {i % 4}]\ntags: [t{i % 7}, t{i % 5}]\n"
                   f"summary: What note {i} found.\n---\n"
                   f"Body of note {i}, citing [[n{(i + 1) % count:03}]].\n\n## Method\n\n"
                   f"Some *prose* with `code` and $x_{i}$.\n")
    return site


def _cache_files(site):
    return {p.suffix: p for p in (site / CACHE_DIR).glob("build-*")}


def test_a_one_note_edit_writes_a_small_delta_and_leaves_the_cache_file(tmp_path):
    site = _many_notes_site(tmp_path)
    build(site)
    base = _cache_files(site)[".pickle"]
    base_bytes = base.read_bytes()
    note = site / "content" / "papers" / "n040.md"
    note.write_text(note.read_text() + "\nOne more sentence.\n")
    build(site)
    files = _cache_files(site)
    assert files[".pickle"].read_bytes() == base_bytes, "the base file is not rewritten"
    assert files[".delta"].stat().st_size * 20 < len(base_bytes)
    assert build(site).unchanged
    other = site / "content" / "papers" / "n041.md"
    other.write_text(other.read_text() + "\nAnother sentence.\n")
    again = build(site)  # reads the base with its delta: a stale cache would render everything
    rendered, pages = again.rendered, again.pages
    assert 0 < rendered < pages / 4


def test_edits_deletions_and_additions_through_deltas_match_cold_builds(tmp_path):
    """Each step's incremental output, built from the base file plus the delta (or a new base
    once the delta has grown), equals a cold build byte for byte."""
    site = _many_notes_site(tmp_path)
    build(site)
    papers = site / "content" / "papers"
    renamed = papers / "n010.md"
    steps = [
        lambda: renamed.write_text(renamed.read_text().replace("Note number 10",
                                                                 "A Renamed Note")),
        lambda: (papers / "n011.md").write_text(
            (papers / "n011.md").read_text() + "\nAppended to the body.\n"),
        lambda: (papers / "n012.md").unlink(),
        lambda: write_note(site, "papers/new.md", "---\ntitle: Brand New\ndate: 2025-02-02\n"
                           "categories: [Group 1]\ntags: [t3]\n---\nNew, citing [[n010]].\n"),
        lambda: [(papers / f"n0{i}.md").write_text((papers / f"n0{i}.md").read_text()
                                                   .replace("tags: [", "tags: [fresh, "))
                 for i in range(20, 40)],  # a quarter of the notes: folds into a new base
    ]
    for number, step in enumerate(steps):
        step()
        build(site)
        out = site / "_site"
        assert comparable_output(out) == cold_build_output(site, tmp_path / str(number)), number
    assert not (out / "papers" / "n012").exists()
    assert "Brand New" in "".join(parse_html(out / "categories" / "group-1" / "index.html")
                                  .itertext())
    assert "A Renamed Note" in "".join(parse_html(out / "archive" / "index.html").itertext())
    assert ".delta" not in _cache_files(site), "the last, large step wrote a new base"


def test_a_delta_of_another_base_is_not_applied(tmp_path):
    site = _many_notes_site(tmp_path)
    build(site)
    note = site / "content" / "papers" / "n005.md"
    note.write_text(note.read_text().replace("Note number 5", "Note number five"))
    build(site)
    stale_delta = _cache_files(site)[".delta"].read_bytes()
    for i in range(30):  # a new base, and no delta
        path = site / "content" / "papers" / f"n{i:03}.md"
        path.write_text(path.read_text() + "\nMore.\n")
    build(site)
    (site / CACHE_DIR / _cache_files(site)[".pickle"].name).with_suffix(".delta") \
        .write_bytes(stale_delta)
    note.write_text(note.read_text() + "\nAnd again.\n")
    build(site)
    assert comparable_output(site / "_site") == cold_build_output(site, tmp_path)


@pytest.mark.parametrize("cores", [1, 2])
def test_bodies_put_in_the_store_as_they_are_made_give_the_same_site(site_copy, monkeypatch,
                                                                     cores):
    """A build rendering many notes keeps no note's HTML in memory: each body goes to the body
    store as the Markdown stage makes it, and pages (in forked workers too) read it back. The
    site is the one a build without the cache makes, before and after an edit."""
    import digestif.incremental.layer
    import digestif.render
    from digestif.incremental.layer import StoredBody
    monkeypatch.setattr(digestif.incremental.layer, "STORE_EARLY_NOTES", 1)
    if cores == 2:
        monkeypatch.setattr(digestif.render, "PARALLEL_PAGES", 1)
        monkeypatch.setattr(digestif.render.os, "cpu_count", lambda: 2)
    site = site_copy("example")
    plain = site.parent / "plain"
    shutil.copytree(site, plain)
    result = build(site, BuildOptions())
    assert all(isinstance(view.rendered, StoredBody) for view in result.site.notes)
    build(plain, BuildOptions(use_cache=False))
    assert comparable_output(site / "_site") == comparable_output(plain / "_site")
    for folder in (site, plain):
        note = sorted((folder / "content" / "papers").glob("*.md"))[0]
        note.write_text(note.read_text(encoding="utf-8") + "\nAn added sentence.\n",
                        encoding="utf-8")
    build(site, BuildOptions())
    build(plain, BuildOptions(use_cache=False))
    assert comparable_output(site / "_site") == comparable_output(plain / "_site")


def test_a_body_store_that_cannot_be_written_keeps_the_bodies_in_memory(site_copy,
                                                                        monkeypatch):
    """Storing bodies as they are made fails (a full disk): the notes are rendered again and
    kept in memory; no page loses its body."""
    import digestif.incremental.layer
    from digestif.incremental.store import BodyStore

    def full_disk(self, entries):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(digestif.incremental.layer, "STORE_EARLY_NOTES", 1)
    monkeypatch.setattr(BodyStore, "add", full_disk)
    site = site_copy("example")
    plain = site.parent / "plain"
    shutil.copytree(site, plain)
    build(site, BuildOptions())
    build(plain, BuildOptions(use_cache=False))
    assert comparable_output(site / "_site") == comparable_output(plain / "_site")
