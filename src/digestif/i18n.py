"""The theme's words in the site's language: ``{{ t("nav.digest") }}`` in templates.

Every string the theme shows is a key in ``theme/i18n/en.toml``; ``ko``, ``ja`` and ``zh-Hans``
translate each of them. A site adds or overrides strings, or a whole language, with its own
``i18n/<language>.toml`` (as Hugo's ``i18n/`` folder does): keys it sets win, every other key
comes from the theme's file for that language, then from English.

A language tag is looked up from the most to the least specific (``ko-KR`` -> ``ko``); Chinese
tags that imply simplified script (``zh``, ``zh-CN``, ``zh-SG``) find ``zh-Hans``.

Values are plain text: they are escaped where they land, and ``{name}`` placeholders are filled
with escaped values (Markup, such as a link the template built, is kept). A value may be a table
``{ one = "…", other = "…" }``: ``t(key, count=n)`` picks ``one`` for 1, ``other`` otherwise.
Dates use the ``date.long`` and ``date.short`` patterns with ``{year}``, ``{month}``, ``{day}``
and ``{month_name}`` (from the ``months`` list).
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from .digests import fingerprint
from .errors import BuildError, Problem
from .theme import THEME_DIR

THEME_I18N = THEME_DIR / "i18n"
SITE_I18N = "i18n"
"""The site's folder of translation files, beside site.toml."""
FALLBACK = "en"
PLURAL_FORMS = frozenset({"zero", "one", "two", "few", "many", "other"})
# Chinese tags without a script subtag: these regions write simplified characters.
_SIMPLIFIED = {"zh", "zh-cn", "zh-sg", "zh-my"}
_TRADITIONAL = {"zh-tw", "zh-hk", "zh-mo"}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

Value = str | dict[str, str] | list[str]


def language_chain(language: str) -> list[str]:
    """``"zh-Hans-CN"`` -> ``["zh-hans-cn", "zh-hans", "zh"]``, lowercase, most specific first."""
    parts = language.replace("_", "-").lower().split("-")
    chain = ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]
    if chain[0] in _SIMPLIFIED or (chain[-1] == "zh" and "hant" not in parts
                                   and chain[0] not in _TRADITIONAL):
        chain.insert(len(chain) - 1, "zh-hans")
    elif chain[0] in _TRADITIONAL:
        chain.insert(len(chain) - 1, "zh-hant")
    return list(dict.fromkeys(chain))


def _files(folder: Path) -> dict[str, Path]:
    """Translation files of a folder by lowercase language tag."""
    if not folder.is_dir():
        return {}
    return {path.stem.lower(): path for path in sorted(folder.glob("*.toml"))}


def _flatten(table: dict, prefix: str, source: str, problems: list[Problem]) -> dict[str, Value]:
    flat: dict[str, Value] = {}
    for key, value in table.items():
        name = prefix + key
        if isinstance(value, dict) and value and set(value) <= PLURAL_FORMS:
            if "other" not in value or not all(isinstance(v, str) for v in value.values()):
                problems.append(Problem(source, "expected plural forms as strings, with at "
                                        f"least other = \"…\", found {value!r}", None, name))
                continue
            flat[name] = dict(value)
        elif isinstance(value, dict):
            flat.update(_flatten(value, name + ".", source, problems))
        elif isinstance(value, str) or (isinstance(value, list)
                                        and all(isinstance(v, str) for v in value)):
            flat[name] = value
        else:
            problems.append(Problem(source, f"expected a string, found {value!r}", None, name))
    return flat


def _load(path: Path, source: str, problems: list[Problem]) -> dict[str, Value]:
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(source, f"cannot be read: {exc}", None))
        return {}
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        problems.append(Problem(source, f"invalid TOML: {exc}",
                                int(line.group(1)) if line else None))
        return {}
    return _flatten(table, "", source, problems)


