"""Findings, in the one format every stage reports: `path:line:col: CODE message`.

Codes are grouped by the stage that raises them, so a CI log says where to look:

    E0xx  the file itself: unreadable, not UTF-8, empty, tabs, YAML syntax, duplicate keys
    E1xx  the bank's JSON Schema          E2xx  bank rules the schema cannot state
    L1xx  stable identity (bank/qbank.lock, retired ids)
    X1xx  a check expression that is unsafe or does not parse (nothing is executed)
    K1xx  answer keys sympy disagrees with, or cannot decide
    V1xx  variants of parametrised questions    Q1xx/Q2xx  quiz files
    F1xx  figures (missing, outside the bank, too big, wrong type, no alt text)
    C/M/G 1xx errors and 2xx warnings of the Canvas, Moodle XML and GIFT writers

The README lists every code with what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

from .model import Loc

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    loc: Loc
    code: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        tag = "" if self.severity == "error" else "warning: "
        return f"{self.loc}: {self.code} {tag}{self.message}"


Report = Callable[[Diagnostic], None]
"""Writers and the checker receive one of these instead of printing or raising, so a run
can collect *every* finding before it decides the exit status."""


@dataclass(frozen=True)
class CheckSummary:
    """The counts of an answer-key check, for the summary line. Here rather than in keys.py
    so that a run answered entirely from the cache can report them without importing sympy."""

    checked: int  # machine-checked questions (passing or not)
    manual: int  # questions with `check: manual`
    failed: int  # questions with at least one finding
    total: int = 0

    @property
    def ok(self) -> bool:
        return self.failed == 0


class Collector:
    """A Report that keeps what it is given, in order."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def __call__(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]
