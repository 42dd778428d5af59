"""Quiz files: assembled from the bank, exported by the same writers, every mistake located.

The practice midterm in quizzes/ is the issue's "done when": a group, a parametrised version
of question 2, per-quiz points; its Canvas package must validate against the IMS schemas and
its groups must pick the declared counts as read back from the XML; its Moodle XML and GIFT
files must hold exactly its questions, each group in its own subcategory.
"""

from __future__ import annotations

import io
import os
import shutil
import textwrap
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from exporter.outputs import render, stale, write
from exporter.cli import main
from exporter.diagnostics import Collector, Diagnostic
from exporter.load import load_banks
from exporter.model import Bank
from exporter.quizzes import assemble, load_quiz, load_quizzes
from exporter.writers import canvas, gift, moodle

REPO = Path(__file__).resolve().parents[1]
from gift_pegjs import gift_pegjs  # noqa: E402
from ims_schemas import assert_valid  # noqa: E402
QTI = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
NS = {"q": QTI}
PARAM = "diff-sigmoid-value-param"
VARIANTS = [f"{PARAM}-v{k}" for k in range(1, 5)]
GRADIENTS = ["diff-cost-grad-w2", "diff-cost-update-direction", "diff-cross-entropy-sigmoid", "diff-partials-vector"]
LINEAR = ["diff-linear-layer-entry", "diff-jacobian-shape"]  # the bank questions tagged linear-layer
TITLE = "Midterm practice: differentiation"


@pytest.fixture(scope="module")
def banks() -> list[Bank]:
    found, problems = load_banks([str(REPO / "bank")])
    assert problems == []
    return found


@pytest.fixture(scope="module")
def midterm(banks: list[Bank]) -> Bank:
    quizzes, problems = load_quizzes(REPO / "quizzes")
    assert problems == []
    got = Collector()
    (quiz,) = assemble(quizzes, banks, got)
    assert got.items == []
    return quiz


def test_the_practice_midterm_is_assembled_in_order_with_its_points_and_groups(midterm: Bank) -> None:
    assert (midterm.name, midterm.title, midterm.category) == ("midterm-practice", TITLE, (TITLE,))
    ids = [q.id for q in midterm.questions]
    assert ids == ["diff-chain-tanh", *VARIANTS, *GRADIENTS, *LINEAR, "backprop-chain-gradients"]
    points = {q.id: q.points for q in midterm.questions}
    assert points["diff-chain-tanh"] == 2 and points["backprop-chain-gradients"] == 3
    assert all(points[i] == 2 for i in VARIANTS + GRADIENTS) and all(points[i] == 1 for i in LINEAR)
    groups = {g.name: (g.pick, g.question_ids, g.points) for g in midterm.groups}
    assert groups == {
        PARAM: (1, tuple(VARIANTS), 2.0),
        "Gradients of a cost": (2, tuple(GRADIENTS), 2.0),
        "Linear layers": (1, tuple(LINEAR), 1.0),
    }


# --------------------------------------------------------------------------- Canvas




def canvas_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_canvas_package_validates_and_its_groups_pick_the_declared_counts(midterm: Bank) -> None:
    got = Collector()
    data = canvas.write(midterm, got)
    assert got.errors == []
    parts = canvas_parts(data)
    ident = canvas.assessment_ident("midterm-practice")
    manifest = etree.fromstring(parts["imsmanifest.xml"])
    assessment = etree.fromstring(parts[f"{ident}/{ident}.xml"])
    assert_valid(manifest, "imscp/imscp_v1p1.xsd")
    assert_valid(assessment, "qti/ims_qtiasiv1p2.xsd")
    assert canvas.write(midterm, Collector()) == data  # deterministic

    (root,) = assessment.findall("q:assessment/q:section", NS)
    assert root.get("ident") == "root_section"
    # single questions sit in the root section, each group is a section of its own, in quiz order
    layout = [(child.get("ident"), etree.QName(child).localname) for child in root]
    assert layout == [
        ("diff-chain-tanh", "item"),
        (canvas.group_ident(PARAM), "section"),
        (canvas.group_ident("Gradients of a cost"), "section"),
        (canvas.group_ident("Linear layers"), "section"),
        ("backprop-chain-gradients", "item"),
    ]
    read_back = {}
    for section in root.findall("q:section", NS):
        (number,) = section.findall("q:selection_ordering/q:selection/q:selection_number", NS)
        (per_item,) = section.findall("q:selection_ordering/q:selection/q:selection_extension/q:points_per_item", NS)
        items = [i.get("ident") for i in section.findall("q:item", NS)]
        read_back[section.get("title")] = (int(number.text), float(per_item.text), items)
    assert read_back == {
        PARAM: (1, 2.0, VARIANTS),
        "Gradients of a cost": (2, 2.0, GRADIENTS),
        "Linear layers": (1, 1.0, LINEAR),
    }
    # points possible: 2 + 1×2 + 2×2 + 1×1 + 3, what a student's attempt is out of
    meta = etree.fromstring(parts[f"{ident}/assessment_meta.xml"])
    assert meta.findtext("{http://canvas.instructure.com/xsd/cccv1p0}points_possible") == "12"


