"""``digestif import`` on the three seed files (a README digest, the LiteBites feed, a Korean
Jekyll post), each into a fresh site that then builds; and the rules every kind shares:
duplicates, --force, --dry-run, exit codes."""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from digestif.build import BuildOptions, build
from digestif.importers import configure_parser
from digestif.importers.common import front_matter as dump_front_matter
from digestif.importers.writing import normalised_title, paper_keys
from importer_helpers import (
    DIGEST,
    FEED,
    KOREAN_POST,
    front_matter,
    new_site,
    notes,
    reader_problems,
    run,
)


@pytest.fixture(scope="module")
def digest_site(tmp_path_factory):
    site = new_site(tmp_path_factory.mktemp("digest"))
    assert run("digest", DIGEST, site) == 0
    return site


@pytest.fixture(scope="module")
def feed_site(tmp_path_factory):
    site = new_site(tmp_path_factory.mktemp("feed"))
    assert run("feed", FEED, site) == 0
    return site


@pytest.fixture(scope="module")
def korean_site(tmp_path_factory):
    site = new_site(tmp_path_factory.mktemp("korean"))
    assert run("jekyll", KOREAN_POST, site) == 0
    return site


# ---------------------------------------------------------------------------------------------
# The README digest


def test_digest_makes_one_note_per_entry_and_none_for_the_format_example(digest_site):
    written = notes(digest_site)
    assert len(written) == 35
    titles = {front_matter(path)[0]["title"] for path in written.values()}
    assert "paper title" not in titles  # the template inside the ``` block at the end


def test_digest_entry_with_website_and_code(digest_site):
    negation = notes(digest_site)["vision-language-models-do-not-understand-negation"]
    meta, body = front_matter(negation)
    assert meta["title"] == "Vision-Language Models Do Not Understand Negation"
    assert meta["venue"] == "CVPR 2025"
    assert meta["arxiv"] == "2501.09425"  # a string: quoted, not the float 2501.09425
    assert meta["links"] == {"website": "https://negbench.github.io/",
                             "code": "https://github.com/m1k2zoo/negbench"}
    assert meta["task"] == "understanding how well VLMs handle negation"
    assert meta["date"] == dt.date(2025, 1, 1)  # the arXiv id's month
    assert body.startswith("- How well do current VLMs understand negation?  \n"
                           "- To comprehensively evaluate")


def test_digest_keeps_link_order_and_labels(digest_site):
    meta, body = front_matter(
        notes(digest_site)["prompt-to-prompt-image-editing-with-cross-attention-control"])
    assert meta["venue"] == "ICLR 2023 Spotlight"
    assert meta["arxiv"] == "2208.01626"
    assert list(meta["links"]) == ["review", "website", "code", "summary"]
    assert meta["links"]["review"] == "https://openreview.net/forum?id=_CDixzkzeyb"
    assert meta["task"] == "text-driven image editing"
    assert body == ("Text-driven image editing by injecting the cross-attention maps of original "
                    "prompt to the cross-attention maps of edited prompt.\n")


def test_digest_entry_without_arxiv_is_dated_by_its_venue(digest_site):
    meta, _ = front_matter(notes(digest_site)[
        "mulut-cooperating-multiple-look-up-tables-for-efficient-image-super-resolution"])
    assert "arxiv" not in meta
    assert meta["date"] == dt.date(2022, 1, 1)
    assert meta["links"]["paper"].startswith("https://www.ecva.net/")


def test_digest_text_is_kept_byte_for_byte_including_mojibake(digest_site):
    source_lines = set(DIGEST.read_text(encoding="utf-8").split("\n"))
    for path in notes(digest_site).values():
        meta, body = front_matter(path)
        assert f"> **{meta['title']}**  " in source_lines or \
            any(line.startswith(f"> **{meta['title']}**") for line in source_lines)
        for line in body.rstrip("\n").split("\n"):
            assert f"> {line}" in source_lines, (path.name, line)
    _, body = front_matter(notes(digest_site)[
        "uncertainty-guided-perturbation-for-image-super-resolution-diffusion-model"])
    assert "encoder & decoder â†’ PixelUnshuffle & nearest neighbor sampling." in body


