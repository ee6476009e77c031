"""site.toml: typed settings, and errors that name the key path."""

from __future__ import annotations

import pytest

from digestif.config import ConfigError, load_config


def load(tmp_path, text: str):
    (tmp_path / "site.toml").write_text(text, encoding="utf-8")
    return load_config(tmp_path)


def messages(tmp_path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return [str(p) for p in caught.value.problems]


def test_defaults_and_values(tmp_path):
    config = load(tmp_path, 'title = "Notes"\nbase_url = "https://u.github.io/repo"\n'
                            'language = "en_US"\n[feed]\nentries = 5\n'
                            '[categories."Super-Resolution"]\ndescription = "SR"\n')
    assert config.base_url == "https://u.github.io/repo/"
    assert config.base_path == "/repo/"
    assert config.language == "en-US"
    assert config.feed.entries == 5 and config.feed.full_content is True
    assert config.categories["Super-Resolution"].description == "SR"
    assert config.permalinks.note == "/papers/{slug}/"
    assert config.output_path == tmp_path.resolve() / "_site"


def test_every_problem_is_reported_with_its_key_path(tmp_path):
    assert messages(tmp_path, 'titel = "x"\npaginate = "ten"\n[feed]\nentries = "ten"\n'
                              'full_content = 1\n[permalinks]\nnote = "/p/"\n') == [
        "site.toml: titel: unknown key; expected one of author, base_url, categories, cname, "
        "description, digest, extra, feed, image, language, markdown, output_dir, paginate, "
        "permalinks, search, timezone, title",
        'site.toml: paginate: expected an integer, found "ten"',
        'site.toml: feed.entries: expected an integer, found "ten"',
        "site.toml: feed.full_content: expected true or false, found 1",
        "site.toml: permalinks.note: expected a path starting with / containing {slug} and no "
        "'..', found \"/p/\"",
    ]


def test_bad_values(tmp_path):
    assert messages(tmp_path, 'base_url = "example.org"\ntimezone = "Mars/Base"\n'
                              'language = "english please"\noutput_dir = "."\n') == [
        'site.toml: base_url: expected an http(s) URL, found "example.org"',
        'site.toml: language: expected a BCP 47 language tag such as en-US, found '
        '"english please"',
        'site.toml: timezone: expected an IANA time zone such as Asia/Seoul, found "Mars/Base"',
        'site.toml: output_dir: "." would overwrite the site itself; choose a folder such as '
        '_site',
    ]


def test_invalid_toml_names_the_line(tmp_path):
    [message] = messages(tmp_path, 'title = "x"\nbase_url = \n')
    assert message.startswith("site.toml:2: invalid TOML")


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert "site.toml: not found in" in str(caught.value)
    assert "digestif init" in str(caught.value)


def test_markdown_settings_are_typed_and_checked(tmp_path):
    config = load(tmp_path, '[markdown]\nmath = "mathjax"\nsmart_quotes = true\n'
                            '[markdown.macros]\nR = "\\\\mathbb{R}"\n')
    assert config.markdown.math == "mathjax" and config.markdown.smart_quotes is True
    assert config.markdown.macros == {"R": "\\mathbb{R}"}
    assert messages(tmp_path, '[markdown]\nmath = "katex"\n') == [
        'site.toml: markdown.math: expected one of pandoc, mathjax, found "katex"']


def test_the_markdown_engine_is_a_choice_of_two(tmp_path):
    assert load(tmp_path, "").markdown.engine == "python-markdown"
    assert load(tmp_path, '[markdown]\nengine = "commonmark"\n').markdown.engine == "commonmark"
    assert messages(tmp_path, '[markdown]\nengine = "mistune"\n') == [
        'site.toml: markdown.engine: expected one of python-markdown, commonmark, found '
        '"mistune"']


def test_config_errors_are_build_errors_with_a_list_of_problems(tmp_path):
    """One error type: every command catches BuildError and gets site.toml's problems too."""
    from digestif.errors import BuildError

    (tmp_path / "site.toml").write_text("paginate = 0\n")
    with pytest.raises(BuildError) as caught:
        load_config(tmp_path)
    assert isinstance(caught.value, ConfigError)
    assert [str(p) for p in caught.value.problems] == [
        "site.toml: paginate: expected a positive integer, found 0"]
