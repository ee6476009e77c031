"""The dev server's rebuild with the model patched in place (incremental/live.py): an edit that
changes no note's shape patches the last build's model, and anything else builds it afresh;
either way the site is byte for byte what a cold build of the same notes writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_site, write_note
from digestif.build import BuildOptions, BuildResult, build
from digestif.writer import MARKER_FILE

BETA = "content/papers/beta.md"
ALPHA = "content/papers/alpha.md"


class Server:
    """Builds as the dev server's worker does: the cache state kept in memory between builds."""

    def __init__(self, site: Path, out: Path):
        self.site, self.out = site, out
        self.result = build(site, BuildOptions(out=out))

    def rebuild(self, explain: bool = False) -> BuildResult:
        self.result = build(self.site, BuildOptions(out=self.out, explain=explain),
                            cache=self.result.cache)
        return self.result


def files_of(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in folder.rglob("*") if path.is_file() and path.name != MARKER_FILE}


def assert_like_cold(server: Server, tmp_path: Path) -> None:
    cold = tmp_path / "cold"
    build(server.site, BuildOptions(out=cold, use_cache=False))
    built, expected = files_of(server.out), files_of(cold)
    assert sorted(built) == sorted(expected)
    differing = [path for path in expected if built[path] != expected[path]]
    assert differing == []


@pytest.fixture
def server(tmp_path: Path) -> Server:
    return Server(copy_site("connections", tmp_path), tmp_path / "out")


def edit(server: Server, relative: str, old: str, new: str) -> None:
    path = server.site / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(server: Server, relative: str, text: str) -> None:
    path = server.site / relative
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_a_body_edit_patches_the_model_and_renders_only_the_pages_that_read_the_note(
        server: Server, tmp_path: Path):
    append(server, BETA, "\nA sentence added at the end.\n")
    result = server.rebuild(explain=True)
    assert result.patched == {BETA}
    rendered = {path for path, why in result.explanations.items() if why}
    assert "papers/beta/index.html" in rendered
    assert "papers/epsilon/index.html" not in rendered  # shows nothing of beta
    assert_like_cold(server, tmp_path)
    assert "A sentence added at the end." in (server.out / "papers/beta/index.html").read_text()


def test_an_edit_to_a_note_others_link_to_is_patched_and_their_links_still_resolve(
        server: Server, tmp_path: Path):
    append(server, ALPHA, "\nOne more closing sentence.\n")
    assert server.rebuild().patched == {ALPHA}
    assert_like_cold(server, tmp_path)


def test_successive_edits_keep_the_index_of_readers_up_to_date(server: Server,
                                                                 tmp_path: Path):
    append(server, BETA, "\nFirst edit.\n")
    assert server.rebuild().patched == {BETA}
    append(server, ALPHA, "\nSecond edit.\n")
    assert server.rebuild().patched == {ALPHA}
    edit(server, BETA, "First edit.", "First edit, reworded.")
    assert server.rebuild().patched == {BETA}
    assert_like_cold(server, tmp_path)
    edit(server, BETA, "tags: [x, y]", "tags: [x, y, w]")  # a full build in between
    assert server.rebuild().patched is None
    append(server, BETA, "\nThird edit.\n")
    assert server.rebuild().patched == {BETA}
    assert_like_cold(server, tmp_path)


@pytest.mark.parametrize("change", [
    pytest.param((BETA, "title: Beta", "title: Beta, retitled"), id="title"),
    pytest.param((BETA, "title: Beta", "title: Beta\nsummary: A summary."), id="summary"),
    pytest.param((BETA, "Beta builds on", "Beta, a first paragraph edit, builds on"),
                 id="first-paragraph"),
])
def test_a_new_title_or_summary_is_patched_in_place(server: Server, tmp_path: Path, change):
    """The note's page gets its new title and description; the lists that show them render
    again because they read them."""
    edit(server, *change)
    result = server.rebuild(explain=True)
    assert result.patched == {BETA}
    assert result.explanations["index.html"]  # the home page lists beta
    assert_like_cold(server, tmp_path)


def test_a_new_title_that_changes_another_notes_bibtex_key_renders_that_note(tmp_path: Path):
    """BibTeX keys are unique across the site: two notes with one base key get a and b."""
    site = copy_site("connections", tmp_path)
    note = "---\ntitle: {title}\ndate: {date}\nauthors: [Ada Lovelace]\n---\nBody.\n"
    # Years apart, with the site's other notes between them: not each other's neighbours.
    write_note(site, "papers/first.md", note.format(title="Engines one", date="2020-01-01"))
    write_note(site, "papers/second.md", note.format(title="Engines two", date="2026-06-01"))
    server = Server(site, tmp_path / "out")
    edit(server, "content/papers/first.md", "Engines one", "Looms one")
    result = server.rebuild(explain=True)
    assert result.patched == {"content/papers/first.md"}
    assert result.explanations["papers/second/index.html"]
    assert_like_cold(server, tmp_path)


