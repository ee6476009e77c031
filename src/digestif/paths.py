"""File-system questions asked about paths the user wrote, which may be anything."""

from __future__ import annotations

from pathlib import Path


def is_file(path: Path) -> bool:
    """Path.is_file, but False for a name no file system holds (a link target of 3,000
    characters raised ENAMETOOLONG)."""
    try:
        return path.is_file()
    except OSError:
        return False
