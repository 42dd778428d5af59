"""`qbank check` and `qbank build`: the contract CI and instructors rely on.

Exit status: 0 clean, 1 findings (or a stale dist/ with `build --check`), 2 usage or I/O
error. Findings go to stderr as `path:line:col: CODE message`; machine formats go to
stdout or a file so they never mix with the human text.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

from . import __version__, figures, identity, quizzes, report, variants
from .diagnostics import Collector, Diagnostic
from .load import PathError, bank_files, load_banks
from .model import Bank, Question

DEFAULT_BANK = "bank"
DEFAULT_QUIZZES = quizzes.DEFAULT_QUIZZES


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qbank", description="Check a YAML question bank and export it to Canvas, Moodle XML and GIFT.")
    p.add_argument("--version", action="version", version=f"qbank {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("paths", nargs="*", metavar="PATH", help=f"bank files or folders (default: {DEFAULT_BANK}/)")
        sp.add_argument("--jobs", "-j", type=int, default=0, help="worker processes for sympy (default: one per core)")
        sp.add_argument("--timeout", type=float, default=10.0, help="seconds allowed per question's check (default 10)")
        sp.add_argument("--seed", metavar="S", help="term seed for the variants of parametrised questions "
                        "(overrides the `seed:` of every bank and quiz)")
        sp.add_argument("--no-cache", action="store_true", help="neither read nor write .qbank-cache/ (results of earlier runs)")
        sp.add_argument("--quizzes", metavar="DIR", help=f"quiz files to check and build (default: {DEFAULT_QUIZZES}/ "
                        "if it exists and no PATH is given)")

    c = sub.add_parser("check", help="validate the bank and recompute every answer key")
    common(c)
    c.add_argument("--format", choices=("text", "json"), default="text", help="json: a report on stdout")
    c.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report to FILE")

    b = sub.add_parser("build", help="check, then write every target (Canvas zip, Moodle XML, GIFT)")
    common(b)
    b.add_argument("-o", "--output", default="dist", metavar="DIR", help="output folder (default: dist/)")
    b.add_argument("--check", action="store_true", dest="verify", help="write nothing; exit 1 if DIR (or the lock) is not what the bank builds to")

    lk = sub.add_parser("lock", help="accept a deliberate change of a released question's meaning")
    lk.add_argument("--accept", nargs="+", required=True, metavar="ID", help="ids whose new meaning is a correction, not a new question")
    lk.add_argument("--bank", default=DEFAULT_BANK, metavar="PATH", help=f"bank folder (default: {DEFAULT_BANK}/)")
    return p


@dataclass
class Run:
    """What one check found and made: the banks as loaded (for the lock and reports), with
    variants expanded (for the writers), and the quizzes assembled as banks."""

    banks: list[Bank]
    expanded: list[Bank]
    quizzes: list[Bank]
    diagnostics: list[Diagnostic]
    summary: report.Summary
    files: list[str] = field(default_factory=list)


def _quiz_dir(args: argparse.Namespace) -> Path | None:
    """`--quizzes DIR`; else `quizzes/` when checking the whole bank (no PATH): checking
    one bank file must not report the quizzes' references to the other files as missing."""
    if args.quizzes:
        folder = Path(args.quizzes)
        if not folder.is_dir():
            raise PathError(f"{args.quizzes}: no such directory")
        return folder
    if not args.paths and Path(DEFAULT_QUIZZES).is_dir():
        return Path(DEFAULT_QUIZZES)
    return None


def _check_key(q: Question) -> Question:
    """What decides a question's findings: a quiz's copy of a variant differs from the
    bank's only in points and category, and is checked once."""
    return replace(q, points=1.0, category=(), title=None)


