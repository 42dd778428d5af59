"""Partial credit, penalties, further numerical ranges and shuffling (issue 16), end to end.

bank/scoring-features.yaml is read back from each committed export by that target's own
rules — Moodle's importer (grade list, fractions, first matching range), Canvas's response
processing (the QTI interpreter of test_canvas, and its importer's weight rule), gift-pegjs
— and every credit is compared with the bank and with what sympy recomputes from the
question's check, not with the `correct:` flags alone. Then each kind of wrong credit or
key is shown to fail `qbank check`.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from exporter import credit, keys
from exporter.cli import main
from exporter.diagnostics import Collector
from exporter.load import load_banks
from exporter.model import Bank, Question
from exporter.text import to_html
from exporter.writers import canvas, gift, moodle

from gift_pegjs import gift_pegjs
from recomputed_keys import option_is_right
from test_canvas import canvas_choice_weights, items, parts, run, assert_scores_match_keys
from test_moodle import by_idnumber, importer_fraction, importer_problems, parse, text_of

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "bank" / "scoring-features.yaml"


@pytest.fixture(scope="module")
def bank() -> Bank:
    banks, found = load_banks([str(BANK)])
    assert found == [], [str(d) for d in found]
    (b,) = banks
    got = Collector()
    keys.check_questions(b.questions, got, jobs=1)
    assert got.items == [], [str(d) for d in got.items]
    return b


def is_right(q: Question, index: int) -> bool:
    """Whether option `index` is right, from the check alone (its value or its claim)."""
    c = q.choices[index]
    if c.claim is not None:
        return keys.decide_claim(keys.evaluate(q, c.claim, claim=True)).value is True
    return option_is_right(q, index)


def by_id(bank: Bank) -> dict[str, Question]:
    return {q.id: q for q in bank.questions}


def written(module, bank: Bank) -> bytes:
    found = Collector()
    data = module.write(bank, found)
    assert found.errors == []
    return data


def test_every_feature_is_in_the_bank(bank: Bank) -> None:
    qs = by_id(bank)
    assert any(c.credit and c.credit > 0 for c in qs["demo-credit-chain-rule"].choices)
    assert any(c.credit and c.credit < 0 for c in qs["demo-credit-chain-rule"].choices)
    assert credit.choice_weights(qs["demo-credit-descent"]) == [Fraction(1, 2), Fraction(1, 2), Fraction(-1)]
    assert [o.credit for o in qs["demo-credit-gradient-number"].other_answers] == [50, 0]
    assert [a.credit for a in qs["demo-credit-rule-name"].answers] == [None, None, 50, 0]
    assert qs["demo-shuffled-activations"].shuffle is True
    relative = qs["demo-relative-tolerance"]
    assert (relative.tolerance_percent, relative.tolerance) == (1.0, 0.0246)  # 1 % of 2.46, in decimal


# --- Moodle XML, read as Moodle's importer reads it


def test_moodle_reads_back_every_credit_and_range(bank: Bank) -> None:
    data = (ROOT / "dist" / "moodle" / "scoring-features.xml").read_bytes()
    assert data == written(moodle, bank)  # dist/ is up to date
    assert importer_problems(data) == []
    xml = by_idnumber(parse(data))
    for q in bank.questions:
        el = xml[q.id]
        answers = el.findall("answer")
        if q.type in ("multiple_choice", "multiple_answers"):
            texts = [to_html(c.text) for c in q.choices]
            expected = credit.choice_weights(q)
            for a in answers:
                i = texts.index(text_of(a))
                fraction = importer_fraction(a.get("fraction"))
                if expected is not None:
                    assert fraction == pytest.approx(float(expected[i]), abs=1e-7), (q.id, i)
                # full marks exactly where sympy says the option is right
                assert (fraction > 0.999999 if q.type == "multiple_choice" else fraction > 0) == is_right(q, i)
            assert el.findtext("shuffleanswers") == ("true" if q.shuffle else "false")
        elif q.type == "numerical":
            key, *others = [a for a in answers if text_of(a) != "*"]
            assert importer_fraction(key.get("fraction")) == 1
            quantity = keys.evaluate(q, q.check.quantity)
            assert len(others) == len(q.other_answers)
            # the key's range is the tolerance as written, or n % of |answer|, checked by sympy
            assert float(key.findtext("tolerance")) == q.tolerance
            assert abs(float(quantity.evalf(30)) - float(text_of(key))) <= q.tolerance
            for a, o in zip(others, q.other_answers):
                assert importer_fraction(a.get("fraction")) == pytest.approx(o.credit / 100, abs=1e-7)
                value, tolerance = float(text_of(a)), float(a.findtext("tolerance"))
                assert (value, tolerance) == (o.answer, o.tolerance)
                stands_for = float(keys.evaluate(q, o.value).evalf(30))
                assert abs(stands_for - value) <= tolerance  # the range holds what it says
                assert abs(float(quantity.evalf(30)) - value) > tolerance  # and never the key
        elif q.type == "short_answer":
            got = [(text_of(a), importer_fraction(a.get("fraction"))) for a in answers]
            assert got == [(a.text, float(credit.answer_weight(a.credit))) for a in q.answers]


# --- Canvas: what its importer keeps, and what the response processing scores


def test_canvas_scores_full_marks_only_for_the_key_and_never_the_partial_options(bank: Bank) -> None:
    data = (ROOT / "dist" / "canvas" / "scoring-features.zip").read_bytes()
    assert data == written(canvas, bank)
    assert_scores_match_keys(bank, data)  # full marks exactly for the recomputed key
    _, assessment, meta, _ = parts(data)
    by_ident = items(assessment)
    for q in bank.questions:
        item = by_ident[canvas.item_ident(q.id)]
        if q.type in ("multiple_choice", "multiple_answers"):
            labels = [l.get("ident") for l in item.iter(f"{{{canvas.QTI_NS}}}response_label")]
            # choice_interaction.rb keeps 100 for the correct options only: a partial option
            # must not be named by a positive condition (it would become fully correct)
            assert canvas_choice_weights(item) == {lb: 100 if c.correct else 0 for lb, c in zip(labels, q.choices)}
            if q.type == "multiple_choice":
                for lb, c in zip(labels, q.choices):
                    assert run(item, {"response1": lb})[0] == (canvas.FULL if c.correct else 0)
        if q.type == "numerical":
            for o in q.other_answers:  # left out: typed, they score 0, never 100
                assert run(item, {"response1": str(o.answer)})[0] == 0
        if q.type == "short_answer":
            kept = {v.text for v in item.iter(f"{{{canvas.QTI_NS}}}varequal")}
            assert kept == {a.text for a in q.answers if a.credit is None}
    assert meta.findtext(f"{{{canvas.CANVAS_NS}}}shuffle_answers") == "false"  # not every question asks


def test_canvas_says_what_it_cannot_keep_at_each_credit(bank: Bank) -> None:
    found = Collector()
    canvas.write(bank, found)
    lines = BANK.read_text(encoding="utf-8").splitlines()
    located = sorted((d.code, lines[d.loc.line - 1].strip()) for d in found.warnings)
    assert located == sorted([
        ("C206", "credit: 25"), ("C206", "credit: -25"), ("C206", "- id: demo-credit-descent"),
        ("C206", "credit: 50"), ("W201", "credit: 0"),  # numerical ranges
        ("C206", "credit: 50"), ("W201", "credit: 0"),  # short answers
        ("C207", "- id: demo-shuffled-activations"),
    ])
    assert all(d.severity == "warning" for d in found.warnings)


# --- GIFT, read by gift-pegjs


def test_gift_pegjs_reads_back_every_credit(bank: Bank) -> None:
    text = (ROOT / "dist" / "gift" / "scoring-features.gift.txt").read_text(encoding="utf-8")
    assert text.encode() == written(gift, bank)
    (result,) = gift_pegjs([text])
    got = {x["id"]: x for x in result["questions"] if x["type"] != "Category"}
    qs = by_id(bank)
    chain = [(c["isCorrect"], c["weight"]) for c in got["demo-credit-chain-rule"]["choices"]]
    assert chain == [(True, None), (False, 25), (False, -25), (False, None)]
    assert [c["weight"] for c in got["demo-credit-descent"]["choices"]] == [50, 50, -100]
    numbers = [(c["weight"], c["text"]["number"], c["text"]["range"]) for c in got["demo-credit-gradient-number"]["choices"]]
    assert numbers == [(None, -0.064, 0.0005)] + [(o.credit, o.answer, o.tolerance)
                                                   for o in qs["demo-credit-gradient-number"].other_answers]
    words = [(c["text"]["text"], c["weight"]) for c in got["demo-credit-rule-name"]["choices"]]
    assert words == [("chain rule", 100), ("the chain rule", 100), ("chain", 50), ("product rule", 0)]


# --- a wrong credit or key fails `qbank check`

MUTATIONS = [
    # a partial-credit option that is in fact the key
    ("        value: cos(3*x**2)\n", "        value: 6*x*cos(3*x**2)\n", "K102"),
    # full credit on an incorrect option
    ("        credit: 25\n", "        credit: 100\n", "E217"),
    # the key given less than 100 %
    ("        correct: true\n        value: 6*x*cos(3*x**2)\n",
     "        correct: true\n        credit: 75\n        value: 6*x*cos(3*x**2)\n", "E217"),
    # multiple answers: correct credits not adding up to 100
    ("        credit: 50\n        claim: diff(C, w2) > 0\n", "        credit: 40\n        claim: diff(C, w2) > 0\n", "E217"),
    # multiple answers: a positive credit on an incorrect option
    ("        credit: -100\n", "        credit: 10\n", "E217"),
    # multiple answers: a credited option keyed correct that sympy finds wrong
    ("        claim: diff(C, w1) > 0\n", "        claim: diff(C, w1) < 0\n", "K101"),
    # a numerical range that does not hold what it stands for
    ("      - answer: -0.032\n", "      - answer: -0.030\n", "K103"),
    # a numerical range that holds the key
    ("      - answer: -0.032\n        tolerance: 0.0005\n", "      - answer: -0.032\n        tolerance: 0.05\n", "K115"),
    # a short answer question without an answer worth 100 %
    ("      - text: chain rule\n      - text: the chain rule\n",
     "      - text: chain rule\n        credit: 90\n      - text: the chain rule\n        credit: 90\n", "E217"),
]


@pytest.mark.parametrize("old,new,code", MUTATIONS, ids=[f"{c}-{i}" for i, (_, _, c) in enumerate(MUTATIONS)])
def test_a_wrong_credit_or_key_is_caught(old: str, new: str, code: str, tmp_path: Path, capsys) -> None:
    text = BANK.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "scoring-features.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    assert main(["check", str(path), "--no-cache", "-j", "1"]) == 1
    err = capsys.readouterr().err
    found = re.findall(r":(\d+):\d+: ([A-Z]\d{3}) ", err)
    # the expected finding (a text no longer showing its value may add a K120 as well)
    assert code in [c for _, c in found] and {c for _, c in found} <= {code, "K120"}, err
    line = int(next(n for n, c in found if c == code))
    changed = text.replace(old, new).splitlines()
    assert 1 <= line <= len(changed)  # located in the file


def test_a_credit_moodle_cannot_store_is_a_located_error_not_another_grade(bank: Bank) -> None:
    from dataclasses import replace

    q = by_id(bank)["demo-credit-chain-rule"]
    odd = replace(q.choices[1], credit=45.0)
    changed = replace(bank, questions=(replace(q, choices=(q.choices[0], odd, *q.choices[2:])),))
    for module in (moodle, gift):
        found = Collector()
        data = module.write(changed, found)
        assert [(d.code, d.loc) for d in found.errors] == [("M101", odd.credit_loc)], module.TARGET
        assert b"demo-credit-chain-rule" not in data  # left out, never written with another grade


def test_shuffle_on_a_question_without_options_is_refused(tmp_path: Path, capsys) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("title: T\nquestions:\n  - id: n\n    type: numerical\n    shuffle: true\n    text: x?\n"
                    "    answer: 1\n    tolerance: 0\n    check: {manual: nothing to compute here}\n", encoding="utf-8")
    assert main(["check", str(path), "--no-cache"]) == 1
    assert f"{path}:5:14: E218 " in capsys.readouterr().err


def test_every_shuffle_asked_turns_the_canvas_quiz_setting_on(bank: Bank) -> None:
    from dataclasses import replace

    choice_like = [q for q in bank.questions if q.type in ("multiple_choice", "multiple_answers", "matching")]
    shuffled = replace(bank, questions=tuple(replace(q, shuffle=True) if q in choice_like else q for q in bank.questions))
    found = Collector()
    _, _, meta, _ = parts(canvas.write(shuffled, found))
    assert meta.findtext(f"{{{canvas.CANVAS_NS}}}shuffle_answers") == "true"
    assert not [d for d in found.warnings if d.code == "C207"]


def test_variants_keep_each_short_answers_credit(tmp_path: Path) -> None:
    """A parametrised short answer's variants keep every answer's credit (they were rebuilt
    without it once, which would have made a half-credit answer worth 100 %)."""
    bank = expanded(tmp_path, "  - id: unit\n    type: short_answer\n    text: Unit of {{q}}?\n"
                    "    parameters:\n      values:\n        q: [speed, distance]\n"
                    "    answers:\n      - text: SI unit of {{q}}\n      - text: a unit\n        credit: 50\n"
                    "        feedback: Which one, for {{q}}?\n    check: {manual: a word answer}\n")
    made = [q for q in bank.questions if q.variant_of == "unit"]
    assert len(made) == 2
    for q in made:
        assert [a.credit for a in q.answers] == [None, 50]
        assert "{{" not in q.answers[1].feedback
        data = written(moodle, replace_bank(bank, q))
        assert [a.get("fraction") for a in parse(data).iter("answer")] == ["100", "50"]


def expanded(tmp_path: Path, questions: str) -> Bank:
    """A one-file bank of `questions` (YAML), loaded clean and expanded into its variants."""
    from exporter import variants

    path = tmp_path / "b.yaml"
    path.write_text("title: T\nquestions:\n" + questions, encoding="utf-8")
    banks, found = load_banks([str(path)])
    assert found == [], [str(d) for d in found]
    (bank,) = variants.expand(banks)
    return bank


def replace_bank(bank: Bank, q: Question) -> Bank:
    from dataclasses import replace

    return replace(bank, questions=(q,), groups=())


def test_a_relative_tolerance_follows_each_variant(tmp_path: Path) -> None:
    bank = expanded(tmp_path, "  - id: step\n    type: numerical\n    text: w - {{eta}}*0.8?\n"
                    "    parameters:\n      values:\n        eta: [0.05, 0.5]\n      derived:\n        key: 2.5 - eta*0.8\n"
                    "    answer: '{{key}}'\n    tolerance: 2%\n"
                    "    check:\n      symbols: [w]\n      given: {w: 2.5}\n      quantity: w - eta*0.8\n")
    made = sorted((q.answer, q.tolerance) for q in bank.questions if q.variant_of == "step")
    assert made == [(2.1, 0.042), (2.46, 0.0492)]
    got = Collector()
    keys.check_questions(bank.questions, got, jobs=1)
    assert got.items == []
