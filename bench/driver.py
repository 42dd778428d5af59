"""The real `qbank check` / `qbank build`, with the caches spliced in, timed phase by phase.

Runs with the project's Python. It runs `exporter.cli.main` itself — identity, figures,
variants, reports, everything the command does — and replaces exactly the two calls that
the README's speed section asks the CLI to change:

- `load_banks(paths)`             → `load_banks(paths, cache=LoadCache(dir))`
- `keys.check_questions(qs, …)`   → `CachedChecker(dir).run(qs, …, file_keys=…)`

so the numbers are those the CLI will have once wired, and until then `bench/run.py --via
cli` times the command as it is. Each replaced call (and build's render / write) is timed,
and one JSON object is printed last on stdout: {"exit", "phases", "check_cache", …}.

`exporter.keys` imports sympy (0.3 s), and a fully cached run must not pay for it, so the
module the CLI imports as `exporter.keys` is a stand-in whose `check_questions` is the
cached one; the real module is loaded (under another name) the first time anything else
of it is needed.

Usage: driver.py [--cache-dir DIR] [--no-cache] [--proposed] -- {check|build} [qbank options] PATH...
(--proposed: apply bench/proposed.py first, to measure the changes the README's speed section proposes)
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import importlib.util  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import types  # noqa: E402
from dataclasses import asdict  # noqa: E402

import exporter  # noqa: E402
import exporter.cli as cli  # noqa: E402
from exporter.cache import CachedChecker, LoadCache  # noqa: E402

PHASES: dict[str, float] = {}
RESULT: dict[str, object] = {}


def timed(name: str, fn):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            PHASES[name] = PHASES.get(name, 0.0) + time.perf_counter() - t

    return wrapper


def real_keys() -> types.ModuleType:
    """exporter/keys.py itself, loaded once, as `exporter._keys` (relative imports work);
    or the module itself if something imported it before the splice."""
    if "exporter._keys" not in sys.modules:
        if isinstance(sys.modules.get("exporter.keys"), types.ModuleType) and not isinstance(sys.modules["exporter.keys"], KeysStandIn):
            sys.modules["exporter._keys"] = sys.modules["exporter.keys"]
            return sys.modules["exporter._keys"]
        path = exporter.__path__[0] + "/keys.py"
        spec = importlib.util.spec_from_file_location("exporter._keys", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules["exporter._keys"] = module
        spec.loader.exec_module(module)
    return sys.modules["exporter._keys"]


class KeysStandIn(types.ModuleType):
    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):  # the import system probes `__path__` and the like
            raise AttributeError(name)
        return getattr(real_keys(), name)


def splice(cache_dir: str | None) -> None:
    loads = LoadCache(cache_dir) if cache_dir else None
    load_banks = cli.load_banks

    def cached_load(paths, **kwargs):
        banks, found = load_banks(paths, cache=loads, **kwargs)
        RESULT["questions"] = sum(len(b.questions) for b in banks)
        RESULT["files"] = len(banks)
        return banks, found

    cli.load_banks = timed("load", cached_load)

    def check_questions(questions, report, **options):
        if loads is None:
            summary = real_keys().check_questions(questions, report, **options)
        else:
            checker = CachedChecker(cache_dir)
            summary = checker.run(
                questions, report, file_keys=loads.file_keys, check=lambda *a, **k: real_keys().check_questions(*a, **k), **options
            )
            RESULT["check_cache"] = asdict(checker.stats)
            RESULT["load_cache"] = asdict(loads.stats)
        RESULT["summary"] = {"checked": summary.checked, "manual": summary.manual, "failed": summary.failed}
        return summary

    real_keys() if "exporter.keys" in sys.modules else None  # keep the real one if it is there
    stand_in = KeysStandIn("exporter.keys")
    stand_in.check_questions = timed("check", check_questions)
    sys.modules["exporter.keys"] = stand_in
    exporter.keys = stand_in

    for module, name in (("identity", "compare"), ("figures", "check_bank"), ("variants", "expand")):
        mod = getattr(cli, module, None)
        if mod is not None and hasattr(mod, name):
            setattr(mod, name, timed(f"{module}.{name}", getattr(mod, name)))

    import exporter.build as build

    build.render = timed("render", build.render)
    build.write = timed("write", build.write)


def main(argv: list[str]) -> int:
    ours, qbank_args = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else ([], argv)
    cache_dir = ".qbank-cache"
    if "--cache-dir" in ours:
        cache_dir = ours[ours.index("--cache-dir") + 1]
    if "--no-cache" in ours:
        cache_dir = None
    PHASES["import"] = time.perf_counter() - T0
    if "--proposed" in ours:
        import proposed  # bench/proposed.py: the changes the README's speed section proposes, as patches

        RESULT["proposed"] = proposed.apply()
    splice(cache_dir)
    code = cli.main(qbank_args)
    sys.stderr.flush()
    RESULT["exit"] = code
    RESULT["errors"] = 0 if code == 0 else 1
    PHASES["total"] = time.perf_counter() - T0
    RESULT["phases"] = PHASES
    print(json.dumps(RESULT), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
