"""Search: the Pagefind index built into the output, what it holds, the pages that use it, and
builds that go on without it. In-browser behaviour is in test_search_browser.py."""

from __future__ import annotations

import functools
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import copy_site, parse_html, write_note
from conftest import search_fragments as fragments
from digestif import search, search_delta
from digestif.build import BuildOptions, build
from digestif.config import Permalinks, SiteConfig
from digestif.writer import prepare_generated, write_site

NOTE_URLS = {"/repo/papers/lora/", "/repo/papers/flashattention/",
             "/repo/papers/chain-of-zoom-ko/", "/repo/papers/diffusion-ja/", "/repo/papers/sr-zh/"}

needs_pagefind = pytest.mark.skipif(search.find_pagefind() is None,
                                    reason="Pagefind not installed: pip install -e .")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """The search sample site, built once with its index: (output folder, BuildResult)."""
    if search.find_pagefind() is None:
        pytest.skip("Pagefind not installed: pip install -e .")
    site = copy_site("search", tmp_path_factory.mktemp("sites"))
    result = build(site, BuildOptions())
    return result.config.output_path, result


def header_box(page):
    return page.find(".//header[@class='site-header']//div[@data-search-box]")


def test_the_index_is_built_into_the_output(indexed):
    out, result = indexed
    bundle = out / "pagefind"
    assert (bundle / "pagefind.js").is_file()
    assert any((bundle / "fragment").iterdir()) and any((bundle / "index").iterdir())
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert set(entry["languages"]) == {"en-us", "ko", "ja", "zh-cn"}
    assert result.search.pages == len(NOTE_URLS) and result.search.bytes > 0
    assert result.warnings == []


def test_only_note_pages_are_indexed_with_their_results_meta_and_filters(indexed):
    out, _ = indexed
    records = fragments(out)
    assert set(records) == {url.removeprefix("/repo") for url in NOTE_URLS}
    lora = records["/papers/lora/"]
    assert lora["meta"]["title"] == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert lora["meta"]["venue"] == "ICLR 2022" and lora["meta"]["date"] == "2025-05-26"
    assert lora["filters"] == {"category": ["Efficient Tuning"], "year": ["2025"]}
    assert records["/papers/chain-of-zoom-ko/"]["filters"]["category"] == ["초해상도"]


def test_summary_authors_task_tags_and_body_are_searchable_but_not_labels_and_contents(indexed):
    out, _ = indexed
    text = fragments(out)["/papers/lora/"]["content"]
    for expected in ("learn a low-rank update instead", "Yelong Shen",
                     "parameter-efficient fine-tuning", "peft", "Efficient Tuning",
                     "two thin matrices"):
        assert expected in text
    assert text.count("Verdict") == 1  # the heading, not the table of contents as well
    # Link badges and heading anchors are labels, not what the note says.
    assert "paper." not in text and "code." not in text and "#" not in text


def test_titles_weigh_more_than_body_text(indexed):
    out, _ = indexed
    article = parse_html(out / "papers" / "lora" / "index.html").find(
        ".//article[@data-pagefind-body]")
    [title] = [p for p in article.iter("p") if p.get("data-pagefind-weight") == "10"]
    assert title.text == "LoRA: Low-Rank Adaptation of Large Language Models"


def test_excerpts_start_with_what_the_note_says_not_its_title_venue_and_labels(indexed):
    """The header is searchable through a copy at the end of the indexed text: an excerpt of
    the start of a note is its summary and body, not the title, venue, categories and tags the
    result shows already."""
    out, _ = indexed
    text = fragments(out)["/papers/lora/"]["content"]
    body = text.index("two thin matrices")
    for label in ("LoRA: Low-Rank Adaptation of Large Language Models", "ICLR 2022",
                  "Efficient Tuning", "peft", "Yelong Shen"):
        assert text.find(label) > body, label  # searchable, after the body only
        assert text.count(label) == 1, label
    assert text.startswith("Freeze the pretrained weights and learn a low-rank update")


