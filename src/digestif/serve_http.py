"""The dev server's HTTP side: serve the preview folder the way GitHub Pages would, plus a
live-reload channel and an error overlay that exist only here, never in the built files.

:class:`LiveSite` is the state shared between builds and requests. A build holds its write lock
from start to swap, so a request never sees half a site: it waits for the build to finish.
Files are read into memory while holding the read lock, so a swap cannot happen mid-response.
"""

from __future__ import annotations

import html
import json
import logging
import mimetypes
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from .errors import Problem
from .theme import THEME_DIR

log = logging.getLogger(__name__)

# Outside any base_url path, so it can never collide with a page of the site.
EVENTS_PATH = "/__digestif__/events"
KEEPALIVE_SECONDS = 15

# Set explicitly: mimetypes depends on the machine's /etc/mime.types and misses some of these.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".pdf": "application/pdf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".wasm": "application/wasm",
}


def content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class ReadWriteLock:
    """Many requests at once, or one build; a waiting build goes before new requests."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._writing and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._changed:
                self._readers -= 1
                self._changed.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._changed:
            self._writers_waiting += 1
            self._changed.wait_for(lambda: not self._writing and not self._readers)
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._changed:
                self._writing = False
                self._changed.notify_all()


@dataclass(frozen=True)
class View:
    """What one request sees: the state of the preview when it arrived."""

    root: Path
    base_path: str
    generation: str
    problems: tuple[Problem, ...]
    built: bool


class LiveSite:
    """The preview folder, the outcome of the last build, and a generation that changes on
    every build so open pages know to reload."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base_path = "/"
        self.problems: tuple[Problem, ...] = ()
        self.built = False
        self.lock = ReadWriteLock()
        self._published = threading.Condition()
        # A new token per server: a page from a previous run reloads when this one starts.
        self._token = secrets.token_hex(4)
        self._count = 0
        self._stopping = False

    @property
    def generation(self) -> str:
        return f"{self._token}-{self._count}"

    @contextmanager
    def reading(self) -> Iterator[View]:
        with self.lock.reading():
            yield View(self.root, self.base_path, self.generation, self.problems, self.built)

    def publish(self, *, built: bool, problems: tuple[Problem, ...] = (),
                base_path: str | None = None) -> None:
        """Record a build's outcome (call while holding ``lock.writing()``); pages reload."""
        self.built = self.built or built
        self.problems = problems
        if base_path is not None:
            self.base_path = base_path
        with self._published:
            self._count += 1
            self._published.notify_all()

    def wait_for_generation(self, seen: str | None, timeout: float) -> str | None:
        """The generation once it differs from ``seen`` (or after ``timeout``); None: stopping."""
        with self._published:
            self._published.wait_for(lambda: self._stopping or self.generation != seen, timeout)
            return None if self._stopping else self.generation

    def stop(self) -> None:
        with self._published:
            self._stopping = True
            self._published.notify_all()


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    page: bool = False
    """An HTML page of the site (or the error page): gets the reload script and overlay."""


def route(view: View, target: str) -> Response:
    """The response to a GET of ``target`` (path and query, as in the request line)."""
    url = urlsplit(target)
    query = f"?{url.query}" if url.query else ""
    try:
        path = unquote(url.path, errors="strict")
    except UnicodeDecodeError:
        return Response(400, b"400 bad request: the path is not UTF-8\n")
    if not path.startswith("/") or "\0" in path or \
            any(part in (".", "..") for part in path.split("/")):
        return Response(403, b"403 forbidden: the path leaves the site folder\n")
    if not view.built:
        return Response(500, _error_page(), CONTENT_TYPES[".html"], page=True)
    base = unquote(view.base_path)
    if not path.startswith(base):
        if path in ("/", base.rstrip("/")):
            return _redirect(view.base_path + query)
        return _not_found(view)
    return _file_response(view, path, query)


