"""One error type for everything the user wrote wrong, and a collector for them.

Every stage reports problems as :class:`Problem` values instead of raising on the first one, so a
build can list every bad note in one run (Zola stops at the first error; we do better).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """A mistake in the user's input: where it is and what is wrong."""

    file: str
    message: str
    line: int | None = None
    field: str | None = None
    warning: bool = False

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {what}"


class BuildError(Exception):
    """Raised when a stage found errors; carries every problem found so far. The one type a
    command catches: everything the user wrote wrong, in site.toml or in a note, is one."""

    def __init__(self, problems: list[Problem] | Problems):
        self.problems: list[Problem] = list(getattr(problems, "items", problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(BuildError):
    """site.toml is unreadable or invalid; ``problems`` lists every reason."""


@dataclass
class Problems:
    """Collects errors and warnings from one stage, in the order they were found."""

    items: list[Problem] = field(default_factory=list)

    def error(self, file: str | Path, message: str, line: int | None = None,
              field: str | None = None) -> None:
        self.items.append(Problem(str(file), message, line, field))

    def warn(self, file: str | Path, message: str, line: int | None = None,
             field: str | None = None) -> None:
        self.items.append(Problem(str(file), message, line, field, warning=True))

    def extend(self, problems: list[Problem]) -> None:
        self.items.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.warning]

    def raise_if_errors(self, strict: bool = False) -> None:
        """Stop the build if anything is wrong; with ``strict`` warnings count as errors."""
        failing = self.items if strict else self.errors
        if failing:
            raise BuildError(failing)


def quote(value: object) -> str:
    """Show a found value in a message the way the user wrote it: strings quoted, short."""
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
