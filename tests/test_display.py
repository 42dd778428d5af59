"""Displayed keys: the choice text students see must denote the `value` sympy proved."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from exporter import latex, variants
from exporter.cli import main
from exporter.diagnostics import Collector
from exporter.keys import check_question
from exporter.load import load_banks

REPO = Path(__file__).resolve().parents[1]
BANK = REPO / "bank" / "quiz2-differentiation.yaml"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "bank"
    shutil.copytree(REPO / "bank", folder)
    return folder / BANK.name


def _line_of(text: str, needle: str) -> tuple[int, int]:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(needle)


@pytest.mark.parametrize(
    ("before", "after", "shown", "value"),
    [
        ('text: "0.064"', 'text: "0.046"', "0.046", "0.064"),
        ("text: $(1 - y^2)(4t - 6)$", "text: $(1 - y^2)(4t - 5)$", "$(1 - y^2)(4t - 5)$", "(1 - y**2)*(4*t - 6)"),
    ],
)
def test_issue_reproductions_fail_check_at_the_text(tmp_path, capsys, before, after, shown, value) -> None:
    f = _copy(tmp_path)
    source = f.read_text(encoding="utf-8")
    assert source.count(before) == 1
    f.write_text(source.replace(before, after), encoding="utf-8")
    qid = "diff-cost-grad-w2" if "0.0" in before else "diff-chain-tanh"
    assert main(["lock", "--accept", qid, "--bank", str(f.parent)]) == 0  # the legitimate correction workflow
    capsys.readouterr()
    assert main(["check", str(f.parent), "--no-cache", "-j", "1"]) == 1
    err = capsys.readouterr().err
    line, col = _line_of(after and f.read_text(encoding="utf-8"), after)
    col += len("text: ") + (1 if '"' in after else 0)
    expected = f"{f.as_posix()}:{line}:{col}: K120 choice B is displayed as {shown} but its value is {value}"
    assert expected in err, err
    assert "Traceback" not in err


def _flip(text: str) -> str:
    """A different displayed answer: the last digit changed, or a sign swapped."""
    digits = list(re.finditer(r"\d", text))
    if "{{" in text:
        return text + "1"  # 0.09 shown as 0.091
    if digits:
        m = digits[-1]
        return text[: m.start()] + str((int(m.group()) + 3) % 10) + text[m.end() :]
    assert " - " in text, text
    return text.replace(" - ", " + ", 1)


def _correct_value_choices() -> list[tuple[str, int]]:
    banks, found = load_banks([str(BANK)])
    assert found == []
    out = []
    for q in banks[0].questions:
        if q.check is None or q.check.is_manual:
            continue
        for i, c in enumerate(q.choices):
            if c.correct and c.value is not None:
                out.append((q.id, i))
    return out


CORRECT = _correct_value_choices()


def test_the_committed_bank_has_machine_checked_displayed_keys_of_both_kinds() -> None:
    banks, _ = load_banks([str(BANK)])
    texts = [banks[0].questions[[q.id for q in banks[0].questions].index(qid)].choices[i].text for qid, i in CORRECT]
    assert len(CORRECT) >= 7
    assert any("$" in t for t in texts) and any("$" not in t and "{{" not in t for t in texts)


@pytest.mark.parametrize(("qid", "index"), CORRECT, ids=[f"{q}-{i}" for q, i in CORRECT])
def test_every_flipped_correct_choice_text_of_the_committed_bank_is_caught_at_its_line(tmp_path, qid, index) -> None:
    banks, _ = load_banks([str(BANK)])
    question = next(q for q in banks[0].questions if q.id == qid)
    choice = question.choices[index]
    loc = choice.text_loc
    lines = BANK.read_text(encoding="utf-8").splitlines(keepends=True)
    line = lines[loc.line - 1]
    start = loc.col - 1
    assert line[start:].startswith(choice.text), (line, choice.text)
    flipped = _flip(choice.text)
    assert flipped != choice.text
    lines[loc.line - 1] = line[:start] + flipped + line[start + len(choice.text) :]
    f = tmp_path / BANK.name
    f.write_text("".join(lines), encoding="utf-8")
    shutil.copytree(REPO / "bank" / "figures", tmp_path / "figures")
    changed, found = load_banks([str(f)])
    assert found == []
    questions = [x for b in variants.expand(changed, None, Collector()) for x in b.questions if x.id == qid or x.variant_of == qid]
    findings = [d for x in questions for d in check_question(x, timeout=60)]
    assert findings, f"flip {choice.text!r} → {flipped!r} was not caught"
    assert {(d.loc.line, d.code) for d in findings} == {(loc.line, "K120")}, findings


def test_the_committed_bank_verifies_every_displayed_key(capsys) -> None:
    assert main(["check", str(REPO / "bank"), "--no-cache", "-j", "1", "--strict-display"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"displayed keys: \d+ verified, 0 taken as written; 0 error\(s\), 0 warning\(s\)", err), err


# --------------------------------------------------------------------------- the reader


NAMES = latex.Names(frozenset({"t", "y", "yhat", "z", "x1"}), (("x", 1), ("W", 2)), frozenset({"sigmoid", "f1"}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.064", latex.Number(latex.Fraction(8, 125), 3)),
        ("−1.5e-3", latex.Number(latex.Fraction(-3, 2000), 4)),
        ("1/3", latex.Number(latex.Fraction(1, 3), None)),
        (r"$-\frac{1}{3}$", latex.Number(latex.Fraction(-1, 3), None)),
    ],
)
def test_plain_numbers_take_the_fast_path_with_their_precision(text, expected) -> None:
    assert latex.read(text, NAMES) == expected


@pytest.mark.parametrize(
    ("text", "source_has"),
    [
        (r"$\sigma(z)(1 - \sigma(z))$", "sigmoid(z)"),
        (r"$\hat{y} - y$", "yhat"),
        (r"$x_1 + x_{1}$", "x1"),
        (r"$-\frac{y\,\sigma'(z)}{\hat{y}}$", "diff(sigmoid(z), z)"),
        (r"$\tanh(t)$", "tanh(t)"),
        (r"$\begin{bmatrix}1 \\ 2\end{bmatrix}$", "[(1), (2)]"),
    ],
)
def test_math_is_read_by_sympys_latex_parser_with_names_mapped(text, source_has) -> None:
    reading = latex.read(text, NAMES)
    assert isinstance(reading, latex.Math) and source_has in reading.source


@pytest.mark.parametrize(
    "text",
    ["The gradient is positive", r"$\int_0^1 t\,dt$", r"$q_{17}$", "$" + "t + " * 100 + "1$", r"$5!$"],
)
def test_unreadable_texts_say_why(text) -> None:
    with pytest.raises(latex.Unreadable) as why:
        latex.read(text, NAMES)
    assert str(why.value)


def test_numbers_go_into_the_check_language_as_written_never_computed() -> None:
    """`2^{10^{9}}` must not be computed by the parser: the builder's power guard refuses it."""
    reading = latex.read(r"$2^{100000000}$", NAMES)
    assert isinstance(reading, latex.Math) and "100000000" in reading.source