def test_canvas_refuses_a_group_that_cannot_be_imported_as_meant(midterm: Bank) -> None:
    from dataclasses import replace

    bad = replace(midterm, groups=(replace(midterm.groups[0], pick=5),) + midterm.groups[1:])
    got = Collector()
    canvas.write(bad, got)
    assert [d.code for d in got.errors] == [canvas.E_GROUP]
    assert "picks 5 of 4" in got.errors[0].message


# --------------------------------------------------------------------------- Moodle XML and GIFT


def expected_categories() -> dict[str, str]:
    top = f"$course$/top/{TITLE}"
    out = {"diff-chain-tanh": top, "backprop-chain-gradients": top}
    out |= {i: f"{top}/{PARAM}" for i in VARIANTS}
    out |= {i: f"{top}/Gradients of a cost" for i in GRADIENTS}
    out |= {i: f"{top}/Linear layers" for i in LINEAR}
    return out


def test_moodle_file_holds_exactly_the_quiz_questions_in_their_categories(midterm: Bank) -> None:
    got = Collector()
    root = etree.fromstring(moodle.write(midterm, got))
    assert got.errors == []
    where, current = {}, None
    for q in root.iter("question"):
        if q.get("type") == "category":
            current = q.findtext("category/text")
            continue
        where[q.findtext("idnumber")] = current
        assert float(q.findtext("defaultgrade")) == next(x.points for x in midterm.questions if x.id == q.findtext("idnumber"))
    assert where == expected_categories()


def test_gift_file_holds_exactly_the_quiz_questions_in_their_categories(midterm: Bank) -> None:
    got = Collector()
    text = gift.write(midterm, got).decode("utf-8")
    assert got.errors == []
    (result,) = gift_pegjs([text])
    assert "error" not in result, result
    where, current = {}, None
    for item in result["questions"]:
        if item["type"] == "Category":
            current = item["title"]
        else:
            assert item["id"] not in where
            where[item["id"]] = current
    assert where == expected_categories()


# --------------------------------------------------------------------------- located mistakes


def quiz_problems(tmp_path: Path, banks: list[Bank], body: str, name: str = "q.yaml") -> list[Diagnostic]:
    f = tmp_path / name
    f.write_text(textwrap.dedent(body), encoding="utf-8")
    quiz, found = load_quiz(f)
    if quiz is not None:
        got = Collector()
        assemble([quiz], banks, got)
        found += got.items
    return found


def located(found: list[Diagnostic]) -> list[tuple[int, int, str]]:
    return [(d.loc.line, d.loc.col, d.code) for d in found]


@pytest.mark.parametrize(
    "items, expected, words",
    [
        ("  - id: diff-chain-tanhh\n", (4, 9, "Q201"), "no question `diff-chain-tanhh` in the bank; did you mean `diff-chain-tanh`?"),
        ("  - group: G\n    pick: 1\n    tag: sigmiod\n", (6, 10, "Q202"), "no question in the bank has the tag `sigmiod`; did you mean `sigmoid`?"),
        ("  - group: G\n    pick: 3\n    tag: linear-layer\n", (5, 11, "Q203"), "group `G` picks 3 but holds 2 question(s)"),
        ("  - group: G\n    pick: 1\n    from: [diff-chain-tanh, nope]\n", (6, 29, "Q201"), "no question `nope`"),
        ("  - id: diff-chain-tanh\n  - group: G\n    pick: 1\n    from: [diff-cost-grad-w2, diff-chain-tanh]\n",
         (7, 31, "Q204"), "question `diff-chain-tanh` is already in this quiz (line 4)"),
        ("  - group: G\n    pick: 1\n    tag: sigmoid\n  - group: G\n    pick: 1\n    tag: jacobian\n", (7, 12, "Q205"),
         "group name `G` is already used in this quiz"),
        ("  - id: diff-chain-tanh\n    pick: 1\n", (5, 5, "Q104"), "`pick` cannot be combined with `id`"),
        ("  - group: G\n    pick: 1\n", (4, 5, "Q104"), "needs exactly one of `from: [ids]` or `tag: <tag>`"),
        ("  - group: G\n    pick: 0\n    tag: sigmoid\n", (5, 11, "Q103"), "`questions[0].pick`"),
        ("  - id: diff-chain-tanh\n    pionts: 2\n", (5, 5, "Q101"), "unknown field `pionts` in `questions[0]`; did you mean `points`?"),
    ],
)
def test_quiz_mistakes_are_located_in_the_quiz_file(tmp_path: Path, banks: list[Bank], items: str, expected: tuple, words: str) -> None:
    found = quiz_problems(tmp_path, banks, "title: Q\n# a comment line\nquestions:\n" + items)
    assert expected in located(found), [str(d) for d in found]
    assert all(d.loc.path.endswith("q.yaml") for d in found)
    assert any(words in d.message for d in found), [str(d) for d in found]


