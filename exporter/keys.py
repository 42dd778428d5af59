"""Recompute every answer key with sympy and compare it with what the author marked.

For each machine-checked question the check block's quantity, values and claims are built
(see `expr.py`), differentiated as written, then the `given` values are applied — after
differentiation, in a fixed order (README, "How answer keys are checked") — and every choice gets a verdict that
must agree with its `correct:` flag. Findings are K1xx diagnostics located at the flag,
answer or expression the author has to edit.

Equality has to be both *sound* (a wrong key must never pass, a right one must never be
called wrong) and *fast* (`simplify` costs ~0.25 s a call). So:

1. structural: sympy's canonical form already makes most equal things identical;
2. exact numbers: after the givens most quantities are rationals — compared exactly;
3. refute numerically: evaluate both sides with mpmath at seeded random real points at
   40 digits; a difference far above the evaluation error (and still there at 80 digits)
   proves them different, and the point is shown to the author;
4. confirm symbolically, only when the numbers agree: expand, cancel (with exp/trig
   rewritten), and `simplify` last — each a proof when it yields 0;
5. otherwise say "cannot decide" (K104): never guess.

Each question runs under a wall-clock bound (SIGALRM inside the process; in the parallel
runner the parent also kills a worker that overstays, which catches C-level hangs the
signal cannot interrupt). A timeout is a K108 finding for that question only.
"""

from __future__ import annotations

import ast
import math
import multiprocessing
import os
import random
import re
import signal
import sys
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Callable, Iterator, Sequence

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.str import StrPrinter

from . import assume, nonvalue, numfuncs, processes
from .decimals import decimal_text
from .diagnostics import CheckSummary, Diagnostic, Report
from .expr import (
    BoolOp,
    Compare,
    Define,
    ExprError,
    Not,
    Scope,
    Seq,
    entries,
    is_array,
    lshape,
    map_value,
    parse,
    seq_to_array,
)
from .expr import subst as _subst
from .model import CHOICE_TYPES, Check, Choice, Loc, OtherAnswer, Question, choice_letter, part_question

DEFAULT_TIMEOUT = 10.0
CHECKED_TYPES = CHOICE_TYPES + ("numerical", "true_false")

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


class CheckTimeout(BaseException):
    """Raised by the alarm. A BaseException, so sympy's `except Exception` cannot eat it."""


