"""Synthetic question banks for the benchmark, in qbank's YAML and in text2qti's format.

Why synthetic: the benchmark needs thousands of questions whose keys are *right*, so that a
cold `qbank check` does the full sympy work and reports nothing; and it needs the same
questions in text2qti's plain-text format so that both tools are timed on equal content.

The mix follows the seed quiz (bank/quiz2-differentiation.yaml):

- chain rule through tanh / sigmoid, symbolic choices compared with `diff(y, t)`;
- the derivative of tanh / sigmoid at a given value;
- numerical gradients of a squared-error cost with `given` values (choices or `numerical`);
- multiple-answer claims such as `diff(C, w1) > 0`;
- one entry of a linear layer's derivative, and the shape of `jacobian(z, W)`;
- a few `manual` statement questions, as in the seed.

Every key is computed here with exact fractions (never floats), and every distractor is
kept only if it differs from the key and from the other options, so the generated bank is
correct by construction; `bench/run.py` still runs `qbank check` on it and stops if it
reports anything. Question *i* depends only on (seed, i, variant), not on N: the first
1,000 questions of every bank size are the same, and `variant=1` gives the edited version
of a question used for the warm re-check.

Usage: python bench/generate.py N OUTDIR [--seed S] [--per-file K]
writes OUTDIR/bank/synthetic-NNN.yaml and OUTDIR/text2qti/synthetic-NNN.txt.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Callable, Sequence

# --- a format-neutral question ----------------------------------------------------------


@dataclass
class GChoice:
    text: str
    correct: bool
    value: str | None = None
    claim: str | None = None
    feedback: str | None = None


@dataclass
class GQuestion:
    id: str
    type: str
    title: str
    tags: list[str]
    text: str
    solution: str
    check: dict[str, object]  # ordered: symbols, functions, define, given, quantity | manual
    choices: list[GChoice] = field(default_factory=list)
    answer: str | None = None  # numerical, as exact decimal text
    tolerance: str | None = None


# --- exact numbers -------------------------------------------------------------------------


def dec(x: Fraction | int) -> str:
    """An exact, minimal decimal for a fraction whose denominator is 2^a 5^b."""
    x = Fraction(x)
    d = x.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d != 1:
        raise ValueError(f"{x} has no finite decimal expansion")
    with localcontext() as ctx:
        ctx.prec = 60
        text = format((Decimal(x.numerator) / Decimal(x.denominator)).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def nonzero(rng: random.Random, lo: int, hi: int) -> int:
    return rng.choice([v for v in range(lo, hi + 1) if v != 0])


def distinct(correct: object, candidates: Sequence[object], k: int, rng: random.Random) -> list[object]:
    """k candidates that differ from the key and from each other (order randomised)."""
    seen = {correct}
    pool = []
    for c in candidates:
        if c not in seen:
            seen.add(c)
            pool.append(c)
    if len(pool) < k:
        raise ValueError(f"only {len(pool)} distinct distractors for {correct!r}")
    return rng.sample(pool, k)


# --- polynomial formatting (check syntax and LaTeX) ----------------------------------------


def poly_check(terms: dict[int, int], var: str = "t") -> str:
    """{power: coef} → `4*t - 6` (the check language is sympy-like Python syntax)."""
    out = ""
    for power in sorted(terms, reverse=True):
        c = terms[power]
        if c == 0:
            continue
        mag = abs(c)
        body = str(mag) if power == 0 else (f"{mag}*{var}" if power == 1 else f"{mag}*{var}**{power}")
        out += (" - " if c < 0 else " + ") + body if out else ("-" if c < 0 else "") + body
    return out or "0"


def poly_tex(terms: dict[int, int], var: str = "t") -> str:
    out = ""
    for power in sorted(terms, reverse=True):
        c = terms[power]
        if c == 0:
            continue
        mag = abs(c)
        if power == 0:
            body = str(mag)
        else:
            coef = "" if mag == 1 else str(mag)
            body = f"{coef}{var}" if power == 1 else f"{coef}{var}^{power}"
        out += (" - " if c < 0 else " + ") + body if out else ("-" if c < 0 else "") + body
    return out or "0"


def lin_tex(coefs: Sequence[tuple[int, str]]) -> str:
    """[(2, 'x_1'), (-3, 'x_2')] → `2x_1 - 3x_2`."""
    out = ""
    for c, name in coefs:
        mag = "" if abs(c) == 1 else str(abs(c))
        body = f"{mag}{name}"
        out += (" - " if c < 0 else " + ") + body if out else ("-" if c < 0 else "") + body
    return out


def lin_check(coefs: Sequence[tuple[int, str]]) -> str:
    out = ""
    for c, name in coefs:
        body = name if abs(c) == 1 else f"{abs(c)}*{name}"
        out += (" - " if c < 0 else " + ") + body if out else ("-" if c < 0 else "") + body
    return out


# --- the question kinds ----------------------------------------------------------------------

OUTER = {
    # name: (check derivative in y, LaTeX derivative in y, LaTeX definition)
    "tanh": ("1 - y**2", "1 - y^2", r"\tanh(z)"),
    "sigmoid": ("y*(1 - y)", "y(1 - y)", r"\sigma(z) = \frac{1}{1 + e^{-z}}"),
}


def chain_rule(i: int, rng: random.Random) -> GQuestion:
    outer = rng.choice(["tanh", "sigmoid"])
    wrong_outer = "sigmoid" if outer == "tanh" else "tanh"
    a, b = nonzero(rng, -5, 5), nonzero(rng, -5, 5)
    p, c = rng.choice([2, 3]), rng.randint(2, 5)
    # z = a*x1 + b*x2, x1 = t^p, x2 = c*t  ⇒  dz/dt = a*p*t^(p-1) + b*c
    key = (outer, ((p - 1, a * p), (0, b * c)))
    candidates = [
        (wrong_outer, ((p - 1, a * p), (0, b * c))),  # the other activation's derivative
        (outer, ((0, a * p + b * c),)),  # treated x1 as linear in t
        (outer, ((p - 1, a * p), (0, b))),  # forgot dx2/dt = c
        (outer, ((p - 1, a * p), (0, -b * c))),  # sign slip on the x2 term
        (outer, ((p - 1, a), (0, b * c))),  # forgot the power rule's factor p
    ]
    candidates = [cand for cand in candidates if any(coef for _, coef in cand[1])]
    options = [key] + distinct(key, candidates, 3, rng)
    rng.shuffle(options)

    def render(option: tuple[str, tuple[tuple[int, int], ...]]) -> tuple[str, str]:
        name, terms = option
        d_check, d_tex, _ = OUTER[name]
        terms_d = dict(terms)
        return f"$({d_tex})({poly_tex(terms_d)})$", f"({d_check})*({poly_check(terms_d)})"

    choices = []
    for option in options:
        text, value = render(option)
        fb = None
        if option != key:
            fb = "Differentiate the outer function, then every path from $z$ to $t$."
        choices.append(GChoice(text, option == key, value=value, feedback=fb))
    z_tex = lin_tex([(a, "x_1"), (b, "x_2")])
    x1_tex = f"t^{p}"
    d_tex = OUTER[outer][1]
    inner_tex = poly_tex(dict(key[1]))
    y_def = OUTER[outer][2]
    return GQuestion(
        id=f"chain-{i:06d}",
        type="multiple_choice",
        title=f"Chain rule through {outer} ({i})",
        tags=["chain-rule", outer],
        text=(
            f"**Exercise {i}.** Suppose $y = {y_def}$, where\n"
            f"$z = {z_tex}$, $x_1 = {x1_tex}$, $x_2 = {c}t$.\n"
            f"Use the chain rule to determine which of the following is $\\frac{{dy}}{{dt}}$.\n"
        ),
        solution=(
            f"With $\\frac{{dy}}{{dz}} = {d_tex}$ and\n\n"
            f"$$\\frac{{dz}}{{dt}} = \\frac{{\\partial z}}{{\\partial x_1}}\\frac{{dx_1}}{{dt}}"
            f" + \\frac{{\\partial z}}{{\\partial x_2}}\\frac{{dx_2}}{{dt}} = {inner_tex},$$\n\n"
            f"$\\frac{{dy}}{{dt}} = ({d_tex})({inner_tex})$.\n"
        ),
        check={
            "symbols": ["t"],
            "define": {
                "x1": f"t**{p}",
                "x2": f"{c}*t",
                "z": lin_check([(a, "x1"), (b, "x2")]),
                "y": f"{outer}(z)",
            },
            "quantity": "diff(y, t)",
        },
        choices=choices,
    )


def activation_value(i: int, rng: random.Random) -> GQuestion:
    outer = rng.choice(["tanh", "sigmoid"])
    if outer == "sigmoid":
        v = Fraction(rng.randint(1, 9), 10)
        key = v * (1 - v)
        cands = [-key, v, 1 - v, v * v, 2 * key, 1 - key, 1 - v * v]
        sym, d_tex = r"\sigma", r"\sigma(z)\bigl(1 - \sigma(z)\bigr)"
    else:
        v = Fraction(nonzero(rng, -9, 9), 10)
        key = 1 - v * v
        cands = [v * v, 1 - v, -key, 2 * v, 1 - 2 * v, v * (1 - v)]
        sym, d_tex = r"\tanh", r"1 - \tanh^2(z)"
    options = [key] + distinct(key, cands, 3, rng)
    rng.shuffle(options)
    choices = [GChoice(f"{dec(o)}", o == key, value=dec(o)) for o in options]
    return GQuestion(
        id=f"act-{i:06d}",
        type="multiple_choice",
        title=f"Derivative of {outer} at a value ({i})",
        tags=[outer],
        text=f"**Exercise {i}.** Let ${sym}(z) = {dec(v)}$. What is the derivative ${sym}'(z)$?\n",
        solution=f"$${sym}'(z) = {d_tex} = {dec(key)}$$\n",
        check={"symbols": ["z"], "given": {f"{outer}(z)": dec(v)}, "quantity": f"diff({outer}(z), z)"},
        choices=choices,
    )


def _cost_setup(rng: random.Random) -> dict[str, object]:
    s = Fraction(rng.randint(1, 9), 10)
    y = rng.choice([0, 1])
    x1, x2 = nonzero(rng, -3, 3), nonzero(rng, -3, 3)
    sign2 = rng.choice([1, -1])  # z = w1*x1 ± w2*x2 + b
    common = 2 * (s - y) * s * (1 - s)
    return {
        "s": s, "y": y, "x1": x1, "x2": x2, "sign2": sign2,
        "g1": common * x1, "g2": common * sign2 * x2,
        "z_check": "w1*x1 " + ("+" if sign2 > 0 else "-") + " w2*x2 + b",
        "z_tex": "w_1x_1 " + ("+" if sign2 > 0 else "-") + " w_2x_2 + b",
    }


def _cost_check(st: dict[str, object]) -> dict[str, object]:
    return {
        "symbols": ["w1", "w2", "b", "x1", "x2", "y"],
        "define": {"z": st["z_check"], "C": "(sigmoid(z) - y)**2"},
        "given": {"sigmoid(z)": dec(st["s"]), "y": str(st["y"]), "x1": str(st["x1"]), "x2": str(st["x2"])},
    }


def _cost_text(i: int, st: dict[str, object], ask: str) -> str:
    return (
        f"**Exercise {i}.** Let $C = (\\sigma(z) - y)^2$, $\\sigma(z) = \\frac{{1}}{{1 + e^{{-z}}}}$, "
        f"$z = {st['z_tex']}$.\n"
        f"During training you have $\\sigma(z) = {dec(st['s'])}$, $y = {st['y']}$, "
        f"$x_1 = {st['x1']}$, $x_2 = {st['x2']}$.\n{ask}\n"
    )


def cost_gradient(i: int, rng: random.Random) -> GQuestion:
    st = _cost_setup(rng)
    w = rng.choice([1, 2])
    key: Fraction = st["g1"] if w == 1 else st["g2"]  # type: ignore[assignment]
    other: Fraction = st["g2"] if w == 1 else st["g1"]  # type: ignore[assignment]
    s, y = st["s"], st["y"]
    dz = st["x1"] if w == 1 else st["sign2"] * st["x2"]  # type: ignore[operator]
    solution = (
        f"$$\\frac{{\\partial C}}{{\\partial w_{w}}} = 2(\\sigma(z) - y)\\,\\sigma(z)(1 - \\sigma(z))"
        f"\\,\\frac{{\\partial z}}{{\\partial w_{w}}} = {dec(key)}$$\n"
    )
    check = _cost_check(st) | {"quantity": f"diff(C, w{w})"}
    ask = f"What is the gradient $\\frac{{\\partial C}}{{\\partial w_{w}}}$?"
    if rng.random() < 0.4:
        return GQuestion(
            id=f"grad-{i:06d}", type="numerical", title=f"Gradient of a squared-error cost ({i})",
            tags=["chain-rule", "sigmoid", "gradient"], text=_cost_text(i, st, ask + " Give three decimals."),
            solution=solution, check=check, answer=dec(key), tolerance="0.0005",
        )
    cands = [
        2 * (s - y) * dz,  # forgot σ'
        s * (1 - s) * dz,  # forgot 2(σ - y)
        other,  # the other weight
        -key,  # sign slip
        2 * (s - y) * s * (1 - s),  # forgot ∂z/∂w
        key * 2,
    ]
    options = [key] + distinct(key, cands, 3, rng)
    rng.shuffle(options)
    choices = [GChoice(dec(o), o == key, value=dec(o)) for o in options]
    return GQuestion(
        id=f"grad-{i:06d}", type="multiple_choice", title=f"Gradient of a squared-error cost ({i})",
        tags=["chain-rule", "sigmoid", "gradient"], text=_cost_text(i, st, ask), solution=solution,
        check=check, choices=choices,
    )


def update_direction(i: int, rng: random.Random) -> GQuestion:
    st = _cost_setup(rng)
    g = {1: st["g1"], 2: st["g2"]}
    choices = []
    for w in (1, 2):
        choices.append(GChoice(f"$w_{w}$ should be increased", g[w] < 0, claim=f"diff(C, w{w}) < 0"))  # type: ignore[operator]
        choices.append(GChoice(f"$w_{w}$ should be decreased", g[w] > 0, claim=f"diff(C, w{w}) > 0"))  # type: ignore[operator]
    roll = rng.random()
    if roll < 0.3:
        big = abs(g[1]) > abs(g[2])  # type: ignore[arg-type]
        choices.append(GChoice(
            r"$\left|\frac{\partial C}{\partial w_1}\right| > \left|\frac{\partial C}{\partial w_2}\right|$",
            big, claim="abs(diff(C, w1)) > abs(diff(C, w2))"))
    elif roll < 0.6:
        w = rng.choice([1, 2])
        stated = g[w] if rng.random() < 0.5 else g[w] * 2  # type: ignore[operator]
        choices.append(GChoice(
            f"$\\frac{{\\partial C}}{{\\partial w_{w}}} = {dec(stated)}$", stated == g[w],
            claim=f"diff(C, w{w}) == {dec(stated)}"))
    rng.shuffle(choices)
    return GQuestion(
        id=f"dir-{i:06d}", type="multiple_answers", title=f"Direction of the weight updates ({i})",
        tags=["gradient-descent", "sigmoid"],
        text=_cost_text(i, st, "We minimise $C$ by gradient descent on $w_1$ and $w_2$. Which of the following are correct?"),
        solution=(
            f"$\\frac{{\\partial C}}{{\\partial w_1}} = {dec(g[1])}$ and "
            f"$\\frac{{\\partial C}}{{\\partial w_2}} = {dec(g[2])}$; gradient descent moves each weight against its gradient:\n\n"
            "$$w \\leftarrow w - \\alpha\\,\\frac{\\partial C}{\\partial w}, \\qquad \\alpha > 0.$$\n"
        ),
        check=_cost_check(st), choices=choices,
    )


def _layer(rng: random.Random) -> tuple[int, int]:
    m = rng.randint(2, 4)
    n = rng.choice([k for k in range(3, 9) if k != m])
    return m, n


def _layer_text(i: int, m: int, n: int) -> str:
    return (
        f"**Exercise {i}.** $l = (y - z)^T (y - z)$, where $z = Wx + b$, $x \\in \\mathbb{{R}}^{{{n}}}$,\n"
        f"$W \\in \\mathbb{{R}}^{{{m} \\times {n}}}$, $z, y, b \\in \\mathbb{{R}}^{{{m}}}$.\n"
    )


def _layer_check(m: int, n: int, quantity: str) -> dict[str, object]:
    return {"symbols": [f"W[{m},{n}]", f"x[{n}]", f"b[{m}]"], "define": {"z": "W*x + b"}, "quantity": quantity}


def layer_entry(i: int, rng: random.Random) -> GQuestion:
    m, n = _layer(rng)
    r = rng.randint(1, m)
    j = r if rng.random() < 0.5 else rng.randint(1, m)
    k = rng.randint(1, n)
    k2 = rng.choice([v for v in range(1, n + 1) if v != k])
    key = f"x[{k}]" if r == j else "0"
    options = [("$0$", "0"), (f"$x_{{{k}}}$", f"x[{k}]"), (f"$x_{{{k2}}}$", f"x[{k2}]"), ("$x$", "x")]
    rng.shuffle(options)
    choices = [GChoice(t, v == key, value=v) for t, v in options]
    return GQuestion(
        id=f"entry-{i:06d}", type="multiple_choice", title=f"One entry of a linear layer's derivative ({i})",
        tags=["linear-layer", "partial-derivatives"],
        text=_layer_text(i, m, n) + f"\nWhat is $\\frac{{\\partial z_{{{r}}}}}{{\\partial W_{{{j},{k}}}}}$?\n",
        solution=(
            f"$z_{{{r}}} = \\sum_k W_{{{r},k}}x_k + b_{{{r}}}$, so the derivative is "
            + (f"$x_{{{k}}}$." if r == j else f"$0$: $W_{{{j},{k}}}$ does not appear in $z_{{{r}}}$.")
            + "\n"
        ),
        check=_layer_check(m, n, f"diff(z[{r}], W[{j},{k}])"),
        choices=choices,
    )


def jacobian_shape(i: int, rng: random.Random) -> GQuestion:
    m, n = _layer(rng)
    key = (m, m, n)
    cands = [(m, n), (m, m), (n, m, m), (m, n, n), (m, m, m), (n, n)]
    options = [key] + distinct(key, cands, 3, rng)
    rng.shuffle(options)
    fmt = lambda shape: "(" + ", ".join(map(str, shape)) + ")"  # noqa: E731
    choices = [GChoice(fmt(o), o == key, value=fmt(o)) for o in options]
    return GQuestion(
        id=f"jac-{i:06d}", type="multiple_choice", title=f"Shape of the Jacobian of a linear layer ({i})",
        tags=["linear-layer", "jacobian"],
        text=_layer_text(i, m, n) + "\nWhat is the shape of the Jacobian $\\frac{\\partial z}{\\partial W}$?\n",
        solution=(
            f"One axis for the {m} entries of $z$ and two for the ${m} \\times {n}$ entries of $W$: "
            f"$({m}, {m}, {n})$.\n"
        ),
        check=_layer_check(m, n, "shape(jacobian(z, W))"),
        choices=choices,
    )


STATEMENTS = [
    ("Backpropagation tunes the parameters of a network and returns the best values.", False),
    ("Backpropagation computes gradients with the chain rule.", True),
    ("A forward pass computes the loss before the backward pass computes the gradients.", True),
    ("Backpropagation computes $\\partial C/\\partial w$ for every weight $w$.", True),
    ("Backpropagation needs the loss to be convex.", False),
    ("The gradient of the loss is computed from the output layer towards the input.", True),
]


def statements(i: int, rng: random.Random) -> GQuestion:
    picked = rng.sample(STATEMENTS, 4)
    if not any(ok for _, ok in picked):
        picked[0] = STATEMENTS[1]
    return GQuestion(
        id=f"stmt-{i:06d}", type="multiple_answers", title=f"What backpropagation does ({i})",
        tags=["backpropagation"],
        text=f"**Exercise {i}.** Which of the statements about backpropagation are correct?\n",
        solution="Backpropagation computes gradients by the chain rule; an optimiser uses them.\n",
        check={"manual": "The statements are about what the algorithm is for, not a quantity sympy can compute."},
        choices=[GChoice(t, ok) for t, ok in picked],
    )


KINDS: list[tuple[Callable[[int, random.Random], GQuestion], int]] = [
    (chain_rule, 25),
    (activation_value, 10),
    (cost_gradient, 25),
    (update_direction, 15),
    (layer_entry, 10),
    (jacobian_shape, 10),
    (statements, 5),
]


def question(i: int, seed: int = 0, variant: int = 0) -> GQuestion:
    """Question number i (1-based). Its kind depends on (seed, i) only, so `variant` edits
    the numbers of a question but keeps its id and kind: that is the benchmark's "one edit"."""
    kind_rng = random.Random(f"{seed}:{i}:kind")
    kinds, weights = zip(*KINDS)
    make = kind_rng.choices(kinds, weights)[0]
    return make(i, random.Random(f"{seed}:{i}:{variant}"))


