"""The changes the README's speed section proposes outside the benchmark's own files, as monkeypatches.

NOT product code: `driver.py --proposed` applies these to measure what the issue-8 targets
would be with them, so the proposals come with numbers. Each one keeps the output the same
(checked here where it is cheap), and each names the file the real change belongs in.

1. identity.fingerprint without `dataclasses.asdict` (identity.py): `asdict` deep-copies
   the whole Check, Locs included, for every question on every run — 75 µs a question,
   0.35 s of a 5,000-question check and 1.5 s at 20,000.
2. build.render over banks in forked processes (build.py): writers are pure functions of
   one bank, so banks can be written side by side and merged back in order. Each worker
   writes its outputs to a staging folder and only paths come back, so the parent does
   not hold every output at once (without that, 20,000 questions peaked at 631 MB).
3. grades.percent memoised (grades.py): a handful of distinct weights, recomputed with
   Fractions ~4 times per question.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import tempfile
from functools import lru_cache
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
    from exporter import identity

    original = identity.fingerprint
    norm = identity._norm

    def fingerprint(q):  # same blob as identity.fingerprint, without asdict
        if q.type in ("multiple_choice", "multiple_answers"):
            key: object = sorted(norm(c.text) for c in q.choices if c.correct)
        elif q.type in ("numerical", "true_false"):
            key = [q.answer, q.tolerance]
        elif q.type == "short_answer":
            key = sorted(norm(a.text) for a in q.answers)
        elif q.type == "matching":
            key = sorted([norm(p.left), norm(p.right)] for p in q.pairs)
        else:
            key = None
        check = None
        c = q.check
        if c is not None:
            check = {
                "manual": c.manual is not None,
                "symbols": [[n, list(shape)] for n, shape in c.symbols],
                "functions": list(c.functions),
                "define": [(n, norm(v)) for n, v, _ in c.define],
                "given": [(n, norm(v)) for n, v, _ in c.given],
                "quantity": c.quantity and norm(c.quantity),
                "claim": c.claim and norm(c.claim),
            }
        blob = json.dumps({"type": q.type, "key": key, "check": check}, sort_keys=True, ensure_ascii=False)
        return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]

    checked = [0]

    def fingerprint_checked(q):
        fast = fingerprint(q)
        if checked[0] < 20:  # the first few are compared with the original
            checked[0] += 1
            assert fast == original(q), q.id
        return fast

    identity.fingerprint = fingerprint_checked
    applied.append("identity.fingerprint without asdict")

    from exporter import grades

    memo = lru_cache(maxsize=None)(grades.percent)
    for name in ("exporter.grades", "exporter.writers.moodle", "exporter.writers.gift", "exporter.writers.canvas"):
        module = __import__(name, fromlist=["x"])
        if getattr(module, "percent", None) is grades.percent:
            module.percent = memo
    grades.percent = memo
    applied.append("grades.percent memoised")

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
