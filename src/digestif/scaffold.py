"""``digestif init`` (a new site, ready to publish) and ``digestif new`` (a new note).

The files ``init`` writes are templates in the ``scaffold/`` folder beside this module; the
GitHub Pages workflow there is also this repository's own ``.github/workflows/pages.yml``, so
the two cannot drift apart. Neither command ever replaces a file: files are created with
``open(..., "x")``, which fails rather than overwrite, even if a file appears meanwhile.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from . import __version__
from .arxiv import ArxivError, ArxivPaper, Fetch, fetch_paper, http_get
from .config import CONFIG_FILE, load_config
from .reader import normalise_arxiv
from .slugs import SAFE_SLUG, slugify

SCAFFOLD_DIR = Path(__file__).parent / "scaffold"
NOTES_DIR = "content/papers"
EXAMPLE_NOTE = f"{NOTES_DIR}/attention-is-all-you-need.md"
ABOUT_PAGE = "content/pages/about.md"
WORKFLOW = ".github/workflows/pages.yml"
DEFAULT_TITLE = "Paper Notes"
DEFAULT_BASE_URL = "http://localhost:8000/"
# Folders that do not make a folder "non-empty": a fresh `git init` or clone has .git already.
IGNORED_ENTRIES = {".git"}
SLUG_MAX_LENGTH = 60


class ScaffoldError(Exception):
    """The command cannot do what was asked; the message says why and what to do."""


@dataclass(frozen=True)
class WorkflowInstall:
    """How the Pages workflow installs digestif, and which file keys its pip cache."""

    command: str
    cache_key_file: str


def install_requirement(direct_url: str | None = None) -> str:
    """The pip requirement for the digestif running now, so a site keeps building with the
    version that created it: ``digestif==X.Y.Z``, or, for a digestif pip installed from a git
    repository (before a release, or between releases), that repository at the tag or commit
    it was installed from. ``direct_url`` is pip's record of where it came from (PEP 610's
    ``direct_url.json``); by default it is read from the installed package."""
    if direct_url is None:
        direct_url = _installed_direct_url()
    try:
        origin = json.loads(direct_url) if direct_url else {}
    except ValueError:
        origin = {}
    vcs = origin.get("vcs_info") if isinstance(origin, dict) else None
    if not isinstance(vcs, dict) or vcs.get("vcs") != "git" or not vcs.get("commit_id"):
        # From an index, a wheel file or a local checkout: only the released version is
        # something a fresh machine can install again.
        return f"digestif=={__version__}"
    url = urlsplit(str(origin.get("url", "")))
    # A token in the clone URL must never end up in a public workflow file.
    host = url.hostname or ""
    clean = url._replace(netloc=host + (f":{url.port}" if url.port else "")).geturl()
    tag = f"v{__version__}"
    revision = tag if vcs.get("requested_revision") == tag else vcs["commit_id"]
    return f"digestif @ git+{clean}@{revision}"


def _installed_direct_url() -> str | None:
    try:
        return metadata.distribution("digestif").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None


def site_install(direct_url: str | None = None) -> WorkflowInstall:
    """How a site made by ``digestif init`` installs digestif: the version that created it."""
    return WorkflowInstall(f'pip install "{install_requirement(direct_url)}"', CONFIG_FILE)


# This repository builds its own example site with the digestif it contains.
REPOSITORY_INSTALL = WorkflowInstall("pip install .", "pyproject.toml")


def pages_workflow(install: WorkflowInstall | None = None) -> str:
    """The GitHub Actions workflow that builds, checks and deploys the site to GitHub Pages."""
    install = install or site_install()
    return _template("pages.yml", __INSTALL__=install.command,
                     __CACHE_KEY_FILE__=install.cache_key_file)


# ---------------------------------------------------------------------------- init


@dataclass
class InitResult:
    created: list[str] = field(default_factory=list)
    """Paths relative to the site folder, in the order written."""
    kept: list[str] = field(default_factory=list)
    """Files that already existed and were left as they were."""


def site_files(title: str = DEFAULT_TITLE, base_url: str = DEFAULT_BASE_URL,
               today: date | None = None) -> dict[str, str]:
    """Every file of a new site, by path relative to the site folder."""
    today = today or datetime.now(UTC).date()
    return {
        CONFIG_FILE: _template("site.toml", __TITLE__=_quoted(title),
                               __BASE_URL__=_quoted(base_url)),
        EXAMPLE_NOTE: _template("example-note.md", __DATE__=today.isoformat()),
        ABOUT_PAGE: _template("about.md"),
        "templates/README.md": _template("templates-README.md"),
        # static/ is copied to the site root, so it gets an invisible placeholder, not a README.
        "static/.gitkeep": "",
        ".gitignore": _template("gitignore"),
        WORKFLOW: pages_workflow(site_install()),
    }


def init_site(site_dir: Path, title: str = DEFAULT_TITLE, base_url: str = DEFAULT_BASE_URL,
              force: bool = False, today: date | None = None) -> InitResult:
    """Create a site in ``site_dir``; with ``force`` into a non-empty folder, keeping every
    existing file."""
    base_url = _checked_base_url(base_url)
    if not title.strip():
        raise ScaffoldError("--title: expected a site title, found an empty string")
    if site_dir.exists() and not site_dir.is_dir():
        raise ScaffoldError(f"{site_dir} is a file; expected a folder for the new site")
    existing = _existing_entries(site_dir)
    if existing and not force:
        shown = ", ".join(existing[:5]) + (", …" if len(existing) > 5 else "")
        raise ScaffoldError(f"{site_dir} is not empty (it has {shown}); choose an empty or new "
                            "folder, or add --force to add the missing files without "
                            "overwriting any")
    result = InitResult()
    for relative, text in site_files(title.strip(), base_url, today).items():
        if _create(site_dir / relative, text):
            result.created.append(relative)
        else:
            result.kept.append(relative)
    return result


def _checked_base_url(base_url: str) -> str:
    url = urlsplit(base_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ScaffoldError(f"--base-url: expected an http(s) URL such as "
                            f"https://user.github.io/repo/, found {base_url!r}")
    return base_url if base_url.endswith("/") else base_url + "/"


def _existing_entries(site_dir: Path) -> list[str]:
    if not site_dir.is_dir():
        return []
    return sorted(p.name + ("/" if p.is_dir() else "") for p in site_dir.iterdir()
                  if p.name not in IGNORED_ENTRIES)


def _create(path: Path, text: str) -> bool:
    """Write a new file; False (and nothing written) if it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as file:
            file.write(text)
    except FileExistsError:
        return False
    return True


