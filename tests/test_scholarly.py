"""Scholarly metadata on note pages (Highwire tags, JSON-LD, Open Graph, the Cite block), the
/papers.bib and /papers.json exports and the digest's filter markup, read from built output."""

from __future__ import annotations

import json

import bibtexparser
import pytest

from conftest import copy_site, parse_html, write_note
from digestif.build import BuildOptions, build
from digestif.scholarly import family_name, script_json, venue_kind

FULL = """---
title: "LoRA: Low-Rank Adaptation of Large Language Models"
date: 2025-05-26
venue: ICLR 2022
authors: [Edward J. Hu, Yelong Shen, Weizhu Chen]
arxiv: "2106.09685"
doi: 10.48550/arXiv.2106.09685
task: Parameter-efficient fine-tuning
categories: [Efficient Tuning, Large Language Models]
tags: [lora, peft]
links:
  paper: https://openreview.net/forum?id=nZeVKeeFYf9
  code: https://github.com/microsoft/LoRA
summary: Freeze the weights and learn a low-rank update.
---
Body.
"""
HOSTILE_TITLE = ('Quotes "q" </script><script>alert(1)</script> & <b>{50%}</b> '
                 "$x_1$ #1 ~ \\cite — 초해상도")
HOSTILE = f"""---
title: '{HOSTILE_TITLE}'
date: 2025-04-01
venue: IEEE Transactions on Pattern Analysis and Machine Intelligence 2024
authors: [José Müller, "Ng, Andrew", Research and Development Team]
summary: "Ends the script </script> early?"
categories: [Super-Resolution]
---
Body.
"""
PREPRINT = """---
title: The Large N Limit of Superconformal Field Theories and Supergravity
date: 2024-02-01
authors: [Juan Maldacena]
arxiv: hep-th/9711200
venue: arXiv
---
Body.
"""
TWIN = """---
title: "LoRA, read again"
date: 2025-06-01
venue: ICLR 2022 Oral
authors: [Edward Hu]
categories: [Efficient Tuning]
---
Body.
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The minimal site (one note with only a title and a date) plus notes with every field,
    hostile text, an arXiv-only preprint and a note whose BibTeX key clashes."""
    folder = copy_site("minimal", tmp_path_factory.mktemp("scholarly"))
    write_note(folder, "papers/lora.md", FULL)
    write_note(folder, "papers/hostile.md", HOSTILE)
    write_note(folder, "papers/maldacena.md", PREPRINT)
    write_note(folder, "papers/twin.md", TWIN)
    result = build(folder, BuildOptions())
    return folder / "_site", result


def head_meta(root) -> list[tuple[str, str]]:
    """(name or property, content) of every <meta> in <head>, in order."""
    return [(m.get("name") or m.get("property"), m.get("content"))
            for m in root.find("head").iter("meta") if m.get("content") is not None]


def citation_tags(root) -> list[tuple[str, str]]:
    return [(k, v) for k, v in head_meta(root) if k.startswith("citation_")]


def json_ld(root) -> dict:
    [script] = [s for s in root.iter("script") if s.get("type") == "application/ld+json"]
    return json.loads(script.text)


def note_page(out, slug):
    return parse_html(out / "papers" / slug / "index.html")


def bib_entries(text: str) -> dict:
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return {entry.key: entry for entry in library.entries}


def cite_block(root) -> str:
    section = next(s for s in root.iter("section") if s.get("id") == "cite")
    return "".join(section.find(".//pre").itertext())


# --- Highwire citation tags --------------------------------------------------------------------

def test_a_note_with_every_field_has_every_citation_tag(site):
    out, _ = site
    assert citation_tags(note_page(out, "lora")) == [
        ("citation_title", "LoRA: Low-Rank Adaptation of Large Language Models"),
        ("citation_author", "Edward J. Hu"),
        ("citation_author", "Yelong Shen"),
        ("citation_author", "Weizhu Chen"),
        ("citation_publication_date", "2022"),  # the venue's year, not the note's 2025
        ("citation_conference_title", "ICLR 2022"),
        ("citation_arxiv_id", "2106.09685"),
        ("citation_pdf_url", "https://arxiv.org/pdf/2106.09685"),
        ("citation_doi", "10.48550/arXiv.2106.09685"),
    ]


