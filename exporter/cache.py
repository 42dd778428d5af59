"""Remember what was already checked (and loaded), so CI re-does only what changed.

A department bank is checked on every pull request, and most pull requests touch a handful
of its thousands of questions. sympy needs milliseconds to seconds per question; reading a
stored result needs microseconds. So each question's findings are stored under a hash of
everything that decides them, and a question whose hash is unchanged is not re-checked.

The key of a question (`question_key`) is a sha256 of:

- its whole content: every field of the model (text, choices, check, parameters, …);
- its *inner layout*: every location inside it, relative to the line of its `id`. A
  question that only moved (a question above it grew by two lines, or it went to another
  file) keeps its key, so one edit does not invalidate everything below it, and its stored
  findings are re-based onto where it is now. A question whose inside was re-indented or
  re-wrapped gets a new key, because stored columns and line offsets would be wrong;
- a fingerprint of the code that decides findings (`fingerprint`): the qbank version, the
  Python, sympy, mpmath, PyYAML and jsonschema versions, and a hash of qbank's own source
  (all but the writers) and schema — so even a development checkout whose version string
  did not change never trusts results computed by other code.

Never stored: findings about the run rather than the question (a check that timed out or
whose worker died: a longer `--timeout` or a healthy machine may answer differently), and,
per question, findings whose messages name absolute positions (they could not be re-based).

Computing a key costs ~40 µs (walking ~50 model objects), which is 0.2 s for 5,000
questions: too much for a re-check that should take under a second. So there is a second,
per-file level: the findings of all questions of one bank file are also stored together
under the hash of the file's bytes (`LoadCache` computes it while loading), each with a
cheap signature (id, variant values, text, answer) that tells a question derived from
those bytes in another way — another `--seed` gives other variants — from the one stored.

Storage: `.qbank-cache/<fingerprint[:16]>/check/<ab>/<key>.json` per question and
`…/check/files/<file key>.json` per file, each written to a temporary file and renamed into
place, so a crash or two concurrent runs never leave a half-written entry. An entry that
does not parse, has the wrong shape or names another key counts as absent (and is
rewritten). Deleting the folder is always safe: it costs one cold run. Only the few most
recently used fingerprints are kept.

Loading has the same problem at a larger scale (YAML + JSON Schema + model, ~1 ms per
question), so `LoadCache` keeps each file's loaded model, keyed by the file's bytes.
"""

from __future__ import annotations

import dataclasses
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

from . import __version__, model
from .diagnostics import CheckSummary, Diagnostic, Report
from .model import Bank, Loc, Question

DEFAULT_DIR = ".qbank-cache"
FORMAT = 2  # bump when the layout of the entries below changes
KEEP_FINGERPRINTS = 3  # generations of the cache kept; older ones are deleted

# A message that names a position ("first at line 12", "see 3:7") could not be re-based.
_ABSOLUTE_POSITION = re.compile(r"\bline \d+|\b\d+:\d+\b")
_GENERATION = re.compile(r"[0-9a-f]{16}")
# https://bford.info/cachedir/ : backup tools skip a folder holding this file.
_TAG = b"Signature: 8a477f597d28d172789f06886806bc55\n# qbank's cache (see exporter/cache.py): safe to delete.\n"


# --- the fingerprint of everything that decides a finding -----------------------------------


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """Versions and a hash of qbank's own code and schema, as hex.

    The sympy version comes from its metadata, not `sympy.__version__`: a fully cached
    run never pays sympy's import time.
    """
    h = hashlib.sha256()
    h.update(f"format={FORMAT}\nqbank={__version__}\npython={sys.version}\nimpl={sys.implementation.name}\n".encode())
    for dist in ("sympy", "mpmath", "PyYAML", "jsonschema", "jsonschema-rs", "lark"):
        h.update(f"{dist}={_version(dist)}\n".encode())
    package = Path(__file__).resolve().parent
    # code, and the data it reads (exporter/data: the MathJax command table)
    own = (p for p in package.rglob("*") if p.suffix in (".py", ".json") and p.relative_to(package).parts[0] != "writers")
    for path in sorted(own):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    try:
        from importlib import resources

        schemas = sorted((p for p in resources.files("exporter._schema").iterdir() if p.name.endswith(".json")), key=lambda p: p.name)
        for p in schemas:
            h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    except (ModuleNotFoundError, OSError):
        pass
    return h.hexdigest()


# --- files: one generation per fingerprint, atomic writes ---------------------------------


_PREPARED: set[Path] = set()