def test_digest_records_the_entry_line(digest_site):
    meta, _ = front_matter(notes(digest_site)["vision-language-models-do-not-understand-negation"])
    kind_and_path, line = meta["extra"]["imported_from"].rsplit("#L", 1)
    assert kind_and_path == f"digest:{DIGEST.resolve()}"
    source = DIGEST.read_text(encoding="utf-8").split("\n")
    assert source[int(line) - 1].startswith("> **Vision-Language Models Do Not Understand")


def test_digest_site_builds_with_every_note_page(digest_site):
    result = build(digest_site, BuildOptions())
    assert result.notes == 35
    for slug in notes(digest_site):
        assert (digest_site / "_site" / "papers" / slug / "index.html").is_file()
    page = (digest_site / "_site/papers/vision-language-models-do-not-understand-negation/"
            "index.html").read_text(encoding="utf-8")
    assert "https://negbench.github.io/" in page and "https://github.com/m1k2zoo/negbench" in page


# ---------------------------------------------------------------------------------------------
# The LiteBites feed


def test_feed_makes_one_note_per_entry_named_after_its_url(feed_site):
    assert set(notes(feed_site)) == {"chain-of-zoom", "lora", "controlnet", "vit-comer"}


def test_feed_entry_metadata_and_links_section(feed_site):
    meta, body = front_matter(notes(feed_site)["lora"])
    assert meta["title"] == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert meta["date"] == dt.date(2025, 5, 26)
    assert meta["categories"] == ["Efficient Tuning", "Large Language Models"]
    assert meta["links"] == {"paper": "https://openreview.net/forum?id=nZeVKeeFYf9",
                             "code": "https://github.com/microsoft/LoRA"}
    assert meta["summary"].startswith("Full fine-tuning becomes increasingly awkward")
    assert meta["extra"]["imported_from"] == (
        f"feed:{FEED.resolve()}#https://litebites.github.io/posts/lora")
    assert body.startswith('<h2 id="why-this-paper-matters">Why this paper matters</h2>\n')
    assert 'id="links"' not in body and "openreview.net" not in body
    assert body.rstrip().endswith("</ul>")  # the takeaways list stays


def test_feed_labels_a_cvf_paper_page(feed_site):
    meta, _ = front_matter(notes(feed_site)["controlnet"])
    assert list(meta["links"]) == ["paper", "code"]
    assert meta["links"]["paper"].startswith("https://openaccess.thecvf.com/content/ICCV2023/")


def test_feed_site_builds(feed_site):
    build(feed_site, BuildOptions())
    page = (feed_site / "_site/papers/lora/index.html").read_text(encoding="utf-8")
    assert "Why this paper matters" in page and "https://github.com/microsoft/LoRA" in page


# ---------------------------------------------------------------------------------------------
# The Korean Jekyll post


def test_korean_post_keeps_its_text_and_math(korean_site):
    meta, body = front_matter(notes(korean_site)["002_jekyll_post_ko"])
    assert meta["title"] == ("Chain-of-Zoom: Extreme Super-Resolution via Scale Autoregression "
                             "and Preference Alignment")
    assert meta["paper"].endswith("(NeurIPS 2025) - KAIST")
    assert meta["categories"] == ["computer-vision"]
    assert meta["summary"] == "paper reivew of chain of zoom"
    assert meta["links"] == {"paper": "https://arxiv.org/pdf/2505.18600"}
    assert meta["arxiv"] == "2505.18600"
    assert meta["lang"] == "ko"
    assert meta["extra"]["jekyll"] == {"layout": "post"}
    source = KOREAN_POST.read_text(encoding="utf-8")
    assert body == source.split("\n---\n", 1)[1]  # no Liquid in it: byte for byte
    assert "## 간단 리뷰" in body
    assert "$$x_H \\in \\mathbb R^{d_i}$$" in body


