"""The writer contract, over every registered writer: deterministic bytes, every question
type written, every finding located in the bank and declared in the code registry."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from exporter import config, writers
from exporter.codes import CODES
from exporter.diagnostics import Collector
from exporter.load import load_banks
from exporter.model import Bank
from exporter.variants import expand

REPO = Path(__file__).resolve().parents[1]
EVERY_TYPE = REPO / "tests" / "import_fixtures" / "every-type.yaml"
TYPES = {"multiple_choice", "multiple_answers", "true_false", "numerical", "short_answer", "essay", "matching", "cloze"}

ALL = writers.registered()


def banks() -> list[Bank]:
    loaded, problems = load_banks([str(EVERY_TYPE), str(REPO / "bank")])
    assert problems == []
    found = expand(loaded)
    assert {q.type for b in found for q in b.questions} == TYPES
    return found


BANKS = banks()


def contents(data: bytes) -> str:
    """The text a writer made: a zip's entries joined, or the file itself."""
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
    return data.decode("utf-8")


def test_the_builtin_targets_are_registered_in_build_order() -> None:
    assert [w.name for w in writers.selected()] == [n for n in writers.BUILTIN if writers.get(n).default]
    assert [w.name for w in writers.selected()] == ["canvas", "moodle", "gift"]
    assert len({w.target for w in ALL}) == len(ALL), "two writers would share an output folder"


@pytest.mark.parametrize("writer", ALL, ids=lambda w: w.name)
def test_writer_contract(writer: writers.Writer) -> None:
    assert writer.name and writer.suffix.startswith(".")
    options = writer.options()  # every option has a default
    for bank in BANKS:
        first, second = Collector(), Collector()
        data = writer.write(bank, options, first)
        assert isinstance(data, bytes) and data
        assert writer.write(bank, options, second) == data, "same bank and options, same bytes"
        assert first.items == second.items
        text = contents(data)
        for q in bank.questions:
            if not any(d.severity == "warning" and d.loc == q.loc and "left out" in d.message for d in first.items):
                assert q.id in text, f"{writer.name}: question {q.id} ({q.type}) is not in the output"
        lines = Path(bank.path).read_text(encoding="utf-8").count("\n") + 1
        for d in first.items:
            assert d.loc.path == bank.path and 1 <= d.loc.line <= lines and d.loc.col >= 1, str(d)
            assert d.code in CODES, f"{writer.name} reports an undeclared code: {d}"
            assert CODES[d.code].stage in (writer.name, "write", "figures"), str(d)


@pytest.mark.parametrize("writer", ALL, ids=lambda w: w.name)
def test_every_option_can_be_set_from_configuration(writer: writers.Writer) -> None:
    """What a writer declares is exactly what qbank.toml and --option accept."""
    for field in writer.option_fields():
        default = getattr(writer.options(), field.name)
        resolved = config.resolve([writer], {writer.name: {field.name: str(default) if not isinstance(default, str) else default}})
        assert getattr(resolved[writer.name], field.name) == default
    with pytest.raises(config.ConfigError, match="no such option"):
        config.resolve([writer], {writer.name: {"no_such_option": 1}})