def _prepare_generation(cache_dir: Path, generation: Path) -> None:
    """Once per process, before the first write: tag the cache folder, mark this generation
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
            return  # a folder someone else made: never delete anything in it
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
    """Write via a temporary file and a rename: readers see the old entry or the new one,
    never half of one. A failure (read-only tree, full disk) only means no caching."""
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


def _read_json(target: Path) -> object | None:
    """The entry's JSON, None if absent; ValueError if it is damaged."""
    try:
        raw = target.read_bytes()
    except OSError:
        return None
    return json.loads(raw)  # JSONDecodeError and UnicodeDecodeError are ValueErrors


# --- keys ------------------------------------------------------------------------------------


class _KeyPickler(pickle.Pickler):
    """Pickles a question with every Loc replaced by its offset from the question's `id`.

    Pickle is the standard library's fastest exact serialisation of the model (floats
    exactly, field order fixed by the dataclasses); `fast` mode turns its memo off, so
    the bytes depend on the values only, never on which objects happen to be shared.
    """

    def __init__(self, buffer: io.BytesIO, base: int, path: str) -> None:
        super().__init__(buffer, protocol=5)
        self.fast = True
        self.base = base
        self.path = path

    def persistent_id(self, obj: object) -> object:
        if type(obj) is Loc:
            rel = (obj.line - self.base, obj.col)  # type: ignore[attr-defined]
            return rel if obj.path == self.path else rel + (obj.path,)  # type: ignore[attr-defined]
        return None


def question_key(q: Question, fp: str | None = None) -> str:
    """sha256 (hex) of the fingerprint and the question's content and inner layout."""
    buffer = io.BytesIO()
    buffer.write((fp or fingerprint()).encode() + b"\0")
    _KeyPickler(buffer, q.loc.line, q.loc.path).dump(q)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def file_key(path: str, raw: bytes, fp: str | None = None) -> str:
    """sha256 (hex) of a bank file's path and bytes."""
    return hashlib.sha256(f"{fp or fingerprint()}\0{path}\0".encode() + raw).hexdigest()


def _signature(q: Question) -> str:
    """Cheap (~2 µs) evidence that a question is the one a file bundle stored: its file's
    bytes are the same, so what can still differ is how it was derived from them."""
    data = repr((q.id, q.type, q.variant_of, q.variant_values, q.text, q.answer, q.loc.line, q.loc.col))
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --- the check cache ----------------------------------------------------------------------


@dataclass
class CacheStats:
    hits: int = 0  # questions answered from the cache (either level)
    file_hits: int = 0  # of which from a file bundle
    misses: int = 0  # questions checked
    stored: int = 0  # per-question entries written
    corrupt: int = 0  # damaged entries met (and ignored)
    uncacheable: int = 0  # questions whose findings may not be replayed


def is_transient(d: Diagnostic) -> bool:
    """A finding about the run, not the question (keys.py: K108 the check timed out; K109
    the worker died, ran out of memory or sympy raised): never replayed."""
    return d.code in ("K108", "K109")


def _encode(diagnostics: Iterable[Diagnostic], base: int) -> list[list[object]]:
    return [[d.loc.line - base, d.loc.col, d.code, d.message, d.severity] for d in diagnostics]


def _decode(rows: object, path: str, base: int) -> list[Diagnostic]:
    """Findings from an entry; ValueError if the entry is not what we write."""
    if not isinstance(rows, list):
        raise ValueError("malformed entry")
    found = []
    for row in rows:
        if not (isinstance(row, list) and len(row) == 5):
            raise ValueError("malformed finding")
        dline, col, code, message, severity = row
        if not (
            type(dline) is int and type(col) is int and isinstance(code, str)
            and isinstance(message, str) and severity in ("error", "warning")
        ):
            raise ValueError("malformed finding")
        found.append(Diagnostic(Loc(path, base + dline, col), code, message, severity))
    return found


