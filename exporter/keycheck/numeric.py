"""Evaluation at points with mpmath: the cheap half of every decision.

A difference found at 40 digits that is still there at 80 is a proof that two values
differ (rounding noise would not repeat), and the point is shown to the author; agreement
is only a reason to try a symbolic proof (decide.py). Points are seeded and undefined
functions get a fixed seeded stand-in: same bank, same findings.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Callable, Iterator

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from .. import assume, numfuncs

# Numeric refutation. Values are computed at DPS digits; a difference larger than
# 10^-(DPS-SLACK) of the values' size is beyond what rounding in DPS-digit arithmetic can
# produce unless SLACK digits cancelled, and it only counts as *proof* when recomputing
# at 2·DPS digits gives the same difference (to 1%): rounding noise would not repeat.
DPS = 40
SLACK = 8


def _eps(dps: int) -> mpmath.mpf:
    return mpmath.mpf(10) ** (SLACK - dps)


POINTS = 4  # random points per equality with free symbols
ORDER_POINTS = 8  # random points for an inequality with free symbols
SEED = 20240229


class _Unevaluable(Exception):
    """The expression contains something we cannot evaluate numerically."""


class _BadPoint(Exception):
    """The expression is undefined at this point (division by zero, overflow, …)."""


_MP_UNARY = {
    sp.exp: mpmath.exp, sp.sin: mpmath.sin, sp.cos: mpmath.cos, sp.tan: mpmath.tan,
    sp.sinh: mpmath.sinh, sp.cosh: mpmath.cosh, sp.tanh: mpmath.tanh,
    sp.atanh: mpmath.atanh, sp.asinh: mpmath.asinh, sp.atan: mpmath.atan,
    sp.asin: mpmath.asin, sp.acos: mpmath.acos, sp.sign: mpmath.sign,
}  # fmt: skip
_TRIG = (sp.sin, sp.cos, sp.tan)


def _generic_params(name: str, nargs: int) -> tuple:
    """A fixed smooth stand-in for an undefined function f: a·sin(Σbᵢtᵢ + c) + Σdᵢtᵢ + e.

    If two expressions differ for this concrete f they are not equal for every f, so a
    numeric difference is still a proof; equal expressions agree for any f. The
    parameters depend only on the name (seeded), so runs are reproducible.
    """
    rnd = random.Random(f"qbank:{name}:{nargs}")
    q = lambda lo, hi: Fraction(rnd.randint(lo, hi), 997)  # noqa: E731
    return (
        q(500, 2000),
        [q(300, 1500) for _ in range(nargs)],
        q(0, 3000),
        [q(-1000, 1000) for _ in range(nargs)],
        q(-1000, 1000),
    )


def _mpf(x: Fraction) -> mpmath.mpf:
    return mpmath.mpf(x.numerator) / x.denominator


def _generic(name: str, args: list, orders: list[int]) -> mpmath.mpf:
    a, bs, c, ds, e = _generic_params(name, len(args))
    total = sum(orders)
    phase = sum(_mpf(b) * t for b, t in zip(bs, args)) + _mpf(c) + total * mpmath.pi / 2
    value = _mpf(a) * mpmath.sin(phase)
    for b, n in zip(bs, orders):
        value *= _mpf(b) ** n
    if total == 0:
        value += sum(_mpf(d) * t for d, t in zip(ds, args)) + _mpf(e)
    elif total == 1:
        value += _mpf(ds[orders.index(1)])
    return value


def _evaluate(expr: sp.Basic, env: dict) -> mpmath.mpc:
    """Evaluate at the current mpmath precision; `env` maps symbols to numbers."""
    memo: dict = {}

    def ev(e: sp.Basic):
        if e in memo:
            return memo[e]
        r = _ev(e)
        memo[e] = r
        return r

    def _ev(e: sp.Basic):
        if e.is_Symbol:
            if e not in env:
                raise _Unevaluable(str(e))
            return env[e]
        if e.is_Integer:
            return mpmath.mpf(int(e))
        if e.is_Rational:
            return mpmath.mpf(int(e.p)) / int(e.q)
        if e.is_Float:
            return e._to_mpmath(mpmath.mp.prec)
        if e is sp.pi:
            return +mpmath.pi
        if e is sp.E:
            return +mpmath.e
        if e is sp.I:
            return mpmath.mpc(0, 1)
        if e in (sp.zoo, sp.oo, -sp.oo, sp.nan):
            raise _BadPoint
        if isinstance(e, sp.Add):
            return mpmath.fsum(ev(a) for a in e.args)
        if isinstance(e, sp.Mul):
            out = mpmath.mpf(1)
            for a in e.args:
                out *= ev(a)
            return out
        if isinstance(e, sp.Pow):
            base, ex = ev(e.args[0]), ev(e.args[1])
            if base == 0 and mpmath.re(ex) <= 0:
                raise _BadPoint
            return mpmath.power(base, ex)
        func = type(e)
        if func in _MP_UNARY:
            x = ev(e.args[0])
            if func in _TRIG and abs(x) > 1e6:
                raise _Unevaluable("huge trigonometric argument")
            return _MP_UNARY[func](x)
        if isinstance(e, sp.log):
            x = ev(e.args[0])
            if x == 0:
                raise _BadPoint
            return mpmath.log(x) if len(e.args) == 1 else mpmath.log(x, ev(e.args[1]))
        if isinstance(e, sp.Abs):
            return abs(ev(e.args[0]))
        if isinstance(e, (sp.Min, sp.Max)):
            xs = [_real(ev(a)) for a in e.args]
            return min(xs) if isinstance(e, sp.Min) else max(xs)
        if isinstance(e, sp.Heaviside):
            x = _real(ev(e.args[0]))
            return mpmath.mpf(1) if x > 0 else mpmath.mpf(0) if x < 0 else mpmath.mpf(1) / 2
        if isinstance(e, AppliedUndef):
            return _generic(e.func.__name__, [ev(a) for a in e.args], [0] * len(e.args))
        if isinstance(e, sp.Derivative) and isinstance(e.expr, AppliedUndef):
            args = list(e.expr.args)
            if not all(a.is_Symbol for a in args) or len(set(args)) != len(args):
                raise _Unevaluable("derivative")
            orders = [0] * len(args)
            for var, count in e.variable_count:
                if var not in args:
                    raise _Unevaluable("derivative")
                orders[args.index(var)] += int(count)
            return _generic(e.expr.func.__name__, [ev(a) for a in args], orders)
        if numfuncs.handles(e):
            return _special(e, ev)
        if isinstance(e, sp.Subs):
            inner = dict(env)
            for var, point in zip(e.variables, e.point):
                inner[var] = ev(point)
            return _evaluate(e.expr, inner)
        if isinstance(e, sp.Integral):
            return _integral(e, env, ev)
        raise _Unevaluable(type(e).__name__)

    try:
        return ev(expr)
    except (ZeroDivisionError, OverflowError, ValueError):
        raise _BadPoint from None


def _special(e: sp.Basic, ev: Callable) -> mpmath.mpf:
    """Distributions, round, floor, factorial, …: exporter.numfuncs computes them."""
    try:
        return numfuncs.mp_value(e, [_real(ev(a)) for a in e.args])
    except numfuncs.Undecidable as why:
        raise _Unevaluable(f"{type(e).__name__} ({why})") from None


def _bound(b: sp.Expr, ev: Callable) -> mpmath.mpf:
    if b == sp.oo:
        return mpmath.inf
    if b == -sp.oo:
        return -mpmath.inf
    return _real(ev(b))


def _integral(e: sp.Integral, env: dict, ev: Callable) -> mpmath.mpf:
    """A definite integral sympy left unevaluated (∫₀¹ xˣ dx), by mpmath's tanh-sinh
    quadrature at the current precision. Its own error estimate must be far below what
    the comparison needs, or the value is not used (cannot decide)."""
    if len(e.limits) != 1 or len(e.limits[0]) != 3:
        raise _Unevaluable("an indefinite or multiple integral")
    var, low, high = e.limits[0]
    a, b = _bound(low, ev), _bound(high, ev)

    def f(t):  # noqa: ANN001, ANN202
        return _real(_evaluate(e.function, {**env, var: t}))

    value, error = mpmath.quad(f, [a, b], error=True)
    if not mpmath.isfinite(value) or error > _eps(mpmath.mp.dps) * max(1, abs(value)) / 1000:
        raise _Unevaluable("an integral (the quadrature did not converge)")
    return value


def numeric_value(e: sp.Expr) -> mpmath.mpf | None:
    """The real value of a constant expression at the current precision, or None."""
    try:
        return _real(_evaluate(e, {}))
    except (_Unevaluable, _BadPoint):
        return None


def _real(x) -> mpmath.mpf:
    """The real number x is, or _BadPoint if it is not real (beyond rounding)."""
    if isinstance(x, mpmath.mpc):
        if abs(x.imag) > _eps(mpmath.mp.dps) * (1 + abs(x)):
            raise _BadPoint
        return x.real
    return x


def _points(symbols: list[sp.Symbol], count: int) -> Iterator[dict]:
    """Seeded random real points, symbols in name order: the same every run."""
    rnd = random.Random(SEED)
    ordered = sorted(symbols, key=str)
    for _ in range(count):
        yield {s: assume.sample(s, rnd.choice((-1, 1)), Fraction(rnd.randint(150, 2900), 997)) for s in ordered}


def _at(point: dict) -> dict:
    return {s: _mpf(v) for s, v in point.items()}


def _finite(x) -> bool:
    return mpmath.isfinite(x.real) and (not isinstance(x, mpmath.mpc) or mpmath.isfinite(x.imag))


def _values_at(a: sp.Expr, b: sp.Expr, point: dict, dps: int) -> tuple:
    with mpmath.workdps(dps):
        env = _at(point)
        va, vb = _evaluate(a, env), _evaluate(b, env)
        if not (_finite(va) and _finite(vb)):
            raise _BadPoint
        return va, vb


def _free(*exprs: sp.Expr) -> list[sp.Symbol]:
    out: set = set()
    for e in exprs:
        out |= e.free_symbols
    return sorted(out, key=str)


def _fmt_point(point: dict) -> str:
    return ", ".join(f"{s} = {float(v):.4g}" for s, v in point.items())


def _fmt_num(x, digits: int = 6) -> str:
    if isinstance(x, mpmath.mpc) and abs(x.imag) > _eps(DPS) * (1 + abs(x)):
        return f"{mpmath.nstr(x.real, digits)}{'+' if x.imag >= 0 else '-'}{mpmath.nstr(abs(x.imag), digits)}i"
    return mpmath.nstr(_real_part(x), digits)


def _fmt_pair(va, vb) -> str:
    """Two values with enough digits that their difference shows."""
    gap = abs(va - vb)
    scale = max(abs(va), abs(vb))
    digits = 6
    if gap and scale:
        digits = int(min(max(6, 3 - mpmath.log10(gap / scale)), 40))
    return f"{_fmt_num(va, digits)} vs {_fmt_num(vb, digits)}"


def _real_part(x):
    return x.real if isinstance(x, mpmath.mpc) else x


def _gap(va, vb) -> tuple:
    return abs(va - vb), max(mpmath.mpf(1), abs(va), abs(vb))


def _numeric_equal(a: sp.Expr, b: sp.Expr) -> tuple[str, str]:
    """('differ', witness) | ('agree', how) | ('unknown', why), by evaluation at points.

    'differ' is a proof (see DPS); 'agree' is only a reason to try a symbolic proof.
    """
    free = _free(a, b)
    wanted = POINTS if free else 1
    agreed = close = 0
    try:
        for point in _points(free, wanted * 4 if free else 1):
            try:
                va, vb = _values_at(a, b, point, DPS)
            except _BadPoint:
                continue
            gap, scale = _gap(va, vb)
            if gap <= _eps(DPS) * scale:
                agreed += 1
                if agreed >= wanted:
                    break
                continue
            try:  # the same difference at twice the precision: not rounding error
                va2, vb2 = _values_at(a, b, point, 2 * DPS)
            except _BadPoint:
                continue
            gap2, scale2 = _gap(va2, vb2)
            if gap2 > _eps(2 * DPS) * scale2 and abs(gap2 - gap) <= gap / 100:
                where = f" at {_fmt_point(point)}" if point else ""
                return "differ", f"they differ{where}: {_fmt_pair(va2, vb2)}"
            close += 1
    except _Unevaluable as e:
        return "unknown", f"cannot evaluate {e} numerically"
    if agreed:
        return "agree", f"at {agreed} point(s)"
    if close:
        return "unknown", "they are too close to tell apart numerically"
    return "unknown", "no point was found where both sides are defined"
