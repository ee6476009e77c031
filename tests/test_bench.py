"""bench/: the corpus is deterministic and has what real vaults have, site.toml edits keep the
file valid, stage times are read and reported, and the engine switch refuses what digestif
cannot do. Fast: no Hugo, no Pelican, one tiny digestif build."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402
import site_toml  # noqa: E402
from measure import Sample, parse_stages  # noqa: E402


@pytest.fixture(scope="module")
def notes() -> list[generate.SyntheticNote]:
    return generate.make_notes(300, 1)


# --- the corpus ------------------------------------------------------------------------------


def test_a_smaller_corpus_is_the_start_of_a_larger_one(notes):
    assert generate.make_notes(120, 1) == notes[:120]
    assert generate.make_notes(120, 2) != notes[:120]


def test_the_corpus_has_what_real_vaults_have(notes):
    shapes = [note.shape for note in notes]
    share = {
        "zh": sum(s.language == "zh" for s in shapes),
        "ko": sum(s.language == "ko" for s in shapes),
        "tables": sum(s.tables > 0 for s in shapes), "mermaid": sum(s.mermaid for s in shapes),
        "heavy math": sum(s.heavy_math for s in shapes), "long": sum(s.long for s in shapes),
        "CJK title": sum(s.cjk_title for s in shapes),
    }
    assert share["tables"] > len(notes) / 2, share
    assert all(share[kind] > 0 for kind in share), share
    long_note = next(note for note in notes if note.shape.long)
    assert 5000 <= generate._words(long_note.body) <= 10_000
    zh = next(note for note in notes if note.shape.language == "zh")
    assert "## 方法" in zh.body
    diagram = next(note for note in notes if note.shape.mermaid)
    assert "```mermaid\nflowchart" in diagram.body
    derivation = next(note for note in notes if note.shape.heavy_math)
    assert derivation.body.count("$$") >= 12


def test_some_tags_differ_only_in_case_across_notes(notes):
    spellings: dict[str, set[str]] = {}
    for note in notes:
        for tag in note.tags:
            spellings.setdefault(generate.slugify(tag), set()).add(tag)
    assert any(len(names) > 1 for names in spellings.values())


def test_cjk_titles_get_unique_non_empty_slugs(notes):
    slugs = [note.slug for note in notes]
    assert len(set(slugs)) == len(slugs)
    assert all(slug and not slug.startswith("-") for slug in slugs)


def test_every_tool_gets_the_same_words(notes, tmp_path):
    note = next(n for n in notes if n.shape.language == "ko")
    for fmt in generate.FORMATS:
        generate.write_site([note], tmp_path / fmt, fmt)
    written = {fmt: next((tmp_path / fmt / "content").rglob(f"{note.slug}.md"))
               .read_text(encoding="utf-8") for fmt in generate.FORMATS}
    assert all(text.endswith(note.body) for text in written.values())
    assert all(note.title in text for text in written.values())


# --- site.toml -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    'title = "x"',
    'title = "x"\n[markdown]\nmath = "pandoc"\n[search]\nenabled = true\n',
    '[markdown]\nengine = "python-markdown"  # the default\n'
    '[markdown.macros]\nR = "\\\\mathbb{R}"\n',
])
def test_set_key_keeps_the_file_valid_and_the_other_keys(text):
    result = site_toml.set_key(text, "markdown", "engine", "commonmark")
    result = site_toml.set_key(result, "search", "enabled", False)
    before, after = tomllib.loads(text), tomllib.loads(result)
    assert after["markdown"]["engine"] == "commonmark"
    assert after["search"]["enabled"] is False
    for table, values in before.items():
        for key, value in (values.items() if isinstance(values, dict) else [(None, values)]):
            if key not in ("engine", "enabled"):
                assert (after[table][key] if key else after[table]) == value


def test_generated_config_names_the_engine_only_where_digestif_has_the_key():
    text = 'title = "x"\n'
    with_key = tomllib.loads(run.digestif_config(text, "commonmark", False, key_known=True))
    assert with_key["markdown"]["engine"] == "commonmark"
    assert with_key["search"]["enabled"] is False
    without = tomllib.loads(run.digestif_config(text, "python-markdown", True, key_known=False))
    assert "markdown" not in without and without["search"]["enabled"] is True


# --- engines and options ---------------------------------------------------------------------


def test_engines_default_to_all_and_refuse_what_this_digestif_lacks(capsys):
    assert run.choose_engines(None, key_known=True) == list(run.ENGINES)
    assert run.choose_engines(["commonmark"], key_known=True) == ["commonmark"]
    assert run.choose_engines(None, key_known=False) == ["python-markdown"]
    assert "no [markdown] engine key" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="cannot build with commonmark"):
        run.choose_engines(["python-markdown", "commonmark"], key_known=False)


def test_runs_default_to_fewer_at_large_sizes_and_can_be_given_per_size():
    args = run.parse_args(["--sizes", "1000,20000"])
    assert args.runs == {1000: 3, 20000: 1}
    assert run.parse_args(["--sizes", "1000,20000", "--runs", "2,1"]).runs == {1000: 2, 20000: 1}
    with pytest.raises(SystemExit):
        run.parse_args(["--sizes", "1000,20000", "--runs", "2,1,1"])


def test_search_everywhere_replaces_the_search_on_edit():
    assert run.parse_args([]).search_edit
    assert not run.parse_args(["--digestif-search"]).search_edit
    assert run.parse_args(["--tools", "digestif", "--skip-hugo"]).tools == ["digestif"]


# --- stage times and the report --------------------------------------------------------------


def test_stage_lines_are_read_in_order_and_summed():
    log = ("bench-stage read: 0.5 s\nnoise\nbench-stage markdown: 2.25 s\n"
           "bench-stage markdown: 0.25 s\n"
           "bench-search: IndexStats(pages=3, languages=('en',), files=9, bytes=1, seconds=1.5)\n")
    assert parse_stages(log) == {"read": 0.5, "markdown": 2.5, "pagefind (in write)": 1.5}


def _row(tool: str, build: str, seconds: list[float], size: int = 1000,
         stages: dict[str, float] | None = None, pss_kb: int = 1024) -> report.Row:
    row = report.Row(size, tool, build, echo=False)
    for value in seconds:
        row.add(Sample(value, 1024, pss_kb, 0.5, dict(stages or {})))
    return row


def test_stage_profile_shows_medians_and_the_time_outside_stages():
    stages = {"read": 1.0, "write": 2.0, "pagefind (in write)": 1.5}
    cold = _row("digestif (commonmark)", "cold", [4.0, 5.0, 9.0], stages=stages)
    assert report.stage_medians(cold) == {"read": 1.0, "write": 2.0,
                                          "pagefind (in write)": 1.5, "other": 2.0}
    table = report.format_stages([cold, _row("digestif (commonmark)", "no change", [0.1]),
                                  _row("Hugo", "cold", [3.0])])
    lines = table.splitlines()
    assert lines[0].split(" | ")[3:] == ["read", "write", "pagefind (in write)", "other",
                                         "total |"]
    assert len(lines) == 3 and "| 5.00 |" in lines[2]


def test_targets_say_by_how_much_a_target_is_missed():
    rows = [_row("digestif (commonmark)", "cold", [5.0]), _row("Hugo", "cold", [4.0]),
            _row("digestif (python-markdown)", "one edit", [0.3]),
            _row("digestif (commonmark)", "cold", [66.0], size=20000, pss_kb=800 * 1024)]
    lines = report.format_targets(rows).splitlines()[2:]
    assert "| 1.25× | ≤ 1× | no, by 25% |" in lines[0]
    assert lines[1].endswith("| 0.30 s | ≤ 0.4 s | yes |")
    assert "no, by 10%" in lines[2] and lines[3].endswith("| 800 MB | ≤ 1024 MB | yes |")
    assert report.format_targets(rows[2:3], search_everywhere=True) == ""


def test_the_wrapper_prints_digestif_stage_times(tmp_path):
    generate.write_site(generate.make_notes(3, 1), tmp_path, "digestif")
    config = tmp_path / "site.toml"
    config.write_text(site_toml.set_key(config.read_text(), "search", "enabled", False))
    done = subprocess.run([sys.executable, str(BENCH / "digestif_build.py"), ".", "-q"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    stages = parse_stages(done.stdout + done.stderr)
    assert {"read", "parse", "markdown", "render", "write"} <= stages.keys()
    assert (tmp_path / "_site" / "papers" / generate.make_notes(1, 1)[0].slug).is_dir()


def test_report_names_the_command_and_a_missing_engine_key():
    args = argparse.Namespace(runs={200: 1}, engine_key=False, digestif_search=False)
    text = report.format_report([_row("Hugo", "cold", [1.0], size=200)], {"Hugo": "0.1"}, args,
                                ["--sizes", "200"])
    assert "python bench/run.py --sizes 200" in text and "has no `[markdown] engine` key" in text
