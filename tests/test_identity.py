"""Released ids keep their meaning: the lock catches lost, reused and repurposed ids."""

from __future__ import annotations

import textwrap
from pathlib import Path

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
