"""Cloze questions: parts checked like whole questions, and read back from every target by
the targets' own rules (Moodle's multianswer parser re-implemented, the QTI XSD and the
respcondition interpreter, gift-pegjs)."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

import exporter
from exporter.diagnostics import Collector
from exporter.load import load_banks
from exporter.model import Bank
from exporter.text import to_html
from exporter.writers import canvas, gift, moodle
from exporter.writers.moodle_cloze import encode, inline

from gift_pegjs import gift_pegjs
from ims_schemas import assert_valid
from moodle_multianswer import extract_question
from test_canvas import assert_scores_match_keys, items, metadata, parts, run

NASTY_ANSWER = "a}b#c~d&e\\f*g<h>"
BANK = r"""title: Cloze
questions:
  - id: mixed
    type: cloze
    text: |
      With $a = 1$, the value is [[value]] and the word is [[word]];
      the derivative of $x^2$ is [[pick]].
    parts:
      - name: value
        type: numerical
        points: 2
        answer: 0.25
        tolerance: 0.05
        check: {quantity: a/4}
      - name: word
        type: short_answer
        answers:
          - {text: 'NASTY', feedback: 'Yes: $\{x\}$ ~ # } done'}
          - {text: 'plain'}
        check: {manual: 'a word, not a number'}
      - name: pick
        type: multiple_choice
        choices:
          - {text: '$2x$', correct: true, value: 2*x}
          - {text: '$x$', correct: false, value: x, feedback: 'Half of it: #1 ~ }'}
        check: {symbols: [x], quantity: 'diff(x**2, x)'}
    check:
      symbols: [a]
      given: {a: 1}
  - id: dropdowns
    type: cloze
    text: "Pick [[first]], then [[second]]."
    parts:
      - name: first
        type: multiple_choice
        choices: [{text: one, correct: true, value: 1}, {text: two, correct: false, value: 2}]
        check: {quantity: '1'}
      - name: second
        type: multiple_choice
        choices: [{text: three, correct: false, value: 3}, {text: four, correct: true, value: 4}]
        check: {quantity: '4'}
    check: {manual: nothing is shared by the parts}
  - id: one-blank
    type: cloze
    text: "The capital of France is [[city]], as everyone knows."
    parts:
      - name: city
        type: short_answer
        answers: [{text: Paris}]
        check: {manual: 'a name, not a number'}
    check: {manual: nothing is shared by the parts}