class _Finding(Exception):
    """A diagnostic that ends the check of one question."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


# ============================================================================ results


@dataclass(frozen=True)
class Verdict:
    """A three-valued answer: True, False, or None (cannot decide) with an explanation."""

    value: bool | None
    why: str = ""


# ============================================================================ substitution


def _occurs_freely(expr: sp.Basic, sym: sp.Symbol) -> int:
    """How often `sym` occurs outside undefined functions (inside them it cannot be solved for)."""
    if expr == sym:
        return 1
    if isinstance(expr, (AppliedUndef, sp.Derivative, sp.Subs)):
        return 0
    return sum(_occurs_freely(a, sym) for a in expr.args)


class _NoUniqueSolution(Exception):
    pass


class _Unsupported(Exception):
    pass


def _isolate(lhs: sp.Expr, rhs: sp.Expr, sym: sp.Symbol) -> sp.Expr:
    """Solve `lhs = rhs` for a `sym` occurring once in `lhs`, peeling invertible layers.

    Every layer is a bijection of the reals (or refuses with _NoUniqueSolution), so the
    result is *the* unique real solution — and this costs microseconds where `solve`
    costs a fifth of a second.
    """
    for _ in range(200):
        if lhs == sym:
            return rhs
        if isinstance(lhs, (sp.Add, sp.Mul)):
            dep = [a for a in lhs.args if a.has(sym)]
            if len(dep) != 1:
                raise _Unsupported
            rest = lhs.func(*[a for a in lhs.args if a is not dep[0]])
            if isinstance(lhs, sp.Add):
                rhs = rhs - rest
            else:
                if rest.is_zero:
                    raise _NoUniqueSolution
                rhs = rhs / rest
            lhs = dep[0]
        elif isinstance(lhs, sp.Pow):
            base, ex = lhs.args
            if ex.has(sym):
                if base.has(sym) or not (base.is_positive and base != 1):
                    raise _Unsupported
                if rhs.is_positive is False:
                    raise _NoUniqueSolution
                rhs, lhs = sp.log(rhs) / sp.log(base), ex
            elif ex == -1:
                if rhs.is_zero:
                    raise _NoUniqueSolution
                rhs, lhs = 1 / rhs, base
            elif ex.is_Integer and ex > 0 and ex % 2 == 1:
                rhs, lhs = sp.real_root(rhs, ex), base
            elif ex == sp.S.Half:
                if rhs.is_negative:
                    raise _NoUniqueSolution
                rhs, lhs = rhs**2, base
            elif ex.is_Integer and ex % 2 == 0:
                raise _NoUniqueSolution  # ±root: two solutions
            else:
                raise _Unsupported
        elif isinstance(lhs, sp.exp):
            if rhs.is_positive is False:
                raise _NoUniqueSolution
            rhs, lhs = sp.log(rhs), lhs.args[0]
        elif isinstance(lhs, sp.log) and len(lhs.args) == 1:
            rhs, lhs = sp.exp(rhs), lhs.args[0]
        elif isinstance(lhs, sp.tanh):
            if rhs.is_number and rhs.is_real and abs(rhs) >= 1:
                raise _NoUniqueSolution
            rhs, lhs = sp.atanh(rhs), lhs.args[0]
        elif isinstance(lhs, sp.sinh):
            rhs, lhs = sp.asinh(rhs), lhs.args[0]
        elif isinstance(lhs, (sp.sin, sp.cos, sp.tan, sp.cosh, sp.Abs)):
            raise _NoUniqueSolution  # not one-to-one
        else:
            raise _Unsupported
    raise _Unsupported  # pragma: no cover


def _solve_unique(eq: sp.Expr, sym: sp.Symbol) -> sp.Expr | None:
    """The one real solution of `eq = 0` for `sym`, or None if there is not exactly one."""
    if sym not in eq.free_symbols:
        return None
    count = _occurs_freely(eq, sym)
    if count == 0:
        return None  # only inside undefined functions: nothing can isolate it
    if count == 1 and not any(isinstance(a, (AppliedUndef, sp.Derivative, sp.Subs)) and a.has(sym) for a in sp.preorder_traversal(eq)):
        try:
            return _isolate(eq, sp.S.Zero, sym)
        except _NoUniqueSolution:
            return None
        except _Unsupported:
            pass
    try:
        solutions = sp.solve(eq, sym)
    except Exception:  # NotImplementedError and friends: sympy cannot solve it
        return None
    real = [s for s in solutions if getattr(s, "is_real", None) is not False]
    return real[0] if len(real) == 1 else None


# ============================================================================ givens


@dataclass
class _Given:
    kind: str  # "expr" | "define" | "fderiv" | "leaf"
    key: str
    loc: Loc
    lhs: sp.Expr | None = None
    rhs: sp.Expr | None = None
    define: Define | None = None
    function: sp.FunctionClass | None = None


_FDERIV = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*)\s*'\s*\Z")


class Givens:
    """The check's `given:` values, applied after differentiation in a fixed order.

    1. givens on an expression (`sigmoid(z): 0.8`, `y - z4: 0.25`): solved for one declared
       symbol without a value (declared order; the first with exactly one real solution);
    2. givens on a defined name (`z2: 0.2`): its expansion is replaced where it occurs
       verbatim, outermost definitions first; otherwise solved for as in 1;
    3. `f1': 0.6`: every first derivative of the declared function f1, at whatever point;
    4. values of symbols (and array entries), which may refer to one another.
    """

    def __init__(self, scope: Scope, check: Check) -> None:
        self.scope = scope
        self.errors: list[Diagnostic] = []
        self.items: list[_Given] = []
        for key, text, loc in check.given:
            try:
                whole = _array_given(scope, key, text, loc)
                if whole is not None:
                    self.items.extend(whole)
                    continue
                self.items.append(self._read(key, text, loc))
            except ExprError as e:
                self.errors.append(e.diagnostic(loc))
            except _Finding as f:
                self.errors.append(f.diagnostic)
        if self.errors:
            return
        self.leaf: dict[sp.Symbol, sp.Expr] = {}
        for g in self.items:
            if g.kind == "leaf":
                if g.lhs in self.leaf:
                    self.errors.append(Diagnostic(g.loc, "K110", f"`{g.key}` is given a value twice"))
                self.leaf[g.lhs] = g.rhs
        self._resolve_leaf_values()
        self.solved: dict[sp.Symbol, sp.Expr] = {}
        self._define_solutions: dict[str, dict] = {}
        for g in self.items:
            if g.kind == "expr":
                sym, solution = self._solve(self._step1(g.lhs - g.rhs), g)
                self.solved[sym] = solution
        self.defines = sorted((g for g in self.items if g.kind == "define"), key=lambda g: -g.define.index)
        self.fderiv = {g.function: g.rhs for g in self.items if g.kind == "fderiv"}
        self._check_solutions()

    def _check_solutions(self) -> None:
        """Each solved given must still hold once every value is in.

        A given on an expression is solved before the symbols' values are applied (the
        fixed order above), so a condition of its solution may only fail later:
        `sqrt(x): y` gives x = y², which with `y: -2` makes sqrt(x) = 2, not -2 — a given
        with no solution, refused exactly as `sqrt(x): -2` is. Checked by evaluation at
        40 digits (a 'differ' is a proof, see `_numeric_equal`), so it costs microseconds.
        """
        for g in self.items:
            if g.kind != "expr":
                continue
            try:
                lhs, rhs = self._apply_scalar(g.lhs), self._apply_scalar(g.rhs)
            except _Finding:
                continue  # reported where the value is used
            if lhs.free_symbols or rhs.free_symbols or lhs.atoms(AppliedUndef) or rhs.atoms(AppliedUndef):
                continue
            verdict, _ = _numeric_equal(lhs, rhs)
            if verdict == "differ":
                self.errors.append(Diagnostic(g.loc, "K110", f"cannot use given `{g.key}`: with the other given values "
                                              f"it has no solution (`{g.key}` would be {show(lhs)}, not {show(rhs)})"))

    def _read(self, key: str, text: str, loc: Loc) -> _Given:
        scope = self.scope

        def bad(message: str) -> _Finding:
            return _Finding(Diagnostic(loc, "K110", f"given `{key}`: {message}"))

        m = _FDERIV.match(key)
        if m:
            name = m.group(1)
            if name not in scope.functions:
                raise bad(f"`{name}` is not a declared function (declare it under `functions:`)")
            return _Given("fderiv", key, loc, rhs=self._scalar_value(text, loc, key), function=scope.functions[name])
        try:
            tree, src = parse(key)
            target = tree.body
            lhs = scope.full(scope.build_tree(tree, src))
        except ExprError as e:  # the key's own position is not known: point at its value
            raise _Finding(Diagnostic(loc, e.code, f"given `{key}`: {e.message}")) from None
        rhs = self._scalar_value(text, loc, key)
        if isinstance(target, ast.Name) and target.id in scope.defines:
            define = scope.defines[target.id]
            if define.placeholder is None:
                raise bad("give values to the entries of an array, e.g. `z[1]: 0.5`")
            return _Given("define", key, loc, lhs=define.full, rhs=rhs, define=define)
        if isinstance(lhs, sp.Symbol) and lhs in scope.leaf_symbols:
            return _Given("leaf", key, loc, lhs=lhs, rhs=rhs)
        if is_array(lhs) or isinstance(lhs, Seq):
            raise bad("give values to single symbols or array entries, e.g. `x[1]: 2`")
        if lhs.is_number:
            raise bad("the left-hand side has no symbol to solve for")
        return _Given("expr", key, loc, lhs=lhs, rhs=rhs)

    def _scalar_value(self, text: str, loc: Loc, key: str) -> sp.Expr:
        value = self.scope.full(self.scope.build(text))
        if is_array(value) or isinstance(value, Seq):
            raise _Finding(Diagnostic(loc, "K110", f"given `{key}`: the value must be a scalar"))
        return value

    def _resolve_leaf_values(self) -> None:
        """Let leaf values refer to other leaf values (`x1: 2*x2`), refusing cycles."""
        keys = set(self.leaf)
        for _ in range(len(keys) + 1):
            if not any(v.free_symbols & keys for v in self.leaf.values()):
                return
            self.leaf = {k: _subst(v, self.leaf) for k, v in self.leaf.items()}
        loc = next(g.loc for g in self.items if g.kind == "leaf")
        self.errors.append(Diagnostic(loc, "K110", "the given values refer to each other in a cycle"))

    def _unknowns(self) -> list[sp.Symbol]:
        taken = set(self.leaf) | set(self.solved)
        for sol in self._define_solutions.values():
            taken |= set(sol)
        return [s for s in self.scope.leaf_symbols if s not in taken]

    def _solve(self, eq: sp.Expr, g: _Given) -> tuple[sp.Symbol, sp.Expr]:
        candidates = [s for s in self._unknowns() if s in eq.free_symbols]
        for sym in candidates:
            solution = _solve_unique(eq, sym)
            if solution is not None:
                return sym, solution
        names = ", ".join(str(s) for s in candidates) or "none"
        raise _Finding(
            Diagnostic(
                g.loc,
                "K110",
                f"cannot use given `{g.key}`: no symbol without a value can be solved for uniquely "
                f"(tried, in declared order: {names})",
            )
        )

    def _step1(self, expr: sp.Expr) -> sp.Expr:
        for sym, solution in self.solved.items():
            expr = _subst(expr, {sym: solution})
        return expr

    def apply(self, value: object) -> object:
        """Apply all givens to a value or claim (each scalar inside it)."""
        return map_value(value, self._apply_scalar)

    def _apply_scalar(self, expr: sp.Expr) -> sp.Expr:
        expr = self._step1(expr)
        for g in self.defines:
            target = self._step1(g.lhs)
            verbatim = expr.has(target)
            if verbatim:
                expr = _subst(expr, {target: g.rhs})
            if not (target.free_symbols & expr.free_symbols):
                continue
            # Its symbols still occur, but not as the expansion itself (exp(-z) distributes
            # the minus sign): use the symbol the given determines instead.
            if g.key not in self._define_solutions:
                try:
                    sym, solution = self._solve(target - g.rhs, g)
                    self._define_solutions[g.key] = {sym: solution}
                except _Finding:
                    if verbatim:
                        self._define_solutions[g.key] = {}
                        continue
                    raise
            expr = _subst(expr, self._define_solutions[g.key])
        if self.fderiv:
            expr = _replace_fderiv(expr, self.fderiv)
        if self.leaf:
            expr = _subst(expr, self.leaf)
        return expr


def _array_given(scope: Scope, key: str, text: str, loc: Loc) -> list[_Given] | None:
    """`x: [1, 2, 3]` or `A: [[1, 0], [0, 1]]` for a declared array: one value per entry.

    None when `key` is not a declared array's name (the other kinds of given apply)."""
    name = key.strip()
    value = scope.symbols.get(name)
    if not is_array(value):
        return None
    rhs = scope.full(scope.build(text))
    if isinstance(rhs, Seq):
        rhs = seq_to_array(rhs, lambda m: ExprError("X107", m))
    if lshape(rhs) != lshape(value):
        raise _Finding(Diagnostic(loc, "K110", f"given `{key}`: `{name}` has shape {lshape(value)}, the value has shape {lshape(rhs)}"))
    return [_Given("leaf", str(sym), loc, lhs=sym, rhs=v) for sym, v in zip(entries(value), entries(rhs))]


