"""``digestif check`` names the raw HTML in notes that runs script, with file and line, as
warnings; a site without any gets no such warning and the check still passes."""

from __future__ import annotations

from conftest import copy_site, write_note
from digestif.cli import main

SCRIPTED = """---
title: Imported
date: 2024-05-01
---
Intro with `onclick=` in code, which is text.

<button onclick="steal()">Press</button>

[click](javascript:alert(1)) and <a href=" JaVa&#x09;Script:go()">spaced</a>

<script>track()</script>

```html
<a href="javascript:void(0)" onmouseover="x()">in a code block: text</a>
```
"""


def warnings_of(text: str) -> list[str]:
    return [line.removeprefix("warning: ") for line in text.splitlines()
            if line.startswith("warning: ")]


def test_check_names_each_script_in_a_note_with_its_file_and_line(tmp_path, capsys):
    site = copy_site("minimal", tmp_path)
    write_note(site, "papers/imported.md", SCRIPTED)
    assert main(["check", str(site)]) == 0, "scripts are warnings, not broken links"
    page = "papers/imported/index.html"
    assert [w for w in warnings_of(capsys.readouterr().err) if "script" in w] == [
        f"content/papers/imported.md:7: {page}: the onclick= handler on <button> runs script "
        "on your site",
        f"content/papers/imported.md:9: {page}: a javascript: URL in <a href> runs script on "
        "your site",
        f"content/papers/imported.md:9: {page}: a javascript: URL in <a href> runs script on "
        "your site",
        f"content/papers/imported.md:11: {page}: a <script> element runs script on your site",
    ]


def test_a_site_without_scripts_in_its_notes_gets_no_such_warning(tmp_path, capsys):
    site = copy_site("minimal", tmp_path)
    assert main(["check", str(site)]) == 0
    assert not [w for w in warnings_of(capsys.readouterr().err) if "script" in w]