def test_a_note_with_only_title_and_date_emits_no_empty_tags(site):
    out, _ = site
    root = note_page(out, "only")
    assert citation_tags(root) == [("citation_title", "Only note")]
    assert all(content.strip() for _, content in head_meta(root))


def test_journals_get_a_journal_title_and_preprints_their_arxiv_month(site):
    out, _ = site
    hostile = dict(citation_tags(note_page(out, "hostile")))
    assert hostile["citation_journal_title"] == (
        "IEEE Transactions on Pattern Analysis and Machine Intelligence")
    assert "citation_conference_title" not in hostile
    assert hostile["citation_publication_date"] == "2024"
    preprint = dict(citation_tags(note_page(out, "maldacena")))
    assert preprint["citation_publication_date"] == "1997/11"
    assert "citation_conference_title" not in preprint
    assert "citation_journal_title" not in preprint


def test_hostile_text_stays_inside_attribute_values(site):
    out, _ = site
    root = note_page(out, "hostile")
    assert dict(citation_tags(root))["citation_title"] == HOSTILE_TITLE
    assert [v for k, v in citation_tags(root) if k == "citation_author"] == [
        "José Müller", "Ng, Andrew", "Research and Development Team"]


@pytest.mark.parametrize(("venue", "kind"), [
    ("ICLR 2022", "conference"), ("CVPR 2025 Highlight", "conference"),
    ("TPAMI 2023", "journal"), ("IEEE Trans. Image Process.", "journal"),
    ("Nature Machine Intelligence", "journal"), ("Journal of Machine Learning Research", "journal"),
    ("arXiv", "preprint"), ("arXiv preprint", "preprint"), ("CoRR", "preprint"),
    ("", "preprint"),
])
def test_venue_kind(venue, kind):
    assert venue_kind(venue) == kind


# --- Open Graph and JSON-LD --------------------------------------------------------------------

def test_open_graph_and_twitter_tags_describe_the_note(site):
    out, _ = site
    meta = head_meta(note_page(out, "lora"))
    tags = dict(meta)
    assert tags["og:type"] == "article"
    assert tags["og:title"] == tags["twitter:title"] == (
        "LoRA: Low-Rank Adaptation of Large Language Models")
    assert tags["og:url"] == "https://example.org/papers/lora/"
    assert tags["og:description"] == "Freeze the weights and learn a low-rank update."
    assert tags["twitter:card"] == "summary"
    assert tags["article:published_time"].startswith("2025-05-26")
    assert [v for k, v in meta if k == "article:tag"] == ["lora", "peft"]
    canonical = [link.get("href") for link in note_page(out, "lora").iter("link")
                 if link.get("rel") == "canonical"]
    assert canonical == ["https://example.org/papers/lora/"]


def test_json_ld_is_an_article_about_the_scholarly_article(site):
    out, _ = site
    data = json_ld(note_page(out, "lora"))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Article"
    assert data["url"] == "https://example.org/papers/lora/"
    assert data["datePublished"].startswith("2025-05-26")
    paper = data["about"]
    assert paper["@type"] == "ScholarlyArticle"
    assert paper["name"] == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert [a["name"] for a in paper["author"]] == ["Edward J. Hu", "Yelong Shen", "Weizhu Chen"]
    assert paper["datePublished"] == "2022"
    assert paper["sameAs"] == ["https://openreview.net/forum?id=nZeVKeeFYf9",
                               "https://arxiv.org/abs/2106.09685",
                               "https://doi.org/10.48550/arXiv.2106.09685"]
    assert paper["codeRepository"] == "https://github.com/microsoft/LoRA"


