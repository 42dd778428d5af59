"""Answer keys recomputed by sympy: the seed, every single-flag mutation of it, numerical
tolerances, distractors equal to the key, undecidable equalities, the time bound, and
hostile expressions that must be refused without running anything."""

from __future__ import annotations

import dataclasses
import re
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sympy as sp

from exporter import keys
from exporter.diagnostics import Collector, Diagnostic
from exporter.expr import Seq
from exporter.keys import CheckSummary, check_question, check_questions, evaluate
from exporter.load import load_banks
from exporter.model import Question

REPO = Path(__file__).resolve().parents[1]
R = sp.Rational


@pytest.fixture(scope="module")
def seed() -> list[Question]:
    banks, found = load_banks([str(REPO / "bank")])
    assert found == []
    # the parametrised question is a template: its variants are checked in test_variants.py
    return [q for q in banks[0].questions if q.parameters is None]


def by_id(questions: list[Question], qid: str) -> Question:
    return next(q for q in questions if q.id == qid)


def load(tmp_path: Path, questions_yaml: str) -> list[Question]:
    f = tmp_path / "t.yaml"
    body = textwrap.indent(textwrap.dedent(questions_yaml), "  ")
    f.write_text("title: T\nquestions:\n" + body, encoding="utf-8")
    banks, found = load_banks([str(f)])
    assert found == [], [str(d) for d in found]
    return list(banks[0].questions)


def run(questions: list[Question], **kw) -> tuple[CheckSummary, list[Diagnostic]]:
    got = Collector()
    summary = check_questions(questions, got, **kw)
    return summary, got.items


# ---------------------------------------------------------------------------- the seed


def test_seed_bank_checks_clean(seed: list[Question]) -> None:
    summary, found = run(seed)
    assert [str(d) for d in found] == []
    assert (summary.checked, summary.manual, summary.failed, summary.total) == (10, 1, 0, 11)


SEED_KEYS = {
    # question id: (expression, what sympy must make of it after the givens)
    "diff-sigmoid-value": ("diff(sigmoid(z), z)", R(6, 25)),
    "diff-cost-grad-w2": ("diff(C, w2)", R(8, 125)),
    "diff-cost-update-direction": ("[diff(C, w1), diff(C, w2)]", Seq((R(16, 125), R(8, 125)))),
    "diff-partials-vector": ("[diff(f, y), diff(f, z), diff(f, x1), diff(f, x2)]", Seq((10, -10, -20, -60))),
    "diff-linear-layer-entry": ("diff(z[2], W[1,2])", 0),
    "diff-jacobian-shape": ("shape(jacobian(z, W))", Seq((3, 3, 8), paren=True)),
    "backprop-chain-gradients": (
        "[diff(z4, w2), diff(z4, z2), diff(L, w1), diff(L, w2), diff(L, w3)]",
        Seq((R(1, 500), R(-3, 1000), R(9, 40000), R(-1, 1000), R(-1, 200))),
    ),
}


@pytest.mark.parametrize("qid", sorted(SEED_KEYS))
def test_seed_keys_are_recomputed(seed: list[Question], qid: str) -> None:
    text, expected = SEED_KEYS[qid]
    assert evaluate(by_id(seed, qid), text) == expected


def test_seed_symbolic_keys(seed: list[Question]) -> None:
    t, y, z = sp.symbols("t y z", real=True)
    q1 = evaluate(by_id(seed, "diff-chain-tanh"), "diff(y, t)")
    assert sp.simplify(q1 - (1 - sp.tanh(2 * t**2 - 6 * t) ** 2) * (4 * t - 6)) == 0
    q5 = evaluate(by_id(seed, "diff-cross-entropy-sigmoid"), "diff(L, z)")
    assert sp.simplify(q5 - (1 / (1 + sp.exp(-z)) - y)) == 0


def test_every_seed_question_checks_clean(seed: list[Question]) -> None:
    """Every machine-checked seed question passes on its own (speed is measured by bench/,
    not asserted here: a timed test only measures how busy the machine is)."""
    for q in seed:
        assert check_question(q) == [], q.id


