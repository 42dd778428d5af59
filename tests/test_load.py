"""The loader's rules, one bad bank each, with the exact location and code it must report."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from exporter.load import PathError, load_banks
from exporter.model import Bank

REPO = Path(__file__).resolve().parents[1]

GOOD_QUESTION = """\
  - id: q1
    type: numerical
    text: What is $1 + 1$?
    answer: 2
    tolerance: 0
    check:
      quantity: 1 + 1
"""


def write(tmp_path: Path, body: str, name: str = "b.yaml") -> Path:
    f = tmp_path / name
    f.write_text(textwrap.dedent(body), encoding="utf-8")
    return f


def problems(tmp_path: Path, body: str) -> list[tuple[int, int, str]]:
    write(tmp_path, body)
    _, found = load_banks([str(tmp_path)])
    return [(d.loc.line, d.loc.col, d.code) for d in found]


def messages(tmp_path: Path, body: str) -> list[str]:
    write(tmp_path, body)
    _, found = load_banks([str(tmp_path)])
    return [str(d) for d in found]


def test_seed_bank_loads_clean() -> None:
    banks, found = load_banks([str(REPO / "bank")])
    assert found == []
    assert [b.name for b in banks] == ["quiz2-differentiation", "scoring-features", "statistics-basics"]
    bank: Bank = banks[0]
    assert len(bank.questions) == 12
    assert len({q.id for q in bank.questions}) == 12
    assert all(q.solution for q in bank.questions)
    assert sum(q.check is not None and q.check.is_manual for q in bank.questions) == 1


def test_seed_bank_has_no_scrape_damage() -> None:
    """The scrape ate `\\f…` and `\\t…` commands: `rac{`, `ext{`, `imes` betray it."""
    text = (REPO / "bank" / "quiz2-differentiation.yaml").read_text(encoding="utf-8")
    for damaged in ("rac{", "ext{", "imes", " anh"):
        for line in text.splitlines():
            assert damaged not in line.replace("\\frac{", "").replace("\\text{", "").replace("\\times", "").replace("\\tanh", ""), line


def test_check_values_keep_source_text() -> None:
    """`0.1` must reach sympy as written, not as a binary float."""
    banks, _ = load_banks([str(REPO / "bank")])
    q = next(q for q in banks[0].questions if q.id == "backprop-chain-gradients")
    assert ("w1", "0.1") in [(n, v) for n, v, _ in q.check.given]


def test_yaml_syntax_error(tmp_path: Path) -> None:
    assert problems(tmp_path, "title: x\nquestions: [\n") == [(3, 1, "E001")]


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_bytes(b"title: caf\xe9\nquestions: []\n")
    assert problems_of(tmp_path) == [(1, 11, "E002")]


def problems_of(tmp_path: Path) -> list[tuple[int, int, str]]:
    _, found = load_banks([str(tmp_path)])
    return [(d.loc.line, d.loc.col, d.code) for d in found]


def test_empty_file(tmp_path: Path) -> None:
    assert problems(tmp_path, "# nothing yet\n\n") == [(1, 1, "E003")]


def test_tab_in_indentation(tmp_path: Path) -> None:
    found = problems(tmp_path, "title: x\nquestions:\n" + GOOD_QUESTION.replace("    text:", "\ttext:"))
    assert (5, 1, "E004") in found


def test_duplicate_key(tmp_path: Path) -> None:
    body = "title: x\nquestions:\n" + GOOD_QUESTION.replace("    tolerance: 0\n", "    tolerance: 0\n    answer: 3\n")
    found = messages(tmp_path, body)
    assert any(m.endswith(":8:5: E005 duplicate key `answer` (first at line 6); YAML would silently keep only this one: merge or delete one of them") for m in found)


def test_unknown_field_with_hint(tmp_path: Path) -> None:
    body = "title: x\nquestions:\n" + GOOD_QUESTION.replace("tolerance:", "tolerence:")
    found = messages(tmp_path, body)
    assert any(":7:5: E101 unknown field `tolerence`" in m and "did you mean `tolerance`?" in m for m in found), found
    assert any(":3:5: E102 missing required field `tolerance`" in m for m in found), found


def test_wrong_type(tmp_path: Path) -> None:
    body = "title: x\nquestions:\n" + GOOD_QUESTION.replace("    answer: 2\n", "    answer: 2\n    points: one\n")
    assert (7, 13, "E103") in problems(tmp_path, body)


def test_unknown_question_type_with_hint(tmp_path: Path) -> None:
    body = "title: x\nquestions:\n" + GOOD_QUESTION.replace("type: numerical", "type: numericle")
    found = messages(tmp_path, body)
    assert any(":4:11: E104" in m and "did you mean `numerical`?" in m for m in found), found


def test_bad_id(tmp_path: Path) -> None:
    body = "title: x\nquestions:\n" + GOOD_QUESTION.replace("id: q1", "id: Chain Rule")
    assert (3, 9, "E105") in problems(tmp_path, body)


CHOICE_Q = """\
title: x
questions:
  - id: mc
    type: {type}
    text: Pick.
    choices:
      - text: a
        correct: {a}
      - text: b
        correct: {b}
    check:
      manual: opinion question, nothing to compute
