"""Checking many questions in worker processes, findings reported in bank order.

multiprocessing.Pool cannot kill one stuck worker (C code the alarm cannot reach would hang
the run): this pool gives each question its time bound plus a grace period, then kills and
replaces the worker and reports K108. Workers hold no state of their own: each question
arrives through a pipe and leaves as a list of findings.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from typing import Callable, Sequence

from .. import processes
from ..diagnostics import CheckSummary, Diagnostic, Report
from ..model import Loc, Question
from .bounds import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, _timeout_finding
from .question import check_question


def _needs_work(q: Question) -> bool:
    if q.type == "cloze":
        return any(p.check is not None and not p.check.is_manual for p in q.parts)
    return q.check is not None and not q.check.is_manual


def check_questions(
    questions: Sequence[Question],
    report: Report,
    *,
    jobs: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
    memory: float = DEFAULT_MEMORY_MB,
    progress: Callable[[int, int], None] | None = None,
    report_for: Callable[[Question], Report] | None = None,
    taken_as_written: bool = False,
) -> CheckSummary:
    """Check every question, in parallel processes, reporting findings in bank order.

    `jobs=0` uses every CPU; `jobs=1` checks in this process (no worker to kill if C code
    hangs, so the static guards and the alarm are the only bounds). Output does not depend
    on `jobs`: results are reported in the order of `questions`. `report_for(q)`, if given,
    is the report for q's findings (variants use it to say which variant a finding is about,
    since all variants of a question share its lines).
    """
    qs = list(questions)
    total = len(qs)
    results: list[list[Diagnostic] | None] = [None] * total
    work = [i for i, q in enumerate(qs) if _needs_work(q)]
    for i, q in enumerate(qs):
        if not _needs_work(q):
            results[i] = check_question(q, timeout=timeout)
    done = total - len(work)
    if progress and done:
        progress(done, total)
    jobs = jobs or os.cpu_count() or 1
    next_to_report = 0

    def flush() -> None:
        nonlocal next_to_report
        while next_to_report < total and results[next_to_report] is not None:
            sink = report_for(qs[next_to_report]) if report_for is not None else report
            for d in results[next_to_report]:
                if taken_as_written or d.code != "K121":
                    sink(d)
            next_to_report += 1

    def finished(i: int, found: list[Diagnostic]) -> None:
        nonlocal done
        results[i] = found
        done += 1
        if progress:
            progress(done, total)
        flush()

    flush()
    if work:
        if any("$" in c.text for i in work for c in qs[i].choices if c.value is not None):
            from .. import latex

            latex.warm_up()  # outside any question's time bound, and before workers fork
        if jobs <= 1 and threading.current_thread() is threading.main_thread():
            for i in work:
                finished(i, check_question(qs[i], timeout=timeout, memory=memory))
        else:
            _run_pool(qs, work, min(jobs, len(work)), (timeout, memory), finished)
    flush()
    return CheckSummary(
        checked=sum(1 for q in qs if _needs_work(q)),
        manual=sum(1 for q in qs if q.check is not None and q.check.is_manual),
        failed=sum(1 for r in results if r and any(d.severity == "error" for d in r)),
        total=total,
    )


def _worker_main(conn: object, timeout: float, memory: float = DEFAULT_MEMORY_MB) -> None:  # pragma: no cover - runs in a child
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills us
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        index, question = task
        conn.send((index, check_question(question, timeout=timeout, memory=memory)))


class _Worker:
    def __init__(self, ctx: object, limits: tuple[float, float]) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, *limits), daemon=True)
        processes.start(self.proc)  # Ctrl-C held while forking: never lost in an at-fork hook
        child.close()
        self.task: int | None = None
        self.started = 0.0

    def stop(self, *, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
        self.proc.join(1.0)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(1.0)
        self.conn.close()


def _context() -> object:
    # fork: workers start in milliseconds with sympy already imported (Linux); elsewhere
    # spawn, which re-imports this module in each worker.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _run_pool(qs: list[Question], work: list[int], jobs: int, limits: tuple[float, float], finished: Callable) -> None:
    """A small process pool that can kill and replace one stuck worker.

    multiprocessing.Pool cannot: a worker stuck in C code (where the alarm cannot reach)
    would hang the whole run. Here the parent gives each question `timeout` plus a grace
    period, then kills that worker, reports K108 and starts a fresh one.
    """
    from multiprocessing.connection import wait

    ctx = _context()
    timeout = limits[0]  # (seconds, megabytes) of each check
    grace = max(2.0, timeout * 0.5)
    pending = deque(work)
    workers = [_Worker(ctx, limits) for _ in range(jobs)]
    try:
        while pending or any(w.task is not None for w in workers):
            for w in workers:
                if w.task is None and pending:
                    w.task = pending.popleft()
                    w.started = time.monotonic()
                    w.conn.send((w.task, qs[w.task]))
            busy = [w for w in workers if w.task is not None]
            now = time.monotonic()
            wait_for = min(w.started + timeout + grace - now for w in busy)
            ready = wait([w.conn for w in busy], timeout=max(wait_for, 0.0))
            for w in busy:
                if w.conn in ready:
                    try:
                        index, found = w.conn.recv()
                    except (EOFError, OSError):
                        index = w.task
                        code = w.proc.exitcode
                        found = [Diagnostic(_check_loc(qs[index]), "K109", f"the checker process died while checking this question (exit code {code})")]
                        _restart(w, ctx, limits)
                    w.task = None
                    finished(index, found)
                elif time.monotonic() - w.started > timeout + grace:
                    index = w.task
                    w.task = None
                    _restart(w, ctx, limits)
                    finished(index, [_timeout_finding(qs[index], timeout)])
    finally:
        for w in workers:
            w.stop(kill=w.task is not None)


def _restart(w: _Worker, ctx: object, limits: tuple[float, float]) -> None:
    """Kill a stuck or dead worker (one we started) and put a fresh process in its place."""
    w.stop(kill=True)
    fresh = _Worker(ctx, limits)
    w.conn, w.proc, w.task, w.started = fresh.conn, fresh.proc, None, 0.0


def _check_loc(q: Question) -> Loc:
    return q.check.loc if q.check is not None else q.loc