def test_korean_post_without_any_date_is_dated_by_the_file_and_says_so(tmp_path, capsys):
    site = new_site(tmp_path / "site")
    assert run("jekyll", KOREAN_POST, site) == 0
    meta, _ = front_matter(notes(site)["002_jekyll_post_ko"])
    mtime = dt.datetime.fromtimestamp(KOREAN_POST.stat().st_mtime, dt.UTC).date()
    assert abs(meta["date"] - mtime) <= dt.timedelta(days=1)
    err = capsys.readouterr().err
    assert "002_jekyll_post_ko.md: date: no date in the front matter or the file name" in err
    assert "002_jekyll_post_ko.md:14: links to /assets/images/CoZ/1.png" in err


def test_korean_site_builds_with_korean_text_and_mathml(korean_site):
    build(korean_site, BuildOptions())
    page = (korean_site / "_site/papers/002_jekyll_post_ko/index.html").read_text("utf-8")
    assert "간단 리뷰" in page
    assert "<math" in page and "$$" not in page
    assert 'lang="ko"' in page


def test_all_three_seeds_in_one_site_give_one_note_per_paper(tmp_path, capsys):
    site = new_site(tmp_path / "site")
    assert run("feed", FEED, site) == 0
    assert run("digest", DIGEST, site) == 0
    assert run("jekyll", KOREAN_POST, site) == 0
    out = capsys.readouterr().out
    # ControlNet is in the feed and the digest; Chain-of-Zoom in the feed and the Korean post.
    assert ('001_ai_paper_digest.md:241 "Adding Conditional Control to Text-to-Image Diffusion '
            "Models\": already in the site as ") in out
    assert "content/papers/controlnet.md (same title)" in out
    assert "002_jekyll_post_ko.md \"Chain-of-Zoom" in out
    assert "content/papers/chain-of-zoom.md (same title)" in out
    titles = [front_matter(path)[0]["title"] for path in notes(site).values()]
    assert len(titles) == len({normalised_title(t) for t in titles}) == 4 + 35 - 1
    result = build(site, BuildOptions())
    assert result.notes == 38
    bib = (site / "_site" / "papers.bib").read_text(encoding="utf-8")
    assert bib.count("@") == 38 and bib.count("Adding Conditional Control") == 1


def test_merge_adds_what_the_second_source_knows(tmp_path, capsys):
    site = new_site(tmp_path / "site")
    assert run("feed", FEED, site) == 0
    before, body_before = front_matter(notes(site)["controlnet"])
    assert run("digest", DIGEST, site, "--merge") == 0
    out = capsys.readouterr().out
    assert "merged tests/fixtures/seeds/001_ai_paper_digest.md:241" in out
    assert "1 merged, 0 skipped" in out
    meta, body = front_matter(notes(site)["controlnet"])
    assert meta["title"] == before["title"] and body == body_before
    assert meta["venue"] == "ICCV 2023 Oral"
    assert meta["task"] == "image-based conditional image generation"
    assert meta["arxiv"] == "2302.05543"
    assert meta["links"]["summary"] == \
        "https://jasonleex1995.github.io/docs/07_papers/2302.05543.html"
    assert list(meta["links"])[:2] == list(before["links"])  # its own links come first
    assert meta["extra"]["merged_from"] == [f"digest:{DIGEST.resolve()}#L241"]
    assert reader_problems(site, notes(site)["controlnet"]) == []


def test_merge_adds_new_bullets_and_only_those(tmp_path):
    site = new_site(tmp_path / "site")
    mine = site / "content" / "papers" / "mine.md"
    mine.parent.mkdir(parents=True)
    mine.write_text('---\ntitle: "Vision-Language Models Do Not Understand Negation"\n'
                    "date: 2025-01-01\n---\n- How well do current VLMs understand negation?"
                    "\n", encoding="utf-8")
    assert run("digest", DIGEST, site, "--merge") == 0
    _, body = front_matter(mine)
    assert body.count("How well do current VLMs understand negation?") == 1
    assert body.startswith("- How well do current VLMs understand negation?\n\n- ")


