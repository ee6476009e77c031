"""Screenshots of the default theme, to look at after changing it (a script, not a test).

    python scripts/screenshots.py                      # the repository's example site
    python scripts/screenshots.py path/to/site --out shots/ --note lora --note qlora

Builds the site into a temporary folder, serves it on 127.0.0.1 and saves full-page PNGs of the
home page, a note, the biggest category and the digest at 390 px and 1280 px wide, in the light
and the dark colour scheme: ``<out>/<page>-<width>-<scheme>.png``.

Needs Chromium and its driver (``apt-get install chromium chromium-driver``) and Selenium
(``pip install selenium``); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

from digestif.build import BuildOptions, build
from digestif.model import Site

REPO = Path(__file__).resolve().parent.parent
WIDTHS = (390, 1280)
SCHEMES = ("light", "dark")
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    with tempfile.TemporaryDirectory(prefix="digestif-shots-") as temp:
        result = build(args.site, BuildOptions(out=Path(temp) / "site"))
        pages = pages_to_shoot(result.site, args.note, args.all)
        args.out.mkdir(parents=True, exist_ok=True)
        with serve(Path(temp) / "site") as origin, chromium(Path(temp) / "profile") as driver:
            for name, path in pages.items():
                for width in WIDTHS:
                    for scheme in SCHEMES:
                        target = args.out / f"{name}-{width}-{scheme}.png"
                        target.write_bytes(screenshot(driver, origin + path, width, scheme))
                        print(target)
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", type=Path, default=REPO,
                        help="site folder (default: the repository's example site)")
    parser.add_argument("--out", type=Path, default=Path("screenshots"),
                        help="where the PNGs go (default: screenshots/)")
    parser.add_argument("--note", action="append", default=[], metavar="SLUG",
                        help="a note to shoot (repeatable; default: the longest note)")
    parser.add_argument("--all", action="store_true",
                        help="also the archive, tag index, search and 404 pages")
    return parser.parse_args(argv)


def pages_to_shoot(site: Site, slugs: list[str], everything: bool = False) -> dict[str, str]:
    """Screenshot name -> site-relative URL path (starting with ``/``)."""
    if not site.notes:
        raise SystemExit("the site has no notes to show")
    by_slug = {view.note.slug: view for view in site.notes}
    unknown = [slug for slug in slugs if slug not in by_slug]
    if unknown:
        raise SystemExit(f"no note with slug {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(by_slug))}")
    notes = [by_slug[slug] for slug in slugs] or [max(site.notes, key=lambda v: len(v.html))]
    pages = {"home": site.url_for("")}
    pages.update({f"note-{view.note.slug}": view.url for view in notes})
    if site.categories:
        pages["category"] = site.categories[0].url
    pages["digest"] = site.url_for("digest/")
    if everything:
        word = site.notes[0].title.split()[0].strip(":,")
        pages.update(archive=site.url_for("archive/"), tags=site.url_for("tags/"),
                     search=site.url_for("search/") + "?q=" + quote(word),
                     missing=site.url_for("404.html"))
    return pages


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """The folder over HTTP on a free local port; yields ``http://127.0.0.1:PORT``."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature http.server calls
        pass


@contextmanager
def chromium(profile: Path):
    """A headless Chromium driven by Selenium, with a throw-away profile."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise SystemExit("selenium is not installed: pip install selenium") from None
    for program in (CHROMIUM, CHROMEDRIVER):
        if not Path(program).exists():
            raise SystemExit(f"{program} not found: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver, url: str, width: int, scheme: str) -> bytes:
    """A PNG of the whole page at this width and colour scheme."""
    import base64

    emulate(driver, width, 900, scheme)
    driver.get(url)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    emulate(driver, width, height, scheme)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    return base64.b64decode(shot["data"])


def emulate(driver, width: int, height: int, scheme: str) -> None:
    """Viewport size (a phone below 600 px) and ``prefers-color-scheme``."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": scheme}]})


if __name__ == "__main__":
    sys.exit(main())
