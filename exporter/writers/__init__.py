"""One module per target; each exposes TARGET (its dist/ folder), SUFFIX and
`write(bank, report) -> bytes`. The build runs them in this order."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

TARGETS = ("canvas", "moodle", "gift")


def all_writers() -> list[ModuleType]:
    return [import_module(f"{__name__}.{target}") for target in TARGETS]