@pytest.mark.parametrize(("one", "other"), [
    ("https://openreview.net/forum?id=nZeVKeeFYf9", "https://openreview.net/pdf?id=nZeVKeeFYf9"),
    ("https://openaccess.thecvf.com/content/ICCV2023/html/Zhang_Adding_Conditional_Control_"
     "ICCV_2023_paper.html", "https://openaccess.thecvf.com/content/ICCV2023/papers/Zhang_"
     "Adding_Conditional_Control_ICCV_2023_paper.pdf"),
    ("https://aclanthology.org/2023.acl-long.1/", "https://aclanthology.org/2023.acl-long.1.pdf"),
    ("https://doi.org/10.1145/3458817.3476143", "10.1145/3458817.3476143"),
    ("https://arxiv.org/abs/2106.09685v2", "https://arxiv.org/pdf/2106.09685"),
])
def test_the_pages_of_one_paper_are_one_paper(one, other):
    assert set(paper_keys("", "", "", [one])) == set(paper_keys("", "", "", [other])) != set()


def test_titles_match_across_case_accents_and_punctuation_but_short_ones_do_not():
    assert normalised_title("LoRA: Low-Rank Adaptation of Large Language Models") == \
        normalised_title("LORA — low rank adaptation of large-language models")
    assert normalised_title("Édition") == "edition"
    assert paper_keys("Introduction", "", "", []) == []


def test_written_notes_raise_no_reader_warnings(digest_site, feed_site, korean_site):
    for site in (digest_site, feed_site, korean_site):
        for path in notes(site).values():
            assert reader_problems(site, path) == []


# ---------------------------------------------------------------------------------------------
# Rules for every kind


def test_importing_again_skips_everything_and_says_so(tmp_path, capsys):
    site = new_site(tmp_path / "site")
    assert run("feed", FEED, site) == 0
    before = {p: p.read_bytes() for p in notes(site).values()}
    capsys.readouterr()
    assert run("feed", FEED, site) == 0
    out = capsys.readouterr().out
    assert sum(line.startswith("skipped ") for line in out.splitlines()) == 4
    assert "already in the site as" in out
    assert "content/papers/lora.md (imported from the same entry)" in out
    assert "imported 0 notes" in out and "4 skipped, 0 failed" in out
    assert {p: p.read_bytes() for p in notes(site).values()} == before


def test_a_note_with_the_same_arxiv_id_elsewhere_is_not_duplicated(tmp_path, capsys):
    site = new_site(tmp_path / "site")
    mine = site / "content" / "notes" / "negation.md"
    mine.parent.mkdir(parents=True)
    mine.write_text('---\ntitle: My notes on negation\ndate: 2025-02-01\narxiv: "2501.09425"\n'
                    "---\nMine.\n", encoding="utf-8")
    assert run("digest", DIGEST, site) == 0
    assert "vision-language-models-do-not-understand-negation" not in notes(site)
    assert len(notes(site)) == 34
    assert mine.read_text(encoding="utf-8").endswith("Mine.\n")
    assert "(same arXiv id 2501.09425); use --merge to add what this source adds, --force " \
        "to replace it" in capsys.readouterr().out


def test_force_replaces_the_matching_note_in_place(tmp_path):
    site = new_site(tmp_path / "site")
    mine = site / "content" / "notes" / "negation.md"
    mine.parent.mkdir(parents=True)
    mine.write_text('---\ntitle: Mine\ndate: 2025-02-01\narxiv: "2501.09425"\n---\nMine.\n',
                    encoding="utf-8")
    assert run("digest", DIGEST, site, "--force") == 0
    meta, _ = front_matter(mine)
    assert meta["title"] == "Vision-Language Models Do Not Understand Negation"
    assert "vision-language-models-do-not-understand-negation" not in notes(site)


def test_an_edited_note_is_kept_without_force_and_replaced_with_it(tmp_path):
    site = new_site(tmp_path / "site")
    assert run("feed", FEED, site) == 0
    lora = notes(site)["lora"]
    lora.write_text(lora.read_text(encoding="utf-8") + "\nMy own addition.\n", encoding="utf-8")
    assert run("feed", FEED, site) == 0
    assert lora.read_text(encoding="utf-8").endswith("My own addition.\n")
    assert run("feed", FEED, site, "--force") == 0
    assert "My own addition." not in lora.read_text(encoding="utf-8")


