"""Time and memory bounds of one question's check.

A pathological check (a C-level hang, an expansion towards 10^12 terms) must end as a
finding for that question (K108, K114), not hang qbank or swap the machine. The alarm and
RLIMIT_AS work inside one process; pool.py adds the parent's kill for what they cannot stop.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import Iterator

from ..diagnostics import Diagnostic
from ..model import Question

DEFAULT_TIMEOUT = 10.0


class CheckTimeout(BaseException):
    """Raised by the alarm. A BaseException, so sympy's `except Exception` cannot eat it."""


@contextmanager
def _time_bound(seconds: float | None) -> Iterator[None]:
    """Raise CheckTimeout in this thread after `seconds` (main thread on POSIX only)."""
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        # If the signal lands in a garbage-collector callback or a `__del__`, Python prints
        # the exception as "ignored" and the check runs on: so fire again soon, until it
        # lands where it ends the check (whose `finally` below stops the timer).
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        raise CheckTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _timeout_finding(q: Question, timeout: float) -> Diagnostic:
    loc = q.check.loc if q.check is not None else q.loc
    return Diagnostic(loc, "K108", f"the check did not finish within {timeout:g} s: simplify it, or raise the time limit")


DEFAULT_MEMORY_MB = 2048
"""Memory one question's check may add to its process (`--memory`), in MiB. sympy can fill
gigabytes in seconds (`(a+b+c+d+e+f)**1000` expands towards 10^12 terms), one worker per
core; beyond the bound the check ends as a K114 finding instead of swapping the machine."""


@contextmanager
def _memory_bound(megabytes: float | None) -> Iterator[None]:
    """Let this process grow by at most `megabytes` while the block runs (RLIMIT_AS, Linux).

    The limit is relative to the address space in use now, which includes sympy and, in a
    forked worker, the model it was forked with; the previous soft limit is restored after,
    so the bound applies to one question at a time, in a worker or (with `-j 1`) in qbank's
    own process. Where the address space cannot be read (no /proc), or off the main thread
    (the limit would hold for every thread of a program using the library), there is none.
    """
    try:
        import resource

        with open("/proc/self/statm", "rb") as fh:
            in_use = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        previous = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError, IndexError):
        previous = None
    if (not megabytes or megabytes <= 0 or previous is None or megabytes != megabytes
            or threading.current_thread() is not threading.main_thread()):  # the limit is process-wide
        yield
        return
    soft, hard = previous
    wanted = in_use + int(megabytes * 2**20)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _memory_finding(q: Question, megabytes: float) -> Diagnostic:
    loc = q.check.loc if q.check is not None else q.loc
    return Diagnostic(loc, "K114", f"the check needed more than {megabytes:g} MB of memory: simplify it (expand less, "
                      "use smaller powers), or raise the bound with --memory")