def _file_response(view: View, path: str, query: str) -> Response:
    root = view.root.resolve()
    wanted = root / path[len(unquote(view.base_path)):].lstrip("/")
    found = _inside(root, wanted)
    if found is not None and found.is_dir():
        if not path.endswith("/"):
            return _redirect(quote(path + "/") + query)
        found = _inside(root, found / "index.html")
    elif (found is None or not found.exists()) and not path.endswith("/"):
        # GitHub Pages serves /about from about.html.
        found = _inside(root, wanted.with_name(wanted.name + ".html"))
    if found is None or not found.is_file():
        return _not_found(view)
    name = found.name
    return Response(200, found.read_bytes(), content_type(name), page=name.endswith(".html"))


def _inside(root: Path, path: Path) -> Path | None:
    """``path`` with symlinks resolved, or None when it leads out of ``root``."""
    resolved = path.resolve()
    return resolved if resolved.is_relative_to(root) else None


def _redirect(location: str) -> Response:
    # 302, not 301: browsers cache a 301 for good, and another site previewed on this port
    # next week may have another base_url path.
    return Response(302, f"302 found: {location}\n".encode(), headers={"Location": location})


def _not_found(view: View) -> Response:
    page = _inside(view.root.resolve(), view.root / "404.html")
    if page is not None and page.is_file():
        return Response(404, page.read_bytes(), CONTENT_TYPES[".html"], page=True)
    return Response(404, b"404 not found\n")


def inject(page: bytes, generation: str, problems: tuple[Problem, ...]) -> bytes:
    """The page with the overlay (when the last build failed) and the reload script, placed
    before ``</body>`` so the page's own markup is untouched."""
    snippet = (_overlay(problems) if problems else "") + _reload_script(generation)
    data = snippet.encode("utf-8")
    end = page.lower().rfind(b"</body>")
    return page + data if end < 0 else page[:end] + data + page[end:]


# The theme's scripts only wire up what is in the body, so they may run again on a new one.
THEME_SCRIPTS = tuple(sorted(path.name for path in (THEME_DIR / "static").glob("*.js")))


def _reload_script(generation: str) -> str:
    # Only visible tabs hold a connection: browsers allow six per host over HTTP/1.1, and a
    # tab shown again catches up at once because the server sends its generation on connect.
    # A new build swaps the page's body for the new one instead of reloading: no new document,
    # no stylesheets, scripts and fonts fetched again (a reload took 100-150 ms of a 0.5 s
    # save-to-page). The theme's scripts run again on the new body: they only wire up what is
    # in it. A module runs once per URL in a document, so each gets a fresh query. A page with
    # a script the theme does not ship (a site's own may listen on the document, and would
    # then listen twice), whose stylesheets or head scripts changed, or that is gone, is
    # reloaded as before.
    return f"""<script id="digestif-live-reload" data-generation="{html.escape(generation)}">
(() => {{
  let served = {json.dumps(generation)};
  let source = null;
  let busy = false, again = false;
  const assets = (doc) => Array.from(doc.head.querySelectorAll(
    "link[rel~=stylesheet], script[src]"), (node) => node.outerHTML).join("\\n");
  const THEME_SCRIPTS = {json.dumps(list(THEME_SCRIPTS))};
  const inert = (node) => /json$/.test(node.type || "");
  const ours = (node) => node.id === "digestif-live-reload" || inert(node) ||
    (node.src && THEME_SCRIPTS.some((name) => new URL(node.src).pathname.endsWith(
      "/assets/" + name)));
  let round = 0;
  const runnable = (old) => {{
    const script = document.createElement("script");
    for (const {{name, value}} of Array.from(old.attributes)) script.setAttribute(name, value);
    if (script.type === "module" && script.src) {{
      const url = new URL(script.src);
      url.searchParams.set("digestif-live", String(++round));
      script.src = url.href;
    }}
    script.async = false;  // in document order, as the page loaded them
    script.textContent = old.textContent;
    return script;
  }};
  const swap = async () => {{
    const response = await fetch(location.href, {{cache: "no-store"}});
    const next = new DOMParser().parseFromString(await response.text(), "text/html");
    if (!response.ok || assets(next) !== assets(document) ||
        !Array.from(next.querySelectorAll("script")).every(ours)) throw new Error("reload");
    const mark = next.getElementById("digestif-live-reload");
    served = mark ? mark.dataset.generation : served;
    document.title = next.title;
    const body = document.adoptNode(next.body);
    for (const old of Array.from(body.querySelectorAll("script"))) {{
      if (old.id !== "digestif-live-reload" && !inert(old)) old.replaceWith(runnable(old));
    }}
    document.body.replaceWith(body);
  }};
  const update = async () => {{
    if (busy) {{ again = true; return; }}
    busy = true;
    try {{
      do {{ again = false; await swap(); }} while (again);
    }} catch (error) {{
      if (source) source.close();
      location.reload();
    }} finally {{
      busy = false;
    }}
  }};
  const connect = () => {{
    source = new EventSource("{EVENTS_PATH}");
    source.addEventListener("build", (event) => {{
      if (event.data !== served) update();
    }});
  }};
  document.addEventListener("visibilitychange", () => {{
    if (document.hidden) {{ if (source) source.close(); source = null; }}
    else if (!source) connect();
  }});
  if (!document.hidden) connect();
}})();
</script>
"""


