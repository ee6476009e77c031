"""What a feed entry shows above the note's body: the facts of the page's header (venue,
authors, task, the link badges and the categories), as plain HTML that feed readers keep.

Readers drop classes, styles and scripts, so the header is paragraphs, ``<strong>`` and
absolute links, nothing else. Labels are in the site's language (theme/i18n).
"""

from __future__ import annotations

from urllib.parse import urljoin

from markupsafe import escape

from .i18n import Translations
from .model import NoteView, Site


def entry_header(note: NoteView, site: Site, translations: Translations) -> str:
    """The header block of ``note``'s entry, ending in a rule that sets it off the body."""
    # Escaped values joined as strings: what Markup.format gives, without its formatter (the
    # slowest part of a feed, once per entry of every feed).
    language = site.config.language
    facts = []
    if note.note.venue:
        facts.append(f"<strong>{escape(note.note.venue)}</strong>")
    if note.note.authors:
        facts.append(escape(", ".join(note.note.authors)))
    if note.note.task:
        facts.append(f"{escape(translations.text(language, 'note.task'))}: "
                     f"{escape(note.note.task)}")
    rows = []
    if facts:
        rows.append(" · ".join(facts))
    if note.note.paper:
        rows.append(escape(note.note.paper))
    if note.links:
        rows.append(" · ".join(f'<a href="{escape(link.url)}">{escape(link.label)}</a>'
                               for link in note.links))
    if note.categories:
        label = escape(translations.text(language, "list.categories"))
        terms = ", ".join(f'<a href="{escape(urljoin(site.config.base_url, term.url))}">'
                          f"{escape(term.name)}</a>" for term in note.categories)
        rows.append(f"{label}: {terms}")
    if not rows:
        return ""
    return "".join(f"<p>{row}</p>\n" for row in rows) + "<hr>\n"