# --- qbank YAML ------------------------------------------------------------------------------


def _q(s: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s, ensure_ascii=False)


def _block(s: str, indent: str) -> str:
    lines = s.rstrip("\n").split("\n")
    return "|\n" + "\n".join(indent + line if line else "" for line in lines)


_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _scalar(s: str) -> str:
    return s if _PLAIN_NUMBER.match(s) else _q(s)


def to_yaml(q: GQuestion) -> str:
    out = [
        f"  - id: {q.id}",
        f"    type: {q.type}",
        f"    title: {_q(q.title)}",
        f"    tags: [{', '.join(q.tags)}]",
        f"    text: {_block(q.text, '      ')}",
    ]
    if q.choices:
        out.append("    choices:")
        for c in q.choices:
            out.append(f"      - text: {_q(c.text)}")
            out.append(f"        correct: {'true' if c.correct else 'false'}")
            if c.value is not None:
                out.append(f"        value: {_scalar(c.value)}")
            if c.claim is not None:
                out.append(f"        claim: {_q(c.claim)}")
            if c.feedback is not None:
                out.append(f"        feedback: {_q(c.feedback)}")
    if q.answer is not None:
        out.append(f"    answer: {q.answer}")
        out.append(f"    tolerance: {q.tolerance}")
    out.append(f"    solution: {_block(q.solution, '      ')}")
    out.append("    check:")
    for key, value in q.check.items():
        if isinstance(value, list):
            out.append(f"      {key}: [{', '.join(_q(v) for v in value)}]")
        elif isinstance(value, dict):
            out.append(f"      {key}:")
            for name, expr in value.items():
                out.append(f"        {_q(name)}: {_scalar(str(expr))}")
        else:
            out.append(f"      {key}: {_q(str(value))}")
    return "\n".join(out) + "\n"


