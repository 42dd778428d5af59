"""Remember what was already checked (and loaded), so CI re-does only what changed.

A department bank is checked on every pull request, and most pull requests touch a handful
of its thousands of questions. sympy needs tens of milliseconds to seconds per question;
reading a hash needs microseconds. So each question's findings are stored under a hash of
everything that decides them, and a question whose hash is unchanged is not re-checked.

What goes into the key (and why):

- the question's whole content — every field of the model, in a canonical form;
- its *layout*: every location inside it relative to the question's first line. A question
  that only moved (a question above it grew by two lines) keeps its key, so one edit does
  not invalidate everything below it; its stored findings are re-based onto its new first
  line and file. A question whose inside was re-indented or re-wrapped gets a new key,
  because stored columns and line offsets would no longer point at the right place;
- a fingerprint of the code that decides findings: the qbank version, the Python, sympy,
  PyYAML and jsonschema versions, and a hash of qbank's own source and schema (so a
  development checkout whose version string did not change still never trusts results
  computed by other code).

What is never stored: findings whose messages mention absolute positions (they could not be
re-based), and findings about the run rather than the question (a check that timed out or
whose worker died: a longer timeout or a healthy machine may give another answer).

Storage: `.qbank-cache/<fingerprint>/check/<ab>/<key>.json`, one small JSON file per
question, written to a temporary file and renamed into place, so a crash or two concurrent
runs never leave a half-written entry in its place. An entry that does not parse, has the
wrong shape or names another key is ignored (and rewritten). Deleting the directory is
always safe: it only costs one cold run. Only the few most recent fingerprints are kept.

The loader has the same problem at a larger scale (YAML + JSON Schema for thousands of
questions costs seconds), so `LoadCache` stores each *file*'s loaded model keyed by the
file's bytes; see its docstring.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import json
import os
import pickle
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Sequence

from . import __version__
from .diagnostics import Diagnostic, Report
from .model import Answer, Bank, Check, Choice, Feedback, Group, Loc, Pair, Parameters, Question

DEFAULT_DIR = ".qbank-cache"
FORMAT = 1  # bump when the entry layout below changes
KEEP_FINGERPRINTS = 3  # older cache generations are deleted when a new one is created

# A message that names a line ("first at line 12", "see 3:7") could not be re-based.
_ABSOLUTE_POSITION = re.compile(r"\bline \d+|\b\d+:\d+\b")


# --- the fingerprint of everything that decides a finding -----------------------------------


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """Versions + a hash of qbank's own code and schema, as hex.

    Reading the sympy version from its metadata (not `sympy.__version__`) keeps a fully
    cached run from paying sympy's import time.
    """
    h = hashlib.sha256()
    h.update(f"format={FORMAT}\nqbank={__version__}\npython={sys.version}\n".encode())
    h.update(f"impl={sys.implementation.name}\n".encode())
    for dist in ("sympy", "mpmath", "PyYAML", "jsonschema"):
        h.update(f"{dist}={_version(dist)}\n".encode())
    package = Path(__file__).resolve().parent
    # everything but the writers, which neither load nor check
    sources = sorted(p for p in package.rglob("*.py") if p.relative_to(package).parts[0] != "writers")
    try:
        from importlib import resources

        schema = resources.files("exporter._schema")
        sources_extra = [(p.name, p.read_bytes()) for p in sorted(schema.iterdir(), key=lambda p: p.name) if p.name.endswith(".json")]
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        sources_extra = []
    for path in sources:
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name, data in sources_extra:
        h.update(name.encode() + b"\0" + data + b"\0")
    return h.hexdigest()


def _generation_dir(cache_dir: Path, fp: str) -> Path:
    """`.qbank-cache/<fp[:16]>/`: everything one version of qbank wrote."""
    return cache_dir / fp[:16]


_PREPARED: set[Path] = set()
_GENERATION = re.compile(r"[0-9a-f]{16}")
# https://bford.info/cachedir/ : backup tools skip a folder holding this file.
_TAG = b"Signature: 8a477f597d28d172789f06886806bc55\n# qbank's cache (see exporter/cache.py): safe to delete.\n"


def _prepare_generation(cache_dir: Path, generation: Path) -> None:
    """Once per process before the first write: tag the cache folder, mark this generation
    as the most recently used, and delete all but the few most recently used others (an
    upgrade must not leave the old results lying around for ever)."""
    if generation in _PREPARED:
        return
    _PREPARED.add(generation)
    try:
        generation.mkdir(parents=True, exist_ok=True)
        os.utime(generation)
        tag = cache_dir / "CACHEDIR.TAG"
        if not tag.exists():
            _write_atomic(tag, _TAG)
        if tag.read_bytes() != _TAG:
            return  # not a folder we made: never delete anything in it
        others = sorted(
            (p for p in cache_dir.iterdir() if p.is_dir() and p != generation and _GENERATION.fullmatch(p.name)),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
    except OSError:
        return
    for stale in others[KEEP_FINGERPRINTS - 1 :]:
        shutil.rmtree(stale, ignore_errors=True)


def _write_atomic(target: Path, data: bytes) -> bool:
    """Write via a temporary file + rename: readers see the old entry or the new one, never
    half of one. Failure (read-only tree, full disk) only means no caching: never an error."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return True
    except OSError:
        return False