def test_a_quiz_named_like_a_bank_file_is_refused(tmp_path: Path, banks: list[Bank]) -> None:
    found = quiz_problems(tmp_path, banks, "title: Q\nquestions:\n  - id: diff-chain-tanh\n", name="quiz2-differentiation.yaml")
    assert located(found) == [(1, 1, "Q206")]


def test_a_quiz_seed_gives_the_quiz_its_own_variants(tmp_path: Path, banks: list[Bank]) -> None:
    f = tmp_path / "q.yaml"
    f.write_text(f"title: Q\nseed: exam-2026\nquestions:\n  - id: {PARAM}\n", encoding="utf-8")
    quiz, found = load_quiz(f)
    assert found == []
    (own,) = assemble([quiz], banks, Collector())
    (default,) = assemble([quiz.__class__(**{**quiz.__dict__, "seed": None})], banks, Collector())
    assert [q.variant_values for q in own.questions] != [q.variant_values for q in default.questions]
    (override,) = assemble([quiz], banks, Collector(), seed="0")  # --seed wins over the quiz's
    assert [q.variant_values for q in override.questions] == [q.variant_values for q in default.questions]


# --------------------------------------------------------------------------- build and CLI


def test_stale_and_left_over_quiz_outputs_are_detected(tmp_path: Path, banks: list[Bank], midterm: Bank) -> None:
    from exporter.variants import expand

    outputs = render(expand(banks), Collector(), [midterm])
    assert Path("canvas/quizzes/midterm-practice.zip") in outputs
    write(outputs, tmp_path)
    assert stale(outputs, tmp_path) == []
    (tmp_path / "moodle" / "quizzes" / "old-quiz.xml").write_bytes(b"<quiz/>")
    (tmp_path / "gift" / "quizzes" / "midterm-practice.gift.txt").unlink()
    assert stale(outputs, tmp_path) == [
        f"{tmp_path / 'gift' / 'quizzes' / 'midterm-practice.gift.txt'}: missing",
        f"{tmp_path / 'moodle' / 'quizzes' / 'old-quiz.xml'}: not produced by any quiz (left from a renamed or deleted quiz?)",
    ]


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "bank", tmp_path / "bank")
    shutil.copytree(REPO / "quizzes", tmp_path / "quizzes")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_reports_quiz_errors_with_exit_1(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quiz = repo_copy / "quizzes" / "midterm-practice.yaml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("tag: linear-layer", "tag: linear-layers"), encoding="utf-8")
    assert main(["check", "-j", "1"]) == 1
    err = capsys.readouterr().err
    assert "quizzes/midterm-practice.yaml:" in err and "Q202 no question in the bank has the tag `linear-layers`" in err
    # with an explicit bank PATH, quizzes/ is only checked when asked for
    assert main(["check", "-j", "1", "bank"]) == 0
    assert main(["check", "-j", "1", "bank", "--quizzes", "quizzes"]) == 1
    assert main(["check", "-j", "1", "--quizzes", "nowhere"]) == 2


def test_build_writes_the_quiz_for_every_target(repo_copy: Path) -> None:
    assert main(["build", "-j", "1"]) == 0
    written = sorted(p.relative_to(repo_copy / "dist").as_posix() for p in (repo_copy / "dist").rglob("*") if p.is_file())
    assert [p for p in written if "/quizzes/" in p] == [
        "canvas/quizzes/midterm-practice.zip",
        "gift/quizzes/midterm-practice.gift.txt",
        "moodle/quizzes/midterm-practice.xml",
    ]
    assert main(["build", "-j", "1", "--check"]) == 0
    os.remove(repo_copy / "quizzes" / "midterm-practice.yaml")
    assert main(["build", "-j", "1", "--check"]) == 1  # its outputs are now left over
