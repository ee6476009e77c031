"""Stage 6: the only code that touches the output folder.

The site is written into a temporary folder beside the output and swapped into place only when
every file was written, so a failed build leaves the previous output exactly as it was, and files
no longer produced disappear. A folder digestif did not create is never replaced.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import BuildError, Problem

MARKER_FILE = ".digestif-output"
MARKER_TEXT = "This folder is written by digestif and replaced on every build.\n"


@dataclass(frozen=True)
class WriteResult:
    files: int
    bytes: int


def check_output_paths(paths) -> list[Problem]:
    """Every output path must stay inside the output folder."""
    problems = []
    for path in paths:
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not path:
            problems.append(Problem(path, "would be written outside the output folder; "
                                    "check the slug and the permalinks in site.toml"))
    return problems


def write_site(out_dir: Path, files: dict[str, str | bytes], copies: dict[str, Path],
               finalize: Callable[[Path], object] | None = None) -> WriteResult:
    """Write ``files`` (path -> content) and ``copies`` (path -> source file) as the new site.

    ``finalize`` runs on the complete temporary folder just before the swap, for work that needs
    the written pages (the search index), so the new site goes live with it in one step."""
    problems = check_output_paths([*files, *copies])
    if problems:
        raise BuildError(problems)
    _refuse_foreign_folder(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    temporary = out_dir.parent / f".digestif-tmp-{out_dir.name}-{os.getpid()}"
    shutil.rmtree(temporary, ignore_errors=True)
    try:
        total = _write_all(temporary, files, copies)
        if finalize is not None:
            finalize(temporary)
        _swap(temporary, out_dir)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return WriteResult(len(files) + len(copies), total)


def _refuse_foreign_folder(out_dir: Path) -> None:
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER_FILE).exists():
        raise BuildError([Problem(str(out_dir), "exists and was not written by digestif; "
                                  "refusing to replace it. Remove it or choose another --out")])
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildError([Problem(str(out_dir), "is a file, not a folder; choose another --out")])


def _write_all(root: Path, files: dict[str, str | bytes], copies: dict[str, Path]) -> int:
    root.mkdir(parents=True)
    made: set[Path] = {root}
    total = 0

    def target(path: str) -> Path:
        destination = root / path
        if destination.parent not in made:
            destination.parent.mkdir(parents=True, exist_ok=True)
            made.add(destination.parent)
        return destination

    for path, source in copies.items():
        total += shutil.copyfile(source, target(path)).stat().st_size
    for path, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        target(path).write_bytes(data)
        total += len(data)
    (root / MARKER_FILE).write_text(MARKER_TEXT, encoding="utf-8")
    return total


def _swap(new: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by ``new`` with two renames, so readers never see half a site."""
    old = out_dir.parent / f".digestif-old-{out_dir.name}-{os.getpid()}"
    if out_dir.exists():
        os.replace(out_dir, old)
    try:
        os.replace(new, out_dir)
    except OSError:
        if old.exists():
            os.replace(old, out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)
