"""``digestif check``: finds every planted broken link, names where it came from, passes a clean
site; ``--external`` against a local HTTP server (tests never use the network)."""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import pytest

from conftest import snapshot, write_note
from digestif.build import BuildOptions, build
from digestif.check import NoteSources, check_output, find_problems
from digestif.check_external import CACHE_FILE, check_urls
from digestif.check_scan import scan_html, scan_html_with_lines, scan_xml
from digestif.cli import main

BASE = "https://example.org/notes/"


def errors_of(text: str) -> list[str]:
    return [line.removeprefix("error: ") for line in text.splitlines()
            if line.startswith("error: ")]


def problems_in(pages: dict[str, str], files: set[str] = frozenset(), base: str = BASE):
    """Check an imaginary output: ``pages`` (path -> HTML) plus other ``files``."""
    scans = {path: scan_xml(text.encode()) if path.endswith(".xml") else scan_html(text)
             for path, text in pages.items()}
    report = find_problems(base, set(pages) | set(files), scans)
    return {(p.page, p.target): p.why for p in report.problems}


# --- the planted mistakes of tests/sites/broken ----------------------------------------------


def test_finds_the_planted_link_anchor_image_and_wiki_link_with_file_and_line(site_copy, capsys):
    site = site_copy("broken")
    assert main(["check", str(site)]) == 1
    reported = [e for e in errors_of(capsys.readouterr().err) if e.startswith("content/")]
    assert reported == [
        "content/papers/broken.md:8: papers/broken/index.html -> /notes/papers/missing/ (no such "
        "file in the output: papers/missing/index.html; also in categories/초해상도/feed.xml, "
        "feed.xml)",
        "content/papers/broken.md:10: papers/broken/index.html -> /notes/papers/good/#setup (no "
        'element with id "setup" on papers/good/index.html; also in categories/초해상도/feed.xml,'
        " feed.xml)",
        "content/papers/broken.md:12: papers/broken/index.html -> /notes/papers/chart.png (no "
        "such file in the output: papers/chart.png; also in categories/초해상도/feed.xml, "
        "feed.xml)",
        "content/papers/broken.md:14: papers/broken/index.html -> #nowhere ([[nowhere]] names no "
        'note: no note has the slug "nowhere"; also in categories/초해상도/feed.xml, feed.xml)',
    ]


def test_working_links_of_the_broken_site_are_not_reported(site_copy):
    """good.md has an image, a percent-encoded Korean URL, a wiki-link, footnotes, #top and
    #method, all under the /notes/ base path: none of them may be reported."""
    site = site_copy("broken")
    main(["build", str(site), "-q"])
    report = check_output(site / "_site", BASE)
    targets = {p.target for p in report.problems}
    assert {"/notes/papers/missing/", "/notes/papers/good/#setup", "/notes/papers/chart.png",
            "#nowhere"} <= targets
    working = ("figure.svg", "#method", "%EC%B4%88", "#fn", "#top", "papers/broken/")
    assert not [t for t in targets if any(part in t for part in working)]
    assert report.pages > 10 and report.links > 100


def test_the_example_site_passes(site_copy, capsys):
    site = site_copy("example")
    code = main(["check", str(site)])
    assert errors_of(capsys.readouterr().err) == []
    assert code == 0


def test_a_fixed_site_passes_and_says_so(site_copy, capsys):
    site = site_copy("minimal")
    write_note(site, "papers/other.md", "---\ntitle: Other\ndate: 2024-02-02\n---\n"
               "Back to [the only note](only.md#top) and [[only]].\n\n## Part\n\n"
               "See [part](#part).")
    code = main(["check", str(site)])
    out, err = capsys.readouterr()
    assert errors_of(err) == []
    assert code == 0
    assert "no broken links" in out


# --- what counts as broken ------------------------------------------------------------------


def test_links_under_the_base_path_resolve_and_others_do_not():
    page = ('<a href="/notes/papers/a/">ok</a> <a href="../a/">ok</a> <a href="/papers/a/">x</a>'
            '<a href="https://example.org/notes/papers/a/">ok</a> <a href="../../../up/">x</a>')
    found = problems_in({"papers/b/index.html": page}, {"papers/a/index.html"})
    assert found == {
        ("papers/b/index.html", "/papers/a/"):
            "outside the site, whose base_url path is /notes/",
        ("papers/b/index.html", "../../../up/"):
            "outside the site, whose base_url path is /notes/",
    }


