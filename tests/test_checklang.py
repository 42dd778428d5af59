"""Issue 15's additions to the check language: for every new function or construct one
question whose right key passes and the same question with the flags swapped, whose wrong
key is caught (K101 at the wrong choice keyed correct, K102 at the right one keyed wrong)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from exporter.diagnostics import Collector
from exporter.expr import ExprError, Scope
from exporter.keys import check_questions
from exporter.load import load_banks
from exporter.model import Check, Loc

# (what, check block in YAML flow style, right value, wrong value)
CASES = [
    ("integrate, definite", "{symbols: [x], quantity: 'integrate(x**2, x, 0, 3)'}", "9", "27"),
    ("integrate, antiderivative", "{symbols: [x], quantity: 'integrate(2*x*exp(x**2), x)'}", "exp(x**2)", "x**2*exp(x**2)"),
    ("integrate to oo", "{symbols: [x], quantity: 'integrate(exp(-2*x), x, 0, oo)'}", "1/2", "2"),
    ("integrate to erf", "{symbols: [x], quantity: 'round(integrate(exp(-x**2), x, 0, 1), 4)'}", "0.7468", "0.7469"),
    ("integrate, no closed form", "{symbols: [x], quantity: 'round(integrate(x**x, x, 0, 1), 4)'}", "0.7834", "0.7835"),
    ("limit", "{symbols: [x], quantity: 'limit(sin(3*x)/x, x, 0)'}", "3", "1"),
    ("limit, one side", "{symbols: [x], quantity: 'limit(abs(x)/x, x, 0, left)'}", "-1", "1"),
    ("det", "{define: {A: '[[2, 1], [1, 3]]'}, quantity: 'det(A)'}", "5", "7"),
    ("trace", "{define: {A: '[[2, 1], [1, 3]]'}, quantity: 'trace(A)'}", "5", "6"),
    ("dot", "{define: {u: '[1, 2, 3]'}, quantity: 'dot(u, u)'}", "14", "6"),
    ("factorial", "{quantity: 'factorial(5)'}", "120", "24"),
    ("binomial", "{quantity: 'binomial(10, 3)'}", "120", "720"),
    ("asin", "{quantity: 'asin(1/2)'}", "pi/6", "pi/3"),
    ("acos", "{quantity: 'acos(0)'}", "pi/2", "0"),
    ("atan", "{symbols: [x], quantity: 'diff(atan(x), x)'}", "1/(1 + x**2)", "1/(1 - x**2)"),
    ("floor", "{quantity: 'floor(7/2)'}", "3", "4"),
    ("ceiling", "{quantity: 'ceiling(7/2)'}", "4", "3"),
    ("sum of a list", "{quantity: 'sum([1, 2, 3.5])'}", "6.5", "6"),
    ("Sum over k", "{symbols: [k], quantity: 'Sum(k**2, k, 1, 10)'}", "385", "55"),
    ("mean", "{define: {x: '[2, 4, 9]'}, quantity: 'mean(x)'}", "5", "4"),
    ("variance (sample)", "{define: {x: '[2, 4, 9]'}, quantity: 'variance(x)'}", "13", "26/3"),
    ("sd (sample)", "{define: {x: '[2, 4, 9]'}, quantity: 'sd(x)'}", "sqrt(13)", "sqrt(26/3)"),
    ("round", "{quantity: 'round(35/12, 3)'}", "2.917", "2.916"),
    ("pnorm", "{quantity: 'round(pnorm(1.96), 4)'}", "0.975", "0.025"),
    ("pnorm, mean and sd", "{quantity: 'round(pnorm(130, 100, 15), 4)'}", "0.9772", "0.9773"),
    ("qnorm", "{quantity: 'round(qnorm(0.975), 2)'}", "1.96", "1.64"),
    ("dnorm", "{quantity: 'round(dnorm(0), 4)'}", "0.3989", "0.3990"),
    ("pt", "{quantity: 'round(2*(1 - pt(2.1, 15)), 4)'}", "0.0531", "0.05"),
    ("qt", "{quantity: 'round(qt(0.975, 182), 3)'}", "1.973", "1.96"),
    ("pchisq", "{quantity: 'round(1 - pchisq(7.8147, 3), 3)'}", "0.05", "0.95"),
    ("qchisq", "{quantity: 'round(qchisq(0.95, 3), 3)'}", "7.815", "7.814"),
    ("pf", "{quantity: 'round(1 - pf(4.10, 2, 10), 2)'}", "0.05", "0.95"),
    ("qf", "{quantity: 'round(qf(0.95, 2, 10), 3)'}", "4.103", "4.102"),
    ("dbinom", "{quantity: 'dbinom(2, 5, 0.5)'}", "5/16", "1/4"),
    ("pbinom", "{quantity: 'pbinom(2, 5, 1/2)'}", "1/2", "5/16"),
    ("matrix literal", "{define: {A: '[[1, 2], [3, 4]]', v: '[1, 1]'}, quantity: 'A*v'}", "[3, 7]", "[4, 6]"),
    ("list arithmetic", "{define: {x: '[1, 2, 3]', y: '[2, 0, 1]'}, quantity: 'sum(x*y) + sum(2*x - 1)'}", "14", "12"),
    ("deviations", "{define: {x: '[2, 4, 9]'}, quantity: 'sum((x - mean(x))**2)'}", "26", "13"),
    ("symbols positive", "{symbols: {x: positive}, quantity: 'log(x**2)'}", "2*log(x)", "log(2*x)"),
    ("symbols nonnegative", "{symbols: {x: nonnegative, y: [positive]}, quantity: 'sqrt(x**2) + sqrt(y**2)'}", "x + y", "abs(x - y)"),
    ("symbols integer", "{symbols: {n: integer}, quantity: 'cos(pi*n)**2'}", "1", "0"),
    ("matrix and vector givens", "{symbols: ['A[2,2]', 'v[2]'], given: {A: '[[1, 2], [3, 4]]', v: '[1, 1]'}, quantity: 'transpose(v)*A*v'}", "10", "11"),
    ("a matrix named E", "{define: {E: '[[0, 1], [1, 0]]'}, quantity: 'E*E'}", "[[1, 0], [0, 1]]", "[[0, 1], [1, 0]]"),
]


def multiple_choice(choices: list[str], check: str) -> str:
    """A bank of one multiple-choice question; each choice a YAML flow mapping."""
    lines = "".join(f"      - {c}\n" for c in choices)
    return f"title: T\nquestions:\n  - id: q\n    type: multiple_choice\n    text: which?\n    choices:\n{lines}    check: {check}\n"


def question(check: str, right: str, wrong: str, *, swapped: bool) -> str:
    return multiple_choice(
        [f'{{text: right, correct: {str(not swapped).lower()}, value: "{right}"}}',
         f'{{text: wrong, correct: {str(swapped).lower()}, value: "{wrong}"}}'],
        check,
    )


def findings(tmp_path: Path, yaml_text: str) -> list:
    f = tmp_path / "t.yaml"
    f.write_text(yaml_text, encoding="utf-8")
    banks, found = load_banks([str(f)])
    assert found == [], [str(d) for d in found]
    got = Collector()
    check_questions(list(banks[0].questions), got, jobs=1)
    return got.items


@pytest.mark.parametrize("what, check, right, wrong", CASES, ids=[c[0] for c in CASES])
def test_right_key_passes_and_wrong_key_is_caught(tmp_path: Path, what: str, check: str, right: str, wrong: str) -> None:
    assert findings(tmp_path, question(check, right, wrong, swapped=False)) == []
    found = findings(tmp_path, question(check, right, wrong, swapped=True))
    assert sorted(d.code for d in found) == ["K101", "K102"], [str(d) for d in found]
    k101 = next(d for d in found if d.code == "K101")
    assert "choice B is keyed correct" in k101.message


def build(text: str, symbols=("x",), define=()) -> object:
    L = Loc("b.yaml", 1, 1)
    scope = Scope(Check(loc=L, symbols=tuple((s, ()) for s in symbols), define=tuple((n, e, L) for n, e in define)))
    assert scope.errors == []
    return scope.build(text)


def error(text: str, **kw) -> ExprError:
    with pytest.raises(ExprError) as info:
        build(text, **kw)
    return info.value


@pytest.mark.parametrize(
    "text, code, fix",
    [
        ("e**x", "X103", "e**x is written `exp(x)`"),
        ("2*π*x", "X102", "`π`: write `pi`"),
        ("3x**2", "X101", "write `3*x…`"),
        ("x^2", "X102", "write `**`"),
        ("2(x + 1)", "X102", "write `2*(…)` for a product"),
        ("x(x + 1)", "X104", "write `x*(…)`"),
        ("integrat(x, x)", "X104", "did you mean `integrate`?"),
        ("ceil(x)", "X104", "write `ceiling(x)`"),
        ("frobnicate(x)", "X104", "listed in the README"),
        ("√x", "X101", "write `sqrt(x)`"),
    ],
)
def test_slips_get_a_one_line_fix(text: str, code: str, fix: str) -> None:
    err = error(text)
    assert err.code == code and fix in err.message, err.message


def test_unknown_names_list_several_close_ones() -> None:
    err = error("alph + 1", symbols=("alpha", "alpha1", "alpha2"))
    assert "did you mean `alpha`, " in err.message and "`alpha1`" in err.message and "`alpha2`" in err.message


def test_domains_and_bounds() -> None:
    import sympy as sp

    assert build("qt(1.5, 3)") is sp.nan  # not a probability
    assert build("qchisq(0.5, -1)") is sp.nan
    assert error("factorial(100000)").code == "X106"  # refused before sympy computes it
    assert error("factorial(2.5)").code == "X107"
    assert error("round(x, 40)").code == "X105"
    assert error("det([[1, 2, 3], [4, 5, 6]])").code == "X107"
    assert error("integrate(x, 2)").code == "X105"
    assert error("limit(1/x, x, 0, up)").code == "X105"
    assert error("Sum(x, x, 1, 10**9)").code == "X106"
    assert error("qt(0.9)").code == "X105"


def test_limit_that_does_not_exist_is_undefined(tmp_path: Path) -> None:
    yaml_text = question("{symbols: [x], quantity: 'limit(abs(x)/x, x, 0)'}", "1", "-1", swapped=False)
    (d,) = findings(tmp_path, yaml_text)
    assert d.code == "K112"


def test_readme_table_lists_every_function() -> None:
    from exporter.expr import CONSTANTS, FUNCTION_NAMES

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The expression language", 1)[1].split("\n### ", 1)[0]
    for name in FUNCTION_NAMES + tuple(CONSTANTS):
        assert f"`{name}" in section, f"`{name}` is not in the README's table of the expression language"


def test_a_given_cannot_make_a_huge_factorial(tmp_path: Path) -> None:
    yaml_text = textwrap.dedent("""\
        title: T
        questions:
          - id: q
            type: numerical
            text: n!
            answer: 1
            tolerance: 0
            check: {symbols: [n], given: {n: 1000000}, quantity: 'factorial(n)'}
        """)
    (d,) = findings(tmp_path, yaml_text)
    assert d.code == "X106" and "too large" in d.message


def test_a_refuted_key_names_the_missing_assumption(tmp_path: Path) -> None:
    (d,) = findings(tmp_path, question("{symbols: [x], quantity: 'log(x**2)'}", "2*log(x)", "log(2*x)", swapped=False))
    assert d.code == "K101" and "they differ at x = -" in d.message
    assert d.message.endswith("they would be equal if x > 0 (declare `x: positive` under `symbols:`)")
    yaml_text = textwrap.dedent("""\
        title: T
        questions:
          - id: q
            type: true_false
            text: t
            answer: true
            check: {symbols: [n], claim: 'sin(pi*n) == 0'}
        """)
    (d,) = findings(tmp_path, yaml_text)
    assert d.code == "K101" and "equal if n is a whole number (declare `n: integer`" in d.message


def test_assumptions_are_validated(tmp_path: Path) -> None:
    f = tmp_path / "t.yaml"
    f.write_text(question("{symbols: {x: positiv}, quantity: 'x'}", "x", "2*x", swapped=False), encoding="utf-8")
    _, found = load_banks([str(f)])
    assert found and found[0].code.startswith("E") and found[0].loc.line == 9, [str(d) for d in found]
    found = findings(tmp_path, question("{symbols: {x: [positive, negative]}, quantity: 'x'}", "x", "2*x", swapped=False))
    assert [d.code for d in found] == ["X108"] and "contradict" in found[0].message


def test_an_array_given_must_have_the_arrays_shape(tmp_path: Path) -> None:
    yaml_text = question("{symbols: ['v[2]'], given: {v: '[1, 1, 1]'}, quantity: 'dot(v, v)'}", "2", "3", swapped=False)
    (d,) = findings(tmp_path, yaml_text)
    assert d.code == "K110" and "`v` has shape (2,), the value has shape (3,)" in d.message


# ---------------------------------------------------------------------------- parameters


def expanded(tmp_path: Path, questions_yaml: str) -> tuple[list, list]:
    """Variants of the questions, and every finding (loader, variants, keys)."""
    from exporter import variants

    f = tmp_path / "t.yaml"
    f.write_text("title: T\nquestions:\n" + textwrap.indent(textwrap.dedent(questions_yaml), "  "), encoding="utf-8")
    banks, found = load_banks([str(f)])
    got = Collector()
    for d in found:
        got(d)
    out = variants.expand(banks, report=got)
    qs = list(out[0].questions) if out else []
    check_questions(qs, got, jobs=1, report_for=variants.report_for(got))
    return qs, got.items


QUADRATIC = """\
- id: quad
  type: multiple_choice
  text: "How many real roots has $x^2 + {{b}}x + {{c}}$?"
  parameters:
    values:
      b: {from: -6, to: 6, step: 1}
      c: {from: -5, to: 5, step: 1}
