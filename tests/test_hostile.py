"""Issue 13: nothing a bank can contain may crash qbank, hang it, or exhaust memory.

Each test reproduces one hostile input from the red-team report and asserts a located
finding (`path:line:col: CODE`), no traceback, and bounded time; the hostile runs go
through tests/hostile.py (a child process with a memory limit and a timeout).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from exporter import report
from exporter.diagnostics import Collector, Diagnostic, printable
from exporter.model import Loc
from exporter.writers import canvas, gift, moodle
from exporter.yamlsource import MAX_NESTING, parse
from hostile import bank, qbank

ESSAY = """\
title: T
questions:
  - id: q1
    type: essay
    text: Explain.
    check:
      manual: graded by a person
"""

LOCATED = re.compile(r"^bank/b\.yaml:\d+:\d+: [A-Z]\d{3} ")


# --- YAML aliases and nesting (item 8) -------------------------------------------------

LAUGHS = "a: &a [" + ",".join(['"lol"'] * 10) + "]\n" + "".join(
    f"{b}: &{b} [" + ",".join([f"*{a}"] * 10) + "]\n" for a, b in zip("abcdefg", "bcdefgh")
)


@pytest.mark.parametrize("text, where", [
    (LAUGHS, (2, 8)),  # 10^8 strings if expanded; the first alias is at line 2
    ("title: &a [*a]\nquestions: []\n", (1, 12)),  # a list that contains itself
    ("title: T\nquestions: &q\n  - id: a\n    type: essay\n    text: *q\n", (5, 11)),
])
def test_aliases_are_refused_where_written(text: str, where: tuple[int, int]) -> None:
    doc, problems = parse("b.yaml", text)
    assert doc is None
    assert [(d.loc.line, d.loc.col, d.code) for d in problems] == [(*where, "E006")]
    assert "alias" in problems[0].message


def test_deep_flow_nesting_is_a_located_error_not_a_recursion_error() -> None:
    text = "title: " + "[" * 500 + "]" * 500 + "\n"
    doc, [problem] = parse("b.yaml", text)
    assert doc is None and problem.code == "E006"
    assert (problem.loc.line, problem.loc.col) == (1, 8 + MAX_NESTING - 1)


def test_deepest_libyaml_nesting_is_a_syntax_error() -> None:
    doc, [problem] = parse("b.yaml", "a: " + "[" * 5000 + "]" * 5000)
    assert doc is None and problem.code == "E001" and problem.loc.line == 1


def test_billion_laughs_through_the_cli_is_fast_and_small(tmp_path: Path) -> None:
    result = qbank(["check", "-j", "1", "--no-cache"], bank(tmp_path, "title: T\n" + LAUGHS.replace("a: &a", "questions: &a")),
                   timeout=30)
    assert result.code == 1 and result.seconds < 20
    assert any(LOCATED.match(line) and " E006 " in line for line in result.lines), result.err


# --- no text can crash a writer or a report (item 12) ------------------------------------

HOSTILE_TEXT = '"a \\x01 b \\0 c \\uFFFE d $\\frac{1}{2}$"'  # libyaml refuses a lone surrogate


def hostile_bank(tmp_path: Path) -> Path:
    body = f"""\
title: {HOSTILE_TEXT}
questions:
  - id: q1
    type: multiple_choice
    text: {HOSTILE_TEXT}
    solution: {HOSTILE_TEXT}
    tags: [{HOSTILE_TEXT}]
    choices:
      - text: {HOSTILE_TEXT}
        correct: true
        feedback: {HOSTILE_TEXT}
      - text: "2"
        correct: false
    check:
      manual: {HOSTILE_TEXT}
  - id: q2
    type: matching
    text: Match.
    pairs:
      - {{left: {HOSTILE_TEXT}, right: {HOSTILE_TEXT}}}
      - {{left: b, right: c}}
    check:
      manual: {HOSTILE_TEXT}