def _first_derivative_of(e: sp.Basic, functions: dict) -> sp.Expr | None:
    """If `e` is f'(anything) for a function in `functions`, the given value of f'."""
    if isinstance(e, sp.Subs):
        inner = e.expr
        if isinstance(inner, sp.Derivative) and isinstance(inner.expr, AppliedUndef):
            f = inner.expr.func
            if f in functions and inner.derivative_count == 1 and inner.expr.args == tuple(inner.variables):
                return functions[f]
    if isinstance(e, sp.Derivative) and isinstance(e.expr, AppliedUndef):
        f = e.expr.func
        if f in functions and e.derivative_count == 1 and e.expr.args == tuple(e.variables):
            return functions[f]
    return None


def _replace_fderiv(expr: sp.Expr, functions: dict) -> sp.Expr:
    memo: dict = {}

    def go(x: sp.Basic) -> sp.Basic:
        if not x.args:
            return x
        if x in memo:
            return memo[x]
        value = _first_derivative_of(x, functions)
        if value is not None:
            result = value
        else:
            args = tuple(go(a) for a in x.args)
            result = x if all(n is o for n, o in zip(args, x.args)) else x.func(*args)
        memo[x] = result
        return result

    return go(expr)


# ============================================================================ numerics


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


# ============================================================================ display


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


