"""`qbank check` and `qbank build`: the contract CI and instructors rely on.

Exit status: 0 clean, 1 findings (or a stale dist/ with `build --check`), 2 usage or I/O
error. Findings go to stderr as `path:line:col: CODE message`; machine formats go to
stdout or a file so they never mix with the human text.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Sequence

from . import __version__, config, identity, pipeline, readers, report, writers
from .codes import lookup
from .diagnostics import Collector, Diagnostic
from .load import PathError, load_banks
from .pipeline import DEFAULT_BANK, DEFAULT_QUIZZES

DEFAULT_PREVIEW = "dist/preview"


def _targets(value: str) -> list[str]:
    known = writers.names()
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown target {', '.join(unknown) or '(none)'}; choose from {','.join(known)}")
    return names


def _codes(value: str) -> list[str]:
    names = [n.strip().upper() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if lookup(n) is None]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown finding code {', '.join(unknown) or '(none)'} (see the README's code tables)")
    return names


MAX_TIMEOUT = 3600.0


def _seconds(value: str) -> float:
    """A time bound: a positive, finite number of seconds. `nan` would compare false with
    everything (no bound at all), `inf` and negatives are no bound either."""
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 0 < seconds <= MAX_TIMEOUT:  # also false for nan
        raise argparse.ArgumentTypeError(f"{value} is not a number of seconds between 0 and {MAX_TIMEOUT:g}")
    return seconds


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qbank", description="Check a YAML question bank and export it to Canvas, Moodle XML and GIFT.")
    p.add_argument("--version", action="version", version=f"qbank {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("paths", nargs="*", metavar="PATH", help=f"bank files or folders (default: {DEFAULT_BANK}/)")
        sp.add_argument("--jobs", "-j", type=int, default=0, help="worker processes for sympy (default: one per core)")
        sp.add_argument("--timeout", type=_seconds, default=10.0, help="seconds allowed per question's check (default 10)")
        sp.add_argument("--memory", type=float, default=2048, metavar="MB",
                        help="memory one question's check may use, in MiB (default 2048; 0: no bound)")
        sp.add_argument("--seed", metavar="S", help="term seed for the variants of parametrised questions "
                        "(overrides the `seed:` of every bank and quiz)")
        sp.add_argument("--no-cache", action="store_true", help="neither read nor write the cache of earlier runs' results "
                        "(kept in the user cache folder, never in the repository; off when CI=true)")
        sp.add_argument("--ignore", metavar="CODE", action="append", type=_codes, default=[],
                        help="drop findings with these codes (comma-separated; may be repeated)")
        sp.add_argument("--warnings-as-errors", action="store_true",
                        help="count warnings as errors: exit 1, and build writes nothing")
        sp.add_argument("--quizzes", metavar="DIR", help=f"quiz files to check and build (default: {DEFAULT_QUIZZES}/ "
                        "if it exists and no PATH is given)")
        sp.add_argument("--strict-display", action="store_true", help="a choice text qbank cannot read (taken as written) "
                        "is an error, not just counted")

    c = sub.add_parser("check", help="validate the bank and recompute every answer key")
    common(c)
    c.add_argument("--format", choices=("text", "json"), default="text", help="json: a report on stdout")
    c.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report to FILE")

    b = sub.add_parser("build", help="check, then write every target (Canvas zip, Moodle XML, GIFT)")
    common(b)
    b.add_argument("-o", "--output", default="dist", metavar="DIR", help="output folder (default: dist/)")
    b.add_argument("--targets", metavar="NAMES", type=_targets,
                   help=f"comma-separated targets to build, of {','.join(writers.BUILTIN)} (default: all but preview)")
    b.add_argument("--option", metavar="TARGET.NAME=VALUE", action="append", default=[],
                   help="a writer option, e.g. canvas.math_style=mathjax (overrides qbank.toml / [tool.qbank])")
    b.add_argument("--check", action="store_true", dest="verify", help="write nothing; exit 1 if DIR (or the lock) is not what the bank builds to")

    pv = sub.add_parser("preview", help="check, then write an HTML site showing every question as students see it")
    common(pv)
    pv.add_argument("-o", "--output", default=DEFAULT_PREVIEW, metavar="DIR", help=f"output folder (default: {DEFAULT_PREVIEW}/)")
    pv.add_argument("--serve", action="store_true", help="then serve it on localhost and rebuild it when a bank file is saved")
    pv.add_argument("--port", type=int, default=8000, help="with --serve: the port on 127.0.0.1 (default 8000)")

    im = sub.add_parser("import", help="bring Moodle XML, GIFT or Canvas (QTI) questions into a new bank file")
    im.add_argument("files", nargs="+", metavar="FILE", help="Moodle XML (.xml), GIFT (.gift/.txt), QTI (.zip or assessment .xml)")
    im.add_argument("-o", "--output", metavar="BANK.yaml", help=f"the new bank file (default: {DEFAULT_BANK}/<first file's name>.yaml)")
    im.add_argument("--figures", metavar="DIR", help="where images go (default: figures/ beside the bank file)")
    im.add_argument("--from", dest="fmt", choices=readers.FORMATS, help="the format (default: from the content)")

    nw = sub.add_parser("new", help="start a project: a commented starter bank (one question of each type), "
                        "a quiz file and a CI workflow, all checking clean")
    nw.add_argument("folder", nargs="?", default=".", metavar="DIR", help="where to write it (default: here)")

    lk = sub.add_parser("lock", help="release without building (record new ids in the lock), or accept a "
                        "deliberate change of a released question's meaning")
    lk.add_argument("--accept", nargs="+", default=[], metavar="ID", help="ids whose new meaning is a correction, not a new question")
    lk.add_argument("--bank", default=DEFAULT_BANK, metavar="PATH", help=f"bank folder (default: {DEFAULT_BANK}/)")
    return p


def _quizzes(args: argparse.Namespace) -> str | None:
    """`--quizzes DIR`; else `quizzes/` when checking the whole bank (no PATH): checking
    one bank file must not report the quizzes' references to the other files as missing."""
    if args.quizzes:
        return str(args.quizzes)
    if not args.paths and Path(DEFAULT_QUIZZES).is_dir():
        return DEFAULT_QUIZZES
    return None


