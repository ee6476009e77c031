"""``digestif build --explain [PATH]``: why each page was rendered again, or why not."""

from __future__ import annotations

from .record import Input, PageRecord


def explain(explanations: dict[str, list[str]], records: dict[str, PageRecord],
            path: str | None = None, pages_of: dict[str, str] | None = None) -> list[str]:
    """Lines to print: every page and feed rendered again with its reasons, or for ``path``
    (an output path, a URL path or a note's file: ``pages_of`` maps note files to their
    pages) why it was or was not."""
    if path is None:
        lines = []
        for output, reasons in explanations.items():
            if reasons:
                lines.append(f"{output}:")
                lines += [f"  - {reason}" for reason in reasons]
        again = sum(1 for reasons in explanations.values() if reasons)
        lines.append(f"{again} of {len(explanations)} pages and feeds rendered again")
        return lines
    output = find_output(path, explanations, pages_of or {})
    if output is None:
        return [f"{path}: no page or feed of the site is written there"]
    reasons = explanations[output]
    if reasons:
        return [f"{output}: rendered again because", *[f"  - {r}" for r in reasons]]
    record = records.get(output)
    inputs = sorted({input_name(key) for key in record.inputs}) if record else []
    shown = ", ".join(inputs[:12]) + (f" and {len(inputs) - 12} more" if len(inputs) > 12 else "")
    return [f"{output}: not rendered again: none of the {len(inputs)} inputs it read changed",
            f"  read: {shown}"]


def find_output(path: str, explanations: dict[str, list[str]],
                pages_of: dict[str, str]) -> str | None:
    """``papers/lora/``, ``/papers/lora``, ``papers/lora/index.html`` or
    ``content/papers/lora.md`` -> ``papers/lora/index.html``."""
    plain = path.strip().lstrip("/")
    candidates = [plain, plain.rstrip("/") + "/index.html", plain + "index.html"]
    for candidate in candidates:
        if candidate in explanations:
            return candidate
    return pages_of.get(plain)


def input_name(key: Input) -> str:
    kind = key[0]
    if kind == "note":
        return key[1]
    if kind == "term":
        return f'{key[1]} "{key[2]}"'
    if kind == "list":
        return "the number of notes" if key[1] == "note_count" else f"the list of {key[1]}"
    if kind == "template":
        return f"template {key[1]}"
    return "the settings" if kind == "settings" else "the digest's filters"
