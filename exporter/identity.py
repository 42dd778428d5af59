"""Stable question identity across terms: the release lock.

An id is a promise: the Moodle idnumber and the Canvas ident an LMS keeps from one term to
the next. Re-using an id for a different question silently mixes statistics and regrades,
so `bank/qbank.lock` records, for every released id, a fingerprint of what the question
*means* — its type, its key and its check — and not its wording, so fixing a typo is not a
new question but changing the key is.

- `qbank build` adds ids it has not seen to the lock (a release records what it shipped).
- `qbank check` and `qbank build` fail when a locked id disappears without being listed
  under `retired:` in its bank, when a retired id comes back, or when a question's meaning
  changed. A deliberate correction of the same question is accepted with
  `qbank lock --accept ID`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable, Sequence

from .diagnostics import Diagnostic
from .model import Bank, Loc, Question

LOCK_NAME = "qbank.lock"
LOCK_VERSION = 1


def _norm(text: str) -> str:
    return " ".join(text.split())


def fingerprint(q: Question) -> str:
    """A hash of the question's meaning: type, key and check, not wording or order."""
    if q.type in ("multiple_choice", "multiple_answers"):
        key: object = sorted(_norm(c.text) for c in q.choices if c.correct)
    elif q.type in ("numerical", "true_false"):
        key = [q.answer, q.tolerance]
    elif q.type == "short_answer":
        key = sorted(_norm(a.text) for a in q.answers)
    elif q.type == "matching":
        key = sorted([_norm(p.left), _norm(p.right)] for p in q.pairs)
    else:
        key = None
    check = None
    c = q.check
    if c is not None:  # field by field: dataclasses.asdict would deep-copy every Loc
        check = {
            "manual": c.manual is not None,
            "symbols": [[n, list(shape)] for n, shape in c.symbols],
            "functions": list(c.functions),
            "define": [(n, _norm(v)) for n, v, _ in c.define],
            "given": [(n, _norm(v)) for n, v, _ in c.given],
            "quantity": c.quantity and _norm(c.quantity),
            "claim": c.claim and _norm(c.claim),
        }
    blob = json.dumps({"type": q.type, "key": key, "check": check}, sort_keys=True, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def lock_path(paths: Sequence[str]) -> Path:
    """The lock lives in the (first) bank folder, beside the files it describes."""
    first = Path(paths[0]) if paths else Path("bank")
    return (first if first.is_dir() else first.parent) / LOCK_NAME


def read(path: Path) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return dict(data.get("questions", {}))


def serialise(entries: dict[str, dict[str, str]]) -> bytes:
    """Sorted, indented, newline-terminated: a lock diff shows exactly which ids changed."""
    body = {"qbank-lock": LOCK_VERSION, "questions": dict(sorted(entries.items()))}
    return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def entries_for(banks: Iterable[Bank]) -> dict[str, dict[str, str]]:
    return {q.id: {"bank": b.name, "fingerprint": fingerprint(q)} for b in banks for q in b.questions}


def compare(banks: Sequence[Bank], locked: dict[str, dict[str, str]], lock_file: Path) -> list[Diagnostic]:
    live = {q.id: (b, q) for b in banks for q in b.questions}
    loaded = {b.name for b in banks}  # checking one file must not call the others' ids lost
    retired = {rid: (b, loc) for b in banks for rid, loc in b.retired}
    unloaded = {qid for b in banks for qid, _ in b.unloaded}  # an error in it is reported already
    found = []
    for rid, (_bank, loc) in sorted(retired.items()):
        if rid in live:
            _, q = live[rid]
            found.append(
                Diagnostic(q.loc, "L103", f"id `{rid}` is retired (listed under `retired:` at {loc}); "
                           "retired ids are never reused: give this question a new id")
            )
    for qid, entry in sorted(locked.items()):
        if qid in live:
            bank, q = live[qid]
            if entry.get("fingerprint") != fingerprint(q):
                found.append(
                    Diagnostic(
                        q.loc,
                        "L102",
                        f"question `{qid}` changed its type, key or check since it was released ({lock_file}); "
                        "students' past attempts are recorded under this id: give the new question a new id "
                        f"and retire `{qid}`, or run `qbank lock --accept {qid}` if this corrects the same question",
                    )
                )
        elif qid not in retired and entry.get("bank") in loaded and qid not in unloaded:
            bank_name = entry.get("bank", "?")
            owner = next((b for b in banks if b.name == bank_name), None)
            where = Loc(owner.path, 1, 1) if owner else Loc(lock_file.as_posix(), 1, 1)
            found.append(
                Diagnostic(
                    where,
                    "L101",
                    f"question `{qid}` was released ({lock_file}) but is no longer in the bank: restore it, "
                    f"or list it under `retired:` in {bank_name}.yaml so its id is never reused",
                )
            )
    return found


def updated(banks: Sequence[Bank], locked: dict[str, dict[str, str]], accept: Iterable[str] = ()) -> dict[str, dict[str, str]]:
    """The lock after a release: new ids added, accepted ids re-fingerprinted, retired kept."""
    current = entries_for(banks)
    out = dict(locked)
    for qid, entry in current.items():
        if qid not in out or qid in set(accept):
            out[qid] = entry
    return out