def _template(name: str, **values: str) -> str:
    text = (SCAFFOLD_DIR / name).read_text(encoding="utf-8")
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _quoted(value: str) -> str:
    """A double-quoted string valid in both TOML and YAML: JSON's escapes are valid in both, and
    the characters they forbid raw (DEL, C1 controls) are escaped too."""
    value = _LONE_SURROGATE.sub("\ufffd", value)  # undecodable bytes from the command line
    text = json.dumps(value, ensure_ascii=False)
    return _FORBIDDEN_RAW.sub(lambda m: f"\\u{ord(m.group()):04X}", text)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_FORBIDDEN_RAW = re.compile("[\x7f-\x84\x86-\x9f\ufffe\uffff]")


# ---------------------------------------------------------------------------- new


@dataclass(frozen=True)
class NoteRequest:
    """What the user asked ``digestif new`` for."""

    title: str = ""
    arxiv: str = ""
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    venue: str = ""
    slug: str = ""


@dataclass(frozen=True)
class NewResult:
    path: Path
    """The created note."""
    arxiv_problem: str = ""
    """Why arXiv data is missing (offline, unknown id), or empty."""


def new_note(site_dir: Path, request: NoteRequest, fetch: Fetch = http_get,
             today: date | None = None) -> NewResult:
    """Create ``content/papers/<slug>.md`` in the site; raises ScaffoldError, or ConfigError
    when site.toml is invalid."""
    if not (site_dir / CONFIG_FILE).is_file():
        raise ScaffoldError(f"{site_dir / CONFIG_FILE} not found; run `digestif init` to create "
                            "a site, or pass --site with the site's folder")
    config = load_config(site_dir)
    arxiv_id = ""
    if request.arxiv:
        arxiv_id = normalise_arxiv(request.arxiv) or ""
        if not arxiv_id:
            raise ScaffoldError(f"--arxiv: expected an arXiv id such as 2106.09685 or an "
                                f"arxiv.org URL, found {request.arxiv!r}")
    if not request.title.strip() and not arxiv_id:
        raise ScaffoldError("expected a paper title (or --arxiv ID to fetch it)")
    paper, problem = None, ""
    if arxiv_id:
        try:
            paper = fetch_paper(arxiv_id, fetch)
        except ArxivError as exc:
            problem = str(exc)
    title = request.title.strip() or (paper.title if paper else f"arXiv {arxiv_id}")
    slug = _note_slug(request.slug, title)
    path = site_dir / NOTES_DIR / f"{slug}.md"
    today = today or datetime.now(config.tz).date()
    lang = title_language(title, config.language)
    if not _create(path, note_text(title, today, request, arxiv_id, paper, lang)):
        raise ScaffoldError(f"{path} already exists; edit it, or choose another file name "
                            "with --slug")
    return NewResult(path, problem)


