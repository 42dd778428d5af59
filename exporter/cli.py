"""`qbank check` and `qbank build`: the contract CI and instructors rely on.

Exit status: 0 clean, 1 findings (or a stale dist/ with `build --check`), 2 usage or I/O
error. Findings go to stderr as `path:line:col: CODE message`; machine formats go to
stdout or a file so they never mix with the human text.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from . import __version__, identity, report
from .diagnostics import Collector, Diagnostic
from .load import PathError, bank_files, load_banks
from .model import Bank

DEFAULT_BANK = "bank"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qbank", description="Check a YAML question bank and export it to Canvas, Moodle XML and GIFT.")
    p.add_argument("--version", action="version", version=f"qbank {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("paths", nargs="*", metavar="PATH", help=f"bank files or folders (default: {DEFAULT_BANK}/)")
        sp.add_argument("--jobs", "-j", type=int, default=0, help="worker processes for sympy (default: one per core)")
        sp.add_argument("--timeout", type=float, default=10.0, help="seconds allowed per question's check (default 10)")

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


def _run_checks(args: argparse.Namespace) -> tuple[list[Bank], list[Diagnostic], report.Summary]:
    from .keys import check_questions  # sympy is slow to import: only when we check

    paths = args.paths or [DEFAULT_BANK]
    files = [f.as_posix() for f in bank_files(paths)]
    banks, diagnostics = load_banks(paths)
    lock_file = identity.lock_path(paths)
    diagnostics += identity.compare(banks, identity.read(lock_file), lock_file)
    findings = Collector()
    questions = [q for b in banks for q in b.questions]
    result = check_questions(questions, findings, jobs=args.jobs, timeout=args.timeout, progress=report.Progress())
    diagnostics = sorted(diagnostics + findings.items, key=lambda d: (d.loc.path, d.loc.line, d.loc.col, d.code))
    summary = report.Summary(
        questions=len(questions),
        checked=result.checked,
        manual=result.manual,
        failed=result.failed,
        errors=sum(d.severity == "error" for d in diagnostics),
        warnings=sum(d.severity == "warning" for d in diagnostics),
        files=files,
    )
    return banks, diagnostics, summary


def _emit(diagnostics: Sequence[Diagnostic], summary: report.Summary) -> None:
    report.text(diagnostics, summary, sys.stderr)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        report.github(diagnostics, sys.stdout)


def cmd_check(args: argparse.Namespace) -> int:
    banks, diagnostics, summary = _run_checks(args)
    if args.format == "json":
        print(report.as_json(diagnostics, summary))
    else:
        _emit(diagnostics, summary)
    if args.junit:
        Path(args.junit).write_bytes(report.junit(diagnostics, banks, summary))
    return 1 if summary.errors else 0


def cmd_build(args: argparse.Namespace) -> int:
    from .build import render, stale, write

    banks, diagnostics, summary = _run_checks(args)
    if summary.errors:
        _emit(diagnostics, summary)
        print(f"qbank: not building: fix the errors above; {args.output}/ was left as it was", file=sys.stderr)
        return 1
    written = Collector()
    outputs = render(banks, written)
    diagnostics = list(diagnostics) + sorted(written.items)
    summary.errors += len(written.errors)
    summary.warnings += len(written.warnings)
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