# ============================================================================ one question


class _QuestionChecker:
    def __init__(self, q: Question) -> None:
        self.q = q
        self.check = q.check
        self.findings: list[Diagnostic] = []

    def run(self) -> list[Diagnostic]:
        q, check = self.q, self.check
        if check is None:
            return [Diagnostic(q.loc, "K106", "question has no `check`: add one, or `check: {manual: <why it cannot be computed>}`")]
        if check.is_manual:
            return []
        if q.type not in CHECKED_TYPES:
            return [
                Diagnostic(
                    check.loc,
                    "K107",
                    f"a {q.type} question cannot be machine-checked; use `check: {{manual: <why it cannot be computed>}}`",
                )
            ]
        self.scope = Scope(check)
        if self.scope.errors:
            return self.scope.errors
        self.givens = Givens(self.scope, check)
        if self.givens.errors:
            return self.givens.errors
        if q.type in CHOICE_TYPES:
            self.choices()
        elif q.type == "numerical":
            self.numerical()
        else:
            self.true_false()
        return self.findings

    # -- building --------------------------------------------------------------------------
    def build(self, text: str, loc: Loc | None, *, claim: bool = False, allow_undefined: bool = False) -> object:
        where = loc or self.check.loc
        try:
            value = self.scope.build(text, claim=claim)
            value = self.scope.full(value) if not claim else map_value(value, self.scope.full)
            value = self.givens.apply(value)
        except ExprError as e:
            raise _Finding(e.diagnostic(where)) from None
        undefined: list[bool] = []
        map_value(value, lambda e: undefined.append(e.has(sp.zoo, sp.nan, sp.oo, -sp.oo)) or e)
        if any(undefined) and not allow_undefined:
            raise _Finding(Diagnostic(where, "K112", f"`{' '.join(text.split())}` is undefined at the given values (a division by zero?)"))
        return value

    def quantity(self, *, allow_undefined: bool = False) -> object:
        check = self.check
        if check.quantity is None:
            raise _Finding(Diagnostic(check.loc, "K107", "the check has no `quantity` to compare the answer with"))
        return self.build(check.quantity, check.quantity_loc, allow_undefined=allow_undefined)

    # -- question types -----------------------------------------------------------------
    def choices(self) -> None:
        q = self.q
        quantity = None
        no_value_is_an_answer = nonvalue.needs_undefined_quantity(q.choices)
        if any(c.value is not None for c in q.choices) or no_value_is_an_answer:
            quantity = self._guard(lambda: self.quantity(allow_undefined=no_value_is_an_answer))
            if quantity is None:
                return
        truths: list[tuple[int, bool | None]] = []
        for i, choice in enumerate(q.choices):
            if choice.means in nonvalue.ABOUT_OTHERS and choice.manual is None:
                continue  # decided from the others, below
            before = len(self.findings)
            found = self._guard(lambda: self.choice(i, choice, quantity))
            if found is not None:
                self.findings.extend(found)
            truths.append((i, _truth(choice, self.findings[before:])))
        for i, choice in enumerate(q.choices):
            if choice.means in nonvalue.ABOUT_OTHERS and choice.manual is None:
                self.findings.extend(self.about_others(i, choice, truths))

    def about_others(self, i: int, c: Choice, truths: list[tuple[int, bool | None]]) -> list[Diagnostic]:
        letter = choice_letter(i)
        truth, why = nonvalue.about_others(c.means, truths)
        if truth is None:
            return [Diagnostic(c.loc, "K104", f"choice {letter} ({c.means}): cannot decide: {why}")]
        if truth == c.correct:
            return []
        keyed = "correct" if c.correct else "incorrect"
        return [Diagnostic(c.correct_loc or c.loc, "K101", f"choice {letter} ({c.means}) is keyed {keyed}, but {why}")]

    def _guard(self, fn: Callable[[], object]) -> object:
        try:
            return fn()
        except _Finding as f:
            self.findings.append(f.diagnostic)
            return None

    def choice(self, i: int, c: Choice, quantity: object) -> list[Diagnostic]:
        letter = choice_letter(i)
        flag_loc = c.correct_loc or c.loc
        keyed = "correct" if c.correct else "incorrect"
        given = [f for f in ("value", "claim", "means", "manual") if getattr(c, f) is not None]
        if len(given) > 1:
            return [Diagnostic(c.loc, "K107", f"choice {letter} has both `{given[0]}` and `{given[1]}`; keep one")]
        if not given:
            return [
                Diagnostic(
                    c.loc,
                    "K105",
                    f"choice {letter} has neither `value` nor `claim` (nor `means`), so its key cannot be checked: "
                    "add one, or `manual: <why>` on this choice (or on the whole check)",
                )
            ]
        if c.manual is not None:
            return []
        if c.means is not None:
            return self.no_value_choice(letter, c, quantity)
        if c.value is not None:
            qtext = self.check.quantity.strip()
            value = self.build(c.value, c.value_loc or c.loc)
            shown = self.displayed(letter, c, value)
            if nonvalue.has_no_value(quantity):
                if c.correct:
                    return shown + [Diagnostic(flag_loc, "K101", f"choice {letter} is keyed correct, but {qtext} has no finite real "
                                               f"value here ({show(quantity)}): it is undefined or does not exist")]
                return shown
            verdict = decide_equal(quantity, value)  # this order: the message names the quantity first
            if verdict.value is None:
                return shown + [Diagnostic(c.value_loc or c.loc, "K104", f"choice {letter}: cannot decide whether `{c.value.strip()}` equals {qtext}: {verdict.why}")]
            if verdict.value == c.correct:
                return shown
            if c.correct:
                hint = assume.hint(value, quantity, decide_equal)
                return shown + [Diagnostic(flag_loc, "K101", f"choice {letter} is keyed correct, but {qtext} = {show(quantity)}, not {self._as_written(c.value, value)}{_why(verdict)}{hint}")]
            return shown + [Diagnostic(flag_loc, "K102", f"choice {letter} is keyed incorrect, but it equals the key: {qtext} = {show(quantity)}")]
        claim = self.build(c.claim, c.claim_loc or c.loc, claim=True)
        verdict = decide_claim(claim)
        if verdict.value is None:
            return [Diagnostic(c.claim_loc or c.loc, "K104", f"choice {letter}: cannot decide `{c.claim.strip()}`: {verdict.why}")]
        if verdict.value == c.correct:
            return []
        return [Diagnostic(flag_loc, "K101", f"choice {letter} is keyed {keyed}, but {_explain(claim, c.claim, verdict)}{_claim_hint(claim, verdict)}")]

    def no_value_choice(self, letter: str, c: Choice, quantity: object) -> list[Diagnostic]:
        """`means: undefined` (does not exist, no real solution): true iff the quantity has no
        finite real value at the given values."""
        qtext = (self.check.quantity or "").strip()
        truth = nonvalue.has_no_value(quantity)
        if truth is None:
            return [Diagnostic(c.loc, "K104", f"choice {letter} ({c.means}): {qtext} still depends on symbols without values")]
        if truth == c.correct:
            return []
        keyed = "correct" if c.correct else "incorrect"
        state = f"{qtext} = {show(quantity)}" if not truth else f"{qtext} = {show(quantity)}, which has no real value"
        return [Diagnostic(c.correct_loc or c.loc, "K101", f"choice {letter} ({c.means}) is keyed {keyed}, but {state}")]

    def numerical(self) -> None:
        q, check = self.q, self.check
        loc = q.answer_loc or q.loc
        try:
            value = self.quantity()
        except _Finding as f:
            self.findings.append(f.diagnostic)
            return
        qtext = check.quantity.strip()
        if is_array(value) and lshape(value) in _ONE_ENTRY:
            value = entries(value)[0]
        if isinstance(value, Seq) or is_array(value):
            self.findings.append(Diagnostic(check.quantity_loc or check.loc, "K111", f"{qtext} is not a number but {show(value)}"))
            return
        functions = sorted({str(f.func) for f in value.atoms(AppliedUndef)})
        if functions:
            self.findings.append(Diagnostic(check.quantity_loc or check.loc, "K111", f"{qtext} = {show(value)} still depends on the function(s) {', '.join(functions)}: give their values (or `f': …`) under `given:`"))
            return
        if value.free_symbols:
            names = ", ".join(sorted(map(str, value.free_symbols)))
            self.findings.append(Diagnostic(check.quantity_loc or check.loc, "K111", f"{qtext} still depends on {names}: give them values under `given:`"))
            return
        if not _real_number(value):
            self.findings.append(Diagnostic(check.quantity_loc or check.loc, "K111", f"{qtext} = {show(value)} is not a "
                                            "real number, so no numerical answer can be within a tolerance of it"))
            return
        if q.answer is None or isinstance(q.answer, bool) or not math.isfinite(float(q.answer)):
            return  # the loader reports a missing or non-finite answer (E215)
        if q.tolerance is not None and not math.isfinite(q.tolerance):
            return
        answer = sp.Rational(repr(float(q.answer)))
        tolerance = sp.Rational(repr(float(q.tolerance or 0.0)))
        gap = sp.Abs(answer - value)
        inside = decide_order("<=", gap, tolerance)
        if inside.value is None:
            self.findings.append(Diagnostic(loc, "K104", f"cannot decide whether answer {q.answer:g} is within {q.tolerance:g} of {qtext} = {show(value)}: {inside.why}"))
        elif not inside.value:
            self.findings.append(Diagnostic(loc, "K103", f"answer {q.answer:g} is not within tolerance {q.tolerance or 0:g} of {qtext} = {show(value)}"))
        for i, other in enumerate(q.other_answers, 1):
            self._guard(lambda: self.other_answer(i, other, value))

    def other_answer(self, i: int, o: OtherAnswer, key: sp.Expr) -> None:
        """A further numerical range: it must hold what it says it stands for (`value`,
        proved like the key) and must not hold the key, or a right answer could be scored
        with this range's credit."""
        what = f"other answer {i} ({o.answer:g} ± {o.tolerance:g}, {o.credit:g} %)"
        low = sp.Rational(repr(o.answer)) - sp.Rational(repr(o.tolerance))
        high = sp.Rational(repr(o.answer)) + sp.Rational(repr(o.tolerance))
        if o.value is None:
            self.findings.append(Diagnostic(o.loc, "K105", f"{what} has no `value`, so what it stands for cannot be "
                                            "checked: add the expression it is (e.g. the result of a typical mistake)"))
        else:
            value = self.build(o.value, o.value_loc or o.loc)
            if isinstance(value, Seq) or is_array(value):
                raise _Finding(Diagnostic(o.value_loc or o.loc, "K111", f"`{o.value.strip()}` is not a number but {show(value)}"))
            verdict = decide_order("<=", sp.Abs(value - sp.Rational(repr(o.answer))), sp.Rational(repr(o.tolerance)))
            if verdict.value is None:
                self.findings.append(Diagnostic(o.value_loc or o.loc, "K104", f"{what}: cannot decide whether it holds "
                                                f"`{o.value.strip()}` = {show(value)}: {verdict.why}"))
            elif not verdict.value:
                self.findings.append(Diagnostic(o.loc, "K103", f"{what} does not hold `{o.value.strip()}` = {show(value)}"))
        holds_key = [decide_order("<=", low, key).value, decide_order("<=", key, high).value]
        if all(holds_key):
            qtext = self.check.quantity.strip()
            self.findings.append(Diagnostic(o.credit_loc or o.loc, "K115", f"{what} holds the key {qtext} = {show(key)}: "
                                            "a right answer could be scored with this range; narrow it or move it"))

    def true_false(self) -> None:
        q, check = self.q, self.check
        if check.claim is None:
            self.findings.append(Diagnostic(check.loc, "K107", "a true_false check needs a `claim` to decide"))
            return
        try:
            claim = self.build(check.claim, check.claim_loc, claim=True)
        except _Finding as f:
            self.findings.append(f.diagnostic)
            return
        verdict = decide_claim(claim)
        loc = q.answer_loc or q.loc
        if verdict.value is None:
            self.findings.append(Diagnostic(check.claim_loc or check.loc, "K104", f"cannot decide `{check.claim.strip()}`: {verdict.why}"))
        elif verdict.value != bool(q.answer):
            keyed = "true" if q.answer else "false"
            self.findings.append(Diagnostic(loc, "K101", f"answer is {keyed}, but {_explain(claim, check.claim, verdict)}{_claim_hint(claim, verdict)}"))

    def displayed(self, letter: str, c: Choice, value: object) -> list[Diagnostic]:
        """Is the choice's text what was proved? (exporter.display; the names are read once)"""
        from . import display

        if not hasattr(self, "_names"):
            self._names = display.names_of(self.scope)
        return display.verify_choice(
            letter, c, value, self._names, lambda source: self.build(source, c.text_loc), lambda a, b: decide_equal(a, b).value
        )

    @staticmethod
    def _as_written(text: str, value: object) -> str:
        """The author's value, plus what it computes to when that says more."""
        text = " ".join(text.split())
        shown = show(value)
        if re.fullmatch(r"-?[\d.eE+-]+", text) or shown.replace(" ", "") == text.replace(" ", ""):
            return text
        return f"`{text}` = {shown}"