def flipped(q: Question, i: int) -> Question:
    c = q.choices[i]
    return dataclasses.replace(q, choices=q.choices[:i] + (dataclasses.replace(c, correct=not c.correct),) + q.choices[i + 1 :])


def test_every_single_flag_flip_is_caught(seed: list[Question]) -> None:
    """Flip each `correct:` of each machine-checked seed question, one at a time."""
    mutants, expect = [], []
    for q in seed:
        if q.check.is_manual:
            continue
        for i, c in enumerate(q.choices):
            mutants.append(flipped(q, i))
            expect.append((q.id, i, c))
    assert len(mutants) == 36
    got = Collector()
    check_questions(mutants, got, jobs=0)
    # one finding per mutant, in order, naming the flipped choice at its `correct:` flag
    assert len(got.items) == len(mutants), [str(d) for d in got.items]
    for d, (qid, i, c) in zip(got.items, expect):
        letter = "ABCDEFGH"[i]
        assert d.code in ("K101", "K102"), (qid, str(d))
        assert f"choice {letter} " in d.message, (qid, str(d))
        assert (d.loc.line, d.loc.col) == (c.correct_loc.line, c.correct_loc.col), (qid, str(d))


def test_flip_messages_say_what_is_wrong(seed: list[Question]) -> None:
    q = by_id(seed, "backprop-chain-gradients")
    (d,) = check_question(flipped(q, 0))
    assert d.message == "choice A is keyed correct, but diff(z4, w2) = 1/500 (0.002), not 0.02"
    q = by_id(seed, "diff-cost-grad-w2")
    (d,) = check_question(flipped(q, 1))
    assert d.code == "K102" and d.message == "choice B is keyed incorrect, but it equals the key: diff(C, w2) = 8/125 (0.064)"
    q = by_id(seed, "diff-chain-tanh")
    (d,) = check_question(flipped(q, 0))
    assert "not `-4*y**2`" in d.message and "they differ at t = " in d.message


def seed_scalar_keys(seed: list[Question]) -> list[tuple[Question, str]]:
    """Each quantity, and the left side of each simple claim, of the machine-checked seed."""
    out = []
    for q in seed:
        if q.check.is_manual:
            continue
        if q.check.quantity is not None:
            out.append((q, q.check.quantity))
        for c in q.choices:
            m = re.fullmatch(r"(.+?)\s*(==|<|>)\s*(.+)", c.claim or "")
            if m and " and " not in c.claim and " or " not in c.claim:
                out.append((q, m.group(1)))
    return out


def test_numerical_answers_moved_out_of_tolerance(seed: list[Question]) -> None:
    """Every scalar seed key as a numerical question: exact answer passes, moved answer fails."""
    made = 0
    for q, text in seed_scalar_keys(seed):
        value = evaluate(q, text)
        if not (isinstance(value, sp.Expr) and value.is_Rational):
            continue
        check = dataclasses.replace(q.check, quantity=text)
        base = dataclasses.replace(q, type="numerical", choices=(), answer=float(value), tolerance=0.001, answer_loc=q.loc, check=check)
        assert check_question(base) == [], (q.id, text)
        assert check_question(dataclasses.replace(base, answer=float(value) + 0.0009)) == [], (q.id, text)
        for moved in (float(value) + 0.0011, float(value) - 0.5):
            (d,) = check_question(dataclasses.replace(base, answer=moved))
            assert d.code == "K103" and d.message.startswith(f"answer {moved:g} is not within tolerance 0.001 of {text} = "), str(d)
            assert (d.loc.line, d.loc.col) == (q.loc.line, q.loc.col)
        made += 1
    assert made == 10  # 3 quantities + 4 claims of question 4 and 10 … see seed_scalar_keys