"""


def test_multiple_choice_needs_exactly_one_correct(tmp_path: Path) -> None:
    found = messages(tmp_path, CHOICE_Q.format(type="multiple_choice", a="true", b="true"))
    assert any(":7:7: E106 a multiple_choice question needs exactly one choice with `correct: true`; found 2" in m for m in found), found


def test_multiple_answers_needs_one_correct(tmp_path: Path) -> None:
    assert problems(tmp_path, CHOICE_Q.format(type="multiple_answers", a="false", b="false")) == [(7, 7, "E106")]


def test_too_few_choices(tmp_path: Path) -> None:
    body = CHOICE_Q.format(type="multiple_choice", a="true", b="false").replace("      - text: b\n        correct: false\n", "")
    assert problems(tmp_path, body) == [(7, 7, "E107")]


def test_negative_tolerance(tmp_path: Path) -> None:
    body = "title: x\nquestions:\n" + GOOD_QUESTION.replace("tolerance: 0", "tolerance: -0.1")
    assert problems(tmp_path, body) == [(7, 16, "E109")]


def test_field_the_type_does_not_use(tmp_path: Path) -> None:
    body = CHOICE_Q.format(type="multiple_choice", a="true", b="false").replace("    check:", "    tolerance: 0.1\n    check:")
    found = messages(tmp_path, body)
    assert any(":11:5: E112 `tolerance` is not used by a multiple_choice question" in m for m in found), found


def test_choice_with_value_and_claim(tmp_path: Path) -> None:
    body = CHOICE_Q.format(type="multiple_choice", a="true", b="false").replace(
        "        correct: true\n", "        correct: true\n        value: 1\n        claim: 1 > 0\n"
    )
    assert (7, 9, "E113") in problems(tmp_path, body)


def test_check_that_checks_nothing(tmp_path: Path) -> None:
    body = "title: x\nquestions:\n" + GOOD_QUESTION.replace("      quantity: 1 + 1\n", "      symbols: [x]\n")
    assert problems(tmp_path, body) == [(9, 7, "E114")]


def test_manual_check_needs_a_reason(tmp_path: Path) -> None:
    body = CHOICE_Q.format(type="multiple_choice", a="true", b="false").replace("opinion question, nothing to compute", '""')
    assert problems(tmp_path, body) == [(12, 15, "E110")]


def test_missing_check(tmp_path: Path) -> None:
    body = "title: x\nquestions:\n" + GOOD_QUESTION.replace("    check:\n      quantity: 1 + 1\n", "")
    found = messages(tmp_path, body)
    assert [m.split("/")[-1] for m in found] == [
        "b.yaml:3:9: K106 `questions[0]` (question `q1`) has no `check`: add one that recomputes the key "
        '(see "The check block" in the README), or `check: {manual: <why it cannot be computed>}`'
    ]


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    write(tmp_path, "title: a\nquestions:\n" + GOOD_QUESTION, "a.yaml")
    write(tmp_path, "title: b\nquestions:\n" + GOOD_QUESTION, "b.yaml")
    banks, found = load_banks([str(tmp_path)])
    assert [(Path(d.loc.path).name, d.loc.line, d.loc.col, d.code) for d in found] == [("b.yaml", 3, 9, "E201")]
    assert "a.yaml:3:9" in found[0].message
    assert [len(b.questions) for b in banks] == [1, 0]


def test_duplicate_choice_text(tmp_path: Path) -> None:
    body = CHOICE_Q.format(type="multiple_choice", a="true", b="false").replace("text: b", "text: a")
    assert problems(tmp_path, body) == [(9, 9, "E202")]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(PathError):
        load_banks([str(tmp_path / "nope")])


def test_twenty_mistakes_all_reported_in_one_run(tmp_path: Path) -> None:
    """Each question below has exactly one mistake; every one must be reported."""
    mistakes = [
        ("type: numericle", "E104"),
        ("tolerence: 0", "E101"),
        ("points: one", "E103"),
        ("id: Bad Id", "E105"),
        ("tolerance: -1", "E109"),
        ("answer: two", "E103"),
        ("text: ''", "E110"),
        ("points: 0", "E109"),
        ("tags: [a, a]", "E108"),
        ("title: ''", "E110"),
        ("feedback: {right: yes}", "E101"),
        ("category: oops", "E103"),
        ("solution: 3", "E103"),
        ("choices: []", "E112"),
        ("pairs: []", "E112"),
        ("answerz: 1", "E101"),
        ("id: UPPER", "E105"),
        ("type: 7", "E104"),
        ("tags: [a, 'b,c']", "E105"),
        ("distractors: [x]", "E112"),
    ]
    body = "title: x\nquestions:\n"
    for i, (mistake, _) in enumerate(mistakes):
        fields = {"id": f"q{i}", "type": "numerical", "text": "Q?", "answer": "2", "tolerance": "0"}
        key = mistake.split(":")[0]
        lines = [f"{k}: {v}" for k, v in fields.items() if k != key and not (key == "tolerence" and k == "tolerance")]
        lines.append(mistake)
        body += "  - " + "\n    ".join(lines) + "\n    check:\n      quantity: 1 + 1\n"
    write(tmp_path, body)
    _, found = load_banks([str(tmp_path)])
    question_lines = [i + 3 for i, line in enumerate(body.splitlines()[2:]) if line.startswith("  - ")]
    per_question = {}
    for d in found:
        q = max(n for n, line in enumerate(question_lines) if line <= d.loc.line)
        per_question.setdefault(q, set()).add(d.code)
    assert len(per_question) == 20, per_question
    for i, (_, code) in enumerate(mistakes):
        assert code in per_question[i], (i, mistakes[i], per_question[i])