def _truth(c: Choice, found: list[Diagnostic]) -> bool | None:
    """What the checker found an option to be: its flag when nothing was reported, the
    opposite when the flag was refuted (K101/K102), otherwise undecided."""
    if not found:
        return c.correct
    if any(d.code in ("K101", "K102") for d in found):
        return not c.correct
    return None


def _claim_hint(claim: object, verdict: Verdict) -> str:
    """For a claim `a == b` found false: the assumption that would make it true, if any."""
    if isinstance(claim, Compare) and claim.op == "==" and verdict.value is False:
        return assume.hint(claim.left, claim.right, decide_equal)
    return ""


def _real_number(value: sp.Expr) -> bool:
    """False for a number with an imaginary part (`sqrt(-1)`); True when it is real or it
    cannot be told (the tolerance check then says what it can)."""
    if value.is_extended_real is not None:
        return bool(value.is_extended_real)
    try:
        with mpmath.workdps(DPS):
            _real(_evaluate(value, {}))
    except _BadPoint:
        return False
    except _Unevaluable:
        pass
    return True


def _why(verdict: Verdict) -> str:
    return f" ({verdict.why})" if verdict.why else ""


def _facts(claim: object, out: dict) -> None:
    if isinstance(claim, Compare):
        for text, value in ((claim.left_text, claim.left), (claim.right_text, claim.right)):
            if value is claim.right and claim.right_is_literal:
                continue
            if not re.fullmatch(r"-?[\d.eE+-]+", text):
                out.setdefault(text, show(value))
    elif isinstance(claim, BoolOp):
        for item in claim.items:
            _facts(item, out)
    elif isinstance(claim, Not):
        _facts(claim.item, out)


