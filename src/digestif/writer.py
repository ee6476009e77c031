"""Stage 6: the only code that writes under the output folder.

A full build is written into a temporary folder beside the output (:class:`NewOutput`, page by
page as they are rendered: a 20,000-note site's pages are not all held in memory) and swapped
into place only when every file was written, so an interrupted write leaves the previous
output exactly as it was, and files no longer produced disappear (the previous output of a big
site is removed by a background process after the swap: deleting 18,000 files takes as long
as writing them).
An incremental build (:class:`UpdatedOutput`) writes only the files whose bytes changed, each
beside its target under a temporary name, renames them all into place once every page
rendered, and removes the ones no longer produced.
Both swap in only after every other stage succeeded (a page that failed to render, or any
other error, abandons what was written), so a build with errors changes nothing. A folder
digestif did not create is never replaced. Given the output plan, the writer refuses any path
the plan does not own.

A folder made by another program (the search index) is *generated*: the writer hands out an
empty staging folder beside the output, the generator fills it reading the finished pages, and
the writer moves it into place (:func:`prepare_generated` splits the two steps, so the dev
server can index outside its lock and install under it).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import BuildError, Problem

if TYPE_CHECKING:
    from .plan import OutputPlan

MARKER_FILE = ".digestif-output"
MARKER_TEXT = "This folder is written by digestif and replaced on every build.\n"


@dataclass(frozen=True)
class WriteResult:
    files: int
    bytes: int


# File systems (ext4, APFS, NTFS) hold names of at most this many bytes.
NAME_MAX_BYTES = 255
_CONTROL = re.compile("[\x00-\x1f\x7f]")

Generate = Callable[[Path, Path], bool]
"""``generate(site_folder, stage)``: fill the empty ``stage`` reading the finished site; True
if it is complete (False: the folder is left out, and an old one removed)."""
Generated = dict[str, Generate]
"""Output folder name (``pagefind``) -> what generates it."""


def check_output_paths(paths, plan: OutputPlan | None = None) -> list[Problem]:
    """Every output path must stay inside the output folder, be a name the file system can
    hold (the reader refuses long slugs; a permalink pattern can still lengthen them) and be
    one the plan owns."""
    problems = []
    for path in paths:
        if not path or path.startswith("/") or ".." in path.split("/"):
            problems.append(Problem(path, "would be written outside the output folder; "
                                    "check the slug and the permalinks in site.toml"))
        elif len(path) > NAME_MAX_BYTES // 4 and any(
                len(part.encode()) > NAME_MAX_BYTES for part in path.split("/")):
            problems.append(Problem(path, f"holds a name longer than the {NAME_MAX_BYTES} "
                                    "bytes file systems allow; shorten the slug or the "
                                    "permalinks in site.toml"))
        elif _CONTROL.search(path):
            problems.append(Problem(repr(path)[1:-1], "holds a control character, which no "
                                    "published file name should; rename the file it comes "
                                    "from"))
        elif plan is not None and not plan.owns(path):
            problems.append(Problem(path, "is not in the output plan: nothing may write it "
                                    "(a bug in digestif; please report it)"))
    return problems


def write_site(out_dir: Path, files: dict[str, str | bytes], copies: dict[str, Path],
               plan: OutputPlan | None = None, generated: Generated | None = None,
               token: str = "") -> WriteResult:
    """Write ``files`` (path -> content) and ``copies`` (path -> source file) as the new site.

    ``generated`` folders are made from the complete temporary folder just before the swap
    (the search index reads the written pages), so the new site goes live with them at once."""
    output = NewOutput(out_dir, [*files, *copies], plan)
    with output.abandon_on_error():
        for path, content in files.items():
            output.write(path, content)
        return output.finish(copies, generated, token)


class Output:
    """The files of one build, written as they are rendered (a page's bytes need not be kept
    until the last page is done), where the live site cannot see them until :meth:`finish`;
    :meth:`abandon` leaves the previous output exactly as it was.

    :meth:`write` may run in a forked worker process: what it wrote is reported back with
    :meth:`collect` there and :meth:`merge` here."""

    def __init__(self, out_dir: Path, paths, plan: OutputPlan | None):
        problems = check_output_paths(paths, plan)
        if problems:
            raise BuildError(problems)
        self.out_dir = out_dir
        self.paths = set(paths)
        """Every path this output may write: checked once, before anything is written."""
        self.written: dict[str, int] = {}
        """Path -> bytes written (in this process, since the last :meth:`collect`)."""

    def write(self, path: str, content: str | bytes) -> None:
        self._check(path)
        data = content.encode("utf-8") if isinstance(content, str) else content
        self.written[path] = self._put(path, data)

    def _check(self, path: str) -> None:
        if path not in self.paths:
            raise BuildError([Problem(path, "is not among the paths checked for this build "
                                      "(a bug in digestif; please report it)")])

    def _put(self, path: str, data: bytes) -> int:
        raise NotImplementedError

    def collect(self) -> dict[str, int]:
        """What this process wrote since the last call (a worker sends it to the parent)."""
        written, self.written = self.written, {}
        return written

    def merge(self, written: dict[str, int]) -> None:
        self.written.update(written)

    def abandon(self) -> None:
        raise NotImplementedError

    @contextmanager
    def abandon_on_error(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.abandon()
            raise


class NewOutput(Output):
    """A whole new output, written into a temporary folder beside it and swapped in."""

    def __init__(self, out_dir: Path, paths, plan: OutputPlan | None = None):
        super().__init__(out_dir, paths, plan)
        _refuse_foreign_folder(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.temporary = out_dir.parent / f".digestif-tmp-{out_dir.name}-{os.getpid()}"
        shutil.rmtree(self.temporary, ignore_errors=True)
        _discard_leftovers(out_dir)
        self.temporary.mkdir(parents=True)
        self._made: set[Path] = {self.temporary}

    def _target(self, path: str) -> Path:
        destination = self.temporary / path
        if destination.parent not in self._made:
            destination.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(destination.parent)
        return destination

    def _put(self, path: str, data: bytes) -> int:
        self._target(path).write_bytes(data)
        return len(data)

    def finish(self, copies: dict[str, Path], generated: Generated | None = None,
               token: str = "") -> WriteResult:
        """Copy ``copies`` in, make the ``generated`` folders from the complete site, and swap
        it in place of the previous output."""
        try:
            for path, source in copies.items():
                self._check(path)
                # copy2 keeps the modification time, which is how UpdatedOutput spots changed
                # copies.
                self.written[path] = shutil.copy2(source, self._target(path)).stat().st_size
            (self.temporary / MARKER_FILE).write_text(
                MARKER_TEXT + (f"build {token}\n" if token else ""), encoding="utf-8")
            for name, generate in (generated or {}).items():
                prepare_generated(self.temporary, name, generate)()
            _swap(self.temporary, self.out_dir, len(self.written))
        finally:
            shutil.rmtree(self.temporary, ignore_errors=True)
        return WriteResult(len(self.written), sum(self.written.values()))

    def abandon(self) -> None:
        shutil.rmtree(self.temporary, ignore_errors=True)


class UpdatedOutput(Output):
    """The previous output brought up to date in place: a file whose bytes changed is written
    beside its target under a temporary name, and all are renamed over their targets only in
    :meth:`finish`."""

    def __init__(self, out_dir: Path, paths, plan: OutputPlan | None = None):
        super().__init__(out_dir, paths, plan)
        self.suffix = f".digestif-{os.getpid()}-{secrets.token_hex(4)}"

    def _partial(self, path: str) -> Path:
        target = self.out_dir / path
        return target.with_name(f".{target.name}{self.suffix}")

    def _put(self, path: str, data: bytes) -> int:
        target = self.out_dir / path
        try:
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                return -1  # the same bytes: nothing to replace
        except OSError:
            target.parent.mkdir(parents=True, exist_ok=True)
        self._partial(path).write_bytes(data)
        return len(data)

    def finish(self, copies: dict[str, Path], kept: set[str], previous: set[str],
               generated: Generated | None = None) -> WriteResult:
        """Rename the changed files into place, copy the changed ``copies``, leave ``kept``
        alone, and remove what the previous build wrote (``previous``) that is no longer
        produced."""
        for path in [*copies, *kept]:
            self._check(path)
        changed = {path: size for path, size in self.written.items() if size >= 0}
        for path in changed:
            os.replace(self._partial(path), self.out_dir / path)
        for path, source in copies.items():
            if _copy_if_changed(source, self.out_dir / path):
                changed[path] = source.stat().st_size
        for path in previous - self.written.keys() - copies.keys() - kept:
            _remove(self.out_dir, path)
        for name, generate in (generated or {}).items():
            prepare_generated(self.out_dir, name, generate)()
        return WriteResult(len(changed), sum(changed.values()))

    def abandon(self) -> None:
        """Remove every temporary file, and the folders made for pages that are new."""
        for path in self.paths:
            partial = self._partial(path)
            if partial.parent.is_dir():
                partial.unlink(missing_ok=True)
                if not (self.out_dir / path).exists():
                    _remove(self.out_dir, path)


def prepare_generated(out_dir: Path, name: str, generate: Generate) -> Callable[[], None]:
    """Run ``generate`` on ``out_dir`` into a fresh staging folder beside it; the returned
    step moves the result to ``out_dir/name`` (or removes that folder if generating failed).
    The dev server runs the step under its lock, so no request sees half an index."""
    stage = out_dir.parent / f".digestif-stage-{out_dir.name}-{name}-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    try:
        complete = generate(out_dir, stage)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if not complete:
        shutil.rmtree(stage, ignore_errors=True)
    return lambda: _install(out_dir, name, stage if complete else None)


def _install(out_dir: Path, name: str, stage: Path | None) -> None:
    """Replace ``out_dir/name`` by ``stage`` with two renames; None removes it."""
    target = out_dir / name
    old = out_dir.parent / f".digestif-old-{out_dir.name}-{name}-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    try:
        if stage is not None:
            os.replace(stage, target)
    finally:
        shutil.rmtree(old, ignore_errors=True)
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)  # gone unless the rename failed


def _refuse_foreign_folder(out_dir: Path) -> None:
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER_FILE).exists():
        raise BuildError([Problem(str(out_dir), "exists and was not written by digestif; "
                                  "refusing to replace it. Remove it or choose another --out")])
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildError([Problem(str(out_dir), "is a file, not a folder; choose another --out")])


def output_token(out_dir: Path) -> str:
    """The token the last build wrote into the output's marker file ("" if none)."""
    try:
        text = (out_dir / MARKER_FILE).read_text(encoding="utf-8")
    except OSError:
        return ""
    return text.rpartition("build ")[2].strip() if "build " in text else ""


