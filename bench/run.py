"""The benchmark: qbank vs the issue's targets, and vs text2qti on the same questions.

For each bank size N (default 1,000 / 5,000 / 20,000) it generates a synthetic bank
(bench/generate.py: the seed's mix, every key correct) and measures, each phase in a fresh
process under bench/measure.py (wall time, peak memory of the whole process tree):

1. cold check — no cache: load + sympy check of every question (must report nothing:
   the benchmark stops if the generated bank is not clean);
2. warm check — nothing changed;
3. warm re-check after one edit — one question in the middle of the bank gets other
   numbers and another length, so every question below it moves: exactly one question
   may be re-checked, and the run must still be clean;
4. build — all three targets (Canvas zip, Moodle XML, GIFT) written to disk, caches warm
   (what CI runs after `qbank check` passed);
5. text2qti — the same questions in its format, its one target (Canvas QTI zip), run in
   the benchmark's own environment bench/.venv.

Then prints a table, checks the issue's targets, and writes bench/results.md.

Usage:
  python bench/run.py --setup            # once: make bench/.venv (text2qti, psutil)
  python bench/run.py                    # 1,000 / 5,000 / 20,000 (about 15 minutes here)
  python bench/run.py --quick            # 200 / 800, a minute: does everything still work?
  python bench/run.py --sizes 5000 --per-file 500
Run it with the Python that has qbank installed (e.g. /work/venv/bin/python).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV = HERE / ".venv"
VENV_PY = VENV / "bin" / "python"

sys.path.insert(0, str(HERE))
import generate  # noqa: E402


# --- the benchmark's own environment -------------------------------------------------------


def setup_venv() -> None:
    """bench/.venv with text2qti and psutil, never in qbank's environment."""
    if not VENV_PY.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV_PY), "-m", "pip", "install", "-q", "-r", str(HERE / "requirements.txt")], check=True)


def have_venv() -> bool:
    if not VENV_PY.exists():
        return False
    probe = subprocess.run([str(VENV_PY), "-c", "import psutil, text2qti"], capture_output=True)
    return probe.returncode == 0


# --- one measured phase --------------------------------------------------------------------


@dataclass
class Phase:
    wall_s: float
    peak_tree_mb: float
    max_single_rss_mb: float
    output: dict = field(default_factory=dict)
    other_cpu_s: float = 0.0  # CPU the rest of the machine used during the run
    walls: list[float] = field(default_factory=list)  # every repetition

    @property
    def disturbed(self) -> bool:
        """Something else used more than a tenth of one core meanwhile."""
        return self.other_cpu_s > 0.1 * self.wall_s


def median_phase(runs: list[Phase]) -> Phase:
    """The run with the median wall time; memory is the worst of all runs."""
    ordered = sorted(runs, key=lambda p: p.wall_s)
    mid = ordered[(len(ordered) - 1) // 2]
    return Phase(
        mid.wall_s,
        max(p.peak_tree_mb for p in runs),
        max(p.max_single_rss_mb for p in runs),
        mid.output,
        mid.other_cpu_s,
        [p.wall_s for p in runs],
    )


def snapshot(work: Path) -> dict[str, str]:
    """A frozen copy of qbank's code for the whole run, and the environment that uses it.

    The caches are keyed by a hash of qbank's source, so an edit to the working tree while
    the benchmark runs (other people keep working) would turn every "warm" run cold. The
    copy keeps the code still; PYTHONPATH puts it before the installed (editable) package.
    """
    target = work / "_qbank"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(REPO / "exporter", target / "exporter", ignore=shutil.ignore_patterns("__pycache__"))
    (target / "exporter" / "_schema").mkdir(exist_ok=True)
    for f in (REPO / "schema").iterdir():
        if f.is_file():
            shutil.copy2(f, target / "exporter" / "_schema" / f.name)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(target)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def measure(name: str, command: list[str], work: Path, *, cwd: Path | None = None, env: dict[str, str] | None = None) -> Phase:
    out = work / "measure" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(VENV_PY), str(HERE / "measure.py"), str(out), "--", *command], check=True, cwd=cwd, env=env)
    m = json.loads(out.read_text())
    stdout = out.with_suffix(".stdout").read_text()
    if m["exit"] != 0:
        stderr = out.with_suffix(".stderr").read_text()
        raise SystemExit(f"{name}: `{' '.join(command)}` exited {m['exit']}\n{stdout[-3000:]}\n{stderr[-3000:]}")
    try:
        output = json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else {}
    except json.JSONDecodeError:
        output = {}
    return Phase(m["wall_s"], m["peak_tree_mb"], m["max_single_rss_mb"], output, m.get("other_cpu_s", 0.0), [m["wall_s"]])


PROPOSED = False  # --proposed: time the changes the README's speed section proposes (bench/proposed.py)


