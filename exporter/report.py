"""Turning findings into what a person, a script or a CI system reads.

One list of Diagnostics, four renderings: linter-style lines on stderr (people and editors
jump to `path:line:col`), JSON (scripts), JUnit XML (CI test tabs), and GitHub Actions
workflow commands (inline annotations on a pull request's diff).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import IO, Sequence

from .diagnostics import Diagnostic, printable
from .model import Bank, Question


@dataclass
class Summary:
    questions: int = 0
    checked: int = 0
    manual: int = 0
    failed: int = 0
    errors: int = 0
    warnings: int = 0
    files: list[str] = field(default_factory=list)
    written: int | None = None
    """Questions as written in the bank files, without the parametrised ones (templates)."""
    templates: int = 0
    """Parametrised questions: each is checked as its variants, which `questions` counts."""
    quiz_files: int = 0
    unverified: int = 0
    """Manual questions still carrying `qbank import`'s placeholder check (among `manual`)."""
    displayed: int = 0  # choice texts whose value sympy checks
    verified: int = 0  # … proved to show that value
    taken: int = 0  # … qbank could not read ("taken as written")
    accepted: int = 0  # warnings left out because the question lists them under `accept_losses`

    def line(self) -> str:
        counted = f"{self.questions} questions"
        variants = self.questions - (self.written or 0)
        if self.written is not None and (self.templates or variants):
            counted += f" ({self.written} written, {variants} variant(s) of {self.templates} parametrised)"
        bank_files = len(self.files) - self.quiz_files
        where = f"{bank_files} bank file(s)" + (f" and {self.quiz_files} quiz file(s)" if self.quiz_files else "")
        shown = f"displayed keys: {self.verified} verified, {self.taken} taken as written; " if self.displayed else ""
        return (
            f"qbank: {counted} in {where}: "
            f"{self.checked} machine-checked, {self.manual} manual"
            + (f" ({self.unverified} imported, still unverified)" if self.unverified else "")
            + f", {self.failed} failed; "
            f"{shown}{self.errors} error(s), {self.warnings} warning(s)"
            + (f" ({self.accepted} accepted loss(es) not shown)" if self.accepted else "")
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "questions": self.questions,
            "checked": self.checked,
            "manual": self.manual,
            "unverified": self.unverified,
            "failed": self.failed,
            "errors": self.errors,
            "warnings": self.warnings,
            "displayed_keys": self.displayed,
            "displayed_verified": self.verified,
            "displayed_taken_as_written": self.taken,
            "accepted_losses": self.accepted,
        }


def text(diagnostics: Sequence[Diagnostic], summary: Summary, out: IO[str]) -> None:
    for d in diagnostics:
        print(d, file=out)
    print(summary.line(), file=out)


def as_json(diagnostics: Sequence[Diagnostic], summary: Summary) -> str:
    return json.dumps(
        {
            "summary": summary.as_dict(),
            "diagnostics": [
                {
                    "path": printable(d.loc.path),
                    "line": d.loc.line,
                    "column": d.loc.col,
                    "code": d.code,
                    "severity": d.severity,
                    "message": printable(d.text),
                    "question": d.question,
                    "variant": d.variant,
                    "quiz": d.quiz,
                    "related": [{"path": printable(r.path), "line": r.line, "column": r.col} for r in d.related],
                }
                for d in diagnostics
            ],
        },
        indent=2,
        ensure_ascii=False,
    )


def _escape_command(value: str, *, prop: bool = False) -> str:
    """GitHub workflow-command escaping, as GitHub's toolkit does it (`escapeData` and
    `escapeProperty`): %, CR, LF everywhere; : and , inside properties. Control characters
    are made visible first (exporter.diagnostics.printable), so no other character can
    end the command either."""
    value = printable(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(diagnostics: Sequence[Diagnostic], out: IO[str]) -> None:
    for d in diagnostics:
        kind = "error" if d.severity == "error" else "warning"
        props = (
            f"file={_escape_command(d.loc.path, prop=True)},line={d.loc.line},"
            f"col={d.loc.col},title={_escape_command(d.code, prop=True)}"
        )
        print(f"::{kind} {props}::{_escape_command(d.text)}", file=out)


def owner(d: Diagnostic, questions_by_file: dict[str, list[Question]]) -> Question | None:
    """The question a finding belongs to: the last one that starts at or before it."""
    found = None
    for q in questions_by_file.get(d.loc.path, ()):
        if q.loc.line <= d.loc.line:
            found = q
    return found


def junit(diagnostics: Sequence[Diagnostic], banks: Sequence[Bank], summary: Summary) -> bytes:
    """One testsuite per bank file, one testcase per question, failures = its findings.

    Problems outside any question (YAML syntax, a file that did not load) become a
    testcase named after the file, so nothing a CI tab should show is lost.
    """
    from lxml import etree  # only a JUnit report needs it

    # Every string goes through `printable`: lxml refuses control characters, NUL, U+FFFE
    # and lone surrogates, and a manual reason or a finding can quote any of them.
    by_file = {b.path: list(b.questions) for b in banks}
    per_case: dict[tuple[str, str], list[Diagnostic]] = {}
    for d in diagnostics:
        q = owner(d, by_file)
        per_case.setdefault((d.loc.path, q.id if q else "(file)"), []).append(d)

    root = etree.Element("testsuites", name="qbank check")
    files = sorted(set(summary.files) | {p for p, _ in per_case})
    for path in files:
        cases: list[tuple[str, Question | None]] = [(q.id, q) for q in by_file.get(path, ())]
        if (path, "(file)") in per_case:
            cases.insert(0, ("(file)", None))
        suite = etree.SubElement(root, "testsuite", name=printable(path), tests=str(len(cases)))
        failures = 0
        for case_id, q in cases:
            case = etree.SubElement(suite, "testcase", classname=printable(path), name=printable(case_id))
            found = [d for d in per_case.get((path, case_id), ()) if d.severity == "error"]
            if found:
                failures += 1
                failure = etree.SubElement(case, "failure", message=printable(found[0].text),
                                           type=printable(found[0].code))
                failure.text = "\n".join(str(d) for d in found)
            elif q is not None and q.check is not None and q.check.is_manual:
                skipped = etree.SubElement(case, "skipped", message=printable(f"manual check: {q.check.manual}"))
                skipped.text = printable(q.check.manual or "")
        suite.set("failures", str(failures))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class Progress:
    """`checking 120/5000` on an interactive terminal; silent when piped or in CI logs."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream  # looked up now: a default bound at import goes stale
        self.enabled = self.stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if self.enabled and total:
            self.stream.write(f"\rchecking {done}/{total}")
            if done == total:
                self.stream.write("\r\x1b[K")
            self.stream.flush()