def bank_header(number: int) -> str:
    return (
        f"# Synthetic benchmark bank {number} (bench/generate.py); every key is correct.\n"
        f"title: \"Synthetic differentiation {number}\"\n"
        f"category: [Benchmark, \"Synthetic {number}\"]\n"
        "questions:\n"
    )


# --- text2qti ------------------------------------------------------------------------------

_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)


def _inline_math(md: str) -> str:
    """text2qti has inline math only: `$$…$$` becomes `$…$` on one line."""
    return _DISPLAY.sub(lambda m: "$" + " ".join(m.group(1).split()) + "$", md)


def _t2q_item(prefix: str, text: str) -> str:
    """A text2qti item: later lines are indented to where the first line's text starts;
    paragraphs stay separated by empty lines (text2qti allows several per item)."""
    lines = _inline_math(text).strip("\n").split("\n")
    pad = " " * len(prefix)
    return "\n".join([prefix + lines[0]] + [pad + line if line.strip() else "" for line in lines[1:]])


def to_text2qti(q: GQuestion, number: int) -> str:
    out = [f"Title: {q.title}", "Points: 1", _t2q_item(f"{number}.  ", q.text), _t2q_item("... ", q.solution)]
    if q.type == "numerical":
        out.append(f"=   {q.answer} +- {q.tolerance}")
    for n, c in enumerate(q.choices):
        if q.type == "multiple_answers":
            prefix = "[*] " if c.correct else "[ ] "
        else:
            letter = chr(ord("a") + n)
            prefix = f"*{letter}) " if c.correct else f"{letter})  "
        out.append(_t2q_item(prefix, c.text))
        if c.feedback:
            out.append(_t2q_item("... ", c.feedback))
    return "\n".join(out) + "\n"