"""
    return bank(tmp_path, body)


@pytest.mark.parametrize("writer", [canvas, moodle, gift], ids=lambda w: w.TARGET)
def test_writers_report_unwritable_characters_instead_of_crashing(tmp_path: Path, writer) -> None:
    from exporter.load import load_banks

    hostile_bank(tmp_path)
    banks, _ = load_banks([str(tmp_path / "bank")])  # defence in depth: whatever the loader says
    q1 = banks[0].questions[0]
    with_surrogate = replace(q1, title="lone \ud800 surrogate")  # only a program can make one
    found = Collector()
    writer.write(replace(banks[0], questions=(with_surrogate, *banks[0].questions[1:])), found)
    codes = {d.code for d in found.errors}
    assert codes == {writer.E_UNWRITABLE if writer is not moodle else moodle.E_CONTROL_CHAR}
    lines = {d.loc.line for d in found.errors}
    assert {1, 3, 9, 20} <= lines  # the bank title, the question, the choice, the pair
    assert any("U+D800" in d.message and "`q1.title`" in d.message for d in found.errors)


def test_build_with_unwritable_characters_fails_cleanly(tmp_path: Path) -> None:
    result = qbank(["build", "-j", "1", "--no-cache"], hostile_bank(tmp_path))
    assert result.code == 1
    assert not (tmp_path / "dist").exists()
    assert all(LOCATED.match(line) or line.startswith("qbank:") for line in result.lines), result.err


def test_junit_and_json_reports_of_a_hostile_bank(tmp_path: Path) -> None:
    result = qbank(["check", "-j", "1", "--no-cache", "--junit", "j.xml", "--format", "json"], hostile_bank(tmp_path))
    assert result.code == 1
    root = etree.parse(str(tmp_path / "j.xml")).getroot()
    assert root.find(".//failure") is not None
    assert '"code": "E007"' in result.out  # a lost \\frac, located by the loader


def test_junit_carries_a_manual_reason_with_any_character(tmp_path: Path) -> None:
    from exporter.load import load_banks

    banks, _ = load_banks([str(bank(tmp_path, ESSAY) / "bank")])
    q = banks[0].questions[0]
    reason = "graded \x01 by \x00 a \ufffe person \ud800"
    hostile = replace(banks[0], questions=(replace(q, check=replace(q.check, manual=reason)),))
    data = report.junit([], [hostile], report.Summary(files=[hostile.path]))
    [skipped] = etree.fromstring(data).iter("skipped")
    assert skipped.text == "graded \\x01 by \\x00 a \\ufffe person \\ud800"


def test_junit_with_every_unprintable_character_is_valid_xml() -> None:
    bad = "".join(map(chr, range(0x20))) + "\x7f\ufffe\uffff\ud800\u2028"
    d = Diagnostic(Loc(f"bank/{bad}.yaml", 1, 1), "K101", bad)
    data = report.junit([d], [], report.Summary(files=[d.loc.path]))
    assert etree.fromstring(data).find(".//failure").get("message") == printable(bad)


# --- one line per finding; GitHub workflow commands cannot be forged (item 15) -------------

FORGED = "::warning file=bank/b.yaml,line=1::forged"


def test_a_newline_in_bank_text_cannot_forge_a_workflow_command(tmp_path: Path) -> None:
    body = f"""\
title: T
questions:
  - id: q1
    type: numerical
    text: What?
    answer: 3
    tolerance: 0
    check:
      symbols: [x]
      given: {{"x\\n{FORGED}": 3}}
      quantity: "x\\n{FORGED}\\r{FORGED}"
