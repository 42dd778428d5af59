"""Parametrised questions: loader rules, exact values, stable seeds, and every variant checked.

The promise of issue 7 is that a parameter choice that breaks a question (a distractor equal
to the key, a key that is undefined) is a finding for *that variant*, never shipped; and
that the same bank and term seed always build the same variants, a new seed new numbers.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import textwrap
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
from lxml import etree

from exporter import identity
from exporter.cli import main
from exporter.diagnostics import Collector, Diagnostic
from exporter.keys import check_questions
from exporter.load import load_banks
from exporter.model import Bank, Question
from exporter.variants import (
    VariantError,
    choose,
    expand,
    fill_expression,
    fill_text,
    report_for,
    show_rational,
)

REPO = Path(__file__).resolve().parents[1]
PARAM_ID = "diff-sigmoid-value-param"
QTI = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"


def write_bank(tmp_path: Path, questions: str, head: str = "") -> Path:
    f = tmp_path / "bank" / "v.yaml"
    f.parent.mkdir(exist_ok=True)
    body = textwrap.indent(textwrap.dedent(questions), "  ")
    f.write_text(f"title: Variants\n{head}questions:\n{body}", encoding="utf-8")
    return f


def load(tmp_path: Path, questions: str, head: str = "") -> list[Bank]:
    banks, found = load_banks([str(write_bank(tmp_path, questions, head))])
    assert found == [], [str(d) for d in found]
    return banks


def problems(tmp_path: Path, questions: str) -> list[Diagnostic]:
    _, found = load_banks([str(write_bank(tmp_path, questions))])
    return found


def check(questions: list[Question]) -> list[Diagnostic]:
    got = Collector()
    check_questions(questions, got, jobs=1, report_for=report_for(got))
    return got.items


def variants_of(banks: list[Bank], qid: str) -> list[Question]:
    return [q for b in banks for q in b.questions if q.variant_of == qid]


@pytest.fixture(scope="module")
def seed_banks() -> list[Bank]:
    banks, found = load_banks([str(REPO / "bank")])
    assert found == []
    return banks


# --------------------------------------------------------------------------- the seed question


def test_every_variant_of_the_seed_question_is_checked_and_clean(seed_banks: list[Bank]) -> None:
    expanded = expand(seed_banks)
    made = variants_of(expanded, PARAM_ID)
    assert [q.id for q in made] == [f"{PARAM_ID}-v{k}" for k in range(1, 5)]  # count: 4
    assert all(q.parameters is None and q.check is not None for q in made)
    assert check(made) == []
    for q in made:
        (name, shown), = q.variant_values
        s = Fraction(shown)
        key, neg, sigma, rest = q.choices
        assert key.correct and not (neg.correct or sigma.correct or rest.correct)
        # the texts a student reads are the numbers the checker proved
        assert key.text == show_rational(s * (1 - s))
        assert neg.text == show_rational(-s * (1 - s))
        assert (sigma.text, rest.text) == (shown, show_rational(1 - s))
        assert f"\\sigma(z) = {shown}$" in q.text
        assert q.solution.strip().endswith(f"= {key.text}$$")
        assert "{{" not in q.text + q.solution + "".join(c.text + (c.feedback or "") for c in q.choices)
        assert q.check.given == ((("sigmoid(z)", f"({shown})", q.check.given[0][2])),)
        assert q.category == (PARAM_ID,)
    # the template itself is never checked or exported, only its variants
    assert all(q.id != PARAM_ID for b in expanded for q in b.questions)
    (group,) = expanded[0].groups
    assert (group.name, group.pick, group.question_ids) == (PARAM_ID, 1, tuple(q.id for q in made))


def test_the_template_alone_is_refused_by_the_checker(seed_banks: list[Bank]) -> None:
    template = next(q for q in seed_banks[0].questions if q.id == PARAM_ID)
    (d,) = check([template])
    assert d.code == "K113" and "check its variants" in d.message


def test_a_distractor_equal_to_the_key_is_a_finding_naming_the_variant(tmp_path: Path) -> None:
    body = """\
    - id: scaled-square
      type: multiple_choice
      text: For $f(x) = {{a}}x^2$, what is $f'(1)$?
      parameters:
        values:
          a: [1, 3]
        derived:
          key: 2*a
      choices:
        - text: "{{key}}"
          correct: true
          value: key
        - text: "{{a}}"
          correct: false
          value: a
        - text: $2^2$
          correct: false
          value: 4
      check:
        symbols: [x]
        define:
          f: a*x**2
        given:
          x: 1
        quantity: diff(f, x)
    """
    clean = expand(load(tmp_path, body))
    assert [q.variant_values for q in variants_of(clean, "scaled-square")] == [(("a", "1"),), (("a", "3"),)]
    assert check(variants_of(clean, "scaled-square")) == []

    broken = expand(load(tmp_path, body.replace("a: [1, 3]", "a: [1, 2, 3]")))
    found = check(variants_of(broken, "scaled-square"))
    assert len(found) == 1, [str(d) for d in found]
    (d,) = found
    assert d.code == "K102"
    assert d.text.startswith("variant scaled-square-v2 (a=2): choice C is keyed incorrect, but it equals the key")
    template = load(tmp_path, body.replace("a: [1, 3]", "a: [1, 2, 3]"))[0].questions[0]
    assert d.loc == template.choices[2].correct_loc  # where the wrong flag is, in the template


def test_a_key_undefined_for_some_values_is_a_finding_naming_the_variant(tmp_path: Path) -> None:
    banks = load(tmp_path, """\
    - id: reciprocal
      type: numerical
      text: What is $1/{{a}}$?
      parameters:
        values:
          a: [0, 4]
        derived:
          inv: 1/a
      answer: "{{inv}}"
      tolerance: 0
      check:
        quantity: 1/a
    """)
    made = Collector()
    expanded = expand(banks, report=made)
    assert [str(d).split(": ", 1)[1] for d in made.items] == [
        "V101 variant reciprocal-v1 (a=0): derived `inv` = `1/a` is undefined for these values (a division by zero?)"
    ]
    (good,) = variants_of(expanded, "reciprocal")  # v1 could not be made; v2 is a real question
    assert (good.id, good.answer, good.text) == ("reciprocal-v2", 0.25, "What is $1/4$?")
    assert check([good]) == []
    with pytest.raises(VariantError):  # no report: an error is never silently dropped
        expand(banks)


def test_duplicate_options_in_one_variant_are_reported(tmp_path: Path) -> None:
    banks = load(tmp_path, """\
    - id: same-text
      type: multiple_choice
      text: Which is $1 - {{s}}$?
      parameters:
        values:
          s: [0.5]
        derived:
          rest: 1 - s
      choices:
        - {text: "{{rest}}", correct: true, value: rest}
        - {text: "{{s}}", correct: false, value: s + 1}
      check:
        quantity: 1 - s
    """)
    got = Collector()
    expand(banks, report=got)
    (d,) = got.items
    assert d.code == "V102" and d.text.startswith("variant same-text-v1 (s=0.5): choices A and B both read `0.5`")


# --------------------------------------------------------------------------- seeds


def test_same_seed_same_variants_new_seed_new_numbers_and_keys_follow(seed_banks: list[Bank]) -> None:
    first = variants_of(expand(seed_banks), PARAM_ID)
    again = variants_of(expand(seed_banks), PARAM_ID)
    assert first == again
    other = variants_of(expand(seed_banks, seed="fall-2025"), PARAM_ID)
    assert [q.variant_values for q in other] != [q.variant_values for q in first]
    assert check(other) == []
    for q in other:
        s = Fraction(q.variant_values[0][1])
        assert q.correct_choices[0].text == show_rational(s * (1 - s))
    # the bank's own `seed:` is the default, and --seed overrides it
    reseeded = [dataclasses.replace(b, seed="fall-2025") for b in seed_banks]
    assert variants_of(expand(reseeded), PARAM_ID) == other
    assert variants_of(expand(reseeded, seed="0"), PARAM_ID) == first


def test_choice_of_variants_depends_on_seed_and_id_only() -> None:
    assert choose(8, 4, "0", "q") == choose(8, 4, "0", "q")
    assert len(set(choose(8, 4, "0", "q"))) == 4
    assert choose(8, 8, "x", "q") == list(range(8))
    picks = {tuple(choose(70, 3, str(seed), "q")) for seed in range(20)}
    assert len(picks) > 10  # seeds really change the draw
    # huge products are drawn from without listing them
    assert len(choose(10**12, 20, "0", "q")) == 20


def test_reordering_a_value_list_changes_nothing(tmp_path: Path) -> None:
    body = """\
    - id: order
      type: numerical
      text: What is ${{a}} + {{b}}$?
      parameters:
        values:
          b: [5, 1, 3]
          a: [0.2, 0.1]
        derived:
          total: a + b
        count: 3
      answer: "{{total}}"
      tolerance: 0
      check:
        quantity: a + b
    """
    one = variants_of(expand(load(tmp_path, body)), "order")
    two = variants_of(expand(load(tmp_path, body.replace("[5, 1, 3]", "[3, 5, 1]").replace("[0.2, 0.1]", "[0.1, 0.2]"))), "order")
    assert [(q.text, q.answer) for q in one] == [(q.text, q.answer) for q in two]
    assert len(one) == 3 and check(one) == []


# --------------------------------------------------------------------------- substitution


@pytest.mark.parametrize(
    "value, shown",
    [
        (Fraction(6, 25), "0.24"),
        (Fraction(1, 8), "0.125"),
        (Fraction(-1, 8), "-0.125"),
        (Fraction(1, 1024), "0.0009765625"),  # exact: every digit is shown
        (Fraction(1, 3), "0.333333"),
        (Fraction(2, 3), "0.666667"),
        (Fraction(-1, 30000), "-0.0000333333"),  # no exponent notation in a question text
        (Fraction(100), "100"),
        (Fraction(0), "0"),
    ],
)
def test_number_formatting(value: Fraction, shown: str) -> None:
    assert show_rational(value) == shown


def test_expressions_are_substituted_token_by_token() -> None:
    values = {"s": "0.6", "n": "-2"}
    assert fill_expression("sigmoid(s) + s2 + x_s + s*x**n", values) == "sigmoid((0.6)) + s2 + x_s + (0.6)*x**(-2)"
    assert fill_expression("s +\n  s", values) == "(0.6) +\n  (0.6)"  # a YAML block scalar
    assert fill_expression("(s", values) == "(s"  # unreadable: left for the checker to report


def test_texts_replace_only_declared_names() -> None:
    shown = {"s": "0.6"}
    assert fill_text("$x^{{2}}$, {{s}}, {{ s }}, {{{s}}}, {{t}}", shown) == "$x^{{2}}$, 0.6, 0.6, {0.6}, {{t}}"


# --------------------------------------------------------------------------- the loader


PARAM = """\
- id: p
  type: multiple_choice
  text: Let $\\sigma(z) = {{s}}$.
  parameters:
    values:
      s: [0.2, 0.8]
  choices:
    - {text: "{{s}}", correct: true, value: s}
    - {text: "1", correct: false, value: 1}
  check:
    symbols: [z]
    given:
      sigmoid(z): s
    quantity: sigmoid(z)
