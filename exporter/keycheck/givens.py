"""A check's `given:` values, applied after differentiation in a fixed order.

The order is the README's ("How answer keys are checked"), so a key never depends on the
order the author wrote the givens in; every given that cannot be used is a located K110.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef

from ..diagnostics import Diagnostic
from ..expr import Define, ExprError, Scope, Seq, entries, is_array, lshape, map_value, parse, seq_to_array
from ..expr import subst as _subst
from ..model import Check, Loc
from .finding import _Finding
from .numeric import _numeric_equal
from .show import show
from .solve import _solve_unique


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
