"""Writers: the model → one file per bank (and per quiz) for one target.

The contract every writer keeps (tests/test_writers.py runs it over each registered one):

- `name`: the target's name, as `qbank build --targets` and `[tool.qbank.<name>]` spell it;
  also its folder under the output folder (`folder` overrides it);
- `suffix`: the file suffix after the bank's name (`.zip`, `.xml`, `.gift.txt`, …);
- `options`: a dataclass whose fields are the options it takes, with their defaults; values
  come from `qbank.toml` / `[tool.qbank]` and `--option NAME.FIELD=VALUE` (exporter.config);
- `write(bank, options, report) -> bytes`: a pure function of its arguments — same bank and
  options, same bytes — that never touches the disk and reports every problem, located in
  the bank, to `report` instead of raising.
- `default`: built by `qbank build` without `--targets` (a preview site, say, is not).

A new target is one module in this folder with `WRITER = Writer(...)` at its end, and its
name in `BUILTIN` below; another package can `register` its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from ..diagnostics import Report
from ..model import Bank

BUILTIN = ("canvas", "moodle", "gift", "preview")
"""The modules of this folder that hold a WRITER, in build order."""


@dataclass(frozen=True)
class NoOptions:
    """The options of a writer that takes none."""


@dataclass(frozen=True)
class Writer:
    name: str
    suffix: str
    write: Callable[[Bank, Any, Report], bytes]
    options: type = NoOptions
    description: str = ""
    folder: str = ""
    default: bool = True

    @property
    def target(self) -> str:
        """Its folder in the output folder."""
        return self.folder or self.name

    def option_fields(self) -> tuple[dataclasses.Field[Any], ...]:
        return dataclasses.fields(self.options)


_REGISTRY: dict[str, Writer] = {}
_LOADED = False


def register(writer: Writer) -> Writer:
    """Add a writer (a module's `WRITER = register(Writer(...))`, or another package's)."""
    if not dataclasses.is_dataclass(writer.options):
        raise TypeError(f"writer {writer.name}: options must be a dataclass")
    known = _REGISTRY.get(writer.name)
    if known is not None and known is not writer:
        raise ValueError(f"two writers named {writer.name!r}")
    _REGISTRY[writer.name] = writer
    return writer


def _load() -> None:
    global _LOADED
    if not _LOADED:
        for name in BUILTIN:
            register(import_module(f"{__name__}.{name}").WRITER)
        _LOADED = True


def registered() -> list[Writer]:
    """Every registered writer: the built-in ones in build order, then any added."""
    _load()  # modules register on import, in whatever order they were imported
    builtin = [_REGISTRY[name] for name in BUILTIN]
    return builtin + [w for w in _REGISTRY.values() if w.name not in BUILTIN]


def names() -> list[str]:
    return [w.name for w in registered()]


def get(name: str) -> Writer:
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown target {name!r} (known: {', '.join(_REGISTRY)})") from None


def selected(targets: Sequence[str] | None = None) -> list[Writer]:
    """The writers of these target names in build order; by default those built by default.
    Raises KeyError for a name no writer has."""
    if targets is None:
        return [w for w in registered() if w.default]
    wanted = {get(t).name for t in targets}
    return [w for w in registered() if w.name in wanted]
