"""build → import → build: what qbank exported comes back as a bank that exports the same.

For every committed export (dist/, which `qbank build --check` keeps equal to the bank and
quizzes) and for a fixture bank using every question type and feedback kind: import the
file, load the bank the importer wrote (as `qbank check` would), write it again with the
same writer, and compare. Moodle XML and GIFT must be byte-identical; Canvas items must
carry the same keys, texts, feedback and points.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from exporter.diagnostics import Collector
from exporter.importing import import_files
from exporter.load import load_file
from exporter.model import Bank
from exporter.writers import gift, moodle

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
EVERY_TYPE = ROOT / "tests" / "import_fixtures" / "every-type.yaml"


def without_cloze(export: bytes) -> bytes:
    """A committed Moodle XML file less its Cloze questions, which the importer does not
    read yet (one located I108 each): what the round trip can give back."""
    text = export.decode("utf-8")
    while '  <question type="cloze">' in text:
        start = text.index('  <question type="cloze">')
        end = text.index("  </question>\n", start) + len("  </question>\n")
        text = text[:start] + text[end:]
    return text.encode("utf-8")


def reimport(export: Path, tmp_path: Path, stem: str) -> Bank:
    out = tmp_path / "bank" / f"{stem}.yaml"
    outcome = import_files([str(export)], str(out))
    errors = [d for d in outcome.findings if d.severity == "error"
              and not (d.code == "I108" and ("'cloze'" in d.message or "fill_in_multiple_blanks" in d.message))]
    assert errors == []
    bank, problems = load_file(out)
    assert problems == [] and bank is not None
    assert outcome.unverified == len(bank.questions) > 0
    return bank


def write(module, bank: Bank) -> bytes:
    found = Collector()
    data = module.write(bank, found)
    assert found.errors == []
    return data


def every_type_export(module, tmp_path: Path) -> Path:
    bank, problems = load_file(EVERY_TYPE)
    assert problems == []
    export = tmp_path / "src" / f"every-type{module.SUFFIX}"
    export.parent.mkdir()
    export.write_bytes(write(module, bank))
    return export


def stem_of(path: Path, suffix: str) -> str:
    return path.name[: -len(suffix)]


@pytest.mark.parametrize("export", sorted((DIST / "moodle").rglob("*.xml")), ids=lambda p: p.name)
def test_committed_moodle_xml_round_trips_byte_identical(export: Path, tmp_path: Path) -> None:
    bank = reimport(export, tmp_path, stem_of(export, ".xml"))
    assert write(moodle, bank) == without_cloze(export.read_bytes())


@pytest.mark.parametrize("export", sorted((DIST / "gift").rglob("*.gift.txt")), ids=lambda p: p.name)
def test_committed_gift_round_trips_byte_identical(export: Path, tmp_path: Path) -> None:
    bank = reimport(export, tmp_path, stem_of(export, ".gift.txt"))
    assert write(gift, bank) == export.read_bytes()


@pytest.mark.parametrize("module", [moodle, gift], ids=lambda m: m.TARGET)
def test_every_type_round_trips_byte_identical(module, tmp_path: Path) -> None:
    export = every_type_export(module, tmp_path)
    bank = reimport(export, tmp_path, "every-type")
    assert {q.type for q in bank.questions} == {"multiple_choice", "multiple_answers", "true_false", "numerical",
                                                "short_answer", "essay", "matching"}
    assert write(module, bank) == export.read_bytes()


def test_imported_yaml_is_written_for_people(tmp_path: Path) -> None:
    export = DIST / "moodle" / "quiz2-differentiation.xml"
    reimport(export, tmp_path, "quiz2-differentiation")
    text = (tmp_path / "bank" / "quiz2-differentiation.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    assert "\\\\frac" not in text and '"$' not in text  # LaTeX never double-quoted or doubled
    assert "    text: |-\n      Suppose $y = \\tanh(z) = \\frac{e^z - e^{-z}}{e^z + e^{-z}}$, where\n" in text
    assert "      - text: '0.24'\n" in text  # a number-like text keeps being text
    first = text.split("  - id: diff-chain-tanh\n", 1)[1].split("\n\n  - id:", 1)[0]
    keys = [line.split(":")[0].strip() for line in first.splitlines() if line.startswith("    ") and not line.startswith("     ")]
    assert keys == ["type", "title", "text", "choices", "solution", "tags", "check"]
    # the figure came along, byte for byte, with its alt text
    assert (tmp_path / "bank" / "figures" / "backprop-chain.svg").read_bytes() == \
        (ROOT / "bank" / "figures" / "backprop-chain.svg").read_bytes()
    assert "![Computation graph: z1, w1 and b1 feed f1" in text


def test_qbank_check_passes_on_an_import_and_counts_what_is_unverified(tmp_path: Path, capsys) -> None:
    from exporter.cli import main

    out = tmp_path / "bank" / "quiz2-differentiation.yaml"
    source = tmp_path / "quiz2-differentiation.xml"
    source.write_bytes(without_cloze((DIST / "moodle" / "quiz2-differentiation.xml").read_bytes()))
    assert main(["import", str(source), "-o", str(out)]) == 0
    assert "14 unverified" in capsys.readouterr().err
    assert main(["check", str(out), "--no-cache"]) == 0
    assert "14 manual (14 imported, still unverified), 0 failed; 0 error(s), 0 warning(s)" in capsys.readouterr().err
    # a question given a real check is no longer counted
    text = out.read_text(encoding="utf-8")
    first = "    check:\n      manual: 'imported from quiz2-differentiation.xml: add a check'\n"
    out.write_text(text.replace(first, "    check:\n      manual: Checked by hand against the textbook.\n", 1),
                   encoding="utf-8")
    assert main(["check", str(out), "--no-cache", "--format", "json"]) == 0
    assert '"unverified": 13' in capsys.readouterr().out


def test_importing_beside_the_bank_takes_no_used_retired_or_variant_id(tmp_path: Path, capsys) -> None:
    """The same export imported next to the bank it came from: every id is taken (by a
    question, by the lock, or as a variant id of a parametrised question), so each gets a
    suffix; the identical figure is reused, not copied; `qbank check` on the folder is clean."""
    from exporter.cli import main

    bank_dir = tmp_path / "bank"
    shutil.copytree(ROOT / "bank", bank_dir)
    out = bank_dir / "again.yaml"
    source = tmp_path / "quiz2-differentiation.xml"  # less its Cloze question, which import does not read yet
    source.write_bytes(without_cloze((DIST / "moodle" / "quiz2-differentiation.xml").read_bytes()))
    assert main(["import", str(source), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    bank, problems = load_file(out)
    assert problems == []
    ids = [q.id for q in bank.questions]
    assert "diff-chain-tanh-2" in ids and "diff-sigmoid-value-param-v1-2" in ids
    assert not set(ids) & {q.id for q in load_file(ROOT / "bank" / "quiz2-differentiation.yaml")[0].questions}
    assert "  - id: diff-chain-tanh-2  # Moodle idnumber: diff-chain-tanh\n" in out.read_text(encoding="utf-8")
    assert "I203" in err and not (bank_dir / "figures" / "figures").exists()
    assert sorted(p.name for p in (bank_dir / "figures").iterdir()) == \
        sorted(p.name for p in (ROOT / "bank" / "figures").iterdir())
    assert main(["check", str(bank_dir), "--no-cache"]) == 0, capsys.readouterr().err
