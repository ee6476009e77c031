"""A brief note's bullets in the digest and on list pages, and the ``[digest] show`` setting."""

from __future__ import annotations

import re

import pytest

from conftest import copy_site, parse_html
from digestif.build import BuildOptions, build
from digestif.config import ConfigError, load_config
from digestif.excerpts import first_list


def text_of(element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def digest_entries(site) -> dict[str, object]:
    page = parse_html(site / "_site/digest/index.html")
    return {text_of(e.find("h3")): e for e in page.iterfind(".//article[@class='digest-entry']")}


def build_with(tmp_path, show: str | None = None):
    site = copy_site("brief", tmp_path)
    if show:
        with (site / "site.toml").open("a", encoding="utf-8") as toml:
            toml.write(f'\n[digest]\nshow = "{show}"\n')
    build(site, BuildOptions(strict=True))
    return site


def bullets(entry) -> list[str]:
    block = entry.find("div[@class='bullets']")
    return [] if block is None else [text_of(li) for li in block.iterfind("./ul/li")]


def summary(entry) -> str:
    found = entry.find("p[@class='summary']")
    return "" if found is None else text_of(found)


def test_a_note_that_is_only_bullets_shows_them_in_the_digest(tmp_path):
    entry = digest_entries(build_with(tmp_path))[
        "Augmenting Perceptual Super-Resolution via Image Quality Predictors"]
    first, second = bullets(entry)
    assert first == "Human feedback can improve SR, but it does not scale."
    assert second.startswith("Use an NR-IQA metric (MUSIQ) instead.")
    nested = entry.findall("div[@class='bullets']/ul/li/ul/li")
    assert [text_of(li) for li in nested] == ["Highest-score patch selection.",
                                              "Direct optimization."]
    assert summary(entry) == ""


def test_footnote_references_and_ids_stay_on_the_notes_own_page(tmp_path):
    entry = digest_entries(build_with(tmp_path))[
        "Augmenting Perceptual Super-Resolution via Image Quality Predictors"]
    block = entry.find("div[@class='bullets']")
    assert text_of(block).startswith("Human feedback")
    assert "MUSIQ) instead." in text_of(block)  # the reference mark is gone, the text kept
    assert block.find(".//sup") is None
    assert all(element.get("id") is None for element in block.iter())


def test_by_default_a_note_with_a_summary_shows_the_summary_only(tmp_path):
    entry = digest_entries(build_with(tmp_path))[
        "Dual Prompting Image Restoration with Diffusion Transformers"]
    assert summary(entry) == "Feed the low-quality image to the DiT twice."
    assert bullets(entry) == []


def test_show_bullets_prefers_the_list_and_falls_back_to_the_summary(tmp_path):
    entries = digest_entries(build_with(tmp_path, "bullets"))
    dual = entries["Dual Prompting Image Restoration with Diffusion Transformers"]
    assert bullets(dual) == ["A degradation-robust VAE encoder.",
                             "A low-quality image conditioning branch."]
    assert summary(dual) == ""
    prose = entries["A note without a list"]
    assert summary(prose) == "Just a paragraph of prose, no bullets." and bullets(prose) == []


def test_show_both_gives_the_summary_then_the_bullets(tmp_path):
    dual = digest_entries(build_with(tmp_path, "both"))[
        "Dual Prompting Image Restoration with Diffusion Transformers"]
    assert summary(dual) == "Feed the low-quality image to the DiT twice."
    assert len(bullets(dual)) == 2
    children = [child.get("class") for child in dual]
    assert children.index("summary") < children.index("bullets")


def test_home_page_items_of_brief_notes_show_their_bullets(tmp_path):
    site = build_with(tmp_path)
    home = parse_html(site / "_site/index.html")
    [item] = [i for i in home.iterfind(".//article[@class='note-item']")
              if "Perceptual" in text_of(i.find(".//h2"))]
    assert bullets(item)[0] == "Human feedback can improve SR, but it does not scale."


def test_an_unknown_show_value_names_the_key_and_the_choices(tmp_path):
    site = copy_site("brief", tmp_path)
    with (site / "site.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[digest]\nshow = "everything"\n')
    with pytest.raises(ConfigError, match=r"digest\.show.*summary, bullets, both"):
        load_config(site)


@pytest.mark.parametrize(("html", "expected"), [
    ("<p>x</p><ul><li>a<ul><li>b</li></ul></li></ul><ul><li>c</li></ul>",
     "<ul><li>a<ul><li>b</li></ul></li></ul>"),
    ("<ol start=\"3\"><li>x</li></ol>", "<ol start=\"3\"><li>x</li></ol>"),
    ("<p>no list</p>", ""),
    ("<pre><code>&lt;ul&gt;</code></pre>", ""),
])
def test_first_list_takes_the_first_whole_list(html, expected):
    assert str(first_list(html)) == expected