def test_list_pages_carry_no_pagefind_body(indexed):
    out, _ = indexed
    for page in ("index.html", "digest/index.html", "search/index.html",
                 "categories/efficient-tuning/index.html"):
        assert parse_html(out / page).find(".//*[@data-pagefind-body]") is None, page


def test_every_page_has_a_header_box_that_falls_back_to_the_digest_without_javascript(indexed):
    out, _ = indexed
    for page in ("index.html", "papers/lora/index.html", "digest/index.html", "404.html"):
        box = header_box(parse_html(out / page))
        assert box is not None, page
        fallback = box.find("a[@class='search-fallback']")
        assert fallback.get("href") == "/repo/digest/" and fallback.get("hidden") is None
        form = box.find("form")
        assert form.get("hidden") is not None and form.get("action") == "/repo/search/"
        assert box.get("data-bundle") == "/repo/pagefind/"
        assert box.get("data-base") == "/repo/"


def test_the_search_page_offers_category_and_year_filters(indexed):
    out, _ = indexed
    page = parse_html(out / "search" / "index.html")
    assert header_box(page) is None  # the page's own box is the search box here
    root = page.find(".//div[@data-search-page]")
    assert root.get("data-bundle") == "/repo/pagefind/"
    boxes = {(b.get("name"), b.get("value")) for b in root.iterfind(".//input[@type='checkbox']")}
    assert ("category", "Efficient Tuning") in boxes and ("category", "초해상도") in boxes
    assert {value for name, value in boxes if name == "year"} == {"2025", "2024", "2023", "2022"}
    scripts = [s.get("src") for s in page.iterfind(".//script")]
    assert "/repo/assets/search.js" in scripts
    assert (out / "assets" / "search.js").is_file()


def test_note_fields_land_escaped_in_the_search_data(tmp_path):
    site = copy_site("minimal", tmp_path)
    write_note(site, "papers/x.md", '---\ntitle: X\ndate: 2024-01-01\n'
               'venue: "<script>alert(1)</script> & Co"\ncategories: ["A<b>"]\n---\nBody.\n')
    result = build(site, BuildOptions())
    page = parse_html(result.config.output_path / "papers" / "x" / "index.html")
    assert page.find(".//*[@data-pagefind-meta='venue']").text == \
        "<script>alert(1)</script> & Co"
    assert page.find(".//*[@data-pagefind-filter='category']").text == "A<b>"
    assert not any(s.text and "alert" in s.text for s in page.iterfind(".//script"))


def test_search_enabled_false_builds_no_index_no_page_and_no_box(tmp_path):
    site = copy_site("search", tmp_path)
    with (site / "site.toml").open("a", encoding="utf-8") as toml:
        toml.write("\n[search]\nenabled = false\n")
    result = build(site, BuildOptions())
    out = result.config.output_path
    assert not (out / "pagefind").exists() and not (out / "search").exists()
    assert header_box(parse_html(out / "index.html")) is None
    assert result.search is None and result.warnings == []


