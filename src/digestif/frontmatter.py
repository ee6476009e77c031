"""YAML front matter that means what was typed and cannot be made to explode: the loader
every reader of notes uses (the build, ``import jekyll``), and where its errors are.

docs/limits.md lists what is resolved and what is refused.
"""

from __future__ import annotations

import re

import yaml

# Front matter nests at most this deep: libyaml's composer recurses in C and crashes the
# interpreter on about 100,000 nested '[' (a segmentation fault, not an exception).
MAX_DEPTH = 100


class FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML that means what was typed, and that cannot be made to explode.

    Only what front matter needs is resolved: ``true``/``false``, ``null``/``~``, and integers
    written the one way ``str()`` writes them back. ``1:20`` (sexagesimal), ``0123`` (octal),
    ``1_000``, ``No``/``Off``/``yes``, ``2106.10000`` (a float) and ``2025-05-28`` (a
    timestamp: dates are parsed by us, PyYAML crashes on ``2025-13-45``) stay the text written.

    Aliases (``*name``) are refused before anything is built: nine lines of nested aliases
    expand to a billion items. Nesting is capped at :data:`MAX_DEPTH`. Both checks raise a
    YAMLError with the line, so every user of this loader (the reader, ``import jekyll``)
    reports them as it reports a syntax error."""

    def __init__(self, stream):
        if isinstance(stream, str):
            _refuse_aliases_and_depth(stream)
        super().__init__(stream)


FrontMatterLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
        ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("int", r"^(?:0|-?[1-9][0-9]*)$", "-0123456789"),
        ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])):
    FrontMatterLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern),
                                             list(_first))


class FrontMatterLimit(yaml.MarkedYAMLError):
    """Front matter that would cost too much to load (an alias, too deep a nesting)."""


def _refuse_aliases_and_depth(text: str) -> None:
    """Walk the parser's events (no objects built) when the text could hold an alias or nest
    deeper than :data:`MAX_DEPTH`; most notes hold neither and cost nothing here."""
    # Every level of nesting needs one of these characters, so few of them bound the depth.
    indicators = sum(text.count(c) for c in "[{-?:")
    if "*" not in text and indicators < MAX_DEPTH:
        return
    parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    depth = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, yaml.AliasEvent):
                raise FrontMatterLimit(problem=f"an alias (*{event.anchor}) repeats a value "
                                       "written elsewhere; digestif does not expand aliases "
                                       "(a few lines of them can expand to billions of items)"
                                       ": write the value out", problem_mark=event.start_mark)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise FrontMatterLimit(problem=f"lists and mappings nested more than "
                                           f"{MAX_DEPTH} deep", problem_mark=event.start_mark)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except FrontMatterLimit:
        raise
    except yaml.YAMLError:
        return  # a syntax error: loading reports it, with its own message
    finally:
        parser.dispose()


# Errors found where something opened earlier should have been closed: the mistake is where it
# was opened (an unclosed '[' is reported by libyaml on the next key's line).
_OPENED = {"while parsing a flow sequence": "the '[' on this line is never closed",
           "while parsing a flow mapping": "the '{' on this line is never closed",
           "while scanning a quoted scalar": "the quote opened on this line is never closed"}


def yaml_error_location(exc: yaml.YAMLError, yaml_text: str) -> tuple[int | None, str]:
    """(line in the file, message) for a YAML error in front matter that starts on line 2."""
    problem = getattr(exc, "problem", None) or str(exc)
    mark = getattr(exc, "problem_mark", None)
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context in _OPENED and context_mark is not None:
        found = f" (found on line {mark.line + 2}: {problem})" if mark is not None else ""
        return context_mark.line + 2, f"invalid YAML: {_OPENED[context]}{found}"
    line = mark.line + 2 if mark is not None else None  # +1 for 1-based, +1 for the ---
    lines = yaml_text.split("\n")
    if mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]:
        key = lines[mark.line].split(":", 1)[0].strip()
        return line, f"invalid YAML: a tab in '{key}'; YAML indents and separates with spaces only"
    if problem.startswith("mapping values are not allowed"):
        problem = "a ': ' inside a value; put the value in quotes"
    return line, f"invalid YAML: {problem}"


def key_lines(yaml_text: str) -> dict[str, int]:
    """Line (in the file) of each key, for messages about one field: ``links`` and, for
    mappings inside mappings, ``links.code``."""
    try:
        node = yaml.compose(yaml_text, Loader=FrontMatterLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}
    _add_key_lines(node, "", lines, depth=3)
    return lines


def _add_key_lines(node, prefix: str, lines: dict[str, int], depth: int) -> None:
    if not isinstance(node, yaml.MappingNode) or depth == 0:
        return
    for key, value in node.value:
        path = f"{prefix}{key.value}"
        lines.setdefault(path, key.start_mark.line + 2)
        _add_key_lines(value, path + ".", lines, depth - 1)
