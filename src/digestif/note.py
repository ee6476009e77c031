"""The paper note: made once by the reader, never changed afterwards."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any


@dataclass(frozen=True)
class Affiliation:
    name: str
    url: str = ""


@dataclass(frozen=True)
class Author:
    """One author with a link and affiliations (distill/al-folio ``authors:`` mappings)."""

    name: str
    url: str = ""
    affiliations: tuple[Affiliation, ...] = ()


@dataclass(frozen=True)
class Note:
    """One Markdown file's front matter, validated and normalised, plus its Markdown body."""

    source: str
    """Path of the file relative to the site folder, with ``/`` separators."""
    title: str
    date: datetime
    """Timezone-aware; dates written without an offset are in the site's timezone."""
    slug: str
    body: str
    """The Markdown after the front matter, line endings normalised to ``\\n``."""
    body_line: int = 1
    """Line of the file on which ``body`` starts, so messages about the body name real lines."""
    updated: datetime | None = None
    venue: str = ""
    authors: tuple[str, ...] = ()
    author_details: tuple[Author, ...] = ()
    """The authors with their links and affiliations, when the front matter gives any."""
    arxiv: str = ""
    """Bare arXiv identifier without version (``2106.09685``, ``hep-th/9901001``)."""
    doi: str = ""
    subtitle: str = ""
    """A subtitle, or the title in another language (Jekyll's ``title_ja``)."""
    subtitle_lang: str = ""
    """The language of ``subtitle`` when it is a translated title (``ja``)."""
    task: str = ""
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    """Ordered (label, URL) pairs as the front matter lists them."""
    summary: str = ""
    """The front matter's summary (or Jekyll excerpt); empty when the body's first paragraph is
    to be used."""
    paper: str = ""
    """A free-form citation string (Jekyll notes often have one)."""
    lang: str = ""
    """BCP 47 language of the note when it differs from the site's."""
    draft: bool = False
    image: str = ""
    """The picture of the note's card when shared (``og:image``): a file beside the note, a
    path on the site or an http(s) URL; else the first figure is used."""
    kind: str = "note"
    """``note``, or ``page``: a standalone page (a file under ``content/pages/`` or
    ``kind: page``), served at ``/<slug>/`` and never listed with the notes."""
    menu: int | None = None
    """A page's place in the site's navigation, lowest first; None keeps it out of the menu."""
    extra: dict[str, Any] = field(default_factory=dict, hash=False)
    page_variables: dict[str, Any] = field(default_factory=dict, hash=False)
    """Front-matter values the body's Liquid reads (``{{ page.paper_ref }}``), by key."""
    digest: str = ""
    """Hash of the file's bytes: what the build cache and page fingerprints key on."""

    @property
    def source_dir(self) -> PurePosixPath:
        return PurePosixPath(self.source).parent

    @property
    def arxiv_abs(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv}" if self.arxiv else ""

    @property
    def arxiv_pdf(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv}" if self.arxiv else ""

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""
