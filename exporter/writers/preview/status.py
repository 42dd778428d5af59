"""Each question's check status, for the preview: verified (and what was proved), manual
(and why), or failing (and the findings).

The checker reports findings, not verdicts, so the status is read back from them: a finding
belongs to the question it names (`Diagnostic.question`; a variant's findings name the
variant), else to the question whose lines it points into (every K/X/F/P finding is located
inside its question). What was proved is stated from the check block itself —
the quantity as written, the key it equals, how many distractors differ — because a clean
check *is* that proof: the checker compares exactly those, and reports any disagreement.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Literal, Sequence

from ...diagnostics import Diagnostic
from ...model import Bank, Question

Kind = Literal["verified", "manual", "failing", "unchecked"]


@dataclass(frozen=True)
class Status:
    kind: Kind
    findings: tuple[Diagnostic, ...] = ()

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.findings if d.severity == "warning")


@dataclass
class Statuses:
    """Findings by question, built once for a whole run; `of(q)` is a question's status."""

    checked: bool = True
    """False when the preview runs without a check (statuses read "not checked")."""
    by_question: dict[str, list[Diagnostic]] = field(default_factory=lambda: defaultdict(list))
    by_file: dict[str, list[Diagnostic]] = field(default_factory=lambda: defaultdict(list))
    """Findings in no question (a quiz file's, a bank's header): shown atop that file's page."""

    @classmethod
    def from_findings(cls, banks: Sequence[Bank], findings: Iterable[Diagnostic]) -> Statuses:
        """`banks` as loaded (templates, not variants): their questions' lines are what
        findings point into."""
        starts: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for bank in banks:
            for q in bank.questions:
                starts[q.loc.path].append((q.loc.line, q.loc.col, q.id))
        for rows in starts.values():
            rows.sort()
        out = cls()
        for d in findings:
            if d.question is not None:  # the finding names its question (a variant its own id)
                out.by_question[d.question].append(d)
                continue
            rows = starts.get(d.loc.path, [])
            i = bisect.bisect_right(rows, (d.loc.line, d.loc.col, "\uffff")) - 1
            if i < 0:
                out.by_file[d.loc.path].append(d)
            else:
                out.by_question[rows[i][2]].append(d)
        return out

    def findings_of(self, q: Question) -> tuple[Diagnostic, ...]:
        """A question's findings; a variant's are its own and its template's (those about
        the template's lines that name no variant hold for every variant)."""
        own = self.by_question.get(q.id, [])
        if q.variant_of is None:
            return tuple(own)
        return tuple(dict.fromkeys(list(self.by_question.get(q.variant_of, [])) + list(own)))

    def of(self, q: Question) -> Status:
        findings = self.findings_of(q)
        if not self.checked:
            return Status("unchecked", findings)
        if any(d.severity == "error" for d in findings):
            return Status("failing", findings)
        if q.check is not None and q.check.is_manual:
            return Status("manual", findings)
        if q.check is None:
            return Status("unchecked", findings)
        return Status("verified", findings)
