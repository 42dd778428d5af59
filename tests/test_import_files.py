"""Real files no one here wrote: Moodle's own GIFT examples and importer test fixtures.

Each file is imported as a user would (`qbank import`), the bank written is loaded back by
the bank loader, and the keys are compared with what Moodle's importer makes of the same
text (question/format/gift/format.php, question/format/xml/format.php): every question
Moodle would import as a qbank type is kept, with its key; the rest are listed, located.
Origin and licence of the fixtures: tests/import_fixtures/moodle/README.md.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import lxml.html
import pytest

from exporter.cli import main
from exporter.load import load_file
from exporter.model import Bank, Question
from exporter.text import to_html

MOODLE = Path(__file__).resolve().parent / "import_fixtures" / "moodle"


def imported(tmp_path: Path, name: str, capsys) -> tuple[Bank, str, int]:
    out = tmp_path / "bank" / "imported.yaml"
    code = main(["import", str(MOODLE / name), "-o", str(out)])
    err = capsys.readouterr().err
    bank, problems = load_file(out)
    assert bank is not None
    assert [p for p in problems if p.severity == "error"] == []
    return bank, err, code


def by_text(bank: Bank, start: str) -> list[Question]:
    return [q for q in bank.questions if q.text.startswith(start)]


def shown(markdown: str) -> str:
    """What students read: the Markdown rendered by the writers' text layer, as text."""
    return lxml.html.fragment_fromstring(to_html(markdown), create_parent="div").text_content()


def key(q: Question) -> object:
    if q.type in ("multiple_choice", "multiple_answers"):
        return sorted(c.text for c in q.choices if c.correct)
    if q.type == "numerical":
        return (q.answer, q.tolerance)
    if q.type == "short_answer":
        return sorted(a.text for a in q.answers if a.credit is None)
    if q.type == "matching":
        return [(p.left, p.right) for p in q.pairs] + [("", d) for d in q.distractors]
    return q.answer


def test_moodle_gift_examples_all_imported_with_their_keys(tmp_path: Path, capsys) -> None:
    bank, err, code = imported(tmp_path, "examples.txt", capsys)
    assert code == 0
    # 43 question blocks, all of types qbank has: none is skipped
    assert len(bank.questions) == 43
    assert "I108" not in err
    assert "qbank: imported 43 question(s)" in err and "43 unverified" in err
    tomb = by_text(bank, "Who's buried in Grant's tomb?")
    assert [q.type for q in tomb][:2] == ["multiple_choice", "short_answer"]
    assert key(tomb[0]) == ["no one"] and key(tomb[1]) == ["no one", "nobody"]
    gap = by_text(bank, "Grant is \\_\\_\\_\\_\\_ in Grant's tomb.")  # the gap of a "missing word" question
    assert gap and all(key(q) == ["entombed"] for q in gap)
    assert [key(q) for q in by_text(bank, "Grant is buried in Grant's tomb.")] == [False, False, False, False]
    assert [key(q) for q in by_text(bank, "When was Ulysses S. Grant born?")] == [
        (1822, 1.0), (1822, 0.0), (1822, 0.0), (1822, 5.0), (1822, 0.0)]
    pi = by_text(bank, "What is the value of pi")
    assert key(pi[0]) == (3.1415, 0.0005)
    assert key(pi[1])[0] == pytest.approx(3.1415) and key(pi[1])[1] == pytest.approx(0.0005)
    assert key(by_text(bank, "The sun rises in the east.")[0]) is True
    capitals = by_text(bank, "Match the following countries")
    assert key(capitals[0]) == [("Canada", "Ottawa"), ("Italy", "Rome"), ("Japan", "Tokyo"), ("India", "New Delhi")]
    both = by_text(bank, "What two people are entombed")
    assert [q.type for q in both] == ["multiple_answers", "multiple_answers"]
    assert all(key(q) == ["Grant", "Grant's wife"] for q in both)
    equals = by_text(bank, "Which answer equals 5?")[0]
    assert [shown(c.text) for c in equals.choices] == ["= 2 + 2", "= 2 + 3", "= 2 + 4"]
    assert key(equals) == ["= 2 + 3"]
    control = [q for q in bank.questions if q.title == "GIFT Control Characters"][0]
    assert [shown(c.text) for c in control.choices] == ["~", "=", "#", "{", "}", "\\"]
    assert [c.correct for c in control.choices] == [False] * 5 + [True]
    assert shown(control.choices[-1].feedback).startswith("Correct! \\ (backslash) is not a control character. BUT,")
    markdown = by_text(bank, "Who's buried in **Grant's tomb**?")  # [markdown] text kept as written
    assert markdown and key(markdown[0]) == ["no one", "nobody"]
    named = [q for q in bank.questions if q.title == "Kanji Origins"][0]
    assert named.id == "kanji-origins" and key(named) == ["China"]
    # partial credit is kept as the bank's `credit:`, option by option (no I202 any more)
    assert not re.search(r"examples\.txt:115:1: I202", err)
    (difficult,) = by_text(bank, "Difficult question.")
    assert [(c.text, c.correct, c.credit) for c in difficult.choices] == [
        ("wrong answer", False, None), ("half credit answer", False, 50), ("full credit answer", True, None)]
    hometown = [q for q in bank.questions if q.title == "Jesus' hometown"][0]
    assert [c.credit for c in hometown.choices] == [None, 25, 50, None]


