"""Write a deterministic corpus of synthetic paper notes for the benchmark.

    python bench/generate.py --n 1000 --seed 7 --out bench/out/site
    python bench/generate.py --n 1000 --seed 7 --out bench/out/hugo --format hugo
    python bench/generate.py --n 1000 --seed 7 --out bench/out/pelican --format pelican

The same ``--n`` and ``--seed`` give byte-identical files, and the three formats carry the same
words: only the front-matter syntax and the folder layout differ. Each note gets its own
``random.Random`` seeded from (seed, index), so the first 1,000 notes of a 10,000-note corpus are
the 1,000-note corpus.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import vault_blocks as blocks
import vocabulary as vocab

THEMES = Path(__file__).resolve().parent / "themes"
FORMATS = ("digestif", "hugo", "pelican")
BASE_URL = "https://bench.example.org/"
SITE_TITLE = "Benchmark Paper Notes"
# Past dates only: Hugo skips future-dated pages by default.
FIRST_DATE, DAYS = date(2018, 1, 1), 7 * 365


@dataclass(frozen=True)
class Shape:
    """What a note contains besides English prose, drawn once per note."""

    language: str
    """"en", or "zh"/"ko": most paragraphs and the section titles in Chinese or Korean."""
    cjk_title: bool
    cjk_authors: bool
    tables: int
    mermaid: bool
    heavy_math: bool
    long: bool
    """5,000-10,000 words instead of 600-1,500."""


# Shares of notes, chosen to resemble a real 19,000-note vault (Chinese, tables and mermaid
# in most notes, heavy math) while keeping most notes in English like the earlier corpus.
ZH_SHARE, KO_SHARE = 0.20, 0.08
TABLE_SHARE, MERMAID_SHARE, HEAVY_MATH_SHARE, LONG_SHARE = 0.75, 0.25, 0.10, 0.03
CASE_TAG_SHARE = 0.30


@dataclass(frozen=True)
class SyntheticNote:
    slug: str
    title: str
    date: str
    venue: str
    authors: tuple[str, ...]
    arxiv: str
    task: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    links: tuple[tuple[str, str], ...]
    summary: str
    body: str
    shape: Shape


# --- the notes -------------------------------------------------------------------------------


def make_notes(n: int, seed: int) -> list[SyntheticNote]:
    return [make_note(index, random.Random(f"{seed}:{index}")) for index in range(n)]


def make_note(index: int, rng: random.Random) -> SyntheticNote:
    method = rng.choice(vocab.METHOD_PREFIXES) + rng.choice(vocab.METHOD_SUFFIXES)
    task = rng.choice(vocab.TASKS)
    shape = _shape(index, rng)
    title = _title(rng, method, task)
    if shape.cjk_title:
        title = blocks.cjk_title(rng, shape.language, method)
    day = FIRST_DATE + timedelta(days=rng.randrange(DAYS))
    arxiv = f"{day:%y%m}.{rng.randrange(1, 30000):05d}"
    repo = f"https://github.com/{rng.choice(vocab.GITHUB_ORGS)}/{method.lower()}"
    authors = tuple(blocks.cjk_author(rng, shape.language) if shape.cjk_authors
                    else _author(rng) for _ in range(rng.randint(2, 8)))
    tags = _popular_sample(rng, vocab.TAGS, rng.randint(2, 5))
    if rng.random() < CASE_TAG_SHARE:
        tags += (rng.choice(rng.choice(vocab.CASE_TAG_GROUPS)),)
    summary = _fill(rng, rng.choice(vocab.SENTENCES), method, task)
    if shape.language != "en":
        summary = blocks.cjk_sentence(rng, shape.language, method)
    return SyntheticNote(
        # CJK titles slug to little or nothing; the index keeps every slug unique and non-empty.
        slug=f"{slugify(title) or 'note'}-{index}",
        title=title,
        date=day.isoformat(),
        venue=_venue(rng, day.year),
        authors=authors,
        arxiv=arxiv,
        task=task,
        categories=tuple(rng.sample(vocab.CATEGORIES, rng.randint(1, 2))),
        tags=tags,
        links=(("paper", f"https://arxiv.org/abs/{arxiv}"), ("code", repo)),
        summary=summary,
        body=_body(rng, shape, method, task, arxiv, repo),
        shape=shape,
    )


def _shape(index: int, rng: random.Random) -> Shape:
    draw = rng.random()
    language = "zh" if draw < ZH_SHARE else "ko" if draw < ZH_SHARE + KO_SHARE else "en"
    cjk = language != "en"
    return Shape(
        language=language,
        cjk_title=cjk and rng.random() < 0.5,
        cjk_authors=cjk and rng.random() < 0.5,
        # The first note always has a table: run.py checks every tool's page of it shows one.
        tables=rng.choice([1, 1, 2]) if index == 0 or rng.random() < TABLE_SHARE else 0,
        mermaid=rng.random() < MERMAID_SHARE,
        heavy_math=rng.random() < HEAVY_MATH_SHARE,
        long=rng.random() < LONG_SHARE,
    )


def _title(rng: random.Random, method: str, task: str) -> str:
    adjective, noun = rng.choice(vocab.ADJECTIVES), rng.choice(vocab.NOUNS)
    pattern = rng.choice([
        "{method}: {Adj} {Noun}s for {Task}",
        "Towards {Adj} {Task} with {Noun}s",
        "Rethinking the {Noun} in {Task}",
        "{method}: Scaling {Adj} {Noun}s",
        "Are {Adj} {Noun}s All You Need for {Task}?",
    ])
    return pattern.format(method=method, Adj=adjective.title(), Noun=noun.title(),
                          Task=task.title())


def _venue(rng: random.Random, year: int) -> str:
    venue = f"{rng.choice(vocab.VENUES)} {year + rng.randint(0, 1)}"
    if rng.random() < 0.25:
        venue += " " + rng.choice(vocab.VENUE_SUFFIXES)
    return venue


def _author(rng: random.Random) -> str:
    return f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.LAST_NAMES)}"


def _popular_sample(rng: random.Random, items: list[str], k: int) -> tuple[str, ...]:
    """k distinct items, earlier ones more often (Zipf-like), as real tag use is skewed."""
    weights = [1 / (rank + 1) for rank in range(len(items))]
    chosen: dict[str, None] = {}
    while len(chosen) < k:
        chosen[rng.choices(items, weights)[0]] = None
    return tuple(chosen)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- the body --------------------------------------------------------------------------------


def _body(rng: random.Random, shape: Shape, method: str, task: str, arxiv: str,
          repo: str) -> str:
    """600-1,500 words (5,000-10,000 for a long note) in 4-9 sections, with code, inline and
    display math, links, and what the note's shape adds: tables, a mermaid diagram, a
    derivation, Chinese or Korean paragraphs."""
    optional = [t for t in vocab.SECTION_TITLES if t not in ("Method", "Results")]
    extra = len(optional) if shape.long else rng.randint(2, 4)
    chosen = {"Method", "Results", *rng.sample(optional, extra)}
    titles = [t for t in vocab.SECTION_TITLES if t in chosen]
    count = len(titles)
    sections: list[list[str]] = [[] for _ in titles]
    method_blocks = [_math_paragraph(rng), _display_math(rng), _code_block(rng, method)]
    if shape.mermaid:
        method_blocks.append(blocks.mermaid_block(rng, shape.language))
    if shape.heavy_math:
        method_blocks += blocks.heavy_math_blocks(rng)
    sections[titles.index("Method")] += method_blocks
    for _ in range(shape.tables):
        sections[titles.index("Results")].append(_table(rng, method, shape.language))
    sections[-1].append(_links_paragraph(rng, method, arxiv, repo))
    # The last paragraph overshoots the target by up to ~80 words; 1,420 keeps notes under 1,500.
    target = rng.randint(5000, 9900) if shape.long else rng.randint(600, 1420)
    words = sum(_words(b) for s in sections for b in s)
    turn = 0
    while words < target:
        paragraph = _paragraph(rng, method, task, shape.language)
        sections[turn % count].insert(turn // count, paragraph)
        words += _words(paragraph)
        turn += 1
    return "\n\n".join(f"## {_section_title(shape.language, title)}\n\n" + "\n\n".join(parts)
                       for title, parts in zip(titles, sections, strict=True)) + "\n"


def _section_title(language: str, title: str) -> str:
    return title if language == "en" else blocks.cjk_section_title(language, title)


def _words(block: str) -> int:
    return len(block.split()) + blocks.cjk_chars(block) // 2


def _fill(rng: random.Random, pattern: str, method: str, task: str) -> str:
    nouns = rng.sample(vocab.NOUNS, 2)
    return pattern.format(
        adj=rng.choice(vocab.ADJECTIVES), noun=nouns[0], noun2=nouns[1],
        verb=rng.choice(vocab.VERBS), dataset=rng.choice(vocab.DATASETS),
        metric=rng.choice(vocab.METRICS), method=method, task=task)


def _paragraph(rng: random.Random, method: str, task: str, language: str = "en") -> str:
    # In a Chinese or Korean note, about two paragraphs in three are in that language.
    if language != "en" and rng.random() < 0.65:
        return blocks.cjk_paragraph(rng, language, method, rng.random() < 0.3)
    sentences = [_fill(rng, rng.choice(vocab.SENTENCES), method, task)
                 for _ in range(rng.randint(3, 7))]
    if rng.random() < 0.3:
        sentences.append(f"In the notation of the paper this is ${_inline_tex(rng)}$.")
    if rng.random() < 0.2:
        sentences.append(f"The released code calls it `{method.lower()}_{rng.randrange(9)}`.")
    if rng.random() < 0.2:
        word = rng.choice(vocab.NOUNS)
        sentences.append(f"The **{word}** matters more than the paper admits.")
    return " ".join(sentences)


def _math_paragraph(rng: random.Random) -> str:
    return (f"Each input contributes $x_i^2$ to the energy, and the model predicts "
            f"${_inline_tex(rng)}$ from ${_inline_tex(rng)}$ before the final projection.")


def _inline_tex(rng: random.Random) -> str:
    symbol = rng.choice(["x", "h", "z", "W", r"\theta", r"\alpha", r"\lambda", r"\mu", "q"])
    sub = rng.choice(["i", "t", "k", "j", "0", "1", "n"])
    return rng.choice([
        f"{symbol}_{sub}^2", f"{symbol}_{{{sub}+1}}", rf"\hat{{{symbol}}}_{sub}",
        rf"\lVert {symbol}_{sub} \rVert_2", r"O(n \log n)",
        rf"{symbol} \in \mathbb{{R}}^{{{rng.choice(['d', 'n', 'd_k'])}}}",
        rf"\mathcal{{L}}_{{\text{{{rng.choice(['rec', 'kl', 'adv', 'cls'])}}}}}",
    ])


def _display_math(rng: random.Random) -> str:
    s, n = rng.choice(["x", "h", "z", "y"]), rng.choice(["n", "N", "T", "K"])
    tex = rng.choice([
        rf"\sum_{{i=1}}^{{{n}}} {s}_i",
        rf"\mathcal{{L}} = \frac{{1}}{{{n}}} \sum_{{i=1}}^{{{n}}} "
        rf"\lVert {s}_i - \hat{{{s}}}_i \rVert_2^2",
        r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\left(\frac{Q K^\top}"
        rf"{{\sqrt{{d_{s}}}}}\right) V",
        rf"p_\theta({s}_{{t-1}} \mid {s}_t) = \mathcal{{N}}({s}_{{t-1}}; "
        rf"\mu_\theta({s}_t, t), \sigma_t^2 I)",
        rf"\nabla_\theta J(\theta) = \mathbb{{E}} \left[ \sum_{{t=0}}^{{{n}}} "
        rf"\nabla_\theta \log \pi_\theta(a_t \mid s_t) R_t \right]",
    ])
    return f"$$\n{tex}\n$$"


def _code_block(rng: random.Random, method: str) -> str:
    name, steps = method.lower(), rng.randint(2, 8)
    scale = rng.choice(["0.1", "0.5", "1e-3", "2.0"])
    lines = [
        "```python",
        "import torch",
        "",
        "",
        f"def {name}_block(x: torch.Tensor, scale: float = {scale}) -> torch.Tensor:",
        f'    """One {rng.choice(vocab.ADJECTIVES)} {rng.choice(vocab.NOUNS)} step."""',
        "    h = torch.nn.functional.layer_norm(x, x.shape[-1:])",
        f"    for _ in range({steps}):",
        "        h = h + scale * torch.tanh(h @ h.transpose(-1, -2) @ h)",
        "    return h",
        "```",
    ]
    return "\n".join(lines)


def _table(rng: random.Random, method: str, language: str = "en") -> str:
    dataset, metric = rng.choice(vocab.DATASETS), rng.choice(vocab.METRICS)
    first, last = blocks.table_headings(language)
    rows = [f"| {first} | {dataset} {metric} | {last} |", "|---|---:|---:|"]
    base = rng.uniform(40, 80)
    for name in ["Baseline", "Prior work", "Larger baseline", method][-rng.randint(2, 4):]:
        base += rng.uniform(0.2, 3)
        rows.append(f"| {name} | {base:.1f} | {rng.randint(10, 900)} |")
    return "\n".join(rows)


def _links_paragraph(rng: random.Random, method: str, arxiv: str, repo: str) -> str:
    dataset = rng.choice(vocab.DATASETS)
    return (f"The paper is [arXiv:{arxiv}](https://arxiv.org/abs/{arxiv}), the code is in "
            f"[{method} on GitHub]({repo}), and the [{dataset} leaderboard]"
            f"(https://paperswithcode.com/dataset/{slugify(dataset)}) has newer numbers.")


# --- writers, one per tool -------------------------------------------------------------------


def write_site(notes: list[SyntheticNote], out: Path, fmt: str) -> None:
    """Write a complete site in ``fmt``'s layout, replacing any notes written there before."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / "content", ignore_errors=True)
    {"digestif": _write_digestif, "hugo": _write_hugo, "pelican": _write_pelican}[fmt](notes, out)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def _yaml_str(value: str) -> str:
    """A YAML double-quoted scalar; JSON strings are valid YAML."""
    return json.dumps(value, ensure_ascii=False)