class CachedChecker:
    """The answer-key check's findings, across runs.

    `run` is the whole round trip around `keys.check_questions`. `split` and `store` are
    the per-question level on its own, for callers that check in another way.
    """

    def __init__(
        self,
        cache_dir: str | os.PathLike[str] = DEFAULT_DIR,
        *,
        fp: str | None = None,
        transient: Callable[[Diagnostic], bool] = is_transient,
    ) -> None:
        self.root = Path(cache_dir)
        self.fp = fp or fingerprint()
        self.generation = self.root / self.fp[:16]
        self.dir = self.generation / "check"
        self.transient = transient
        self.stats = CacheStats()

    # -- per question

    def _entry_path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    def lookup(self, q: Question, key: str | None = None) -> list[Diagnostic] | None:
        """The question's findings, re-based to where it is now; None if not cached."""
        key = key or question_key(q, self.fp)
        try:
            entry = _read_json(self._entry_path(key))
            if entry is None:
                return None
            if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != key or entry.get("id") != q.id:
                raise ValueError("not an entry for this question")
            return _decode(entry.get("diagnostics"), q.loc.path, q.loc.line)
        except ValueError:
            self.stats.corrupt += 1
            return None

    def split(self, questions: Iterable[Question]) -> tuple[dict[str, list[Diagnostic]], list[Question]]:
        """(cached findings by question id, the questions that must be checked)."""
        hits: dict[str, list[Diagnostic]] = {}
        misses: list[Question] = []
        for q in questions:
            found = self.lookup(q)
            if found is None:
                misses.append(q)
            else:
                hits[q.id] = found
        self.stats.hits += len(hits)
        self.stats.misses += len(misses)
        return hits, misses

    def replayable(self, q: Question, diagnostics: Sequence[Diagnostic]) -> bool:
        """Whether these findings can be shown again for this content wherever it moves."""
        return all(
            not self.transient(d) and d.loc.path == q.loc.path and not _ABSOLUTE_POSITION.search(d.message)
            for d in diagnostics
        )

    def store(self, q: Question, diagnostics: Sequence[Diagnostic], key: str | None = None) -> bool:
        """Remember a question's complete findings; False if they may not be replayed."""
        if not self.replayable(q, diagnostics):
            self.stats.uncacheable += 1
            return False
        key = key or question_key(q, self.fp)
        entry = {"format": FORMAT, "key": key, "id": q.id, "diagnostics": _encode(diagnostics, q.loc.line)}
        _prepare_generation(self.root, self.generation)
        ok = _write_atomic(self._entry_path(key), json.dumps(entry, ensure_ascii=False).encode("utf-8"))
        self.stats.stored += ok
        return ok

    # -- per file

    def _bundle_path(self, fkey: str) -> Path:
        return self.dir / "files" / f"{fkey}.json"

    def _read_bundle(self, fkey: str) -> dict[str, list] | None:
        try:
            entry = _read_json(self._bundle_path(fkey))
            if entry is None:
                return None
            if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("file") != fkey:
                raise ValueError("not the bundle of this file")
            questions = entry.get("questions")
            if not isinstance(questions, dict):
                raise ValueError("malformed bundle")
            return questions
        except ValueError:
            self.stats.corrupt += 1
            return None

    def _write_bundle(self, fkey: str, rows: dict[str, list]) -> None:
        entry = {"format": FORMAT, "file": fkey, "questions": rows}
        _prepare_generation(self.root, self.generation)
        _write_atomic(self._bundle_path(fkey), json.dumps(entry, ensure_ascii=False).encode("utf-8"))

    # -- the whole round trip

    def run(
        self,
        questions: Sequence[Question],
        report: Report,
        *,
        file_keys: dict[str, str] | None = None,
        report_for: Callable[[Question], Report] | None = None,
        check: Callable[..., object] | None = None,
        **check_options: object,
    ) -> CheckSummary:
        """Check `questions`, answering unchanged ones from the cache.

        - `file_keys` (path → key, `LoadCache.file_keys`) turns on the per-file level;
        - `report_for(q)`, as for `keys.check_questions`, is where q's findings go
          (default `report`); findings are stored as the checker made them and pass
          through it again when replayed;
        - `check` defaults to `exporter.keys.check_questions`, imported only when a
          question must actually be checked: a fully cached run never imports sympy.

        Findings are reported in the order of `questions`; the counts are those
        `keys.check_questions` would return.
        """
        file_keys = file_keys or {}
        n = len(questions)
        found: list[list[Diagnostic] | None] = [None] * n
        signatures: list[str | None] = [None] * n
        ids_per_path: dict[str, dict[str, int]] = {}
        for i, q in enumerate(questions):
            ids_per_path.setdefault(q.loc.path, {}).setdefault(q.id, i)  # first of a repeated id

        # 1. per file: one read answers every unchanged question of an unchanged file
        stale_bundles: list[str] = []
        for path, ids in ids_per_path.items():
            fkey = file_keys.get(path)
            if fkey is None:
                continue
            stored = self._read_bundle(fkey) or {}
            complete = True
            for qid, i in ids.items():
                signatures[i] = _signature(questions[i])
                row = stored.get(qid)
                try:
                    if isinstance(row, list) and len(row) == 2 and row[0] == signatures[i]:
                        found[i] = _decode(row[1], path, 0)
                        self.stats.file_hits += 1
                        continue
                except ValueError:
                    self.stats.corrupt += 1
                complete = False
            if not complete or len(stored) != len(ids):
                stale_bundles.append(path)

        # 2. per question: found by content wherever it now is
        keys: dict[int, str] = {}
        misses: list[int] = []
        for i, q in enumerate(questions):
            if found[i] is None:
                keys[i] = question_key(q, self.fp)
                found[i] = self.lookup(q, keys[i])
                if found[i] is None:
                    misses.append(i)
        self.stats.hits += n - len(misses)
        self.stats.misses += len(misses)

        # 3. check the rest; report_for gives every finding to its own question
        replayable = set(range(n)) - set(misses)
        if misses:
            if check is None:
                from .keys import check_questions as check
            fresh: dict[int, list[Diagnostic]] = {i: [] for i in misses}
            index = {id(questions[i]): i for i in misses}
            unplaced: list[Diagnostic] = []
            check(
                [questions[i] for i in misses],
                unplaced.append,
                report_for=lambda q: fresh[index[id(q)]].append,
                **check_options,
            )
            for i in misses:
                found[i] = fresh[i]
            if unplaced:  # a checker that ignored report_for: report, but remember nothing
                for d in unplaced:
                    report(d)
                self.stats.uncacheable += len(misses)
            else:
                for i in misses:
                    if any(self.transient(d) for d in fresh[i]):
                        self.stats.uncacheable += 1
                    elif self.store(questions[i], fresh[i], keys[i]):
                        replayable.add(i)
                    else:
                        replayable.add(i)  # position-bound: fine in its file's bundle, where nothing moved

        # 4. refresh the bundles of files where anything was missing
        for path in stale_bundles:
            ids = ids_per_path[path]
            if all(i in replayable for i in ids.values()):
                self._write_bundle(
                    file_keys[path],
                    {qid: [signatures[i], _encode(found[i] or (), 0)] for qid, i in ids.items()},
                )

        for i, q in enumerate(questions):
            sink = report_for(q) if report_for is not None else report
            for d in found[i] or ():
                sink(d)
        return CheckSummary(
            checked=sum(1 for q in questions if q.check is not None and not q.check.is_manual),
            manual=sum(1 for q in questions if q.check is not None and q.check.is_manual),
            failed=sum(1 for f in found if f),
            total=n,
        )


