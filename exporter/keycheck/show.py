"""Values as the author reads them in a finding.

Exact rationals with their decimal (`1/500 (0.002)`), `f'(x)` instead of sympy's
`Subs(Derivative(...))`: the message has to be comparable with what the author wrote.
"""

from __future__ import annotations

from decimal import Decimal

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.str import StrPrinter

from ..decimals import decimal_text
from ..expr import Seq, entries, is_array, lshape
from .numeric import _BadPoint, _evaluate, _fmt_num, _Unevaluable


def show(v: object) -> str:
    """A value as the author should read it: `1/500 (0.002)`, `[10, -10]`, `(3, 3, 8)`."""
    if isinstance(v, Seq):
        inner = ", ".join(show_plain(i) for i in v.items)
        return f"({inner}{',' if len(v.items) == 1 else ''})" if v.paren else f"[{inner}]"
    if is_array(v):
        return "[" + ", ".join(show_plain(i) for i in entries(v)) + "]" if len(lshape(v)) == 1 else str(v.tolist())
    return show_scalar(v)


def show_plain(v: object) -> str:
    """Inside a list: `10`, `1/3`, without the decimal gloss."""
    return str(v) if isinstance(v, sp.Rational) else show(v)


def _decimal(r: sp.Rational) -> str:
    q = int(r.q)
    while q % 2 == 0:
        q //= 2
    while q % 5 == 0:
        q //= 5
    if q == 1 and len(str(r.q)) <= 30:
        return decimal_text(Decimal(int(r.p)) / Decimal(int(r.q)))
    return "≈" + f"{float(r):.6g}"


class _Printer(StrPrinter):
    """sympy's str form, but f'(x**2) instead of Subs(Derivative(f(_xi_1), _xi_1), …)."""

    def _prime(self, f: AppliedUndef, order: int, point: sp.Expr) -> str:
        return f"{f.func.__name__}{chr(39) * order}({self._print(point)})"

    def _print_Subs(self, e: sp.Subs) -> str:
        d = e.expr
        if (
            isinstance(d, sp.Derivative)
            and isinstance(d.expr, AppliedUndef)
            and len(d.expr.args) == 1
            and len(e.variables) == 1
            and d.expr.args == tuple(e.variables)
            and set(d.variables) == set(e.variables)
        ):
            return self._prime(d.expr, d.derivative_count, e.point[0])
        return super()._print_Subs(e)

    def _print_Derivative(self, e: sp.Derivative) -> str:
        if isinstance(e.expr, AppliedUndef) and len(e.expr.args) == 1 and set(e.variables) == set(e.expr.args):
            return self._prime(e.expr, e.derivative_count, e.expr.args[0])
        return super()._print_Derivative(e)


def show_scalar(e: sp.Expr) -> str:
    if isinstance(e, sp.Integer):
        return str(e)
    if isinstance(e, sp.Rational):
        return f"{e} ({_decimal(e)})"
    text = _Printer().doprint(e)
    if len(text) > 160:
        text = text[:157] + "…"
    if isinstance(e, sp.Expr) and not e.free_symbols and not e.atoms(AppliedUndef):
        try:
            with mpmath.workdps(20):
                x = _evaluate(e, {})
            return f"{text} (≈{_fmt_num(x)})"
        except (_Unevaluable, _BadPoint):
            pass
    return text