%s    count: 6
  choices:
    - {text: two, correct: true, claim: "b**2 - 4*c > 0"}
    - {text: none, correct: false, claim: "b**2 - 4*c < 0"}
  check: {claim: "b == b"}
"""


def test_where_conditions_hold_in_every_variant(tmp_path: Path) -> None:
    qs, found = expanded(tmp_path, QUADRATIC % '    where: ["b**2 - 4*c > 0", "c != 0"]\n')
    assert found == [] and len(qs) == 6
    for q in qs:
        values = {n: int(v) for n, v in q.variant_values}
        assert values["b"] ** 2 - 4 * values["c"] > 0 and values["c"] != 0
    again, _ = expanded(tmp_path, QUADRATIC % '    where: ["b**2 - 4*c > 0", "c != 0"]\n')
    assert [q.text for q in again] == [q.text for q in qs]  # deterministic
    # without the condition some variant's key is wrong, and the checker says so
    _, found = expanded(tmp_path, QUADRATIC % "")
    assert "K101" in {d.code for d in found}


def test_unsatisfiable_where_is_a_located_error(tmp_path: Path) -> None:
    qs, found = expanded(tmp_path, QUADRATIC % '    where: "b**2 - 4*c > 100"\n')
    assert qs == []
    (d,) = found
    assert d.code == "V105" and (d.loc.line, d.loc.col) == (10, 15) and "in all 143 combinations" in d.message


def test_dependent_range(tmp_path: Path) -> None:
    body = """\
    - id: dep
      type: numerical
      text: "{{a}} − {{b}}?"
      parameters:
        values:
          a: [20, 30, 40]
          b: {from: 1, to: a - 10, step: 1}
        derived: {d: a - b}
        count: 8
      answer: "{{d}}"
      tolerance: 0
      check: {quantity: a - b}
    """
    qs, found = expanded(tmp_path, body)
    assert found == [] and len(qs) == 8
    for q in qs:
        v = dict(q.variant_values)
        assert 1 <= int(v["b"]) <= int(v["a"]) - 10
    _, found = expanded(tmp_path, body.replace("quantity: a - b", "quantity: a + b"))
    assert {d.code for d in found} == {"K103"}


STRINGS = """\
- id: fn
  type: multiple_choice
  text: "The derivative of ${{f}}(x)$ is"
  parameters:
    values:
      f: [sin, cos]
    derived:
      key: {f: {sin: "cos(x)", cos: "-sin(x)"}}
      other: {f: {sin: "-cos(x)", cos: "sin(x)"}}
  choices:
    - {text: "A", correct: %s, value: key}
    - {text: "B", correct: %s, value: other}
  check:
    symbols: [x]
    quantity: diff(f(x), x)
