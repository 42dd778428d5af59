"""Findings, in the one format every stage reports: `path:line:col: CODE message`.

Codes are grouped by the stage that raises them so a CI log says where to look:
E0xx file and YAML problems, E1xx schema, E2xx bank rules (ids, choices), X1xx unsafe or
unparsable check expressions, K1xx answer keys that sympy disagrees with, W/Gxx/Mxx/Cxx
warnings and errors of the GIFT, Moodle and Canvas writers.
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
