"""Set one key of a digestif site.toml's table without disturbing the rest of the file.

run.py writes `[markdown] engine` and `[search] enabled` into the corpora it generates;
serve_latency.py sets the engine of a site it is given and puts the file back afterwards.
A table that already exists gets the key (replaced if it was there); otherwise the table is
appended. TOML allows a table only once, so appending blindly would break a site that has one.
"""

from __future__ import annotations

import json
import re
import tomllib


def set_key(text: str, table: str, key: str, value: str | bool) -> str:
    """``text`` with ``[table] key = value``; raises ValueError if the result is not TOML."""
    line = f"{key} = {_toml_value(value)}"
    if text and not text.endswith("\n"):
        text += "\n"
    header = re.compile(rf"^\[{re.escape(table)}\][ \t]*(#.*)?$", re.MULTILINE)
    found = header.search(text)
    if found is None:
        result = text.rstrip("\n") + f"\n\n[{table}]\n{line}\n"
    else:
        body_start = found.end() + 1
        next_table = re.compile(r"^\[", re.MULTILINE).search(text, body_start)
        body_end = next_table.start() if next_table else len(text)
        body = text[body_start:body_end]
        existing = re.compile(rf"^{re.escape(key)}[ \t]*=.*$", re.MULTILINE)
        if existing.search(body):
            body = existing.sub(lambda _: line, body, count=1)
        else:
            body = line + "\n" + body
        result = text[:body_start] + body + text[body_end:]
    parsed = tomllib.loads(result)
    if parsed.get(table, {}).get(key) != value:
        raise ValueError(f"could not set [{table}] {key} in site.toml")
    return result


def _toml_value(value: str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)  # a JSON string is a TOML basic string