# --- canonical content and layout of a question -------------------------------------------


def _locs(value: object, out: list[Loc]) -> list[Loc]:
    if type(value) is Loc:
        out.append(value)  # type: ignore[arg-type]
    elif type(value) is tuple:
        for item in value:  # type: ignore[union-attr]
            _locs(item, out)
    elif hasattr(value, "__dataclass_fields__"):
        for item in value.__dict__.values():
            _locs(item, out)
    return out


def question_start(q: Question) -> int:
    """The first line any part of the question sits on (`id` need not be its first key)."""
    return min(loc.line for loc in _locs(q, []))


class _KeyPickler(pickle.Pickler):
    """Pickles a question with every Loc replaced by its offset from the question's `id`.

    Pickle is the fastest canonical serialisation of the model the standard library has
    (C code, exact floats, field order fixed by the dataclasses); `fast` mode turns off
    its memo, so the bytes depend on the values only, never on which objects happen to
    be shared. Locs go through `persistent_id`, which is how a moved question keeps its
    key: its content and inner layout are the same, only its anchor line changed.
    """

    def __init__(self, buffer: io.BytesIO) -> None:
        super().__init__(buffer, protocol=5)
        self.fast = True
        self.base = 0
        self.path = ""

    def persistent_id(self, obj: object) -> object:
        if type(obj) is Loc:
            rel = (obj.line - self.base, obj.col)  # type: ignore[attr-defined]
            return rel if obj.path == self.path else rel + (obj.path,)  # type: ignore[attr-defined]
        return None


def question_key(q: Question, fp: str | None = None) -> str:
    """sha256 (hex) of the fingerprint and the question's content with relative layout."""
    buffer = io.BytesIO()
    pickler = _KeyPickler(buffer)
    pickler.base, pickler.path = q.loc.line, q.loc.path
    buffer.write((fp or fingerprint()).encode() + b"\0")
    pickler.dump(q)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def file_key(path: str, raw: bytes, fp: str | None = None) -> str:
    """sha256 (hex) of a bank file's path and bytes: what its loaded model and its
    findings depend on (besides the fingerprint)."""
    return hashlib.sha256(f"{fp or fingerprint()}\0{path}\0".encode() + raw).hexdigest()


# --- the check cache ----------------------------------------------------------------------


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    stored: int = 0
    corrupt: int = 0
    uncacheable: int = 0
    file_hits: int = 0


@dataclass(frozen=True)
class CachedSummary:
    """The counts `keys.CheckSummary` has, for a run answered partly from the cache
    (computed the same way, so a warm run prints the summary line a cold one does)."""

    checked: int  # machine-checked questions (passing or not)
    manual: int  # questions with `check: manual`
    failed: int  # questions with at least one finding
    total: int = 0

    @property
    def ok(self) -> bool:
        return self.failed == 0


def summarize(questions: Sequence[Question], findings: dict[str, list[Diagnostic]]) -> CachedSummary:
    return CachedSummary(
        checked=sum(1 for q in questions if q.check is not None and not q.check.is_manual),
        manual=sum(1 for q in questions if q.check is not None and q.check.is_manual),
        failed=sum(1 for q in questions if findings.get(q.id)),
        total=len(questions),
    )


