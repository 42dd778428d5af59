"""Assumptions on check symbols (`symbols: {x: positive, n: integer}`) and the hint that names
the assumption a failed equality lacks.

Symbols are real and range over all reals unless declared otherwise, so `log(x**2)` and
`2*log(x)` are different (they differ for x < 0), which is right and unhelpful: what the
author meant was x > 0. Two things follow from a declared assumption:

- sympy knows it (`Symbol('x', positive=True)`), so the symbolic proof steps use it
  (`expand(log(x**2))` is `2*log(x)` for a positive x);
- the numeric steps sample only points that satisfy it (exporter.keys draws its seeded
  points through `sample` below), so a "difference" at a point the author excluded is
  never reported.

When a key is refuted, `hint` tries the few assumptions that commonly make two sides equal
(each symbol positive, all positive, each an integer) and says which one would. It runs
only when a finding is about to be reported, never on the clean path, so it costs nothing
on a bank that checks clean.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

import sympy as sp

ASSUMPTIONS: dict[str, dict[str, bool]] = {
    "real": {},
    "positive": {"positive": True},
    "negative": {"negative": True},
    "nonnegative": {"nonnegative": True},
    "nonpositive": {"nonpositive": True},
    "nonzero": {"nonzero": True},
    "integer": {"integer": True},
}
"""The words a declaration may use, and the sympy assumptions each one sets (all symbols are
real besides)."""

MAX_HINT_SYMBOLS = 6  # symbols tried one by one when looking for the missing assumption


def flags(words: tuple[str, ...]) -> dict[str, bool]:
    out: dict[str, bool] = {"real": True}
    for w in words:
        out.update(ASSUMPTIONS[w])
    return out


def sample(sym: sp.Symbol, sign: int, magnitude: Fraction) -> Fraction:
    """A sample value for `sym` from a random sign and magnitude in [0.15, 2.9], moved into
    the set its assumptions allow (the same draws as for an unassumed symbol, so adding an
    assumption to one symbol does not move the points of the others)."""
    if sym.is_nonnegative or sym.is_positive:
        sign = 1
    elif sym.is_nonpositive or sym.is_negative:
        sign = -1
    if sym.is_integer:
        whole = int(magnitude * 3) + 1  # 1 … 9
        return Fraction(sign * whole)
    return sign * magnitude


def _with(expr: sp.Basic, mapping: dict) -> sp.Basic:
    return expr.xreplace(mapping) if isinstance(expr, sp.Basic) else expr


def hint(a: object, b: object, decide: Callable[[object, object], object]) -> str:
    """`; they would be equal if x > 0 (declare `x: positive` under `symbols:`)`, or "".

    `decide(a, b)` is the equality decision (exporter.keys.decide_equal); an assumption is
    named only when it makes it *prove* the two sides equal.
    """
    from .expr import entries

    free: set = set()
    for e in entries(a) + entries(b):
        if isinstance(e, sp.Basic):
            free |= e.free_symbols
    plain = sorted((s for s in free if isinstance(s, sp.Symbol) and not _assumed(s)), key=str)
    if not plain:
        return ""
    tries: list[tuple[str, str, dict]] = []
    for s in plain[:MAX_HINT_SYMBOLS]:
        tries.append((f"{s} > 0", f"`{s}: positive`", {s: sp.Symbol(s.name, positive=True)}))
    if len(plain) > 1:
        names = ", ".join(map(str, plain))
        decl = ", ".join(f"{s}: positive" for s in plain)
        tries.append((f"{names} > 0", f"`{{{decl}}}`", {s: sp.Symbol(s.name, positive=True) for s in plain}))
    for s in plain[:MAX_HINT_SYMBOLS]:
        tries.append((f"{s} is a whole number", f"`{s}: integer`", {s: sp.Symbol(s.name, integer=True)}))
    from .expr import map_value

    for said, declare, mapping in tries:
        verdict = decide(map_value(a, lambda e: _with(e, mapping)), map_value(b, lambda e: _with(e, mapping)))
        if getattr(verdict, "value", None) is True:
            return f"; they would be equal if {said} (declare {declare} under `symbols:`)"
    return ""


def _assumed(s: sp.Symbol) -> bool:
    return bool(s.is_positive or s.is_negative or s.is_nonnegative or s.is_nonpositive or s.is_integer or s.is_nonzero)


__all__ = ["ASSUMPTIONS", "flags", "hint", "sample"]