def _explain(claim: object, text: str, verdict: Verdict) -> str:
    """Why a claim came out as it did, in the author's own terms."""
    if isinstance(claim, Compare) and claim.op == "==" and verdict.value is False and claim.right_is_literal:
        return f"{claim.left_text} = {show(claim.left)}, not {claim.right_text}"
    facts: dict = {}
    _facts(claim, facts)
    stated = "; ".join(f"{k} = {v}" for k, v in facts.items())
    truth = "true" if verdict.value else "false"
    extra = f" ({verdict.why})" if verdict.why else ""
    return f"`{text.strip()}` is {truth}: {stated}{extra}" if stated else f"`{text.strip()}` is {truth}{extra}"


@contextmanager
def _time_bound(seconds: float | None) -> Iterator[None]:
    """Raise CheckTimeout in this thread after `seconds` (main thread on POSIX only)."""
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        # If the signal lands in a garbage-collector callback or a `__del__`, Python prints
        # the exception as "ignored" and the check runs on: so fire again soon, until it
        # lands where it ends the check (whose `finally` below stops the timer).
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        raise CheckTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _timeout_finding(q: Question, timeout: float) -> Diagnostic:
    loc = q.check.loc if q.check is not None else q.loc
    return Diagnostic(loc, "K108", f"the check did not finish within {timeout:g} s: simplify it, or raise the time limit")


