"""Writer options from the project's configuration and the command line.

A course repository says once how its exports look, where every build finds it:

    # qbank.toml                      # or, in pyproject.toml:
    [canvas]                          # [tool.qbank.canvas]
    math_style = "mathjax"            # math_style = "mathjax"

and `qbank build --option canvas.math_style=mathjax` overrides it for one run. `qbank.toml`
wins over `pyproject.toml` when both exist (as ruff.toml does over pyproject). Each table is
named after a registered writer and holds fields of its options dataclass; anything else is
an error naming the file, so a typo never silently builds with the default.
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .writers import Writer

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

Settings = Mapping[str, Mapping[str, object]]
"""Raw option values: target name → option name → value."""

CONFIG_FILE = "qbank.toml"


class ConfigError(Exception):
    """A configuration file or an --option that cannot be used (a usage error: exit 2)."""


def project_settings(folder: str | Path = ".") -> tuple[dict[str, dict[str, object]], str | None]:
    """The settings in `folder`'s qbank.toml, else its pyproject.toml's [tool.qbank], and the
    file they came from (None: no configuration)."""
    root = Path(folder)
    for name, table in ((CONFIG_FILE, ()), ("pyproject.toml", ("tool", "qbank"))):
        path = root / name
        if not path.is_file():
            continue
        try:
            data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be read: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        for key in table:
            data = data.get(key) if isinstance(data, dict) else None
        if data is None:
            continue
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            where = "[tool.qbank]" if table else "the file"
            raise ConfigError(f"{path}: {where} must hold one table per target, e.g. [{'tool.qbank.' if table else ''}canvas]")
        return {k: dict(v) for k, v in data.items()}, str(path)
    return {}, None


def parse_overrides(items: Sequence[str]) -> dict[str, dict[str, object]]:
    """`--option canvas.math_style=mathjax` (repeatable) as settings; values stay text and
    are converted by `resolve` to the option's type."""
    settings: dict[str, dict[str, object]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        target, dot, option = name.strip().partition(".")
        if not sep or not dot or not target or not option:
            raise ConfigError(f"--option {item}: write TARGET.OPTION=VALUE, e.g. canvas.math_style=mathjax")
        settings.setdefault(target, {})[option] = value.strip()
    return settings


def merge(*layers: Settings) -> dict[str, dict[str, object]]:
    """Later layers win, option by option."""
    merged: dict[str, dict[str, object]] = {}
    for layer in layers:
        for target, values in layer.items():
            merged.setdefault(target, {}).update(values)
    return merged


def _convert(value: object, hint: Any, where: str) -> object:
    """A TOML value (typed) or an --option value (text) as the option's declared type."""
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(map(repr, choices))}")
        return value
    if hint is bool:
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if isinstance(value, bool):
            return value
    elif hint in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected a number, not {value!r}")
        try:
            number = hint(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected {'an integer' if hint is int else 'a number'}, not {value!r}") from None
        if hint is int and isinstance(value, float) and value != number:
            raise ConfigError(f"{where}: expected an integer, not {value!r}")
        if number < 0:
            raise ConfigError(f"{where}: must not be negative")
        return number
    elif hint is str and isinstance(value, str):
        return value
    raise ConfigError(f"{where}: expected {getattr(hint, '__name__', hint)}, not {value!r}")


def resolve(writers: Sequence[Writer], settings: Settings, source: str | None = None) -> dict[str, object]:
    """Each writer's options object: its defaults, overridden by `settings`. Settings for a
    target no registered writer has, or an option a writer does not declare, are errors."""
    from .writers import registered

    known = {w.name: w for w in registered()} | {w.name: w for w in writers}
    prefix = f"{source}: " if source else ""
    for target in settings:
        if target not in known:
            raise ConfigError(f"{prefix}[{target}]: no such target (known: {', '.join(known)})")
    resolved: dict[str, object] = {}
    for writer in known.values():
        values = settings.get(writer.name, {})
        hints = typing.get_type_hints(writer.options)
        fields = {f.name for f in dataclasses.fields(writer.options)}
        kwargs = {}
        for option, value in values.items():
            where = f"{prefix}{writer.name}.{option}"
            if option not in fields:
                declared = ", ".join(sorted(fields)) or "none"
                raise ConfigError(f"{where}: {writer.name} has no such option (its options: {declared})")
            kwargs[option] = _convert(value, hints[option], where)
        if writer in writers:
            resolved[writer.name] = writer.options(**kwargs)
    return resolved