def test_a_missing_pagefind_warns_once_and_the_site_builds_without_search(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = copy_site("search", tmp_path)
    result = build(site, BuildOptions(strict=True))
    out = result.config.output_path
    assert [w.file for w in result.warnings] == ["search"]
    assert "Pagefind was not found" in result.warnings[0].message
    assert (out / "papers" / "lora" / "index.html").is_file()
    assert not (out / "pagefind").exists() and not (out / "search").exists()
    assert header_box(parse_html(out / "index.html")) is None


def _failing_binary(folder: Path, kind: str) -> Path:
    path = folder / "pagefind"
    if kind == "crashes":
        # Leaves half a bundle behind, then fails, like a crash mid-write.
        path.write_text("#!/bin/sh\nmkdir -p \"$4/fragment\"\necho 'disk full' >&2\nexit 3\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    else:
        path.write_text("not a program")
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    return path


@pytest.mark.skipif(os.name != "posix", reason="uses a shell script as a fake Pagefind")
@pytest.mark.parametrize("kind", ["crashes", "cannot-execute"])
def test_a_pagefind_that_cannot_run_warns_once_and_leaves_no_half_index(tmp_path, monkeypatch,
                                                                        kind):
    binary = _failing_binary(tmp_path, kind)
    monkeypatch.setattr(search, "find_pagefind", lambda: binary)
    site = copy_site("search", tmp_path)
    result = build(site, BuildOptions())
    out = result.config.output_path
    assert len(result.warnings) == 1 and result.warnings[0].file == "search"
    assert str(binary) in result.warnings[0].message
    if kind == "crashes":
        assert "disk full" in result.warnings[0].message
    assert (out / "papers" / "lora" / "index.html").is_file()
    assert not (out / "pagefind").exists()
    assert [p.name for p in out.iterdir() if "pagefind" in p.name] == []


@needs_pagefind
def test_indexing_over_an_old_bundle_leaves_no_stale_chunks(indexed, tmp_path):
    """An incremental build indexes the live folder: the writer replaces the old bundle whole."""
    out, result = indexed
    folder = tmp_path / "live"
    shutil.copytree(out, folder)
    page = folder / "papers" / "lora" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("Verdict", "Zyzzyva"),
                    encoding="utf-8")
    indexer = search.SearchIndexer(result.config)
    job = search.SearchJob(indexer.executable, search.note_glob(result.config))
    install = prepare_generated(folder, "pagefind", functools.partial(indexer.index, job))
    assert "Zyzzyva" not in fragments(folder)["/papers/lora/"]["content"], "not live yet"
    install()
    stats = indexer.stats
    assert stats.pages == len(NOTE_URLS)
    records = fragments(folder)
    assert len(list((folder / "pagefind" / "fragment").iterdir())) == len(records) == stats.pages
    assert "Zyzzyva" in records["/papers/lora/"]["content"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".digestif")] == []


@needs_pagefind
def test_a_rebuild_keeps_a_fresh_index_and_no_temporary_folder(tmp_path):
    site = copy_site("search", tmp_path)
    build(site, BuildOptions())
    write_note(site, "papers/mamba.md", "---\ntitle: Mamba\ndate: 2024-02-02\n---\nSelective "
               "state spaces.\n")
    result = build(site, BuildOptions())
    out = result.config.output_path
    assert "/papers/mamba/" in fragments(out)
    assert result.search.pages == 1 and result.search.delta, "only the new note is indexed"
    leftovers = [p.name for p in out.parent.iterdir()
                 if p.name.startswith(".digestif") and p.name != ".digestif-cache"]
    assert leftovers == []


def test_a_generated_folder_is_made_from_the_new_site_before_it_goes_live(tmp_path):
    out = tmp_path / "_site"
    write_site(out, {"index.html": "old"}, {})
    seen = {}

    def generate(folder: Path, stage: Path) -> bool:
        seen["new"] = (folder / "index.html").read_text()
        seen["live"] = (out / "index.html").read_text()
        seen["stage outside the output"] = not stage.is_relative_to(folder)
        (stage / "pagefind.js").write_text("//")
        return True

    write_site(out, {"index.html": "new"}, {}, generated={"pagefind": generate})
    assert seen == {"new": "new", "live": "old", "stage outside the output": True}
    assert (out / "pagefind" / "pagefind.js").is_file()


def test_a_site_without_notes_builds_without_an_index_or_a_warning(tmp_path):
    site = tmp_path / "empty"
    (site / "content").mkdir(parents=True)
    (site / "site.toml").write_text('title = "Empty"\n', encoding="utf-8")
    result = build(site, BuildOptions())
    assert result.warnings == [] and result.search is None
    assert not (result.config.output_path / "pagefind").exists()


@pytest.mark.parametrize(("pattern", "glob"), [
    ("/papers/{slug}/", "papers/*/index.html"),
    ("/{year}/{month}/{day}/{slug}/", "*/*/*/*/index.html"),
    ("/notes/{slug}.html", "notes/*.html"),
])
def test_pagefind_reads_only_the_files_note_pages_are_written_to(pattern, glob):
    config = SiteConfig(permalinks=Permalinks(note=pattern))
    assert search.note_glob(config) == glob