COST_CHECK = """\
    check:
      symbols: [w1, w2, b, x1, x2, y]
      define:
        z: w1*x1 - w2*x2 + b
        C: (sigmoid(z) - y)**2
      given:
        sigmoid(z): 0.8
        y: 1
        x1: -2
        x2: 1
"""
"""Seed question 3's check block (C = (σ(z) − y)², σ(z) = 0.8), shared by the fixtures below."""

NUMERICAL = """\
  - id: n1
    type: numerical
    text: What is dC/dw2?
    answer: {answer}
    tolerance: {tol}
{cost_check}      quantity: diff(C, w2)
"""


def test_numerical_exact_and_tolerance(tmp_path: Path) -> None:
    assert run(load(tmp_path, NUMERICAL.format(answer=0.064, tol=0, cost_check=COST_CHECK)))[1] == []
    summary, found = run(load(tmp_path, NUMERICAL.format(answer=0.07, tol=0.001, cost_check=COST_CHECK)))
    assert summary.failed == 1
    assert [(d.loc.line, d.loc.col, d.code) for d in found] == [(6, 13, "K103")]
    assert found[0].message == "answer 0.07 is not within tolerance 0.001 of diff(C, w2) = 8/125 (0.064)"


def test_numerical_irrational_quantity(tmp_path: Path) -> None:
    body = """\
      - id: n2
        type: numerical
        text: sigma at log 3
        answer: {answer}
        tolerance: 0.0001
        check:
          symbols: [z]
          given:
            z: log(3)
          quantity: diff(sigmoid(z), z) + pi
    """
    # σ'(log 3) = 3/16, so the quantity is 3/16 + π ≈ 3.329093
    assert run(load(tmp_path, body.format(answer=3.32909)))[1] == []
    assert [d.code for d in run(load(tmp_path, body.format(answer=3.3293)))[1]] == ["K103"]


def test_numerical_quantity_must_be_a_number(tmp_path: Path) -> None:
    body = """\
      - id: n3
        type: numerical
        text: x
        answer: 1
        tolerance: 0
        check:
          symbols: [x]
          quantity: diff(x**2, x)
    """
    (d,) = run(load(tmp_path, body))[1]
    assert d.code == "K111" and "depends on x" in d.message


CHOICES = """\
  - id: mc
    type: {type}
    text: dL/dz?
    choices:
      - text: a
        correct: true
        value: yhat - y
      - text: b
        correct: false
        value: {distractor}
    check:
      symbols: [y, z]
      define:
        yhat: sigmoid(z)
        L: -(y*log(yhat) + (1 - y)*log(1 - yhat))
      quantity: diff(L, z)
"""


@pytest.mark.parametrize(
    "distractor",
    ["sigmoid(z) - y", "-y*(1 - sigmoid(z)) + (1 - y)*sigmoid(z)", "(1 - y)*yhat - y*(1 - yhat)"],
)
def test_distractor_equal_to_the_key_is_a_finding(tmp_path: Path, distractor: str) -> None:
    (d,) = run(load(tmp_path, CHOICES.format(type="multiple_answers", distractor=f'"{distractor}"')))[1]
    assert d.code == "K102" and d.message.startswith("choice B is keyed incorrect, but it equals the key")
    assert (d.loc.line, d.loc.col) == (11, 18)  # its `correct:` flag


def test_numeric_distractor_equal_to_the_key(tmp_path: Path) -> None:
    body = NUMERICAL.replace("type: numerical", "type: multiple_choice").replace(
        "    answer: {answer}\n    tolerance: {tol}\n",
        "    choices:\n      - {text: a, correct: true, value: 0.064}\n"
        "      - {text: b, correct: false, value: 2*0.2*0.8*0.2*1}\n      - {text: c, correct: false, value: 0.32}\n",
    ).replace("{cost_check}", COST_CHECK)
    (d,) = run(load(tmp_path, body))[1]
    assert d.code == "K102" and "choice B" in d.message