def test_json_ld_of_a_bare_note_has_no_empty_fields(site):
    out, _ = site
    data = json_ld(note_page(out, "only"))
    assert data["about"] == {"@type": "ScholarlyArticle", "name": "Only note"}
    assert all(value not in ("", [], {}, None) for value in data.values())


def test_json_ld_survives_script_end_tags_quotes_and_non_ascii(site):
    out, _ = site
    path = out / "papers" / "hostile" / "index.html"
    assert "</script><script>alert(1)" not in path.read_text(encoding="utf-8")
    root = parse_html(path)
    data = json_ld(root)
    assert data["headline"] == data["about"]["name"] == HOSTILE_TITLE
    assert data["description"] == "Ends the script </script> early?"
    # The title's <script> never became an element: only the page's own scripts exist.
    sources = [s.get("src") or s.get("type") for s in root.iter("script")]
    assert not [s for s in sources if s is None]


def test_script_json_escapes_markup_characters_and_round_trips():
    value = {"a": "</script><!-- & \u2028 é 초"}
    text = script_json(value)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == value


# --- BibTeX ------------------------------------------------------------------------------------

def test_cite_block_holds_a_bibtex_entry_readable_without_javascript(site):
    out, _ = site
    root = note_page(out, "lora")
    entries = bib_entries(cite_block(root))
    entry = entries["hu2022lora"]
    assert entry.entry_type == "inproceedings"
    assert entry["booktitle"] == "ICLR 2022"
    assert entry["year"] == "2022"
    assert entry["author"] == "Edward J. Hu and Yelong Shen and Weizhu Chen"
    assert entry["title"] == "{LoRA}: Low-Rank Adaptation of Large Language Models"
    assert entry["doi"] == "10.48550/arXiv.2106.09685"
    assert entry["eprint"] == "2106.09685"
    button = next(b for b in root.iter("button") if b.get("data-copy"))
    assert button.get("hidden") is not None  # cite.js reveals it; no dead button without JS
    assert (out / "assets" / "cite.js").is_file()
    assert "/assets/cite.js" in [s.get("src") for s in root.iter("script")]


def test_arxiv_only_papers_are_misc_with_eprint_and_class(site):
    out, _ = site
    entry = bib_entries(cite_block(note_page(out, "maldacena")))["maldacena1997large"]
    assert entry.entry_type == "misc"
    assert entry["eprint"] == "hep-th/9711200"
    assert entry["archivePrefix"] == "arXiv"
    assert entry["primaryClass"] == "hep-th"
    assert "booktitle" not in entry.fields_dict


def test_journals_are_articles_and_special_characters_are_escaped(site):
    out, _ = site
    [entry] = bib_entries(cite_block(note_page(out, "hostile"))).values()
    assert entry.key == "muller2024quotes"  # ASCII-folded family name
    assert entry.entry_type == "article"
    assert entry["journal"] == "IEEE Transactions on Pattern Analysis and Machine Intelligence"
    title = entry["title"]
    for escaped in (r"\&", r"\%", r"\$", r"x\_1", r"\#1", r"\textasciitilde{}",
                    r"\textbackslash{}cite", r"\textbraceleft{}", "초해상도"):
        assert escaped in title
    assert entry["author"] == "José Müller and Ng, Andrew and {Research and Development Team}"


def test_clashing_keys_get_a_suffix_and_the_older_note_keeps_the_plain_key(site):
    out, _ = site
    assert "hu2022lora" in bib_entries(cite_block(note_page(out, "lora")))
    assert list(bib_entries(cite_block(note_page(out, "twin")))) == ["hu2022lorab"]


def test_a_note_without_authors_or_year_still_gets_a_key_starting_with_a_letter(site):
    out, _ = site
    assert list(bib_entries(cite_block(note_page(out, "only")))) == ["only"]


@pytest.mark.parametrize(("author", "family"), [
    ("Edward J. Hu", "Hu"), ("Hu, Edward J.", "Hu"), ("Martin Luther King Jr.", "King"),
    ("Plato", "Plato"), ("", ""),
])
def test_family_name(author, family):
    assert family_name(author) == family