# --------------------------------------------------------------------------- givens in the stem


def test_a_changed_number_in_a_stem_given_fails_check_at_the_given(tmp_path, capsys) -> None:
    f = _copy(tmp_path)
    source = f.read_text(encoding="utf-8")
    stem = "At some point of your model training, you have $\\sigma(z) = 0.8$, $y = 1$, $x_1 = -2$,"
    assert source.count(stem) == 2
    f.write_text(source.replace(stem, stem.replace("0.8", "0.7"), 1), encoding="utf-8")
    assert main(["check", str(f.parent), "--no-cache", "-j", "1"]) == 1
    err = capsys.readouterr().err
    line, col = _line_of(source[source.index(stem) :], "sigmoid(z): 0.8")
    line += source[: source.index(stem)].count("\n")
    assert f"{f.as_posix()}:{line}:{col + len('sigmoid(z): ')}: K122 given `sigmoid(z): 0.8` does not appear in the question text" in err, err


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Let $x_1 = -2$ and $y = 0.25$.", True),
        ("Let $y = \\frac{1}{4}$ and $x_1 = -2$.", True),
        ("Let $x_1 = -2$ and $y = 0.2$.", False),
        ("Let $x_1 = 2$, $x_2 = 0.25$.", True),  # a sign written apart from its number
    ],
)
def test_givens_are_found_among_the_numbers_of_the_text(text, shown) -> None:
    from decimal import Decimal

    from exporter import givens_shown

    numbers = givens_shown.numbers_in(text)
    assert (Decimal("0.25") in numbers and Decimal(-2) in numbers) is shown


# --------------------------------------------------------------------------- omitted texts