def _yaml_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_yaml_str(v) for v in values) + "]"


def _write_digestif(notes: list[SyntheticNote], out: Path) -> None:
    _write(out / "site.toml", f'title = "{SITE_TITLE}"\nbase_url = "{BASE_URL}"\n')
    for note in notes:
        links = "".join(f"\n  {label}: {_yaml_str(url)}" for label, url in note.links)
        _write(out / "content" / "papers" / f"{note.slug}.md", "\n".join([
            "---",
            f"title: {_yaml_str(note.title)}",
            f"date: {note.date}",
            f"venue: {_yaml_str(note.venue)}",
            f"authors: {_yaml_list(note.authors)}",
            f"arxiv: {_yaml_str(note.arxiv)}",
            f"task: {_yaml_str(note.task)}",
            f"categories: {_yaml_list(note.categories)}",
            f"tags: {_yaml_list(note.tags)}",
            f"links:{links}",
            f"summary: {_yaml_str(note.summary)}",
            "---",
            "",
            note.body,
        ]))


def _write_hugo(notes: list[SyntheticNote], out: Path) -> None:
    _copy_theme(THEMES / "hugo" / "hugo.toml", out / "hugo.toml")
    _copy_theme(THEMES / "hugo" / "layouts", out / "layouts")
    # A feed per category, as digestif and Pelican write; tags and the category list get none.
    _write(out / "content" / "categories" / "_index.md", "\n".join([
        "---", 'title: "Categories"', "cascade:", "  - target:", "      kind: term",
        '    outputs: ["html", "atom"]', "---", ""]))
    for note in notes:
        links = "".join(f"\n    {label}: {_yaml_str(url)}" for label, url in note.links)
        _write(out / "content" / "posts" / f"{note.slug}.md", "\n".join([
            "---",
            f"title: {_yaml_str(note.title)}",
            f"date: {note.date}",
            f"slug: {_yaml_str(note.slug)}",
            f"categories: {_yaml_list(note.categories)}",
            f"tags: {_yaml_list(note.tags)}",
            f"summary: {_yaml_str(note.summary)}",
            "params:",
            f"  venue: {_yaml_str(note.venue)}",
            f"  authors: {_yaml_list(note.authors)}",
            f"  arxiv: {_yaml_str(note.arxiv)}",
            f"  task: {_yaml_str(note.task)}",
            f"  links:{links}",
            "---",
            "",
            note.body,
        ]))


