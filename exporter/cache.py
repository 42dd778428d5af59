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

Where, and why it can be trusted: a cache entry decides whether a wrong key is reported,
so nothing a repository holds may be read as one. The cache lives outside the work tree,
in the user's cache folder (`$XDG_CACHE_HOME/qbank` or `~/.cache/qbank` on Linux,
`~/Library/Caches/qbank` on macOS, `%LOCALAPPDATA%\\qbank\\Cache` on Windows, or
`$QBANK_CACHE_DIR`), one folder per bank keyed by the bank folder's absolute path
(`location`). A folder inside a git work tree, or reached through a symbolic link, is
refused (no cache for that run). Every entry carries an HMAC-SHA256 of its name and bytes
under a secret made on first use (`secret`, 32 random bytes, mode 0600, beside the
banks' folders): an entry copied from elsewhere, edited, or moved to another name fails
the check and counts as absent. Entries hold plain JSON values only (exporter.modeldata
rebuilds the model from them): nothing in them names a class or runs code. `CI=true`
turns the cache off unless `QBANK_CACHE_DIR` is set: a CI job starts from a clean machine,
and a cache restored into it is only as trustworthy as whoever saved it.

Storage: `<bank folder>/<fingerprint[:16]>/check/<ab>/<key>.json` per question,
`…/check/files/<file key>.json` per file and `…/load/<ab>/<file key>.json` per loaded
file, each written to a temporary file and renamed into place, so a crash or two
concurrent runs never leave a half-written entry. An entry that does not authenticate,
does not parse, has the wrong shape or names another key counts as absent (and is
rewritten). Deleting the folder is always safe: it costs one cold run. Only the few most
recently used fingerprints are kept.

Loading has the same problem at a larger scale (YAML + JSON Schema + model, ~1 ms per
question), so `LoadCache` keeps each file's loaded model, keyed by the file's bytes — the
bytes it then parses, read once, so an editor saving meanwhile cannot file one version's
model under the other's hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Sequence, cast

from . import __version__, modeldata
from .diagnostics import CheckSummary, Diagnostic, Report
from .model import Bank, Question

FORMAT = 3  # bump when the layout of the entries below changes
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
    for dist in ("sympy", "mpmath", "PyYAML", "jsonschema", "jsonschema-rs", "lark", "latex2mathml"):
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


# --- where the cache lives, and the secret that authenticates it ---------------------------


def user_cache_home() -> Path | None:
    """qbank's folder in the platform's user cache directory (`$QBANK_CACHE_DIR` if set);
    None when there is no home to put it in."""
    explicit = os.environ.get("QBANK_CACHE_DIR")
    if explicit:
        return Path(explicit).absolute()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base) / "qbank" / "Cache" if base else None
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "qbank"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG spec: a relative value is invalid and ignored
        return Path(xdg) / "qbank"
    try:
        return Path.home() / ".cache" / "qbank"
    except RuntimeError:  # no HOME and no password entry
        return None


def _in_git_work_tree(folder: Path) -> Path | None:
    """The work tree `folder` is inside (a parent holding `.git`), if any."""
    for p in (folder, *folder.parents):
        if os.path.lexists(p / ".git"):
            return p
    return None


def _symlink_on_the_way(folder: Path, top: Path) -> Path | None:
    """The first symbolic link among `folder` and its parents up to `top` (inclusive):
    qbank never writes through a link, nor deletes anything in a link's target."""
    for p in (folder, *folder.parents):
        if p.is_symlink():
            return p
        if p == top:
            break
    return None


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def location(bank_root: str | os.PathLike[str]) -> tuple[Path | None, str | None]:
    """(this bank's cache folder, None) or (None, why there is none).

    The reason is None when the user chose it (`CI=true`), and a sentence worth printing
    when a folder had to be refused.
    """
    if _ci() and not os.environ.get("QBANK_CACHE_DIR"):
        return None, None
    home = user_cache_home()
    if home is None:
        return None, "no cache: there is no user cache folder (set QBANK_CACHE_DIR)"
    tree = _in_git_work_tree(home)
    if tree is not None:
        return None, f"no cache: {home} is inside the git work tree {tree}, where a commit could feed it; set QBANK_CACHE_DIR elsewhere"
    root = Path(os.path.abspath(bank_root))
    folder = home / "banks" / hashlib.sha256(os.fsencode(root)).hexdigest()[:16]
    link = _symlink_on_the_way(folder, home)
    if link is not None:
        return None, f"no cache: {link} is a symbolic link; qbank does not write through links"
    return folder, None


