"""The card a shared link shows: og:image from the note's image:, else its first figure, else
the site's image; twitter:card large only with a picture."""

from __future__ import annotations

import pytest

from conftest import copy_site, parse_html, write_note
from digestif.build import BuildOptions, build
from digestif.config import ConfigError, load_config

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4ae0000000049454e44ae426082")


def meta(page, key: str) -> str | None:
    for element in page.iter("meta"):
        if key in (element.get("property"), element.get("name")):
            return element.get("content")
    return None


@pytest.fixture
def site(tmp_path):
    site = copy_site("minimal", tmp_path)
    (site / "content/papers").mkdir(parents=True, exist_ok=True)
    (site / "content/papers/teaser.png").write_bytes(PNG)
    (site / "content/papers/figure.png").write_bytes(PNG)
    (site / "content/papers/diagram.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    write_note(site, "papers/chosen.md", "---\ntitle: Chosen\ndate: 2024-05-01\n"
               "image: teaser.png\n---\n![A plot](figure.png)\n")
    write_note(site, "papers/figured.md", "---\ntitle: Figured\ndate: 2024-05-02\n---\n"
               "![](diagram.svg)\n\n![Results table](figure.png)\n")
    write_note(site, "papers/remote.md", "---\ntitle: Remote\ndate: 2024-05-03\n"
               "image: https://cdn.example.net/card.jpg\n---\nText.\n")
    write_note(site, "papers/plain.md", "---\ntitle: Plain\ndate: 2024-05-04\n---\nText.\n")
    return site


def page_of(site, slug: str):
    return parse_html(site / "_site" / "papers" / slug / "index.html")


def test_the_notes_own_image_wins_and_is_published(site):
    build(site, BuildOptions(strict=True))
    page = page_of(site, "chosen")
    assert meta(page, "og:image") == "https://example.org/papers/teaser.png"
    assert meta(page, "twitter:card") == "summary_large_image"
    assert meta(page, "twitter:image") == "https://example.org/papers/teaser.png"
    assert (site / "_site/papers/teaser.png").read_bytes() == PNG


def test_else_the_first_figure_a_social_site_can_show(site):
    build(site, BuildOptions())
    page = page_of(site, "figured")
    assert meta(page, "og:image") == "https://example.org/papers/figure.png"  # not the SVG
    assert meta(page, "og:image:alt") == "Results table"


def test_an_image_url_is_used_as_written(site):
    build(site, BuildOptions())
    assert meta(page_of(site, "remote"), "og:image") == "https://cdn.example.net/card.jpg"


def test_else_the_sites_image_and_without_one_a_small_card(site):
    build(site, BuildOptions())
    plain = page_of(site, "plain")
    assert meta(plain, "og:image") is None and meta(plain, "twitter:card") == "summary"
    with (site / "site.toml").open("a", encoding="utf-8") as toml:
        toml.write('image = "/card.png"\n')
    (site / "static").mkdir(exist_ok=True)
    (site / "static/card.png").write_bytes(PNG)
    build(site, BuildOptions())
    plain = page_of(site, "plain")
    assert meta(plain, "og:image") == "https://example.org/card.png"
    assert meta(plain, "twitter:card") == "summary_large_image"
    home = parse_html(site / "_site/index.html")
    assert meta(home, "og:image") == "https://example.org/card.png"


def test_a_missing_image_file_is_a_warning_naming_note_and_field(site):
    write_note(site, "papers/broken.md", "---\ntitle: Broken\ndate: 2024-05-05\n"
               "image: nowhere.png\n---\nText.\n")
    result = build(site, BuildOptions())
    [warning] = [w for w in result.warnings if w.file == "content/papers/broken.md"]
    assert warning.field == "image" and "nowhere.png" in warning.message


def test_the_site_image_must_be_a_path_or_url(site):
    with (site / "site.toml").open("a", encoding="utf-8") as toml:
        toml.write('image = "card.png"\n')
    with pytest.raises(ConfigError, match="image: expected a path on the site"):
        load_config(site)