def test_percent_encoded_unicode_paths_and_fragments_resolve():
    page = ('<a href="/notes/tags/%EC%96%B8%EC%96%B4/#%EB%B0%A9%EB%B2%95">ok</a>'
            '<a href="/notes/tags/%EC%96%B8%EC%96%B4/#%EC%97%86%EC%9D%8C">x</a>')
    target = '<h2 id="방법">방법</h2>'
    found = problems_in({"index.html": page, "tags/언어/index.html": target})
    assert found == {("index.html", "/notes/tags/%EC%96%B8%EC%96%B4/#%EC%97%86%EC%9D%8C"):
                     'no element with id "없음" on tags/언어/index.html'}


def test_every_kind_of_url_attribute_is_checked():
    page = ('<link rel="stylesheet" href="/notes/a.css"><script src="/notes/a.js"></script>'
            '<img src="/notes/b.png" srcset="/notes/c.png 1x, /notes/d.png 2x">'
            '<picture><source srcset="/notes/e.webp"></picture>'
            '<meta property="og:image" content="https://example.org/notes/f.png">'
            '<video poster="/notes/g.jpg"></video>')
    found = problems_in({"index.html": page}, {"a.css", "b.png"})
    assert {target for _, target in found} == {
        "/notes/a.js", "/notes/c.png", "/notes/d.png", "/notes/e.webp",
        "https://example.org/notes/f.png", "/notes/g.jpg"}


def test_what_is_not_checked_here():
    page = ('<a href="mailto:a@b.org">m</a><a href="https://elsewhere.org/x">e</a>'
            '<link rel="preconnect" href="https://example.org/nothing-here">'
            '<a href="#top">top</a><a href="#">self</a><a href="">self</a>'
            '<a href="/notes/papers/a">no slash</a><a href="?page=2">query</a>')
    assert problems_in({"index.html": page}, {"papers/a/index.html"}) == {}


def test_anchors_on_this_page_and_other_pages():
    page = ('<h2 id="here">H</h2><a name="legacy"></a><a href="#here">1</a><a href="#legacy">2'
            '</a><a href="#gone">3</a><a href="/notes/other/#there">4</a>'
            '<a href="/notes/other/#nope">5</a><a href="/notes/doc.pdf#page=2">6</a>')
    found = problems_in({"index.html": page, "other/index.html": '<p id="there">'}, {"doc.pdf"})
    assert found == {("index.html", "#gone"): 'no element with id "gone" on this page',
                     ("index.html", "/notes/other/#nope"):
                         'no element with id "nope" on other/index.html'}


def test_an_unresolved_relative_note_link_is_named_as_such():
    page = '<a href="#content%2Fpapers%2Fgone.md">gone</a>'
    assert problems_in({"index.html": page}) == {
        ("index.html", "#content%2Fpapers%2Fgone.md"):
            "links to content/papers/gone.md, which is not a note in content/"}


def test_relative_links_on_the_404_page_are_broken_wherever_it_is_served():
    found = problems_in({"index.html": '<a href="digest/">fine here</a>',
                         "404.html": '<a href="digest/">d</a><a href="/notes/digest/">ok</a>',
                         "zz.html": '<a href="digest/">fine here too</a>'}, {"digest/index.html"})
    assert list(found) == [("404.html", "digest/")]


def test_feed_and_sitemap_links_are_checked_and_bad_xml_is_reported():
    feed = ('<feed xmlns="http://www.w3.org/2005/Atom"><link href="https://example.org/notes/"/>'
            '<entry><link href="https://example.org/notes/papers/gone/"/><content type="html">'
            '&lt;img src="https://example.org/notes/x.png"&gt;</content></entry></feed>')
    sitemap = ('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>'
               "https://example.org/notes/archive/</loc></url></urlset>")
    found = problems_in({"feed.xml": feed, "sitemap.xml": sitemap, "bad.xml": "<a><b></a>",
                         "index.html": ""})
    assert set(found) == {("feed.xml", "https://example.org/notes/papers/gone/"),
                          ("feed.xml", "https://example.org/notes/x.png"),
                          ("sitemap.xml", "https://example.org/notes/archive/"), ("bad.xml", "")}
    assert found[("bad.xml", "")].startswith("not well-formed XML")


