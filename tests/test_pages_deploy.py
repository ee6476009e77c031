"""Publishing on GitHub Pages: the workflow, the files Pages needs, and a project page
(https://user.github.io/repo/) served from a parent folder with no broken internal link."""

from __future__ import annotations

import functools
import html
import http.server
import json
import re
import shlex
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import lxml.html
import pytest
import yaml
from lxml import etree

from conftest import REPO, copy_site
from digestif import __version__
from digestif.build import BuildOptions, build
from digestif.cli import main
from digestif.scaffold import (
    REPOSITORY_INSTALL,
    init_site,
    install_requirement,
    pages_workflow,
    site_install,
)

PUBLIC_ROOT = "https://user.github.io/"
PROJECT = "repo"
BASE_URL = f"{PUBLIC_ROOT}{PROJECT}/"


# ---------------------------------------------------------------------------- the workflow


def load_workflow(text: str) -> dict:
    workflow = yaml.safe_load(text)
    # YAML 1.1 reads the key `on` as true; GitHub reads it as "on".
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


@pytest.fixture(params=["repository", "init"])
def workflow(request, tmp_path) -> dict:
    """The repository's own workflow file and the one `digestif init` writes."""
    if request.param == "repository":
        path = REPO / ".github/workflows/pages.yml"
    else:
        init_site(tmp_path / "site")
        path = tmp_path / "site/.github/workflows/pages.yml"
    return load_workflow(path.read_text(encoding="utf-8"))


def step_using(steps: list[dict], action: str) -> dict:
    [step] = [s for s in steps if s.get("uses", "").startswith(action + "@")]
    return step


def test_workflow_runs_on_push_to_main_and_by_hand(workflow):
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in workflow["on"]


def test_workflow_may_deploy_to_pages_one_run_at_a_time(workflow):
    assert workflow["permissions"]["pages"] == "write"
    assert workflow["permissions"]["id-token"] == "write"
    assert workflow["concurrency"]["group"]


