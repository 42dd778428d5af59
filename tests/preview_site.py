"""Build the preview of the committed bank and quizzes once, for the page tests."""

from __future__ import annotations

from pathlib import Path

import yaml

from exporter.cli import main

REPO = Path(__file__).resolve().parents[1]


def build_site(out: Path) -> Path:
    """`qbank preview` of bank/ and quizzes/ into `out` (run from the repository, as a
    user would); returns `out`."""
    code = main(["preview", str(REPO / "bank"), "--quizzes", str(REPO / "quizzes"), "-o", str(out), "-j", "1"])
    assert code == 0
    return out


def committed_question_ids() -> dict[str, set[str]]:
    """Every id in the committed bank files, per bank (file stem), read straight from the
    YAML (not through qbank): each bank's preview page must show each of them."""
    ids: dict[str, set[str]] = {}
    for f in sorted((REPO / "bank").glob("*.yaml")):
        ids[f.stem] = {q["id"] for q in yaml.safe_load(f.read_text(encoding="utf-8"))["questions"]}
    return ids
