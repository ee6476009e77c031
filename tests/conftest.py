"""Shared fixtures: copy a sample site from tests/sites/ into a temp folder, build it, and parse
what came out."""

from __future__ import annotations

import dataclasses
import functools
import gzip
import http.server
import importlib.util
import json
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import html5lib
import pytest

from digestif.build import BuildOptions, BuildResult, build

SITES = Path(__file__).parent / "sites"
REPO = Path(__file__).parent.parent


def copy_site(name: str, destination: Path) -> Path:
    """A fresh copy of tests/sites/<name> (or the repository's example site for "example")."""
    target = destination / name
    if name == "example":
        target.mkdir()
        shutil.copy(REPO / "site.toml", target / "site.toml")
        for folder in ("content", "templates", "static"):
            if (REPO / folder).is_dir():
                shutil.copytree(REPO / folder, target / folder)
    else:
        shutil.copytree(SITES / name, target)
    return target


def write_note(site: Path, relative: str, text: str) -> Path:
    path = site / "content" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def parse_html(path: Path):
    """An ElementTree of the page (namespace-free), parsed as browsers parse it."""
    return html5lib.parse(path.read_bytes(), treebuilder="etree", namespaceHTMLElements=False)


def search_fragments(out: Path) -> dict[str, dict]:
    """Pagefind's per-page records (gzipped JSON after a signature), by result URL, as search
    sees them: the full bundle's, less those its delta (pagefind/recent/) supersedes, plus the
    delta's. A URL found twice fails the test."""
    def read(folder: Path) -> dict[str, dict]:
        records = {}
        for path in folder.glob("*.pf_fragment") if folder.is_dir() else ():
            data = gzip.decompress(path.read_bytes())
            records[path.name.removesuffix(".pf_fragment")] = json.loads(data[data.index(b"{"):])
        return records
    by_id = read(out / "pagefind" / "fragment")
    recent = out / "pagefind" / "recent"
    if (recent / "digestif-recent.json").is_file():
        superseded = json.loads((recent / "digestif-recent.json").read_text())["superseded"]
        by_id = {key: value for key, value in by_id.items() if key not in superseded}
        by_id.update(read(recent / "fragment"))
    urls = [record["url"] for record in by_id.values()]
    assert len(urls) == len(set(urls)), f"a page is found twice: {sorted(urls)}"
    return {record["url"]: record for record in by_id.values()}


class RecordedResponse:
    """What ``urllib.request.urlopen`` returns, with recorded bytes: tests never use the
    network."""

    def __init__(self, data: bytes):
        self.data = data

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def read(self) -> bytes:
        return self.data


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes, to prove a failed build changed nothing."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def comparable_output(folder: Path) -> dict[str, object]:
    """The output's files and bytes, for comparing two builds: without the marker (it holds a
    build id), and Pagefind's bundle only by the records search sees, since its key order and
    hashed file names vary from run to run, and an edit may be indexed into a delta bundle."""
    files = snapshot(folder)
    kept: dict[str, object] = {path: data for path, data in files.items()
                               if path != ".digestif-output" and not path.startswith("pagefind/")}
    if (folder / "pagefind").is_dir():
        kept["pagefind records"] = search_fragments(folder)
    return kept


def cold_build_output(site: Path, tmp_path: Path) -> dict[str, object]:
    """What a cold build (no cache) of a copy of ``site`` produces, for comparing an
    incremental build with it."""
    from digestif.incremental import CACHE_DIR
    copy = tmp_path / "cold"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("_site", CACHE_DIR))
    build(copy, BuildOptions(use_cache=False))
    return comparable_output(copy / "_site")


@pytest.fixture
def site_copy(tmp_path):
    """``site_copy("minimal")`` -> path of a fresh copy of that sample site."""
    return lambda name: copy_site(name, tmp_path)


@pytest.fixture
def built(tmp_path):
    """``built("full", base_url=...)`` -> (site folder, BuildResult) after a successful build."""
    def make(name: str, **options) -> tuple[Path, BuildResult]:
        site = copy_site(name, tmp_path)
        return site, build(site, BuildOptions(**options))
    return make


# --- real browsers --------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# What lets Debian's Chromium run as root with no display and no network (its background
# connections are refused here, many at a time).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, with the command that fixes it; None if they can."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        return "chromium not installed: apt-get install chromium chromium-driver"
    if importlib.util.find_spec("selenium") is None:
        return "selenium not installed: pip install -e '.[test]'"
    return None


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Selenium through Debian's chromedriver (never a download)."""
    if reason := browser_missing():
        pytest.skip(reason)
    from selenium import webdriver

    profile = tempfile.mkdtemp(prefix="digestif-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(options=options,
                                  service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    except Exception as exc:  # a broken browser install is a reason to skip, not to fail
        shutil.rmtree(profile, ignore_errors=True)
        pytest.skip(f"chromium could not start: {exc}")
    driver.set_script_timeout(60)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextmanager
def static_server(folder: Path) -> Iterator[str]:
    """Serve ``folder`` (which may be filled later) on 127.0.0.1; yields the origin URL."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


ENGINES = ("python-markdown", "commonmark")


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch) -> str:
    """Runs a test once per Markdown engine: every note rendered during it, by the test or by a
    build, goes through this engine whatever its settings say. A test marked
    ``only_engine(name, reason=…)`` is of syntax only that engine reads, and is skipped, with
    the reason, for the other; one marked ``own_engine`` runs once with its own settings."""
    only = request.node.get_closest_marker("only_engine")
    if only is not None and request.param != only.args[0]:
        pytest.skip(f"{request.param} engine: {only.kwargs['reason']}")
    if request.node.get_closest_marker("own_engine"):  # the test's settings choose
        return "its own"  # collected once (pytest_collection_modifyitems)
    from digestif import markup

    make = markup._new_renderer
    monkeypatch.setattr(markup, "_renderers", {})
    monkeypatch.setattr(markup, "_new_renderer", lambda base_url, settings: make(
        base_url, dataclasses.replace(settings, engine=request.param)))
    return request.param


def pytest_collection_modifyitems(config, items) -> None:
    """A test marked ``own_engine`` sets the engine in its settings itself: it runs once, not
    once per value of the ``engine`` fixture."""
    kept, dropped = [], []
    for item in items:
        param = getattr(getattr(item, "callspec", None), "params", {}).get("engine")
        own = item.get_closest_marker("own_engine") is not None
        (dropped if own and param not in (None, ENGINES[0]) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
