"""Canvas / QTI 1.2 import: our own packages come back item for item, and text2qti's import.

Round trip: every committed Canvas package (dist/canvas) is imported and built again; each
`<item>` — ident, title, points, texts, choices, the scoring conditions that are the key,
every feedback — must be the same XML (whitespace aside: a question group indents its
items deeper). The group sections themselves do not come back: a bank file has no groups
(they are made by variants and quizzes), which the README says.

Third-party QTI: text2qti (test dependency) turns its own example quiz, and a quiz with
math and a figure, into packages, which must import with every supported item and key.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from lxml import etree

from exporter.diagnostics import Collector
from exporter.importing import import_files
from exporter.load import load_file
from exporter.model import Bank
from exporter.writers import canvas

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "import_fixtures"


def reimport(export: Path, tmp_path: Path, stem: str) -> tuple[Bank, list]:
    out = tmp_path / "bank" / f"{stem}.yaml"
    outcome = import_files([str(export)], str(out))
    bank, problems = load_file(out)
    assert bank is not None and [p for p in problems if p.severity == "error"] == []
    return bank, outcome.findings


def build(bank: Bank) -> bytes:
    found = Collector()
    data = canvas.WRITER.write(bank, canvas.WRITER.options(), found)
    assert found.errors == []
    return data


def items(package: bytes) -> dict[str, bytes]:
    parser = etree.XMLParser(remove_blank_text=True)
    out = {}
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        for name in zf.namelist():
            if name.endswith(".xml") and name != "imsmanifest.xml" and not name.endswith("assessment_meta.xml"):
                for item in etree.fromstring(zf.read(name), parser).iter("{*}item"):
                    out[item.get("ident")] = etree.tostring(item)
    return out


@pytest.mark.parametrize("export", sorted((ROOT / "dist" / "canvas").rglob("*.zip")), ids=lambda p: p.name)
def test_committed_canvas_packages_round_trip_item_for_item(export: Path, tmp_path: Path) -> None:
    bank, findings = reimport(export, tmp_path, export.stem)
    # cloze (fill-in-multiple-blanks) items are not imported yet: each is one located I108
    cloze = [d for d in findings if d.code == "I108" and "fill_in_multiple_blanks" in d.message]
    assert [d for d in findings if d.severity == "error" and d not in cloze] == []
    before, after = items(export.read_bytes()), items(build(bank))
    for ident in [i for i in before if i not in after]:
        assert b"fill_in_multiple_blanks_question" in before.pop(ident)
    assert len(cloze) == sum(b"fill_in_multiple_blanks_question" in x for x in items(export.read_bytes()).values())
    assert list(before) == list(after) and len(before) > 0
    assert [i for i in before if before[i] != after[i]] == []


def test_every_type_canvas_package_round_trips_byte_identical(tmp_path: Path) -> None:
    source, problems = load_file(FIXTURES / "every-type.yaml")
    export = tmp_path / "src" / "every-type.zip"
    export.parent.mkdir()
    export.write_bytes(build(source))
    bank, findings = reimport(export, tmp_path, "every-type")
    assert {q.type for q in bank.questions} == {q.type for q in source.questions}
    assert build(bank) == export.read_bytes()


def text2qti(source: Path, folder: Path) -> Path:
    """Run the real text2qti on `source` (copied into `folder`); the package it wrote."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / source.name
    copy.write_bytes(source.read_bytes())
    run = subprocess.run([sys.executable, "-c", "import sys; from text2qti.cmdline import main; sys.exit(main())",
                          copy.name], cwd=folder, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return copy.with_suffix(".zip")


def by_title(bank: Bank) -> dict:
    return {q.title: q for q in bank.questions}


def test_text2qti_example_quiz_imports_with_every_supported_item(tmp_path: Path) -> None:
    package = text2qti(FIXTURES / "text2qti" / "quiz.txt", tmp_path / "t2q")
    bank, findings = reimport(package, tmp_path, "sample")
    assert bank.title == "Sample Quiz" and bank.description == "Add a Description of the quiz"
    q = by_title(bank)
    assert list(q) == ["Multiple Choice Q", "Checkbox Q", "Numerical Q1", "Numerical Q2", "Fill in the Blank",
                       "Essay Question"]
    mc = q["Multiple Choice Q"]
    assert [(c.text, c.correct) for c in mc.choices] == [("6", False), ("1", False), ("5", True)]
    assert all(c.feedback == "Feedback for this particular answer." for c in mc.choices)
    assert mc.solution == "General question feedback."
    assert (mc.feedback.correct, mc.feedback.incorrect) == ("Feedback for correct answer.", "Feedback for incorrect answer.")
    assert all(x.points == 2 for x in bank.questions)
    assert [c.text for c in q["Checkbox Q"].choices if c.correct] == ["Tyrannosaurus rex", "Triceratops"]
    assert (q["Numerical Q1"].answer, q["Numerical Q1"].tolerance) == (1.4142, 0.0001)
    assert q["Numerical Q2"].answer == pytest.approx(1.2599) and q["Numerical Q2"].tolerance == pytest.approx(0.0001)
    assert [a.text for a in q["Fill in the Blank"].answers] == ["Santa", "Santa Claus", "Father Christmas",
                                                                 "Saint Nicholas", "Saint Nick"]
    assert q["Essay Question"].type == "essay" and q["Essay Question"].solution == "General question feedback."
    [skipped] = [d for d in findings if d.code == "I108"]
    assert "'Upload a File'" in skipped.message and "file_upload_question" in skipped.message
    assert skipped.loc.path.startswith(str(package) + "!") and skipped.loc.line > 1
    assert all(x.id.startswith("text2qti_question_") for x in bank.questions)  # Canvas's idents kept


def red_png() -> bytes:
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def test_text2qti_equation_images_and_figures(tmp_path: Path) -> None:
    folder = tmp_path / "t2q"
    folder.mkdir()
    (folder / "red.png").write_bytes(red_png())
    package = text2qti(FIXTURES / "text2qti" / "math.txt", folder)
    bank, findings = reimport(package, tmp_path, "math")
    assert [d for d in findings if d.code in ("I108", "I201")] == []
    q = by_title(bank)
    power = q["Power rule"]
    assert power.text == "What is $\\frac{d}{dx} x^3$?"  # Canvas equation images → $…$
    assert [c.text for c in power.choices if c.correct] == ["$3x^2$"]
    assert power.solution == "By the power rule, $\\frac{d}{dx} x^n = n x^{n-1}$."
    assert q["Odd"].type == "true_false" and q["Odd"].answer is True
    square = q["Red square"]
    assert square.text.startswith("![A red square](figures/images/red.png)")
    assert (tmp_path / "bank" / "figures" / "images" / "red.png").read_bytes() == red_png()
