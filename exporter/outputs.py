"""Write every target for every bank, all or nothing.

Writers return bytes and never touch the output folder, so the whole build happens first —
in memory, or in a temporary staging folder when banks are rendered in parallel — and if
any writer reports an error nothing is written and the previous `dist/` stays as it was.
Files are then replaced one by one through a temporary file and `os.replace`, so a crash
mid-write cannot leave a half-written zip either.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from .diagnostics import Collector, Diagnostic, Report
from .model import Bank
from .writers import Writer, selected


QUIZ_FOLDER = "quizzes"
"""Quizzes are written to `<target>/quizzes/`, so a quiz and a bank file never share a path."""


Configured = tuple[Writer, object]
"""A writer and its options object."""


def configured(targets: Sequence[str] | None = None, options: Mapping[str, object] | None = None) -> list[Configured]:
    """The writers of these targets (default: those built by default), each with its
    options (default: the writer's defaults)."""
    chosen = selected(targets)
    given = options or {}
    return [(w, given.get(w.name) or w.options()) for w in chosen]


def _outputs_of(bank: Bank, report: Report, *, quiz: bool, writers: Sequence[Configured]) -> list[tuple[Path, bytes]]:
    """One bank's (or quiz's) files, one per writer."""
    folder = Path(QUIZ_FOLDER) if quiz else Path()

    def quiz_sink(d: Diagnostic) -> None:
        # A writer locates its findings at the bank lines of a question, but in a quiz the
        # cause may be the quiz (its `points:`): say which output the finding is about.
        report(replace(d, quiz=bank.name))

    sink = quiz_sink if quiz else report
    return [
        (Path(writer.target) / folder / f"{bank.name}{writer.suffix}", writer.write(bank, options, sink))
        for writer, options in writers
    ]


class Staged(Mapping[Path, bytes]):
    """Outputs kept in a staging folder and read one at a time, so a parallel build of a
    20,000-question bank never holds every file in memory at once."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="qbank-build-")
        self._files: dict[Path, Path] = {}

    def add(self, rel: Path, staged: Path) -> None:
        self._files[rel] = staged

    @property
    def folder(self) -> Path:
        return Path(self._dir.name)

    def __getitem__(self, rel: Path) -> bytes:
        return self._files[rel].read_bytes()

    def __iter__(self) -> Iterator[Path]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


_TASKS: list[tuple[Bank, bool]] = []
_STAGING: list[Path] = []
_WRITERS: list[Configured] = []


def _render_task(i: int) -> tuple[list[tuple[Path, Path]], list[Diagnostic]]:
    """In a forked worker: write task i's files to the staging folder; only paths and
    findings travel back to the parent."""
    found = Collector()
    staged = []
    bank, quiz = _TASKS[i]
    for k, (rel, data) in enumerate(_outputs_of(bank, found, quiz=quiz, writers=_WRITERS)):
        target = _STAGING[0] / f"{i}-{k}"
        target.write_bytes(data)
        staged.append((rel, target))
    return staged, found.items


def render(
    banks: Sequence[Bank],
    report: Report,
    quizzes: Sequence[Bank] = (),
    *,
    jobs: int = 1,
    writers: Sequence[Configured] | None = None,
) -> Mapping[Path, bytes]:
    """Every output file (relative path → bytes) for these banks (variants expanded) and
    quizzes (each assembled into a Bank by exporter.quizzes): the same writers for both.

    Writers are pure functions of one bank, so with `jobs` > 1 (and fork available) banks
    are written side by side, here and in forked processes; outputs and findings are merged
    back in bank order, so the result does not depend on `jobs`.
    """
    chosen = list(configured() if writers is None else writers)
    tasks = [(b, False) for b in banks] + [(q, True) for q in quizzes]
    jobs = min(jobs, len(tasks))
    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return {rel: data for bank, quiz in tasks for rel, data in _outputs_of(bank, report, quiz=quiz, writers=chosen)}
    staged = Staged()
    _TASKS[:] = tasks
    _STAGING[:] = [staged.folder]
    _WRITERS[:] = chosen
    results: list[tuple[list[tuple[Path, Path]], list[Diagnostic]] | None] = [None] * len(tasks)
    try:
        # jobs - 1 forked workers, and this process renders its share meanwhile: one fork
        # fewer, because every forked worker ends up copying much of the model it was forked
        # with (20,000 questions: 542 MB summed over the process tree with two workers).
        with multiprocessing.get_context("fork").Pool(jobs - 1) as pool:
            pending = {i: pool.apply_async(_render_task, (i,)) for i in range(len(tasks)) if i % jobs}
            for i in range(0, len(tasks), jobs):
                results[i] = _render_task(i)
            for i, result in pending.items():
                results[i] = result.get()
    finally:
        _TASKS.clear()
        _STAGING.clear()
        _WRITERS.clear()
    for rendered in results:  # in bank order, whoever rendered them
        assert rendered is not None  # every task was rendered, here or in a worker
        files, found = rendered
        for rel, path in files:
            staged.add(rel, path)
        for d in found:
            report(d)
    return staged


def write(outputs: Mapping[Path, bytes], out_dir: Path) -> list[Path]:
    """Replace changed files atomically; returns the paths that changed."""
    changed = []
    for rel in sorted(outputs):
        data = outputs[rel]
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


def stale(outputs: Mapping[Path, bytes], out_dir: Path, writers: Sequence[Configured] | None = None) -> list[str]:
    """What differs between `out_dir` and a fresh build of these writers' targets (all by
    default): for CI's "is dist/ up to date?"."""
    problems = []
    for rel in sorted(outputs):
        data = outputs[rel]
        target = out_dir / rel
        if not target.is_file():
            problems.append(f"{target}: missing")
        elif target.read_bytes() != data:
            problems.append(f"{target}: out of date")
    for writer, _ in configured() if writers is None else writers:
        for folder, what in ((out_dir / writer.target, "bank"), (out_dir / writer.target / QUIZ_FOLDER, "quiz")):
            if folder.is_dir():
                for f in sorted(folder.iterdir()):
                    if f.is_file() and f.relative_to(out_dir) not in outputs:
                        problems.append(f"{f}: not produced by any {what} (left from a renamed or deleted {what}?)")
    return problems