def test_moodle_gift_fixture(tmp_path: Path, capsys) -> None:
    bank, err, code = imported(tmp_path, "questions.gift.txt", capsys)
    assert code == 0 and "I108" not in err
    titles = {q.title: q for q in bank.questions}
    assert titles["Q8"].type == "essay"
    activities = titles["Moodle activities"]
    assert activities.type == "matching" and activities.distractors == ("Chat",)
    assert [p.right for p in activities.pairs] == ["Forum", "Choice", "Database", "Wiki"]
    assert activities.text == "Match the **activity** to the description."
    assert key(titles["Q2"]) == ["yellow"] and titles["Q2"].choices[0].feedback == "right; good!"
    assert titles["colours"].type == "multiple_answers" and key(titles["colours"]) == ["off-beige", "yellow"]
    assert key(titles["Q5"]) == (3, 2.0) and titles["Q5"].feedback.incorrect == "Completely wrong"
    animal = titles["Shortanswer"]
    assert key(animal) == ["Frog"] and animal.feedback.incorrect == "Completely wrong"
    q1 = titles["Q1"]
    assert q1.answer is False and q1.feedback.incorrect == "42 is the Ultimate Answer." \
        and q1.feedback.correct == "You gave the right answer."
    assert q1.solution == "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    # two questions with the same name: two ids
    assert sorted(q.id for q in bank.questions if q.title == "2-08 TSL") == ["2-08-tsl", "2-08-tsl-2"]


def test_moodle_gift_fixture_with_category(tmp_path: Path, capsys) -> None:
    bank, err, code = imported(tmp_path, "questions_in_category.gift.txt", capsys)
    assert bank.category == ("Default for New Features",)
    assert [q.type for q in bank.questions] == ["matching", "multiple_choice", "short_answer", "true_false"]
    greeting = bank.questions[1]
    assert "(http://demo.moodle.net/file.php/5/media/bonjour.mp3)" in greeting.text  # \= and \: undone
    assert key(greeting) == ["French"]
    acronym = bank.questions[3]
    assert acronym.answer is True
    assert "Modular Object-Oriented Dynamic Learning Environment" in acronym.text
    assert re.search(r"questions_in_category\.gift\.txt:26:1: I201 warning: .*<span>", err)  # the style is reported


def test_moodle_xml_fixture_with_old_image_and_cloze(tmp_path: Path, capsys) -> None:
    bank, err, code = imported(tmp_path, "sample_questions_with_old_image_tag.xml", capsys)
    assert code == 1  # a question was skipped: that is a finding
    assert re.search(r"sample_questions_with_old_image_tag\.xml:16:1: I108 question 'cloze question with "
                     r"image' not imported: Moodle question type 'cloze'", err)
    [mcq] = bank.questions
    assert mcq.type == "multiple_choice" and key(mcq) == ["right answer"]
    assert mcq.text.endswith("\n\n![](figures/moodle.png)")
    source = (MOODLE / "sample_questions_with_old_image_tag.xml").read_text(encoding="utf-8")
    data = base64.b64decode(re.findall(r"<image_base64>\s*(\S+)", source)[1])
    assert (tmp_path / "bank" / "figures" / "moodle.png").read_bytes() == data
    assert "F105" in err  # Moodle 1.9 images have no alt text: the figure rule asks for one


def test_moodle_xml_nested_categories(tmp_path: Path, capsys) -> None:
    bank, err, code = imported(tmp_path, "nested_categories_with_questions.xml", capsys)
    assert code == 0 and bank.category == ("Iota",)
    assert bank.description == "This is Iota category for test"
    assert [(q.title, q.type, q.category) for q in bank.questions] == [
        ("Iota Question", "true_false", ()),
        ("Kappa Essay Question", "essay", ("Kappa",)),
        ("Kappa Question", "true_false", ("Kappa",)),
        ("Lambda Question", "true_false", ("Kappa", "Lambda")),
        ("Mu Question", "true_false", ("Mu",)),
    ]
    assert all(q.answer is True for q in bank.questions if q.type == "true_false")
    assert [q.id for q in bank.questions] == ["iota-question", "kappa-essay-question", "kappa-question",
                                              "lambda-question", "mu-question"]


def test_moodle_idnumber_that_is_not_a_bank_id_is_kept_beside_it(tmp_path: Path, capsys) -> None:
    bank, err, code = imported(tmp_path, "html_chars_in_idnumbers.xml", capsys)
    [q] = bank.questions
    assert q.id == "t-f" and q.answer is True
    text = (tmp_path / "bank" / "imported.yaml").read_text(encoding="utf-8")
    assert "  - id: t-f  # Moodle idnumber: T & F\n" in text
    assert re.search(r"html_chars_in_idnumbers\.xml:15:1: I203 warning: id 'T & F'", err)
