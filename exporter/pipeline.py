"""The whole pipeline, in order, as two library calls: `check` and `build`.

    read/load → lock → figures → variants → quizzes → keys   (check)
    writers → stale-or-write → lock file                      (build)

This module is the only place that knows the stage order (as docutils' `Publisher` is);
the CLI, the benchmark and the tests call these two functions and differ only in what
they print. Each stage is timed into `CheckResult.timings` / `BuildResult.timings`, so a
benchmark can say where the time goes without patching anything.

Heavy imports (sympy through `keys`, lxml through the writers) happen inside the stage
that needs them: a fully cached check never imports sympy.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import choice_texts, figures, identity, quizzes as quiz_files, report, variants
from .codes import ALIASES, CODES
from .diagnostics import Collector, Diagnostic
from .load import PathError, bank_files, load_banks
from .model import Bank, Question
from .readers import is_unverified

DEFAULT_BANK = "bank"
DEFAULT_DIST = "dist"
"""The project's output folder: a build into it is a release (it records ids in the lock)."""
DEFAULT_QUIZZES = quiz_files.DEFAULT_QUIZZES

AUTO = "auto"
"""`quizzes=AUTO`: `quizzes/` when it exists and the whole default bank is checked.
Checking one bank file must not report the quizzes' references to the other files."""

Timings = dict[str, float]
Settings = Mapping[str, Mapping[str, object]]


@dataclass
class CheckResult:
    """What one check found and made: the banks as loaded (for the lock and reports), with
    variants expanded (for the writers), and the quizzes assembled as banks."""

    paths: list[str]
    banks: list[Bank]
    expanded: list[Bank]
    quizzes: list[Bank]
    diagnostics: list[Diagnostic]
    summary: report.Summary
    files: list[str] = field(default_factory=list)
    timings: Timings = field(default_factory=dict)
    cache_stats: dict[str, object] = field(default_factory=dict)  # "load"/"check" → CacheStats
    jobs: int = 0
    policy: Policy = field(default_factory=lambda: Policy())
    notes: list[str] = field(default_factory=list)  # worth a line on stderr, not findings (e.g. why no cache)

    @property
    def ok(self) -> bool:
        return self.summary.errors == 0

    @property
    def lock_file(self) -> Path:
        return identity.lock_path(self.paths)


@dataclass
class BuildResult:
    """What `build` made. `outputs` maps a path relative to `out_dir` to its bytes;
    `changed` lists what was written (nothing when `verify` or when there were errors);
    `problems` (with `verify`) says how `out_dir` and the lock differ from a fresh build."""

    out_dir: Path
    outputs: Mapping[Path, bytes]
    diagnostics: list[Diagnostic]
    summary: report.Summary
    lock: bytes = b""
    changed: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    built: bool = False  # False: check errors (nothing rendered) or a writer error
    released: bool = False  # the lock was (with `verify`: would be) brought up to date
    timings: Timings = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.built and not self.problems