"""
    import os

    env = dict(os.environ, GITHUB_ACTIONS="true")
    result = qbank(["check", "-j", "1", "--no-cache"], bank(tmp_path, body), env=env)
    assert result.code == 1
    for line in result.out.splitlines() + result.err.splitlines():
        assert not line.startswith("::warning"), line
        assert line.startswith(("::error ", "bank/b.yaml:", "qbank:")), line
    annotations = result.out.splitlines()
    assert annotations and all(line.startswith("::error file=bank/b.yaml,line=") for line in annotations)


def test_github_escaping_follows_the_toolkit() -> None:
    d = Diagnostic(Loc("bank/a,b:c%.yaml", 3, 4), "K1,0:1", "50% of\r\nit, :: here")
    out = Collector()
    import io

    stream = io.StringIO()
    report.github([d], stream)
    assert stream.getvalue() == (
        "::error file=bank/a%2Cb%3Ac%25.yaml,line=3,col=4,title=K1%2C0%3A1::50%25 of\\r\\nit, :: here\n"
    )
    assert not out.items


def test_printable_keeps_text_and_escapes_controls() -> None:
    assert printable("ä ∂x/∂t $\\frac12$") == "ä ∂x/∂t $\\frac12$"
    assert printable("a\nb\x00\u2028\ud800") == "a\\nb\\x00\\u2028\\ud800"
    assert "\n" not in str(Diagnostic(Loc("p\n", 1, 1), "E001", "x\ny"))


# --- checker gaps (item 4) ----------------------------------------------------------------

def numerical(qid: str, check: str, answer: str = "4", tolerance: str = "0") -> str:
    return (f"  - id: {qid}\n    type: numerical\n    text: What?\n    answer: {answer}\n    tolerance: {tolerance}\n"
            f"    check:\n" + "".join(f"      {line}\n" for line in check.strip().split("\n")))


def check_bank(tmp_path: Path, *questions: str) -> list[Diagnostic]:
    from exporter.keys import check_questions
    from exporter.load import load_banks

    bank(tmp_path, "title: T\nquestions:\n" + "".join(questions))
    banks, problems = load_banks([str(tmp_path / "bank")])
    found = Collector()
    check_questions([q for b in banks for q in b.questions], found, jobs=1)
    return problems + found.items


def test_a_complex_numerical_quantity_fails(tmp_path: Path) -> None:
    [d] = check_bank(tmp_path, numerical("c", "quantity: sqrt(-1)", answer="0", tolerance="1"))
    assert (d.loc.line, d.code) == (9, "K111") and "not a real number" in d.message


def test_a_solved_given_must_hold_with_the_other_values(tmp_path: Path) -> None:
    via_symbol = numerical("a", "symbols: [x, y]\ngiven: {sqrt(x): y, y: -2}\nquantity: x")
    direct = numerical("b", "symbols: [x]\ngiven: {sqrt(x): -2}\nquantity: x")
    fine = numerical("c", "symbols: [x, y]\ngiven: {sqrt(x): y, y: 2}\nquantity: x")
    found = check_bank(tmp_path, via_symbol, direct, fine)
    assert [(d.loc.line, d.code) for d in found] == [(10, "K110"), (19, "K110")]
    assert "`sqrt(x)` would be 2, not -2" in found[0].message


# --- numbers and bounds (items 9, 14, 16) ---------------------------------------------------

BIG = "9" * 5000


@pytest.mark.parametrize("where, text", [
    ("seed", f"title: T\nseed: {BIG}\nquestions:\n" + ESSAY.split("questions:\n")[1]),
    ("points", ESSAY.replace("    type: essay\n", f"    type: essay\n    points: {BIG}\n")),
    ("shape", "title: T\nquestions:\n" + numerical("s", f"symbols: ['x[{BIG}]']\nquantity: '1'")),
    ("count", "title: T\nquestions:\n" + numerical("p", "quantity: '1'").replace(
        "    check:", f"    parameters:\n      values: {{s: [1, 2]}}\n      count: {BIG}\n    check:")),
])
def test_integers_over_4300_digits_are_located_errors(tmp_path: Path, where: str, text: str) -> None:
    result = qbank(["check", "-j", "1", "--no-cache"], bank(tmp_path, text), timeout=60)
    assert result.code == 1
    findings = [line for line in result.lines if LOCATED.match(line)]
    assert len(findings) == 1, result.err
    assert (" E006 " in findings[0] and "more than 100 digits" in findings[0]) or " E105 " in findings[0]
    assert len(findings[0]) < 400  # the number is not quoted in full


@pytest.mark.parametrize("field, value, line", [("points", ".nan", 5), ("points", ".inf", 5)])
def test_non_finite_points_fail_check(tmp_path: Path, field: str, value: str, line: int) -> None:
    text = ESSAY.replace("    type: essay\n", f"    type: essay\n    {field}: {value}\n")
    [d] = check_bank(tmp_path, text.split("questions:\n")[1])
    assert (d.loc.line, d.loc.col, d.code) == (line, 13, "E215")


def test_an_infinite_answer_is_reported_at_the_answer(tmp_path: Path) -> None:
    found = check_bank(tmp_path, numerical("i", "quantity: '1'", answer=".inf"), numerical("n", "quantity: '1'",
                                                                                           answer=".nan", tolerance=".inf"))
    assert [(d.loc.line, d.code) for d in found] == [(6, "E215"), (13, "E215"), (14, "E215")]


def test_count_has_a_documented_maximum(tmp_path: Path) -> None:
    from exporter.variants import MAX_VARIANTS

    from exporter.load import load_banks

    template = numerical("p", "quantity: s").replace("text: What?", "text: What is {{s}} {{r}}?").replace(
        "    check:", "    parameters:\n      values: {s: {from: 1, to: 100, step: 1}, r: {from: 1, to: 100, step: 1}}\n"
        f"      count: {MAX_VARIANTS + 1}\n    check:").replace("answer: 4", "answer: '{{s}}'")
    bank(tmp_path, "title: T\nquestions:\n" + template)
    _, found = load_banks([str(tmp_path / "bank")])
    assert [(d.loc.line, d.code) for d in found] == [(10, "E216")]
    assert "900000000" not in found[0].message


def variant_bank(derived: str) -> str:
    return ("title: T\nquestions:\n" + numerical("p", "quantity: '1'").replace("text: What?", "text: What is {{t}}?")
            .replace("    check:", f"    parameters:\n      values: {{s: [1, 2, 3]}}\n      derived: {{t: '{derived}'}}\n"
                     "    check:"))


@pytest.mark.parametrize("derived, words", [
    ("sin(exp(exp(exp(3))))*s", "could not be computed within 2 s"),
    ("exp(exp(exp(exp(s))))", "too large"),
    ("s*10**1000*10**1000*10**1000*10**1000*10**1000", "more than 60 digits"),
    ("exp(-exp(exp(s+2)))", "too large or too small"),
])
def test_derived_values_are_bounded(tmp_path: Path, derived: str, words: str) -> None:
    result = qbank(["check", "-j", "1", "--no-cache", "--timeout", "2"], bank(tmp_path, variant_bank(derived)), timeout=60)
    assert result.code == 1 and result.seconds < 30
    lines = [line for line in result.lines if LOCATED.match(line)]
    assert lines and all(" V107 " in line and ":10:" in line for line in lines), result.err
    assert words in lines[0]


def test_memory_per_check_is_bounded(tmp_path: Path) -> None:
    text = """\