def _note_slug(requested: str, title: str) -> str:
    if requested:
        if not SAFE_SLUG.match(requested) or ".." in requested:
            raise ScaffoldError(f"--slug: expected letters, digits, '-', '_' or '.', found "
                                f"{requested!r}")
        return requested
    slug = slugify(title)
    if len(slug) > SLUG_MAX_LENGTH:
        # Cut at a word boundary; a file name is not the place for the whole title.
        slug = slug[:SLUG_MAX_LENGTH + 1].rsplit("-", 1)[0] or slug[:SLUG_MAX_LENGTH]
    return slug


_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")


def title_language(title: str, site_language: str) -> str:
    """The language a note titled ``title`` is likely written in, when it is not the site's:
    ``ko`` for a title with Hangul, ``ja`` with kana, ``zh`` with Chinese characters only; ""
    otherwise. Pages then say so (``lang``), and search splits the words right."""
    if len(_HANGUL.findall(title)) >= 2:
        lang = "ko"
    elif len(_KANA.findall(title)) >= 2:
        lang = "ja"
    elif len(_HAN.findall(title)) >= 2:
        lang = "zh"
    else:
        return ""
    return "" if site_language.split("-")[0].lower() == lang else lang


def note_text(title: str, today: date, request: NoteRequest, arxiv_id: str = "",
              paper: ArxivPaper | None = None, lang: str = "") -> str:
    """A note's front matter (every string JSON-quoted, which is valid YAML) and empty body."""
    q = _quoted
    lines = ["---", f"title: {q(title)}", f"date: {today.isoformat()}",
             f"authors: {_yaml_list(paper.authors if paper else ())}",
             f"venue: {q(request.venue.strip())}"]
    if arxiv_id:
        lines.append(f"arxiv: {q(arxiv_id)}")
    if paper and paper.doi:
        lines.append(f"doi: {q(paper.doi)}")
    lines += [f"categories: {_yaml_list(request.categories)}",
              f"tags: {_yaml_list(request.tags)}"]
    links = paper.links if paper else ()
    lines += ["links:", *(f"  {label}: {q(url)}" for label, url in links)] if links else \
        ["links: {}"]
    lines += [f"summary: {q(paper.summary if paper else '')}"]
    if lang:
        lines.append(f"lang: {lang}  # the title is not in the site's language")
    lines += ["---", ""]
    return "\n".join(lines)


def _yaml_list(values) -> str:
    cleaned = [v.strip() for v in values if v.strip()]
    return "[" + ", ".join(_quoted(v) for v in dict.fromkeys(cleaned)) + "]"