OMITTED = r"""title: Omitted texts
digits: 3
questions:
  - id: mean
    type: multiple_choice
    text: 'What is $35/12$, to three places?'
    choices:
      - {correct: true, value: 35/12}
      - {correct: false, value: 0.5}
      - {correct: false, value: 1/3, text: '$\frac{1}{3}$'}
    check:
      quantity: 35/12
  - id: chain
    type: multiple_choice
    digits: 2
    text: 'With $y = \tanh(z)$ and $z = 2x_1$, what is $\frac{dy}{dx_1}$?'
    choices:
      - {correct: true, value: 2*(1 - y**2)}
      - {correct: false, value: 1 - y**2}
      - {correct: false, value: 2*x1*yhat}
      - {correct: false, value: 0.125}
    check:
      symbols: [x1, yhat]
      define: {z: 2*x1, y: tanh(z)}
      quantity: diff(y, x1)
"""


def test_omitted_texts_are_written_from_the_values_with_digits_and_names_mapped_back(tmp_path) -> None:
    from exporter import pipeline

    f = tmp_path / "b.yaml"
    f.write_text(OMITTED, encoding="utf-8")
    result = pipeline.check([str(f)], cache=False, jobs=1, quizzes=None)
    assert [str(d) for d in result.diagnostics] == []
    mean, chain = result.expanded[0].questions
    assert [c.text for c in mean.choices] == ["2.917", "0.500", "$\\frac{1}{3}$"]  # bank digits: 3
    assert [c.text for c in chain.choices] == ["$2 - 2 y^{2}$", "$1 - y^{2}$", "$2 x_{1} \\hat{y}$", "0.12"]
    assert result.summary.displayed == 1 and result.summary.verified == 1  # only the written one is verified
    built = pipeline.build(result, tmp_path / "out")
    assert built.built
    assert b"2.917" in (tmp_path / "out" / "moodle" / "b.xml").read_bytes()


def test_a_choice_with_neither_text_nor_value_is_a_located_load_error(tmp_path) -> None:
    f = tmp_path / "b.yaml"
    f.write_text(OMITTED.replace("      - {correct: false, value: 0.5}\n", "      - {correct: false}\n"), encoding="utf-8")
    _, found = load_banks([str(f)])
    assert [(d.loc.line, d.code) for d in found] == [(9, "E102")]
    assert "`text`" in found[0].message and "value" in found[0].message


# --------------------------------------------------------------------------- taken as written


PROSE = r"""title: T
questions:
  - id: q
    type: multiple_choice
    text: 'The sample mean is $\bar{x}_n = 2.5$ over $n = 4$ draws. What is $\bar{x}_n / n$?'
    choices:
      - text: 'a fifth of eight, roughly'
        correct: true
        value: xbar/n
      - text: '$\frac{\bar{x}_n}{2}$'
        correct: false
        value: xbar/2
    check:
      symbols: [xbar, n]
      given: {xbar: 2.5, n: 4}
      quantity: xbar/n
"""


def test_an_unreadable_text_is_counted_and_strict_display_makes_it_a_located_error(tmp_path, capsys) -> None:
    f = tmp_path / "b.yaml"
    f.write_text(PROSE.replace("      given", "      display: {'\\bar{x}_n': xbar}\n      given"), encoding="utf-8")
    assert main(["check", str(f), "--no-cache", "-j", "1"]) == 0
    err = capsys.readouterr().err
    assert "displayed keys: 1 verified, 1 taken as written; 0 error(s), 0 warning(s)" in err, err
    assert main(["check", str(f), "--no-cache", "-j", "1", "--strict-display"]) == 1
    err = capsys.readouterr().err
    assert f"{f.as_posix()}:7:16: K121 choice A's text a fifth of eight, roughly is taken as written" in err, err


def test_without_the_display_map_the_name_cannot_be_read(tmp_path, capsys) -> None:
    f = tmp_path / "b.yaml"
    f.write_text(PROSE, encoding="utf-8")
    assert main(["check", str(f), "--no-cache", "-j", "1", "--strict-display"]) == 1
    err = capsys.readouterr().err
    assert ":10:16: K121 choice B's text" in err and "display:" in err, err
    # and with the map, a wrong formula is a mismatch, not a guess
    f.write_text(PROSE.replace("      given", "      display: {'\\bar{x}_n': xbar}\n      given").replace("{2}$'", "{3}$'"), encoding="utf-8")
    assert main(["check", str(f), "--no-cache", "-j", "1"]) == 1
    assert ":10:16: K120 choice B is displayed as $\\frac{\\bar{x}_n}{3}$ but its value is xbar/2" in capsys.readouterr().err
