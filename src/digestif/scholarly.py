"""Scholarly metadata of the papers the notes are about, for machines: reference managers,
search engines, social cards and people who build on the digest.

Pure functions of the site model: Highwire ``citation_*`` tags (read by Google Scholar and
Zotero), JSON-LD, Open Graph, BibTeX with site-wide unique keys, ``/papers.bib``,
``/papers.json`` and the facets the digest page filters on. Templates reach them through the
``scholarly`` global (see :class:`Scholarly`); the build adds :func:`render_exports`' files.

Every date here is the *paper's* (from its venue, ``paper:`` string or arXiv id), never the
note's: the note's date says when it was written, which is not when the paper appeared.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from markupsafe import Markup

from .model import NoteView, Site, venue_group
from .note import Note
from .reader import normalise_arxiv
from .sharing import note_image
from .slugs import slugify

# A venue written as one of these says "not published yet": the paper is cited as a preprint.
_PREPRINT = re.compile(r"^(arxiv|corr|biorxiv|medrxiv|ssrn|preprint)\b", re.IGNORECASE)
# Words that mark a venue as a journal; anything else with a name is taken as a conference.
_JOURNAL_WORDS = {
    "journal", "transactions", "trans", "letters", "magazine", "nature", "science", "pnas",
    "pami", "tpami", "ijcv", "tip", "tog", "jmlr", "tmlr", "tnnls", "tvcg", "tcsvt", "tmm",
    "tkde", "tacl", "surveys",
}
# Between non-digits so arXiv ids (2010.11929) are not read as years.
_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?![\d]|\.\d)")
_NEW_ARXIV = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}$")
_OLD_ARXIV = re.compile(r"^([a-z-]+(?:\.[A-Z]{2})?)/(\d{2})(\d{2})\d{3}$", re.IGNORECASE)
# Skipped when picking the title word of a BibTeX key, as Google Scholar does.
_TITLE_STOPWORDS = {"a", "an", "the", "on", "of", "in", "for", "to", "at", "by", "and", "or",
                    "with", "from"}
_NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_ASCII_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ł": "l",
                             "Ł": "L", "đ": "d", "Đ": "D", "þ": "th", "Þ": "TH", "œ": "oe",
                             "Œ": "OE"})
_BIBTEX_SPECIAL = str.maketrans({
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
})
# Runs of letters and digits, not inside a LaTeX command; "Low-Rank" is two words.
_CAPITALISED = re.compile(r"(?<![\\\w])([^\W_]+)")
_URL_UNSAFE = str.maketrans({"{": "%7B", "}": "%7D", "\\": "%5C", " ": "%20"})
_SAME_AS_KINDS = ("paper", "openreview", "arxiv", "doi")


# --- facts about the paper --------------------------------------------------------------------

@dataclass(frozen=True)
class Paper:
    """What the front matter says about the paper itself, with every field optional."""

    title: str
    authors: tuple[str, ...]
    year: str
    """Four digits, or empty when nothing says when the paper appeared."""
    month: str
    """Two digits (from an arXiv id only), or empty."""
    kind: str
    """``journal``, ``conference`` or ``preprint`` (no venue, or an arXiv-like one)."""
    venue: str
    """Conference name with its year (``CVPR 2025``), journal name without, or empty."""
    arxiv: str
    arxiv_class: str
    doi: str
    url: str
    """The paper's own page: its ``paper`` link, else its arXiv page, else its DOI."""
    pdf_url: str
    code_url: str
    same_as: tuple[str, ...]


