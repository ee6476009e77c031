"""`digestif init` and `digestif new`: what they write, what they refuse, and that the result
builds."""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import RecordedResponse, parse_html, snapshot
from digestif.build import BuildOptions, build
from digestif.cli import main
from digestif.config import ConfigError, SiteConfig, load_config
from digestif.errors import Problems
from digestif.reader import NoteFile, read_note
from digestif.scaffold import (
    EXAMPLE_NOTE,
    NoteRequest,
    ScaffoldError,
    init_site,
    new_note,
    title_language,
)

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2025, 5, 26)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.fixture
def site(tmp_path) -> Path:
    """A freshly initialised site."""
    init_site(tmp_path / "site", today=TODAY)
    return tmp_path / "site"


def read(site: Path, path: Path):
    problems = Problems()
    note = read_note(NoteFile(path, path.relative_to(site).as_posix()), ZoneInfo("UTC"),
                     problems)
    assert not problems.items, [str(p) for p in problems.items]
    return note


def lora_answer(url: str, timeout: float) -> bytes:
    return (FIXTURES / "arxiv_2106.09685.xml").read_bytes()


def offline(url: str, timeout: float) -> bytes:
    raise OSError("Network is unreachable")


# ---------------------------------------------------------------------------- init


def test_init_creates_a_site_that_builds_strictly_without_warnings(tmp_path):
    result = init_site(tmp_path / "new", title="Reading Group", today=TODAY)
    assert set(result.created) == {
        "site.toml", EXAMPLE_NOTE, "content/pages/about.md", "templates/README.md",
        "static/.gitkeep", ".gitignore", ".github/workflows/pages.yml"}
    built = build(tmp_path / "new", BuildOptions(strict=True))
    assert built.warnings == [] and built.notes == 1
    home = parse_html(built.config.output_path / "index.html")
    assert home.findtext(".//title").strip().startswith("Reading Group")
    note_page = parse_html(built.config.output_path / "papers/attention-is-all-you-need/index.html")
    assert "Attention Is All You Need" in "".join(note_page.find(".//h1").itertext())


def test_example_note_is_dated_the_day_of_init(site):
    note = read(site, site / EXAMPLE_NOTE)
    assert note.date.date() == TODAY
    assert note.arxiv == "1706.03762"


def test_init_site_toml_loads_with_the_given_title_and_base_url(tmp_path):
    title = 'Notes "on" C:\\papers — 논문 # not a comment'
    init_site(tmp_path / "s", title=title, base_url="https://user.github.io/repo")
    config = load_config(tmp_path / "s")
    assert config.title == title
    assert config.base_url == "https://user.github.io/repo/"
    assert config.base_path == "/repo/"


def _setting_names(cls: type, prefix: str = "") -> set[str]:
    names = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if not f.init or f.name == "site_dir":
            continue
        names.add(prefix + f.name)
        if dataclasses.is_dataclass(hints[f.name]):
            names |= _setting_names(hints[f.name], f"{prefix}{f.name}.")
    return names


def _written_names(table: dict, prefix: str = "") -> set[str]:
    names = set()
    for key, value in table.items():
        names.add(prefix + key)
        if isinstance(value, dict) and key not in ("categories", "extra"):
            names |= _written_names(value, f"{prefix}{key}.")
    return names


def test_init_site_toml_sets_every_key_digestif_knows(site):
    written = _written_names(tomllib.loads((site / "site.toml").read_text(encoding="utf-8")))
    missing = _setting_names(SiteConfig) - written
    assert not missing, f"add these keys, with a comment, to src/digestif/scaffold/site.toml: " \
                        f"{sorted(missing)}"
    assert written == _setting_names(SiteConfig)