def test_a_link_shared_by_many_pages_is_reported_once():
    pages = {f"p{i}/index.html": '<a href="/notes/gone/">x</a>' for i in range(6)}
    report = find_problems(BASE, set(pages), {p: scan_html(t) for p, t in pages.items()})
    [problem] = report.problems
    assert len(problem.others) == 5
    assert str(problem) == ("p0/index.html:1 -> /notes/gone/ (no such file in the output: "
                            "gone/index.html; also on 5 other pages)")


@pytest.mark.parametrize("name", ["broken", "example", "dialect"])
def test_the_fast_parser_finds_what_html_parser_finds_in_the_same_order(site_copy, name):
    """Pages are scanned with Lexbor, and a reported link's line is found by reading its page
    again with html.parser: both must meet the same ids and links, in the same order."""
    out = build(site_copy(name), BuildOptions()).config.output_path
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        text = page.read_text(encoding="utf-8")
        fast, slow = scan_html(text), scan_html_with_lines(text)
        assert fast.ids == slow.ids, page
        assert [(link.url, link.wiki) for link in fast.links] == \
            [(link.url, link.wiki) for link in slow.links], page


def test_a_broken_link_the_template_wrote_is_reported_with_its_page_line():
    page = "<!doctype html>\n<html>\n<head><title>t</title></head>\n<body>\n<p id=a>x</p>\n" \
           '<a href="#a">fine</a>\n<img src="gone.png" alt="">\n</body></html>\n'
    [problem] = find_problems(BASE, {"p/index.html"}, {"p/index.html": scan_html(page)}).problems
    assert str(problem).startswith("p/index.html:7 -> gone.png (")


def test_note_sources_name_the_line_the_link_was_written_on(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.md").write_text("---\ntitle: A\nlinks:\n  code: /notes/gone/\n"
                                               "---\nText\n\n![x](img/chart%20one.png)\n")
    page = '<a href="/notes/gone/">c</a><img src="/notes/img/chart%20one.png"><a href="/x/">t</a>'
    scans = {"a/index.html": scan_html(page)}
    report = find_problems(BASE, set(scans), scans,
                           NoteSources(tmp_path, {"a/index.html": "content/a.md"}))
    assert [(p.source, p.line, p.target) for p in report.problems] == [
        ("content/a.md", 4, "/notes/gone/"),
        ("content/a.md", 8, "/notes/img/chart%20one.png"),
        (None, None, "/x/"),  # not in the note: the template wrote it
    ]


# --- the command ----------------------------------------------------------------------------


def test_no_build_checks_the_last_output_as_it_is(site_copy, capsys):
    site = site_copy("broken")
    assert main(["build", str(site), "-q"]) == 0
    (site / "_site" / "papers" / "good" / "index.html").unlink()
    before = snapshot(site / "_site")
    assert main(["check", str(site), "--no-build"]) == 1
    errors = errors_of(capsys.readouterr().err)
    assert any(e.startswith("content/papers/broken.md:16: papers/broken/index.html -> "
                            "/notes/papers/good/#method (no such file") for e in errors)
    assert snapshot(site / "_site") == before


def test_no_build_without_a_build_says_what_to_do(site_copy, capsys):
    site = site_copy("minimal")
    assert main(["check", str(site), "--no-build"]) == 1
    assert "holds no digestif build; run 'digestif build' first" in capsys.readouterr().err


def test_a_failing_build_fails_the_check(site_copy, capsys):
    site = site_copy("minimal")
    write_note(site, "papers/bad.md", "---\ntitle: [x]\ndate: 2024-01-01\n---\n")
    assert main(["check", str(site)]) == 1
    err = capsys.readouterr().err
    assert "content/papers/bad.md:2: title: expected text" in err
    assert "the build failed, so nothing was checked" in err


