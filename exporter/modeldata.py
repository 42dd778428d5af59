"""The model as plain JSON values (lists, strings, numbers) and back.

The caches keep loaded banks and findings between runs. Pickle would rebuild them fastest,
but a pickle names the classes it builds and sets any attribute it likes: a forged cache
entry could switch a check off process-wide without running a line of code. Plain values
cannot: the data never names a type. Each dataclass is a list of its field values in
declaration order, and what class a nested value becomes is decided by the field's type
hint — so a new model field or class is covered without touching this module, and a type
it cannot store fails loudly (`codec` raises TypeError) instead of being stored wrongly.

Locations are most of the objects in a model, so a `Loc` is stored as `[line, col]`
relative to a base line, with its path only when it is not the path the caller passes:
that keeps entries small, and `question_key` (exporter.cache) uses the same encoding with
the question's own line as base, so a question that only moved encodes the same.

Decoding is on the warm path of every run (5,000 questions are ~120,000 objects), so it
checks the shape of what it rebuilds (lists of the right length where a dataclass or a
location is stored, Literal values) but not the type of every string and number: the caches only decode
entries that carry their own authentication (exporter.cache), i.e. entries this code wrote.
Objects are made without calling the frozen dataclasses' `__init__` (one `object.__setattr__`
per field), the way pickle and `copy` make them: 4–5 times faster. A class with a
`__post_init__` (Diagnostic fills in its severity) goes through `__init__`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import lru_cache
from typing import Any, Callable

from .model import Loc

Encode = Callable[[Any, str, int], Any]
Decode = Callable[[Any, str, int], Any]
_PRIMITIVE = (str, bool, int, float, type(None))
_new = object.__new__


def encode(cls: type, value: Any, path: str, base: int = 0) -> Any:
    """`value` (an instance of `cls`) as plain JSON values; Locs relative to `path`/`base`."""
    return codec(cls)[0](value, path, base)


def decode(cls: type, data: Any, path: str, base: int = 0) -> Any:
    """The `cls` instance `data` encodes; ValueError if `data` is not shaped as `encode` makes it."""
    try:
        return codec(cls)[1](data, path, base)
    except (TypeError, IndexError, AttributeError) as exc:
        raise ValueError(f"not an encoded {cls.__name__}: {exc}") from None


def _is_primitive(tp: Any) -> bool:
    """Stored as itself: str, numbers, bool, None, a Literal of strings, a union of those."""
    if tp in _PRIMITIVE:
        return True
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return all(type(a) in _PRIMITIVE for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return all(_is_primitive(a) for a in typing.get_args(tp))
    return False


@lru_cache(maxsize=None)
def codec(tp: Any) -> tuple[Encode, Decode]:
    """(encoder, decoder) for a type as written in the model's type hints."""
    if tp is Loc:
        return _enc_loc, _dec_loc
    if typing.get_origin(tp) is typing.Literal:  # few, and cheap to check: a severity, a type
        allowed = frozenset(typing.get_args(tp))

        def dec_literal(v: Any, p: str, b: int) -> Any:
            if v not in allowed:
                raise ValueError(f"{v!r} is not one of {sorted(map(repr, allowed))}")
            return v

        return _same, dec_literal
    if _is_primitive(tp):
        return _same, _same
    if dataclasses.is_dataclass(tp):
        return _dataclass_codec(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        if _is_primitive(args[0]):
            return (lambda v, p, b: list(v)), (lambda v, p, b: tuple(_list(v)))
        enc_item, dec_item = codec(args[0])
        return (lambda v, p, b: [enc_item(x, p, b) for x in v]), (lambda v, p, b: tuple([dec_item(x, p, b) for x in _list(v)]))
    if origin is tuple:
        parts = [codec(a) for a in args]

        def enc_tuple(v: Any, p: str, b: int) -> Any:
            return [e(x, p, b) for (e, _), x in zip(parts, v)]

        def dec_tuple(v: Any, p: str, b: int) -> Any:
            if len(_list(v)) != len(parts):
                raise ValueError("a tuple of the wrong length")
            return tuple([d(x, p, b) for (_, d), x in zip(parts, v)])

        return enc_tuple, dec_tuple
    if origin in (typing.Union, types.UnionType):
        others = [a for a in args if a is not type(None)]
        if len(others) == 1:  # X | None
            enc_x, dec_x = codec(others[0])
            return (lambda v, p, b: None if v is None else enc_x(v, p, b)), (lambda v, p, b: None if v is None else dec_x(v, p, b))
    raise TypeError(f"exporter.modeldata cannot store a value of type {tp!r}: teach codec() how")


def _same(v: Any, p: str, b: int) -> Any:
    return v


def _list(v: Any) -> list:
    if type(v) is not list:
        raise ValueError("a list is stored here")
    return v


def _enc_loc(loc: Loc, p: str, b: int) -> list:
    if loc.path == p:
        return [loc.line - b, loc.col]
    return [loc.line - b, loc.col, loc.path]


def _dec_loc(v: Any, p: str, b: int) -> Loc:
    if type(v) is not list:
        raise ValueError("malformed location")
    o = _new(Loc)
    if len(v) == 2:
        o.__dict__.update(path=p, line=v[0] + b, col=v[1])
    elif len(v) == 3 and type(v[2]) is str:
        o.__dict__.update(path=v[2], line=v[0] + b, col=v[1])
    else:
        raise ValueError("malformed location")
    return o


def _dataclass_codec(cls: Any) -> tuple[Encode, Decode]:
    fields = dataclasses.fields(cls)
    if any(not f.init for f in fields):
        raise TypeError(f"exporter.modeldata cannot rebuild {cls.__name__}: a field is not an __init__ argument")
    # __post_init__ (or slots): only __init__ makes a complete object
    needs_init = hasattr(cls, "__post_init__") or hasattr(cls, "__slots__")
    hints = typing.get_type_hints(cls)
    names = tuple(f.name for f in fields)
    codecs = [codec(hints[n]) for n in names]
    # fields stored as themselves are copied by one zip; only the others are converted
    converted = [(name, i, d) for i, (name, (_, d)) in enumerate(zip(names, codecs)) if d is not _same]
    encoders = [(name, e) for name, (e, _) in zip(names, codecs)]
    n = len(names)

    def enc(v: Any, p: str, b: int) -> list:
        return [e(getattr(v, name), p, b) for name, e in encoders]

    def dec(v: Any, p: str, b: int) -> Any:
        if type(v) is not list or len(v) != n:
            raise ValueError(f"malformed {cls.__name__}")
        state = dict(zip(names, v))
        for name, i, d in converted:
            state[name] = d(v[i], p, b)
        if needs_init:
            return cls(**state)
        o = _new(cls)
        o.__dict__.update(state)
        return o

    return enc, dec
