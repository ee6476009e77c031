"""The dev server, over real HTTP: each test starts a server on a free port and talks to it
with urllib, http.client or a raw socket."""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import feedparser
import html5lib
import pytest
import watchfiles

from conftest import copy_site, write_note
from digestif.console import Console
from digestif.serve import DevServer, ServeError, ServeOptions, change_kind, describe_changes
from digestif.serve_http import EVENTS_PATH
from test_search import fragments

WAIT_SECONDS = 20
NOTE = "---\ntitle: {title}\ndate: 2024-01-02\n---\nJust one paragraph.\n"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def get(url: str) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Status, headers and body, without following redirects or raising on 4xx/5xx."""
    try:
        with _opener.open(url, timeout=WAIT_SECONDS) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def raw_get(port: int, path: str) -> tuple[int, bytes]:
    """A request line sent byte for byte, as an attacker would (no client normalisation)."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest


def page(body: bytes):
    return html5lib.parse(body, treebuilder="etree", namespaceHTMLElements=False)


def title_of(body: bytes) -> str:
    return page(body).find(".//h1").text.strip()


def wait_for(check, what: str):
    """Poll ``check`` until it returns something true; fail after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    pytest.fail(f"gave up after {WAIT_SECONDS} s waiting for {what}")


@pytest.fixture
def start(tmp_path):
    """``start(site, **options)`` -> a running DevServer on a free port, stopped afterwards."""
    servers = []

    def make(site: Path, console: Console | None = None, **options) -> DevServer:
        server = DevServer(site, ServeOptions(port=0, **options), console)
        servers.append(server)
        server.start()
        return server
    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """One server on the example site, shared by the read-only tests."""
    site = copy_site("example", tmp_path_factory.mktemp("example"))
    (site / "static" / "fonts").mkdir(parents=True, exist_ok=True)
    (site / "static" / "fonts" / "body.woff2").write_bytes(b"wOF2fake")
    (site / "static" / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (site / "static" / "data.json").write_text('{"ok": true}')
    (site / "static" / "about.html").write_text("<!DOCTYPE html><title>About</title><h1>About</h1>")
    with DevServer(site, ServeOptions(port=0)) as server:
        yield site, server


def test_serves_note_pages_with_the_reload_script_only_in_responses(example):
    site, server = example
    status, headers, body = get(server.url + "papers/lora/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert title_of(body).startswith("LoRA")
    scripts = [s.get("id") for s in page(body).iter("script")]
    assert "digestif-live-reload" in scripts
    built = (server.output / "papers" / "lora" / "index.html").read_text(encoding="utf-8")
    assert "digestif-live-reload" not in built
    assert not (site / "_site").exists(), "serve must leave the user's output folder alone"


def test_folder_urls_serve_index_and_redirect_without_slash(example):
    _, server = example
    status, _, body = get(server.url)
    assert status == 200 and page(body).find(".//title").text == "Paper Bites"
    status, headers, _ = get(server.url + "papers/lora?x=1")
    assert status == 302
    assert headers["Location"] == "/papers/lora/?x=1"


def test_a_page_url_without_html_serves_the_html_file_as_github_pages_does(example):
    _, server = example
    status, _, body = get(server.url + "about")
    assert status == 200 and title_of(body) == "About"


def test_non_ascii_urls_are_served(example):
    _, server = example
    status, _, _ = get(server.url + "categories/%EC%B4%88%ED%95%B4%EC%83%81%EB%8F%84/")
    assert status == 200


def test_feed_is_xml_and_points_at_the_preview(example):
    _, server = example
    status, headers, body = get(server.url + "feed.xml")
    assert status == 200
    assert headers["Content-Type"].startswith("application/xml")
    feed = feedparser.parse(body)
    assert not feed.bozo and feed.entries
    assert all(entry.link.startswith(server.url) for entry in feed.entries)


@pytest.mark.parametrize(("path", "expected"), [
    ("data.json", "application/json"),
    ("logo.svg", "image/svg+xml"),
    ("fonts/body.woff2", "font/woff2"),
    ("assets/style.css", "text/css; charset=utf-8"),
    ("robots.txt", "text/plain; charset=utf-8"),
])
def test_content_types(example, path, expected):
    _, server = example
    status, headers, _ = get(server.url + path)
    assert (status, headers["Content-Type"]) == (200, expected)


def test_missing_page_is_the_sites_404_with_status_404(example):
    _, server = example
    status, headers, body = get(server.url + "papers/no-such-paper/")
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert title_of(body) == "Page not found"


def test_head_sends_headers_only(example):
    _, server = example
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT_SECONDS)
    connection.request("HEAD", "/feed.xml")
    response = connection.getresponse()
    assert response.status == 200 and int(response.headers["Content-Length"]) > 0
    assert response.read() == b""
    connection.close()


@pytest.mark.parametrize("path", [
    "/../secret.txt",
    "/papers/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/%2e%2e/secret.txt",
    "/papers/..%2f..%2fsecret.txt",
    "/.%2e/secret.txt",
    "//secret.txt",
])
def test_paths_leaving_the_output_folder_are_refused(example, path):
    _, server = example
    secret = server.output.parent / "secret.txt"
    secret.write_text("TOP SECRET")
    status, body = raw_get(server.port, path)
    assert status in (403, 404)
    assert b"TOP SECRET" not in body


def test_symlinks_pointing_out_of_the_output_are_refused(tmp_path, start):
    server = start(copy_site("minimal", tmp_path))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP SECRET")
    (server.output / "leak.txt").symlink_to(outside / "secret.txt")
    (server.output / "leakdir").symlink_to(outside, target_is_directory=True)
    for path in ("/leak.txt", "/leakdir/secret.txt"):
        status, _, body = get(f"{server.origin}{path}")
        assert status == 404 and b"TOP SECRET" not in body


def test_base_url_path_is_served_under_it_and_root_redirects(tmp_path, start):
    site = copy_site("minimal", tmp_path)
    toml = site / "site.toml"
    toml.write_text(toml.read_text().replace('"https://example.org/"',
                                             '"https://user.github.io/repo/"'))
    server = start(site)
    assert server.url == f"{server.origin}/repo/"
    for path in ("/", "/repo"):
        status, headers, _ = get(server.origin + path)
        assert (status, headers["Location"]) == (302, "/repo/")
    status, _, body = get(server.url)
    assert status == 200
    canonical = page(body).find(".//link[@rel='canonical']").get("href")
    assert canonical == server.url
    assert get(server.url + "papers/only/")[0] == 200
    assert get(server.origin + "/papers/only/")[0] == 404


def test_a_new_base_url_path_moves_the_preview_and_says_so(tmp_path, start):
    site = copy_site("minimal", tmp_path)
    out = io.StringIO()
    server = start(site, Console(stream=out, err_stream=out))
    toml = site / "site.toml"
    toml.write_text(toml.read_text().replace('"https://example.org/"',
                                             '"https://example.org/notes/"'))
    wait_for(lambda: get(server.origin + "/notes/papers/only/")[0] == 200, "the new path")
    assert get(server.origin + "/")[1]["Location"] == "/notes/"
    wait_for(lambda: f"now serving {server.origin}/notes/" in out.getvalue(), "the notice")
    assert "site.toml changed" in out.getvalue()


def test_drafts_are_served_only_with_the_option(tmp_path, start):
    site = copy_site("minimal", tmp_path)
    write_note(site, "papers/wip.md", "---\ntitle: Work in progress\ndate: 2024-02-01\n"
               "draft: true\n---\nSoon.\n")
    assert get(start(site).url + "papers/wip/")[0] == 404
    assert get(start(site, drafts=True).url + "papers/wip/")[0] == 200


def test_an_edit_rebuilds_and_prints_what_changed(tmp_path, start):
    site = copy_site("minimal", tmp_path)
    out = io.StringIO()
    server = start(site, Console(stream=out, err_stream=out))
    url = server.url + "papers/only/"
    assert title_of(get(url)[2]) == "Only note"
    write_note(site, "papers/only.md", NOTE.format(title="Retitled note"))
    wait_for(lambda: title_of(get(url)[2]) == "Retitled note", "the new title")
    wait_for(lambda: "content/papers/only.md changed: rebuilt 1 notes" in out.getvalue(),
             "the rebuild line")


def test_search_catches_up_with_an_edit_after_the_page_is_live(tmp_path, start):
    site = copy_site("minimal", tmp_path)
    server = start(site)
    if not (server.output / "pagefind").is_dir():
        pytest.skip("Pagefind is not installed here: pip install 'pagefind[extended]'")
    write_note(site, "papers/only.md", NOTE.format(title="Quokkaformer attention"))

    def indexed_words() -> str:
        with contextlib.suppress(OSError, ValueError):
            return " ".join(json.dumps(record) for record in fragments(server.output).values())
        return ""
    wait_for(lambda: "Quokkaformer" in indexed_words(), "the search index to have the edit")


def test_a_broken_note_shows_the_overlay_then_recovers(tmp_path, start):
    site = copy_site("minimal", tmp_path)
    out = io.StringIO()
    server = start(site, Console(stream=out, err_stream=out))
    url = server.url + "papers/only/"
    write_note(site, "papers/only.md", NOTE.replace("2024-01-02", "2024-13-45").format(
        title="Broken"))

    def overlay():
        status, _, body = get(url)
        found = page(body).find(".//*[@id='digestif-error-overlay']")
        return found is not None and (status, body, found)
    status, body, found = wait_for(overlay, "the error overlay")
    assert status == 200 and title_of(body) == "Only note", "the last good build stays"
    problem = found.find(".//li[@class='digestif-problem']")
    assert problem.get("data-file") == "content/papers/only.md"
    assert (problem.get("data-line"), problem.get("data-field")) == ("3", "date")
    assert "2024-13-45" in "".join(problem.itertext())
    assert "content/papers/only.md:3: date:" in out.getvalue()

    write_note(site, "papers/only.md", NOTE.format(title="Fixed"))
    body = wait_for(lambda: (b := get(url)[2]) and title_of(b) == "Fixed" and b, "recovery")
    assert page(body).find(".//*[@id='digestif-error-overlay']") is None


def test_a_site_that_never_built_shows_the_errors_everywhere(tmp_path, start):
    site = copy_site("minimal", tmp_path)
    write_note(site, "papers/only.md", "---\ntitle: [unclosed\ndate: 2024-01-02\n---\nx\n")
    server = start(site)
    status, _, body = get(server.origin + "/anything/")
    assert status == 500
    problem = page(body).find(".//li[@class='digestif-problem']")
    assert problem.get("data-file") == "content/papers/only.md"
    write_note(site, "papers/only.md", NOTE.format(title="Now valid"))
    wait_for(lambda: get(server.url + "papers/only/")[0] == 200, "the first good build")


def test_requests_wait_while_a_build_runs(tmp_path, start):
    server = start(copy_site("minimal", tmp_path))
    answered = threading.Event()
    with server.live.lock.writing():  # what rebuild() holds from start to swap
        threading.Thread(target=lambda: (get(server.url), answered.set()), daemon=True).start()
        assert not answered.wait(0.5), "a request was answered in the middle of a build"
    assert answered.wait(WAIT_SECONDS)


def test_pages_hear_about_each_build_over_server_sent_events(tmp_path, start):
    server = start(copy_site("minimal", tmp_path))
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT_SECONDS)
    connection.request("GET", EVENTS_PATH)
    response = connection.getresponse()
    assert response.headers["Content-Type"] == "text/event-stream"

    def next_build() -> str:
        while (line := response.fp.readline()) != b"":
            if line.startswith(b"data: "):
                return line.removeprefix(b"data: ").strip().decode()
        raise AssertionError("the event stream ended")
    first = next_build()
    assert first == server.live.generation
    server.rebuild(set())
    assert next_build() not in ("", first)
    connection.close()


def test_a_busy_port_gives_a_clear_message(tmp_path, start):
    site = copy_site("minimal", tmp_path)
    first = start(site)
    second = DevServer(site, ServeOptions(port=first.port))
    try:
        with pytest.raises(ServeError, match=f"port {first.port} .* already in use"):
            second.start()
    finally:
        second.stop()


@pytest.mark.parametrize("moment", ["idle", "during a rebuild"])
def test_the_command_prints_the_url_and_ctrl_c_stops_it_cleanly(tmp_path, moment):
    site = copy_site("minimal" if moment == "idle" else "example", tmp_path)
    scratch = tmp_path / "tmp"  # where the preview goes, to see that it is deleted
    scratch.mkdir()
    command = [sys.executable, "-m", "digestif", "serve", str(site), "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env={**os.environ, "NO_COLOR": "1",
                                               "TMPDIR": str(scratch)})
    try:
        lines = []
        while not (match := re.search(r"serving (http://\S+)", "".join(lines))):
            line = process.stdout.readline()
            assert line, f"the server exited: {''.join(lines)}"
            lines.append(line)
        assert match.group(1).startswith("http://127.0.0.1:")
        assert get(match.group(1))[0] == 200, "".join(lines)
        if moment == "during a rebuild":
            write_note(site, "papers/lora.md", NOTE.format(title="Interrupted"))
            time.sleep(0.2)  # past the settling wait: the rebuild has most likely begun
        process.send_signal(signal.SIGINT)
        assert process.wait(WAIT_SECONDS) == 0
        assert "stopped" in process.stdout.read()
        wait_for(lambda: not list(scratch.glob("digestif-serve-*")), "the preview's deletion")
    finally:
        process.kill()
        process.wait()


def test_change_kinds_and_the_rebuild_line(tmp_path):
    site = tmp_path
    kinds = {name: change_kind(site, site / name) for name in (
        "content/papers/a.md", "templates/note.html", "static/x.png", "site.toml",
        "_site/index.html", "content/.hidden.md", "README.md")}
    assert kinds == {"content/papers/a.md": "content", "templates/note.html": "templates",
                     "static/x.png": "static", "site.toml": "config", "_site/index.html": None,
                     "content/.hidden.md": None, "README.md": None}
    modified = watchfiles.Change.modified
    changes = {(modified, str(site / "content/a.md")), (modified, str(site / "site.toml")),
               (modified, str(site / "content/b.md"))}
    assert describe_changes(changes, site) == "3 files changed (config, content)"


def test_builds_run_in_a_worker_process_and_the_server_never_forks(tmp_path, start,
                                                                    monkeypatch):
    site = copy_site("minimal", tmp_path)
    server = start(site)
    worker = server._worker.pid
    assert worker not in (None, os.getpid())

    def no_fork():
        raise AssertionError("the server forked while its threads run")
    monkeypatch.setattr(os, "fork", no_fork)
    url = server.url + "papers/only/"
    write_note(site, "papers/only.md", NOTE.format(title="Built elsewhere"))
    wait_for(lambda: title_of(get(url)[2]) == "Built elsewhere", "the rebuild")
    server.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(worker, 0)
    assert not server.workdir.exists()


def test_a_site_large_enough_for_the_process_pool_builds_and_rebuilds(tmp_path, start):
    """From PARALLEL_THRESHOLD notes on, Markdown runs in a process pool inside the worker
    (a daemonic worker could not start one: the server crashed on every real collection)."""
    from digestif.build import PARALLEL_THRESHOLD
    site = copy_site("minimal", tmp_path)
    for index in range(PARALLEL_THRESHOLD):
        write_note(site, f"papers/bulk-{index:03d}.md", NOTE.format(title=f"Bulk {index}"))
    server = start(site)
    url = server.url + "papers/bulk-007/"
    assert title_of(get(url)[2]) == "Bulk 7"
    write_note(site, "papers/bulk-007.md", NOTE.format(title="Edited in the pool"))
    wait_for(lambda: title_of(get(url)[2]) == "Edited in the pool", "the rebuild")


def test_the_build_cache_is_written_after_the_page_is_live(tmp_path, start):
    """The worker saves .digestif-cache/ once it has been quiet a moment: a later serve or
    build starts from this edit, and the page did not wait for the save."""
    from digestif.incremental import CACHE_DIR
    site = copy_site("minimal", tmp_path)
    server = start(site)
    url = server.url + "papers/only/"

    def manifests() -> dict[Path, int]:
        return {p: p.stat().st_mtime_ns for p in (site / CACHE_DIR).glob("build-*.manifest")}
    wait_for(manifests, "the first build's cache")
    before = manifests()
    write_note(site, "papers/only.md", NOTE.format(title="Saved later"))
    wait_for(lambda: title_of(get(url)[2]) == "Saved later", "the new title")
    wait_for(lambda: manifests() != before, "the cache saved after the rebuild")