def _check(args: argparse.Namespace) -> pipeline.CheckResult:
    result = pipeline.check(
        args.paths or None,
        seed=args.seed,
        quizzes=_quizzes(args),
        cache=not args.no_cache,
        jobs=args.jobs,
        timeout=args.timeout,
        memory=args.memory,
        progress=report.Progress(),
        ignore=[c for group in args.ignore for c in group],
        warnings_as_errors=args.warnings_as_errors,
        strict_display=args.strict_display,
    )
    for note in result.notes:
        print(f"qbank: {note}", file=sys.stderr)
    return result


def _emit(diagnostics: Sequence[Diagnostic], summary: report.Summary) -> None:
    report.text(diagnostics, summary, sys.stderr)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        report.github(diagnostics, sys.stdout)


def cmd_check(args: argparse.Namespace) -> int:
    run = _check(args)
    diagnostics, summary = run.diagnostics, run.summary
    if args.format == "json":
        print(report.as_json(diagnostics, summary))
    else:
        _emit(diagnostics, summary)
    if args.junit:
        Path(args.junit).write_bytes(report.junit(diagnostics, run.banks, summary))
    return 1 if summary.errors else 0


def _writer_options(args: argparse.Namespace) -> dict[str, dict[str, object]]:
    """qbank.toml / [tool.qbank], then --option; raises ConfigError naming the culprit."""
    chosen = writers.selected(args.targets)
    settings, source = config.project_settings()
    config.resolve(chosen, settings, source)
    options = config.merge(settings, config.parse_overrides(args.option))
    if args.option:
        config.resolve(chosen, options, "--option")
    return options


def cmd_build(args: argparse.Namespace) -> int:
    try:  # before the check: a typo in the configuration should not cost a whole check
        options = _writer_options(args)
    except config.ConfigError as exc:
        print(f"qbank: error: {exc}", file=sys.stderr)
        return 2
    run = _check(args)
    if not run.ok:
        _emit(run.diagnostics, run.summary)
        print(f"qbank: not building: fix the errors above; {args.output}/ was left as it was", file=sys.stderr)
        return 1
    from .outputs import OutputError, RenderError

    try:
        built = pipeline.build(run, args.output, targets=args.targets, options=options, verify=args.verify)
    except (OutputError, RenderError) as exc:
        _emit(run.diagnostics, run.summary)
        print(f"qbank: error: {exc}", file=sys.stderr)
        print(f"qbank: build failed; {args.output}/ was left as it was", file=sys.stderr)
        return 2
    _emit(built.diagnostics, built.summary)
    if not built.built:
        print(f"qbank: build failed; {args.output}/ was left as it was", file=sys.stderr)
        return 1
    if args.verify:
        for line in built.problems:
            print(f"{line}: run `qbank build` and commit the result", file=sys.stderr)
        return 1 if built.problems else 0
    print(f"qbank: wrote {len(built.outputs)} file(s) to {built.out_dir}/ ({len(built.changed)} changed)", file=sys.stderr)
    if not built.released:
        print(f"qbank: a trial build: {run.lock_file} was left alone (a release is `qbank build` into "
              f"{pipeline.DEFAULT_DIST}/, or `qbank lock`)", file=sys.stderr)
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    """The preview is written whatever the check found: showing failing questions with
    their findings is the point. The exit status is the check's."""
    code = _write_preview(args)
    if not args.serve:
        return code
    return _serve_preview(args)


