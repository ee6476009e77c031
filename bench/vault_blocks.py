"""The parts of a real paper-note vault that plain English prose does not exercise: mermaid
diagrams, math-heavy derivations, and Chinese or Korean prose and titles.

Each function draws only from the ``rng`` it is given, so a note stays the same whatever the
size of the corpus it is in (see generate.py).
"""

from __future__ import annotations

import random

import vocabulary as vocab
import vocabulary_cjk as cjk

# --- mermaid ---------------------------------------------------------------------------------


def mermaid_block(rng: random.Random, language: str) -> str:
    """A ```mermaid flowchart of a method's pipeline, 4-8 nodes, labels in the note's
    language. Hugo and Pelican show it as a code block, which is what it is to them."""
    nouns = _words(language, "nouns", vocab.NOUNS)
    count = rng.randint(4, 8)
    labels = rng.sample(nouns, min(count, len(nouns)))
    lines = ["```mermaid", f"flowchart {rng.choice(['LR', 'TD'])}"]
    for i, label in enumerate(labels):
        shape = ("[", "]") if i % 3 else ("{", "}")
        lines.append(f"    N{i}{shape[0]}{label}{shape[1]}")
    for i in range(1, len(labels)):
        source = rng.randrange(i)
        edge = rng.choice(["-->", "-.->", "==>"])
        lines.append(f"    N{source} {edge} N{i}")
    lines.append("```")
    return "\n".join(lines)


# --- math ------------------------------------------------------------------------------------


def heavy_math_blocks(rng: random.Random) -> list[str]:
    """6-14 display equations of the kinds derivations use (aligned, cases, matrices,
    integrals, argmax), each its own ``$$`` paragraph, with a dense inline-math sentence
    between them."""
    blocks = []
    for _ in range(rng.randint(6, 14)):
        blocks.append(f"$$\n{rng.choice(_DISPLAY)(rng)}\n$$")
        blocks.append(_dense_inline(rng))
    return blocks


def _sym(rng: random.Random) -> str:
    return rng.choice(["x", "h", "z", "y", "u", "v"])


def _aligned(rng: random.Random) -> str:
    s = _sym(rng)
    return "\n".join([
        r"\begin{aligned}",
        rf"\log p_\theta({s}) &= \log \int p_\theta({s}, z) \, dz \\",
        rf"&\geq \mathbb{{E}}_{{q_\phi(z \mid {s})}}\left[\log p_\theta({s} \mid z)\right]"
        rf" - D_{{\mathrm{{KL}}}}\left(q_\phi(z \mid {s}) \,\|\, p(z)\right) \\",
        rf"&= \mathcal{{L}}_{{\text{{ELBO}}}}(\theta, \phi; {s})",
        r"\end{aligned}",
    ])


def _cases(rng: random.Random) -> str:
    a = rng.choice([r"\alpha", r"\beta", r"\lambda"])
    return (rf"f(x) = \begin{{cases}} x & \text{{if }} x > 0 \\ {a} \left(e^{{x}} - 1\right)"
            rf" & \text{{otherwise}} \end{{cases}}")


def _matrix(rng: random.Random) -> str:
    s = _sym(rng)
    return (rf"\mathbf{{W}}_{s} = \begin{{pmatrix}} w_{{11}} & w_{{12}} & \cdots & w_{{1n}} \\"
            rf" \vdots & \vdots & \ddots & \vdots \\ w_{{m1}} & w_{{m2}} & \cdots & w_{{mn}}"
            rf" \end{{pmatrix}}, \quad \mathbf{{W}}_{s} \in \mathbb{{R}}^{{m \times n}}")


def _integral(rng: random.Random) -> str:
    s = _sym(rng)
    return (rf"\frac{{\partial {s}}}{{\partial t}} = \nabla \cdot \left(D \nabla {s}\right)"
            rf" + \int_{{0}}^{{T}} \kappa(t - \tau) \, {s}(\tau) \, d\tau")


def _softmax(rng: random.Random) -> str:
    tau = rng.choice([r"\tau", "T", r"\sqrt{d_k}"])
    return (rf"p_i = \frac{{\exp\left(z_i / {tau}\right)}}{{\sum_{{j=1}}^{{K}} "
            rf"\exp\left(z_j / {tau}\right)}}, \qquad \hat{{y}} = \arg\max_{{i}} p_i")


