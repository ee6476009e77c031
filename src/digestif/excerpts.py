"""Parts of a note's rendered body shown on other pages: its bullets, for digest entries.

A brief note is often only front matter and a list (a README paper list turned into notes);
its list is what it says, so the digest shows it as the README did. The list is taken from the
rendered HTML as it is, minus what only makes sense on the note's own page: ``id`` attributes
(they would repeat on a page listing every note) and footnote references (their targets are on
the note's page).
"""

from __future__ import annotations

import re

from markupsafe import Markup

_LIST_TAG = re.compile(r"<(/?)(ul|ol)\b[^>]*>", re.IGNORECASE)
_FOOTNOTE_REF = re.compile(r'<sup id="fnref[^"]*">.*?</sup>', re.DOTALL)
_ID_ATTRIBUTE = re.compile(r'\s+id="[^"]*"')


def first_list(html: str) -> Markup:
    """The body's first bulleted or numbered list, nested lists included; empty Markup when
    the body has none."""
    depth, start = 0, None
    for match in _LIST_TAG.finditer(html):
        closing = bool(match.group(1))
        if not closing:
            if depth == 0:
                start = match.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0 and start is not None:
                found = html[start:match.end()]
                return Markup(_ID_ATTRIBUTE.sub("", _FOOTNOTE_REF.sub("", found)))
    return Markup("")