""".replace("NASTY", NASTY_ANSWER.replace("'", "''"))


def bank_file(tmp_path: Path, text: str = BANK) -> Path:
    folder = tmp_path / "bank"
    folder.mkdir(exist_ok=True)
    path = folder / "cloze.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path) -> Bank:
    banks, found = load_banks([str(bank_file(tmp_path))])
    assert found == [], [str(d) for d in found]
    return banks[0]


def check(path: Path) -> list[str]:
    result = exporter.check([str(path)], cache=False, jobs=1, quizzes=None)
    return [f"{d.loc.line}:{d.code}" for d in result.diagnostics]


# --- checking -----------------------------------------------------------------------------

def test_every_part_is_checked_and_a_clean_bank_is_clean(tmp_path: Path) -> None:
    assert check(bank_file(tmp_path)) == []


@pytest.mark.parametrize("changes, marker", [
    ([("answer: 0.25", "answer: 0.5")], "answer: 0.5"),  # numerical part
    ([("correct: true, value: 2*x", "correct: false, value: 2*x"),
      ("correct: false, value: x,", "correct: true, value: x,")], "correct: false, value: 2*x"),  # choice part
])
def test_a_wrong_part_key_is_caught_at_the_part(tmp_path: Path, changes: list, marker: str) -> None:
    text = BANK
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    path = bank_file(tmp_path, text)
    found = check(path)
    assert found and all(f.split(":")[1].startswith("K1") for f in found), found
    line = next(i for i, row in enumerate(path.read_text().splitlines(), 1) if marker in row)
    assert any(f.startswith(f"{line}:") for f in found), (line, found)


def test_the_seed_cloze_port_checks_like_its_choice_twin() -> None:
    result = exporter.check(["bank"], cache=False, jobs=1, quizzes=None)
    assert result.diagnostics == []
    (q,) = [q for b in result.banks for q in b.questions if q.id == "diff-partials-vector-cloze"]
    assert [(p.name, p.answer) for p in q.parts] == [("dy", 10), ("dz", -10), ("dx1", -20), ("dx2", -60)]
    assert q.points == 4


@pytest.mark.parametrize("old, new, code", [
    ("[[word]]", "[[wrd]]", "E231"),            # a blank naming no part (and a part not placed)
    ("[[pick]]", "[[pick]] [[pick]]", "E230"),  # a part placed twice
    ("name: word", "name: value", "E232"),      # two parts with one name
    ("    check:\n      symbols: [a]", "    points: 3\n    check:\n      symbols: [a]", "E233"),
    ("{text: '$x$', correct: false,", "{text: '$x$', correct: false, credit: 50,", "E234"),
])
def test_blank_rules(tmp_path: Path, old: str, new: str, code: str) -> None:
    text = BANK.replace(old, new, 1)
    assert text != BANK
    _, found = load_banks([str(bank_file(tmp_path, text))])
    assert code in {d.code for d in found}, [str(d) for d in found]
    assert all(d.loc.line > 1 for d in found)


def test_cloze_takes_no_question_level_answer(tmp_path: Path) -> None:
    _, found = load_banks([str(bank_file(tmp_path, BANK.replace("    check:\n      symbols: [a]",
                                                                   "    answer: 1\n    check:\n      symbols: [a]", 1)))])
    assert [d.code for d in found] and all(d.code.startswith("E1") for d in found)


# --- Moodle: read back by Moodle's own Cloze parser ---------------------------------------

def moodle_parts(bank: Bank) -> dict[str, tuple[str, list]]:
    report = Collector()
    data = moodle.write(bank, report)
    from lxml import etree

    root = etree.fromstring(data)
    out = {}
    for q in root.iter("question"):
        if q.get("type") == "cloze":
            out[q.findtext("idnumber")] = extract_question(q.findtext("questiontext/text"))
    return out


def test_moodle_cloze_reads_back_exactly(tmp_path: Path) -> None:
    bank = load(tmp_path)
    text, (value, word, pick) = moodle_parts(bank)["mixed"]
    assert "the value is {#1} and the word is {#2}" in text and "is {#3}." in text
    assert (value.qtype, value.mark, value.answers, value.tolerance, value.fractions) == \
        ("numerical", 2, ["0.25"], ["0.05"], [1.0])
    assert word.qtype == "shortanswer" and word.mark == 1
    # Moodle reads `\*` as a literal star in a short-answer pattern
    assert word.answers == [NASTY_ANSWER.replace("*", "\\*"), "plain"]
    assert word.feedback[0] == inline(to_html("Yes: $\\{x\\}$ ~ # } done"))
    assert pick.kind == "multichoice_v"  # math in the options: radio buttons, not a drop-down
    assert pick.answers == [inline(to_html("$2x$")), inline(to_html("$x$"))] and pick.fractions == [1.0, 0.0]
    assert pick.feedback == ["", inline(to_html("Half of it: #1 ~ }"))]
    _, (first, second) = moodle_parts(bank)["dropdowns"]
    assert (first.kind, first.answers, first.fractions) == ("multichoice", ["one", "two"], [1.0, 0.0])
    assert (second.answers, second.fractions) == (["three", "four"], [0.0, 1.0])


@pytest.mark.parametrize("text", ["}", "#", "~", "\\", "&", "&amp;", "\\}", "a\\#b", "&#126;", "x~y#z}w\\"])
def test_encoding_survives_the_parser_at_every_position(text: str) -> None:
    for fb in ("", "f" + text):
        embedded = "{1:SHORTANSWER:=" + encode(text) + ("#" + encode(fb) if fb else "") + "~=" + encode(text + "2") + "}"
        _, (w,) = extract_question("before " + embedded + " after")
        assert w.answers == [text, text + "2"], embedded
        assert w.feedback == [fb, ""], embedded


def test_text_that_reads_as_a_blank_is_refused(tmp_path: Path) -> None:
    bank = load(tmp_path)
    q = bank.questions[2]
    from dataclasses import replace

    bad = replace(bank, questions=(replace(q, text="Write {1:SA:x} here: [[city]]"),))
    report = Collector()
    moodle.write(bad, report)
    assert [d.code for d in report.items] == ["M130"]


# --- Canvas: the QTI XSD and the respcondition interpreter --------------------------------

def test_canvas_blanks_validate_and_score_as_the_bank_says(tmp_path: Path) -> None:
    bank = load(tmp_path)
    report = Collector()
    data = canvas.write(bank, report)
    manifest, assessment, _, _ = parts(data)
    assert_valid(assessment, "qti/ims_qtiasiv1p2.xsd")
    assert_scores_match_keys(bank, data)
    by_ident = items(assessment)
    mixed = by_ident[canvas.item_ident("mixed")]
    assert metadata(mixed)["question_type"] == "fill_in_multiple_blanks_question"
    assert metadata(by_ident[canvas.item_ident("dropdowns")])["question_type"] == "multiple_dropdowns_question"
    question_text = html.unescape(mixed.findtext(".//{*}presentation/{*}material/{*}mattext"))
    assert "[value]" in question_text and "[word]" in question_text and "[[" not in question_text
    codes = sorted(d.code for d in report.items)
    # tolerance lost on `value`, options not shown for `pick`, unequal points, per-answer feedback
    assert codes == ["C230", "C230", "C230", "C230", "C231"], [str(d) for d in report.items]
    # half marks: only the last drop-down right
    drop = by_ident[canvas.item_ident("dropdowns")]
    labels = {lid.get("ident"): [l.get("ident") for l in lid.iter("{*}response_label")] for lid in drop.iter("{*}response_lid")}
    score, _ = run(drop, {"response_first": labels["response_first"][1], "response_second": labels["response_second"][1]})
    assert score == 50


def test_seed_cloze_in_canvas_accepts_integer_spellings_without_a_warning() -> None:
    banks, _ = load_banks(["bank/quiz2-differentiation.yaml"])
    report = Collector()
    data = canvas.write(banks[0], report)
    assert report.items == []
    _, assessment, _, _ = parts(data)
    item = items(assessment)[canvas.item_ident("diff-partials-vector-cloze")]
    dx2 = item.find(".//{*}response_lid[@ident='response_dx2']")
    assert [l.findtext(".//{*}mattext") for l in dx2.iter("{*}response_label")] == ["-60", "-60.0"]


# --- GIFT: one blank mid-sentence, or left out --------------------------------------------

def test_gift_keeps_one_blank_mid_sentence_and_leaves_out_the_rest(tmp_path: Path) -> None:
    bank = load(tmp_path)
    report = Collector()
    text = gift.write(bank, report).decode("utf-8")
    left_out = sorted((d.code, d.message.split("'")[1]) for d in report.items)
    assert left_out == [("G200", "dropdowns"), ("G200", "mixed")]
    [result] = gift_pegjs([text])
    assert "error" not in result, result
    (q,) = [x for x in result["questions"] if x.get("id") == "one-blank"]
    assert q["hasEmbeddedAnswers"] is True
    assert "The capital of France is" in q["stem"]["text"] and "as everyone knows." in q["stem"]["text"]
    assert [c["text"]["text"] for c in q["choices"] if c["isCorrect"]] == ["Paris"]


def test_skip_leaves_a_question_out_of_one_target_on_purpose(tmp_path: Path) -> None:
    path = bank_file(tmp_path, BANK.replace("  - id: mixed\n", "  - id: mixed\n    skip: {gift: four kinds of blank}\n", 1))
    result = exporter.check([str(path)], cache=False, jobs=1, quizzes=None)
    built = exporter.build(result, tmp_path / "out")
    gift_findings = [d.message.split("'")[1] for d in built.diagnostics if d.code.startswith("G")]
    assert gift_findings == ["dropdowns"]  # `mixed` was skipped on purpose: no finding about it
    assert "mixed" not in (tmp_path / "out" / "gift" / "cloze.gift.txt").read_text()
    assert "mixed" in (tmp_path / "out" / "moodle" / "cloze.xml").read_text()


# --- import: the readers say what they cannot bring in ------------------------------------

@pytest.mark.parametrize("export", ["dist/moodle/quiz2-differentiation.xml", "dist/canvas/quiz2-differentiation.zip"])
def test_import_reports_a_cloze_question_it_cannot_read(export: str, tmp_path: Path, capsys) -> None:
    from exporter.cli import main

    main(["import", str(Path(export).resolve()), "-o", str(tmp_path / "imported.yaml")])
    err = capsys.readouterr().err
    skipped = [line for line in err.splitlines() if " I108 " in line and "fill in" in line]
    assert len(skipped) == 1 and ("cloze" in skipped[0] or "fill_in_multiple_blanks" in skipped[0]), err
    assert "diff-partials-vector-cloze" not in (tmp_path / "imported.yaml").read_text()