def test_workflow_builds_strictly_with_the_pages_url_then_checks_and_uploads(workflow):
    steps = workflow["jobs"]["build"]["steps"]
    order = [s.get("uses", "").split("@")[0] or s["run"].split()[0:2] for s in steps]
    assert order[:2] == ["actions/checkout", "actions/setup-python"]
    python = step_using(steps, "actions/setup-python")["with"]
    assert python["cache"] == "pip" and python["cache-dependency-path"]
    pages = step_using(steps, "actions/configure-pages")
    runs = [s["run"] for s in steps if "run" in s]
    [build_run] = [r for r in runs if r.startswith("digestif build")]
    assert "--strict" in build_run
    assert f'--base-url "${{{{ steps.{pages["id"]}.outputs.base_url }}}}/"' in build_run
    [check_run] = [r for r in runs if r.startswith("digestif check")]
    # Without --no-build, check would rebuild with site.toml's base_url before the upload.
    assert "--no-build" in check_run and build_run.split("--base-url")[1] in check_run
    cache = step_using(steps, "actions/cache")
    assert cache["with"]["path"] == ".digestif-cache"
    upload = step_using(steps, "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "_site"
    position = {name: steps.index(step) for name, step in [
        ("configure", pages), ("cache", cache), ("upload", upload)]}
    position["build"] = next(i for i, s in enumerate(steps) if s.get("run") == build_run)
    position["check"] = next(i for i, s in enumerate(steps) if s.get("run") == check_run)
    assert position["configure"] < position["build"] and position["cache"] < position["build"]
    assert position["build"] < position["check"] < position["upload"]


def test_workflow_deploys_after_the_build(workflow):
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    step = step_using(deploy["steps"], "actions/deploy-pages")
    assert deploy["environment"]["url"] == f"${{{{ steps.{step['id']}.outputs.page_url }}}}"


def test_the_workflows_digestif_commands_publish_a_checked_project_page(tmp_path, monkeypatch):
    site = tmp_path / "site"
    init_site(site)
    workflow = load_workflow((site / ".github/workflows/pages.yml").read_text(encoding="utf-8"))
    commands = [s["run"].replace("${{ steps.pages.outputs.base_url }}", BASE_URL.rstrip("/"))
                for s in workflow["jobs"]["build"]["steps"]
                if s.get("run", "").startswith("digestif ")]
    monkeypatch.chdir(site)
    for command in commands:
        assert main(shlex.split(command)[1:] + ["-q"]) == 0, command
    # What the upload step publishes carries the Pages address, not site.toml's localhost.
    home = (site / "_site/index.html").read_text(encoding="utf-8")
    assert f'href="/{PROJECT}/feed.xml"' in home and "localhost" not in home


def test_repository_workflow_is_the_init_template_installing_this_checkout():
    text = (REPO / ".github/workflows/pages.yml").read_text(encoding="utf-8")
    assert text == pages_workflow(REPOSITORY_INSTALL), \
        "regenerate it: python -c 'from digestif.scaffold import *; " \
        "print(pages_workflow(REPOSITORY_INSTALL), end=\"\")' > .github/workflows/pages.yml"
    install = [s["run"] for s in load_workflow(text)["jobs"]["build"]["steps"]
               if s.get("name") == "Install digestif"]
    assert install == ["pip install ."]


def test_init_workflow_pins_the_digestif_version_that_created_the_site():
    steps = load_workflow(pages_workflow(site_install("")))["jobs"]["build"]["steps"]
    assert f'pip install "digestif=={__version__}"' in [s.get("run") for s in steps]
    assert step_using(steps, "actions/setup-python")["with"]["cache-dependency-path"] == \
        "site.toml"
    assert "__" not in pages_workflow(site_install(""))


def git_origin(url: str, revision: str = "v" + __version__) -> str:
    return json.dumps({"url": url, "vcs_info": {"vcs": "git", "commit_id": "0" * 40,
                                                "requested_revision": revision}})


def test_a_digestif_installed_from_git_pins_that_repository_and_tag():
    requirement = install_requirement(git_origin("https://github.com/someone/digestif"))
    assert requirement == f"digestif @ git+https://github.com/someone/digestif@v{__version__}"


def test_a_digestif_installed_from_a_branch_pins_the_commit_it_was_installed_at():
    requirement = install_requirement(git_origin("https://github.com/someone/digestif", "main"))
    assert requirement.endswith("@" + "0" * 40)


def test_a_token_in_the_clone_url_never_reaches_the_workflow():
    origin = git_origin("https://x-access-token:SECRET@github.com/someone/digestif")
    assert "SECRET" not in pages_workflow(site_install(origin))
    assert "git+https://github.com/someone/digestif@" in pages_workflow(site_install(origin))


@pytest.mark.parametrize("origin", [
    "", "not json", json.dumps({"url": "file:///tmp/digestif", "dir_info": {"editable": True}}),
    json.dumps({"url": "file:///tmp/digestif-0.1.0-py3-none-any.whl", "archive_info": {}}),
])
def test_a_local_or_index_install_pins_the_released_version(origin):
    assert install_requirement(origin) == f"digestif=={__version__}"


# ---------------------------------------------------------------------------- Pages files


def test_build_writes_nojekyll_so_pages_serves_files_as_they_are(built):
    _, result = built("minimal")
    nojekyll = result.config.output_path / ".nojekyll"
    assert nojekyll.is_file() and nojekyll.read_bytes() == b""


def test_build_writes_cname_when_site_toml_sets_a_domain(site_copy):
    site = site_copy("minimal")
    with (site / "site.toml").open("a", encoding="utf-8") as toml:
        toml.write('cname = "papers.example.org"\n')
    result = build(site)
    assert (result.config.output_path / "CNAME").read_text(encoding="utf-8").strip() == \
        "papers.example.org"


def test_build_writes_no_cname_without_a_domain(built):
    _, result = built("minimal")
    assert not (result.config.output_path / "CNAME").exists()


# ---------------------------------------------------------------------------- project page


class PagesLikeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files like GitHub Pages: index.html for folders, 404 for a folder without one
    (instead of a listing that would hide a broken link)."""

    def list_directory(self, path):
        self.send_error(404)
        return None

    def log_message(self, format, *args):
        pass


@contextmanager
def serve(root: Path) -> Iterator[str]:
    handler = functools.partial(PagesLikeHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# The local server must be reached directly even where an HTTP proxy is configured.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> tuple[int, str, bytes]:
    parts = urlsplit(url)
    url = parts._replace(path=quote(unquote(parts.path), safe="/")).geturl()
    try:
        with _OPENER.open(url, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, "", b""


_SITE_URL = re.compile(re.escape(PUBLIC_ROOT) + r"[^\s\"'<>(){}\\]*")
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")
_URL_ATTRIBUTES = ("href", "src", "action", "poster")


def parse_markup(markup: bytes | str):
    """An HTML tree; lxml rather than html5lib because the crawl parses hundreds of pages."""
    if isinstance(markup, str):
        return lxml.html.fromstring(f"<div>{markup}</div>")
    return lxml.html.document_fromstring(markup)


def html_links(tree) -> Iterator[str]:
    for element in tree.iter():
        for name, value in element.attrib.items():
            if name in _URL_ATTRIBUTES:
                yield value
            elif name == "srcset":
                yield from (item.split()[0] for item in value.split(",") if item.strip())
        if element.tag == "style" and element.text:
            yield from _CSS_URL.findall(element.text)


def html_url_prefixes(tree) -> Iterator[str]:
    """Site paths scripts get from data-* attributes (``data-bundle="/repo/pagefind/"``):
    URL prefixes rather than pages, so they must carry the project path but need not exist."""
    for element in tree.iter():
        for name, value in element.attrib.items():
            if name.startswith("data-") and value.startswith(("/", PUBLIC_ROOT)):
                yield value


def xml_links(body: bytes) -> Iterator[str]:
    root = etree.fromstring(body)
    for element in root.iter("{*}link"):
        if element.get("href"):
            yield element.get("href")
    for element in root.iter("{*}loc"):
        yield element.text.strip()
    for element in root.iter("{*}content", "{*}summary"):
        if element.get("type") == "html" and element.text:
            yield from html_links(parse_markup(element.text))


def links_in(content_type: str, path: str, body: bytes, tree=None) -> Iterator[str]:
    """Every URL a resource points to; absolute site URLs are found in any text format."""
    if tree is not None:
        yield from html_links(tree)
    elif content_type == "text/css":
        yield from _CSS_URL.findall(body.decode("utf-8"))
    elif path.endswith(".xml"):
        yield from xml_links(body)
    if content_type.startswith("text/") or path.endswith((".xml", ".json", ".bib", ".txt")):
        yield from (html.unescape(url) for url in _SITE_URL.findall(body.decode("utf-8")))


class Crawler:
    """Follows every internal link of a site served under ``/repo/`` and records failures."""

    def __init__(self, server: str):
        self.server = server
        self.seen: set[str] = set()
        self.broken: list[str] = []

    def local(self, link: str, page: str) -> str | None:
        """The server URL of ``link`` on public page ``page``; None when external."""
        target = urljoin(page, link.strip())
        if target.startswith(("mailto:", "javascript:", "data:", "tel:")):
            return None
        if not target.startswith(PUBLIC_ROOT):
            return None
        path = urlsplit(target).path
        if not path.startswith(f"/{PROJECT}/"):
            self.broken.append(f"{page}: {link} leaves the project path /{PROJECT}/")
            return None
        return self.server + path.lstrip("/")

    def public(self, url: str) -> str:
        return PUBLIC_ROOT + url.removeprefix(self.server)

    def crawl(self, start: str, served_at: str | None = None) -> None:
        """Visit ``start`` (and everything it links to); ``served_at`` is the public URL the
        page is shown under when that differs (404.html appears at any missing URL)."""
        queue = [(start, served_at)]
        while queue:
            url, shown_at = queue.pop()
            if shown_at is None and url in self.seen:
                continue
            self.seen.add(url)
            status, content_type, body = fetch(url)
            if status != 200:
                self.broken.append(f"{url}: HTTP {status}")
                continue
            page = shown_at or self.public(url)
            tree = parse_markup(body) if content_type == "text/html" else None
            for prefix in html_url_prefixes(tree) if tree is not None else ():
                self.local(prefix, page)
            for link in links_in(content_type, urlsplit(url).path, body, tree):
                if not link.strip() or link.strip().startswith("#"):
                    continue  # this very page
                target = self.local(link, page)
                if target is None:
                    continue
                target = target.split("#")[0].split("?")[0]
                if target not in self.seen:
                    queue.append((target, None))

    def check_search_bundle(self, html_url: str) -> None:
        """The search script loads ``pagefind.js`` from the bundle URL the page gives."""
        _, _, body = fetch(html_url)
        for element in parse_markup(body).iter():
            bundle = element.get("data-bundle")
            if bundle:
                for name in ("pagefind.js", "pagefind-entry.json"):
                    self.crawl(self.local(bundle + name, self.public(html_url)) or "")


def project_page(site: Path, tmp_path: Path) -> Path:
    """Build ``site`` for https://user.github.io/repo/ into ``<served>/repo/``."""
    served = tmp_path / "served"
    build(site, BuildOptions(base_url=BASE_URL, out=served / PROJECT))
    return served


@pytest.mark.parametrize("name", ["example", "init"])
def test_project_page_has_no_broken_internal_link(tmp_path, name):
    if name == "example":
        site = copy_site("example", tmp_path)
    else:
        site = tmp_path / "init"
        init_site(site)
    served = project_page(site, tmp_path)
    output = served / PROJECT
    with serve(served) as server:
        crawler = Crawler(server)
        crawler.crawl(server + f"{PROJECT}/")
        # Every generated file is a starting point too, so pages nothing links to are checked.
        for path in sorted(output.rglob("*")):
            relative = path.relative_to(output).as_posix()
            if path.suffix in (".html", ".xml", ".json", ".txt", ".css") and \
                    not relative.startswith(".") and relative != "404.html":
                crawler.crawl(server + f"{PROJECT}/" + relative)
        # GitHub Pages shows 404.html at whatever missing URL was asked for.
        crawler.crawl(server + f"{PROJECT}/404.html",
                      served_at=f"{BASE_URL}some/deep/missing/page/")
        crawler.check_search_bundle(server + f"{PROJECT}/")
    assert not crawler.broken, "\n".join(crawler.broken)
    assert len(crawler.seen) > 10


def test_crawler_notices_a_link_that_misses_the_project_path(tmp_path):
    # The crawl above passing means something only if it fails on the mistake it looks for.
    site = tmp_path / "init"
    init_site(site)
    served = project_page(site, tmp_path)
    page = served / PROJECT / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "</body>", '<a href="/assets/style.css">x</a><a href="missing/">y</a></body>'),
        encoding="utf-8")
    with serve(served) as server:
        crawler = Crawler(server)
        crawler.crawl(server + f"{PROJECT}/")
    assert any("leaves the project path" in problem for problem in crawler.broken)
    assert any(problem.endswith("repo/missing/: HTTP 404") for problem in crawler.broken)