@dataclass(frozen=True)
class Policy:
    """What CI asked of the findings: codes to drop, and whether warnings fail the run."""

    ignore: frozenset[str] = frozenset()
    warnings_as_errors: bool = False
    accepted: Mapping[str, tuple[tuple[int, frozenset[str]], ...]] = field(default_factory=dict)
    """Per bank file: (first line, codes) of each question with `accept_losses`, in line order."""

    @classmethod
    def of(cls, ignore: Sequence[str] = (), warnings_as_errors: bool = False) -> Policy:
        codes = {ALIASES.get(c, c) for c in ignore}
        unknown = sorted(c for c in codes if c not in CODES)
        if unknown:
            raise ValueError(f"unknown finding code(s): {', '.join(unknown)}")
        return cls(frozenset(codes), warnings_as_errors)

    def with_accepted(self, banks: Sequence[Bank]) -> Policy:
        """The questions' `accept_losses`, located by the lines each question spans."""
        spans: dict[str, list[tuple[int, frozenset[str]]]] = {}
        for bank in banks:
            for q in bank.questions:
                spans.setdefault(q.loc.path, []).append(
                    (q.loc.line, frozenset(ALIASES.get(c, c) for c in q.accept_losses)))
        accepted = {path: tuple(sorted(rows, key=lambda r: r[0])) for path, rows in spans.items()
                    if any(codes for _, codes in rows)}
        return replace(self, accepted=accepted)

    def is_accepted(self, d: Diagnostic) -> bool:
        """A warning the author accepted for the question whose lines it points into. An
        accepted code never hides an error, and a finding before the first question (the
        bank's own fields) belongs to no question."""
        if d.severity != "warning" or d.loc.path not in self.accepted:
            return False
        owner: frozenset[str] = frozenset()
        for line, codes in self.accepted[d.loc.path]:
            if line > d.loc.line:
                break
            owner = codes
        return d.code in owner

    def split(self, diagnostics: Sequence[Diagnostic]) -> tuple[list[Diagnostic], int]:
        """The findings to report, and how many accepted losses were left out of them."""
        kept = [d for d in diagnostics if d.code not in self.ignore]
        reported = [d for d in kept if not self.is_accepted(d)]
        if self.warnings_as_errors:
            reported = [replace(d, severity="error") if d.severity == "warning" else d for d in reported]
        return reported, len(kept) - len(reported)

    def apply(self, diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
        return self.split(diagnostics)[0]


@contextmanager
def _timed(timings: Timings, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def _order(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=lambda d: (d.loc.path, d.loc.line, d.loc.col, d.code))


def _quiz_dir(paths: Sequence[str] | None, quizzes: str | os.PathLike[str] | None) -> Path | None:
    if quizzes == AUTO:
        whole_bank = not paths or [Path(p).resolve() for p in paths] == [Path(DEFAULT_BANK).resolve()]
        return Path(DEFAULT_QUIZZES) if whole_bank and Path(DEFAULT_QUIZZES).is_dir() else None
    if quizzes is None:
        return None
    folder = Path(quizzes)
    if not folder.is_dir():
        raise PathError(f"{os.fspath(quizzes)}: no such directory")
    return folder


def _check_key(q: Question) -> Question:
    """What decides a question's findings: a quiz's copy of a variant differs from the
    bank's only in points and category, and is checked once."""
    return replace(q, points=1.0, points_loc=None, category=(), title=None)


def _displayed_keys(questions: Sequence[Question]) -> int:
    """Choice texts the checker verifies: a `value` in a machine-checked question, written by
    the author (a text qbank wrote from the value needs no verifying)."""
    return sum(
        1
        for q in questions
        if q.check is not None and not q.check.is_manual and q.parameters is None
        for c in q.choices
        if c.value is not None and c.text_loc is not None
    )


def _taken_as_written(found: list[Diagnostic], strict: bool) -> tuple[list[Diagnostic], int]:
    """K121 findings are counted, not shown — or shown as errors when `strict`."""
    taken = [d for d in found if d.code == "K121"]
    kept = [d for d in found if d.code != "K121"]
    if strict:
        kept += [replace(d, severity="error") for d in taken]
    return kept, len(taken)


def check(
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    seed: str | None = None,
    quizzes: str | os.PathLike[str] | None = AUTO,
    cache: bool | str | os.PathLike[str] = True,
    jobs: int = 0,
    timeout: float = 10.0,
    memory: float = 2048,
    progress: Callable[[int, int], None] | None = None,
    ignore: Sequence[str] = (),
    warnings_as_errors: bool = False,
    strict_display: bool = False,
) -> CheckResult:
    """Load, validate and key-check a bank (and its quizzes); never raises for bad bank
    content — every problem is a Diagnostic in the result. Raises `PathError` for a path
    that does not exist and `OSError` for I/O failures outside the bank's files.

    `paths`: bank files or folders (default `bank/`). `quizzes`: a folder of quiz files,
    None for none, or AUTO. `cache`: False for none, True for the default folder, or a
    folder. `jobs=0`: one sympy worker per core; `timeout` (s) and `memory` (MiB) bound each
    question's check. `progress(done, total)` is called as
    answer keys are checked. `ignore`: codes to drop (here and in `build`);
    `warnings_as_errors`: count warnings as errors (a build then writes nothing).
    Raises ValueError for an unknown code in `ignore`. The default cache folder is outside
    the work tree, one per bank folder (exporter.cache.location); none when `CI=true`.
    `strict_display`: a displayed key qbank cannot read (K121, "taken as written") is an
    error instead of a count in the summary.
    """
    from .cache import CachedChecker, LoadCache, location

    policy = Policy.of(ignore, warnings_as_errors)
    given = [os.fspath(p) for p in paths] if paths else []
    paths = given or [DEFAULT_BANK]
    timings: Timings = {}
    files = [f.as_posix() for f in bank_files(paths)]
    n_bank_files = len(files)
    notes: list[str] = []
    cache_dir: str | os.PathLike[str] | None = None
    if cache is True:
        cache_dir, note = location(identity.lock_path(paths).parent)
        notes += [note] if note else []
    elif cache is not False:
        cache_dir = cache
    loads = LoadCache(cache_dir) if cache_dir is not None else None
    with _timed(timings, "load"):
        banks, diagnostics = load_banks(paths, cache=loads)
    with _timed(timings, "lock"):
        lock_file = identity.lock_path(paths)
        locked, broken = identity.load(lock_file)
        diagnostics += broken + identity.compare(banks, locked, lock_file)
    with _timed(timings, "figures"):
        for bank in banks:  # checked on every run: a figure can change while the YAML does not
            diagnostics += figures.check_bank(bank)
    made = Collector()
    with _timed(timings, "variants"):
        expanded = variants.expand(banks, seed, made, timeout=timeout)
    quiz_banks: list[Bank] = []
    folder = _quiz_dir(given, quizzes)
    if folder is not None:
        with _timed(timings, "quizzes"):
            files += [f.as_posix() for f in quiz_files.quiz_files(folder)]
            loaded, found = quiz_files.load_quizzes(folder)
            diagnostics += found
            quiz_banks = quiz_files.assemble(loaded, banks, made, seed=seed)
    findings = Collector()
    expanded = choice_texts.fill(expanded)  # texts left out are written from their values
    quiz_banks = choice_texts.fill(quiz_banks)
    questions = [q for b in expanded for q in b.questions]
    if quiz_banks:  # a quiz's copy of a bank question is the same check: run it once
        unique: dict[Question, Question] = {}
        for q in questions + [q for b in quiz_banks for q in b.questions]:
            unique.setdefault(_check_key(q), q)
        questions = list(unique.values())
    stats: dict[str, object] = {}
    with _timed(timings, "check"):
        options = dict(jobs=jobs, timeout=timeout, memory=memory, progress=progress,
                       report_for=variants.report_for(findings), taken_as_written=True)  # K121 are counted below
        if loads is None:
            from .keys import check_questions  # sympy is slow to import: only when we check

            counts = check_questions(questions, findings, **options)  # type: ignore[arg-type]
        else:  # only questions whose content changed since a previous run reach sympy
            checker = CachedChecker(cache_dir)  # type: ignore[arg-type]  # set whenever loads is
            counts = checker.run(questions, findings, file_keys=loads.file_keys, **options)  # type: ignore[arg-type]
            stats = {"load": loads.stats, "check": checker.stats}
    from . import givens_shown

    diagnostics += givens_shown.check(questions)
    # two files one export name: caught here, so `qbank check` says it, not only a build
    from .outputs import name_clashes

    diagnostics += name_clashes([(Path(f).stem, f) for f in files[:n_bank_files]], "E220", "bank")
    diagnostics += name_clashes([(Path(f).stem, f) for f in files[n_bank_files:]], "Q208", "quiz")
    found, taken = _taken_as_written(list(dict.fromkeys(findings.items)), strict_display)
    everything = list(dict.fromkeys(diagnostics + made.items + found))  # a quiz may repeat a variant's error
    policy = policy.with_accepted(banks)
    reported, accepted = policy.split(everything)
    diagnostics = _order(reported)
    summary = report.Summary(
        accepted=accepted,
        questions=len(questions),
        checked=counts.checked,
        manual=counts.manual,
        failed=counts.failed,
        errors=sum(d.severity == "error" for d in diagnostics),
        warnings=sum(d.severity == "warning" for d in diagnostics),
        files=files,
        written=sum(q.parameters is None for b in banks for q in b.questions),
        templates=sum(q.parameters is not None for b in banks for q in b.questions),
        quiz_files=len(files) - n_bank_files,
        unverified=sum(is_unverified(q) for b in banks for q in b.questions),
        displayed=(shown := _displayed_keys(questions)),
        verified=shown - taken - sum(d.code == "K120" for d in found),
        taken=taken,
    )
    return CheckResult(given or [DEFAULT_BANK], banks, expanded, quiz_banks, diagnostics, summary, files, timings, stats, jobs, policy, notes)


def build(
    result: CheckResult,
    out_dir: str | os.PathLike[str] = "dist",
    *,
    targets: Sequence[str] | None = None,
    options: Settings | None = None,
    verify: bool = False,
    jobs: int | None = None,
    release: bool | None = None,
) -> BuildResult:
    """Render every target of a clean check and write it to `out_dir`, all or nothing.

    Nothing is written when the check had errors or a writer reports one (`built` is
    False; the previous `out_dir` stays as it was). With `verify`, nothing is written
    either: `problems` lists what differs from a fresh build (`qbank build --check`).
    `targets`: writer names (default: the writers built by default). `options`: writer
    options by target, e.g. `{"canvas": {"math_style": "mathjax"}}` (default: the
    project's qbank.toml or [tool.qbank] in the current folder, as `qbank build` reads
    it). `jobs`: render processes (default: the check's `jobs`, 0 = one per core).
    `release`: also record the bank's new ids in its lock (default: only when `out_dir` is
    the project's `dist/`; a trial build elsewhere never writes into the bank folder).
    Raises ValueError for an unknown target and `config.ConfigError` for bad options.
    """
    from . import config, outputs as render_stage
    from .writers import selected

    out = Path(out_dir)
    timings: Timings = {}
    summary = replace(result.summary)
    if not result.ok:
        return BuildResult(out, {}, list(result.diagnostics), summary, timings=timings)
    try:
        chosen = selected(targets)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    source = None
    if options is None:
        options, source = config.project_settings()
    writers = render_stage.configured(targets, config.resolve(chosen, options, source))
    jobs = result.jobs if jobs is None else jobs
    written = Collector()
    if not verify:
        render_stage.clean_leftovers(out)
    staging = render_stage.sibling(out, "render")  # beside the output: moved into place, never copied
    with _timed(timings, "render"):
        outputs = render_stage.render(result.expanded, written, result.quizzes, jobs=jobs or os.cpu_count() or 1,
                                      writers=writers, staging=staging)
    # the variants of a question share its lines, so a writer may say the same thing of each
    reported, accepted = result.policy.split(list(dict.fromkeys(written.items)))
    found = _order(reported)
    summary.accepted += accepted
    summary.errors += sum(d.severity == "error" for d in found)
    summary.warnings += sum(d.severity == "warning" for d in found)
    diagnostics = list(result.diagnostics) + found
    lock_file = result.lock_file
    new_lock = identity.serialise(identity.updated(result.banks, identity.read(lock_file)))
    built = not any(d.severity == "error" for d in found)
    res = BuildResult(out, outputs, diagnostics, summary, new_lock, built=built, timings=timings)
    if not built:
        return res
    res.released = is_release(out) if release is None else release
    if verify:
        res.problems = render_stage.stale(outputs, out, writers)
        if res.released and (not lock_file.is_file() or lock_file.read_bytes() != new_lock):
            res.problems.append(f"{lock_file}: does not list every released id")
        return res
    with _timed(timings, "write"):
        res.changed = render_stage.publish(outputs, out, [w.target for w, _ in writers])
        if res.released:
            render_stage.write({Path(lock_file.name): new_lock}, lock_file.parent)
    return res


def is_release(out_dir: str | os.PathLike[str]) -> bool:
    """What "released" means: built into the project's `dist/`, the folder that is committed
    and imported into the LMS. A build anywhere else is a trial, and leaves the lock alone."""
    return Path(out_dir).resolve() == Path(DEFAULT_DIST).resolve()