"""


def codes(found: list[Diagnostic]) -> list[tuple[int, int, str]]:
    return [(d.loc.line, d.loc.col, d.code) for d in found]


def test_the_template_loads_clean(tmp_path: Path) -> None:
    (bank,) = load(tmp_path, PARAM)
    (q,) = bank.questions
    assert q.parameters.values[0][:2] == ("s", ("0.2", "0.8"))
    assert check(variants_of(expand([bank]), "p")) == []


@pytest.mark.parametrize(
    "old, new, expected, words",
    [
        ("= {{s}}$.", "= {{sigma}}$.", (5, 11, "E209"), "`{{sigma}}`, which is not a parameter"),
        ("quantity: sigmoid(z)", "quantity: sigmoid(z) + {{s}}", (16, 17, "E208"), "write `s`, not `{{s}}`"),
        ("symbols: [z]", "symbols: [z, s]", (6, 5, "E207"), "parameter `s` is also declared in the check"),
        ("      s: [0.2, 0.8]", "      s: [0.2, 0.8]\n    count: 3", (9, 14, "E210"), "count 3 is more than the 2 combination(s)"),
        ("[0.2, 0.8]", "{from: 0.5, to: 0.1, step: 0.1}", (8, 12, "E206"), "ends (0.1) before it starts (0.5)"),
        ("[0.2, 0.8]", "{from: 0, to: 1, step: 0.0001}", (8, 12, "E206"), "more than 1000 values"),
        ("[0.2, 0.8]", "[0.2, .inf]", (8, 18, "E205"), "not a finite number"),
        ("[0.2, 0.8]", "[0.2, 0.2]", (8, 12, "E108"), "lists the same item twice"),
        ("values:", "valeus:", (7, 7, "E101"), "did you mean `values`?"),
        ("[0.2, 0.8]", "{from: 0, to: 1, stepp: 1}", (8, 29, "E101"), "did you mean `step`?"),
    ],
)
def test_parameter_mistakes_are_located(tmp_path: Path, old: str, new: str, expected: tuple, words: str) -> None:
    assert PARAM.count(old) == 1
    found = problems(tmp_path, PARAM.replace(old, new))
    assert expected in codes(found), [str(d) for d in found]
    assert any(words in d.message for d in found), [str(d) for d in found]


def test_placeholder_without_parameters_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "b.yaml"
    f.write_text(textwrap.dedent("""\
        title: T
        questions:
          - id: q
            type: essay
            text: Explain {{why}}.
            check: {manual: "graded by a person: nothing to compute"}
        """), encoding="utf-8")
    _, found = load_banks([str(f)])
    assert codes(found) == [(5, 11, "E209")]
    assert "has no `parameters:`" in found[0].message


def test_ranges_are_spelled_out_exactly(tmp_path: Path) -> None:
    (bank,) = load(tmp_path, PARAM.replace("s: [0.2, 0.8]", "s: {from: 0.1, to: 0.5, step: 0.1}"))
    assert bank.questions[0].parameters.values[0][1] == ("0.1", "0.2", "0.3", "0.4", "0.5")  # no 0.30000000000000004


def test_a_numerical_answer_from_a_parameter_is_checked(tmp_path: Path) -> None:
    banks = load(tmp_path, """\
    - id: slope
      type: numerical
      text: What is the derivative of ${{k}}x^3$ at $x = 1$?
      parameters:
        values:
          k: {from: 1, to: 5, step: 2}
        derived:
          slope: 3*k
      answer: "{{slope}}"
      tolerance: 0
      check:
        symbols: [x]
        given: {x: 1}
        quantity: diff(k*x**3, x)
    """)
    made = variants_of(expand(banks), "slope")
    assert [q.answer for q in made] == [3.0, 9.0, 15.0]
    assert check(made) == []
    wrong = [dataclasses.replace(q, answer=q.answer + 1) for q in made]
    assert [d.code for d in check(wrong)] == ["K103"] * 3


def test_a_string_answer_must_name_a_value(tmp_path: Path) -> None:
    body = PARAM.replace("type: multiple_choice", "type: numerical").split("  choices:")[0] + (
        "  answer: \"{{slope}}\"\n  tolerance: 0\n  check:\n    quantity: s\n")
    found = problems(tmp_path, body)
    assert [d.code for d in found] == ["E209"] and "answer `{{slope}}`" in found[0].message
    found = problems(tmp_path, body.replace('"{{slope}}"', "two"))
    assert [d.code for d in found] == ["E105"]


# --------------------------------------------------------------------------- identity and output


def test_variants_never_enter_the_lock(seed_banks: list[Bank]) -> None:
    entries = identity.updated(seed_banks, {})
    assert PARAM_ID in entries
    assert not any(re.search(r"-v\d+$", qid) for qid in entries)
    committed = identity.read(REPO / "bank" / identity.LOCK_NAME)
    assert PARAM_ID in committed and f"{PARAM_ID}-v1" not in committed


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's bank and quizzes built twice with the default seed, once with another."""
    root = tmp_path_factory.mktemp("repo")
    shutil.copytree(REPO / "bank", root / "bank")
    shutil.copytree(REPO / "quizzes", root / "quizzes")
    here = Path.cwd()
    try:
        os.chdir(root)
        assert main(["build", "-j", "1", "-o", "a"]) == 0
        assert main(["build", "-j", "1", "-o", "b"]) == 0
        assert main(["check", "-j", "1", "--seed", "spring-2026"]) == 0
        assert main(["build", "-j", "1", "--seed", "spring-2026", "-o", "c"]) == 0
    finally:
        os.chdir(here)
    return root


