"""Readers: LMS files → the model the writers consume (writers/, the other direction).

The contract, the readers' side of the writers' registry (exporter.writers):

- `name`: the format, as `qbank import --from` spells it;
- `detect(file_name, head) -> bool`: whether the first bytes are this format (from the
  content: a `.txt` may be GIFT, an `.xml` Moodle or QTI);
- `read(path, data, figures_rel) -> Imported`: the questions, figures and findings of one
  file (exporter.readers.common.Imported); never raises on bad content except `ReadError`,
  which refuses the whole file with a located finding.

A new format is one module here ending in `READER = Reader(...)`, and its name in BUILTIN.
`exporter.importing` runs them; readers/common.py holds what they share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from ..model import Question

BUILTIN = ("moodle", "canvas", "gift")
"""Detection order: the XML and zip formats first (their roots are unambiguous), GIFT last."""
FORMATS = BUILTIN


@dataclass(frozen=True)
class Reader:
    name: str
    description: str
    detect: Callable[[str, bytes], bool]
    read: Callable[[str, bytes, str], Any]


def reader(name: str) -> Reader:
    if name not in BUILTIN:
        raise KeyError(name)
    return import_module(f"{__name__}.{name}").READER


def detect(name: str, head: bytes) -> Reader | None:
    for fmt in BUILTIN:
        candidate = reader(fmt)
        if candidate.detect(name, head):
            return candidate
    return None


IMPORTED_PREFIX = "imported from "
"""How `check: manual` begins on a question `qbank import` made: still to be given a check."""


def is_unverified(q: Question) -> bool:
    """A question still carrying the import's placeholder check (counted by `qbank check`)."""
    return q.check is not None and (q.check.manual or "").startswith(IMPORTED_PREFIX)