"""


def test_string_parameters_select_expressions(tmp_path: Path) -> None:
    qs, found = expanded(tmp_path, STRINGS % ("true", "false"))
    assert found == [] and sorted(q.text for q in qs) == ["The derivative of $cos(x)$ is", "The derivative of $sin(x)$ is"]
    _, found = expanded(tmp_path, STRINGS % ("false", "true"))
    assert sorted(d.code for d in found) == ["K101", "K101", "K102", "K102"]  # both variants


def test_string_parameter_rules(tmp_path: Path) -> None:
    body = """\
    - id: s
      type: numerical
      text: "{{corner}} {{unit}}"
      parameters:
        values:
          corner: [upper left, lower right]
          unit: [m, 2]
        derived:
          e: {corner: {upper left: "A[1,1]"}}
      answer: 1
      tolerance: 0
      check: {define: {A: "[[1, 2], [3, 4]]"}, quantity: corner}
    """
    _, found = expanded(tmp_path, body)
    msgs = [d.message for d in found if d.code == "E211"]
    assert any("mixes numbers and text" in m for m in msgs)
    assert any("no case for corner = `lower right`" in m for m in msgs)
    assert any("uses the text parameter `corner`" in m for m in msgs)


def test_identical_options_in_a_string_variant_are_caught(tmp_path: Path) -> None:
    body = """\
    - id: cur
      type: multiple_choice
      text: "Which currency?"
      parameters:
        values: {cur: [USD, EUR]}
      choices:
        - {text: "{{cur}}", correct: true, claim: "1 == 1"}
        - {text: "USD", correct: false, claim: "1 == 2"}
      check: {claim: "1 == 1"}
    """
    _, found = expanded(tmp_path, body)
    assert [d.code for d in found] == ["V102"] and found[0].variant == "cur-v2 (cur=USD)"


def test_digits_round_what_students_read_and_what_is_checked(tmp_path: Path) -> None:
    body = """\
    - id: money
      type: numerical
      text: "{{p}} at {{r}} for 8 years: {{t}}"
      parameters:
        values: {p: [1000], r: [0.0725]}
        derived: {t: p*(1 + r)**8}
        digits: {t: 2, p: 2}
      answer: %s
      tolerance: 0
      check: {quantity: t}
    """
    qs, found = expanded(tmp_path, body % '"{{t}}"')
    assert found == [] and qs[0].text == "1000.00 at 0.0725 for 8 years: 1750.57"
    assert qs[0].answer == 1750.57
    _, found = expanded(tmp_path, body % "1750.5699")  # the unrounded value is not the key shown
    assert [d.code for d in found] == ["K103"]


# ---------------------------------------------------------------------------- non-value options

NON_VALUE = [
    ("does not exist", "{symbols: [x], quantity: 'limit(abs(x)/x, x, 0)'}", "{symbols: [x], quantity: 'limit(abs(x)/x, x, 0, right)'}"),
    ("undefined", "{symbols: [x], given: {x: 0}, quantity: '1/x'}", "{symbols: [x], given: {x: 2}, quantity: '1/x'}"),
    ("no real solution", "{symbols: [a], given: {a: -4}, quantity: 'sqrt(a)'}", "{symbols: [a], given: {a: 4}, quantity: 'sqrt(a)'}"),
    ("none of the above", "{quantity: '1 + 3'}", "{quantity: '2 + 1'}"),
]


def options_question(means: str, check: str, keyed_to_means: bool) -> str:
    return multiple_choice(
        [f'{{text: "1", correct: {str(not keyed_to_means).lower()}, value: 1}}',
         '{text: "3", correct: false, value: 3}',
         f'{{text: "{means}", correct: {str(keyed_to_means).lower()}, means: {means}}}'],
        check,
    )


@pytest.mark.parametrize("means, when_true, when_false", NON_VALUE, ids=[n[0] for n in NON_VALUE])
def test_non_value_options_are_decided(tmp_path: Path, means: str, when_true: str, when_false: str) -> None:
    assert findings(tmp_path, options_question(means, when_true, True)) == []
    found = findings(tmp_path, options_question(means, when_true, False))
    assert {d.code for d in found} == {"K101"} and any(f"choice C ({means}) is keyed incorrect" in d.message for d in found)
    found = findings(tmp_path, options_question(means, when_false, True))
    assert any(d.code == "K101" and f"choice C ({means}) is keyed correct" in d.message for d in found), [str(d) for d in found]


def test_all_of_the_above_and_a_manual_choice(tmp_path: Path) -> None:
    body = textwrap.dedent("""\
        title: T
        questions:
          - id: q
            type: multiple_answers
            text: which?
            choices:
              - {text: a, correct: true, claim: "2 > 1"}
              - {text: b, correct: %s, manual: "a judgement the rubric grades by hand"}
              - {text: all of the above, correct: %s, means: all of the above}
            check: {claim: "1 == 1"}
        """)
    assert findings(tmp_path, body % ("true", "true")) == []
    (d,) = findings(tmp_path, body % ("false", "true"))  # the manual flag is trusted, and counts
    assert d.code == "K101" and "choice C (all of the above) is keyed correct, but choice B is false" in d.message
    f = tmp_path / "short.yaml"
    f.write_text(body.replace("a judgement the rubric grades by hand", "because") % ("true", "true"), encoding="utf-8")
    _, found = load_banks([str(f)])
    assert found and found[0].code.startswith("E1")  # a reason is required


def test_undecided_other_option_makes_none_of_the_above_undecided(tmp_path: Path) -> None:
    body = options_question("none of the above", "{symbols: [x], quantity: 'sqrt(x**2 + 2*x + 1)'}", True).replace(
        "value: 1}", "value: abs(x + 1)}"
    )
    found = findings(tmp_path, body)
    assert any(d.code == "K104" and "choice C (none of the above): cannot decide" in d.message for d in found)