title: T
questions:
  - id: mem
    type: multiple_choice
    text: What?
    choices:
      - {text: a, correct: true, value: (2*a+2*b+2*c+2*d+2*e+2*f)**1000/2**1000}
      - {text: b, correct: false, value: "0"}
    check:
      symbols: [a, b, c, d, e, f]
      quantity: (a+b+c+d+e+f)**1000
"""
    for jobs in ("1", "2"):
        result = qbank(["check", "-j", jobs, "--no-cache", "--memory", "300", "--timeout", "60"], bank(tmp_path, text),
                       timeout=90)
        assert result.code == 1 and result.seconds < 60
        assert [line.split(" ", 2)[:2] for line in result.lines if LOCATED.match(line)] == [["bank/b.yaml:10:7:", "K114"]]


# --- messages (item 16) --------------------------------------------------------------------

def test_raw_nul_is_located_on_one_line(tmp_path: Path) -> None:
    doc, [d] = parse("b.yaml", ESSAY.replace("Explain.", "Expl\0ain."))
    assert doc is None and (d.loc.line, d.loc.col, d.code) == (5, 15, "E001")
    assert "U+0000" in d.message and "\n" not in str(d)


def test_a_fifo_and_a_symlink_loop_as_figures(tmp_path: Path) -> None:
    import os

    text = ESSAY.replace("Explain.", "'![a pipe](figures/p.png) and ![a loop](figures/loop.png)'")
    cwd = bank(tmp_path, text)
    (cwd / "bank" / "figures").mkdir()
    os.mkfifo(cwd / "bank" / "figures" / "p.png")
    (cwd / "bank" / "figures" / "loop.png").symlink_to("loop.png")
    result = qbank(["check", "-j", "1", "--no-cache"], cwd, timeout=30)
    assert result.code == 1
    pipe, loop = [line for line in result.lines if LOCATED.match(line)]
    assert pipe.startswith("bank/b.yaml:5:12: F101 ") and "named pipe" in pipe
    assert loop.startswith("bank/b.yaml:5:41: F101 ") and "loop" in loop


def test_a_long_sum_is_not_too_deep_but_a_long_chain_is(tmp_path: Path) -> None:
    seventy = "+".join(["1"] * 70)
    found = check_bank(tmp_path, numerical("s", f"quantity: {seventy}", answer="70"),
                       numerical("t", f"quantity: {'+'.join(['1'] * 400)}", answer="400"),
                       numerical("u", f"quantity: {'sin(' * 70}1{')' * 70}", answer="0", tolerance="1"))
    assert [(d.loc.line, d.code) for d in found] == [(16, "X101"), (23, "X101")]
    assert "chain" in found[0].message and "nested" in found[1].message


def test_full_width_letters_are_not_silently_ascii(tmp_path: Path) -> None:
    [d] = check_bank(tmp_path, numerical("w", "symbols: [x]\ngiven: {x: 4}\nquantity: 2*ｘ"))
    assert (d.loc.line, d.loc.col, d.code) == (11, 19, "X102")
    assert "U+FF58" in d.message and "type `x`" in d.message


def test_infinite_points_in_a_quiz(tmp_path: Path) -> None:
    cwd = bank(tmp_path, ESSAY)
    (cwd / "quizzes").mkdir()
    (cwd / "quizzes" / "x.yaml").write_text("title: X\nquestions:\n  - id: q1\n    points: .inf\n", encoding="utf-8")
    result = qbank(["check", "-j", "1", "--no-cache"], cwd, timeout=60)
    assert result.code == 1
    assert any(line.startswith("quizzes/x.yaml:4:13: Q103 ") for line in result.lines), result.err


def test_a_file_name_that_is_not_utf8_or_holds_a_newline(tmp_path: Path) -> None:
    import os

    cwd = bank(tmp_path, ESSAY)
    os.rename(cwd / "bank" / "b.yaml", os.fsencode(cwd / "bank") + b"/b\xff\n::warning::x.yaml")
    env = dict(os.environ, GITHUB_ACTIONS="true")
    result = qbank(["build", "-j", "1", "--no-cache"], cwd, timeout=60, env=env)
    assert result.code == 1 and not (cwd / "dist").exists()
    assert result.lines[0] == ("bank/b\\udcff\\n::warning::x.yaml:1:1: E009 the file name is not UTF-8 or holds a "
                               "control character (shown escaped); rename the file")
    assert [line[:12] for line in result.out.splitlines()] == ["::error file"]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the ignored alarms, as expected
def test_the_time_bound_survives_an_alarm_inside_a_gc_callback() -> None:
    """An exception raised in a garbage-collector callback is printed and ignored; hypothesis
    installs such a callback, and a check under the test suite once ran 6 minutes past its
    0.5 s bound. The alarm now fires again until it lands where it ends the check."""
    import gc
    import time

    from exporter.keys import CheckTimeout, _time_bound

    def slow_callback(phase: str, info: dict) -> None:
        until = time.perf_counter() + 0.001
        while time.perf_counter() < until:
            pass

    gc.callbacks.append(slow_callback)
    start = time.perf_counter()
    try:
        with pytest.raises(CheckTimeout), _time_bound(0.2):
            while time.perf_counter() - start < 20:
                [[] for _ in range(1000)]  # garbage: a collection every few iterations
    finally:
        gc.callbacks.remove(slow_callback)
    assert time.perf_counter() - start < 5


def test_drawing_with_where_conditions_is_under_the_time_bound(tmp_path: Path) -> None:
    text = "title: T\nquestions:\n" + numerical("p", "quantity: '1'").replace("text: What?", "text: What is {{t}}?").replace(
        "    check:", "    parameters:\n      values: {s: [1, 2, 3]}\n      derived: {t: 'sin(exp(exp(exp(3))))*s'}\n"
        "      where: 's > 0'\n    check:")
    result = qbank(["check", "-j", "1", "--no-cache", "--timeout", "2"], bank(tmp_path, text), timeout=60)
    assert result.code == 1 and result.seconds < 30
    [line] = [line for line in result.lines if LOCATED.match(line)]
    assert " V107 " in line and "the values of the draws could not be computed within 2 s" in line