def _run_checks(args: argparse.Namespace) -> Run:
    from .cache import CachedChecker, LoadCache

    paths = args.paths or [DEFAULT_BANK]
    files = [f.as_posix() for f in bank_files(paths)]
    loads = None if args.no_cache else LoadCache()
    banks, diagnostics = load_banks(paths, cache=loads)
    lock_file = identity.lock_path(paths)
    diagnostics += identity.compare(banks, identity.read(lock_file), lock_file)
    for bank in banks:  # figure files are checked on every run: they can change while the YAML does not
        diagnostics += figures.check_bank(bank)
    made = Collector()
    expanded = variants.expand(banks, args.seed, made)
    quiz_banks: list[Bank] = []
    folder = _quiz_dir(args)
    if folder is not None:
        files += [f.as_posix() for f in quizzes.quiz_files(folder)]
        loaded, found = quizzes.load_quizzes(folder)
        diagnostics += found
        quiz_banks = quizzes.assemble(loaded, banks, made, seed=args.seed)
    findings = Collector()
    questions = [q for b in expanded for q in b.questions]
    if quiz_banks:  # a quiz's copy of a bank question is the same check: run it once
        unique: dict[Question, Question] = {}
        for q in questions + [q for b in quiz_banks for q in b.questions]:
            unique.setdefault(_check_key(q), q)
        questions = list(unique.values())
    options = dict(jobs=args.jobs, timeout=args.timeout, progress=report.Progress(),
                   report_for=variants.report_for(findings))
    if loads is None:
        from .keys import check_questions  # sympy is slow to import: only when we check

        result = check_questions(questions, findings, **options)
    else:  # only questions whose content changed since a previous run reach sympy
        result = CachedChecker().run(questions, findings, file_keys=loads.file_keys, **options)
    everything = list(dict.fromkeys(diagnostics + made.items + findings.items))  # a quiz may repeat a variant's error
    diagnostics = sorted(everything, key=lambda d: (d.loc.path, d.loc.line, d.loc.col, d.code))
    summary = report.Summary(
        questions=len(questions),
        checked=result.checked,
        manual=result.manual,
        failed=result.failed,
        errors=sum(d.severity == "error" for d in diagnostics),
        warnings=sum(d.severity == "warning" for d in diagnostics),
        files=files,
    )
    return Run(banks, expanded, quiz_banks, diagnostics, summary, files)


def _emit(diagnostics: Sequence[Diagnostic], summary: report.Summary) -> None:
    report.text(diagnostics, summary, sys.stderr)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        report.github(diagnostics, sys.stdout)


def cmd_check(args: argparse.Namespace) -> int:
    run = _run_checks(args)
    diagnostics, summary = run.diagnostics, run.summary
    if args.format == "json":
        print(report.as_json(diagnostics, summary))
    else:
        _emit(diagnostics, summary)
    if args.junit:
        Path(args.junit).write_bytes(report.junit(diagnostics, run.banks, summary))
    return 1 if summary.errors else 0


def cmd_build(args: argparse.Namespace) -> int:
    from .build import render, stale, write

    run = _run_checks(args)
    banks, diagnostics, summary = run.banks, run.diagnostics, run.summary
    if summary.errors:
        _emit(diagnostics, summary)
        print(f"qbank: not building: fix the errors above; {args.output}/ was left as it was", file=sys.stderr)
        return 1
    written = Collector()
    outputs = render(run.expanded, written, run.quizzes, jobs=args.jobs or os.cpu_count() or 1)
    # the variants of a question share its lines, so a writer may say the same thing of each
    found = sorted(dict.fromkeys(written.items), key=lambda d: (d.loc.path, d.loc.line, d.loc.col, d.code))
    diagnostics = list(diagnostics) + found
    summary.errors += sum(d.severity == "error" for d in found)
    summary.warnings += sum(d.severity == "warning" for d in found)
    _emit(diagnostics, summary)
    if written.errors:
        print(f"qbank: build failed; {args.output}/ was left as it was", file=sys.stderr)
        return 1
    out = Path(args.output)
    lock_file = identity.lock_path(args.paths or [DEFAULT_BANK])
    locked = identity.read(lock_file)
    new_lock = identity.serialise(identity.updated(banks, locked))
    if args.verify:
        problems = stale(outputs, out)
        if not lock_file.is_file() or lock_file.read_bytes() != new_lock:
            problems.append(f"{lock_file}: does not list every released id")
        for line in problems:
            print(f"{line}: run `qbank build` and commit the result", file=sys.stderr)
        return 1 if problems else 0
    changed = write(outputs, out)
    write({Path(lock_file.name): new_lock}, lock_file.parent)
    print(f"qbank: wrote {len(outputs)} file(s) to {out}/ ({len(changed)} changed)", file=sys.stderr)
    return 0


def cmd_lock(args: argparse.Namespace) -> int:
    banks, diagnostics = load_banks([args.bank])
    if any(d.severity == "error" for d in diagnostics):
        report.text(diagnostics, report.Summary(), sys.stderr)
        return 1
    lock_file = identity.lock_path([args.bank])
    live = {q.id for b in banks for q in b.questions}
    unknown = sorted(set(args.accept) - live)
    if unknown:
        print(f"qbank: error: not in the bank: {', '.join(unknown)}", file=sys.stderr)
        return 2
    lock_file.write_bytes(identity.serialise(identity.updated(banks, identity.read(lock_file), args.accept)))
    print(f"qbank: {lock_file}: accepted {', '.join(sorted(args.accept))}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"check": cmd_check, "build": cmd_build, "lock": cmd_lock}[args.command](args)
    except PathError as exc:
        print(f"qbank: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"qbank: error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
