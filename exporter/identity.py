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
import re
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
    """The lock's entries; those of a damaged lock that `load` could still read."""
    return load(path)[0]


_CONFLICT = re.compile(r"^(<{7}|={7}|>{7}|\|{7})(?: |$)", re.M)


def load(path: Path) -> tuple[dict[str, dict[str, str]], list[Diagnostic]]:
    """The lock's entries, and a located finding for anything wrong with the file.

    The lock is committed and edited by git, so it can hold anything: most often merge
    conflict markers (two branches each released questions — normal in a team), also a
    bad hand edit or another tool's bytes. None of that may stop qbank with a traceback,
    and a damaged entry must not be taken for an empty lock silently (every released id
    would be free again), so each problem is an L104/L105 error saying how to repair it.
    """
    if not path.is_file():
        return {}, []
    where = path.as_posix()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return {}, [Diagnostic(Loc(where, 1, 1), "L104", f"cannot read the lock: {exc.strerror}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        loc = Loc(where, before.count(b"\n") + 1, exc.start - (before.rfind(b"\n") + 1) + 1)
        return {}, [Diagnostic(loc, "L104", f"the lock is not UTF-8 (byte 0x{raw[exc.start]:02x}); {_repair(where)}")]
    conflict = _CONFLICT.search(text)
    if conflict is not None:
        line = text.count("\n", 0, conflict.start()) + 1
        return {}, [Diagnostic(Loc(where, line, 1), "L105",
                               "merge conflict in the lock (two branches both released questions: normal in a team); "
                               f"keep either side (`git checkout --ours {where}` or `--theirs`), then run `qbank build`, "
                               "which records the other side's released ids again (repeat any `qbank lock --accept ID` "
                               "the dropped side had made)")]
    try:
        data = json.loads(text)
    except ValueError as exc:
        loc = Loc(where, getattr(exc, "lineno", 1), getattr(exc, "colno", 1))
        return {}, [Diagnostic(loc, "L104", f"the lock is not valid JSON ({getattr(exc, 'msg', exc)}); {_repair(where)}")]
    questions = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(questions, dict):
        what = "an object with `questions`" if isinstance(data, dict) else f"a JSON object, not {type(data).__name__}"
        return {}, [Diagnostic(Loc(where, 1, 1), "L104", f"the lock must be {what}; {_repair(where)}")]
    entries: dict[str, dict[str, str]] = {}
    problems = []
    for qid, entry in questions.items():
        if isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("bank", "fingerprint")):
            entries[qid] = entry
            continue
        problems.append(Diagnostic(_key_loc(where, text, qid), "L104",
                                   f"the lock's entry for `{qid}` is not {{\"bank\": …, \"fingerprint\": …}}; {_repair(where)}"))
    return entries, problems


def _repair(where: str) -> str:
    return (f"restore it from git (`git checkout -- {where}`, or from an earlier commit); only if it is lost, delete it "
            "and run `qbank build`, which records every question now in the bank as released")


def _key_loc(where: str, text: str, key: str) -> Loc:
    """Where `"key":` is written in the lock (json keeps no positions), else 1:1."""
    at = text.find(json.dumps(key, ensure_ascii=False) + ":")
    if at < 0:
        return Loc(where, 1, 1)
    return Loc(where, text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1)


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
