"""Write every target for every bank, all or nothing.

Writers return bytes and never touch the disk, so the whole build happens in memory first:
if any writer reports an error nothing is written and the previous `dist/` stays as it was.
Files are then replaced one by one through a temporary file and `os.replace`, so a crash
mid-write cannot leave a half-written zip either.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from .diagnostics import Diagnostic, Report
from .model import Bank
from .writers import all_writers


QUIZ_FOLDER = "quizzes"
"""Quizzes are written to `<target>/quizzes/`, so a quiz and a bank file never share a path."""


def render(banks: Sequence[Bank], report: Report, quizzes: Sequence[Bank] = ()) -> dict[Path, bytes]:
    """Every output file (relative path → bytes) for these banks (variants expanded) and
    quizzes (each assembled into a Bank by exporter.quizzes): the same writers for both."""
    outputs: dict[Path, bytes] = {}
    for bank in banks:
        for writer in all_writers():
            outputs[Path(writer.TARGET) / f"{bank.name}{writer.SUFFIX}"] = writer.write(bank, report)
    for quiz in quizzes:
        # A writer locates its findings at the bank lines of a question, but in a quiz the
        # cause may be the quiz (its `points:`): say which output the finding is about.
        def sink(d: Diagnostic, name: str = quiz.name) -> None:
            report(replace(d, message=f"quiz `{name}`: {d.message}"))

        for writer in all_writers():
            outputs[Path(writer.TARGET) / QUIZ_FOLDER / f"{quiz.name}{writer.SUFFIX}"] = writer.write(quiz, sink)
    return outputs


def write(outputs: dict[Path, bytes], out_dir: Path) -> list[Path]:
    """Replace changed files atomically; returns the paths that changed."""
    changed = []
    for rel, data in sorted(outputs.items()):
        target = out_dir / rel
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        changed.append(rel)
    return changed


def stale(outputs: dict[Path, bytes], out_dir: Path) -> list[str]:
    """What differs between `out_dir` and a fresh build: for CI's "is dist/ up to date?"."""
    problems = []
    for rel, data in sorted(outputs.items()):
        target = out_dir / rel
        if not target.is_file():
            problems.append(f"{target}: missing")
        elif target.read_bytes() != data:
            problems.append(f"{target}: out of date")
    for writer in all_writers():
        for folder, what in ((out_dir / writer.TARGET, "bank"), (out_dir / writer.TARGET / QUIZ_FOLDER, "quiz")):
            if folder.is_dir():
                for f in sorted(folder.iterdir()):
                    if f.is_file() and f.relative_to(out_dir) not in outputs:
                        problems.append(f"{f}: not produced by any {what} (left from a renamed or deleted {what}?)")
    return problems
