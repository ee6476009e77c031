"""Connections between notes (related papers, backlinks), venue and year pages, reading time and
the table of contents, checked on the built pages of tests/sites/connections."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_site, parse_html, write_note
from digestif.build import BuildOptions, build
from digestif.model import venue_group

ALPHA = "Alpha: a note with every connection"


@pytest.fixture(scope="module")
def connections(tmp_path_factory):
    site = copy_site("connections", tmp_path_factory.mktemp("connections"))
    result = build(site, BuildOptions())
    return site / "_site", result


def page(out: Path, slug: str):
    return parse_html(out / "papers" / slug / "index.html")


def text_of(element) -> str:
    return " ".join("".join(element.itertext()).split())


def section_titles(root, css_class: str) -> list[str] | None:
    """Link texts of the ``<section class=css_class>`` list, None when there is no section."""
    for section in root.iter("section"):
        if css_class in (section.get("class") or "").split():
            return [text_of(a) for a in section.iter("a")]
    return None


def note_titles(root) -> list[str]:
    """Titles of the notes a listing page shows, in order."""
    main = root.find(".//main")
    return [text_of(a) for a in main.iter("a") if (a.get("href") or "").startswith("/papers/")]


# --- related papers ---------------------------------------------------------------------------

def test_related_papers_rank_shared_tags_above_categories_and_stop_at_five(connections):
    out, _ = connections
    # beta shares 2 tags + 1 category (5), gamma 1 tag (2); delta, zeta, eta and theta share
    # only the category (1) and tie, so the newer win and theta, the oldest, is left out.
    assert section_titles(page(out, "alpha"), "related") == [
        "Beta", "Gamma", "Delta", "Zeta", "Eta"]


def test_related_papers_break_ties_by_date_newest_first(connections):
    out, _ = connections
    assert section_titles(page(out, "gamma"), "related") == [ALPHA, "Beta"]


def test_a_note_sharing_nothing_has_no_related_section(connections):
    out, _ = connections
    assert section_titles(page(out, "epsilon"), "related") is None


# --- backlinks ---------------------------------------------------------------------------------

def test_backlinks_come_from_file_links_wiki_links_root_urls_and_permalinks(connections):
    out, _ = connections
    # beta: relative link to alpha.md; gamma: [[alpha]] twice (listed once); delta: /papers/alpha/;
    # epsilon: https://example.org/papers/alpha/#results. alpha's own [[alpha]] does not count.
    assert section_titles(page(out, "alpha"), "backlinks") == [
        "Beta", "Gamma", "Delta", "Epsilon"]
    assert section_titles(page(out, "beta"), "backlinks") == ["Zeta"]
    assert section_titles(page(out, "gamma"), "backlinks") is None


def test_links_between_notes_point_at_the_note_pages(connections):
    out, _ = connections

    def body_links(slug: str) -> dict[str, str]:
        body = next(d for d in page(out, slug).iter("div") if d.get("class") == "note-body")
        return {text_of(a): a.get("href") for a in body.iter("a") if text_of(a) != "#"}

    assert body_links("beta")["Alpha"] == "/papers/alpha/#method"
    assert body_links("gamma")["alpha"] == "/papers/alpha/"
    assert body_links("gamma")["the alpha paper"] == "/papers/alpha/"
    assert body_links("delta")["the alpha page"] == "/papers/alpha/"
    assert body_links("zeta")["Beta"] == "/papers/beta/"


def test_an_unknown_wiki_link_warns_with_file_and_line(connections):
    _, result = connections
    [warning] = [w for w in result.warnings if "missing-note" in w.message]
    assert warning.file == "content/papers/gamma.md"
    assert warning.line == 11
    assert warning.field == "links"
    assert "[[missing-note]]" in str(warning)


def test_root_links_keep_working_and_count_under_a_base_path(tmp_path):
    site = copy_site("connections", tmp_path)
    build(site, BuildOptions(base_url="https://example.org/sub/"))
    alpha = page(site / "_site", "alpha")
    # The absolute permalink in epsilon names the old base URL, so it no longer is a backlink.
    assert section_titles(alpha, "backlinks") == ["Beta", "Gamma", "Delta"]
    delta = page(site / "_site", "delta")
    assert "/sub/papers/alpha/" in [a.get("href") for a in delta.iter("a")]


# --- venues and years --------------------------------------------------------------------------

@pytest.mark.parametrize(("venue", "group"), [
    ("CVPR 2025 Highlight", "CVPR 2025"),
    ("CVPR 2025", "CVPR 2025"),
    ("NeurIPS 2024 (Spotlight)", "NeurIPS 2024"),
    ("ECCV 2024, Oral", "ECCV 2024"),
    ("  ICLR 2022 ", "ICLR 2022"),
    ("TPAMI", "TPAMI"),
    ("arXiv", "arXiv"),
    ("2023 IEEE Conference on Things", "2023 IEEE Conference on Things"),
])
def test_venue_group_keeps_the_name_up_to_the_year(venue, group):
    assert venue_group(venue) == group


def test_venue_pages_group_highlights_under_their_conference(connections):
    out, _ = connections
    venues = out / "venues"
    assert {p.name for p in venues.iterdir() if p.is_dir()} == {
        "cvpr-2025", "2023-ieee-conference-on-things", "tpami-2024"}
    cvpr = parse_html(venues / "cvpr-2025" / "index.html")
    assert text_of(cvpr.find(".//h1")) == "CVPR 2025"
    assert note_titles(cvpr) == [ALPHA, "Beta"]
    # The note page still shows the venue as written.
    assert "CVPR 2025 Highlight" in text_of(page(out, "beta").find(".//main"))


def test_year_pages_list_the_notes_written_that_year(connections):
    out, _ = connections
    archive = out / "archive"
    assert note_titles(parse_html(archive / "2025" / "index.html")) == [ALPHA, "Beta", "Gamma"]
    assert note_titles(parse_html(archive / "2024" / "index.html")) == [
        "Delta", "Epsilon", "Zeta", "Eta", "Theta"]


# --- reading time and contents -----------------------------------------------------------------

def test_long_notes_show_reading_time_and_a_table_of_contents(connections):
    out, _ = connections
    alpha = page(out, "alpha")
    meta = next(p for p in alpha.iter("p") if p.get("class") == "meta")
    assert "3 min read" in text_of(meta)  # about 660 words at 220 words a minute
    toc = next(n for n in alpha.iter("nav") if "toc" in (n.get("class") or "").split())
    assert [text_of(a) for a in toc.iter("a")] == ["Setup", "Method", "Results", "Limits"]
    assert [a.get("href") for a in toc.iter("a")][:2] == ["#setup", "#method"]


def test_notes_with_three_headings_or_fewer_have_no_table_of_contents(connections):
    out, _ = connections
    delta = page(out, "delta")
    assert not [n for n in delta.iter("nav") if "toc" in (n.get("class") or "").split()]
    meta = next(p for p in delta.iter("p") if p.get("class") == "meta")
    assert "1 min read" in text_of(meta)


# --- one term per URL -------------------------------------------------------------------------

def _spelled_site(site: Path, toml: str = "") -> Path:
    (site / "site.toml").write_text('title = "M"\nbase_url = "https://example.org/"\n' + toml,
                                    encoding="utf-8")
    for day, (tags, categories) in enumerate([
            ('["vLLM", "Online RL"]', '["computer-vision"]'),
            ('["vLLM"]', '["Computer Vision"]'),
            ('["VLLM", "online RL"]', '["Computer Vision"]')], start=1):
        write_note(site, f"papers/n{day}.md", f"---\ntitle: N{day}\ndate: 2024-01-0{day}\n"
                   f"tags: {tags}\ncategories: {categories}\n---\nText.\n")
    return site


def test_spellings_with_one_url_are_one_term_shown_as_the_most_used(site_copy, caplog):
    site = _spelled_site(site_copy("minimal"))
    with caplog.at_level("INFO", logger="digestif.model"):
        result = build(site, BuildOptions())
    assert not [p for p in result.warnings if "spell" in p.message]
    out = site / "_site"
    tag_page = parse_html(out / "tags" / "vllm" / "index.html")
    assert text_of(tag_page.find(".//main//h1")) == "vLLM"  # two notes against one
    assert sorted(note_titles(tag_page)) == ["N1", "N2", "N3"]
    # A tie goes to the spelling used first (the oldest note).
    assert text_of(parse_html(out / "tags" / "online-rl" / "index.html").find(".//main//h1")) \
        == "Online RL"
    assert text_of(parse_html(out / "categories" / "computer-vision" / "index.html")
                   .find(".//main//h1")) == "Computer Vision"
    note = parse_html(out / "papers" / "n3" / "index.html")
    assert "VLLM" not in [text_of(a) for a in note.iter("a")]
    assert "vLLM" in [text_of(a) for a in note.iter("a")]
    merged = [r.getMessage() for r in caplog.records if "also written" in r.getMessage()]
    assert len(merged) == 3 and any('tag "vLLM" (2) is also written "VLLM" (1)' in m
                                    for m in merged)


def test_the_spelling_site_toml_describes_names_the_category(site_copy):
    site = _spelled_site(site_copy("minimal"),
                         '[categories."computer-vision"]\ndescription = "Seeing machines."\n')
    build(site, BuildOptions())
    page = parse_html(site / "_site" / "categories" / "computer-vision" / "index.html")
    assert text_of(page.find(".//main//h1")) == "computer-vision"
    assert "Seeing machines." in text_of(page.find(".//main"))


def test_a_category_described_in_site_toml_under_another_spelling_takes_it(site_copy):
    site = _spelled_site(site_copy("minimal"),
                         '[categories."Computer vision"]\ndescription = "Seeing machines."\n')
    build(site, BuildOptions())
    page = parse_html(site / "_site" / "categories" / "computer-vision" / "index.html")
    assert text_of(page.find(".//main//h1")) == "Computer vision"
    assert "Seeing machines." in text_of(page.find(".//main"))


def test_the_verbose_flag_shows_merged_spellings(site_copy, capsys):
    import logging

    from digestif.cli import main

    site = _spelled_site(site_copy("minimal"))
    logger = logging.getLogger("digestif")
    level, handlers = logger.level, list(logger.handlers)
    try:
        assert main(["build", str(site), "-v"]) == 0
    finally:
        logger.setLevel(level)
        logger.handlers[:] = handlers
    assert 'tag "vLLM" (2) is also written "VLLM" (1)' in capsys.readouterr().err