DEFAULT_MEMORY_MB = 2048
"""Memory one question's check may add to its process (`--memory`), in MiB. sympy can fill
gigabytes in seconds (`(a+b+c+d+e+f)**1000` expands towards 10^12 terms), one worker per
core; beyond the bound the check ends as a K114 finding instead of swapping the machine."""


@contextmanager
def _memory_bound(megabytes: float | None) -> Iterator[None]:
    """Let this process grow by at most `megabytes` while the block runs (RLIMIT_AS, Linux).

    The limit is relative to the address space in use now, which includes sympy and, in a
    forked worker, the model it was forked with; the previous soft limit is restored after,
    so the bound applies to one question at a time, in a worker or (with `-j 1`) in qbank's
    own process. Where the address space cannot be read (no /proc), or off the main thread
    (the limit would hold for every thread of a program using the library), there is none.
    """
    try:
        import resource

        with open("/proc/self/statm", "rb") as fh:
            in_use = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        previous = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError, IndexError):
        previous = None
    if (not megabytes or megabytes <= 0 or previous is None or megabytes != megabytes
            or threading.current_thread() is not threading.main_thread()):  # the limit is process-wide
        yield
        return
    soft, hard = previous
    wanted = in_use + int(megabytes * 2**20)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _memory_finding(q: Question, megabytes: float) -> Diagnostic:
    loc = q.check.loc if q.check is not None else q.loc
    return Diagnostic(loc, "K114", f"the check needed more than {megabytes:g} MB of memory: simplify it (expand less, "
                      "use smaller powers), or raise the bound with --memory")


def check_question(q: Question, *, timeout: float = DEFAULT_TIMEOUT, memory: float = DEFAULT_MEMORY_MB) -> list[Diagnostic]:
    """All findings for one question, computed in this process under the time and memory bounds."""
    if q.parameters is not None:
        # Its check names parameters that only a variant gives values: checking the template
        # itself would report every parameter as an unknown name. exporter.variants expands
        # it into variants, and each of those is checked.
        return [Diagnostic(q.loc, "K113", f"`{q.id}` has parameters: check its variants (exporter.variants.expand), not the template")]
    try:
        with _time_bound(timeout), _memory_bound(memory):
            try:
                found = _cloze_findings(q) if q.type == "cloze" else _QuestionChecker(q).run()
            except _Finding as f:
                found = [f.diagnostic]
            except ExprError as e:  # e.g. a given value that makes a power too large
                found = [e.diagnostic(q.check.loc)]
            except (MemoryError, SystemError):  # C code that cannot allocate may fail without an exception
                sp.core.cache.clear_cache()  # what the failed check left there is garbage
                found = [_memory_finding(q, memory)]
            except RecursionError as e:
                found = [Diagnostic(q.check.loc, "K109", f"the check is too big to compute ({type(e).__name__})")]
            except Exception as e:  # a sympy failure on odd input must not stop the run
                found = [Diagnostic(q.check.loc, "K109", f"could not evaluate the check: {type(e).__name__}: {e}")]
    except CheckTimeout:
        found = [_timeout_finding(q, timeout)]
    # one bad given can fail every choice that uses it: say it once
    return list(dict.fromkeys(found))


def _cloze_findings(q: Question) -> list[Diagnostic]:
    """Each part checked exactly as a whole question of its type (its check already holds
    the question's shared definitions: exporter.cloze.merged_check)."""
    found: list[Diagnostic] = []
    for part in q.parts:
        try:
            found += _QuestionChecker(part_question(q, part)).run()
        except _Finding as f:
            found.append(f.diagnostic)
    return found


def evaluate(q: Question, text: str, *, claim: bool = False) -> object:
    """What `text` computes to in q's check, givens applied: for tests and debugging.

    Raises ExprError for bad text and _Finding for unusable givens; no time bound.
    """
    checker = _QuestionChecker(q)
    checker.scope = Scope(q.check)
    if checker.scope.errors:
        raise ValueError(checker.scope.errors)
    checker.givens = Givens(checker.scope, q.check)
    if checker.givens.errors:
        raise ValueError(checker.givens.errors)
    value = checker.scope.build(text, claim=claim)
    value = map_value(value, checker.scope.full)
    return checker.givens.apply(value)


# ============================================================================ many questions


def _needs_work(q: Question) -> bool:
    if q.type == "cloze":
        return any(p.check is not None and not p.check.is_manual for p in q.parts)
    return q.check is not None and not q.check.is_manual