class Translations:
    """The theme's and the site's translation files; every site file is read and checked at
    once, so a broken one stops the build before any page is rendered."""

    def __init__(self, site_dir: Path):
        problems: list[Problem] = []
        self.theme = {lang: _load(path, f"theme i18n/{path.name}", problems)
                      for lang, path in _files(THEME_I18N).items()}
        self.site = {lang: _load(path, f"{SITE_I18N}/{path.name}", problems)
                     for lang, path in _files(site_dir / SITE_I18N).items()}
        if problems:
            raise BuildError(problems)
        self._catalogs: dict[str, dict[str, Value]] = {}
        # Every page asks for the same few dozen strings and dates: each is filled once.
        self._texts: dict[tuple, Markup] = {}
        self._dates: dict[tuple, str] = {}

    def catalog(self, language: str) -> dict[str, Value]:
        """Every string for ``language``: English, then the theme's, then the site's file for
        each tag from the least to the most specific."""
        found = self._catalogs.get(language)
        if found is None:
            # English first, the site's English too: a key a site adds in en.toml only is
            # there in every language, in English, rather than missing.
            found = {**self.theme.get(FALLBACK, {}), **self.site.get(FALLBACK, {})}
            for layer in (self.theme, self.site):
                for lang in language_chain(language)[::-1]:
                    found.update(layer.get(lang, {}))
            self._catalogs[language] = found
        return found

    def key(self, language: str) -> str:
        """A fingerprint of every string pages in ``language`` may show."""
        return fingerprint(sorted(self.catalog(language).items(), key=lambda kv: kv[0]))

    def text(self, language: str, key: str, count: int | None = None, **values) -> Markup:
        memo_key = _memo_key(language, key, count, values)
        if memo_key is None:
            return self._text(language, key, count, values)
        found = self._texts.get(memo_key)
        if found is None:
            found = self._texts[memo_key] = self._text(language, key, count, values)
        return found

    def _text(self, language: str, key: str, count: int | None, values: dict) -> Markup:
        value = self.catalog(language).get(key)
        if value is None:
            raise KeyError(f"no translation of {key!r}: add it to {SITE_I18N}/"
                           f"{language}.toml (theme strings: theme/i18n/en.toml)")
        if isinstance(value, dict):
            value = value.get("one", value["other"]) if count == 1 else value["other"]
        elif isinstance(value, list):
            raise KeyError(f"{key!r} is a list, not a string")
        if count is not None:
            values["count"] = count
        return fill(value, values, key)

    def strings(self, language: str, *keys: str) -> str:
        """The raw entries of ``keys`` as JSON, for a ``data-i18n`` attribute scripts read."""
        catalog = self.catalog(language)
        return json.dumps({k: catalog[k] for k in keys if k in catalog}, ensure_ascii=False)

    def date(self, language: str, value: date, style: str = "long") -> str:
        memo_key = (language, style, value.year, value.month, value.day)
        found = self._dates.get(memo_key)
        if found is None:
            found = self._dates[memo_key] = self._date(language, value, style)
        return found

    def _date(self, language: str, value: date, style: str) -> str:
        pattern = self.catalog(language).get(f"date.{style}")
        if not isinstance(pattern, str):
            raise KeyError(f"no date pattern date.{style} for {language}")
        months = self.catalog(language).get("months")
        month_name = months[value.month - 1] if isinstance(months, list) and \
            len(months) == 12 else str(value.month)
        return str(fill(pattern, {"year": f"{value.year:04d}", "month": value.month,
                                  "day": value.day, "month_name": month_name}, f"date.{style}"))


# Values whose text is all that fill() reads (a Markup value is kept, a str escaped: the type
# is part of the key).
_PLAIN = (str, int)


def _memo_key(language: str, key: str, count: int | None, values: dict) -> tuple | None:
    """What a filled string depends on, or None when a value is not plain data."""
    if not values:
        return language, key, count, type(count)  # True == 1, but "True" is not "1"
    if not all(type(v) in _PLAIN or type(v) is Markup for v in values.values()):
        return None
    return (language, key, count, type(count), *sorted((k, type(v), v) for k, v in values.items()))


def fill(template: str, values: dict, key: str) -> Markup:
    """``template`` escaped, its ``{name}`` placeholders replaced by escaped values. Only bare
    names are placeholders: a translation file cannot reach into Python objects."""
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"translation {key!r} uses {{{name}}}, which the template does not "
                           f"give (it gives {', '.join(sorted(values)) or 'nothing'})")
        return str(escape(values[name]))

    return Markup(_PLACEHOLDER.sub(replace, str(escape(template))))


def _language(context) -> str:
    """The language of the theme's words: the site's (a Korean note on an English site keeps an
    English menu around it)."""
    site = context.get("site")
    return getattr(site, "language", FALLBACK) if site is not None else FALLBACK


def install(env: jinja2.Environment, site_dir: Path) -> Translations:
    """Add ``t()``, ``i18n_strings()`` and the ``localdate`` filter to ``env``."""
    translations = Translations(site_dir)

    @jinja2.pass_context
    def t(context, key: str, count: int | None = None, **values) -> Markup:
        return translations.text(_language(context), key, count, **values)

    @jinja2.pass_context
    def i18n_strings(context, *keys: str) -> str:
        return translations.strings(_language(context), *keys)

    @jinja2.pass_context
    def localdate(context, value: date, style: str = "long") -> str:
        return translations.date(_language(context), value, style)

    env.globals.update(t=t, i18n_strings=i18n_strings, translations=translations)
    env.filters["localdate"] = localdate
    return translations
