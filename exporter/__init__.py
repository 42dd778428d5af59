"""qbank: a YAML question bank, checked by sympy, exported to Canvas, Moodle XML and GIFT.

The library API is two calls, the same the `qbank` command makes:

    import exporter
    result = exporter.check(["bank"])      # load, validate, recompute every answer key
    exporter.build(result, "dist")         # write every target (all or nothing)
"""

__version__ = "0.1.0"

from .pipeline import BuildResult, CheckResult, build, check  # noqa: E402

__all__ = ["BuildResult", "CheckResult", "build", "check", "__version__"]
