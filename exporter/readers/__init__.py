"""Readers: LMS files → the model the writers consume (the inverse direction of writers/).

One module per format, registered here; each exposes NAME, DESCRIPTION,
`detect(name, head) -> bool` (from the content: a `.txt` may be GIFT, a `.xml` Moodle or
QTI) and `read(path, data, figures_rel) -> Imported`. `exporter.importing` runs them.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

FORMATS = ("moodle", "canvas", "gift")
"""Detection order: the XML formats first (their roots are unambiguous), GIFT last."""


def reader(name: str) -> ModuleType:
    if name not in FORMATS:
        raise KeyError(name)
    return import_module(f"{__name__}.{name}")


def detect(name: str, head: bytes) -> ModuleType | None:
    for fmt in FORMATS:
        module = reader(fmt)
        if module.detect(name, head):
            return module
    return None
