"""Numeric functions of the check language: distributions, rounding, and their mpmath values.

An introductory statistics question asks for `qt(0.975, 182)` or a p-value, and its options
are printed to three decimals. sympy has no closed form for a t quantile, and `sympy.stats`
builds a symbolic integral that it then evaluates slowly and not always to full precision.
So each distribution function here is a sympy `Function` that stays *unevaluated* in the
expression (equality and substitution treat it like any other function) and knows how to
compute itself with mpmath at whatever precision is asked: the key checker evaluates at 40
and again at 80 digits (exporter.keys), so a value is trusted only when both agree. mpmath
is a dependency of sympy already: nothing new is installed.

`round(x, n)` is what lets a key printed as "1.973" be compared *exactly*: it becomes a
rational number as soon as x is a number, decided from x computed to 60 digits, and refuses
(stays unevaluated, so the check says "cannot decide") in the one case rounding cannot be
decided numerically: x within 10^-40 of a rounding tie that is not exactly a tie.

Every function checks its domain (a probability in (0, 1), positive degrees of freedom);
outside it the value is `nan`, which the checker reports as undefined.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Callable

import mpmath
import sympy as sp


class Undecidable(Exception):
    """The value cannot be computed reliably here (the checker says "cannot decide")."""


MAX_ROUND_DECIMALS = 15
MAX_ITERATIONS = 400


# ----------------------------------------------------------------------------- mpmath side


def _pt(x, df):
    if x == 0:
        return mpmath.mpf(1) / 2
    tail = mpmath.betainc(df / 2, mpmath.mpf(1) / 2, 0, df / (df + x * x), regularized=True) / 2
    return 1 - tail if x > 0 else tail


def _dt(x, df):
    c = mpmath.gamma((df + 1) / 2) / (mpmath.sqrt(df * mpmath.pi) * mpmath.gamma(df / 2))
    return c * (1 + x * x / df) ** (-(df + 1) / 2)


def _pchisq(x, k):
    return mpmath.gammainc(k / 2, 0, x / 2, regularized=True) if x > 0 else mpmath.mpf(0)


def _dchisq(x, k):
    if x <= 0:
        return mpmath.mpf(0)
    return mpmath.exp((k / 2 - 1) * mpmath.log(x) - x / 2 - (k / 2) * mpmath.log(2) - mpmath.loggamma(k / 2))


def _pf(x, d1, d2):
    return mpmath.betainc(d1 / 2, d2 / 2, 0, d1 * x / (d1 * x + d2), regularized=True) if x > 0 else mpmath.mpf(0)


def _df(x, d1, d2):
    if x <= 0:
        return mpmath.mpf(0)
    logv = (d1 / 2) * mpmath.log(d1 * x) + (d2 / 2) * mpmath.log(d2) - ((d1 + d2) / 2) * mpmath.log(d1 * x + d2)
    return mpmath.exp(logv) / (x * mpmath.beta(d1 / 2, d2 / 2))


def _invert(cdf: Callable, pdf: Callable, p, lo, hi):
    """x with cdf(x) = p on [lo, hi): Newton inside a shrinking bracket, bisection otherwise.

    `hi` is doubled until cdf(hi) > p. The loop stops when the bracket or the Newton step is
    below the working precision, so the result is as exact as mpmath's cdf at this precision.
    """
    for _ in range(MAX_ITERATIONS):
        if cdf(hi) > p:
            break
        lo, hi = hi, hi * 2
    else:
        raise Undecidable("quantile out of range")
    x = (lo + hi) / 2
    eps = mpmath.mpf(2) ** (-mpmath.mp.prec + 4)
    for _ in range(MAX_ITERATIONS):
        fx = cdf(x) - p
        if fx == 0:
            return x
        if fx > 0:
            hi = x
        else:
            lo = x
        d = pdf(x)
        step = fx / d if d else None
        nxt = x - step if step is not None else None
        if nxt is None or not (lo < nxt < hi):
            nxt = (lo + hi) / 2
        if abs(nxt - x) <= eps * (1 + abs(x)) or hi - lo <= eps * (1 + abs(x)):
            return nxt
        x = nxt
    raise Undecidable("quantile did not converge")  # pragma: no cover


def _qt(p, df):
    if p == mpmath.mpf(1) / 2:
        return mpmath.mpf(0)
    if p < mpmath.mpf(1) / 2:
        return -_qt(1 - p, df)
    return _invert(lambda x: _pt(x, df), lambda x: _dt(x, df), p, mpmath.mpf(0), mpmath.mpf(2))


def _qchisq(p, k):
    return _invert(lambda x: _pchisq(x, k), lambda x: _dchisq(x, k), p, mpmath.mpf(0), mpmath.mpf(k) + 1)


def _qf(p, d1, d2):
    return _invert(lambda x: _pf(x, d1, d2), lambda x: _df(x, d1, d2), p, mpmath.mpf(0), mpmath.mpf(2))


def _qnorm(p, mu, sd):
    return mu + sd * mpmath.sqrt(2) * mpmath.erfinv(2 * p - 1)


# ----------------------------------------------------------------------------- sympy side


def _is_num(a: sp.Basic) -> bool:
    return a.is_number and a.is_extended_real is not False


class Distribution(sp.Function):
    """A distribution function: unevaluated in sympy, computed by `mp` at any precision.

    Subclasses say which arguments must be a probability, positive, or whole (`_checks`),
    so that a number outside the domain makes the value `nan` as soon as it is known.
    """

    _checks: tuple[str, ...] = ()  # per argument: "p" (0 < a < 1), "pos" (a > 0), "any"
    _defaults: tuple = ()  # values of trailing optional arguments (for `mp`)
    mp_func: Callable = staticmethod(lambda *a: None)

    @classmethod
    def eval(cls, *args):
        for kind, a in zip(cls._checks, args):
            if not _is_num(a):
                continue
            if a.is_extended_real is False or a.has(sp.nan, sp.zoo):
                return sp.nan
            if kind == "p" and (a <= 0) == sp.true or kind == "p" and (a >= 1) == sp.true:
                return sp.nan
            if kind == "pos" and (a <= 0) == sp.true:
                return sp.nan
        return None

    @classmethod
    def mp(cls, *args):
        """The value at mpmath numbers (the current precision); raises ValueError outside
        the domain (the checker treats that as an undefined point)."""
        full = list(args) + [mpmath.mpf(d) for d in cls._defaults[len(args) - (len(cls._checks) - len(cls._defaults)) :]]
        for kind, a in zip(cls._checks, full):
            if kind == "p" and not (0 < a < 1):
                raise ValueError("not a probability")
            if kind == "pos" and not a > 0:
                raise ValueError("not positive")
        return cls.mp_func(*full)

    def _eval_evalf(self, prec):
        if not all(a.is_number for a in self.args):
            return None
        with mpmath.workprec(prec + 20):
            try:
                values = [mpmath.mpf(sp.N(a, mpmath.mp.dps)) for a in self.args]
                return sp.Float(self.mp(*values), precision=prec)
            except (ValueError, TypeError, Undecidable):
                return None

    def _eval_is_extended_real(self):
        return True if all(a.is_extended_real for a in self.args) else None


def _dist(name: str, checks: tuple[str, ...], mp_func: Callable, nargs: tuple[int, ...], defaults: tuple = ()) -> type:
    return type(name, (Distribution,), {"_checks": checks, "mp_func": staticmethod(mp_func), "nargs": nargs, "_defaults": defaults})


pnorm = _dist("pnorm", ("any", "any", "pos"), lambda x, mu, sd: mpmath.ncdf(x, mu, sd), (1, 3), (0, 1))
qnorm = _dist("qnorm", ("p", "any", "pos"), _qnorm, (1, 3), (0, 1))
dnorm = _dist("dnorm", ("any", "any", "pos"), lambda x, mu, sd: mpmath.npdf(x, mu, sd), (1, 3), (0, 1))
pt = _dist("pt", ("any", "pos"), _pt, (2,))
qt = _dist("qt", ("p", "pos"), _qt, (2,))
pchisq = _dist("pchisq", ("any", "pos"), _pchisq, (2,))
qchisq = _dist("qchisq", ("p", "pos"), _qchisq, (2,))
pf = _dist("pf", ("any", "pos", "pos"), _pf, (3,))
qf = _dist("qf", ("p", "pos", "pos"), _qf, (3,))

DISTRIBUTIONS: dict[str, type] = {c.__name__: c for c in (pnorm, qnorm, dnorm, pt, qt, pchisq, qchisq, pf, qf)}


def exact_round(value: Fraction, decimals: int) -> Fraction:
    """Round half away from zero (as printed tables and calculators do) at `decimals`."""
    with localcontext() as ctx:
        ctx.prec = 400
        d = Decimal(value.numerator) / Decimal(value.denominator)
        return Fraction(d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def round_mp(x, decimals: int):
    """Round an mpmath number; Undecidable when it is too close to a tie to tell."""
    scaled = x * mpmath.mpf(10) ** decimals
    frac = abs(scaled) - mpmath.floor(abs(scaled))
    if abs(frac - mpmath.mpf(1) / 2) <= mpmath.mpf(10) ** (8 - mpmath.mp.dps) * (1 + abs(scaled)):
        raise Undecidable("too close to a rounding tie")
    n = mpmath.floor(abs(scaled) + mpmath.mpf(1) / 2)
    return (n if x >= 0 else -n) / mpmath.mpf(10) ** decimals


class Round(sp.Function):
    """round(x, n): x rounded to n decimals, exact (a Rational) once x is a number."""

    nargs = (2,)

    @classmethod
    def eval(cls, x, n):
        if not (n.is_Integer and 0 <= n <= MAX_ROUND_DECIMALS):
            return None
        if x.is_Rational:
            r = exact_round(Fraction(int(x.p), int(x.q)), int(n))
            return sp.Rational(r.numerator, r.denominator)
        if x.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            return sp.nan
        if not x.is_number or x.free_symbols:
            return None
        try:
            with mpmath.workdps(60):
                v = x.evalf(60)
                if v.is_Float:
                    value = mpmath.mpf(v)
                else:  # sympy cannot (an unevaluated integral): the key checker's evaluator
                    from .keycheck.numeric import numeric_value

                    value = numeric_value(x)
                    if value is None:
                        return None  # not real, or not evaluable: stays unevaluated
                r = round_mp(value, int(n))
                text = mpmath.nstr(r, 80, strip_zeros=False, min_fixed=-mpmath.inf, max_fixed=mpmath.inf)
        except Undecidable:
            return None
        except (TypeError, ValueError):
            return None
        exact = exact_round(Fraction(Decimal(text)), int(n))
        return sp.Rational(exact.numerator, exact.denominator)

    @classmethod
    def mp(cls, x, n):
        return round_mp(x, int(n))


# sympy's own functions the check language offers, with their mpmath values at a point
MP_BUILTINS: dict[type, Callable] = {
    sp.floor: mpmath.floor,
    sp.ceiling: mpmath.ceil,
    sp.factorial: mpmath.factorial,
    sp.binomial: mpmath.binomial,
    sp.acos: mpmath.acos,
    sp.asin: mpmath.asin,
    sp.atan: mpmath.atan,
    # what integrate/limit/Sum return for textbook integrals (∫₀¹ e^(−x²) dx = √π·erf(1)/2)
    sp.erf: mpmath.erf,
    sp.erfc: mpmath.erfc,
    sp.erfi: mpmath.erfi,
    sp.Si: mpmath.si,
    sp.Ci: mpmath.ci,
    sp.Ei: mpmath.ei,
    sp.gamma: mpmath.gamma,
    sp.loggamma: mpmath.loggamma,
    sp.zeta: mpmath.zeta,
}


def handles(e: sp.Basic) -> bool:
    return isinstance(e, (Distribution, Round)) or type(e) in MP_BUILTINS


def mp_value(e: sp.Basic, args: list) -> object:
    """The mpmath value of one of this module's functions (or a builtin above), or
    NotImplemented when `e` is none of them. Raises ValueError outside the domain."""
    func = type(e)
    if isinstance(e, Distribution):
        return func.mp(*args)
    if isinstance(e, Round):
        return Round.mp(*args)
    if func in MP_BUILTINS:
        return MP_BUILTINS[func](*args)
    return NotImplemented


__all__ = ["DISTRIBUTIONS", "Distribution", "MP_BUILTINS", "Round", "Undecidable", "exact_round", "handles", "mp_value"]