# --- files -----------------------------------------------------------------------------------


def file_ranges(n: int, per_file: int) -> list[tuple[int, int]]:
    """1-based inclusive question ranges, one per bank file."""
    return [(start, min(start + per_file - 1, n)) for start in range(1, n + 1, per_file)]


def bank_file_name(number: int) -> str:
    return f"synthetic-{number:03d}"


def generate(n: int, out: Path, *, seed: int = 0, per_file: int = 100, text2qti: bool = True) -> list[Path]:
    """Write the bank (and its text2qti twin); returns the YAML files written."""
    bank_dir = out / "bank"
    bank_dir.mkdir(parents=True, exist_ok=True)
    t2q_dir = out / "text2qti"
    if text2qti:
        t2q_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for number, (first, last) in enumerate(file_ranges(n, per_file), start=1):
        qs = [question(i, seed) for i in range(first, last + 1)]
        path = bank_dir / f"{bank_file_name(number)}.yaml"
        path.write_text(bank_header(number) + "\n".join(to_yaml(q) for q in qs), encoding="utf-8")
        written.append(path)
        if text2qti:
            body = f"Quiz title: Synthetic differentiation {number}\n\n" + "\n".join(
                to_text2qti(q, k) for k, q in enumerate(qs, start=1)
            )
            (t2q_dir / f"{bank_file_name(number)}.txt").write_text(body, encoding="utf-8")
    return written