# --- exports -----------------------------------------------------------------------------------

def test_papers_bib_has_one_entry_per_note_with_unique_keys(site):
    out, result = site
    library = bibtexparser.parse_string((out / "papers.bib").read_text(encoding="utf-8"))
    assert not library.failed_blocks
    keys = [entry.key for entry in library.entries]
    assert len(keys) == result.notes == 5
    assert len(set(keys)) == len(keys)
    assert set(keys) == {"hu2022lora", "hu2022lorab", "muller2024quotes", "maldacena1997large",
                         "only"}


def test_papers_json_matches_the_notes(site):
    out, result = site
    data = json.loads((out / "papers.json").read_text(encoding="utf-8"))
    papers = {p["url"]: p for p in data["papers"]}
    assert len(data["papers"]) == result.notes
    lora = papers["https://example.org/papers/lora/"]
    assert lora["title"] == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert lora["date"].startswith("2025-05-26")
    assert lora["venue"] == "ICLR 2022"
    assert lora["authors"] == ["Edward J. Hu", "Yelong Shen", "Weizhu Chen"]
    assert lora["arxiv"] == "2106.09685"
    assert lora["doi"] == "10.48550/arXiv.2106.09685"
    assert lora["task"] == "Parameter-efficient fine-tuning"
    assert lora["categories"] == ["Efficient Tuning", "Large Language Models"]
    assert lora["tags"] == ["lora", "peft"]
    assert lora["links"] == {"paper": "https://openreview.net/forum?id=nZeVKeeFYf9",
                             "code": "https://github.com/microsoft/LoRA"}
    assert lora["summary"] == "Freeze the weights and learn a low-rank update."
    assert lora["bibtex_key"] == "hu2022lora"
    only = papers["https://example.org/papers/only/"]
    assert (only["venue"], only["authors"], only["arxiv"]) == (None, [], None)
    assert papers["https://example.org/papers/hostile/"]["title"] == HOSTILE_TITLE
    dates = [p["date"] for p in data["papers"]]
    assert dates == sorted(dates, reverse=True)


# --- the digest's filter markup ----------------------------------------------------------------

def test_digest_lists_everything_with_filters_hidden_until_javascript_runs(site):
    out, result = site
    root = parse_html(out / "digest" / "index.html")
    form = next(f for f in root.iter("form") if f.get("id") == "digest-filters")
    assert form.get("hidden") is not None
    entries = [a for a in root.iter("article") if a.get("class") == "digest-entry"]
    assert len(entries) == result.notes
    assert all(e.get("hidden") is None for e in entries)
    assert "/assets/digest.js" in [s.get("src") for s in root.iter("script")]
    assert (out / "assets" / "digest.js").is_file()


def test_digest_entries_carry_slugs_the_filter_options_use(site):
    out, _ = site
    root = parse_html(out / "digest" / "index.html")
    entries = {e.get("data-title"): e for e in root.iter("article")
               if e.get("class") == "digest-entry"}
    lora = entries["LoRA: Low-Rank Adaptation of Large Language Models"]
    assert lora.get("data-category") == "efficient-tuning large-language-models"
    assert lora.get("data-task") == "parameter-efficient-fine-tuning"
    assert lora.get("data-venue") == "iclr-2022"
    assert lora.get("data-year") == "2025"
    options = {s.get("name"): [o.get("value") for o in s.iter("option")]
               for s in root.iter("select")}
    assert options["category"] == ["", "efficient-tuning", "large-language-models",
                                   "super-resolution"]
    assert options["venue"] == ["", "arxiv", "iclr-2022",
                                "ieee-transactions-on-pattern-analysis-and-machine-intelligence-2024"]
    assert options["year"] == ["", "2025", "2024"]
    assert options["task"] == ["", "parameter-efficient-fine-tuning"]