def _copy_if_changed(source: Path, target: Path) -> bool:
    try:
        old, new = target.stat(), source.stat()
        if old.st_size == new.st_size and old.st_mtime_ns == new.st_mtime_ns:
            return False
    except OSError:
        target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.digestif-{os.getpid()}")
    shutil.copy2(source, partial)
    os.replace(partial, target)
    return True


def _remove(root: Path, path: str) -> None:
    """Delete a file and the folders it leaves empty, never above ``root``."""
    target = root / path
    target.unlink(missing_ok=True)
    folder = target.parent
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent


def _swap(new: Path, out_dir: Path, files: int = 0) -> None:
    """Replace ``out_dir`` by ``new`` with two renames, so readers never see half a site."""
    old = out_dir.parent / f".digestif-old-{out_dir.name}-{os.getpid()}-{secrets.token_hex(4)}"
    if out_dir.exists():
        os.replace(out_dir, old)
    try:
        os.replace(new, out_dir)
    except OSError:
        if old.exists():
            os.replace(old, out_dir)
        raise
    if old.exists():
        _discard(old, background=files >= BACKGROUND_REMOVAL_FILES)


# Removing the previous output of a big site costs as much as writing the new one (12 s for
# 18,000 files on the benchmark machine's disk). Past this many files a background process
# removes it, once the new output is in place: the build need not wait for it.
BACKGROUND_REMOVAL_FILES = 2000
_removers: list[subprocess.Popen] = []  # kept, so that none is reaped as still running


def _discard(folder: Path, background: bool) -> None:
    """Remove a folder the writer moved aside, now or in a process of its own."""
    if background:
        try:
            _removers.append(subprocess.Popen(
                [sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], True)",
                 str(folder)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True))
            return
        except OSError:
            pass
    shutil.rmtree(folder, ignore_errors=True)


def _discard_leftovers(out_dir: Path) -> None:
    """Folders an interrupted build or removal left beside the output."""
    for folder in out_dir.parent.glob(f".digestif-old-{out_dir.name}-*"):
        if folder.is_dir():
            _discard(folder, background=True)