def secret(home: Path | None = None) -> bytes:
    """This machine's (this user's) key for the caches' HMACs: `<home>/secret`.

    Made once with 32 random bytes, mode 0600, by writing a private temporary file and
    hard-linking it into place, so two first runs at once agree on one secret and no run
    ever reads a half-written one. A secret file that is not a plain file of ours,
    readable by others or of the wrong size is not used: the run gets a random secret of
    its own, which makes every stored entry a miss and nothing worse.
    """
    home = home or user_cache_home()
    return _secret(home) if home is not None else os.urandom(32)


@lru_cache(maxsize=4)
def _secret(home: Path) -> bytes:
    path = home / "secret"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            _make_secret(home, path)
            continue
        except OSError:
            break
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            data = fh.read(64)
        private = os.name == "nt" or (st.st_uid == os.getuid() and st.st_mode & 0o077 == 0)  # type: ignore[attr-defined]
        if len(data) == 32 and private:
            return data
        break
    return os.urandom(32)


def _make_secret(home: Path, path: Path) -> None:
    try:
        home.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=home, prefix=".secret-")  # mkstemp: mode 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(os.urandom(32))
            os.link(tmp, path)  # fails if another run made it first: then theirs is used
        finally:
            os.unlink(tmp)
    except OSError:
        pass


def _seal(key: bytes, name: str, payload: bytes) -> bytes:
    """An entry as stored: the HMAC of its name and payload, a newline, the payload."""
    return hmac.digest(key, name.encode() + b"\0" + payload, "sha256").hex().encode() + b"\n" + payload


