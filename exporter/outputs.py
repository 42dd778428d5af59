"""Write every target for every bank, all or nothing.

Writers return bytes and never touch the output folder, so the whole build happens first —
in memory, or in a staging folder beside the output when banks are rendered in parallel —
and if any writer reports an error nothing is written and the previous `dist/` stays as it
was. The output folder is then replaced as a unit (`publish`): a new tree is built beside
it and exchanged with it in one step, so a kill, a full disk or a read-only file at any
moment leaves either the old complete set of exports or the new one, never a mix; what a
killed build left behind is removed by the next one.
"""

from __future__ import annotations

import ctypes
import errno
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import stat
import sys
import tempfile
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Sequence

from . import processes
from .diagnostics import Collector, Diagnostic, Report
from .model import Bank, Loc
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


def name_clashes(named: Sequence[tuple[str, str]], code: str, what: str) -> list[Diagnostic]:
    """Files that would be exported under one name: a bank (or quiz) is written as
    `<target>/<name>.<suffix>` with `name` its file name without the suffix, so
    `a/q.yaml` and `b/q.yaml`, or `q.yaml` and `q.yml`, would overwrite each other's
    exports — one bank silently missing from every LMS file. Names that differ only in
    case clash too: they are one file on macOS and Windows checkouts. `named` lists
    (name, path) in the order files are read; the later file of a pair is reported.
    """
    first: dict[str, str] = {}
    found = []
    for name, path in named:
        key = name.casefold()
        if key not in first:
            first[key] = path
            continue
        found.append(Diagnostic(
            Loc(path, 1, 1), code,
            f"this {what} file would be exported under the same name as {first[key]} (`{name}`), and one would "
            f"overwrite the other's exports: rename one of the two files",
            related=(Loc(first[key], 1, 1),),
        ))
    return found


def _outputs_of(bank: Bank, report: Report, *, quiz: bool, writers: Sequence[Configured]) -> list[tuple[Path, bytes]]:
    """One bank's (or quiz's) files, one per writer."""
    folder = Path(QUIZ_FOLDER) if quiz else Path()

    def quiz_sink(d: Diagnostic) -> None:
        # A writer locates its findings at the bank lines of a question, but in a quiz the
        # cause may be the quiz (its `points:`): say which output the finding is about.
        report(replace(d, quiz=bank.name))

    sink = quiz_sink if quiz else report
    return [
        (Path(writer.target) / folder / f"{bank.name}{writer.suffix}", writer.write(without_skipped(bank, writer.name), options, sink))
        for writer, options in writers
    ]


class OutputError(Exception):
    """An output that cannot be written, in one line for `qbank: error: …` (the previous
    output folder is intact whenever this is raised)."""


class RenderError(Exception):
    """A writer raised instead of reporting a finding: a bug in qbank, said in one line."""


def without_skipped(bank: Bank, target: str) -> Bank:
    """The bank less the questions whose `skip:` names this target (the author said why)."""
    left_out = {q.id for q in bank.questions if any(t == target for t, _ in q.skip)}
    if not left_out:
        return bank
    return replace(
        bank,
        questions=tuple(q for q in bank.questions if q.id not in left_out),
        groups=tuple(replace(g, question_ids=tuple(i for i in g.question_ids if i not in left_out)) for g in bank.groups),
    )


class Staged(Mapping[Path, bytes]):
    """Outputs kept in a staging folder and read one at a time, so a parallel build of a
    20,000-question bank never holds every file in memory at once.

    The folder is made where it is asked for: `pipeline.build` puts it beside the output
    folder, so a killed build leaves nothing in the system's temporary folder and the next
    build (`clean_leftovers`) finds and removes it; and `publish` can move the files into
    place instead of copying them.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="qbank-build-")) if folder is None else folder
        if folder is not None:
            folder.mkdir()
        self._files: dict[Path, Path] = {}
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._dir, ignore_errors=True)

    def add(self, rel: Path, staged: Path) -> None:
        self._files[rel] = staged

    @property
    def folder(self) -> Path:
        return self._dir

    def path_of(self, rel: Path) -> Path:
        return self._files[rel]

    def close(self) -> None:
        self._cleanup()

    def __getitem__(self, rel: Path) -> bytes:
        return self._files[rel].read_bytes()

    def __iter__(self) -> Iterator[Path]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


_TASKS: list[tuple[Bank, bool]] = []
_WRITERS: list[Configured] = []

TaskResult = tuple[list[tuple[Path, Path]], list[Diagnostic]]


def _render_task(i: int, staging: Path) -> TaskResult:
    """Write task i's files to the staging folder; only paths and findings travel back."""
    found = Collector()
    staged = []
    bank, quiz = _TASKS[i]
    for k, (rel, data) in enumerate(_outputs_of(bank, found, quiz=quiz, writers=_WRITERS)):
        target = staging / f"{i}-{k}"
        target.write_bytes(data)
        staged.append((rel, target))
    return staged, found.items