def test_dry_run_prints_the_notes_and_writes_nothing(tmp_path, capsys):
    site = new_site(tmp_path / "site")
    assert run("feed", FEED, site, "--dry-run") == 0
    assert not (site / "content").exists()
    out = capsys.readouterr().out
    assert "would write" in out and "content/papers/lora.md" in out
    assert 'title: "LoRA: Low-Rank Adaptation of Large Language Models"' in out
    assert "would import 4 notes" in out and "nothing was written" in out


def test_quiet_prints_only_errors(tmp_path, capsys):
    site = new_site(tmp_path / "site")
    assert run("feed", FEED, site, "-q") == 0
    assert capsys.readouterr() == ("", "")


def test_a_missing_source_fails_with_its_name(tmp_path, capsys):
    site = new_site(tmp_path / "site")
    for kind in ("jekyll", "digest", "feed", "bibtex"):
        assert run(kind, tmp_path / "nope", site) == 1
        assert f"{tmp_path / 'nope'}: not found" in capsys.readouterr().err


def test_duplicate_entries_in_one_source_are_imported_once(tmp_path, capsys):
    digest = tmp_path / "README.md"
    entry = "> **{}**  \n> *CVPR 2025*, [arxiv](https://arxiv.org/abs/2501.09425)  \n> Task: x\n"
    digest.write_text(entry.format("First") + "\n" + entry.format("Second"), encoding="utf-8")
    site = new_site(tmp_path / "site")
    assert run("digest", digest, site) == 0
    assert list(notes(site)) == ["first"]
    out = capsys.readouterr().out
    assert f'{digest.name}:5 "Second": duplicate of an earlier entry' in out
    assert "(same arXiv id 2501.09425) in this source" in out


def test_a_bad_digest_entry_is_reported_and_the_rest_import(tmp_path, capsys):
    digest = tmp_path / "README.md"
    digest.write_text("> Not bold\n> *ICML 2020*, [arxiv](https://arxiv.org/abs/1905.07553)\n\n"
                      "> Just a quotation.\n\n"
                      "> **Undated**\n> *Workshop*\n\n"
                      "> **Good**\n> *ICML 2020*, [code](https://github.com/x/y)\n",
                      encoding="utf-8")
    site = new_site(tmp_path / "site")
    assert run("digest", digest, site) == 1
    assert list(notes(site)) == ["good"]
    err = capsys.readouterr().err
    assert "README.md:1: this entry has no bold title on its first line" in err
    assert "README.md:6: 'Undated': no date" in err
    assert "Just a quotation" not in err


def test_yaml_that_would_mistype_is_quoted():
    meta = {"title": "2025", "date": dt.date(2025, 1, 2), "venue": "yes", "arxiv": "2106.10000",
            "task": "no: really", "tags": ["on", "1.0", "a, b", "null"], "summary": "~",
            "doi": "10.1000/1", "extra": {"imported_from": "x:y#1"}}
    read = yaml.safe_load(dump_front_matter(meta))
    assert read == meta
    assert 'arxiv: "2106.10000"' in dump_front_matter(meta)


def test_a_korean_site_gets_no_lang_on_its_korean_notes(tmp_path):
    site = new_site(tmp_path / "site", 'title = "노트"\nlanguage = "ko"\ntimezone = "Asia/Seoul"\n')
    assert run("jekyll", KOREAN_POST, site) == 0
    meta, _ = front_matter(notes(site)["002_jekyll_post_ko"])
    assert "lang" not in meta


def test_the_command_line_entry_point(tmp_path):
    site = new_site(tmp_path / "site")
    result = subprocess.run(
        [sys.executable, "-m", "digestif.importers", "feed", str(FEED), "--into", str(site)],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "imported 4 notes" in result.stdout
    assert set(notes(site)) == {"chain-of-zoom", "lora", "controlnet", "vit-comer"}


def test_the_parser_contract_for_the_cli(tmp_path):
    parser = argparse.ArgumentParser()
    configure_parser(parser)
    args = parser.parse_args(["bibtex", "refs.bib"])
    assert (args.kind, args.source, args.into, args.force, args.dry_run, args.quiet) == \
        ("bibtex", "refs.bib", Path("."), False, False, False)
    with pytest.raises(SystemExit):
        parser.parse_args(["wordpress", "x"])