def test_undecidable_equality_is_reported_not_guessed(tmp_path: Path) -> None:
    body = """\
      - id: u
        type: multiple_choice
        text: which?
        choices:
          - {text: a, correct: true, value: abs(x + 1)}
          - {text: b, correct: false, value: x}
        check:
          symbols: [x]
          quantity: sqrt(x**2 + 2*x + 1)
    """
    (d,) = run(load(tmp_path, body))[1]
    assert d.code == "K104" and "choice A" in d.message and "agree numerically" in d.message


def test_choice_without_value_or_claim(tmp_path: Path) -> None:
    body = CHOICES.format(type="multiple_choice", distractor="y").replace("        value: yhat - y\n", "")
    (d,) = run(load(tmp_path, body))[1]
    assert d.code == "K105" and "choice A has neither" in d.message


TRUE_FALSE = """\
  - id: tf
    type: true_false
    text: Is the gradient positive?
    answer: {answer}
{cost_check}      claim: diff(C, w1) > 0 and diff(C, w2) < diff(C, w1)
"""


def test_true_false(tmp_path: Path) -> None:
    assert run(load(tmp_path, TRUE_FALSE.format(answer="true", cost_check=COST_CHECK)))[1] == []
    (d,) = run(load(tmp_path, TRUE_FALSE.format(answer="false", cost_check=COST_CHECK)))[1]
    assert d.code == "K101" and d.message.startswith("answer is false, but `diff(C, w1) > 0 and")
    assert "diff(C, w1) = 16/125 (0.128)" in d.message


# ---------------------------------------------------------------------------- givens


def q_with(check_yaml: str, tmp_path: Path) -> Question:
    body = "  - id: g\n    type: numerical\n    text: x\n    answer: 0\n    tolerance: 0\n    check:\n" + textwrap.indent(
        textwrap.dedent(check_yaml), "      "
    )
    return load(tmp_path, body)[0]


def test_given_on_a_defined_name_not_verbatim_is_solved(tmp_path: Path) -> None:
    """`z: 0` where z's expansion never appears as such (exp(-z) distributes the minus)."""
    q = q_with(
        """\
        symbols: [w, b, x]
        define:
          z: w*x + b
        given:
          z: 0
          x: 2
        quantity: diff(sigmoid(z), w)
        """,
        tmp_path,
    )
    assert evaluate(q, "diff(sigmoid(z), w)") == R(1, 2)  # σ'(0)·x = 1/4 · 2


def test_given_derivatives_of_functions_and_chained_values(tmp_path: Path) -> None:
    q = q_with(
        """\
        symbols: [a, u, v]
        functions: [g]
        define:
          h: g(a*u)
        given:
          g': 3
          u: 2*v
          v: 5
        quantity: diff(h, a)
        """,
        tmp_path,
    )
    assert evaluate(q, "diff(h, a)") == 30


def test_unusable_givens_are_findings(tmp_path: Path) -> None:
    q = q_with(
        """\
        symbols: [x]
        given:
          sin(x): 0.5
        quantity: x
        """,
        tmp_path,
    )
    (d,) = check_question(q)
    assert d.code == "K110" and "cannot use given `sin(x)`" in d.message
    q = q_with(
        """\
        symbols: [x, y]
        given:
          x: y + 1
          y: x - 1
        quantity: x
        """,
        tmp_path,
    )
    (d,) = check_question(q)
    assert d.code == "K110" and "cycle" in d.message


# ---------------------------------------------------------------------------- time bound


SLOW = """\
  - id: slow
    type: multiple_choice
    text: expand me
    choices:
      - {text: a, correct: true, value: "B[1,1]"}
      - {text: b, correct: false, value: 0}
    check:
      symbols: ["M[4,4]"]
      define:
        A: M**10
        B: M*M*M*M*M*M*M*M*M*M
      quantity: A[1,1]
"""


def test_a_slow_check_times_out_as_a_finding(tmp_path: Path) -> None:
    qs = load(tmp_path, SLOW)
    for jobs in (1, 2):
        start = time.perf_counter()
        summary, found = run(qs, jobs=jobs, timeout=0.5)
        assert time.perf_counter() - start < 5
        assert [d.code for d in found] == ["K108"] and summary.failed == 1
        assert "did not finish within 0.5 s" in found[0].message