# --- the load cache -----------------------------------------------------------------------

# What a cached bank may contain besides plain data: the model's dataclasses (all of them,
# so a new one added to model.py is covered) and Diagnostic.
_MODEL_CLASSES: dict[tuple[str, str], type] = {
    (model.__name__, name): cls
    for name, cls in vars(model).items()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == model.__name__
} | {(Diagnostic.__module__, "Diagnostic"): Diagnostic}


class _ModelUnpickler(pickle.Unpickler):
    """Unpickles qbank's model classes and nothing else: a tampered cache file cannot make
    us import or call anything (the restricted Unpickler of the pickle documentation)."""

    def find_class(self, module: str, name: str) -> type:
        cls = _MODEL_CLASSES.get((module, name))
        if cls is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not a qbank model class")
        return cls


class LoadCache:
    """Loaded banks, per file, keyed by the file's path and bytes (and the fingerprint).

    Loading costs about 1 ms per question (YAML composition, JSON Schema, the model):
    seconds for a department bank, every run, although a pull request changes one or two
    files. An unchanged file's `(Bank, findings)` is read back instead, in ~20 µs per
    question. Pickle, because it rebuilds thousands of frozen dataclasses far faster than
    anything built from JSON; read with an Unpickler that admits the model classes only.
    Use: `load_banks(paths, cache=LoadCache())`; the rule that spans files (ids unique
    across the bank) is applied by `load_banks` to cached banks as to fresh ones.
    """

    def __init__(self, cache_dir: str | os.PathLike[str] = DEFAULT_DIR, *, fp: str | None = None) -> None:
        self.root = Path(cache_dir)
        self.fp = fp or fingerprint()
        self.generation = self.root / self.fp[:16]
        self.dir = self.generation / "load"
        self.stats = CacheStats()
        self.file_keys: dict[str, str] = {}  # path → key of every file loaded: for CachedChecker.run

    def load_file(self, file: Path) -> tuple[Bank | None, list[Diagnostic]]:
        from .load import load_file  # load.py imports this module only for type checking

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
            except Exception:  # noqa: BLE001 - whatever is wrong with a cache file, it is not used
                pass
            self.stats.corrupt += 1
        self.stats.misses += 1
        bank, found = load_file(file)
        _prepare_generation(self.root, self.generation)
        self.stats.stored += _write_atomic(entry, pickle.dumps((bank, found), protocol=pickle.HIGHEST_PROTOCOL))
        return bank, found