def is_transient(d: Diagnostic) -> bool:
    """Findings about the run rather than the question (keys.py: K108 the check timed out;
    K109 the worker died, ran out of memory, or sympy raised): never replayed, so a longer
    `--timeout` or a fixed machine gets a fresh answer."""
    return d.code in ("K108", "K109")


def _encode(diagnostics: Iterable[Diagnostic], base: int) -> list[list[object]]:
    return [[d.loc.line - base, d.loc.col, d.code, d.message, d.severity] for d in diagnostics]


def _decode(rows: object, path: str, base: int) -> list[Diagnostic]:
    """Findings from an entry, or ValueError if the entry is not what we write."""
    if not isinstance(rows, list):
        raise ValueError("malformed entry")
    found = []
    for row in rows:
        if not (isinstance(row, list) and len(row) == 5):
            raise ValueError("malformed finding")
        dline, col, code, message, severity = row
        if not (isinstance(dline, int) and isinstance(col, int) and isinstance(code, str)
                and isinstance(message, str) and severity in ("error", "warning")):
            raise ValueError("malformed finding")
        found.append(Diagnostic(Loc(path, base + dline, col), code, message, severity))
    return found


class CachedChecker:
    """Findings of the answer-key check across runs, at two levels.

    - per question (`split` / `store`): found by the question's key wherever it now is;
      this is what keeps one edit from re-checking the questions that merely moved;
    - per file (`lookup_file` / `store_file`): one read for all the findings of a file
      whose bytes did not change, given the file keys `LoadCache` computed anyway; this
      is what keeps a run over thousands of unchanged questions in the tens of ms.

    `run` does the whole round trip around `keys.check_questions`.
    """

    def __init__(
        self,
        cache_dir: str | os.PathLike[str] = DEFAULT_DIR,
        *,
        fp: str | None = None,
        transient: Callable[[Diagnostic], bool] | None = None,
    ) -> None:
        self.root = Path(cache_dir)
        self.fp = fp or fingerprint()
        self.generation = _generation_dir(self.root, self.fp)
        self.dir = self.generation / "check"
        self.transient = transient or is_transient
        self.stats = CacheStats()
        self._keys: dict[int, tuple[Question, str]] = {}
        self._complete: set[str] = set()  # ids whose findings this run knows in full

    # -- per question

    def key(self, q: Question) -> str:
        known = self._keys.get(id(q))
        if known is None or known[0] is not q:
            known = self._keys[id(q)] = (q, question_key(q, self.fp))
        return known[1]

    def _entry_path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    def _read(self, target: Path) -> dict | None:
        try:
            raw = target.read_bytes()
        except OSError:
            return None
        try:
            entry = json.loads(raw)
        except ValueError:
            self.stats.corrupt += 1
            return None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            self.stats.corrupt += 1
            return None
        return entry

    def lookup(self, q: Question) -> list[Diagnostic] | None:
        """The question's findings re-based to where it is now, or None (not cached)."""
        key = self.key(q)
        entry = self._read(self._entry_path(key))
        if entry is None:
            return None
        try:
            if entry.get("key") != key or entry.get("id") != q.id:
                raise ValueError("entry for another question")
            return _decode(entry.get("diagnostics"), q.loc.path, q.loc.line)
        except ValueError:
            self.stats.corrupt += 1
            return None

    def split(self, questions: Iterable[Question]) -> tuple[dict[str, list[Diagnostic]], list[Question]]:
        """(findings of the questions found in the cache, by id; the questions to check)."""
        hits: dict[str, list[Diagnostic]] = {}
        misses: list[Question] = []
        for q in questions:
            found = self.lookup(q)
            if found is None:
                misses.append(q)
            else:
                hits[q.id] = found
                self._complete.add(q.id)
        self.stats.hits += len(hits)
        self.stats.misses += len(misses)
        return hits, misses

    def replayable(self, q: Question, diagnostics: Sequence[Diagnostic]) -> bool:
        """Whether these findings can be shown again for this content wherever it moves."""
        return all(
            d.loc.path == q.loc.path and not _ABSOLUTE_POSITION.search(d.message) and not self.transient(d)
            for d in diagnostics
        )

    def store(self, q: Question, diagnostics: Sequence[Diagnostic]) -> bool:
        """Remember a question's complete findings; False if they cannot be replayed safely."""
        if any(self.transient(d) for d in diagnostics):
            self.stats.uncacheable += 1
            return False
        self._complete.add(q.id)
        if not self.replayable(q, diagnostics):
            self.stats.uncacheable += 1  # still fine for its file's bundle: nothing moved there
            return False
        key = self.key(q)
        entry = {"format": FORMAT, "key": key, "id": q.id, "diagnostics": _encode(diagnostics, q.loc.line)}
        _prepare_generation(self.root, self.generation)
        ok = _write_atomic(self._entry_path(key), json.dumps(entry, ensure_ascii=False).encode("utf-8"))
        self.stats.stored += ok
        return ok

    def store_batch(self, checked: Sequence[Question], diagnostics: Sequence[Diagnostic]) -> dict[str, list[Diagnostic]]:
        """Store a batch checked together, giving each finding to the question it lies in.

        A finding belongs to the last checked question of its file that starts at or
        before it. A finding that cannot be placed that way (outside every checked
        question) makes every question of its file uncacheable: better re-checked next
        time than replayed without one of its findings.
        """
        by_path: dict[str, list[tuple[int, Question]]] = {}
        for q in checked:
            by_path.setdefault(q.loc.path, []).append((question_start(q), q))
        for entries in by_path.values():
            entries.sort(key=lambda e: e[0])
        starts = {path: [s for s, _ in entries] for path, entries in by_path.items()}
        owned: dict[str, list[Diagnostic]] = {q.id: [] for q in checked}
        poisoned: set[str] = set()
        for d in diagnostics:
            entries = by_path.get(d.loc.path)
            i = bisect.bisect_right(starts[d.loc.path], d.loc.line) - 1 if entries else -1
            if i < 0:
                poisoned.add(d.loc.path)
                continue
            owned[entries[i][1].id].append(d)  # type: ignore[index]
        for q in checked:
            if q.loc.path in poisoned:
                self.stats.uncacheable += 1
            else:
                self.store(q, owned[q.id])
        return owned

    # -- per file

    def _bundle_path(self, fkey: str) -> Path:
        return self.dir / "files" / f"{fkey}.json"

    def lookup_file(self, fkey: str, questions: Sequence[Question]) -> dict[str, list[Diagnostic]] | None:
        """Findings of these questions (all from the file with key `fkey`), or None."""
        entry = self._read(self._bundle_path(fkey))
        if entry is None:
            return None
        try:
            if entry.get("file") != fkey or not isinstance(entry.get("questions"), dict):
                raise ValueError("bundle for another file")
            stored = entry["questions"]
            found = {}
            for q in questions:
                if q.id not in stored:
                    return None  # not a damaged entry: a question this run has and that one had not
                found[q.id] = _decode(stored[q.id], q.loc.path, 0)
        except ValueError:
            self.stats.corrupt += 1
            return None
        self.stats.file_hits += 1
        self.stats.hits += len(found)
        self._complete.update(found)
        return found

    def store_file(self, fkey: str, questions: Sequence[Question], findings: dict[str, list[Diagnostic]]) -> bool:
        """Remember all findings of one unchanged-file's questions, if this run knows them all."""
        if not all(q.id in self._complete for q in questions):
            return False
        entry = {
            "format": FORMAT,
            "file": fkey,
            "questions": {q.id: _encode(findings.get(q.id, ()), 0) for q in questions},
        }
        _prepare_generation(self.root, self.generation)
        return _write_atomic(self._bundle_path(fkey), json.dumps(entry, ensure_ascii=False).encode("utf-8"))

    # -- the whole round trip

    def run(
        self,
        questions: Sequence[Question],
        report: Report,
        *,
        file_keys: dict[str, str] | None = None,
        check: Callable[..., object] | None = None,
        **check_options: object,
    ) -> CachedSummary:
        """Check `questions` (ids unique, as `load_banks` guarantees), answering unchanged
        ones from the cache.

        `file_keys` (path → key, from `LoadCache.file_keys`) enables the per-file level.
        `check` defaults to `exporter.keys.check_questions`, imported only when something
        must actually be checked: a fully cached run never imports sympy. Findings reach
        `report` in the questions' order; the counts are those a cold run gives.
        """
        file_keys = file_keys or {}
        by_path: dict[str, list[Question]] = {}
        for q in questions:
            by_path.setdefault(q.loc.path, []).append(q)
        findings: dict[str, list[Diagnostic]] = {}
        rest: list[Question] = []
        unbundled: list[str] = []
        for path, qs in by_path.items():
            fkey = file_keys.get(path)
            found = self.lookup_file(fkey, qs) if fkey else None
            if found is None:
                rest.extend(qs)
                if fkey:
                    unbundled.append(path)
            else:
                findings.update(found)
        hits, misses = self.split(rest)
        findings.update(hits)
        if misses:
            if check is None:
                from .keys import check_questions as check
            collected: list[Diagnostic] = []
            check(misses, collected.append, **check_options)
            findings.update(self.store_batch(misses, collected))
        for path in unbundled:
            self.store_file(file_keys[path], by_path[path], findings)
        for q in questions:
            for d in findings.get(q.id, ()):
                report(d)
        return summarize(questions, findings)