def edit_question(bank_dir: Path, i: int, *, seed: int = 0, per_file: int = 100, variant: int = 1) -> Path:
    """Edit question i the way most pull requests do: reword it, improve its solution.

    Its key and check stay the same (so its released identity in qbank.lock does too), but
    its content changed, so it must be checked again; and it grows by two lines, so every
    question below it in its file moves: the warm re-check must find those in the cache
    *and* report anything about them at their new lines.
    """
    number = (i - 1) // per_file + 1
    path = bank_dir / f"{bank_file_name(number)}.yaml"
    text = path.read_text(encoding="utf-8")
    q = question(i, seed, 0)
    start = text.index(f"  - id: {q.id}\n")
    nxt = text.find("\n  - id: ", start)  # the blank line that separates two questions
    end = len(text) if nxt < 0 else nxt
    q.text = q.text.rstrip("\n") + f"\n(Reworded in revision {variant}: give the exact value.)\n"
    q.solution = q.solution.rstrip("\n") + f"\n\nRevision {variant}: mind the signs of the inner derivatives.\n"
    text = text[:start] + to_yaml(q) + text[end:]
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("n", type=int, help="number of questions")
    p.add_argument("out", type=Path, help="output folder (gets bank/ and text2qti/)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--per-file", type=int, default=100, help="questions per bank file (default 100)")
    p.add_argument("--no-text2qti", action="store_true", help="skip the text2qti twin")
    args = p.parse_args(argv)
    files = generate(args.n, args.out, seed=args.seed, per_file=args.per_file, text2qti=not args.no_text2qti)
    print(f"wrote {args.n} questions in {len(files)} file(s) under {args.out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
