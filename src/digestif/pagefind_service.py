"""A client of ``pagefind --service``: pages go to Pagefind from memory, over its pipes.

Pagefind's own Python API (``pagefind.index.PagefindIndex``) speaks the same protocol, but it
reads one reply per 0.1 s poll (a thousand pages cost 100 s), merges the binary's error output
into the replies, and waits forever if the binary dies mid-request. This client streams every
request from a thread while the caller reads the replies, ends the binary after a deadline, and
turns a dead binary or an error reply into :class:`ServiceFailed` with what Pagefind said.

The protocol: each request is ``base64(json({"message_id", "payload"}))`` followed by a comma;
each reply is the same, carrying the request's ``message_id``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import threading
from collections.abc import Callable, Iterable
from pathlib import Path


class ServiceFailed(Exception):
    """Pagefind could not start, died, timed out or answered with an error."""


class PagefindService:
    """One running ``pagefind --service``; use as a context manager (it ends the binary)."""

    def __init__(self, executable: Path, cwd: Path, timeout: float,
                 started: Callable[[subprocess.Popen], object] | None = None):
        self.executable, self.timeout = executable, timeout
        try:
            # cwd is an empty folder, so no pagefind.toml of whoever runs the build applies.
            self.process = subprocess.Popen([str(executable), "--service"], cwd=cwd,
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE)
        except OSError as exc:
            raise ServiceFailed(f"{executable} could not run: {exc}") from None
        if started is not None:
            started(self.process)
        self.timed_out = False
        self._errors: list[bytes] = []
        self._buffer = bytearray()
        self._next_id = 0
        self._threads = [_daemon(self._drain_errors)]
        self._deadline = threading.Timer(timeout, self._expire)
        self._deadline.daemon = True
        self._deadline.start()

    def __enter__(self) -> PagefindService:
        return self

    def __exit__(self, *exc_info) -> None:
        self._deadline.cancel()
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for thread in self._threads:
            thread.join(timeout=5)

    # --- requests ---------------------------------------------------------------------------

    def new_index(self, config: dict) -> int:
        return self.request({"type": "NewIndex", "config": config})["index_id"]

    def add_files(self, index_id: int, pages: Iterable[tuple[str, str]]) -> int:
        """Index every ``(url, html)``; returns how many Pagefind took."""
        requests = [{"type": "AddFile", "index_id": index_id, "url": url,
                     "file_contents": html, "file_path": None} for url, html in pages]
        ids = self._reserve(len(requests))
        # Written from a thread: Pagefind replies while it reads, and a pipe holds only so much.
        writer = _daemon(lambda: self._send_all(zip(ids, requests, strict=True)))
        self._threads.append(writer)
        for _ in ids:
            self._reply(expected=None)
        writer.join()
        return len(ids)

    def get_files(self, index_id: int) -> list[tuple[str, bytes]]:
        """The finished bundle, as ``(relative path, bytes)``. Asked for rather than written by
        Pagefind: its WriteFiles answers before every file is on disk, and a service that ends
        then leaves some of them short."""
        reply = self.request({"type": "GetFiles", "index_id": index_id})
        try:
            return [(file["path"], base64.b64decode(file["content"])) for file in reply["files"]]
        except (KeyError, TypeError, ValueError):
            raise ServiceFailed(f"{self.executable} sent a bundle that is not Pagefind's") \
                from None

    def request(self, payload: dict) -> dict:
        [message_id] = self._reserve(1)
        self._send_all([(message_id, payload)])
        return self._reply(expected=message_id)

    # --- the pipes --------------------------------------------------------------------------

    def _reserve(self, count: int) -> range:
        first = self._next_id + 1
        self._next_id += count
        return range(first, first + count)

    def _send_all(self, messages: Iterable[tuple[int, dict]]) -> None:
        try:
            for message_id, payload in messages:
                data = json.dumps({"message_id": message_id, "payload": payload}).encode()
                self.process.stdin.write(base64.b64encode(data) + b",")
            self.process.stdin.flush()
        except (OSError, ValueError):
            pass  # it died: reading its replies says so, with its error output

    def _reply(self, expected: int | None) -> dict:
        end = self._buffer.find(b",")
        while end < 0:
            chunk = self.process.stdout.read1(1 << 20)
            if not chunk:
                raise ServiceFailed(self._why_gone())
            searched = len(self._buffer)
            self._buffer += chunk
            end = self._buffer.find(b",", searched)
        message = bytes(self._buffer[:end])
        del self._buffer[:end + 1]
        try:
            reply = json.loads(base64.b64decode(message))
            payload = reply["payload"]
        except (ValueError, KeyError, TypeError):
            raise ServiceFailed(f"{self.executable} sent a reply that is not Pagefind's: "
                                f"{message[:80]!r}") from None
        if payload.get("type") == "Error":
            raise ServiceFailed(f"{self.executable} answered: {payload.get('message')}")
        if expected is not None and reply.get("message_id") != expected:
            raise ServiceFailed(f"{self.executable} answered message {reply.get('message_id')}"
                                f", not {expected}")
        return payload

    def _why_gone(self) -> str:
        if self.timed_out:
            return f"{self.executable} took over {self.timeout:.0f} s"
        status = self.process.wait()
        for thread in self._threads[:1]:
            thread.join(timeout=5)
        said = b"".join(self._errors).decode("utf-8", "replace")
        return f"{self.executable} exited with status {status}: {_last_lines(said)}"

    def _drain_errors(self) -> None:
        for line in self.process.stderr:
            if sum(map(len, self._errors)) < 1 << 16:
                self._errors.append(line)

    def _expire(self) -> None:
        self.timed_out = True
        self.process.kill()


def _daemon(target: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True, name="digestif-pagefind")
    thread.start()
    return thread


def _last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[-count:]) or "no message"