def paper_of(view: NoteView) -> Paper:
    note = view.note
    arxiv = note.arxiv or _arxiv_from_links(note)
    arxiv_year, arxiv_month, arxiv_class = _arxiv_date(arxiv)
    venue_year = _year_in(note.venue) or _year_in(note.paper)
    kind, venue = _venue(note.venue)
    links = {link.kind: link.url for link in reversed(view.links)}  # first of each kind wins
    arxiv_abs = f"https://arxiv.org/abs/{arxiv}" if arxiv else ""
    same_as = [links.get(kind, "") for kind in _SAME_AS_KINDS] + [arxiv_abs, note.doi_url]
    return Paper(
        title=note.title, authors=note.authors,
        year=venue_year or arxiv_year, month="" if venue_year else arxiv_month,
        kind=kind, venue=venue, arxiv=arxiv,
        arxiv_class=str(note.extra.get("primary_class", "") or arxiv_class),
        doi=note.doi, url=links.get("paper") or arxiv_abs or note.doi_url,
        pdf_url=links.get("pdf") or (f"https://arxiv.org/pdf/{arxiv}" if arxiv else ""),
        code_url=links.get("code", ""), same_as=tuple(dict.fromkeys(u for u in same_as if u)),
    )


def venue_kind(venue: str) -> str:
    """``"TPAMI 2023"`` -> ``journal``; ``"ICLR 2022"`` -> ``conference``; ``"arXiv"`` ->
    ``preprint``; no venue -> ``preprint``."""
    return _venue(venue)[0]


def _venue(venue: str) -> tuple[str, str]:
    venue = venue.strip()
    if not venue or _PREPRINT.match(venue):
        return "preprint", ""
    words = set(re.findall(r"[a-z]+", venue.casefold()))
    if words & _JOURNAL_WORDS:
        # A journal is named without the year the note's venue may carry ("TPAMI 2023").
        name = _YEAR.sub("", venue).strip(" ,;")
        return "journal", name or venue
    return "conference", venue_group(venue)


def _year_in(text: str) -> str:
    match = _YEAR.search(text)
    return match.group(1) if match else ""


def _arxiv_from_links(note: Note) -> str:
    for _, url in note.links:
        if "arxiv.org/" in url and (found := normalise_arxiv(url)):
            return found
    return ""


def _arxiv_date(arxiv: str) -> tuple[str, str, str]:
    """(year, month, archive) encoded in an arXiv id; new-style ids started in April 2007."""
    if match := _NEW_ARXIV.match(arxiv):
        return f"20{match.group(1)}", match.group(2), ""
    if match := _OLD_ARXIV.match(arxiv):
        yy = int(match.group(2))
        return f"{1900 + yy if yy > 90 else 2000 + yy}", match.group(3), match.group(1)
    return "", "", ""


# --- Highwire Press tags, Open Graph, JSON-LD ------------------------------------------------

def citation_meta(paper: Paper) -> list[tuple[str, str]]:
    """``(name, content)`` of each ``citation_*`` meta tag, leaving out unknown fields."""
    tags = [("citation_title", paper.title)]
    tags += [("citation_author", author) for author in paper.authors]
    tags.append(("citation_publication_date", "/".join(p for p in (paper.year, paper.month)
                                                       if p)))
    if paper.kind == "journal":
        tags.append(("citation_journal_title", paper.venue))
    elif paper.kind == "conference":
        tags.append(("citation_conference_title", paper.venue))
    tags += [("citation_arxiv_id", paper.arxiv), ("citation_pdf_url", paper.pdf_url),
             ("citation_doi", paper.doi)]
    return [(name, value) for name, value in tags if value]


def open_graph(view: NoteView, site: Site) -> list[tuple[str, str, str]]:
    """``(attribute, key, content)`` of each Open Graph / Twitter card meta tag."""
    tags = [("property", "og:type", "article"), ("property", "og:title", view.title),
            ("property", "og:description", view.summary),
            ("property", "og:url", view.permalink),
            ("property", "og:site_name", site.config.title),
            ("property", "og:locale", view.lang.replace("-", "_")),
            ("property", "article:published_time", view.date.isoformat()),
            ("property", "article:modified_time",
             view.note.updated.isoformat() if view.note.updated else "")]
    tags += [("property", "article:section", c.name) for c in view.categories[:1]]
    tags += [("property", "article:tag", t.name) for t in view.tags]
    image, alt = note_image(view, site)  # its image:, else the first figure, else the site's
    tags += [("property", "og:image", image), ("property", "og:image:alt", alt if image else "")]
    tags += [("name", "twitter:card", "summary_large_image" if image else "summary"),
             ("name", "twitter:title", view.title), ("name", "twitter:description", view.summary),
             ("name", "twitter:image", image)]
    return [tag for tag in tags if tag[2]]


