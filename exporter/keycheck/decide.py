"""Three-valued decisions on equality, order and claims: true, false or "cannot decide".

Cheapest first (structure, exact rationals, numeric refutation, then expand/cancel/simplify
as proofs); what neither refutes nor proves is "cannot decide" (K104), never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from ..expr import BoolOp, Compare, Not, entries, lshape
from .numeric import (
    DPS,
    ORDER_POINTS,
    _at,
    _BadPoint,
    _eps,
    _evaluate,
    _fmt_point,
    _free,
    _numeric_equal,
    _points,
    _real,
    _Unevaluable,
)


@dataclass(frozen=True)
class Verdict:
    """A three-valued answer: True, False, or None (cannot decide) with an explanation."""

    value: bool | None
    why: str = ""


_REWRITE_FUNCS = (sp.tanh, sp.sinh, sp.cosh, sp.sin, sp.cos, sp.tan)


def _symbolic_zero(d: sp.Expr) -> bool:
    """Prove d == 0 by exact transformations, cheapest first; False means 'not proved'."""
    if d == 0:
        return True
    attempts: list[Callable[[sp.Expr], sp.Expr]] = [sp.expand, lambda e: sp.cancel(sp.together(e))]
    if d.has(*_REWRITE_FUNCS):
        attempts.append(lambda e: sp.cancel(sp.together(sp.expand(e.rewrite(sp.exp)))))
    attempts.append(sp.simplify)
    for attempt in attempts:
        try:
            if attempt(d) == 0:
                return True
        except (sp.PolynomialError, sp.polys.polyerrors.PolificationFailed, TypeError, ValueError):
            continue
    if not d.free_symbols:
        try:
            return bool(d.equals(0))
        except (TypeError, ValueError):  # pragma: no cover
            return False
    return False


def decide_equal_scalar(a: sp.Expr, b: sp.Expr) -> Verdict:
    if a == b:
        return Verdict(True)
    d = sp.expand(a - b) if (a.is_number and b.is_number) else a - b
    if d == 0:
        return Verdict(True)
    if d.is_Rational:
        return Verdict(False, "")
    numeric, detail = _numeric_equal(a, b)
    if numeric == "differ":
        return Verdict(False, detail)
    if _symbolic_zero(d):
        return Verdict(True)
    if numeric == "agree":
        return Verdict(None, f"they agree numerically {detail} but could not be proved equal")
    return Verdict(None, f"{detail}, and they could not be proved equal")


_ONE_ENTRY = {(), (1,), (1, 1)}


def decide_equal(a: object, b: object) -> Verdict:
    """Equality of two values: shapes first, then every entry."""
    sa, sb = lshape(a), lshape(b)
    if sa != sb and {sa, sb} <= _ONE_ENTRY:  # uᵀAv is a 1×1 matrix: the number it holds
        a, b, sa, sb = entries(a)[0], entries(b)[0], (), ()
    if sa != sb:
        return Verdict(False, f"shapes differ: {_fmt_shape(sa)} vs {_fmt_shape(sb)}")
    undecided = None
    for i, (x, y) in enumerate(zip(entries(a), entries(b))):
        v = decide_equal_scalar(x, y)
        if v.value is False:
            if not sa:
                return v
            return Verdict(False, f"entry {i + 1} differs" + (f": {v.why}" if v.why else ""))
        if v.value is None and undecided is None:
            undecided = v
    return undecided or Verdict(True)


def _fmt_shape(s: tuple) -> str:
    return "a scalar" if not s else "(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")"


def _sign(d: sp.Expr, env_point: dict) -> int | None:
    """The sign of real d at a point, if certain (stable at DPS and 2·DPS); else None."""
    signs = []
    for dps in (DPS, 2 * DPS):
        with mpmath.workdps(dps):
            x = _real(_evaluate(d, _at(env_point)))
        if abs(x) <= _eps(dps):
            return 0 if dps == DPS else None
        signs.append((1 if x > 0 else -1, x))
    (s1, x1), (s2, x2) = signs
    return s1 if s1 == s2 and abs(x2 - x1) <= abs(x1) / 100 else None


def decide_order(op: str, a: sp.Expr, b: sp.Expr) -> Verdict:
    """a < b (or <=, >, >=), at the given point or for every value of free symbols."""
    d, strict = {"<": (b - a, True), "<=": (b - a, False), ">": (a - b, True), ">=": (a - b, False)}[op]
    holds = (lambda x: x > 0) if strict else (lambda x: x >= 0)
    if d.is_Rational:
        return Verdict(bool(holds(d)))
    free = _free(d)
    unknown = sorted({str(f.func) for f in d.atoms(AppliedUndef)})
    if unknown:
        # A stand-in function could refute the claim, but truth "for every f" cannot be
        # sampled; and a claim about an unknown function is not what the author meant.
        proved = d.is_positive if strict else d.is_nonnegative
        if proved:
            return Verdict(True)
        return Verdict(None, f"it depends on the function(s) {', '.join(unknown)}, whose values are not given")
    if not free:
        try:
            sign = _sign(d, {})
        except _BadPoint:
            return Verdict(None, "a side is not a real number")
        except _Unevaluable as e:
            return Verdict(None, f"cannot evaluate {e} numerically")
        if sign in (1, -1):
            return Verdict(bool(holds(sign)))
        if decide_equal_scalar(a, b).value is True:
            return Verdict(not strict)
        return Verdict(None, "the two sides are too close to tell apart")
    # free symbols: the claim must hold for every value
    checked = 0
    try:
        for point in _points(free, ORDER_POINTS * 3):
            try:
                sign = _sign(d, point)
            except _BadPoint:
                continue
            checked += 1
            if sign is not None and sign != 0 and not holds(sign):
                return Verdict(False, f"it fails at {_fmt_point(point)}")
            if checked >= ORDER_POINTS:
                break
    except _Unevaluable as e:
        return Verdict(None, f"cannot evaluate {e} numerically")
    proved = d.is_positive if strict else d.is_nonnegative
    if proved:
        return Verdict(True)
    return Verdict(None, f"it holds at {checked} sample point(s) but could not be proved for every value of {', '.join(map(str, free))}")


def decide_claim(claim: object) -> Verdict:
    if isinstance(claim, Compare):
        if claim.op in ("==", "!="):
            v = decide_equal(claim.left, claim.right)
            if claim.op == "!=" and v.value is not None:
                return Verdict(not v.value, v.why)
            return v
        return decide_order(claim.op, claim.left, claim.right)
    if isinstance(claim, Not):
        v = decide_claim(claim.item)
        return Verdict(None if v.value is None else not v.value, v.why)
    if isinstance(claim, BoolOp):
        verdicts = [decide_claim(i) for i in claim.items]
        decisive = claim.op == "or"  # `or` is decided by a True, `and` by a False
        for v in verdicts:
            if v.value is decisive:
                return v
        for v in verdicts:
            if v.value is None:
                return v
        return Verdict(not decisive)
    raise TypeError(claim)  # pragma: no cover