@pytest.fixture
def counted(monkeypatch):
    """Counts the Pagefind runs of the builds that follow."""
    runs = []

    class CountedPopen(subprocess.Popen):
        def __init__(self, command, *args, **kwargs):
            if "--output-path" in command:
                runs.append(command)
            super().__init__(command, *args, **kwargs)

    monkeypatch.setattr(search.subprocess, "Popen", CountedPopen)
    return runs


def bundle_files(out: Path) -> dict[str, tuple[int, int]]:
    bundle = out / "pagefind"
    return {str(p.relative_to(bundle)): (p.stat().st_ino, p.stat().st_size)
            for p in bundle.rglob("*") if p.is_file()}


@needs_pagefind
def test_an_edit_is_found_by_search_after_a_rebuild_and_the_old_words_are_gone(tmp_path, counted):
    site = copy_site("search", tmp_path)
    out = build(site, BuildOptions()).config.output_path
    assert "two thin matrices" in fragments(out)["/papers/lora/"]["content"]
    note = site / "content" / "papers" / "lora.md"
    note.write_text(note.read_text(encoding="utf-8").replace("two thin matrices",
                                                             "two quokka matrices"),
                    encoding="utf-8")
    result = build(site, BuildOptions())
    assert result.rendered < 38, "an incremental build, in place"
    text = fragments(out)["/papers/lora/"]["content"]
    assert "two quokka matrices" in text and "two thin matrices" not in text
    assert result.search.pages == 1 and len(counted) == 2


@needs_pagefind
def test_a_build_that_changes_no_indexed_text_keeps_the_bundle_without_pagefind(tmp_path,
                                                                              counted):
    """A stylesheet (in place) or the site's title (every page rendered, a new output folder
    swapped in) changes no note's indexed text: the bundle stays, Pagefind does not run."""
    site = copy_site("search", tmp_path)
    out = build(site, BuildOptions()).config.output_path
    before, records = bundle_files(out), fragments(out)
    (site / "static").mkdir()
    (site / "static" / "extra.css").write_text("p { margin: 0 }\n", encoding="utf-8")
    result = build(site, BuildOptions())
    assert (out / "extra.css").is_file() and result.search is None
    assert bundle_files(out) == before, "the same files, left in place"
    toml = site / "site.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('"Search Sample"', '"Renamed"'),
                    encoding="utf-8")
    result = build(site, BuildOptions())
    assert "Renamed" in (out / "papers" / "lora" / "index.html").read_text(encoding="utf-8")
    assert result.search is None and len(counted) == 1
    assert {path: size for path, (_, size) in bundle_files(out).items()} == \
        {path: size for path, (_, size) in before.items()}, "carried into the new folder"
    assert fragments(out) == records
    note = site / "content" / "papers" / "lora.md"  # and a real edit is indexed again
    note.write_text(note.read_text(encoding="utf-8") + "\nA note on wombats.\n",
                    encoding="utf-8")
    result = build(site, BuildOptions())
    assert "wombats" in fragments(out)["/papers/lora/"]["content"] and len(counted) == 2


@needs_pagefind
def test_an_index_made_for_other_pages_is_not_kept(tmp_path, counted):
    """The bundle names the pages it was made for: a bundle from another build (here: an edit
    whose build was interrupted, then undone by hand in the output) is indexed afresh."""
    site = copy_site("search", tmp_path)
    out = build(site, BuildOptions()).config.output_path
    (out / "pagefind" / search.INDEX_MARKER).write_text("0123\n", encoding="utf-8")
    (site / "static").mkdir()
    (site / "static" / "extra.css").write_text("p { margin: 0 }\n", encoding="utf-8")
    result = build(site, BuildOptions())
    assert len(counted) == 2 and result.search.pages == len(NOTE_URLS)
    assert search.bundle_fingerprint(out / "pagefind") not in (None, "0123")


def recent(out: Path) -> dict:
    return json.loads((out / "pagefind" / "recent" / search_delta.RECENT_FILE).read_text())