# --- the load cache -----------------------------------------------------------------------

_MODEL_CLASSES = {
    ("exporter.model", cls.__name__): cls for cls in (Answer, Bank, Check, Choice, Feedback, Group, Loc, Pair, Parameters, Question)
} | {("exporter.diagnostics", "Diagnostic"): Diagnostic}


class _ModelUnpickler(pickle.Unpickler):
    """Unpickles the model classes and nothing else: a tampered cache file cannot make
    us import or call anything (the restricted-Unpickler recipe of the pickle docs)."""

    def find_class(self, module: str, name: str) -> type:
        cls = _MODEL_CLASSES.get((module, name))
        if cls is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not a qbank model class")
        return cls


class LoadCache:
    """Loaded banks, per file, keyed by the file's path and bytes (and the fingerprint).

    Loading is YAML composition + JSON Schema validation + model building, about 1.5 ms
    per question: seconds for a department bank, and all of it repeated on every run
    although a pull request changes one or two files. An unchanged file's `(Bank,
    findings)` is read back instead. Pickle is used because it rebuilds thousands of
    frozen dataclasses an order of magnitude faster than anything built from JSON; it is
    read with an Unpickler that only admits qbank's model classes.

    The cross-file rule (ids unique across files) is not cached: `load_banks` applies it
    to the cached banks as to fresh ones.
    """

    def __init__(self, cache_dir: str | os.PathLike[str] = DEFAULT_DIR, *, fp: str | None = None) -> None:
        self.root = Path(cache_dir)
        self.fp = fp or fingerprint()
        self.generation = _generation_dir(self.root, self.fp)
        self.dir = self.generation / "load"
        self.stats = CacheStats()
        self.file_keys: dict[str, str] = {}  # path → key of every file loaded: for CachedChecker

    def load_file(self, file: Path) -> tuple[Bank | None, list[Diagnostic]]:
        from .load import load_file  # load imports nothing from here: no cycle at import time

        path = file.as_posix()
        try:
            raw = file.read_bytes()
        except OSError:
            return load_file(file)  # the loader reports it, located
        key = self.file_keys[path] = file_key(path, raw, self.fp)
        entry = self.dir / key[:2] / f"{key}.pickle"
        try:
            data = entry.read_bytes()
        except OSError:
            data = None
        if data is not None:
            try:
                bank, found = _ModelUnpickler(io.BytesIO(data)).load()
                if (bank is None or isinstance(bank, Bank)) and isinstance(found, list):
                    self.stats.hits += 1
                    return bank, found
            except Exception:  # noqa: BLE001 - any damage to a cache file means "not cached"
                pass
            self.stats.corrupt += 1
        self.stats.misses += 1
        bank, found = load_file(file)
        _prepare_generation(self.root, self.generation)
        self.stats.stored += _write_atomic(entry, pickle.dumps((bank, found), protocol=pickle.HIGHEST_PROTOCOL))
        return bank, found
