"""Run one command and report its wall time and the peak memory of its whole process tree.

Runs in the benchmark's own environment (bench/.venv, which has psutil). Why the *tree*:
`qbank check` forks one sympy worker per core, so the parent's own peak says little about
what a CI machine must have. Two numbers are taken:

- `peak_tree_mb`: the largest sum over the process and all its descendants of their PSS
  (proportional set size: a page shared by a forked worker and its parent counts half in
  each, so the sum is what the tree really occupies), sampled every 50 ms. Where PSS is
  not available the RSS is summed instead, which over-counts shared pages;
- `max_single_rss_mb`: `getrusage(RUSAGE_CHILDREN).ru_maxrss`, the kernel's exact peak of
  the largest single process in the tree (exact, but blind to processes running at once).

Usage: measure.py OUT.json -- COMMAND [ARGS...]   (the command's stdout goes to OUT.stdout)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

INTERVAL = 0.05


def _busy_seconds() -> float:
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0) + getattr(t, "steal", 0)


def tree_memory(proc: psutil.Process) -> tuple[int, str]:
    total, kind = 0, "pss"
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0, kind
    for p in procs:
        try:
            try:
                total += p.memory_full_info().pss
            except (AttributeError, psutil.AccessDenied):
                total += p.memory_info().rss
                kind = "rss"
        except psutil.Error:
            pass  # it ended between listing and reading
    return total, kind


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    command = argv[argv.index("--") + 1 :]
    with open(out.with_suffix(".stdout"), "wb") as stdout, open(out.with_suffix(".stderr"), "wb") as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        peak, kind = 0, "pss"
        done = threading.Event()
        busy_before = _busy_seconds()

        def sample() -> None:
            nonlocal peak, kind
            proc = psutil.Process(child.pid)
            while not done.is_set():
                mem, kind = tree_memory(proc)
                peak = max(peak, mem)
                done.wait(INTERVAL)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = child.wait()
        wall = time.perf_counter() - start
        busy = _busy_seconds() - busy_before
        done.set()
        sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = usage.ru_utime + usage.ru_stime
    result = {
        "command": command,
        "exit": code,
        "wall_s": wall,
        "peak_tree_mb": peak / 2**20,
        "peak_tree_kind": kind,
        "max_single_rss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "cpu_s": own,
        # CPU time the rest of the machine used meanwhile (all cores): a benchmark shares
        # the machine with whatever else runs, and this says how much it did
        "other_cpu_s": max(0.0, busy - own),
    }
    out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
