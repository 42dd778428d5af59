"""The messages a new author meets in the first hour (issue 20): each is the real rule, at
the place the mistake is, and says what to do."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from exporter.cli import main
from exporter.load import load_banks


def bank(tmp_path: Path, body: str, name: str = "b.yaml") -> Path:
    folder = tmp_path / "bank"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(textwrap.dedent(body), encoding="utf-8")
    return folder


def found(tmp_path: Path, body: str) -> list[str]:
    """Every loader finding as `b.yaml:line:col: CODE message`."""
    folder = bank(tmp_path, body)
    _, diagnostics = load_banks([str(folder)])
    return [str(d).replace(f"{folder}/", "") for d in diagnostics]


def check(tmp_path: Path, body: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`qbank check` on one bank file: its finding lines, without the folder."""
    bank(tmp_path, body)
    monkeypatch.chdir(tmp_path)
    main(["check", "-j", "1", "--no-cache"])
    err = capsys.readouterr().err
    return [line.removeprefix("bank/") for line in err.splitlines() if line.startswith("bank/")]


ESSAY = """\
  - id: {id}
    type: essay
    text: Explain.
    check:
      manual: {reason}
"""


def test_manual_reason_states_the_ten_character_rule(tmp_path: Path) -> None:
    body = "title: T\nquestions:\n" + ESSAY.format(id="a", reason="two words")
    assert found(tmp_path, body) == [
        "b.yaml:7:15: E110 `questions[0].check.manual` (question `a`) is 9 character(s); it needs at least 10: "
        "say in a sentence why the item cannot be machine-checked"
    ]


def test_an_empty_text_is_called_empty(tmp_path: Path) -> None:
    body = "title: T\nquestions:\n" + ESSAY.format(id="a", reason="graded by a person").replace("text: Explain.", "text: ''")
    assert found(tmp_path, body) == ["b.yaml:5:11: E110 `questions[0].text` (question `a`) is empty; write it"]


def test_an_error_in_a_question_does_not_hide_that_another_repeats_its_id(tmp_path: Path) -> None:
    body = ("title: T\nquestions:\n" + ESSAY.format(id="a", reason="short")
            + ESSAY.format(id="a", reason="graded by a person"))
    assert found(tmp_path, body) == [
        "b.yaml:7:15: E110 `questions[0].check.manual` (question `a`) is 5 character(s); it needs at least 10: "
        "say in a sentence why the item cannot be machine-checked",
        "b.yaml:8:9: E201 duplicate id `a` (first used at b.yaml:3:9); ids are unique "
        "across the whole bank and never reused: give this question a new id",
    ]


def test_an_error_in_the_bank_fields_does_not_hide_the_questions_errors(tmp_path: Path) -> None:
    body = "titel: T\nquestions:\n" + ESSAY.format(id="a", reason="short")
    codes = [line.split(" ")[1] for line in found(tmp_path, body)]
    assert codes == ["E101", "E102", "E110"]


def test_a_released_question_with_an_error_is_not_called_lost(tmp_path, capsys, monkeypatch) -> None:
    folder = bank(tmp_path, "title: T\nquestions:\n" + ESSAY.format(id="a", reason="graded by a person"))
    monkeypatch.chdir(tmp_path)
    assert main(["build", "-j", "1", "--no-cache"]) == 0
    (folder / "b.yaml").write_text("title: T\nquestions:\n" + ESSAY.format(id="a", reason="short"), encoding="utf-8")
    capsys.readouterr()
    assert main(["check", "-j", "1", "--no-cache"]) == 1
    assert [line.split(" ")[1] for line in capsys.readouterr().err.splitlines() if line.startswith("bank/")] == ["E110"]


CLAIMS = """\
title: T
questions:
  - id: signs
    type: multiple_answers
    text: Which numbers are positive?
    choices:
      - text: $x^2 + 1$
        correct: true
        claim: x**2 + 1 > 0
      - text: $-1$
        correct: {wrong}
        claim: -1 > 0
    check:
      symbols: [x]
"""


def test_symbols_and_a_claim_on_every_choice_is_a_check(tmp_path, capsys, monkeypatch) -> None:
    assert check(tmp_path, CLAIMS.format(wrong="false"), capsys, monkeypatch) == []
    # and it is really checked: a wrong flag is found
    found_lines = check(tmp_path, CLAIMS.format(wrong="true"), capsys, monkeypatch)
    assert found_lines == ["b.yaml:11:18: K101 choice B is keyed correct, but `-1 > 0` is false"]


def test_a_check_with_only_symbols_still_checks_nothing(tmp_path: Path) -> None:
    body = CLAIMS.format(wrong="false").replace("        claim: -1 > 0\n", "")
    assert found(tmp_path, body) == [
        "b.yaml:13:7: E114 the check of `signs` says nothing to check: give `quantity` (or `claim`, `define`, `given`), "
        "or a `claim` on every choice, or `manual: <reason>` if the item cannot be machine-checked"
    ]


