"""Running qbank on hostile input in a child process with hard limits, for tests.

A bug that a hostile bank triggers (a hang, gigabytes of memory, a RecursionError) must
fail the one test, not take the whole test run down: the child gets an address-space
limit and a wall-clock timeout, and the test asserts what it printed.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

MEMORY_LIMIT = 3 * 1024**3
"""Address space of the child (bytes): sympy, lxml and a checker worker fit easily."""


@dataclass
class Result:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def lines(self) -> list[str]:
        return self.err.splitlines()


def _limit() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def qbank(args: list[str], cwd: Path, *, timeout: float = 60, env: dict[str, str] | None = None) -> Result:
    """`python -m exporter ARGS` in `cwd`; fails the test on a timeout or a traceback."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "exporter", *args], cwd=cwd, capture_output=True, text=True,
        timeout=timeout, preexec_fn=_limit, env=env, errors="backslashreplace",
    )
    result = Result(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
    assert "Traceback" not in result.err, result.err[-3000:]
    return result


def bank(tmp_path: Path, body: str | bytes, name: str = "b.yaml") -> Path:
    """A bank folder holding one file with `body`; returns the folder's parent (the cwd)."""
    folder = tmp_path / "bank"
    folder.mkdir(exist_ok=True)
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    (folder / name).write_bytes(data)
    return tmp_path
