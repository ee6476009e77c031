"""The output plan: every path under the output folder and the one thing that produces it.

A note page, a list page, a feed, an export, a copied static file or asset, the search index:
each claims its paths here before anything is rendered. Two producers for one path (a note with
slug ``tags`` under ``/{slug}/`` and the tags index; ``static/feed.xml`` and the generated feed)
is an error naming both, reported with every other error of the run, so nothing the user wrote
is silently replaced. The writer writes only paths the plan owns.
"""

from __future__ import annotations

import bisect
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Problems
from .paths import is_file

if TYPE_CHECKING:
    from .note import Note

NOTE, PAGE, FEED, EXPORT, STATIC, THEME, ASSET, SEARCH, GENERATED = (
    "note", "page", "feed", "export", "static", "theme", "asset", "search", "generated")


@dataclass(frozen=True)
class Producer:
    kind: str
    """One of the kinds above: what sort of thing makes the path."""
    source: str
    """How an error names it: the note's file, ``static/feed.xml``, "the tags index"."""

    @property
    def is_file(self) -> bool:
        """Named by a file of the site (the problem is reported against that file)."""
        return self.kind in (NOTE, STATIC, ASSET)


_HINTS = {
    NOTE: "give the note another slug or change [permalinks] in site.toml",
    STATIC: "rename or move the file in static/",
    ASSET: "rename the file beside the note",
}


@dataclass
class OutputPlan:
    """Output path -> its producer; folders claimed whole (the search index's ``pagefind/``)."""

    paths: dict[str, Producer] = field(default_factory=dict)
    folders: dict[str, Producer] = field(default_factory=dict)

    def claim(self, path: str, producer: Producer, problems: Problems) -> bool:
        """Claim ``path`` for ``producer``; False (and an error) if it is taken or unsafe."""
        if not _inside_output(path):
            problems.error(producer.source, f"would be written to {path}, outside the output "
                           "folder; check the slug and the permalinks in site.toml")
            return False
        owner = self.paths.get(path) or self._folder_owner(path)
        if owner is None:
            self.paths[path] = producer
            return True
        if not (owner.kind == producer.kind == NOTE):  # two notes: the model names both
            _collision(path, owner, producer, problems)
        return False

    def claim_folder(self, folder: str, producer: Producer, problems: Problems) -> None:
        prefix = folder.rstrip("/") + "/"
        for path in [p for p in self.paths if p.startswith(prefix)]:
            _collision(path, producer, self.paths.pop(path), problems)
        self.folders[prefix] = producer

    def check_folders(self, problems: Problems) -> None:
        """A path that another path needs as a folder (``feed.xml`` and ``feed.xml/index.html``)
        cannot be both. In sorted order the paths under ``P/`` follow ``P/`` itself."""
        ordered = sorted(self.paths)
        for path in ordered:
            folder = path + "/"
            at = bisect.bisect_left(ordered, folder)
            if at < len(ordered) and ordered[at].startswith(folder):
                inner = ordered[at]
                _collision(f"{path} (needed as a folder for {inner})", self.paths[path],
                           self.paths[inner], problems)

    def owns(self, path: str) -> bool:
        return path in self.paths or self._folder_owner(path) is not None

    def _folder_owner(self, path: str) -> Producer | None:
        for prefix, producer in self.folders.items():
            if path.startswith(prefix):
                return producer
        return None


def _collision(path: str, first: Producer, second: Producer, problems: Problems) -> None:
    """One error naming both producers, reported against a file of the site when one is."""
    blamed, other = (second, first) if second.is_file or not first.is_file else (first, second)
    hint = _HINTS.get(blamed.kind, "")
    where = blamed.source if blamed.is_file else "site.toml"
    subject = "is" if blamed.is_file else f"{blamed.source} is"
    problems.error(where, f"{subject} written to {path}, which {other.source} also writes"
                   + (f"; {hint}" if hint else ""), field="slug" if blamed.kind == NOTE else None)


def _inside_output(path: str) -> bool:
    return bool(path) and path[0] != "/" and (".." not in path or ".." not in path.split("/"))


def make_plan(claims: Iterable[tuple[str, Producer]], folders: Iterable[tuple[str, Producer]],
              problems: Problems) -> OutputPlan:
    """The plan of one build from every producer's claims, collisions reported in ``problems``.
    Claims come in a fixed order (notes first), so the same collision names the same file on
    every build."""
    plan = OutputPlan()
    for path, producer in claims:
        plan.claim(path, producer, problems)
    for folder, producer in folders:
        plan.claim_folder(folder, producer, problems)
    plan.check_folders(problems)
    return plan


# --- files copied as they are ----------------------------------------------------------------

@dataclass(frozen=True)
class Copy:
    source: Path
    producer: Producer


def copied_files(site_dir: Path, theme_static: Path, assets: dict[str, tuple[str, str]],
                 problems: Problems, notes: dict[str, Note] | None = None,
                 diagrams: bool = True) -> list[tuple[str, Copy]]:
    """Theme assets, the site's static/ folder and files beside notes, with their output paths,
    for the plan to claim. ``notes`` (by file) let a message name the line that links a file;
    without ``diagrams`` the vendored mermaid (5.4 MB, docs/markdown.md) is left out."""
    copies = [(path, Copy(file, Producer(THEME, f"the theme's {path}")))
              for path, file in _tree(theme_static, "assets/")
              if diagrams or not path.startswith(("assets/mermaid/", "assets/diagrams.js"))]
    copies += [(path, Copy(file, Producer(STATIC, f"static/{path}")))
               for path, file in _tree(site_dir / "static", "")]
    site_root = site_dir.resolve()
    for output, (source, note) in assets.items():
        path = site_dir / source
        line = _link_line((notes or {}).get(note), source)
        if source.startswith("../") or source == "..":
            # ![](../../../../etc/passwd): the path itself leaves the site.
            problems.error(note, f"links to {source}, a path outside the site; only files "
                           "inside the site folder are published", line, "links")
        elif is_file(path) and not path.resolve().is_relative_to(site_root):
            # A "figure" that links to ~/.ssh/id_rsa must not be published.
            problems.error(note, f"links to {source}, a symbolic link to a file outside the "
                           "site; copy the file into the site instead", line, "links")
        elif is_file(path):
            copies.append((output, Copy(path, Producer(ASSET, f"{source} (linked from {note})"))))
        else:
            problems.warn(note, f"links to {source}, which does not exist", line, "links")
    # A static file meant to replace a theme asset (static/assets/style.css) still may: that is
    # documented theming, not a clash. Any other two files for one path are the plan's to report.
    overridden = {path for path, copy in copies if copy.producer.kind == STATIC}
    return [(path, copy) for path, copy in copies
            if not (copy.producer.kind == THEME and path in overridden)]


def _link_line(note: Note | None, source: str) -> int | None:
    """The body line that names a linked file, for the message."""
    from .reader import body_line_of
    return body_line_of(note, posixpath.basename(source)) if note is not None else None


def _tree(root: Path, prefix: str) -> list[tuple[str, Path]]:
    if not root.is_dir():
        return []
    return [(prefix + path.relative_to(root).as_posix(), path)
            for path in sorted(root.rglob("*")) if path.is_file()
            and not any(part.startswith(".") for part in path.relative_to(root).parts)]