def files(folder: Path) -> dict[Path, bytes]:
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_builds_byte_identical_files_for_every_target(builds: Path) -> None:
    a, b = files(builds / "a"), files(builds / "b")
    assert a == b
    assert {p.parts[0] for p in a} == {"canvas", "moodle", "gift"}
    assert {p for p in a if "quizzes" in p.parts} == {
        Path("canvas/quizzes/midterm-practice.zip"),
        Path("moodle/quizzes/midterm-practice.xml"),
        Path("gift/quizzes/midterm-practice.gift.txt"),
    }


def moodle_variants(xml: bytes) -> dict[str, tuple[str, str]]:
    """Variant idnumber → (σ(z) in its text, the text of its 100 % answer)."""
    out = {}
    for q in etree.fromstring(xml).iter("question"):
        idnumber = q.findtext("idnumber") or ""
        if idnumber.startswith(PARAM_ID + "-v"):
            sigma = re.search(r"\\sigma\(z\) = ([-0-9.]+)", q.findtext("questiontext/text")).group(1)
            (right,) = [a.findtext("text") for a in q.iter("answer") if a.get("fraction") == "100"]
            out[idnumber] = (sigma, re.sub(r"</?p>", "", right))
    return out


def test_a_new_seed_changes_the_numbers_and_the_keys_follow(builds: Path) -> None:
    for target in ("moodle/quiz2-differentiation.xml", "moodle/quizzes/midterm-practice.xml"):
        old = moodle_variants((builds / "a" / target).read_bytes())
        new = moodle_variants((builds / "c" / target).read_bytes())
        assert len(old) == len(new) == 4
        assert sorted(old.values()) != sorted(new.values())
        for sigma, key in list(old.values()) + list(new.values()):
            s = Fraction(sigma)
            assert key == show_rational(s * (1 - s))
    for name in ("canvas/quiz2-differentiation.zip", "gift/quiz2-differentiation.gift.txt"):
        assert (builds / "a" / name).read_bytes() != (builds / "c" / name).read_bytes()


def test_the_bank_package_holds_the_variants_as_a_canvas_question_group(builds: Path) -> None:
    with zipfile.ZipFile(builds / "a" / "canvas" / "quiz2-differentiation.zip") as z:
        assessment = etree.fromstring(z.read("QB_quiz2-differentiation/QB_quiz2-differentiation.xml"))
    xsd = etree.XMLSchema(etree.parse(str(REPO / "tests" / "xsd" / "qti" / "ims_qtiasiv1p2.xsd")))
    assert xsd.validate(assessment), xsd.error_log
    groups = [s for s in assessment.iter(f"{{{QTI}}}section") if s.get("ident") != "root_section"]
    (group,) = groups
    assert group.get("title") == PARAM_ID
    assert group.findtext(f".//{{{QTI}}}selection_number") == "1"
    assert [i.get("ident") for i in group.iter(f"{{{QTI}}}item")] == [f"{PARAM_ID}-v{k}" for k in range(1, 5)]
