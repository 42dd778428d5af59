"""The finding-code registry is the one truth: every code qbank reports is declared there,
and the README documents exactly the declared codes, with the declared severity."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from exporter.codes import ALIASES, CODES, lookup
from exporter.diagnostics import Diagnostic
from exporter.model import Loc

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
ROW = re.compile(r"^\|\s*`?([A-Z]\d{3}(?:\s*/\s*[A-Z]\d{3})*)`?\s*\|(.*)\|\s*$", re.M)


def readme_rows() -> dict[str, list[list[str]]]:
    """code → the README table rows that document it (a row may name `E110 / E111`)."""
    rows: dict[str, list[list[str]]] = {}
    for m in ROW.finditer(README):
        cells = [c.strip() for c in m.group(2).split("|")]
        for code in re.split(r"\s*/\s*", m.group(1)):
            rows.setdefault(code, []).append(cells)
    return rows


def source_codes() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "exporter").rglob("*.py") if p.name != "codes.py")
    return set(re.findall(r'"([A-Z]\d{3})"', text))


def test_every_code_in_the_source_is_declared() -> None:
    used = source_codes()
    assert len(used) > 50
    assert sorted(c for c in used if lookup(c) is None) == []
    assert sorted(c for c in used if c in ALIASES) == [], "report the new code, not an alias"


def test_every_declared_code_is_documented_in_a_readme_table() -> None:
    """An author who meets a code in CI must find it in the README."""
    rows = readme_rows()
    assert sorted(set(CODES) - set(rows)) == []


def test_the_readme_documents_no_code_that_does_not_exist() -> None:
    rows = readme_rows()
    stale = sorted(c for c in rows if c not in CODES)
    assert stale == [], "a README row names a code qbank never reports (renamed? merged? then say so in the row)"
    for old, _new in ALIASES.items():
        assert re.search(rf"Formerly [A-Z0-9 ,and]*\b{old}\b", README), old


def test_readme_severities_agree_with_the_registry() -> None:
    for code, rows in readme_rows().items():
        for cells in rows:
            stated = cells[0] if cells[0] in ("error", "warning") else ("warning" if cells[0].startswith("warning:") else None)
            if stated is not None:
                assert stated == CODES[code].severity, (code, cells)


def test_every_code_says_what_it_is_and_what_to_do() -> None:
    for c in CODES.values():
        assert re.fullmatch(r"[A-Z]\d{3}", c.code)
        assert c.summary and c.action and c.stage, c.code
        assert c.severity in ("error", "warning")


@pytest.mark.parametrize("code", ["G201", "E001", "W201"])
def test_a_diagnostic_takes_its_severity_from_the_registry(code: str) -> None:
    d = Diagnostic(Loc("bank/a.yaml", 1, 1), code, "something")
    assert d.severity == CODES[code].severity
    assert Diagnostic(Loc("bank/a.yaml", 1, 1), code, "something", "error").severity == "error"  # promoted


def test_subject_fields_are_shown_but_not_part_of_the_message() -> None:
    d = Diagnostic(Loc("bank/a.yaml", 3, 5), "K101", "choice A is keyed correct", question="q-v2", variant="q-v2 (a=1)", quiz="mid")
    assert d.message == "choice A is keyed correct"
    assert str(d) == "bank/a.yaml:3:5: K101 quiz `mid`: variant q-v2 (a=1): choice A is keyed correct"
