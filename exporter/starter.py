"""`qbank new DIR`: a project to start from, which checks and builds clean as written.

The files are package data (exporter/data/starter/), so they are the same files the tests
check and build; the JSON Schemas are copied beside them so an editor completes fields
(the `# yaml-language-server: $schema=` line of each file points there). Nothing is ever
overwritten: if any file to be written exists, nothing is written.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

BANK_FILE = "bank/week1.yaml"

_FILES = {  # path in the new project → (package, resource)
    BANK_FILE: ("exporter", "data/starter/week1.yaml"),
    "quizzes/practice.yaml": ("exporter", "data/starter/practice.yaml"),
    ".github/workflows/qbank.yml": ("exporter", "data/starter/qbank.yml"),
    ".gitignore": ("exporter", "data/starter/gitignore"),
    "schema/bank.schema.json": ("exporter._schema", "bank.schema.json"),
    "schema/quiz.schema.json": ("exporter._schema", "quiz.schema.json"),
}


class Exists(Exception):
    """Files of the starter project are already there: nothing was written."""

    def __init__(self, paths: list[Path]) -> None:
        super().__init__(", ".join(p.as_posix() for p in paths))
        self.paths = paths


def create(folder: str | os.PathLike[str]) -> list[Path]:
    """Write the starter project into `folder` (created if needed); returns what was written."""
    root = Path(folder)
    targets = {root / rel: source for rel, source in _FILES.items()}
    taken = [p for p in targets if p.exists() or p.is_symlink()]
    # a project that already has a bank or quizzes would get a second set of questions
    # whose ids may clash with its own: that is not a start, so it is refused as well
    for folder_name in ("bank", "quizzes"):
        existing = root / folder_name
        if existing.is_dir():
            taken += sorted(p for p in existing.rglob("*") if p.suffix in (".yaml", ".yml") and p not in targets)
    if taken:
        raise Exists(taken)
    contents = {p: resources.files(package).joinpath(name).read_bytes() for p, (package, name) in targets.items()}
    written = []
    for path, data in contents.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as out:  # "x": never replace a file that appeared meanwhile
            out.write(data)
        written.append(path)
    return written