def check_questions(
    questions: Sequence[Question],
    report: Report,
    *,
    jobs: int = 0,
    timeout: float = DEFAULT_TIMEOUT,
    memory: float = DEFAULT_MEMORY_MB,
    progress: Callable[[int, int], None] | None = None,
    report_for: Callable[[Question], Report] | None = None,
    taken_as_written: bool = False,
) -> CheckSummary:
    """Check every question, in parallel processes, reporting findings in bank order.

    `jobs=0` uses every CPU; `jobs=1` checks in this process (no worker to kill if C code
    hangs, so the static guards and the alarm are the only bounds). Output does not depend
    on `jobs`: results are reported in the order of `questions`. `report_for(q)`, if given,
    is the report for q's findings (variants use it to say which variant a finding is about,
    since all variants of a question share its lines).
    """
    qs = list(questions)
    total = len(qs)
    results: list[list[Diagnostic] | None] = [None] * total
    work = [i for i, q in enumerate(qs) if _needs_work(q)]
    for i, q in enumerate(qs):
        if not _needs_work(q):
            results[i] = check_question(q, timeout=timeout)
    done = total - len(work)
    if progress and done:
        progress(done, total)
    jobs = jobs or os.cpu_count() or 1
    next_to_report = 0

    def flush() -> None:
        nonlocal next_to_report
        while next_to_report < total and results[next_to_report] is not None:
            sink = report_for(qs[next_to_report]) if report_for is not None else report
            for d in results[next_to_report]:
                if taken_as_written or d.code != "K121":
                    sink(d)
            next_to_report += 1

    def finished(i: int, found: list[Diagnostic]) -> None:
        nonlocal done
        results[i] = found
        done += 1
        if progress:
            progress(done, total)
        flush()

    flush()
    if work:
        if any("$" in c.text for i in work for c in qs[i].choices if c.value is not None):
            from . import latex

            latex.warm_up()  # outside any question's time bound, and before workers fork
        if jobs <= 1 and threading.current_thread() is threading.main_thread():
            for i in work:
                finished(i, check_question(qs[i], timeout=timeout, memory=memory))
        else:
            _run_pool(qs, work, min(jobs, len(work)), (timeout, memory), finished)
    flush()
    return CheckSummary(
        checked=sum(1 for q in qs if _needs_work(q)),
        manual=sum(1 for q in qs if q.check is not None and q.check.is_manual),
        failed=sum(1 for r in results if r and any(d.severity == "error" for d in r)),
        total=total,
    )


def _worker_main(conn: object, timeout: float, memory: float = DEFAULT_MEMORY_MB) -> None:  # pragma: no cover - runs in a child
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills us
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        index, question = task
        conn.send((index, check_question(question, timeout=timeout, memory=memory)))


class _Worker:
    def __init__(self, ctx: object, limits: tuple[float, float]) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, *limits), daemon=True)
        processes.start(self.proc)  # Ctrl-C held while forking: never lost in an at-fork hook
        child.close()
        self.task: int | None = None
        self.started = 0.0

    def stop(self, *, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
        self.proc.join(1.0)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(1.0)
        self.conn.close()


def _context() -> object:
    # fork: workers start in milliseconds with sympy already imported (Linux); elsewhere
    # spawn, which re-imports this module in each worker.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _run_pool(qs: list[Question], work: list[int], jobs: int, limits: tuple[float, float], finished: Callable) -> None:
    """A small process pool that can kill and replace one stuck worker.

    multiprocessing.Pool cannot: a worker stuck in C code (where the alarm cannot reach)
    would hang the whole run. Here the parent gives each question `timeout` plus a grace
    period, then kills that worker, reports K108 and starts a fresh one.
    """
    from multiprocessing.connection import wait

    ctx = _context()
    timeout = limits[0]  # (seconds, megabytes) of each check
    grace = max(2.0, timeout * 0.5)
    pending = deque(work)
    workers = [_Worker(ctx, limits) for _ in range(jobs)]
    try:
        while pending or any(w.task is not None for w in workers):
            for w in workers:
                if w.task is None and pending:
                    w.task = pending.popleft()
                    w.started = time.monotonic()
                    w.conn.send((w.task, qs[w.task]))
            busy = [w for w in workers if w.task is not None]
            now = time.monotonic()
            wait_for = min(w.started + timeout + grace - now for w in busy)
            ready = wait([w.conn for w in busy], timeout=max(wait_for, 0.0))
            for w in busy:
                if w.conn in ready:
                    try:
                        index, found = w.conn.recv()
                    except (EOFError, OSError):
                        index = w.task
                        code = w.proc.exitcode
                        found = [Diagnostic(_check_loc(qs[index]), "K109", f"the checker process died while checking this question (exit code {code})")]
                        _restart(w, ctx, limits)
                    w.task = None
                    finished(index, found)
                elif time.monotonic() - w.started > timeout + grace:
                    index = w.task
                    w.task = None
                    _restart(w, ctx, limits)
                    finished(index, [_timeout_finding(qs[index], timeout)])
    finally:
        for w in workers:
            w.stop(kill=w.task is not None)


def _restart(w: _Worker, ctx: object, limits: tuple[float, float]) -> None:
    """Kill a stuck or dead worker (one we started) and put a fresh process in its place."""
    w.stop(kill=True)
    fresh = _Worker(ctx, limits)
    w.conn, w.proc, w.task, w.started = fresh.conn, fresh.proc, None, 0.0


def _check_loc(q: Question) -> Loc:
    return q.check.loc if q.check is not None else q.loc


__all__ = ["CheckSummary", "Givens", "Verdict", "check_question", "check_questions", "decide_claim", "decide_equal", "evaluate", "show"]