def edit(site: Path, name: str, old: str, new: str) -> None:
    note = site / "content" / "papers" / name
    note.write_text(note.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


@needs_pagefind
def test_a_few_edits_are_indexed_into_a_delta_that_supersedes_the_old_pages(tmp_path, counted):
    """Edits and a deletion since the full bundle: Pagefind reads only the changed pages, the
    full bundle stays as it was, and the delta lists the old records search must drop."""
    site = copy_site("search", tmp_path)
    out = build(site, BuildOptions()).config.output_path
    base_files, base_ids = bundle_files(out), search_delta.read_fragments(out / "pagefind")
    edit(site, "lora.md", "two thin matrices", "two quokka matrices")
    assert build(site, BuildOptions()).search.delta
    edit(site, "flashattention.md", "FlashAttention", "FlashWombat")
    result = build(site, BuildOptions())
    assert result.search.delta and result.search.pages == 2, "both edits since the full bundle"
    (site / "content" / "papers" / "sr-zh.md").unlink()
    result = build(site, BuildOptions())
    assert len(counted) == 4 and result.search.pages == 2, "the delta covers all since the full"
    records = fragments(out)
    assert set(records) == {url.removeprefix("/repo") for url in NOTE_URLS} - {"/papers/sr-zh/"}
    assert "two quokka matrices" in records["/papers/lora/"]["content"]
    assert "two thin matrices" not in records["/papers/lora/"]["content"]
    assert "FlashWombat" in records["/papers/flashattention/"]["content"]
    assert set(recent(out)["superseded"]) == {base_ids[url][0] for url in
                                              ("/papers/lora/", "/papers/flashattention/",
                                               "/papers/sr-zh/")}
    kept = {path: value for path, value in bundle_files(out).items()
            if not path.startswith("recent/")}
    assert kept == base_files, "the full bundle is not indexed again"


@needs_pagefind
def test_more_changes_than_a_delta_takes_index_the_whole_site_again(tmp_path, counted,
                                                                   monkeypatch):
    site = copy_site("search", tmp_path)
    out = build(site, BuildOptions()).config.output_path
    edit(site, "lora.md", "two thin matrices", "two quokka matrices")
    assert build(site, BuildOptions()).search.delta
    monkeypatch.setattr(search_delta, "DELTA_PAGES", 1)
    edit(site, "flashattention.md", "FlashAttention", "FlashWombat")
    result = build(site, BuildOptions())
    assert not result.search.delta and result.search.pages == len(NOTE_URLS)
    assert not (out / "pagefind" / "recent").exists()
    records = fragments(out)
    assert "two quokka matrices" in records["/papers/lora/"]["content"]
    assert "FlashWombat" in records["/papers/flashattention/"]["content"]


@needs_pagefind
def test_a_full_bundle_whose_pages_are_not_recorded_is_indexed_again(tmp_path, counted):
    site = copy_site("search", tmp_path)
    out = build(site, BuildOptions()).config.output_path
    (out / "pagefind" / search_delta.PAGES_FILE).unlink()
    edit(site, "lora.md", "two thin matrices", "two quokka matrices")
    result = build(site, BuildOptions())
    assert not result.search.delta and result.search.pages == len(NOTE_URLS)
    assert "two quokka matrices" in fragments(out)["/papers/lora/"]["content"]


@needs_pagefind
def test_an_edited_page_missing_from_the_full_bundles_records_is_indexed_with_all(tmp_path):
    """A record the delta could not supersede would show the note's old text: index all."""
    site = copy_site("search", tmp_path)
    out = build(site, BuildOptions()).config.output_path
    pages_file = out / "pagefind" / search_delta.PAGES_FILE
    pages = json.loads(pages_file.read_text(encoding="utf-8"))
    del pages["/papers/lora/"]
    pages_file.write_text(json.dumps(pages), encoding="utf-8")
    edit(site, "lora.md", "two thin matrices", "two quokka matrices")
    result = build(site, BuildOptions())
    assert not result.search.delta and result.search.pages == len(NOTE_URLS)
    assert "two thin matrices" not in fragments(out)["/papers/lora/"]["content"]