def cache_dir(work: Path) -> Path:
    """The run's cache: outside the repository (qbank refuses a cache folder inside a git
    work tree, and bench/work/ is one), one per bank size; QBANK_CACHE_DIR for the CLI."""
    return Path(tempfile.gettempdir()) / "qbank-bench-cache" / work.name


def qbank(command: str, work: Path, via: str, jobs: int, *, no_cache: bool = False) -> list[str]:
    """The command that runs `qbank COMMAND` on the work folder's bank (cwd = work)."""
    args = [command, "--jobs", str(jobs)] + (["-o", str(work / "dist")] if command == "build" else []) + [str(work / "bank")]
    if via == "cli":
        return [sys.executable, "-m", "exporter", *args] + (["--no-cache"] if no_cache else [])
    ours = ["--no-cache"] if no_cache else ["--cache-dir", str(cache_dir(work))]
    if PROPOSED:
        ours.append("--proposed")
    return [sys.executable, str(HERE / "driver.py"), *ours, "--", *args]


# --- one bank size ----------------------------------------------------------------------------


@dataclass
class Size:
    n: int
    files: int
    generate_s: float
    cold: Phase
    warm: Phase
    edit: Phase
    build: Phase
    t2q: Phase | None
    t2q_questions: int = 0


def run_size(n: int, args: argparse.Namespace) -> Size:
    work = args.workdir / f"n{n}"
    shutil.rmtree(work, ignore_errors=True)
    t = time.perf_counter()
    files = generate.generate(n, work, seed=args.seed, per_file=args.per_file, text2qti=not args.no_text2qti)
    gen_s = time.perf_counter() - t
    print(f"\n== {n} questions in {len(files)} files (generated in {gen_s:.1f} s)", flush=True)
    cwd = work
    env = snapshot(work)
    env["QBANK_CACHE_DIR"] = str(cache_dir(work))
    env.pop("CI", None)  # CI=true turns the cache off; the warm phases measure it
    # A bank in CI has its release lock (bank/qbank.lock), and `qbank check` compares every
    # question with it: part of the real cost of a check. `qbank lock` writes it.
    subprocess.run(
        [sys.executable, "-m", "exporter", "lock", "--accept", generate.question(1, args.seed).id, "--bank", str(work / "bank")],
        check=True, cwd=cwd, env=env, capture_output=True,
    )

    reps = max(1, args.repeat)

    def cold_run(k: int) -> Phase:
        shutil.rmtree(cache_dir(work), ignore_errors=True)
        return measure(f"cold-check-{k}", qbank("check", work, args.via, args.jobs), work, cwd=cwd, env=env)

    cold = median_phase([cold_run(k) for k in range(reps)])
    clean(cold, "cold check")
    show("cold check", cold)

    warm = median_phase([measure(f"warm-check-{k}", qbank("check", work, args.via, args.jobs), work, cwd=cwd, env=env) for k in range(reps)])
    clean(warm, "warm check")
    show("warm check", warm)

    def edit_run(k: int) -> Phase:
        # a different question each time, spread over the middle of the bank
        edited = n // 2 + 1 + k * max(1, n // (4 * reps))
        generate.edit_question(work / "bank", edited, seed=args.seed, per_file=args.per_file, variant=1)
        p = measure(f"edit-check-{k}", qbank("check", work, args.via, args.jobs), work, cwd=cwd, env=env)
        clean(p, "re-check after one edit")
        stats = p.output.get("check_cache") or {}
        if stats and stats.get("misses") != 1:
            raise SystemExit(f"after editing one question, {stats.get('misses')} were re-checked (expected 1): {stats}")
        return p

    edit = median_phase([edit_run(k) for k in range(reps)])
    show("one edit", edit, f"re-checked: {(edit.output.get('check_cache') or {}).get('misses', '?')}")

    def build_run(k: int) -> Phase:
        shutil.rmtree(work / "dist", ignore_errors=True)
        return measure(f"build-{k}", qbank("build", work, args.via, args.jobs), work, cwd=cwd, env=env)

    build = median_phase([build_run(k) for k in range(reps)])
    clean(build, "build")
    show("build", build)

    t2q = None
    t2q_questions = 0
    if not args.no_text2qti:
        t2q = median_phase([
            measure(f"text2qti-{k}", [str(VENV_PY), str(HERE / "t2q.py"), str(work / "text2qti"), str(work / "t2q-out")], work)
            for k in range(reps)
        ])
        t2q_questions = int(t2q.output.get("questions", 0))
        if t2q_questions != n:
            raise SystemExit(f"text2qti read {t2q_questions} questions, not {n}")
        show("text2qti", t2q, f"(its own work: {t2q.output.get('seconds', 0):.2f} s)")
    if not args.keep:
        shutil.rmtree(work / "t2q-out", ignore_errors=True)
    return Size(n, len(files), gen_s, cold, warm, edit, build, t2q, t2q_questions)