def _write_preview(args: argparse.Namespace) -> int:
    from .outputs import write
    from .writers.preview import Site, Statuses

    run = _check(args)
    written = Collector()
    site = Site(Statuses.from_findings(run.banks, run.diagnostics), written)
    outputs = site.build(run.expanded, run.quizzes, jobs=args.jobs or os.cpu_count() or 1)
    diagnostics = list(run.diagnostics) + [d for d in dict.fromkeys(written.items) if d not in run.diagnostics]
    _emit(diagnostics, run.summary)
    out = Path(args.output)
    changed = write(outputs, out)
    print(f"qbank: wrote the preview to {out}/index.html ({len(outputs)} file(s), {len(changed)} changed)", file=sys.stderr)
    return 1 if run.summary.errors else 0


def _serve_preview(args: argparse.Namespace) -> int:
    from .load import bank_files
    from .quizzes import quiz_files
    from .serve import PreviewServer

    def watched() -> list[Path]:
        files = list(bank_files(args.paths or [DEFAULT_BANK]))
        folder = _quizzes(args)
        if folder is not None and Path(folder).is_dir():
            files += list(quiz_files(Path(folder)))
        return files

    server = PreviewServer(Path(args.output), lambda: _write_preview(args), watched, args.port)
    server.start()
    print(f"qbank: serving the preview at {server.url}; it is rebuilt when a bank file is saved (Ctrl-C stops)",
          file=sys.stderr)
    try:
        server.watch()
    except KeyboardInterrupt:
        pass
    server.stop()
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
    locked, broken = identity.load(lock_file)
    if broken:
        report.text(broken, report.Summary(), sys.stderr)
        return 1
    updated = identity.updated(banks, locked, args.accept)
    lock_file.write_bytes(identity.serialise(updated))
    new = sorted(set(updated) - set(locked))
    said = [f"recorded {len(new)} new id(s)" if new or not args.accept else ""]
    if args.accept:
        said.append(f"accepted {', '.join(sorted(args.accept))}")
    print(f"qbank: {lock_file}: {'; '.join(s for s in said if s)}", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .importing import default_output, import_files

    output = args.output or default_output(args.files[0], DEFAULT_BANK)
    outcome = import_files(args.files, output, args.figures, args.fmt)
    found = sorted(outcome.findings, key=lambda d: (d.loc.path, d.loc.line, d.loc.col, d.code))
    for d in found:
        print(d, file=sys.stderr)
    if outcome.bank is None:
        print(f"qbank: nothing imported; {output} was not written", file=sys.stderr)
        return 1
    print(
        f"qbank: imported {outcome.imported} question(s) into {output}"
        + (f" and {len(outcome.figures)} figure(s)" if outcome.figures else "")
        + (f"; {outcome.skipped} skipped (listed above)" if outcome.skipped else "")
        + f"; {outcome.unverified} unverified: each has `check: manual: imported from …` until you add a check",
        file=sys.stderr,
    )
    return 1 if any(d.severity == "error" for d in found) else 0


def cmd_new(args: argparse.Namespace) -> int:
    from . import starter

    try:
        written = starter.create(args.folder)
    except starter.Exists as exc:
        print(f"qbank: error: {exc} already exist(s); nothing was written (qbank new never overwrites a file): "
              "choose an empty folder, or move these away", file=sys.stderr)
        return 2
    for path in written:
        print(f"qbank: wrote {path.as_posix()}", file=sys.stderr)
    where = "" if Path(args.folder) == Path(".") else f"cd {args.folder} && "
    print(f"qbank: next: {where}qbank check && qbank build   (edit {starter.BANK_FILE} first, or after)", file=sys.stderr)
    return 0


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl-C: one line, exit 130, at once.

    Not a KeyboardInterrupt: one raised inside a `__del__` or an at-fork callback is
    printed as "Exception ignored" and swallowed by CPython, and the run goes on. Ending
    here is safe because qbank is built to survive a kill at any instant (every file is
    written by rename, dist/ is exchanged in one step, leftovers are removed by the next
    run); the workers this process started are killed first.
    """
    import multiprocessing

    for child in multiprocessing.active_children():
        child.kill()
    sys.stderr.write("qbank: interrupted\n")
    sys.stderr.flush()
    os._exit(130)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if threading.current_thread() is not threading.main_thread():  # signals are the main thread's
        return _run(args)
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, _interrupted)
    try:
        return _run(args)
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


def _run(args: argparse.Namespace) -> int:
    try:
        return {"check": cmd_check, "build": cmd_build, "import": cmd_import, "preview": cmd_preview,
                "lock": cmd_lock, "new": cmd_new}[args.command](args)
    except PathError as exc:
        print(f"qbank: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        what = exc.strerror or str(exc)
        print(f"qbank: error: {exc.filename}: {what}" if exc.filename else f"qbank: error: {what}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # where the handler above could not be installed
        print("qbank: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
