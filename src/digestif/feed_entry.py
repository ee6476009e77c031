"""What a feed entry shows above the note's body: the facts of the page's header (venue,
authors, task, the link badges and the categories), as plain HTML that feed readers keep.

Readers drop classes, styles and scripts, so the header is paragraphs, ``<strong>`` and
absolute links, nothing else. Labels are in the site's language (theme/i18n).
"""

from __future__ import annotations

from urllib.parse import urljoin

from markupsafe import Markup, escape

from .i18n import Translations
from .model import NoteView, Site


def entry_header(note: NoteView, site: Site, translations: Translations) -> str:
    """The header block of ``note``'s entry, ending in a rule that sets it off the body."""
    language = site.config.language
    facts = []
    if note.note.venue:
        facts.append(Markup("<strong>{}</strong>").format(note.note.venue))
    if note.note.authors:
        facts.append(escape(", ".join(note.note.authors)))
    if note.note.task:
        facts.append(Markup("{}: {}").format(translations.text(language, "note.task"),
                                             note.note.task))
    rows = []
    if facts:
        rows.append(Markup(" · ").join(facts))
    if note.note.paper:
        rows.append(escape(note.note.paper))
    if note.links:
        rows.append(Markup(" · ").join(Markup('<a href="{}">{}</a>').format(link.url, link.label)
                                       for link in note.links))
    if note.categories:
        label = translations.text(language, "list.categories")
        terms = Markup(", ").join(Markup('<a href="{}">{}</a>').format(
            urljoin(site.config.base_url, term.url), term.name) for term in note.categories)
        rows.append(Markup("{}: {}").format(label, terms))
    if not rows:
        return ""
    return "".join(Markup("<p>{}</p>\n").format(row) for row in rows) + "<hr>\n"
