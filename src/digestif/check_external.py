"""External links for ``digestif check --external``: does each URL still answer?

Each URL is asked with HEAD first (cheap) and, when the server refuses or fails HEAD (many answer
405 or 403 to it), with GET, reading only the status. A thread pool bounds the connections in
flight, at most two of them per host, and each request has a timeout, so a dead host costs one
timeout, not the whole run. URLs that answered are cached for a day in
``.digestif-cache/external-links.json``; failures are asked again next time, so a passing hiccup
never sticks.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from . import __version__

CACHE_FILE = "external-links.json"
CACHE_SECONDS = 24 * 60 * 60
CONCURRENCY = 8
PER_HOST = 2
USER_AGENT = f"digestif/{__version__} (link checker)"


@dataclass(frozen=True)
class UrlResult:
    url: str
    ok: bool
    why: str = ""
    status: int | None = None
    warning: bool = False
    """Not a verdict on the link (rate limited); reported, not counted as broken."""
    cached: bool = False


class _KeepHeadOnRedirect(HTTPRedirectHandler):
    """urllib turns a redirected HEAD into a GET; keep it a HEAD."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and req.get_method() == "HEAD":
            new.method = "HEAD"
        return new


_opener = build_opener(_KeepHeadOnRedirect())


def check_urls(urls: list[str], cache_dir: Path, timeout: float = 10.0,
               concurrency: int = CONCURRENCY,
               clock: Callable[[], float] = time.time) -> list[UrlResult]:
    """A result per URL, in order; answers younger than a day come from the cache."""
    cache_path = cache_dir / CACHE_FILE
    cache = _load_cache(cache_path)
    now = clock()
    fresh = {url for url in urls if now - cache.get(url, float("-inf")) < CACHE_SECONDS}
    to_ask = [url for url in urls if url not in fresh]
    hosts: dict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(PER_HOST))
    for url in to_ask:  # created up front: defaultdict is not safe to fill from threads
        hosts[urlsplit(url).netloc.lower()]

    def ask(url: str) -> UrlResult:
        with hosts[urlsplit(url).netloc.lower()]:
            return probe(url, timeout)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        asked = dict(zip(to_ask, pool.map(ask, to_ask), strict=True))
    kept = {url: at for url, at in cache.items() if now - at < CACHE_SECONDS}
    kept.update({url: now for url, result in asked.items() if result.ok})
    _save_cache(cache_path, kept)
    return [asked[url] if url in asked else UrlResult(url, True, cached=True) for url in urls]


def probe(url: str, timeout: float) -> UrlResult:
    result, retry = _request(url, "HEAD", timeout)
    if result.ok or not retry:
        return result
    return _request(url, "GET", timeout)[0]


def _request(url: str, method: str, timeout: float) -> tuple[UrlResult, bool]:
    """The result, and whether the other method might do better."""
    request = Request(url, method=method, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    try:
        with _opener.open(request, timeout=timeout) as response:
            return UrlResult(url, True, status=response.status), False
    except HTTPError as exc:
        exc.close()
        if exc.code == 429:
            return UrlResult(url, False, "rate limited (HTTP 429), not counted as broken",
                             exc.code, warning=True), False
        return UrlResult(url, False, f"HTTP {exc.code} {exc.reason}".strip(), exc.code), True
    except TimeoutError:
        return UrlResult(url, False, f"no answer within {timeout:g} s"), False
    except URLError as exc:
        return UrlResult(url, False, _reason(exc.reason, timeout)), False
    except (http.client.HTTPException, OSError) as exc:
        return UrlResult(url, False, f"connection failed: {exc or type(exc).__name__}"), True
    except ValueError as exc:
        return UrlResult(url, False, f"not a valid URL: {exc}"), False


def _reason(reason: object, timeout: float) -> str:
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, socket.gaierror):
        return "host not found"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, ssl.SSLError):
        return f"TLS error: {reason.reason or reason}"
    return f"connection failed: {reason}"


def _load_cache(path: Path) -> dict[str, float]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(url): float(at) for url, at in data["ok"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}  # no cache yet, or one we cannot read: ask again


def _save_cache(path: Path, answered: dict[str, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps({"version": 1, "ok": answered}, indent=0, sort_keys=True),
                         encoding="utf-8")
    os.replace(temporary, path)


def summarise(results: list[UrlResult]) -> str:
    cached = sum(r.cached for r in results)
    ok = sum(r.ok for r in results)
    limited = sum(r.warning for r in results)
    broken = len(results) - ok - limited
    parts = [f"{ok} answered", f"{broken} broken"] + ([f"{limited} rate-limited"]
                                                     if limited else [])
    from_cache = f" ({cached} from the cache of the last day)" if cached else ""
    return f"external links: {len(results)} URLs{from_cache}: {', '.join(parts)}"