def _objective(rng: random.Random) -> str:
    s = _sym(rng)
    return (rf"\theta^\star = \arg\min_{{\theta}} \frac{{1}}{{N}} \sum_{{i=1}}^{{N}}"
            rf" \left\lVert {s}_i - f_\theta\left({s}_{{i-1}}\right) \right\rVert_2^2"
            rf" + \lambda \sum_{{l=1}}^{{L}} \lVert \mathbf{{W}}^{{(l)}} \rVert_F^2")


_DISPLAY = [_aligned, _cases, _matrix, _integral, _softmax, _objective]


def _dense_inline(rng: random.Random) -> str:
    s, t = _sym(rng), rng.choice(["t", "i", "k"])
    return rng.choice([
        rf"Here ${s}_{t} \in \mathbb{{R}}^{{d}}$, $\sigma(\cdot)$ is the sigmoid and "
        rf"$\mathbf{{W}}_q, \mathbf{{W}}_k \in \mathbb{{R}}^{{d \times d_k}}$, so that "
        rf"$\mathbb{{E}}[{s}_{{{t}+1}} \mid {s}_{t}] = \mu_\theta({s}_{t})$.",
        rf"With $\epsilon \sim \mathcal{{N}}(0, I)$ and $\beta_{t} \in (0, 1)$, the update is "
        rf"${s}_{{{t}+1}} = \sqrt{{1 - \beta_{t}}}\, {s}_{t} + \sqrt{{\beta_{t}}}\, \epsilon$, "
        rf"and $\operatorname{{Var}}[{s}_{{{t}+1}}] = \sigma_{t}^2$ stays bounded.",
        rf"The gradient $\nabla_\theta \mathcal{{L}} = \sum_{{{t}}} \frac{{\partial \ell}}"
        rf"{{\partial {s}_{t}}} \frac{{\partial {s}_{t}}}{{\partial \theta}}$ costs "
        rf"$O(T d^2)$, and $\lVert {s}_{t} \rVert_2 \le 1$ keeps it stable.",
    ])


# --- Chinese and Korean ----------------------------------------------------------------------


def cjk_title(rng: random.Random, language: str, method: str) -> str:
    words = cjk.LANGUAGES[language]
    return rng.choice(words["titles"]).format(
        method=method, task=rng.choice(words["tasks"]), adj=rng.choice(words["adjectives"]),
        noun=rng.choice(words["nouns"]))


def cjk_paragraph(rng: random.Random, language: str, method: str, with_math: bool) -> str:
    """3-7 sentences; sometimes an inline formula, as notes quote the paper's notation."""
    sentences = [cjk_sentence(rng, language, method) for _ in range(rng.randint(3, 7))]
    if with_math:
        formula = rng.choice([r"x_i^2", r"\hat{y}_t", r"\mathcal{L}_{\text{kl}}",
                              r"O(n \log n)", r"W \in \mathbb{R}^{d}"])
        sentences.append({"zh": f"其中 ${formula}$ 沿用论文的记号。",
                          "ko": f"여기서 ${formula}$는 논문의 표기를 따른다."}[language])
    return cjk.LANGUAGES[language]["joiner"].join(sentences)


def cjk_sentence(rng: random.Random, language: str, method: str) -> str:
    words = cjk.LANGUAGES[language]
    return rng.choice(words["sentences"]).format(
        adj=rng.choice(words["adjectives"]), noun=rng.choice(words["nouns"]), method=method,
        dataset=rng.choice(vocab.DATASETS), metric=rng.choice(vocab.METRICS))


def cjk_section_title(language: str, title: str) -> str:
    return cjk.LANGUAGES[language]["sections"][title]


def cjk_author(rng: random.Random, language: str) -> str:
    return rng.choice(cjk.LANGUAGES[language]["names"])


def table_headings(language: str) -> tuple[str, str]:
    """The first and last column headings of a results table in the note's language."""
    if language in cjk.LANGUAGES:
        return cjk.LANGUAGES[language]["table"]
    return ("Method", "Params (M)")


def _words(language: str, kind: str, english: list[str]) -> list[str]:
    return cjk.LANGUAGES[language][kind] if language in cjk.LANGUAGES else english


def cjk_chars(text: str) -> int:
    """CJK characters in text: counted as half a word each, since split() sees none."""
    return sum(1 for ch in text if "\u3000" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af")