def _stuck(self):  # a check that the alarm cannot interrupt (as if stuck in C code)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    while True:
        time.sleep(0.05)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses fork to carry the patch into the worker")
def test_a_worker_stuck_beyond_the_alarm_is_killed(seed: list[Question], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys._QuestionChecker, "run", _stuck)
    start = time.perf_counter()
    summary, found = run(seed[:2], jobs=2, timeout=0.2)
    assert time.perf_counter() - start < 8
    assert [d.code for d in found] == ["K108", "K108"]


# ---------------------------------------------------------------------------- parallel runner


def test_parallel_results_are_in_bank_order_and_deterministic(seed: list[Question]) -> None:
    mutants = [flipped(q, i) for q in seed if not q.check.is_manual for i in range(len(q.choices))][::3]
    progress: list[tuple[int, int]] = []
    _, serial = run(mutants, jobs=1)
    _, parallel = run(mutants, jobs=3, progress=lambda done, total: progress.append((done, total)))
    assert [str(d) for d in serial] == [str(d) for d in parallel]
    assert progress[-1] == (len(mutants), len(mutants))
    lines = [d.loc.line for d in parallel]
    assert lines == sorted(lines)


def test_missing_and_unsupported_checks() -> None:
    from exporter.model import Check, Loc

    loc = Loc("b.yaml", 3, 5)
    q = Question(id="e", type="essay", text="Discuss.", loc=loc)
    assert [d.code for d in check_question(q)] == ["K106"]
    q = dataclasses.replace(q, check=Check(loc=loc, quantity="1"))
    assert [d.code for d in check_question(q)] == ["K107"]
    q = dataclasses.replace(q, check=Check(loc=loc, manual="an essay has no key"))
    assert check_question(q) == []


# ---------------------------------------------------------------------------- hostile banks

TRICKS = [
    "__import__('os').system('touch {marker}')",
    "().__class__.__bases__[0].__subclasses__()",
    "exp.__globals__['__builtins__']",
    "(lambda: __import__('os'))()",
    "[c for c in ().__class__.__mro__]",
    "eval('__import__(\"os\").system(\"touch {marker}\")')",
    "exec",
    "open('{marker}', 'w')",
    "getattr(x, '__class__')",
    "f'{{x}}'",
    "(x := 1)",
    "x if x else x",
    "breakpoint()",
    "globals()",
    "x[0:1]",
    "exp(*[x])",
    "exp(x=1)",
    "10**10**10",
    "__builtins__",
    "sympify('x')",
]


def hostile_bank(marker: Path) -> str:
    """Each trick in its own question, in a quantity; plus tricks in every other position."""
    out = []
    for n, trick in enumerate(TRICKS):
        text = trick.format(marker=marker)
        out.append(
            f"  - id: t{n}\n    type: numerical\n    text: x\n    answer: 1\n    tolerance: 0\n"
            f"    check:\n      symbols: [x]\n      quantity: {_yaml_str(text)}\n"
        )
    sys_call = f"__import__('os').system('touch {marker}')"
    out.append(
        "  - id: positions\n    type: multiple_choice\n    text: x\n    choices:\n"
        f"      - text: a\n        correct: true\n        value: {_yaml_str(sys_call)}\n"
        f"      - text: b\n        correct: false\n        claim: {_yaml_str(sys_call + ' > 0')}\n"
        f"    check:\n      symbols: [x]\n      quantity: x\n"
    )
    out.append(
        "  - id: in-define\n    type: numerical\n    text: x\n    answer: 1\n    tolerance: 0\n"
        f"    check:\n      symbols: [x]\n      define:\n        y: {_yaml_str(sys_call)}\n      quantity: x\n"
    )
    out.append(
        "  - id: in-given-key\n    type: numerical\n    text: x\n    answer: 1\n    tolerance: 0\n"
        f"    check:\n      symbols: [x]\n      given:\n        {_yaml_str(sys_call)}: 1\n      quantity: x\n"
    )
    out.append(
        "  - id: in-given-value\n    type: numerical\n    text: x\n    answer: 1\n    tolerance: 0\n"
        f"    check:\n      symbols: [x]\n      given:\n        x: {_yaml_str(sys_call)}\n      quantity: x\n"
    )
    return "".join(out)


