"""Which notes a build publishes: drafts only with ``--drafts``, notes dated in the future only
with ``--future`` (as Jekyll and Hugo do), and how many were left out, for the build summary.

A note dated tomorrow appears by itself once its date has passed: the time of the next such
note is kept with the build cache (the incremental layer's manifest), and a build after it is
never "nothing changed", even though no file did.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .note import Note

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class LeftOut:
    """Notes a build did not publish, and why."""

    drafts: int = 0
    """``draft: true``, built without ``--drafts``."""
    future: int = 0
    """Dated after the build, built without ``--future``."""
    next_release: float | None = None
    """POSIX time of the earliest future note left out: the build after it publishes it."""

    def summary(self) -> str:
        """``"left out 1 draft (--drafts) and 2 notes dated in the future (--future)"``, or ""."""
        parts = []
        if self.drafts:
            parts.append(f"{self.drafts} draft{'s' * (self.drafts != 1)} (--drafts)")
        if self.future:
            parts.append(f"{self.future} note{'s' * (self.future != 1)} dated in the future "
                         "(--future)")
        return "left out " + " and ".join(parts) if parts else ""


def leave_out(notes: list[Note], drafts: bool, future: bool,
              now: datetime) -> tuple[list[Note], LeftOut]:
    """The notes to publish, and what was left out of them."""
    kept: list[Note] = []
    draft_sources, later = [], []
    for note in notes:
        if note.draft and not drafts:
            draft_sources.append(note.source)
        elif note.date > now and not future:
            later.append(note.date.timestamp())
        else:
            kept.append(note)
    if draft_sources:  # -v names them
        log.info("%d draft%s left out (draft: true or Jekyll's published: false; build "
                 "--drafts shows them): %s", len(draft_sources), "s" * (len(draft_sources) != 1),
                 ", ".join(draft_sources[:5]) + (", …" if len(draft_sources) > 5 else ""))
    return kept, LeftOut(len(draft_sources), len(later), min(later) if later else None)


def release_due(left_out: LeftOut, now: datetime) -> bool:
    """A note left out for its future date is now due: the output must change."""
    return left_out.next_release is not None and now.timestamp() >= left_out.next_release