def test_init_site_toml_explains_every_key_and_section_in_a_comment(site):
    lines = (site / "site.toml").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^\s*(\[|[\w\"]+\s*=)", line):
            above = lines[number - 1].strip() if number else ""
            assert above.startswith("#"), f"site.toml line {number + 1} has no comment: {line}"


def test_init_gitignore_keeps_build_output_and_cache_out_of_git(site):
    ignored = (site / ".gitignore").read_text(encoding="utf-8").split()
    assert "_site/" in ignored and ".digestif-cache/" in ignored


def test_empty_folders_hold_a_file_git_keeps_but_the_site_does_not_publish(site):
    assert any((site / "templates").iterdir()) and any((site / "static").iterdir())
    result = build(site)
    published = snapshot(result.config.output_path)
    assert ".gitkeep" not in published and "README.md" not in published


def test_init_refuses_a_non_empty_folder_and_writes_nothing(tmp_path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    before = snapshot(tmp_path)
    with pytest.raises(ScaffoldError, match=r"not empty \(it has notes.txt\).*--force"):
        init_site(tmp_path)
    assert snapshot(tmp_path) == before


def test_init_force_adds_missing_files_and_keeps_existing_ones(tmp_path):
    (tmp_path / "site.toml").write_text('title = "Mine"\n', encoding="utf-8")
    (tmp_path / ".gitignore").write_text("secret/\n", encoding="utf-8")
    result = init_site(tmp_path, title="Theirs", force=True)
    assert result.kept == ["site.toml", ".gitignore"]
    assert (tmp_path / "site.toml").read_text(encoding="utf-8") == 'title = "Mine"\n'
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == "secret/\n"
    assert (tmp_path / EXAMPLE_NOTE).is_file()
    assert (tmp_path / ".github/workflows/pages.yml").is_file()


def test_init_accepts_a_fresh_git_repository(tmp_path):
    (tmp_path / ".git").mkdir()
    assert "site.toml" in init_site(tmp_path).created


def test_init_refuses_a_file_as_the_folder(tmp_path):
    (tmp_path / "taken").write_text("", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="is a file"):
        init_site(tmp_path / "taken")


@pytest.mark.parametrize("url", ["user.github.io/repo", "ftp://example.org/", "https://"])
def test_init_refuses_a_base_url_that_is_not_http(tmp_path, url):
    with pytest.raises(ScaffoldError, match="--base-url: expected an http"):
        init_site(tmp_path / "s", base_url=url)
    assert not (tmp_path / "s").exists()


def test_init_command_lists_what_it_created_and_fails_on_a_non_empty_folder(tmp_path, capsys):
    assert main(["init", str(tmp_path / "s"), "--title", "Mine"]) == 0
    out = capsys.readouterr().out
    assert "site.toml" in out and "pages.yml" in out
    assert main(["init", str(tmp_path / "s")]) == 1
    assert "not empty" in capsys.readouterr().err
    assert main(["init", str(tmp_path / "s"), "--force"]) == 0
    assert "nothing written" in capsys.readouterr().out


# ---------------------------------------------------------------------------- new


def test_new_writes_front_matter_with_todays_date_and_given_fields(site):
    request = NoteRequest(title="Deep Residual Learning", categories=("Vision", "CNNs"),
                          venue="CVPR 2016", tags=("resnet",))
    result = new_note(site, request, today=date(2025, 6, 1))
    assert result.path == site / "content/papers/deep-residual-learning.md"
    note = read(site, result.path)
    assert (note.title, note.venue, note.categories, note.tags) == (
        "Deep Residual Learning", "CVPR 2016", ("Vision", "CNNs"), ("resnet",))
    assert note.date.date() == date(2025, 6, 1)
    assert note.arxiv == "" and note.authors == ()


def test_a_new_note_builds_strictly_without_warnings(site):
    new_note(site, NoteRequest(title="A paper", venue="ICML 2024"))
    result = build(site, BuildOptions(strict=True))
    assert result.notes == 2 and result.warnings == []
    assert (result.config.output_path / "papers/a-paper/index.html").is_file()


def test_new_refuses_to_overwrite_a_note(site):
    path = new_note(site, NoteRequest(title="A paper")).path
    path.write_text(path.read_text(encoding="utf-8") + "My notes.\n", encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(ScaffoldError, match="already exists.*--slug"):
        new_note(site, NoteRequest(title="A paper", venue="Other"))
    assert path.read_bytes() == before
    assert new_note(site, NoteRequest(title="A paper", slug="a-paper-2")).path.is_file()


def test_new_with_a_recorded_arxiv_answer_fills_title_authors_id_abstract_and_links(site):
    result = new_note(site, NoteRequest(arxiv="arXiv:2106.09685v2"), fetch=lora_answer)
    assert result.arxiv_problem == ""
    assert result.path.name == "lora-low-rank-adaptation-of-large-language-models.md"
    note = read(site, result.path)
    assert note.title == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert note.authors[0] == "Edward J. Hu" and len(note.authors) == 8
    assert note.arxiv == "2106.09685"
    assert note.summary.startswith("An important paradigm")
    assert dict(note.links)["PDF"] == "https://arxiv.org/pdf/2106.09685"


def test_arxiv_note_page_links_to_the_paper_once(site):
    new_note(site, NoteRequest(arxiv="2106.09685", slug="lora"), fetch=lora_answer)
    result = build(site, BuildOptions(strict=True))
    page = parse_html(result.config.output_path / "papers/lora/index.html")
    hrefs = [a.get("href") for a in page.iter("a")]
    assert hrefs.count("https://arxiv.org/abs/2106.09685") == 1
    assert hrefs.count("https://arxiv.org/pdf/2106.09685") == 1


def test_the_title_the_user_gave_wins_over_arxivs(site):
    path = new_note(site, NoteRequest(title="LoRA", arxiv="2106.09685"), fetch=lora_answer).path
    assert path.name == "lora.md"
    note = read(site, path)
    assert note.title == "LoRA" and note.authors[-1] == "Weizhu Chen"


def test_offline_new_still_creates_the_note_from_what_it_was_given(site):
    request = NoteRequest(title="LoRA", arxiv="2106.09685", categories=("PEFT",))
    result = new_note(site, request, fetch=offline)
    assert "could not reach the arXiv API" in result.arxiv_problem
    note = read(site, result.path)
    assert (note.title, note.arxiv, note.categories) == ("LoRA", "2106.09685", ("PEFT",))


def test_offline_new_with_only_an_id_names_the_note_after_it(site):
    result = new_note(site, NoteRequest(arxiv="2106.09685"), fetch=offline)
    assert read(site, result.path).title == "arXiv 2106.09685"


def test_unknown_arxiv_id_is_reported_and_the_note_created(site):
    def empty(url, timeout):
        return (FIXTURES / "arxiv_empty.xml").read_bytes()
    result = new_note(site, NoteRequest(title="Ghost", arxiv="2106.99999"), fetch=empty)
    assert "no paper 2106.99999" in result.arxiv_problem
    assert result.path.is_file()


def test_user_text_survives_yaml_quoting(site):
    title = 'Why "attention": a # story \\ of C:\\ and 초해상도 — ok?'
    request = NoteRequest(title=title, venue="NeurIPS: 2017 #1", categories=("a, b", "[x]"))
    note = read(site, new_note(site, request).path)
    assert (note.title, note.venue, note.categories) == (title, "NeurIPS: 2017 #1",
                                                        ("a, b", "[x]"))


def test_long_titles_make_slugs_cut_at_a_word(site):
    title = "An Extremely Long Paper Title That Keeps Going Well Past Any Reasonable File Name"
    stem = new_note(site, NoteRequest(title=title)).path.stem
    assert len(stem) <= 60 and title.lower().replace(" ", "-").startswith(stem)


@pytest.mark.parametrize(("request_", "message"), [
    (NoteRequest(), "expected a paper title"),
    (NoteRequest(title="x", arxiv="not-an-id"), "--arxiv: expected an arXiv id"),
    (NoteRequest(title="x", slug="../escape"), "--slug: expected"),
])
def test_new_refuses_bad_requests_and_writes_nothing(site, request_, message):
    before = snapshot(site)
    with pytest.raises(ScaffoldError, match=message):
        new_note(site, request_, fetch=offline)
    assert snapshot(site) == before


def test_new_needs_a_site(tmp_path):
    with pytest.raises(ScaffoldError, match="site.toml not found.*digestif init"):
        new_note(tmp_path, NoteRequest(title="x"))


def test_new_reports_an_invalid_site_toml(site):
    (site / "site.toml").write_text('paginate = "ten"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="paginate"):
        new_note(site, NoteRequest(title="x"))


def test_new_command_fetches_through_urlopen_and_prints_the_path(site, monkeypatch, capsys):
    answer = RecordedResponse((FIXTURES / "arxiv_2106.09685.xml").read_bytes())
    monkeypatch.setattr(urllib.request, "urlopen", lambda request, timeout: answer)
    assert main(["new", "--arxiv", "2106.09685", "--site", str(site), "--venue",
                 "ICLR 2022"]) == 0
    out = capsys.readouterr().out
    assert "lora-low-rank-adaptation-of-large-language-models.md" in out
    note = read(site, site / "content/papers/lora-low-rank-adaptation-of-large-language-models.md")
    assert note.venue == "ICLR 2022" and note.arxiv == "2106.09685"


def test_new_command_says_when_arxiv_is_unreachable_and_succeeds(site, monkeypatch, capsys):
    def unreachable(request, timeout):
        raise urllib.error.URLError(OSError(101, "Network is unreachable"))

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    assert main(["new", "LoRA", "--arxiv", "2106.09685", "--site", str(site)]) == 0
    captured = capsys.readouterr()
    assert "arXiv" in captured.err and "lora.md" in captured.out


def test_new_command_fails_on_an_existing_note(site, capsys):
    assert main(["new", "X", "--site", str(site)]) == 0
    assert main(["new", "X", "--site", str(site)]) == 1
    assert "already exists" in capsys.readouterr().err


def test_new_with_a_korean_title_on_an_english_site_marks_the_note_korean(site):
    result = new_note(site, NoteRequest(title="초해상도 확산 모델 정리"), today=TODAY)
    assert read(site, result.path).lang == "ko"
    build(site, BuildOptions(strict=True))
    page = (site / "_site" / result.path.relative_to(site / "content").with_suffix("")
            / "index.html")
    assert parse_html(page).get("lang") == "ko"


@pytest.mark.parametrize(("title", "site_language", "lang"), [
    ("초해상도 확산 모델", "en", "ko"), ("초해상도 확산 모델", "ko-KR", ""),
    ("Chain-of-Zoom: 초해상도를 극한까지", "en-US", "ko"), ("拡散モデルによる超解像", "en", "ja"),
    ("大语言模型的低秩适配", "en", "zh"), ("LoRA", "ko", ""),
    ("Attention Is All You Need", "en", ""),
])
def test_the_language_of_a_new_note_follows_its_title(title, site_language, lang):
    assert title_language(title, site_language) == lang


def test_init_creates_an_about_page_in_the_menu_and_nowhere_else(site):
    assert (site / "content/pages/about.md").is_file()
    build(site, BuildOptions(strict=True))
    out = site / "_site"
    nav = parse_html(out / "index.html").find(".//nav[@class='site-nav']")
    assert [a.get("href") for a in nav.iter("a")][-1] == "/about/"
    assert parse_html(out / "about/index.html").find(".//main//h1").text == "About"
    feed = (out / "feed.xml").read_text(encoding="utf-8")
    assert "<title>About</title>" not in feed and "/about/" not in feed
    digest = parse_html(out / "digest/index.html")
    assert [a.text for a in digest.iterfind(".//article//h3/a")] == ["Attention Is All You Need"]
    assert "About" not in (out / "papers.bib").read_text(encoding="utf-8")


def test_init_writes_the_markdown_engine_with_what_each_costs(site):
    text = (site / "site.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text)["markdown"]["engine"] == "python-markdown"
    comment = text.split('engine = "python-markdown"')[0].rsplit("[markdown]", 1)[1]
    assert '"commonmark"' in comment and "ms a note" in comment