def show(name: str, p: Phase, extra: str = "") -> None:
    runs = "" if len(p.walls) < 2 else "  runs: " + ", ".join(f"{w:.2f}" for w in p.walls)
    warn = f"  [machine busy: {p.other_cpu_s:.1f} s of other CPU]" if p.disturbed else ""
    print(f"   {name:13s}{p.wall_s:7.2f} s  {phases(p)}  {extra}{runs}{warn}".rstrip(), flush=True)


def clean(phase: Phase, what: str) -> None:
    if phase.output.get("errors"):
        shown = "\n".join(phase.output.get("diagnostics", []))
        raise SystemExit(f"{what}: the generated bank is not clean ({phase.output['errors']} errors):\n{shown}")


def phases(p: Phase) -> str:
    ph = p.output.get("phases") or {}
    return "  ".join(f"{label} {ph[k]:.2f}" for k, label in COLUMNS if k in ph)


# --- report --------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import yaml

    def version(dist: str, python: str | None = None) -> str:
        if python:
            r = subprocess.run([python, "-c", f"import importlib.metadata as m; print(m.version('{dist}'))"], capture_output=True, text=True)
            return r.stdout.strip() or "?"
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "?"

    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "sympy": version("sympy"),
        "pyyaml": version("PyYAML") + (" (libyaml)" if getattr(yaml, "__with_libyaml__", False) else " (pure Python)"),
        "jsonschema": version("jsonschema"),
        "text2qti": version("text2qti", str(VENV_PY)) if VENV_PY.exists() else "-",
    }


def verdicts(sizes: list[Size]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met?) for the issue's targets, where the sizes were run."""
    by_n = {s.n: s for s in sizes}
    out: list[tuple[str, str, bool | None]] = []
    if 5000 in by_n:
        s = by_n[5000]
        out.append(("5,000: cold check ≤ 30 s", f"{s.cold.wall_s:.1f} s", s.cold.wall_s <= 30))
        out.append(("5,000: warm re-check after one edit ≤ 1 s", f"{s.edit.wall_s:.2f} s", s.edit.wall_s <= 1))
        if s.t2q:
            ratio = s.build.wall_s / s.t2q.wall_s
            out.append(("5,000: build of 3 targets ≤ 0.3 × text2qti", f"{s.build.wall_s:.2f} s / {s.t2q.wall_s:.2f} s = {ratio:.2f}×", ratio <= 0.3))
    if 20000 in by_n:
        s = by_n[20000]
        peak = max(s.cold.peak_tree_mb, s.warm.peak_tree_mb, s.edit.peak_tree_mb, s.build.peak_tree_mb)
        out.append(("20,000: peak memory ≤ 500 MB", f"{peak:.0f} MB", peak <= 500))
        small = by_n.get(5000) or by_n.get(1000)
        if small:
            k = s.n / small.n
            for name, a, b in (("cold check", small.cold, s.cold), ("build", small.build, s.build)):
                g = (b.wall_s / a.wall_s) / k
                out.append((f"linear growth {small.n:,} → 20,000: {name}", f"{g:.2f}× the linear prediction", g <= 1.25))
    return out


def table(sizes: list[Size]) -> str:
    head = "| N | files | cold check | warm check | re-check after 1 edit | build (3 targets) | text2qti (1 target) | build / text2qti | peak memory (tree) |"
    rows = [head, "|" + "---|" * 9]
    for s in sizes:
        peak = max(s.cold.peak_tree_mb, s.warm.peak_tree_mb, s.edit.peak_tree_mb, s.build.peak_tree_mb)
        t2q = f"{s.t2q.wall_s:.2f} s" if s.t2q else "–"
        ratio = f"{s.build.wall_s / s.t2q.wall_s:.2f}×" if s.t2q else "–"
        rows.append(
            f"| {s.n:,} | {s.files} | {s.cold.wall_s:.2f} s | {s.warm.wall_s:.2f} s | {s.edit.wall_s:.2f} s "
            f"| {s.build.wall_s:.2f} s | {t2q} | {ratio} | {peak:.0f} MB |"
        )
    return "\n".join(rows)


COLUMNS = [
    ("import", "import"),
    ("load", "load"),
    ("lock", "lock"),
    ("figures", "figures"),
    ("variants", "variants"),
    ("quizzes", "quizzes"),
    ("check", "check"),
    ("render", "render"),
    ("write", "write"),
]