# --- --external, against a server on this machine --------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: list[tuple[str, str]] = []

    def _answer(self) -> None:
        self.hits.append((self.command, self.path))
        path = self.path
        if path == "/slow":
            time.sleep(2)
        status = {"/ok": 200, "/missing": 404, "/limited": 429, "/redirect": 301,
                  "/slow": 200}.get(path, 200)
        if path == "/no-head" and self.command == "HEAD":
            status = 405
        self.send_response(status)
        if status == 301:
            self.send_header("Location", "/ok")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET = _answer  # noqa: N815 - http.server's API

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    _Handler.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def test_external_links_head_then_get_timeout_and_summary(site_copy, server, capsys):
    site = site_copy("minimal")
    links = "\n".join(f"- [{name}]({server}/{name})" for name in
                      ("ok", "missing", "no-head", "redirect", "slow", "limited"))
    # A summary keeps the list on the note's page: a note that is only bullets shows them in
    # the digest and on list pages too, and each link would be "on 4 other pages".
    write_note(site, "papers/web.md",
               f"---\ntitle: Web\ndate: 2024-02-02\nsummary: Links.\n---\n{links}\n")
    assert main(["check", str(site), "--external", "--timeout", "0.5"]) == 1
    out, err = capsys.readouterr()
    errors = errors_of(err)
    assert errors[:2] == [
        f"content/papers/web.md:7: papers/web/index.html -> {server}/missing (HTTP 404 Not Found; "
        "also in feed.xml)",
        f"content/papers/web.md:10: papers/web/index.html -> {server}/slow (no answer within 0.5 s;"
        " also in feed.xml)"]
    assert not [e for e in errors if "/ok" in e or "/no-head" in e or "/redirect" in e]
    assert (f"warning: content/papers/web.md:11: papers/web/index.html -> {server}/limited "
            "(rate limited (HTTP 429), not counted as broken; also in feed.xml)") in err
    assert "external links: 6 URLs: 3 answered, 2 broken, 1 rate-limited" in out
    assert ("HEAD", "/no-head") in _Handler.hits and ("GET", "/no-head") in _Handler.hits
    assert ("GET", "/slow") not in _Handler.hits, "a timeout is not asked twice"


def test_answers_are_cached_for_a_day_and_failures_are_asked_again(tmp_path, server):
    urls = [f"{server}/ok", f"{server}/missing"]
    now = 1_000_000.0
    first = check_urls(urls, tmp_path, timeout=2, clock=lambda: now)
    assert [r.ok for r in first] == [True, False]
    assert (tmp_path / CACHE_FILE).is_file()
    _Handler.hits.clear()
    again = check_urls(urls, tmp_path, timeout=2, clock=lambda: now + 3600)
    assert [(r.ok, r.cached) for r in again] == [(True, True), (False, False)]
    assert [path for _, path in _Handler.hits] == ["/missing", "/missing"]  # HEAD, then GET
    _Handler.hits.clear()
    check_urls(urls, tmp_path, timeout=2, clock=lambda: now + 2 * 86400)
    assert "/ok" in [path for _, path in _Handler.hits], "a day later it is asked again"


def test_an_unreadable_cache_is_ignored(tmp_path, server):
    (tmp_path / CACHE_FILE).write_text("{not json")
    [result] = check_urls([f"{server}/ok"], tmp_path, timeout=2)
    assert result.ok and not result.cached


def test_external_urls_are_collected_once_per_url(tmp_path):
    pages = {"a.html": '<a href="https://x.org/p#one">1</a><a href="https://x.org/p#two">2</a>',
             "b.html": '<a href="https://x.org/p">3</a><a href="http://y.org/">4</a>'}
    report = find_problems(BASE, set(pages), {p: scan_html(t) for p, t in pages.items()})
    assert sorted(report.external) == ["http://y.org/", "https://x.org/p"]
    assert len(report.external["https://x.org/p"]) == 3


def test_check_writes_nothing_but_the_output_and_the_cache(site_copy, server):
    site = site_copy("minimal")
    write_note(site, "papers/web.md",
               f"---\ntitle: Web\ndate: 2024-02-02\n---\n[ok]({server}/ok)\n")
    before = {p for p in site.rglob("*") if "_site" not in p.parts}
    assert main(["check", str(site), "-q", "--external"]) == 0
    after = {p for p in site.rglob("*") if "_site" not in p.parts}
    new = {p.relative_to(site).as_posix() for p in after - before}
    assert f".digestif-cache/{CACHE_FILE}" in new
    assert {p for p in new if not p.startswith(".digestif-cache")} == set()


def test_check_is_a_documented_command(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = capsys.readouterr().out
    for option in ("--external", "--no-build", "--timeout", "--drafts", "--base-url"):
        assert option in out
    assert Path(__file__).parent.parent.joinpath("docs", "check.md").is_file()
