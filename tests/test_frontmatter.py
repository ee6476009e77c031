"""The front-matter loader: what YAML values mean, and what it refuses before building
anything (docs/limits.md)."""

from __future__ import annotations

import pytest
import yaml

from digestif.frontmatter import FrontMatterLoader, key_lines, yaml_error_location


@pytest.mark.parametrize("typed, value", [
    ("1:20", "1:20"), ("0123", "0123"), ("1_000", "1_000"), ("0x1F", "0x1F"), ("+1", "+1"),
    ("-0", "-0"), ("2106.10000", "2106.10000"), ("1e3", "1e3"), (".inf", ".inf"),
    ("No", "No"), ("Off", "Off"), ("yes", "yes"), ("on", "on"), ("y", "y"),
    ("2025-05-28", "2025-05-28"), ("2025-05-28 10:00:00 +0900", "2025-05-28 10:00:00 +0900"),
    ("<<", "<<"), ("=", "="),
    ("2025", 2025), ("-7", -7), ("0", 0), ("true", True), ("False", False), ("~", None),
    ("null", None), ("", None),
])
def test_front_matter_yaml_resolves_only_what_notes_need(typed, value):
    """YAML 1.1 read 1:20 as 80, 0123 as 83, No as false: digestif keeps what was typed, and
    reads as a number only digits that print back the same."""
    loaded = yaml.load(f"k: {typed}\n", Loader=FrontMatterLoader)  # noqa: S506 - safe loader
    assert loaded["k"] == value and type(loaded["k"]) is type(value)


@pytest.mark.parametrize("text, line, message", [
    ("a: &x [1]\nb: *x\n", 2, "an alias (*x) repeats a value written elsewhere"),
    ("a: " + "[" * 101 + "]" * 101 + "\n", 1, "lists and mappings nested more than 100 deep"),
    ("a:\n" + "".join("  " * i + "- \n" for i in range(1, 103)), 101,
     "lists and mappings nested more than 100 deep"),
])
def test_the_loader_refuses_aliases_and_deep_nesting_with_the_line(text, line, message):
    with pytest.raises(yaml.YAMLError) as caught:
        yaml.load(text, Loader=FrontMatterLoader)  # noqa: S506 - a safe loader
    assert caught.value.problem_mark.line + 1 == line
    assert caught.value.problem.startswith(message)


@pytest.mark.parametrize("text, line, message", [
    ("tags: [a, b\nvenue: X\n", 2, "invalid YAML: the '[' on this line is never closed (found "
     "on line 3: did not find expected ',' or ']')"),
    ('title: "T\ndate: 2024-01-01\n', 2, "invalid YAML: the quote opened on this line is never "
     "closed"),
    ("links: {a: b\nvenue: X\n", 2, "invalid YAML: the '{' on this line is never closed"),
    ("title: T: sub\n", 2, "invalid YAML: a ': ' inside a value; put the value in quotes"),
    ("title: T\n  date: 2024\n", 3, "invalid YAML: a ': ' inside a value"),
])
def test_yaml_errors_name_the_line_of_the_mistake(text, line, message):
    """Lines are the file's: the front matter starts on line 2, after the opening ---."""
    with pytest.raises(yaml.YAMLError) as caught:
        yaml.load(text, Loader=FrontMatterLoader)  # noqa: S506 - a safe loader
    found_line, found = yaml_error_location(caught.value, text)
    assert (found_line, found[:len(message)]) == (line, message)


def test_key_lines_name_nested_keys_by_their_path():
    text = "title: T\nlinks:\n  paper: https://a.org\n  code: x\nextra: {a: {b: 1}}\n"
    assert key_lines(text) == {"title": 2, "links": 3, "links.paper": 4, "links.code": 5,
                               "extra": 6, "extra.a": 6, "extra.a.b": 6}
