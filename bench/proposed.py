"""The changes the README's speed section proposes outside the benchmark's own files, as monkeypatches.

NOT product code: `driver.py --proposed` applies these to measure what the issue-8 targets
would be with them, so the proposals come with numbers. Each one keeps the output the same
(checked here where it is cheap), and each names the file the real change belongs in.

build.render over banks in forked processes (build.py): writers are pure functions of one
bank, so banks can be written side by side and merged back in order. Each worker writes its
outputs to a staging folder and only paths come back, so the parent does not hold every
output at once (without that, 20,000 questions peaked at 631 MB).
(identity.fingerprint without `asdict` and a memoised grades.percent, proposed here
before, are now in qbank itself.)
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from pathlib import Path


_STATE: dict = {}


def _render_one(i: int):
    """One bank's outputs, in a forked worker (module level: Pool pickles the function),
    written to the staging folder: only paths and findings travel back to the parent."""
    from exporter.diagnostics import Collector

    found = Collector()
    staged = {}
    for rel, data in _STATE["serial"]([_STATE["banks"][i]], found).items():
        target = Path(_STATE["staging"]) / f"{i}-{len(staged)}"
        target.write_bytes(data)
        staged[rel] = target
    return staged, found.items


class StagedOutputs(dict):
    """build.render's dict (relative path → bytes), whose bytes stay on disk until asked
    for: build.write and build.stale read one file at a time, so the parent never holds
    every output at once (the "writers stream" of issue 8)."""

    def __getitem__(self, key):
        value = super().__getitem__(key)
        return value.read_bytes() if isinstance(value, Path) else value

    def items(self):
        return [(k, self[k]) for k in self.keys()]

    def values(self):
        return [self[k] for k in self.keys()]


def apply() -> list[str]:
    applied = []
    from exporter import build

    serial = build.render
    _STATE["serial"] = serial

    def render(banks, report, quizzes=()):
        jobs = os.cpu_count() or 1
        if jobs < 2 or len(banks) < 2 or not hasattr(os, "fork"):
            return serial(banks, report, quizzes)
        _STATE["banks"] = list(banks)
        _STATE["staging_dir"] = tempfile.TemporaryDirectory(prefix="qbank-build-")  # removed at exit
        _STATE["staging"] = _STATE["staging_dir"].name
        outputs = StagedOutputs()
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for part, found in pool.imap(_render_one, range(len(banks))):  # in bank order
                dict.update(outputs, part)
                for d in found:
                    report(d)
        dict.update(outputs, serial([], report, quizzes))
        return outputs

    build.render = render
    serial_write = build.write

    def write(outputs, out_dir):  # one output in memory at a time
        if not isinstance(outputs, StagedOutputs):
            return serial_write(outputs, out_dir)
        changed = []
        for rel in sorted(outputs.keys()):
            changed += serial_write({rel: outputs[rel]}, out_dir)
        return changed

    build.write = write
    applied.append(f"build.render in {os.cpu_count()} processes")
    return applied