def json_ld(view: NoteView, paper: Paper, site: Site) -> Markup:
    """The page as an ``Article`` about a ``ScholarlyArticle``, safe inside ``<script>``."""
    return Markup(script_json(json_ld_data(view, paper, site)))


def json_ld_data(view: NoteView, paper: Paper, site: Site) -> dict:
    config = site.config
    page: dict = {
        "@context": "https://schema.org", "@type": "Article", "genre": "review",
        "headline": view.title, "url": view.permalink, "mainEntityOfPage": view.permalink,
        "datePublished": view.date.isoformat(),
        "dateModified": (view.note.updated or view.date).isoformat(),
        "inLanguage": view.lang, "description": view.summary,
        "keywords": [t.name for t in view.tags],
        "author": {"@type": "Person", "name": config.author} if config.author else None,
        "isPartOf": {"@type": "WebSite", "name": config.title, "url": config.base_url},
        "about": _scholarly_article(paper),
    }
    return _without_empty(page)


def _scholarly_article(paper: Paper) -> dict:
    published = "-".join(p for p in (paper.year, paper.month) if p)
    return _without_empty({
        "@type": "ScholarlyArticle", "name": paper.title,
        "author": [{"@type": "Person", "name": a} for a in paper.authors],
        "datePublished": published, "url": paper.url, "sameAs": list(paper.same_as),
        # schema.org defines codeRepository on SoftwareSourceCode; the digest's readers want it
        # next to the paper, and JSON-LD consumers ignore what they do not know.
        "codeRepository": paper.code_url,
    })


def _without_empty(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in ("", None, [], {})}


def script_json(data: object) -> str:
    """JSON that cannot end its ``<script>`` element: ``<``, ``>`` and ``&`` become ``\\u``
    escapes (still the same JSON strings), as do the two line separators old parsers reject."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


# --- BibTeX -----------------------------------------------------------------------------------

def unique_keys(views: list[NoteView], base_of: dict[str, str]) -> dict[str, str]:
    """Note source -> BibTeX key from each note's base key, unique across the site and stable
    as notes are added: the oldest note keeps the plain key (``hu2022lora``), later ones get
    ``b``, ``c``…"""
    used = set(base_of.values())
    keys: dict[str, str] = {}
    seen: set[str] = set()
    # One suffix iterator per base key, resumed where it stopped: restarting it for every note
    # made 10,000 notes with one base key take 50 million steps. Same keys, since used only grows.
    suffixes: dict[str, Iterator[str]] = {}
    for view in sorted(views, key=lambda v: (v.date, v.note.source)):
        base = base_of[view.note.source]
        if base not in seen:
            seen.add(base)
            keys[view.note.source] = base
            continue
        candidates = suffixes.setdefault(base, _suffixes())
        key = next(base + suffix for suffix in candidates if base + suffix not in used)
        used.add(key)
        keys[view.note.source] = key
    return keys


def base_key(paper: Paper) -> str:
    """First author's family name + year + first meaningful title word, ASCII lowercase."""
    family = _ascii_word(family_name(paper.authors[0])) if paper.authors else ""
    words = [w for w in re.split(r"[^a-z0-9]+", _ascii_fold(paper.title).lower()) if w]
    word = next((w for w in words if w not in _TITLE_STOPWORDS), "")
    # Without an author a key must still start with a letter.
    return (family + paper.year + word if family else word + paper.year) or "note"


