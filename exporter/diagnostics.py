"""Findings, in the one format every stage reports: `path:line:col: CODE message`.

What a code means, and how severe it is, is declared once in `exporter.codes`; a finding
carries its subject (question, variant, quiz) and related locations as fields, so
reports, the cache and JUnit never have to parse them back out of the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from .codes import Severity, severity_of
from .model import Loc

__all__ = ["CheckSummary", "Collector", "Diagnostic", "Report", "Severity", "printable"]

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """`text` on one line, every control character, line separator, lone surrogate and
    non-character written as an escape (`\\n`, `\\x01`, `\\ud800`).

    A finding quotes bank text (a key, an expression, a manual reason), and bank text is
    untrusted: a raw newline would start a new line that a CI log reads as a command
    (`::error file=…::` in GitHub Actions) or a second finding, and a lone surrogate
    cannot even be written to a UTF-8 stream.
    """
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(lambda m: _NAMED.get(m.group(0)) or ascii(m.group(0))[1:-1], text)


@dataclass(frozen=True, order=True)
class Diagnostic:
    loc: Loc
    code: str
    message: str
    # None: the code's severity in exporter.codes (the usual case); given explicitly only
    # to promote a warning (`--warnings-as-errors`)
    severity: Severity = field(default=None)  # type: ignore[arg-type]  # always set by __post_init__
    question: str | None = None  # the id of the question it is about (a variant's own id)
    variant: str | None = None  # which variant, as messages name it: `q-v2 (a=3)`
    quiz: str | None = None  # the quiz whose output it is about (writers)
    related: tuple[Loc, ...] = ()  # other places involved (the first of two duplicates, …)

    def __post_init__(self) -> None:
        if self.severity is None:
            object.__setattr__(self, "severity", severity_of(self.code))

    @property
    def text(self) -> str:
        """The message with its subject: what a person reads after the code."""
        prefix = ""
        if self.quiz is not None:
            prefix += f"quiz `{self.quiz}`: "
        if self.variant is not None:
            prefix += f"variant {self.variant}: "
        return prefix + self.message

    def __str__(self) -> str:
        tag = "" if self.severity == "error" else "warning: "
        return printable(f"{self.loc}: {self.code} {tag}{self.text}")


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
