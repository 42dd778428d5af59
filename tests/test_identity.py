"""Released ids keep their meaning: the lock catches lost, reused and repurposed ids."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from exporter import identity
from exporter.load import load_banks

BANK = """\
title: t
{retired}questions:
  - id: a
    type: numerical
    text: {text}
    answer: {answer}
    tolerance: 0
    check:
      quantity: 1 + 1
  - id: b
    type: essay
    text: Explain.
    check:
      manual: graded by a person, nothing to compute
"""


def load(tmp_path: Path, *, text: str = "One plus one?", answer: str = "2", retired: str = "", drop_b: bool = False):
    body = BANK.format(text=text, answer=answer, retired=retired)
    if drop_b:
        body = body.split("  - id: b")[0]
    (tmp_path / "t.yaml").write_text(textwrap.dedent(body), encoding="utf-8")
    banks, problems = load_banks([str(tmp_path)])
    assert problems == []
    return banks


def codes(tmp_path: Path, banks, locked) -> list[tuple[str, str]]:
    return [(d.code, d.message.split("`")[1]) for d in identity.compare(banks, locked, tmp_path / "qbank.lock")]


def test_rewording_keeps_identity_but_a_new_key_does_not(tmp_path: Path) -> None:
    locked = identity.entries_for(load(tmp_path))
    assert codes(tmp_path, load(tmp_path, text="What is one   plus one?"), locked) == []
    assert codes(tmp_path, load(tmp_path, answer="3"), locked) == [("L102", "a")]


def test_removed_id_must_be_retired(tmp_path: Path) -> None:
    locked = identity.entries_for(load(tmp_path))
    assert codes(tmp_path, load(tmp_path, drop_b=True), locked) == [("L101", "b")]
    assert codes(tmp_path, load(tmp_path, drop_b=True, retired="retired: [b]\n"), locked) == []


def test_retired_id_is_never_reused(tmp_path: Path) -> None:
    banks = load(tmp_path, retired="retired: [a]\n")
    assert codes(tmp_path, banks, {}) == [("L103", "a")]


def test_accepting_a_correction_updates_only_that_id(tmp_path: Path) -> None:
    locked = identity.entries_for(load(tmp_path))
    changed = load(tmp_path, answer="3")
    assert identity.updated(changed, locked) == locked  # a build never accepts silently
    accepted = identity.updated(changed, locked, accept=["a"])
    assert codes(tmp_path, changed, accepted) == []
    assert accepted["b"] == locked["b"]


def test_lock_file_is_deterministic_and_sorted(tmp_path: Path) -> None:
    entries = identity.entries_for(load(tmp_path))
    reversed_entries = dict(reversed(list(entries.items())))
    assert identity.serialise(entries) == identity.serialise(reversed_entries)


def test_checking_one_file_does_not_report_other_files_ids(tmp_path: Path) -> None:
    banks = load(tmp_path)
    locked = identity.entries_for(banks) | {"elsewhere": {"bank": "other", "fingerprint": "sha256:0"}}
    assert codes(tmp_path, banks, locked) == []


# --- a damaged lock is a located finding, never a traceback (issue 13, item 13) -------------

GOOD_LOCK = '{\n  "qbank-lock": 1,\n  "questions": {\n    "a": {"bank": "t", "fingerprint": "sha256:00"}\n  }\n}\n'
CONFLICTED = """{
  "qbank-lock": 1,
  "questions": {
<<<<<<< HEAD
    "a": {"bank": "t", "fingerprint": "sha256:00"}
=======
    "b": {"bank": "t", "fingerprint": "sha256:11"}
>>>>>>> feature
  }
}
"""


@pytest.mark.parametrize(
    "content, code, loc, words",
    [
        (CONFLICTED.encode(), "L105", (4, 1), "merge conflict in the lock"),
        (b"{\n  \"qbank-lock\": 1,\n  \"questions\": {,}\n}\n", "L104", (3, 17), "not valid JSON"),
        (b"[1, 2]\n", "L104", (1, 1), "a JSON object, not list"),
        (b'"a lock"\n', "L104", (1, 1), "a JSON object, not str"),
        (b'{"questions": []}\n', "L104", (1, 1), "an object with `questions`"),
        (GOOD_LOCK.replace('{"bank": "t", "fingerprint": "sha256:00"}', '"released"').encode(), "L104", (4, 5), "entry for `a`"),
        (GOOD_LOCK.encode().replace(b'"t"', b'"\xff"'), "L104", (4, 20), "not UTF-8 (byte 0xff)"),
    ],
)
def test_damaged_lock_is_a_located_finding(tmp_path: Path, content: bytes, code: str, loc: tuple[int, int], words: str) -> None:
    lock = tmp_path / "qbank.lock"
    lock.write_bytes(content)
    entries, problems = identity.load(lock)
    assert [(d.code, d.loc.line, d.loc.col) for d in problems] == [(code, *loc)]
    assert words in problems[0].message
    assert "qbank build" in problems[0].message  # says how to get back to a good lock


@pytest.mark.parametrize("content", [CONFLICTED.encode(), b"[1, 2]\n", b"\xff\xfe"])
def test_cli_reports_a_damaged_lock_and_builds_nothing(tmp_path: Path, monkeypatch, capsys, content: bytes) -> None:
    from exporter.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "bank").mkdir()
    load(tmp_path / "bank")
    (tmp_path / "bank" / "qbank.lock").write_bytes(content)
    for argv in (["check"], ["build"], ["lock"], ["lock", "--accept", "a"]):
        assert main([*argv, "-j", "1"] if argv[0] != "lock" else argv) == 1
        err = capsys.readouterr().err
        assert "bank/qbank.lock:" in err and ("L104" in err or "L105" in err) and "Traceback" not in err
    assert not (tmp_path / "dist").exists()
    assert (tmp_path / "bank" / "qbank.lock").read_bytes() == content  # nothing rewrote it


def test_taking_one_side_of_a_conflict_and_building_repairs_the_lock(tmp_path: Path, monkeypatch) -> None:
    from exporter.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "bank").mkdir()
    load(tmp_path / "bank")
    (tmp_path / "bank" / "qbank.lock").write_bytes(CONFLICTED.encode())
    ours = CONFLICTED.split("<<<<<<< HEAD\n")[0] + CONFLICTED.split("<<<<<<< HEAD\n")[1].split("=======\n")[0] + "  }\n}\n"
    (tmp_path / "bank" / "qbank.lock").write_text(ours)  # `git checkout --ours`
    assert main(["build", "-j", "1"]) == 1  # a's fingerprint in "ours" is made up: L102, as it should be
    assert main(["lock", "--accept", "a"]) == 0
    assert main(["build", "-j", "1"]) == 0
    assert set(identity.read(tmp_path / "bank" / "qbank.lock")) == {"a", "b"}