def _write_pelican(notes: list[SyntheticNote], out: Path) -> None:
    _copy_theme(THEMES / "pelican" / "pelicanconf.py", out / "pelicanconf.py")
    _copy_theme(THEMES / "pelican" / "templates", out / "theme" / "templates")
    for note in notes:
        links = [f"{label.title()}_link: {url}" for label, url in note.links]
        _write(out / "content" / f"{note.slug}.md", "\n".join([
            f"Title: {note.title}",
            f"Date: {note.date}",
            # Pelican allows one category per article; the note's first one is its category.
            f"Category: {note.categories[0]}",
            f"Tags: {', '.join(note.tags)}",
            f"Slug: {note.slug}",
            f"Summary: {note.summary}",
            f"Venue: {note.venue}",
            f"Paper_authors: {'; '.join(note.authors)}",
            f"Arxiv: {note.arxiv}",
            f"Task: {note.task}",
            *links,
            "",
            note.body,
        ]))


def _copy_theme(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)
    else:
        shutil.copyfile(source, target)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, required=True, help="number of notes")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same bytes")
    parser.add_argument("--out", type=Path, required=True, help="site folder to write")
    parser.add_argument("--format", choices=FORMATS, default="digestif",
                        help="whose layout and front matter to write (default: digestif)")
    args = parser.parse_args(argv)
    write_site(make_notes(args.n, args.seed), args.out, args.format)
    print(f"wrote {args.n} {args.format} notes to {args.out}")


if __name__ == "__main__":
    main()
