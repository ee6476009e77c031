"""Short stable hashes of values and file bytes: how the build tells whether anything changed.

Kept apart from the incremental layer so that the reader can stamp each note with the hash of its
bytes without knowing there is a cache at all.
"""

from __future__ import annotations

import hashlib


def fingerprint(*parts: object) -> str:
    """A short stable hash of ``parts`` (strings as they are, anything else by its repr)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        text = part if isinstance(part, str) else repr(part)
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def file_digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()
