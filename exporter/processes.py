"""Starting worker processes so that Ctrl-C is never lost.

A Ctrl-C that arrives while `os.fork` runs its at-fork callbacks (logging's lock release,
multiprocessing's bookkeeping) raises KeyboardInterrupt inside a callback, where CPython
can only print "Exception ignored in …" and carry on: the interrupt is lost and the run
goes on to the end. So SIGINT is held (blocked) while a worker is started and delivered
the moment the start is over, in ordinary code, where `qbank` turns it into exit 130.
The worker inherits the blocked signal, which suits it: Ctrl-C is the parent's to handle.
"""

from __future__ import annotations

import signal
from multiprocessing.process import BaseProcess


def start(proc: BaseProcess) -> None:
    """`proc.start()` with SIGINT held until it returns (where the system allows it)."""
    if not hasattr(signal, "pthread_sigmask"):
        proc.start()
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        proc.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
