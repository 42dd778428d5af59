"""qbank: a YAML question bank, checked by sympy, exported to Canvas, Moodle XML and GIFT.

The library API is two calls, the same the `qbank` command makes:

    import exporter
    result = exporter.check(["bank"])      # load, validate, recompute every answer key
    exporter.build(result, "dist")         # write every target (all or nothing)

and, for bringing LMS questions in, `exporter.import_files(["export.xml"], "bank/new.yaml")`
(what `qbank import` runs; exporter.importing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .pipeline import BuildResult, CheckResult, build, check


def __getattr__(name: str) -> object:
    """`exporter.check` and friends, imported on first use: `import exporter.model` (a
    worker, a reader, a writer) does not pay for the whole pipeline."""
    if name in ("BuildResult", "CheckResult", "build", "check"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def import_files(*args, **kwargs):  # noqa: ANN002, ANN003, ANN201 - exporter.importing.import_files
    """`qbank import` as a call; see exporter.importing.import_files (imported on use: the
    readers need lxml, which a check from the cache does not)."""
    from .importing import import_files as run

    return run(*args, **kwargs)


__all__ = ["BuildResult", "CheckResult", "build", "check", "import_files", "__version__"]
