"""The writer is the only code that writes under the output folder: every file-system write a
build makes there (and in the writer's temporary folders beside it) is watched with an audit
hook and traced back to digestif/writer.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from conftest import write_note
from digestif import writer
from digestif.build import BuildOptions, build
from digestif.errors import BuildError
from digestif.search import find_pagefind

_WRITE_EVENTS = {"os.rename", "os.remove", "os.rmdir", "os.mkdir", "shutil.rmtree",
                 "shutil.copyfile", "os.chmod", "os.utime", "os.symlink", "os.link",
                 "os.truncate"}
_watch: dict = {}


def _audit(event: str, args: tuple) -> None:
    watched = _watch.get("roots")
    if not watched:
        return
    if event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
            (isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        paths = [path] if writing else []
    elif event in _WRITE_EVENTS:
        paths = [a for a in args[:2] if isinstance(a, (str, bytes, os.PathLike))]
    elif event == "subprocess.Popen":
        _watch["commands"].append(list(map(str, args[1] or ())))
        return
    else:
        return
    for path in paths:
        text = os.fsdecode(path) if not isinstance(path, int) else ""
        if any(text.startswith(root) for root in watched) and not _from_writer():
            _watch["strangers"].append((event, text, _caller()))


def _from_writer() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.endswith(os.path.join("digestif", "writer.py")):
            return True
        frame = frame.f_back
    return False


def _caller() -> str:
    frame = sys._getframe(3)
    while frame is not None and "digestif" not in frame.f_code.co_filename:
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame else "?"


sys.addaudithook(_audit)


@pytest.fixture
def watched_output():
    """Start watching writes under a site's output folder and the writer's folders beside it."""
    def watch(site: Path) -> dict:
        out = str((site / "_site").resolve())
        _watch.update(roots=(out, str(site.resolve() / ".digestif-tmp-"),
                             str(site.resolve() / ".digestif-old-")),
                      strangers=[], commands=[])
        return _watch
    yield watch
    _watch.clear()


@pytest.mark.parametrize("name", ["example", "search"])
def test_only_the_writer_writes_under_the_output_folder(site_copy, watched_output, name):
    site = site_copy(name).resolve()
    seen = watched_output(site)
    build(site, BuildOptions())
    write_note(site, "papers/new.md", "---\ntitle: New\ndate: 2025-12-01\n---\nA new note.\n")
    build(site, BuildOptions())  # in place this time, and the search index replaced
    build(site, BuildOptions(search_later=True)).index_search  # noqa: B018 - the job only
    assert seen["strangers"] == []
    out = str(site / "_site")
    indexed = [c for c in seen["commands"] if "--output-path" in c]
    if find_pagefind() is not None:
        assert len(indexed) == 2, "both builds indexed their pages for search"
    for command in indexed:
        if "--output-path" in command:
            staged = command[command.index("--output-path") + 1]
            assert not staged.startswith(out + os.sep), "Pagefind writes outside the output"


def test_the_watch_sees_a_stranger_writing(site_copy, watched_output):
    """The check above can fail: a write from outside the writer is caught."""
    site = site_copy("minimal").resolve()
    seen = watched_output(site)
    build(site, BuildOptions())
    (site / "_site" / "stray.txt").write_text("not the writer's")
    assert [event for event, _, _ in seen["strangers"]] == ["open"]


def _wait_for_removers() -> None:
    for remover in writer._removers:
        remover.wait(timeout=60)


def test_a_big_previous_output_is_removed_after_the_swap_in_the_background(site_copy,
                                                                           monkeypatch):
    monkeypatch.setattr(writer, "BACKGROUND_REMOVAL_FILES", 1)  # every site counts as big
    site = site_copy("minimal")
    build(site, BuildOptions(use_cache=False))
    started = len(writer._removers)
    write_note(site, "papers/later.md", "---\ntitle: Later\ndate: 2025-12-01\n---\nLater.\n")
    build(site, BuildOptions(use_cache=False))  # a full write over the previous output
    assert len(writer._removers) == started + 1
    _wait_for_removers()
    assert [p.name for p in site.iterdir() if p.name.startswith(".digestif-")] == []
    assert (site / "_site" / "papers" / "later" / "index.html").is_file()


def test_a_previous_output_left_beside_the_site_by_an_interrupted_build_is_removed(site_copy):
    site = site_copy("minimal")
    left = site / ".digestif-old-_site-1234-abcd"
    (left / "papers").mkdir(parents=True)
    (left / "papers" / "index.html").write_text("old")
    build(site, BuildOptions(use_cache=False))
    _wait_for_removers()
    assert not left.exists()
    assert (site / "_site" / "index.html").is_file()


# --- pages written as they are rendered -------------------------------------------------------

def _render_on_two_cores(monkeypatch) -> None:
    import digestif.render
    monkeypatch.setattr(digestif.render, "PARALLEL_PAGES", 1)
    monkeypatch.setattr(digestif.render.os, "cpu_count", lambda: 2)


def _leftovers(site: Path) -> list[str]:
    """Temporary files and folders of the writer, inside the output or beside it."""
    _wait_for_removers()
    inside = [str(p.relative_to(site)) for p in (site / "_site").rglob(".*.digestif-*")]
    beside = [p.name for p in site.iterdir() if p.name.startswith(".digestif-")
              and p.name != ".digestif-cache"]
    return inside + beside


@pytest.mark.parametrize("cores", [1, 2])
def test_pages_written_as_they_render_are_the_pages_rendered_in_memory(site_copy, monkeypatch,
                                                                       cores):
    """The build streams each page to the writer (from the worker that rendered it); the
    bytes are those the renderer returns when it keeps every page in memory."""
    from digestif.render import make_environment, page_jobs, render_pages
    if cores == 2:
        _render_on_two_cores(monkeypatch)
    site = site_copy("example")
    result = build(site, BuildOptions(use_cache=False))
    jobs = page_jobs(result.site)
    in_memory = render_pages(result.site, make_environment(site), jobs)
    assert len(in_memory) == len(jobs) > 40
    for path, data in in_memory.items():
        assert (site / "_site" / path).read_bytes() == data, path


@pytest.mark.parametrize("in_place", [False, True])
def test_a_page_that_fails_to_render_leaves_the_previous_output_as_it_was(site_copy,
                                                                          monkeypatch, in_place):
    """Note pages render (and are written to the writer's staging area) while the tag pages
    fail: every error is reported, nothing is swapped in, nothing temporary is left."""
    from conftest import snapshot
    _render_on_two_cores(monkeypatch)
    site = site_copy("example")
    options = BuildOptions(use_cache=in_place)
    build(site, options)
    before = snapshot(site / "_site")
    note = next((site / "content" / "papers").glob("*.md"))
    note.write_text(note.read_text(encoding="utf-8") + "\nOne more sentence.\n",
                    encoding="utf-8")
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates" / "tag.html").write_text("{{ page.no_such_field }}\n")
    with pytest.raises(BuildError) as caught:
        build(site, options)
    assert len(caught.value.problems) == 1 and "no_such_field" in str(caught.value.problems[0])
    assert snapshot(site / "_site") == before
    assert _leftovers(site) == []
    (site / "templates" / "tag.html").unlink()
    build(site, options)  # and the next build, with the template fixed, goes through
    assert "One more sentence." in "".join(
        p.read_text(encoding="utf-8") for p in (site / "_site" / "papers").rglob("*.html"))
    assert _leftovers(site) == []