def test_k101_prints_the_values_in_the_order_of_the_words(tmp_path, capsys, monkeypatch) -> None:
    body = """\
    title: T
    questions:
      - id: sq
        type: multiple_choice
        text: What is $x^2$?
        choices:
          - {text: "5", correct: true, value: 5}
          - {text: "x cubed", correct: false, value: x**3}
        check:
          symbols: [x]
          quantity: x**2
    """
    (line,) = check(tmp_path, body, capsys, monkeypatch)
    assert line.startswith("b.yaml:7:30: K101 choice A is keyed correct, but x**2 = x**2, not 5 (they differ at x = ")
    left, right = line.rsplit(": ", 1)[1].rstrip(")").split(" vs ")
    assert float(right) == 5.0 and float(left) != 5.0  # x**2's value first, like the words


CHOICES = """\
title: T
questions:
  - id: a
    type: multiple_choice
    text: Pick one.
    choices:
{choice}
      - text: other
        correct: false
    check:
      manual: graded by a person.
"""


@pytest.mark.parametrize(
    ("choice", "where", "says"),
    [
        ("      - {text: $\\frac{3}{4}$, correct: true}", "7:22", "write the item one field per line"),
        ("      - text: Note: $x$ is real\n        correct: true", "7:19", "a `: ` (colon and space) inside unquoted text"),
        ("      - text: Let {x} be: a set\n        correct: true", "7:25", "a `: ` (colon and space) inside unquoted text"),
        ("      - text: ![a plot](plot.png)\n        correct: true", "7:16", "a value starting with `!` is a YAML tag"),
        ("      - text: [1, 2] is a list\n        correct: true", "7:22", "must also end there"),
        ("      - text: *bold* text\n        correct: true", "7:20", "alias or anchor"),
    ],
)
def test_yaml_syntax_errors_say_what_to_do(tmp_path: Path, choice: str, where: str, says: str) -> None:
    (line,) = found(tmp_path, CHOICES.format(choice=choice))
    assert line.startswith(f"b.yaml:{where}: E001 YAML syntax error: ")
    assert says in line
    assert "single quotes" in line and "(`|`)" in line


def test_a_text_cut_at_a_comma_in_a_flow_mapping_is_explained(tmp_path: Path) -> None:
    (line,) = found(tmp_path, CHOICES.format(choice="      - {text: $f(a, b)$, correct: true}"))
    assert line.startswith("b.yaml:7:22: E101 unknown field `b)$` in `questions[0].choices[0]` (question `a`); "
                           "this looks like the rest of a text that YAML cut at a `,` or `: `")


def test_yes_and_no_are_not_text_unless_quoted(tmp_path: Path) -> None:
    (line,) = found(tmp_path, CHOICES.format(choice="      - {text: no, correct: true}"))
    assert line == ("b.yaml:7:16: E103 `questions[0].choices[0].text` (question `a`) must be text, not bool; YAML reads "
                    "an unquoted yes, no, on, off, true, false or number as a value: quote the text ('no')")


# --- the first build ---------------------------------------------------------------------