@pytest.mark.parametrize("change", [
    pytest.param((BETA, "tags: [x, y]", "tags: [x, z]"), id="tags"),
    pytest.param((BETA, "categories: [C1]", "categories: [C2]"), id="categories"),
    pytest.param((BETA, "date: 2025-02-01", "date: 2024-02-01"), id="date"),
    pytest.param((BETA, "venue: CVPR 2025 Highlight", "venue: ICCV 2025"), id="venue"),
    pytest.param((BETA, "title: Beta", "title: Beta\nslug: beta-two"), id="slug"),
    pytest.param((BETA, "title: Beta", "title: Beta\nlang: fr"), id="lang"),
    pytest.param((BETA, "title: Beta", "title: Beta\ndraft: true"), id="draft"),
    pytest.param((BETA, "[Alpha](alpha.md#method).", "[Alpha](alpha.md#method) and "
                  "[[gamma]]."), id="new-link"),
])
def test_a_change_of_shape_builds_the_model_afresh(server: Server, tmp_path: Path, change):
    edit(server, *change)
    assert server.rebuild().patched is None
    assert_like_cold(server, tmp_path)


def test_a_longer_reading_time_builds_the_model_afresh(server: Server, tmp_path: Path):
    append(server, BETA, "\n" + "Many more words to read. " * 300 + "\n")
    assert server.rebuild().patched is None
    assert_like_cold(server, tmp_path)


def test_an_added_or_removed_note_builds_the_model_afresh(server: Server, tmp_path: Path):
    write_note(server.site, "papers/new.md", "---\ntitle: New\ndate: 2025-01-05\n---\nHi.\n")
    assert server.rebuild().patched is None
    assert_like_cold(server, tmp_path)
    (server.site / "content/papers/new.md").unlink()
    assert server.rebuild().patched is None
    assert_like_cold(server, tmp_path)


def test_a_template_change_builds_the_model_afresh(server: Server, tmp_path: Path):
    templates = server.site / "templates"
    templates.mkdir()
    (templates / "404.html").write_text("<!doctype html><title>Lost</title><p>Lost.\n")
    append(server, BETA, "\nAn edit with the template.\n")
    assert server.rebuild().patched is None
    assert_like_cold(server, tmp_path)


def test_an_edited_standalone_page_builds_the_model_afresh(tmp_path: Path):
    site = copy_site("connections", tmp_path)
    write_note(site, "pages/about.md", "---\ntitle: About\n---\nAbout this site.\n")
    server = Server(site, tmp_path / "out")
    append(server, "content/pages/about.md", "\nMore about it.\n")
    assert server.rebuild().patched is None
    assert_like_cold(server, tmp_path)


def test_a_failed_build_leaves_no_model_to_patch(server: Server, tmp_path: Path):
    """A build that fails commits nothing: the next one starts from a model built afresh."""
    from digestif.errors import BuildError
    edit(server, BETA, "date: 2025-02-01", "date: not a date")
    with pytest.raises(BuildError):
        server.rebuild()
    edit(server, BETA, "date: not a date", "date: 2025-02-01")
    append(server, BETA, "\nFixed.\n")
    result = build(server.site, BuildOptions(out=server.out), cache=server.result.cache)
    assert result.patched is None
    assert_like_cold(server, tmp_path)


def test_a_card_image_that_appears_is_published_by_the_next_edit(server: Server,
                                                                 tmp_path: Path):
    """The model warned that the image was missing; once it is there, an edit to another
    note must copy it, as a full build would."""
    edit(server, BETA, "title: Beta", "title: Beta\nimage: card.png")
    server.rebuild()
    assert any(w.field == "image" for w in server.result.warnings)
    (server.site / "content/papers/card.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    append(server, ALPHA, "\nAn unrelated edit.\n")
    assert server.rebuild().patched is None
    assert (server.out / "papers/card.png").is_file()
    assert_like_cold(server, tmp_path)


def test_warnings_of_the_model_are_reported_again_when_it_is_patched(server: Server):
    edit(server, BETA, "[Alpha](alpha.md#method).", "[Alpha](alpha.md#method) and [[nobody]].")
    warned = [w for w in server.rebuild().warnings if "nobody" in w.message]
    assert warned
    append(server, ALPHA, "\nAn edit to another note.\n")
    result = server.rebuild()
    assert result.patched == {ALPHA}
    assert [w for w in result.warnings if "nobody" in w.message] == warned


def test_an_edit_to_a_note_with_a_warning_makes_the_warning_again_with_its_line(
        server: Server, tmp_path: Path):
    edit(server, BETA, "Beta builds on", "See ![a figure](missing.png).\n\nBeta builds on")
    first = [w for w in server.rebuild().warnings if "missing.png" in w.message]
    edit(server, BETA, "See ![a figure]", "A line before.\n\nSee ![a figure]")
    result = server.rebuild()
    assert result.patched is None
    again = [w for w in result.warnings if "missing.png" in w.message]
    assert [w.line for w in again] == [w.line + 2 for w in first]
    assert_like_cold(server, tmp_path)