def _worker(conn: Connection, share: list[int], staging: Path) -> None:
    """A forked render worker: its share of the tasks, each result sent as it is done.

    Whatever happens is sent as a message and the process ends with `os._exit`: no
    exception, no atexit handler, no flush of the parent's buffers. Ctrl-C is the parent's
    to handle (it kills the workers), so it is ignored here.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    code = 0
    try:
        for i in share:
            try:
                conn.send(("done", i, _render_task(i, staging)))
            except Exception as exc:  # noqa: BLE001 - reported to the parent, which says it in one line
                conn.send(("failed", i, f"{type(exc).__name__}: {exc}"))
                break
    except BaseException:  # noqa: BLE001 - the pipe is gone: the parent is ending anyway
        code = 1
    finally:
        os._exit(code)


def render(
    banks: Sequence[Bank],
    report: Report,
    quizzes: Sequence[Bank] = (),
    *,
    jobs: int = 1,
    writers: Sequence[Configured] | None = None,
    staging: Path | None = None,
) -> Mapping[Path, bytes]:
    """Every output file (relative path → bytes) for these banks (variants expanded) and
    quizzes (each assembled into a Bank by exporter.quizzes): the same writers for both.

    Writers are pure functions of one bank, so with `jobs` > 1 (and fork available) banks
    are written side by side, here and in forked processes; outputs and findings are merged
    back in bank order, so the result does not depend on `jobs`. Their files go to
    `staging` (a folder to create; default: one in the system's temporary folder), and the
    result is then a `Staged` the caller closes.

    Raises RenderError if a writer raises. Workers are plain forked processes, each with a
    pipe, killed if still alive when rendering ends for any reason (a writer error, Ctrl-C):
    multiprocessing.Pool's shutdown after a failed task can hang (a CPython race).
    """
    chosen = list(configured() if writers is None else writers)
    clashes = name_clashes([(b.name, b.path) for b in banks], "E220", "bank")
    clashes += name_clashes([(q.name, q.path) for q in quizzes], "Q208", "quiz")
    for d in clashes:  # pipeline.check reports these first; a library caller may not have checked
        report(d)
    tasks = [(b, False) for b in banks] + [(q, True) for q in quizzes]
    jobs = min(jobs, len(tasks))
    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        outputs: dict[Path, bytes] = {}
        for bank, quiz in tasks:
            try:
                made = _outputs_of(bank, report, quiz=quiz, writers=chosen)
            except Exception as exc:  # noqa: BLE001 - said in one line by the CLI
                raise RenderError(_failure(bank, f"{type(exc).__name__}: {exc}")) from exc
            for rel, data in made:
                outputs.setdefault(rel, data)
        return outputs
    staged = Staged(staging)
    _TASKS[:] = tasks
    _WRITERS[:] = chosen
    results: list[TaskResult | None] = [None] * len(tasks)
    ctx = multiprocessing.get_context("fork")
    workers: list[tuple[Connection, BaseProcess, int]] = []
    try:
        # jobs - 1 forked workers, and this process renders its share meanwhile: one fork
        # fewer, because every forked worker ends up copying much of the model it was forked
        # with (20,000 questions: 542 MB summed over the process tree with two workers).
        for w in range(1, jobs):
            here, there = ctx.Pipe(duplex=False)
            share = list(range(w, len(tasks), jobs))
            started: BaseProcess = ctx.Process(target=_worker, args=(there, share, staged.folder), daemon=True)
            processes.start(started)
            there.close()
            workers.append((here, started, len(share)))
        for i in range(0, len(tasks), jobs):
            try:
                results[i] = _render_task(i, staged.folder)
            except Exception as exc:  # noqa: BLE001 - said in one line by the CLI
                raise RenderError(_failure(tasks[i][0], f"{type(exc).__name__}: {exc}")) from exc
        for conn, proc, n in workers:
            for _ in range(n):
                try:
                    kind, i, payload = conn.recv()
                except (EOFError, OSError):
                    raise RenderError(f"a render worker died (exit code {proc.exitcode}); {_retry}") from None
                if kind == "failed":
                    raise RenderError(_failure(tasks[i][0], payload))
                results[i] = payload
    except BaseException:
        staged.close()
        raise
    finally:
        _TASKS.clear()
        _WRITERS.clear()
        for conn, proc, _ in workers:
            conn.close()
            if proc.is_alive():
                proc.kill()
            proc.join(5.0)
    for rendered in results:  # in bank order, whoever rendered them
        assert rendered is not None  # every task was rendered, here or in a worker
        files, found = rendered
        for rel, path in files:
            if rel not in staged:
                staged.add(rel, path)
        for d in found:
            report(d)
    return staged


_retry = "nothing was written; run the build again, with -j 1 to render in this process"


def _failure(bank: Bank, what: str) -> str:
    return f"internal error while writing {bank.path} ({what}); {_retry}, and please report it"


# --- replacing the output folder as a unit ----------------------------------------------------

_LEFTOVER = r"\.{name}\.qbank-(new|old|render)-(\d+)-[0-9a-f]+"


def sibling(out: Path, kind: str) -> Path:
    """A fresh name beside `out` for a folder of this run: `.dist.qbank-new-<pid>-<random>`.
    The pid tells a later build whether its maker is still running."""
    out = Path(os.path.abspath(out))
    return out.parent / f".{out.name}.qbank-{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would terminate it there: assume it is gone
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def clean_leftovers(out: Path) -> None:
    """Remove what killed builds left beside `out` (staging folders, an old tree being
    deleted); if a build was killed between moving the old tree away and the new one in
    (where the system has no atomic exchange), put the old tree back first."""
    out = Path(os.path.abspath(out))
    pattern = re.compile(_LEFTOVER.format(name=re.escape(out.name)))
    try:
        entries = sorted(out.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m is None or _alive(int(m[2])):
            continue
        if entry.is_symlink() or not entry.is_dir():
            entry.unlink(missing_ok=True)  # never follow a link to delete in its target
        elif m[1] == "old" and not os.path.lexists(out):
            os.rename(entry, out)
        else:
            shutil.rmtree(entry, ignore_errors=True)


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE, which Python's os
    module does not offer): at every instant `b` is the old tree or the new one. False
    where the system or filesystem cannot; OSError for any other failure."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # not glibc ≥ 2.28
        return False
    at_fdcwd = -100
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _refuse(out: Path) -> None:
    if out.is_symlink():
        raise OutputError(f"{out}: is a symbolic link; qbank replaces its output folder as a whole "
                          "and never writes through a link: give -o a real folder")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    absolute = Path(os.path.abspath(out))
    if absolute == Path.cwd() or absolute in Path.cwd().parents or (out / ".git").exists():
        raise OutputError(f"{out}: holds the project (or is a git work tree); qbank replaces its output "
                          "folder as a whole: give -o a folder of its own, such as dist")


def _carry(src: Path, dst: Path) -> None:
    """Copy what the build does not own into the new tree: links stay links, files are
    hard-linked (same filesystem: no bytes copied) or copied."""
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():
        dst.mkdir()
        for child in sorted(src.iterdir()):
            _carry(child, dst / child.name)
    else:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)


def publish(outputs: Mapping[Path, bytes], out_dir: str | os.PathLike[str], owned: Sequence[str]) -> list[Path]:
    """Replace `out_dir` as a unit: afterwards, and at any instant before (a kill, a full
    disk), it holds either the previous complete set of exports or the new one, never a mix.

    The new tree is built beside it (`.dist.qbank-new-…`): the `owned` target folders from
    `outputs` alone (so a file no bank produces any more disappears), everything else
    carried over from the old tree. Then the two are exchanged in one step where the
    system can (Linux), else by two renames whose gap the next build repairs
    (`clean_leftovers`), and the old tree is deleted. Nothing changes on disk when nothing
    would. Returns the paths whose bytes changed; raises OutputError, saying which file
    could not be written and why, with `out_dir` as it was.
    """
    out = Path(out_dir)
    _refuse(out)
    clean_leftovers(out)
    changed = [rel for rel in sorted(outputs) if not _same_file(out / rel, outputs[rel])]
    gone = [f for f in _owned_files(out, owned) if f.relative_to(out) not in outputs]
    if not changed and not gone:
        return []
    new = sibling(out, "new")
    doing = f"cannot create {new}"
    try:
        new.parent.mkdir(parents=True, exist_ok=True)
        new.mkdir()
        if out.is_dir():
            os.chmod(new, stat.S_IMODE(out.stat().st_mode))
            for entry in sorted(out.iterdir()):
                if entry.name not in owned:
                    doing = f"cannot copy {entry} into the new {out}"
                    _carry(entry, new / entry.name)
        for rel in sorted(outputs):
            doing = f"cannot write {out / rel}"
            _put(new / rel, outputs, rel)
        doing = f"cannot replace {out}"
        if not out.exists():
            os.rename(new, out)
        elif not _exchange(new, out):
            old = sibling(out, "old")
            os.rename(out, old)
            os.rename(new, out)
            new = old
    except OSError as exc:
        shutil.rmtree(new, ignore_errors=True)
        raise OutputError(f"{doing}: {exc.strerror or exc}") from None
    shutil.rmtree(new, ignore_errors=True)  # the old tree, under the new one's former name
    if isinstance(outputs, Staged):  # its files were moved: they are read from their place now
        for rel in outputs:
            outputs.add(rel, out / rel)
    return changed


def _same_file(path: Path, data: bytes) -> bool:
    try:
        return path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _owned_files(out: Path, owned: Sequence[str]) -> list[Path]:
    return [f for name in owned if (out / name).is_dir() for f in sorted((out / name).rglob("*")) if not f.is_dir()]


def _put(target: Path, outputs: Mapping[Path, bytes], rel: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(outputs, Staged):
        os.replace(outputs.path_of(rel), target)  # same filesystem: a rename, no copy
    else:
        target.write_bytes(outputs[rel])
    os.chmod(target, 0o644)


def write(outputs: Mapping[Path, bytes], out_dir: Path) -> list[Path]:
    """Replace changed files one by one, each atomically (the lock file; the preview);
    returns the paths that changed. `publish` replaces a whole export folder."""
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