def test_a_fresh_clone_builds_without_a_warning(clone: Path, capsys) -> None:
    assert main(["build", "-j", "1"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if not line.startswith("qbank:")] == []
    summary = next(line for line in err if line.startswith("qbank:") and "warning(s)" in line)
    # the features bank's target losses are accepted by its questions (accept_losses): counted, not printed
    assert summary.endswith("0 error(s), 0 warning(s) (8 accepted loss(es) not shown)")
    assert "<defaultgrade>3</defaultgrade>" in (clone / "dist" / "moodle" / "quizzes" / "midterm-practice.xml").read_text()


def test_a_finding_caused_by_a_quiz_points_into_the_quiz(clone: Path, capsys) -> None:
    quiz = clone / "quizzes" / "midterm-practice.yaml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("    points: 3\n", "    points: 0.123456789\n"), encoding="utf-8")
    line = quiz.read_text(encoding="utf-8").splitlines().index("    points: 0.123456789") + 1
    assert main(["build", "-j", "1", "-o", "out"]) == 0
    warnings = [x for x in capsys.readouterr().err.splitlines() if " M206 " in x]
    assert warnings == [f"quizzes/midterm-practice.yaml:{line}:13: M206 warning: quiz `midterm-practice`: points "
                        "0.123456789 will be stored by Moodle to 7 decimal places"]


def test_bank_points_gift_cannot_carry_are_warned_at_the_points_line(tmp_path, capsys, monkeypatch) -> None:
    bank(tmp_path, "title: T\nquestions:\n" + ESSAY.format(id="a", reason="graded by a person") + "    points: 2\n")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "-j", "1", "--no-cache"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [x for x in err if not x.startswith("qbank:")] == [
        "bank/b.yaml:8:13: G201 warning: points: 2 cannot be said in GIFT; Moodle imports the question with a default "
        "mark of 1 (the Moodle XML export keeps the points)"
    ]


# --- what "released" means ---------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_trial_build_elsewhere_leaves_the_bank_and_the_working_folder_untouched(clone: Path, capsys) -> None:
    project = clone / "project"
    project.mkdir()
    for name in ("bank", "quizzes", "dist"):
        (clone / name).rename(project / name)
    (project / "bank" / "qbank.lock").unlink()  # a bank that was never released
    os.chdir(project)
    before = snapshot(project)
    assert main(["build", "bank", "-j", "1", "-o", "../trial"]) == 0
    err = capsys.readouterr().err
    assert "qbank: a trial build: bank/qbank.lock was left alone (a release is `qbank build` into dist/, or `qbank lock`)" in err
    assert (clone / "trial" / "canvas" / "quiz2-differentiation.zip").is_file()
    assert snapshot(project) == before  # the cache lives in the user's cache folder, not here

    # so changing a check after a trial build is not a change "since it was released"
    bank_file = project / "bank" / "quiz2-differentiation.yaml"
    bank_file.write_text(bank_file.read_text(encoding="utf-8").replace("quantity: diff(y, t)\n", "quantity: diff(y, t) + 0\n"),
                         encoding="utf-8")
    assert main(["check", "-j", "1"]) == 0
    assert "L102" not in capsys.readouterr().err
    # while after a release it is
    assert main(["lock"]) == 0
    bank_file.write_text(bank_file.read_text(encoding="utf-8").replace("quantity: diff(y, t) + 0\n", "quantity: diff(y, t)\n"),
                         encoding="utf-8")
    capsys.readouterr()
    assert main(["check", "-j", "1"]) == 1
    assert "L102 question `diff-chain-tanh` changed its type, key or check since it was released" in capsys.readouterr().err


def test_a_build_into_dist_is_a_release_and_qbank_lock_releases_without_building(clone: Path, capsys) -> None:
    import json

    lock = clone / "bank" / "qbank.lock"
    lock.unlink()
    assert main(["build", "-j", "1", "--check"]) == 1  # dist/ is up to date, but nothing is released
    assert "bank/qbank.lock: does not list every released id" in capsys.readouterr().err
    assert main(["build", "-j", "1", "-o", "elsewhere"]) == 0
    assert main(["build", "-j", "1", "-o", "elsewhere", "--check"]) == 0  # a trial: the lock is not asked for
    capsys.readouterr()
    assert not lock.exists()
    assert main(["lock"]) == 0
    assert "bank/qbank.lock: recorded 31 new id(s)" in capsys.readouterr().err  # 12 seed + 6 features + 13 statistics
    released = json.loads(lock.read_text(encoding="utf-8"))["questions"]
    assert len(released) == 31
    lock.unlink()
    assert main(["build", "-j", "1"]) == 0
    assert json.loads(lock.read_text(encoding="utf-8"))["questions"] == released


# --- qbank new ---------------------------------------------------------------------------


def test_qbank_new_writes_a_project_that_checks_and_builds_clean(tmp_path, monkeypatch, capsys) -> None:
    import re
    import shlex

    import yaml

    monkeypatch.chdir(tmp_path)
    assert main(["new", "course"]) == 0
    assert capsys.readouterr().err.endswith("qbank: next: cd course && qbank check && qbank build   (edit bank/week1.yaml first, or after)\n")
    project = tmp_path / "course"
    bank_file = project / "bank" / "week1.yaml"
    types = re.findall(r"^    type: (\w+)", bank_file.read_text(encoding="utf-8"), re.M)
    assert sorted(types) == sorted(["multiple_choice", "multiple_answers", "true_false", "numerical", "short_answer",
                                    "essay", "matching"])
    for written in (bank_file, project / "quizzes" / "practice.yaml"):  # the editor finds the schema
        schema = re.match(r"# yaml-language-server: \$schema=(\S+)", written.read_text(encoding="utf-8"))
        assert schema and (written.parent / schema.group(1)).is_file()

    assert main(["check", "-j", "1", "course/bank"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "qbank: 7 questions in 1 bank file(s): 4 machine-checked, 3 manual, 0 failed; displayed keys: 3 verified, 0 taken as written; 0 error(s), 0 warning(s)"]
    monkeypatch.chdir(project)
    assert main(["build", "-j", "1"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == ("qbank: 7 questions in 1 bank file(s) and 1 quiz file(s): 4 machine-checked, 3 manual, 0 failed; "
                      "displayed keys: 3 verified, 0 taken as written; 0 error(s), 0 warning(s)")
    assert err[1:] == ["qbank: wrote 6 file(s) to dist/ (6 changed)"]
    assert (project / "bank" / "qbank.lock").is_file()  # the first build into dist/ is the first release

    # the CI workflow is valid YAML and each of its qbank steps passes on the new project
    workflow = yaml.safe_load((project / ".github" / "workflows" / "qbank.yml").read_text(encoding="utf-8"))
    steps = [s["run"] for s in workflow["jobs"]["check"]["steps"] if str(s.get("run", "")).startswith("qbank ")]
    assert steps == ["qbank check --junit qbank-report.xml", "qbank build --check"]
    for step in steps:
        assert main(shlex.split(step)[1:]) == 0, step
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().err


def test_qbank_new_never_overwrites_a_file(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / ".gitignore").write_text("mine\n", encoding="utf-8")
    assert main(["new", "course"]) == 2
    assert capsys.readouterr().err == ("qbank: error: course/.gitignore already exist(s); nothing was written (qbank new "
                                       "never overwrites a file): choose an empty folder, or move these away\n")
    assert snapshot(tmp_path / "course") == {".gitignore": b"mine\n"}
    assert main(["new", "other"]) == 0 and main(["new", "other"]) == 2  # a second run refuses too
    capsys.readouterr()
    (tmp_path / "mine" / "bank").mkdir(parents=True)  # nor does it add a starter to an existing bank
    (tmp_path / "mine" / "bank" / "algebra.yaml").write_text("title: A\nquestions: []\n", encoding="utf-8")
    assert main(["new", "mine"]) == 2
    assert capsys.readouterr().err.startswith("qbank: error: mine/bank/algebra.yaml already exist(s); nothing was written")
    assert snapshot(tmp_path / "mine") == {"bank/algebra.yaml": b"title: A\nquestions: []\n"}


# --- behaviour the README now states ------------------------------------------------------


def test_a_folder_path_is_searched_recursively_skipping_dot_names(tmp_path, capsys, monkeypatch) -> None:
    folder = bank(tmp_path, "title: A\nquestions:\n" + ESSAY.format(id="a", reason="graded by a person"))
    (folder / "algebra").mkdir()
    (folder / "algebra" / "week2.yml").write_text("title: B\nquestions:\n" + ESSAY.format(id="b", reason="graded by a person"))
    (folder / ".drafts").mkdir()
    (folder / ".drafts" / "broken.yaml").write_text("title: [\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "-j", "1", "--no-cache", "bank"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "qbank: 2 questions in 2 bank file(s): 0 machine-checked, 2 manual, 0 failed; 0 error(s), 0 warning(s)"]


def test_text_rules_the_readme_states() -> None:
    from exporter.text import to_html

    assert to_html("It costs \\$5, and $x$ is math.") == "<p>It costs $5, and \\(x\\) is math.</p>"
    # no tables (not CommonMark) and no raw HTML: both reach students as typed
    assert to_html("| a | b |\n|---|---|\n| 1 | 2 |") == "<p>| a | b |\n|---|---|\n| 1 | 2 |</p>"
    assert to_html("<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>"


def test_m_to_the_minus_one_is_the_matrix_inverse(tmp_path, capsys, monkeypatch) -> None:
    body = """\
    title: T
    questions:
      - id: inverse
        type: true_false
        text: The inverse of the matrix $M$ times $M$ is the identity.
        answer: {answer}
        check:
          symbols: ["M[2,2]"]
          given: {{"M[1,1]": 2, "M[1,2]": 0, "M[2,1]": 0, "M[2,2]": 4}}
          claim: M**-1 * M == [[1, 0], [0, 1]]
    """
    assert check(tmp_path, body.format(answer="true"), capsys, monkeypatch) == []
    (line,) = check(tmp_path, body.format(answer="false"), capsys, monkeypatch)
    assert " K101 answer is false, but " in line


def test_check_written_as_text_and_a_missing_tolerance_say_what_to_write(tmp_path: Path) -> None:
    body = """\
    title: T
    questions:
      - id: sum
        type: numerical
        text: What is $2 + 2$?
        answer: 4
        check: manual
    """
    assert found(tmp_path, body) == [
        "b.yaml:3:5: E102 missing required field `tolerance` in `questions[0]` (question `sum`) (a numerical question "
        "needs it); write `tolerance: 0` for an exact answer",
        "b.yaml:7:12: E103 `questions[0].check` (question `sum`) must be a mapping, not text; `check:` holds fields: "
        "`check: {manual: <why it cannot be computed>}`, or `quantity:`/`claim:` (with `symbols:`) on the lines below it",
    ]