def breakdown(sizes: list[Size]) -> str:
    head = " | ".join(label for _, label in COLUMNS)
    rows = [f"| N | run | {head} | rest | peak tree | largest process | other CPU meanwhile |", "|" + "---|" * (len(COLUMNS) + 6)]
    for s in sizes:
        for name, p in (("cold check", s.cold), ("warm check", s.warm), ("1 edit", s.edit), ("build", s.build)):
            ph = p.output.get("phases") or {}
            cells = " | ".join(f"{ph[k]:.2f}" if k in ph else "–" for k, _ in COLUMNS)
            # start-up, reporting, exit: the wall time no phase accounts for
            rest = p.wall_s - sum(ph.get(k, 0.0) for k, _ in COLUMNS)
            rows.append(
                f"| {s.n:,} | {name} | {cells} | {rest:.2f} "
                f"| {p.peak_tree_mb:.0f} MB | {p.max_single_rss_mb:.0f} MB | {p.other_cpu_s:.1f} s |"
            )
    return "\n".join(rows)


def report(sizes: list[Size], args: argparse.Namespace) -> str:
    m = machine()
    lines = [
        "# qbank benchmark results",
        "",
        f"Made by `python bench/run.py {' '.join(args.argv)}`".rstrip() + f" on {time.strftime('%Y-%m-%d')}.",
        f"Machine: {m['cores']} cores ({m['cpu']}); Python {m['python']}, sympy {m['sympy']}, PyYAML {m['pyyaml']},",
        f"jsonschema {m['jsonschema']}; text2qti {m['text2qti']} in bench/.venv. Banks: bench/generate.py, seed {args.seed},",
        f"{args.per_file} questions per file; qbank timed {'through its CLI' if args.via == 'cli' else 'through the library API the CLI calls (bench/driver.py)'}, "
        f"`--jobs {args.jobs or 'all cores'}`. Times are wall-clock seconds of a fresh process, start-up included.",
        *(
            [
                "",
                "**With the changes the README's speed section proposes** (bench/proposed.py, applied as patches: identity "
                "fingerprint without `asdict`, `grades.percent` memoised, `build.render` over banks in forked "
                "processes)" + (f"; PYTHONPATH adds `{os.environ['PYTHONPATH']}` (e.g. jsonschema-rs)" if os.environ.get("PYTHONPATH") else "") + ".",
            ]
            if args.proposed
            else []
        ),
        "",
        table(sizes),
        "",
        "Where the time goes (seconds measured inside the process; import = qbank's imports, lock = comparing "
        "with bank/qbank.lock, rest = interpreter start-up, reporting and exit):",
        "",
        breakdown(sizes),
        "",
    ]
    v = verdicts(sizes)
    if v:
        lines += ["Targets (issue 8):", "", "| target | measured | met |", "|---|---|---|"]
        lines += [f"| {t} | {m_} | {'yes' if ok else 'NO'} |" for t, m_, ok in v]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description="qbank's speed at bank scale (issue 8).")
    p.add_argument("--sizes", default="1000,5000,20000", help="comma-separated bank sizes (default 1000,5000,20000)")
    p.add_argument("--quick", action="store_true", help="sizes 200,800: a smoke test in about a minute")
    p.add_argument("--per-file", type=int, default=100, help="questions per bank file (default 100)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=0, help="qbank --jobs (default 0: every core)")
    p.add_argument("--via", choices=("driver", "cli"), default="driver", help="time bench/driver.py (default) or the qbank CLI")
    p.add_argument("--no-text2qti", action="store_true")
    p.add_argument("--setup", action="store_true", help="create or update bench/.venv and exit")
    p.add_argument("--workdir", type=Path, default=HERE / "work")
    p.add_argument("--out", type=Path, help="results file (default bench/results.md; quick runs: bench/work/results-quick.md)")
    p.add_argument("--keep", action="store_true", help="keep text2qti's output zips")
    p.add_argument("--repeat", type=int, default=1, help="run every phase K times and report the median (default 1)")
    p.add_argument("--proposed", action="store_true", help="apply bench/proposed.py (the changes the README's speed section proposes) and write results-proposed.md")
    args = p.parse_args(argv)
    args.argv = argv
    if args.setup:
        setup_venv()
        return 0
    if not have_venv():
        print("bench/.venv is missing or incomplete: run `python bench/run.py --setup` first", file=sys.stderr)
        return 2
    global PROPOSED
    PROPOSED = args.proposed
    if args.proposed and args.via == "cli":
        p.error("--proposed patches qbank inside bench/driver.py: use it with --via driver")
    sizes = [200, 800] if args.quick else [int(x) for x in args.sizes.split(",")]
    name = "results-proposed.md" if args.proposed else "results.md"
    out = args.out or (args.workdir / f"quick-{name}" if args.quick else HERE / name)
    results = [run_size(n, args) for n in sizes]
    text = report(results, args)
    print("\n" + text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"written to {out}")
    missed = [t for t, _, ok in verdicts(results) if ok is False]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