def _unseal(key: bytes, name: str, data: bytes) -> bytes:
    """The payload of an entry sealed under this name with this key; ValueError otherwise."""
    mac, _, payload = data.partition(b"\n")
    expected = hmac.digest(key, name.encode() + b"\0" + payload, "sha256").hex().encode()
    if not hmac.compare_digest(mac, expected):
        raise ValueError("entry not written by qbank on this machine")
    return payload


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
        if tag.is_symlink() or tag.read_bytes() != _TAG:
            return  # a folder someone else made: never delete anything in it
        others = sorted(
            (p for p in cache_dir.iterdir() if not p.is_symlink() and p.is_dir() and p != generation and _GENERATION.fullmatch(p.name)),
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
        if target.parent.is_symlink():
            return False
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


class _Folder:
    """One cache folder's generation for the running code, with sealed entries: the part
    the check cache and the load cache share."""

    def __init__(self, cache_dir: str | os.PathLike[str] | None, fp: str | None, key: bytes | None, kind: str) -> None:
        if cache_dir is None:
            cache_dir, _ = location(Path.cwd())
        self.root = Path(cache_dir) if cache_dir is not None else None
        self.fp = fp or fingerprint()
        self.key = key if key is not None else secret()
        self.kind = kind
        self.stats = CacheStats()
        # A folder reached through a link is not used at all: nothing is read or written.
        if self.root is not None and (self.root.is_symlink() or (self.root / self.fp[:16]).is_symlink()):
            self.root = None
        self.generation = self.root / self.fp[:16] if self.root is not None else None

    def _path(self, name: str) -> Path | None:
        return self.generation / self.kind / f"{name}.json" if self.generation is not None else None

    def read(self, name: str) -> object | None:
        """The entry's JSON, None if absent; ValueError if it is damaged or forged."""
        path = self._path(name)
        if path is None:
            return None
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        return json.loads(_unseal(self.key, f"{self.kind}/{name}", raw))  # JSONDecodeError/UnicodeDecodeError are ValueErrors

    def write(self, name: str, entry: object) -> bool:
        path = self._path(name)
        if path is None or self.generation is None or self.root is None:
            return False
        _prepare_generation(self.root, self.generation)
        payload = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
        return _write_atomic(path, _seal(self.key, f"{self.kind}/{name}", payload))


# --- keys ------------------------------------------------------------------------------------


def question_key(q: Question, fp: str | None = None) -> str:
    """sha256 (hex) of the fingerprint and the question's content and inner layout: every
    field as plain values (exporter.modeldata), each location relative to the line of its
    `id` (and to its file)."""
    data = json.dumps(modeldata.encode(Question, q, q.loc.path, q.loc.line), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((fp or fingerprint()).encode() + b"\0" + data.encode("utf-8", "surrogatepass")).hexdigest()


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


def _encode(diagnostics: Iterable[Diagnostic], path: str, base: int) -> list:
    """Findings as plain values, their lines relative to `base` (a question's `id` line)."""
    return [modeldata.encode(Diagnostic, d, path, base) for d in diagnostics]


def _decode(rows: object, path: str, base: int) -> list[Diagnostic]:
    """Findings from an entry; ValueError if the entry is not what we write."""
    if not isinstance(rows, list):
        raise ValueError("malformed entry")
    return [modeldata.decode(Diagnostic, row, path, base) for row in rows]


class CachedChecker(_Folder):
    """The answer-key check's findings, across runs.

    `cache_dir` is the bank's folder (`location`); `key` the HMAC secret (default: this
    machine's, `secret()`). `run` is the whole round trip around `keys.check_questions`.
    `split` and `store` are the per-question level on its own, for callers that check in
    another way.
    """

    def __init__(
        self,
        cache_dir: str | os.PathLike[str],
        *,
        fp: str | None = None,
        key: bytes | None = None,
        transient: Callable[[Diagnostic], bool] = is_transient,
    ) -> None:
        super().__init__(cache_dir, fp, key, "check")
        self.transient = transient

    # -- per question

    def lookup(self, q: Question, key: str | None = None) -> list[Diagnostic] | None:
        """The question's findings, re-based to where it is now; None if not cached."""
        key = key or question_key(q, self.fp)
        try:
            entry = self.read(f"{key[:2]}/{key}")
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
        entry = {"format": FORMAT, "key": key, "id": q.id, "diagnostics": _encode(diagnostics, q.loc.path, q.loc.line)}
        ok = self.write(f"{key[:2]}/{key}", entry)
        self.stats.stored += ok
        return ok

    # -- per file

    def _read_bundle(self, fkey: str) -> dict[str, list] | None:
        try:
            entry = self.read(f"files/{fkey}")
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
        self.write(f"files/{fkey}", {"format": FORMAT, "file": fkey, "questions": rows})

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
            run: Callable[..., object]
            if check is None:
                from .keys import check_questions

                run = cast(Callable[..., object], check_questions)  # takes the **check_options given
            else:
                run = check
            fresh: dict[int, list[Diagnostic]] = {i: [] for i in misses}
            index = {id(questions[i]): i for i in misses}
            unplaced: list[Diagnostic] = []
            run(
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
                    {qid: [signatures[i], _encode(found[i] or (), path, 0)] for qid, i in ids.items()},
                )

        for i, q in enumerate(questions):
            sink = report_for(q) if report_for is not None else report
            for d in found[i] or ():
                sink(d)
        return CheckSummary(
            checked=sum(1 for q in questions if q.check is not None and not q.check.is_manual),
            manual=sum(1 for q in questions if q.check is not None and q.check.is_manual),
            failed=sum(1 for f in found if any(d.severity == "error" for d in f or ())),
            total=n,
        )


# --- the load cache -----------------------------------------------------------------------


class LoadCache(_Folder):
    """Loaded banks, per file, keyed by the file's path and bytes (and the fingerprint).

    Loading costs about 1 ms per question (YAML composition, JSON Schema, the model):
    seconds for a department bank, every run, although a pull request changes one or two
    files. An unchanged file's `(Bank, findings)` is rebuilt from plain JSON values
    instead (exporter.modeldata). The file is read once: the bytes hashed for the key are
    the bytes parsed. Use: `load_banks(paths, cache=LoadCache(folder))`; the rule that
    spans files (ids unique across the bank) is applied by `load_banks` to cached banks as
    to fresh ones.
    """

    def __init__(self, cache_dir: str | os.PathLike[str], *, fp: str | None = None, key: bytes | None = None) -> None:
        super().__init__(cache_dir, fp, key, "load")
        self.file_keys: dict[str, str] = {}  # path → key of every file loaded: for CachedChecker.run

    def load_file(self, file: Path) -> tuple[Bank | None, list[Diagnostic]]:
        from .load import load_file  # load.py imports this module only for type checking

        path = file.as_posix()
        try:
            raw = file.read_bytes()
        except OSError:
            return load_file(file)  # the loader reports it, located
        fkey = self.file_keys[path] = file_key(path, raw, self.fp)
        name = f"{fkey[:2]}/{fkey}"
        try:
            entry = self.read(name)
            if entry is not None:
                if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("file") != fkey:
                    raise ValueError("not the entry of this file")
                stored = entry.get("bank")
                bank = None if stored is None else modeldata.decode(Bank, stored, path)
                found = [modeldata.decode(Diagnostic, d, path) for d in _rows(entry.get("found"))]
                self.stats.hits += 1
                return bank, found
        except ValueError:
            self.stats.corrupt += 1
        self.stats.misses += 1
        bank, found = load_file(file, raw)
        entry = {
            "format": FORMAT,
            "file": fkey,
            "bank": None if bank is None else modeldata.encode(Bank, bank, path),
            "found": [modeldata.encode(Diagnostic, d, path) for d in found],
        }
        self.stats.stored += self.write(name, entry)
        return bank, found


def _rows(value: object) -> list:
    if not isinstance(value, list):
        raise ValueError("malformed entry")
    return value