def _overlay(problems: tuple[Problem, ...]) -> str:
    items = "".join(_problem_item(problem) for problem in problems)
    count = len(problems)
    return f"""<div id="digestif-error-overlay" role="alert" style="position:fixed;inset:0;\
z-index:2147483647;overflow:auto;margin:0;padding:2rem;background:rgba(40,0,0,.94);color:#fff;\
font:15px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;text-align:left">
<button type="button" onclick="this.parentNode.remove()" style="float:right;font:inherit">\
Dismiss</button>
<h1 style="font-size:1.3rem;margin:0 0 1rem;color:#ff8a80">Build failed: {count} \
error{"s" * (count != 1)}</h1>
<ul style="padding-left:1.2rem">{items}</ul>
<p style="color:#ccc">This page is the last good build. Fix the file and save: the page comes
back by itself.</p>
</div>
"""


def _problem_item(problem: Problem) -> str:
    where = problem.file if problem.line is None else f"{problem.file}:{problem.line}"
    field_html = (f' <span class="digestif-problem-field" style="color:#ffd180">'
                  f'{html.escape(problem.field)}:</span>') if problem.field else ""
    return (f'<li class="digestif-problem" data-file="{html.escape(problem.file)}" '
            f'data-line="{problem.line or ""}" data-field="{html.escape(problem.field or "")}">'
            f'<strong>{html.escape(where)}</strong>:{field_html} '
            f'{html.escape(problem.message)}</li>\n')


def _error_page() -> bytes:
    """What every URL shows while no build has succeeded yet (the overlay is added to it)."""
    return (b'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
            b'<title>Build failed</title></head>\n<body>\n</body>\n</html>\n')


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], live: LiveSite):
        self.live = live
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, PreviewHandler)

    def handle_error(self, request, client_address) -> None:
        log.debug("request from %s failed", client_address, exc_info=True)


class PreviewHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm on, the body waits for the
    # browser's delayed ACK of the headers, 40 ms per file on Linux, on every reload.
    disable_nagle_algorithm = True
    server: PreviewServer

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        if urlsplit(self.path).path == EVENTS_PATH:
            self._stream_events()
        else:
            self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        live = self.server.live
        with live.reading() as view:
            response = route(view, self.path)
        body = response.body
        if response.page:
            body = inject(body, view.generation, view.problems)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(body)))
        # Every reload must show the latest build, stylesheets included.
        self.send_header("Cache-Control", "no-store")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _stream_events(self) -> None:
        """Server-sent events: the current generation on connect, then each new one."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        live, seen = self.server.live, None
        try:
            self.wfile.write(b"retry: 500\n\n")
            while (generation := live.wait_for_generation(seen, KEEPALIVE_SECONDS)) is not None:
                if generation == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    self.wfile.write(f"event: build\ndata: {generation}\n\n".encode())
                    seen = generation
        except OSError:  # the tab was closed or reloaded
            return

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base's signature
        log.debug("%s %s", self.address_string(), format % args)