def _yaml_str(s: str) -> str:
    import json

    return json.dumps(s)  # a JSON string is a YAML double-quoted scalar


def test_hostile_expressions_are_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    qs = load(tmp_path, hostile_bank(marker))
    events: list[str] = []
    watching = True

    def hook(event: str, args: tuple) -> None:
        if watching and event in ("exec", "os.system", "subprocess.Popen", "os.posix_spawn", "os.exec", "open") and (
            event != "open" or str(marker) in str(args[0])
        ):
            events.append(event)

    sys.addaudithook(hook)  # cannot be removed: `watching` switches it off afterwards
    try:
        summary, found = run(qs, jobs=1)  # in this process, where the hook can see it
    finally:
        watching = False
    assert events == []
    assert not marker.exists()
    per_question: dict[int, list[Diagnostic]] = {}
    for d in found:
        per_question.setdefault(d.loc.line, []).append(d)
    assert summary.failed == len(qs)
    assert all(d.code.startswith(("X", "K110")) for d in found), [str(d) for d in found]
    # every trick is reported, on the line of its expression
    quantity_lines = [q.check.quantity_loc.line for q in qs if q.id.startswith("t")]
    assert all(line in per_question for line in quantity_lines)
    positions = by_id(qs, "positions")
    assert {c.value_loc.line for c in positions.choices if c.value} | {c.claim_loc.line for c in positions.choices if c.claim} <= set(per_question)
    # and the same bank through worker processes
    summary2, found2 = run(qs, jobs=2)
    assert [str(d) for d in found2] == [str(d) for d in found]
    assert not marker.exists()


def test_refusal_columns_point_inside_the_expression(tmp_path: Path) -> None:
    body = """\
      - id: c
        type: numerical
        text: x
        answer: 1
        tolerance: 0
        check:
          symbols: [x]
          quantity: exp(x) + x.real
    """
    (d,) = run(load(tmp_path, body))[1]
    # `quantity:` value starts at column 17; `.real` is 10 characters in
    assert (d.loc.line, d.loc.col, d.code) == (10, 17 + 10, "X102")
    assert d.message == "attribute access (`.real`) is not allowed"


def test_huge_numbers_through_defines_and_givens_are_refused_quickly(tmp_path: Path) -> None:
    """Each power is small on its own; expanding the defines or applying the givens is not."""
    cases = [
        ("define:\n  a: 10**59\n  b: a**1000\n  c: b**1000\nquantity: c\n", "X106"),
        ("symbols: [x]\ngiven:\n  x: 10**59\nquantity: x**1000*x**1000\n", "X106"),
        ("symbols: [x, n]\ngiven:\n  n: 1000\n  x: 2\nquantity: x**(n**3)\n", "X106"),
    ]
    for check_yaml, code in cases:
        q = q_with(check_yaml, tmp_path)
        start = time.perf_counter()
        (d,) = check_question(q)
        assert d.code == code and time.perf_counter() - start < 1, str(d)


def test_derivative_by_a_defined_function_argument(tmp_path: Path) -> None:
    """diff(f(z), z) with z a define is f'(z); at x = 3 and f' = 2 it is 2."""
    q = q_with(
        """\
        symbols: [x]
        functions: [f]
        define:
          z: x**2
          t: f(z)
        given:
          x: 3
          f': 2
        quantity: diff(t, z) + diff(t, x)
        """,
        tmp_path,
    )
    assert evaluate(q, "diff(t, z) + diff(t, x)") == 2 + 2 * 3 * 2
    q = dataclasses.replace(q, check=dataclasses.replace(q.check, given=q.check.given[:1]))
    (d,) = check_question(q)
    assert d.code == "K111" and "f'(9)" in d.message