def family_name(author: str) -> str:
    """``"Edward J. Hu"`` -> ``Hu``; ``"Hu, Edward J."`` -> ``Hu``; ``"King Jr."`` -> ``King``."""
    if "," in author:
        return author.split(",", 1)[0].strip()
    parts = author.split()
    if len(parts) > 1 and parts[-1].lower() in _NAME_SUFFIXES:
        parts = parts[:-1]
    return parts[-1] if parts else ""


def _ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_FOLD))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _ascii_fold(text).lower())


def _suffixes() -> Iterator[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    yield from letters[1:]
    yield from (first + second for first in letters for second in letters)
    count = 0
    while True:
        count += 1
        yield f"-{count}"


def bibtex_entry(paper: Paper, key: str) -> str:
    entry_type = {"journal": "article", "conference": "inproceedings"}.get(paper.kind, "misc")
    fields = [("title", _bibtex_title(paper.title)),
              ("author", " and ".join(_bibtex_name(a) for a in paper.authors))]
    if paper.kind == "journal":
        fields.append(("journal", bibtex_escape(paper.venue)))
    elif paper.kind == "conference":
        fields.append(("booktitle", bibtex_escape(paper.venue)))
    fields += [("year", paper.year), ("eprint", _bibtex_url(paper.arxiv)),
               ("archivePrefix", "arXiv" if paper.arxiv else ""),
               ("primaryClass", bibtex_escape(paper.arxiv_class) if paper.arxiv else ""),
               ("doi", _bibtex_url(paper.doi)), ("url", _bibtex_url(paper.url))]
    lines = [f"  {name} = {{{value}}}," for name, value in fields if value]
    return f"@{entry_type}{{{key},\n" + "\n".join(lines) + "\n}\n"


def bibtex_escape(text: str) -> str:
    """Plain text as a BibTeX value: LaTeX specials escaped, braces always balanced."""
    return " ".join(text.translate(_BIBTEX_SPECIAL).split())


def _bibtex_title(title: str) -> str:
    """Escaped, with words like ``LoRA`` or ``CLIP`` braced so styles keep their capitals."""
    return _CAPITALISED.sub(lambda m: f"{{{m.group(1)}}}" if re.search("[A-Z]", m.group(1)[1:])
                            else m.group(1), bibtex_escape(title))


def _bibtex_name(author: str) -> str:
    escaped = bibtex_escape(author)
    # "and" inside one name would split it in two; braces keep it whole.
    return f"{{{escaped}}}" if re.search(r"\band\b", escaped, re.IGNORECASE) else escaped


def _bibtex_url(url: str) -> str:
    return url.strip().translate(_URL_UNSAFE)


# --- exports and the digest's facets ----------------------------------------------------------

def _paper_record(view: NoteView, paper: Paper, key: str) -> dict:
    note = view.note
    return {
        "title": note.title, "url": view.permalink, "date": note.date.isoformat(),
        "updated": note.updated.isoformat() if note.updated else None,
        "venue": note.venue or None, "year": paper.year or None, "authors": list(note.authors),
        "arxiv": paper.arxiv or None, "doi": note.doi or None, "task": note.task or None,
        "categories": list(note.categories), "tags": list(note.tags),
        "links": dict(note.links), "summary": view.summary, "lang": view.lang,
        "bibtex_key": key,
    }


def render_exports(scholarly: Scholarly) -> dict[str, str]:
    """The site's machine-readable files, by output path."""
    return {"papers.bib": scholarly.papers_bib(), "papers.json": scholarly.papers_json()}


@dataclass(frozen=True)
class FacetOption:
    value: str
    """The slug used in ``data-*`` attributes and in the digest URL's query."""
    label: str
    count: int


@dataclass(frozen=True)
class Facet:
    name: str
    """Query parameter and ``data-`` attribute name: category, task, venue or year."""
    label: str
    options: tuple[FacetOption, ...]


def digest_facets(site: Site) -> tuple[Facet, ...]:
    """What the digest can be filtered by; names sorted, years newest first."""
    def by_name(options: list[FacetOption]) -> tuple[FacetOption, ...]:
        return tuple(sorted(options, key=lambda o: (o.label.casefold(), o.value)))

    tasks: dict[str, FacetOption] = {}
    for view in site.notes:
        if view.note.task:
            slug = slugify(view.note.task)
            known = tasks.get(slug)
            tasks[slug] = FacetOption(slug, known.label if known else view.note.task,
                                      known.count + 1 if known else 1)
    return (
        Facet("category", "Category", by_name([FacetOption(t.slug, t.name, len(t.notes))
                                               for t in site.categories])),
        Facet("task", "Task", by_name(list(tasks.values()))),
        Facet("venue", "Venue", by_name([FacetOption(t.slug, t.name, len(t.notes))
                                         for t in site.venues])),
        Facet("year", "Year", tuple(FacetOption(t.slug, t.name, len(t.notes))
                                    for t in site.years)),
    )


def note_facets(view: NoteView) -> dict[str, str]:
    """``data-*`` values of a digest entry; categories are space-separated slugs."""
    note = view.note
    return {
        "category": " ".join(dict.fromkeys(slugify(c) for c in note.categories)),
        "task": slugify(note.task) if note.task else "",
        "venue": slugify(venue_group(note.venue)) if note.venue else "",
        "year": str(view.year),
    }


Memo = Callable[[tuple, Callable[[], str]], str]
"""``memo(key, make)``: the text ``key`` names, made by ``make()`` unless it is kept."""


def _no_memo(key: tuple, make: Callable[[], str]) -> str:
    return make()


class Scholarly:
    """Everything above for one site, each paper's facts and the keys computed once; templates
    see it as the ``scholarly`` global."""

    def __init__(self, site: Site, memo: Memo | None = None):
        self.site = site
        self.memo: Memo = memo or _no_memo
        """Where text made from one note is kept between builds (the incremental layer's)."""
        self._papers: dict[str, Paper] = {}
        self._keys: dict[str, str] | None = None

    def paper(self, view: NoteView) -> Paper:
        paper = self._papers.get(view.note.source)
        if paper is None:
            paper = self._papers[view.note.source] = paper_of(view)
        return paper

    def cite_key(self, view: NoteView) -> str:
        if self._keys is None:
            # A base key depends only on the note's own front matter: kept between builds.
            base_of = {v.note.source: self.memo(
                ("cite-base", v.note.digest), lambda v=v: base_key(self.paper(v)))
                for v in self.site.notes}
            self._keys = unique_keys(self.site.notes, base_of)
        return self._keys[view.note.source]

    def bibtex(self, view: NoteView) -> str:
        key = self.cite_key(view)
        return self.memo(("bibtex", view.note.digest, key),
                                  lambda: bibtex_entry(self.paper(view), key))

    def citation_meta(self, view: NoteView) -> list[tuple[str, str]]:
        return citation_meta(self.paper(view))

    def open_graph(self, view: NoteView) -> list[tuple[str, str, str]]:
        return open_graph(view, self.site)

    def json_ld(self, view: NoteView) -> Markup:
        return json_ld(view, self.paper(view), self.site)

    def digest_facets(self) -> tuple[Facet, ...]:
        return digest_facets(self.site)

    def note_facets(self, view: NoteView) -> dict[str, str]:
        return note_facets(view)

    def papers_bib(self) -> str:
        return "\n".join(self.bibtex(view) for view in self.site.notes)

    def papers_json(self) -> str:
        """One paper per line, so the file diffs well from build to build."""
        config = self.site.config
        records = ",\n".join(self._record_json(view) for view in self.site.notes)
        head = json.dumps({"title": config.title, "url": config.base_url}, ensure_ascii=False)
        return head[:-1] + ', "papers": [\n' + records + "\n]}\n"

    def _record_json(self, view: NoteView) -> str:
        key = self.cite_key(view)
        return self.memo(
            ("papers.json", view.note.digest, view.permalink, view.lang, key),
            lambda: json.dumps(_paper_record(view, self.paper(view), key), ensure_ascii=False))
