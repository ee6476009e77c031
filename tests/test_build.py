"""The build end to end, on the example site and on sample sites, asserting on parsed output."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote

import feedparser
import pytest
from lxml import etree

from conftest import comparable_output, parse_html, snapshot, write_note
from digestif.build import BuildOptions, build
from digestif.cli import main
from digestif.errors import BuildError

EXAMPLE_NOTES = {"lora", "qlora", "chain-of-zoom", "chain-of-zoom-ko", "vlm-negation", "pft-sr",
                 "flashattention", "dual-prompting-restoration"}


def links_on(page: Path) -> list[str]:
    root = parse_html(page)
    return [e.get("href") or e.get("src") for e in root.iter()
            if e.tag in ("a", "link", "img", "script") and (e.get("href") or e.get("src"))]


def note_titles_on(page: Path) -> set[str]:
    """Titles of the notes a listing page links to."""
    root = parse_html(page)
    return {"".join(a.itertext()).strip() for a in root.iter("a")
            if (a.get("href") or "").startswith("/papers/")}


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    from conftest import copy_site
    site = copy_site("example", tmp_path_factory.mktemp("example"))
    result = build(site, BuildOptions())
    return site / "_site", result


def test_every_published_note_has_its_page_and_drafts_do_not(example):
    out, result = example
    assert {p.name for p in (out / "papers").iterdir() if p.is_dir()} == EXAMPLE_NOTES
    assert result.notes == len(EXAMPLE_NOTES)
    page = parse_html(out / "papers" / "lora" / "index.html")
    assert page.find(".//h1").text == "LoRA: Low-Rank Adaptation of Large Language Models"


def test_note_page_shows_metadata_and_derived_links(example):
    out, _ = example
    root = parse_html(out / "papers" / "qlora" / "index.html")
    text = " ".join("".join(root.itertext()).split())
    for shown in ("NeurIPS 2023 Oral", "Tim Dettmers, Artidoro Pagnoni, Ari Holtzman, Luke "
                  "Zettlemoyer", "memory-efficient fine-tuning", "2025-06-03"):
        assert shown in text
    badges = {a.text: a.get("href") for a in root.iter("a") if "badge" in (a.get("class") or "")}
    assert badges == {"code": "https://github.com/artidoro/qlora",
                      "review": "https://openreview.net/forum?id=OUIFPHEgJU",
                      "arXiv": "https://arxiv.org/abs/2305.14314",
                      "PDF": "https://arxiv.org/pdf/2305.14314"}
    assert "/papers/lora/" in links_on(out / "papers" / "qlora" / "index.html")


def test_category_tag_archive_and_digest_list_the_right_notes(example):
    out, _ = example
    assert note_titles_on(out / "categories" / "super-resolution" / "index.html") == {
        "Chain-of-Zoom: Extreme Super-Resolution via Scale Autoregression and Preference "
        "Alignment", "Progressive Focused Transformer for Single Image Super-Resolution"}
    assert note_titles_on(out / "tags" / "lora" / "index.html") == {
        "LoRA: Low-Rank Adaptation of Large Language Models",
        "QLoRA: Efficient Finetuning of Quantized LLMs"}
    archive = parse_html(out / "archive" / "index.html")
    assert [h.find("a").text for h in archive.iter("h2")] == ["2025"]
    digest = note_titles_on(out / "digest" / "index.html")
    assert len(digest) == len(EXAMPLE_NOTES)
    assert "Vision-Language Models Do Not Understand Negation" in digest


def test_korean_note_category_and_heading_ids_are_intact(example):
    out, _ = example
    page = out / "papers" / "chain-of-zoom-ko" / "index.html"
    root = parse_html(page)
    assert root.get("lang") == "ko"
    assert {h.get("id") for h in root.iter("h2")} >= {"간단-리뷰", "자기회귀-체인이란", "한계"}
    category_links = [unquote(h) for h in links_on(page) if "categories/" in h]
    assert "/categories/초해상도/" in category_links
    assert (out / "categories" / "초해상도" / "index.html").is_file()


def test_math_is_mathml(example):
    out, _ = example
    root = parse_html(out / "papers" / "qlora" / "index.html")
    math = [e for e in root.iter() if e.tag.endswith("math")]
    assert {m.get("display", "inline") for m in math} == {"inline", "block"}
    assert not [e for e in root.iter("code") if e.get("class") == "math-error"]


def test_image_beside_a_note_is_copied_and_resolves(example):
    out, _ = example
    [src] = [s for s in links_on(out / "papers" / "chain-of-zoom" / "index.html")
             if s.endswith(".svg")]
    assert (out / src.lstrip("/")).is_file()


def test_feed_is_valid_atom_with_absolute_content_links(example):
    out, _ = example
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not feed.bozo
    assert feed.feed.language == "en-US"
    assert len(feed.entries) == len(EXAMPLE_NOTES)
    assert len({e.id for e in feed.entries}) == len(feed.entries)
    for entry in feed.entries:
        content = etree.HTML(entry.content[0].value)
        for element in content.iter():
            url = element.get("href") or element.get("src")
            if url:
                assert url.startswith(("https://", "mailto:")), (entry.title, url)
    qlora = next(e for e in feed.entries if e.title.startswith("QLoRA"))
    assert {t.term for t in qlora.tags} == {"Efficient Tuning", "Large Language Models"}
    category = feedparser.parse((out / "categories" / "super-resolution" / "feed.xml")
                                .read_bytes())
    assert not category.bozo and len(category.entries) == 2


def test_every_page_links_its_feed(example):
    out, _ = example
    for page in [out / "index.html", out / "papers" / "lora" / "index.html"]:
        feeds = [e.get("href") for e in parse_html(page).iter("link")
                 if e.get("type") == "application/atom+xml"]
        assert "/feed.xml" in feeds


def test_sitemap_robots_404_and_nojekyll(example):
    out, _ = example
    urls = [loc.text for loc in etree.parse(str(out / "sitemap.xml")).iter(
        "{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "https://example.org/papers/lora/" in urls
    for url in urls:
        path = unquote(url.removeprefix("https://example.org/"))
        assert (out / path / "index.html").is_file() or (out / path).is_file(), url
    assert "Sitemap: https://example.org/sitemap.xml" in (out / "robots.txt").read_text()
    assert (out / "404.html").is_file() and (out / ".nojekyll").is_file()


def test_base_url_with_a_path_prefixes_every_internal_link(built):
    site, _ = built("example", base_url="https://example.org/sub/")
    out = site / "_site"
    checked = 0
    for page in out.rglob("*.html"):
        for url in links_on(page):
            if url.startswith(("http", "#", "mailto:")):
                continue
            assert url.startswith("/sub/"), (page, url)
            checked += 1
    assert checked > 100
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert all(e.link.startswith("https://example.org/sub/papers/") for e in feed.entries)


def test_output_dir_and_out_flag(site_copy, tmp_path):
    site = site_copy("minimal")
    (site / "site.toml").write_text('title = "M"\nbase_url = "https://e.org/"\n'
                                    'output_dir = "public"\n')
    assert main(["build", str(site), "-q"]) == 0
    assert (site / "public" / "papers" / "only" / "index.html").is_file()
    assert main(["build", str(site), "-q", "--out", str(tmp_path / "elsewhere")]) == 0
    assert (tmp_path / "elsewhere" / "index.html").is_file()


def test_drafts_flag_includes_drafts(built):
    site, result = built("example", drafts=True)
    assert (site / "_site" / "papers" / "draft-mamba" / "index.html").is_file()


def test_removed_note_disappears_after_the_next_build(site_copy):
    site = site_copy("minimal")
    write_note(site, "papers/second.md", "---\ntitle: Second\ndate: 2024-02-02\n---\nHi\n")
    build(site)
    assert (site / "_site" / "papers" / "second" / "index.html").is_file()
    (site / "content" / "papers" / "second.md").unlink()
    build(site)
    assert not (site / "_site" / "papers" / "second").exists()


BAD_NOTES = {
    "papers/bad-date.md": "---\ntitle: A\ndate: 2025-13-45\n---\n",
    "papers/bad-yaml.md": "---\ntitle: A\ndate: 2024-01-01\ntags: [a\n---\n",
    "papers/no-close.md": "---\ntitle: A\ndate: 2024-01-01\n",
    "papers/list.md": "---\n- a\n---\n",
    "papers/title.md": "---\ntitle: [A]\ndate: 2024-01-01\n---\n",
    "papers/links.md": "---\ntitle: A\ndate: 2024-01-01\nlinks: x\n---\n",
    "papers/escape.md": "---\ntitle: A\ndate: 2024-01-01\nslug: ../../x\n---\n",
}


def test_a_failed_build_reports_every_error_and_leaves_the_output_untouched(site_copy, capsys):
    site = site_copy("minimal")
    assert main(["build", str(site), "-q"]) == 0
    before = snapshot(site / "_site")
    for name, text in BAD_NOTES.items():
        write_note(site, name, text)
    (site / "content" / "papers" / "latin1.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    assert main(["build", str(site), "-q"]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    named = {line.split(":")[1].strip() for line in errors[:-1]}
    assert named == {f"content/{n}" for n in BAD_NOTES} | {"content/papers/latin1.md"}
    assert "the previous output is unchanged" in errors[-1]
    assert snapshot(site / "_site") == before
    leftovers = [p.name for p in site.iterdir()
                 if p.name.startswith((".digestif-tmp", ".digestif-old"))]
    assert leftovers == []


def test_two_notes_with_one_url_name_both_files(site_copy):
    site = site_copy("minimal")
    write_note(site, "papers/a.md", "---\ntitle: A\ndate: 2024-01-01\nslug: same\n---\n")
    write_note(site, "papers/b.md", "---\ntitle: B\ndate: 2024-01-02\nslug: same\n---\n")
    with pytest.raises(BuildError) as caught:
        build(site)
    [problem] = caught.value.problems
    assert str(problem) == ("content/papers/b.md: slug: has the same URL /papers/same/ as "
                            "content/papers/a.md; give one of them another slug")


def test_two_category_spellings_with_one_url_name_both_files(site_copy):
    site = site_copy("minimal")
    write_note(site, "papers/a.md", "---\ntitle: A\ndate: 2024-01-01\ncategories: [Super "
                                    "Resolution]\n---\n")
    write_note(site, "papers/b.md", "---\ntitle: B\ndate: 2024-01-02\ncategories: "
                                    "[super-resolution]\n---\n")
    with pytest.raises(BuildError) as caught:
        build(site)
    assert [str(p) for p in caught.value.problems] == [
        'content/papers/b.md: categories: "super-resolution" and "Super Resolution" (in '
        'content/papers/a.md) both map to /categories/super-resolution/; spell them the same']


def test_permalink_outside_the_output_is_refused(site_copy):
    site = site_copy("minimal")
    (site / "site.toml").write_text('title = "M"\nbase_url = "https://e.org/"\n'
                                    '[permalinks]\nnote = "/../{slug}/"\n')
    assert main(["build", str(site), "-q"]) == 1
    assert not (site.parent / "only").exists()


def test_template_override_and_template_errors_name_file_and_line(site_copy, capsys):
    site = site_copy("minimal")
    (site / "templates").mkdir()
    (site / "templates" / "note.html").write_text(
        '{% extends "base.html" %}{% block content %}<p class="mine">{{ note.title }}</p>'
        "{% endblock %}")
    build(site)
    root = parse_html(site / "_site" / "papers" / "only" / "index.html")
    assert [p.text for p in root.iter("p") if p.get("class") == "mine"] == ["Only note"]
    assert root.find(".//header") is not None, "the rest of the theme is still there"
    (site / "templates" / "note.html").write_text("line one\n{{ note.no_such_field }}\n")
    assert main(["build", str(site), "-q"]) == 1
    err = capsys.readouterr().err
    assert "templates/note.html:2: template error while rendering note.html" in err
    assert "no_such_field" in err
    (site / "templates" / "note.html").write_text("{% if %}\n")
    assert main(["build", str(site), "-q"]) == 1
    assert "templates/note.html:1: template syntax error" in capsys.readouterr().err


def test_refuses_to_replace_a_folder_it_did_not_write(site_copy, tmp_path):
    site = site_copy("minimal")
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    assert main(["build", str(site), "-q", "--out", str(precious)]) == 1
    assert (precious / "thesis.tex").read_text() == "years of work"


def test_a_thousand_notes_build(site_copy):
    site = site_copy("minimal")
    body = "Some text with $x_i$ math.\n\n```python\nprint(1)\n```\n"
    for i in range(1000):
        write_note(site, f"papers/n{i:04d}.md",
                   f"---\ntitle: Note {i}\ndate: 2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}\n"
                   f"categories: [C{i % 7}]\ntags: [t{i % 31}, u{i % 5}]\n---\n{body}")
    result = build(site)
    assert result.notes == 1001
    assert len(list((site / "_site" / "papers").glob("*/index.html"))) == 1001
    assert (site / "_site" / "page" / "101" / "index.html").is_file()


def test_pages_rendered_on_several_cores_are_the_same_as_on_one(site_copy, monkeypatch):
    import digestif.render

    sequential = site_copy("example")
    build(sequential, BuildOptions(use_cache=False))
    monkeypatch.setattr(digestif.render, "PARALLEL_PAGES", 1)
    monkeypatch.setattr(digestif.render.os, "cpu_count", lambda: 3)
    parallel = sequential.parent / "parallel"
    shutil.copytree(sequential, parallel, ignore=shutil.ignore_patterns("_site"))
    result = build(parallel, BuildOptions(use_cache=False))
    assert comparable_output(parallel / "_site") == comparable_output(sequential / "_site")
    assert result.pages > 40


def test_a_template_error_found_on_several_cores_is_reported_once(site_copy, monkeypatch):
    import digestif.render

    monkeypatch.setattr(digestif.render, "PARALLEL_PAGES", 1)
    monkeypatch.setattr(digestif.render.os, "cpu_count", lambda: 2)
    site = site_copy("example")
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates" / "note.html").write_text("{{ note.no_such_field }}\n")
    with pytest.raises(BuildError) as caught:
        build(site, BuildOptions(use_cache=False))
    assert len(caught.value.problems) == 1
    assert "no_such_field" in str(caught.value.problems[0])


def test_links_in_raw_html_get_the_base_path_like_markdown_links(site_copy):
    site = site_copy("minimal")
    (site / "static" / "assets").mkdir(parents=True)
    (site / "static" / "assets" / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    write_note(site, "papers/imported.md", "---\ntitle: Imported\ndate: 2024-03-03\n---\n"
               '<p><img src="/assets/fig.png" alt="A figure"> '
               "<a href='only.md'>the other note</a></p>\n\n"
               'Shown as code: `<img src="/assets/raw.png">`\n')
    build(site, BuildOptions(base_url="https://user.github.io/repo/"))
    page = parse_html(site / "_site" / "papers" / "imported" / "index.html")
    body = page.find(".//div[@class='note-body']")
    assert [i.get("src") for i in body.iter("img")] == ["/repo/assets/fig.png"]
    assert "/repo/papers/only/" in [a.get("href") for a in body.iter("a")]
    assert '<img src="/assets/raw.png">' in "".join(body.find(".//code").itertext())
    only = parse_html(site / "_site" / "papers" / "only" / "index.html")
    assert "Imported" in "".join(only.find(".//section[@class='backlinks']").itertext())
