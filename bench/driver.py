"""`qbank check` / `qbank build` through the library API, timed stage by stage.

Runs with the project's Python. `exporter.check` and `exporter.build` are the very calls
the CLI makes (identity lock, figures, variants, quizzes, keys, writers, …), and each
records how long its stages took (`CheckResult.timings`, `BuildResult.timings`), so
nothing is patched. One JSON object is printed last on stdout:
{"exit", "errors", "phases", "check_cache", "load_cache", "summary", "questions", "files"}.

Usage: driver.py [--cache-dir DIR] [--no-cache] [--proposed] -- {check|build} [--jobs N] [-o DIR] PATH...
(--proposed: apply bench/proposed.py first, to measure the changes the README's speed section proposes)
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from dataclasses import asdict, is_dataclass  # noqa: E402

import exporter  # noqa: E402


def main(argv: list[str]) -> int:
    ours, qbank_args = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else ([], argv)
    mine = argparse.ArgumentParser(prog="driver.py")
    mine.add_argument("--cache-dir", default=None)
    mine.add_argument("--no-cache", action="store_true")
    mine.add_argument("--proposed", action="store_true")
    opts = mine.parse_args(ours)
    theirs = argparse.ArgumentParser(prog="driver.py -- ")
    theirs.add_argument("command", choices=("check", "build"))
    theirs.add_argument("paths", nargs="*")
    theirs.add_argument("--jobs", "-j", type=int, default=0)
    theirs.add_argument("-o", "--output", default="dist")
    args = theirs.parse_intermixed_args(qbank_args)

    phases: dict[str, float] = {"import": time.perf_counter() - T0}
    out: dict[str, object] = {}
    if opts.proposed:
        import proposed  # bench/proposed.py: the changes the README's speed section proposes, as patches

        out["proposed"] = proposed.apply()
    cache: bool | str = False if opts.no_cache else (opts.cache_dir or True)
    result = exporter.check(args.paths or None, cache=cache, jobs=args.jobs)
    phases.update(result.timings)
    errors = result.summary.errors
    if args.command == "build" and result.ok:
        built = exporter.build(result, args.output)
        phases.update(built.timings)
        errors = built.summary.errors
    for name, stats in result.cache_stats.items():
        out[f"{name}_cache"] = asdict(stats) if is_dataclass(stats) and not isinstance(stats, type) else stats
    out.update(
        questions=sum(len(b.questions) for b in result.banks),
        files=len(result.banks),
        summary={"checked": result.summary.checked, "manual": result.summary.manual, "failed": result.summary.failed},
        errors=errors,
        diagnostics=[str(d) for d in result.diagnostics if d.severity == "error"][:20],
        exit=1 if errors else 0,
    )
    phases["total"] = time.perf_counter() - T0
    out["phases"] = phases
    print(json.dumps(out), flush=True)
    return int(out["exit"])  # type: ignore[call-overload]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
