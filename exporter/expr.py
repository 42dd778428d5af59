"""Check expressions: untrusted bank text → sympy objects, through an allow-list.

A bank is edited in pull requests and `qbank check` runs them in CI, so the text of a
`check` block is hostile until proven otherwise. `sympify`/`parse_expr` end in `eval`, and
even sympy's own parser resolves arbitrary names (`__import__`, `os`) — so none of them ever
sees bank text. Instead the text goes through Python's `ast` parser in `eval` mode (which only
builds a tree; nothing runs), every node is checked against a short allow-list *before*
anything is built, and the sympy objects are then constructed here, node by node, from
names that were declared in the check block.

The language (README, "The expression language", has the table of every function):

* names: declared `symbols` (real scalars, or arrays such as `W[3,8]` whose entries are
  symbols, indexed 1-based like the maths: `W[1,2]` is W₁₂), declared `functions`
  (undefined sympy functions), `define`d names, `pi`, `E`, `oo`;
* calls: FUNCTION_NAMES below — calculus, linear algebra, list statistics, rounding and R's
  distribution functions (exporter.numfuncs computes those) — and the declared functions;
* `+ - * / **` (`*` and `@` are the matrix product on arrays; lists compute entry by entry),
  unary minus, comparisons (chained too), `and`/`or`/`not` in claims, list and tuple
  literals (`[[1, 2], [3, 4]]` is a matrix);
* decimal literals are exact: `0.1` is 1/10, so `== 0.02` is decided exactly.

What authors write from habit (`e**x`, `π`, `3x`, `x^2`, `ceil`) is answered with the fix.

Big numbers are refused *before* they are built (`10**10**10`): CPython's bignum power
runs in C and cannot be interrupted by the time bound's signal.
"""

from __future__ import annotations

import ast
import difflib
import re
import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Union

import sympy as sp

from . import numfuncs
from .diagnostics import Diagnostic
from .model import Check, Loc

# ----------------------------------------------------------------------------- limits
# Generous for any quiz, small enough that nothing below can take more than milliseconds.
MAX_TEXT_CHARS = 2000  # one expression
MAX_DEPTH = 60  # nesting of the syntax tree; a chain `a + b + c + …` is one level
MAX_CHAIN = 300  # nodes on one path of the tree, chains included (the builder recurses that deep)
MAX_LITERAL_DIGITS = 60  # digits of one number literal
MAX_LITERAL_EXPONENT = 300  # the `e` part of `1e-300`
MAX_POWER_EXPONENT = 1000  # |n| in `x**n` for a numeric n
MAX_POWER_BITS = 200_000  # size of a number computed by `a**n`
MAX_ARRAY_ENTRIES = 10_000  # one declared array, one computed array

NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
NUMBER_RE = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")


class ExprError(Exception):
    """A located problem in one expression: `line`/`col` are 0-based offsets into its text."""

    def __init__(self, code: str, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.col = col

    def diagnostic(self, loc: Loc) -> Diagnostic:
        """Place the error inside the bank file.

        `loc` is where the expression's text starts. On its first line the column is exact
        for plain scalars; for quoted scalars (escapes) and block scalars (continuation
        lines, whose indentation the YAML parser strips) it is approximate.
        """
        if self.line == 0:
            where = Loc(loc.path, loc.line, loc.col + self.col)
        else:
            where = Loc(loc.path, loc.line + self.line, loc.col + self.col)
        return Diagnostic(where, self.code, self.message)


def _node_error(code: str, message: str, node: ast.AST | None, text: str) -> ExprError:
    """An ExprError at `node`, converting ast's UTF-8 byte column to a character column."""
    if node is None or not hasattr(node, "lineno"):
        return ExprError(code, message)
    line = node.lineno - 1
    lines = text.split("\n")
    raw = lines[line] if line < len(lines) else ""
    col = len(raw.encode("utf-8")[: node.col_offset].decode("utf-8", errors="ignore"))
    if line == 0:  # `parse` put one "(" in front of the author's text
        col = max(col - 1, 0)
    return ExprError(code, message, line, col)


# ----------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Seq:
    """A list or tuple literal (or `shape(...)`): compared elementwise, never computed with."""

    items: tuple
    paren: bool = False  # written `( )` rather than `[ ]`; only matters for display


Value = Union[sp.Expr, sp.ImmutableMatrix, sp.ImmutableDenseNDimArray, Seq]


@dataclass(frozen=True)
class Compare:
    """One comparison of a claim; the texts are the operands as the author wrote them."""

    op: str  # "==", "!=", "<", "<=", ">", ">="
    left: Value
    right: Value
    left_text: str
    right_text: str
    right_is_literal: bool = False


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


Claim = Union[Compare, BoolOp, Not]


def is_array(v: object) -> bool:
    return isinstance(v, (sp.MatrixBase, sp.NDimArray))


def lshape(v: object) -> tuple[int, ...]:
    """The shape as the maths reads it: a column vector `x[8]` is (8,), a scalar is ()."""
    if isinstance(v, sp.MatrixBase):
        rows, cols = v.shape
        return (rows,) if cols == 1 else (rows, cols)
    if isinstance(v, sp.NDimArray):
        return tuple(v.shape)
    if isinstance(v, Seq):
        inner = {lshape(i) for i in v.items}
        return (len(v.items),) + (inner.pop() if len(inner) == 1 else ())
    return ()


def entries(v: object) -> list:
    """Entries in row-major order (the scalar itself for a scalar)."""
    if isinstance(v, sp.MatrixBase):
        return list(v)
    if isinstance(v, sp.NDimArray):
        return list(sp.flatten(v.tolist())) if v.rank() else [v[()]]
    if isinstance(v, Seq):
        out: list = []
        for i in v.items:
            out.extend(entries(i))
        return out
    return [v]


def from_entries(shape: tuple[int, ...], items: list) -> Value:
    """Build the value of a logical shape: scalar, column vector, matrix or N-d array."""
    if not shape:
        return items[0]
    if len(shape) == 1:
        return sp.ImmutableMatrix(shape[0], 1, items)
    if len(shape) == 2:
        return sp.ImmutableMatrix(shape[0], shape[1], items)
    return sp.ImmutableDenseNDimArray(items, shape)


def map_value(v: object, fn: Callable[[sp.Expr], sp.Expr]) -> object:
    """Apply `fn` to every scalar inside a value or claim, keeping its structure."""
    if isinstance(v, sp.MatrixBase):
        return v.applyfunc(fn)
    if isinstance(v, sp.NDimArray):
        return v.applyfunc(fn)
    if isinstance(v, Seq):
        return Seq(tuple(map_value(i, fn) for i in v.items), v.paren)
    if isinstance(v, Compare):
        return Compare(v.op, map_value(v.left, fn), map_value(v.right, fn), v.left_text, v.right_text, v.right_is_literal)
    if isinstance(v, BoolOp):
        return BoolOp(v.op, tuple(map_value(i, fn) for i in v.items))
    if isinstance(v, Not):
        return Not(map_value(v.item, fn))
    return fn(v)


# ----------------------------------------------------------------------------- safety


_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.Call,
    ast.Name,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.Subscript,
    ast.Load,
)
_ALLOWED_OPS = (
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.MatMult,
    ast.USub, ast.UAdd, ast.Not, ast.And, ast.Or,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
)  # fmt: skip

_WHY_NOT = {
    ast.Attribute: "attribute access (`.{attr}`) is not allowed",
    ast.Lambda: "lambda expressions are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.Starred: "starred (`*`) arguments are not allowed",
    ast.NamedExpr: "assignment expressions (`:=`) are not allowed",
    ast.IfExp: "conditional expressions (`a if c else b`) are not allowed",
    ast.Dict: "dictionaries are not allowed",
    ast.Set: "sets are not allowed",
    ast.Slice: "slices are not allowed; index one entry, e.g. `x[2]`",
    ast.Await: "`await` is not allowed",
    ast.Yield: "`yield` is not allowed",
    ast.YieldFrom: "`yield` is not allowed",
    ast.BitXor: "`^` is not a power here; write `**`",
    ast.FloorDiv: "`//` is not allowed; write `/`",
    ast.Mod: "`%` is not allowed",
    ast.Is: "`is` is not allowed; compare with `==`",
    ast.IsNot: "`is not` is not allowed; compare with `!=`",
    ast.In: "`in` is not allowed",
    ast.NotIn: "`not in` is not allowed",
}


def parse(text: str) -> tuple[ast.Expression, str]:
    """Parse one expression and check every node against the allow-list.

    Nothing is evaluated: `ast.parse` only builds a tree, and the walk below rejects every
    node type that is not plain arithmetic on names, numbers, calls and indexing. The text
    is wrapped in parentheses so that a YAML block scalar may span lines (positions are
    mapped back by `_node_error`). Returns the tree and the source it was parsed from.
    """
    if len(text) > MAX_TEXT_CHARS:
        raise ExprError("X101", f"expression is too long ({len(text)} characters, at most {MAX_TEXT_CHARS})")
    if "\x00" in text:
        raise ExprError("X101", "expression contains a NUL character")
    if not text.strip():
        raise ExprError("X101", "expression is empty")
    if not text.isascii():
        _refuse_normalised_names(text)
    src = "(" + text + "\n)"
    try:
        with warnings.catch_warnings():  # `1and x` parses with a SyntaxWarning printed to stderr
            warnings.simplefilter("ignore")
            tree = ast.parse(src, mode="eval")
    except SyntaxError as e:
        line = max((e.lineno or 1) - 1, 0)
        col = max((e.offset or 1) - 1 - (line == 0), 0)
        lines = text.split("\n")
        if line >= len(lines):  # at the ")" we added: the text ended too early
            line, col = len(lines) - 1, len(lines[-1])
        msg = (e.msg or "invalid syntax").split(" (")[0]
        raise ExprError("X101", f"cannot parse expression: {msg}{_syntax_hint(text, msg)}", line, col) from None
    except (MemoryError, RecursionError, ValueError):
        raise ExprError("X101", "expression is nested too deeply") from None
    try:
        _validate(tree, src, 0)
    except RecursionError:  # pragma: no cover - MAX_CHAIN keeps the walk far from the limit
        raise ExprError("X101", "expression is nested too deeply") from None
    return tree, src


_IMPLICIT = re.compile(r"(\d[\d.]*)\s*([A-Za-z_(])")


def _syntax_hint(text: str, msg: str) -> str:
    """A one-line fix for the syntax slips authors make most (maths habits, not Python)."""
    for ch, fix in CHAR_HINTS.items():
        if ch in text:
            return f"; `{ch}`: {fix}"
    if "decimal literal" in msg or "imaginary literal" in msg or "forgot a comma" in msg:
        m = _IMPLICIT.search(text)
        if m:
            return f"; a product needs `*`: write `{m.group(1)}*{m.group(2)}…`, not `{m.group(0)}…`"
        return "; a product needs `*` between its factors (e.g. `2*x`, `x*y`)"
    return ""


_PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.MatMult: 2, ast.Mod: 2, ast.FloorDiv: 2}


def _refuse_normalised_names(text: str) -> None:
    """Python reads identifiers in NFKC form, so the full-width `ｘ` would silently be the
    name `x` (and `ﬁ` would be `fi`): a character that normalisation changes is refused
    where it is written. Names are ASCII; `π`, `é` and the like are refused after parsing."""
    import unicodedata

    for i, ch in enumerate(text):
        if not ch.isascii() and ("a" + ch).isidentifier() and unicodedata.normalize("NFKC", ch) != ch:
            line = text.count("\n", 0, i)
            col = i - (text.rfind("\n", 0, i) + 1)
            plain = unicodedata.normalize("NFKC", ch)
            raise ExprError("X102", f"`{ch}` (U+{ord(ch):04X}) is not allowed: names are ASCII letters, digits and "
                            f"`_`; type `{plain}` instead", line, col)


def _validate(node: ast.AST, text: str, depth: int, path: int = 0) -> None:
    """`depth` is nesting as a reader sees it: the left operand of `+`/`-` (or `*`/`/`)
    under the same operator class is not a level deeper, so `1+1+…+1` with 70 terms is
    flat; `path` counts every node, since building recurses once per node."""
    if depth > MAX_DEPTH:
        raise _node_error("X101", f"expression is nested too deeply (more than {MAX_DEPTH} levels of brackets, "
                          "calls or powers): split it with `define`", node, text)
    if path > MAX_CHAIN:
        raise _node_error("X101", f"expression is too long a chain (more than {MAX_CHAIN} operations in a row): "
                          "split it with `define`", node, text)
    kind = type(node)
    if isinstance(node, ast.Attribute):
        _validate(node.value, text, depth + 1)  # report the leftmost problem first
        err = _node_error("X102", _WHY_NOT[ast.Attribute].format(attr=node.attr), node, text)
        if node.end_lineno == node.lineno and node.end_col_offset is not None:
            # point at the `.attr` rather than at the start of what it is taken from
            err.col += max(node.end_col_offset - node.col_offset - len(node.attr) - 1, 0)
        raise err
    if kind in _WHY_NOT:
        msg = _WHY_NOT[kind].format(attr=getattr(node, "attr", ""))
        raise _node_error("X102", msg, node, text)
    if not isinstance(node, _ALLOWED_NODES + _ALLOWED_OPS):
        raise _node_error("X102", f"`{kind.__name__}` is not allowed in a check expression", node, text)
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise _node_error("X102", f"names starting with `_` are not allowed (`{node.id}`)", node, text)
        if not NAME_RE.match(node.id):
            fixes = [f"`{c}`: {CHAR_HINTS[c]}" for c in dict.fromkeys(node.id) if c in CHAR_HINTS]
            fix = "; " + "; ".join(fixes) if fixes else ""
            raise _node_error("X102", f"`{node.id}` is not allowed: names are ASCII letters, digits and `_`{fix}", node, text)
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, (str, bytes)):
            raise _node_error("X102", "strings are not allowed", node, text)
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise _node_error("X102", f"`{value!r}` is not allowed", node, text)
        if isinstance(value, complex):
            raise _node_error("X102", "complex literals are not allowed", node, text)
        if not isinstance(value, (int, float)):  # pragma: no cover - no other literal kinds
            raise _node_error("X102", "this literal is not allowed", node, text)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            _validate(node.func, text, depth + 1)  # report `(lambda: …)()`, `a.b()` as such
            if isinstance(node.func, (ast.Constant, ast.BinOp, ast.Subscript)) or (
                isinstance(node.func, ast.Call) and not node.keywords
            ):
                seg = (ast.get_source_segment(text, node.func) or "…").strip()
                raise _node_error("X102", f"`{seg}(…)` is not a call: write `{seg}*(…)` for a product", node.func, text)
            raise _node_error("X102", "only functions called by name can be called, e.g. `exp(x)`", node.func, text)
        if node.keywords:
            kw = node.keywords[0]
            raise _node_error("X102", "keyword arguments are not allowed", kw if hasattr(kw, "lineno") else node, text)
    elif isinstance(node, ast.Subscript):
        if not isinstance(node.value, ast.Name):
            _validate(node.value, text, depth + 1)  # report the leftmost problem first
            raise _node_error("X102", "only a declared array name can be indexed, e.g. `W[1,2]`", node, text)
        indices = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for index in indices:
            if not (isinstance(index, ast.Constant) and type(index.value) is int):
                raise _node_error("X102", "an index must be a whole number written out, e.g. `W[1,2]`", index, text)
    elif isinstance(node, (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare)):
        # Operator nodes carry no position of their own: report them at their expression.
        ops = node.ops if isinstance(node, ast.Compare) else [node.op]
        for op in ops:
            if type(op) in _WHY_NOT:
                raise _node_error("X102", _WHY_NOT[type(op)], node, text)
            if not isinstance(op, _ALLOWED_OPS):
                raise _node_error("X102", f"operator `{type(op).__name__}` is not allowed", node, text)
    chain = _PRECEDENCE.get(type(node.op)) if isinstance(node, ast.BinOp) else None
    for child in ast.iter_child_nodes(node):
        same = (chain is not None and child is node.left and isinstance(child, ast.BinOp)
                and _PRECEDENCE.get(type(child.op)) == chain)
        _validate(child, text, depth if same else depth + 1, path + 1)


# ----------------------------------------------------------------------------- scope

FUNCTION_NAMES = (
    "diff", "jacobian", "integrate", "limit", "Sum", "shape", "transpose", "det", "trace", "dot",
    "sigmoid", "exp", "log", "ln", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan",
    "tanh", "sinh", "cosh", "abs", "Abs", "min", "max", "floor", "ceiling", "round",
    "factorial", "binomial", "sum", "mean", "variance", "sd",
    "pnorm", "qnorm", "dnorm", "pt", "qt", "pchisq", "qchisq", "pf", "qf", "dbinom", "pbinom",
)  # fmt: skip
CONSTANTS = {"pi": sp.pi, "E": sp.E, "oo": sp.oo}
RESERVED = frozenset(FUNCTION_NAMES) | {"and", "or", "not"}
"""Names a declaration may not take. A declared name may shadow a constant (a matrix `E`):
the check then means the author's `E`, and Euler's number is still `exp(1)`."""

_UNARY = {
    "exp": sp.exp, "sqrt": sp.sqrt, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "tanh": sp.tanh, "sinh": sp.sinh, "cosh": sp.cosh, "abs": sp.Abs, "Abs": sp.Abs,
    "ln": sp.log, "asin": sp.asin, "acos": sp.acos, "atan": sp.atan,
    "floor": sp.floor, "ceiling": sp.ceiling,
}  # fmt: skip

MAX_FACTORIAL = 1000  # n in factorial(n) / binomial(n, k) for a numeric n
MAX_LIST_SUM = 10_000  # terms of Sum(f, k, a, b) with numeric bounds, entries of a list

# What an author probably meant by a name or character the language does not have.
NAME_HINTS = {
    "e": "Euler's number is `E`, and e**x is written `exp(x)`",
    "inf": "infinity is `oo`",
    "infinity": "infinity is `oo`",
    "Pi": "write `pi`",
    "PI": "write `pi`",
    "ceil": "write `ceiling(x)`",
    "arcsin": "write `asin(x)`",
    "arccos": "write `acos(x)`",
    "arctan": "write `atan(x)`",
    "var": "write `variance(x)` (the sample variance)",
    "std": "write `sd(x)` (the sample standard deviation)",
    "choose": "write `binomial(n, k)`",
    "Integral": "write `integrate(f, x)` or `integrate(f, x, a, b)`",
    "Limit": "write `limit(f, x, a)`",
}
CHAR_HINTS = {
    "π": "write `pi`",
    "√": "write `sqrt(x)`",
    "×": "write `*` for a product",
    "·": "write `*` for a product",
    "⋅": "write `*` for a product",
    "−": "write `-` (ASCII minus)",
    "²": "write `**2` for a square",
    "³": "write `**3` for a cube",
    "∞": "infinity is `oo`",
    "÷": "write `/`",
    "≤": "write `<=`",
    "≥": "write `>=`",
    "≠": "write `!=`",
}


def sigmoid(x: sp.Expr) -> sp.Expr:
    """σ(x) = 1/(1 + e^(−x)), built from exp so that sympy can differentiate and solve it."""
    return 1 / (1 + sp.exp(-x))


@dataclass
class Define:
    name: str
    index: int
    text: str
    loc: Loc
    placeholder: sp.Symbol | None  # scalar defines: stands for the name until expanded
    shallow: object  # value in terms of earlier defines' placeholders
    full: object  # value with every define expanded


class Scope:
    """The names one check block declares, and the builder of its expressions.

    Scalar defines are kept as placeholder symbols inside built expressions and expanded
    on demand (`full`), so that `diff(f, z)` can hold `z` fixed as an independent variable
    while expanding everything else; array defines are expanded eagerly.
    """

    def __init__(self, check: Check) -> None:
        self.check = check
        self.errors: list[Diagnostic] = []
        self.symbols: dict[str, object] = {}  # name → Symbol or array of Symbols
        self.leaf_symbols: list[sp.Symbol] = []  # declared order, array entries row-major
        self.functions: dict[str, sp.FunctionClass] = {}
        self.defines: dict[str, Define] = {}
        self._full_map: dict[sp.Symbol, sp.Expr] = {}
        self._declare()

    # -- declarations ----------------------------------------------------------------
    def _bad_name(self, name: str, what: str) -> str | None:
        if not NAME_RE.match(name) or name.startswith("_"):
            return f"{what} `{name}` is not a valid name (ASCII letters, digits and `_`, starting with a letter)"
        if name in RESERVED or (what == "function" and name in CONSTANTS):
            return f"{what} `{name}` is a built-in name; choose another"
        if name in self.symbols or name in self.functions or name in self.defines:
            return f"{what} `{name}` is declared twice"
        return None

    def _declare(self) -> None:
        check = self.check
        assumed = dict(check.assumptions)
        for name, shape in check.symbols:
            problem = self._bad_name(name, "symbol")
            kwargs = {"real": True}
            if problem is None and name in assumed:
                from . import assume

                unknown = [w for w in assumed[name] if w not in assume.ASSUMPTIONS]
                if unknown:
                    problem = f"symbol `{name}`: unknown assumption `{unknown[0]}` (use {', '.join(assume.ASSUMPTIONS)})"
                else:
                    kwargs = assume.flags(assumed[name])
                    try:
                        sp.Symbol(name, **kwargs)
                    except Exception:  # sympy's InconsistentAssumptions
                        problem = f"symbol `{name}`: the assumptions {' '.join(assumed[name])} contradict each other"
            size = 1
            for n in shape:
                size *= n if isinstance(n, int) and n > 0 else 0
            if problem is None and (size == 0 or size > MAX_ARRAY_ENTRIES):
                problem = f"symbol `{name}` has an unusable shape {list(shape)}"
            if problem:
                self.errors.append(Diagnostic(check.loc, "X108", problem))
                continue
            if not shape:
                sym = sp.Symbol(name, **kwargs)
                self.symbols[name] = sym
                self.leaf_symbols.append(sym)
                continue
            items = []
            for idx in _indices(tuple(shape)):
                sym = sp.Symbol(f"{name}[{','.join(str(i + 1) for i in idx)}]", **kwargs)
                items.append(sym)
            self.leaf_symbols.extend(items)
            self.symbols[name] = from_entries(tuple(shape), items)
        for name in check.functions:
            problem = self._bad_name(name, "function")
            if problem:
                self.errors.append(Diagnostic(check.loc, "X108", problem))
                continue
            self.functions[name] = sp.Function(name, real=True)
        for index, (name, text, loc) in enumerate(check.define):
            problem = self._bad_name(name, "defined name")
            if problem:
                self.errors.append(Diagnostic(loc, "X108", problem))
                continue
            try:
                value = self.build(text)
            except ExprError as e:
                self.errors.append(e.diagnostic(loc))
                continue
            if isinstance(value, Seq):
                if value.paren:
                    self.errors.append(Diagnostic(loc, "X105", f"`{name}` must be a scalar, a list `[…]` or an array expression, not a tuple"))
                    continue
                try:
                    value = seq_to_array(value, lambda m: ExprError("X107", m))
                except ExprError as e:
                    self.errors.append(e.diagnostic(loc))
                    continue
            if is_array(value):
                full = self.full(value)
                self.defines[name] = Define(name, index, text, loc, None, full, full)
            else:
                ph = sp.Symbol(name, real=True)
                full = self.full(value)
                self.defines[name] = Define(name, index, text, loc, ph, value, full)
                self._full_map[ph] = full

    # -- expansion -------------------------------------------------------------------
    def full(self, value: object) -> object:
        """Expand every scalar define (their full values contain no placeholders)."""
        mapping = self._full_map
        if not mapping:
            return value

        def fn(e: sp.Expr) -> sp.Expr:
            return subst(e, mapping) if e.free_symbols & mapping.keys() else e

        return map_value(value, fn)

    def full_except(self, expr: sp.Expr, keep: Define) -> sp.Expr:
        """Expand every scalar define but `keep`, which stays an independent variable."""
        partial: dict[sp.Symbol, sp.Expr] = {}
        for d in self.defines.values():
            if d.placeholder is None or d is keep:
                continue
            partial[d.placeholder] = subst(d.shallow, partial)
        return subst(expr, partial)

    def define_of(self, sym: sp.Symbol) -> Define | None:
        for d in self.defines.values():
            if d.placeholder == sym:
                return d
        return None

    # -- building --------------------------------------------------------------------
    def build(self, text: str, *, claim: bool = False) -> object:
        """Parse and build one expression (a claim if `claim`); raises ExprError."""
        tree, src = parse(text)
        return _Builder(self, src, claim).top(tree.body)

    def build_tree(self, tree: ast.Expression, src: str) -> object:
        """Build a tree `parse` returned (with the source it returned)."""
        return _Builder(self, src, False).top(tree.body)

    def suggest(self, name: str, *, function: bool = False) -> str:
        """`; did you mean `a` or `b`?` — the closest allowed names of the same kind
        (functions for a call, values otherwise), and a one-line fix for common slips."""
        if function:
            known = list(self.functions) + list(FUNCTION_NAMES)
        else:
            known = list(self.symbols) + list(self.defines) + [c for c in CONSTANTS if c not in self.symbols]
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        if not close:
            lowered = {k.lower(): k for k in known}
            close = [lowered[name.lower()]] if name.lower() in lowered else []
        hint = NAME_HINTS.get(name)
        parts = []
        if close:
            names = [f"`{c}`" for c in close]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
            parts.append(f"did you mean {listed}?")
        if hint:
            parts.append(hint)
        if function and not close and not hint:
            parts.append("the functions a check may call are listed in the README (\"The expression language\")")
        return "".join(f"; {p}" for p in parts)


def _indices(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = [()]
    for n in shape:
        out = [idx + (i,) for idx in out for i in range(n)]
    return out


# ----------------------------------------------------------------------------- builder

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.MatMult: "@"}
_CMPOPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


class _Builder:
    def __init__(self, scope: Scope, text: str, claim: bool) -> None:
        self.scope = scope
        self.text = text
        self.claim = claim

    def err(self, code: str, message: str, node: ast.AST | None) -> ExprError:
        return _node_error(code, message, node, self.text)

    def source(self, node: ast.AST) -> str:
        return (ast.get_source_segment(self.text, node) or "").replace("\n", " ").strip()

    # -- entry points ------------------------------------------------------------------
    def top(self, node: ast.AST) -> object:
        if self.claim:
            return self.boolean(node)
        if isinstance(node, (ast.Compare, ast.BoolOp)) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
            raise self.err("X105", "a comparison is only allowed in a `claim`, not in a value", node)
        return self.value(node)

    def boolean(self, node: ast.AST) -> Claim:
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return BoolOp(op, tuple(self.boolean(v) for v in node.values))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return Not(self.boolean(node.operand))
        if isinstance(node, ast.Compare):
            parts = []
            left_node = node.left
            left = self.value(left_node)
            for op, right_node in zip(node.ops, node.comparators):
                right = self.value(right_node)
                symbol = _CMPOPS[type(op)]
                if symbol not in ("==", "!=") and not (_scalar(left) and _scalar(right)):
                    raise self.err("X107", f"`{symbol}` compares numbers, not arrays or lists", node)
                literal = isinstance(right_node, ast.Constant) or (
                    isinstance(right_node, ast.UnaryOp) and isinstance(right_node.operand, ast.Constant)
                )
                parts.append(Compare(symbol, left, right, self.source(left_node), self.source(right_node), literal))
                left, left_node = right, right_node
            return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))
        raise self.err("X105", "a claim must be a comparison such as `diff(C, w) > 0` (or several joined by and/or/not)", node)

    # -- values --------------------------------------------------------------------------
    def value(self, node: ast.AST) -> Value:
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                raise self.err("X105", "`not` is only allowed in a claim", node)
            operand = self.vector(self.value(node.operand), node.operand)
            self.no_seq(operand, node)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = tuple(self.value(e) for e in node.elts)
            if len({lshape(i) for i in items}) > 1:
                raise self.err("X107", "the items of a list must all have the same shape", node)
            return Seq(items, isinstance(node, ast.Tuple))
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, (ast.Compare, ast.BoolOp)):
            raise self.err("X105", "a comparison is only allowed in a `claim`, not inside a value", node)
        raise self.err("X102", f"`{type(node).__name__}` is not allowed", node)  # pragma: no cover

    def number(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, int):
            if value.bit_length() > MAX_LITERAL_DIGITS * 3.33:
                raise self.err("X106", f"number literal is too large (more than {MAX_LITERAL_DIGITS} digits)", node)
            return sp.Integer(value)
        literal = (ast.get_source_segment(self.text, node) or repr(value)).replace("_", "")
        if not NUMBER_RE.match(literal):
            literal = repr(value)
        mantissa, _, exponent = literal.lower().partition("e")
        if len(mantissa.replace(".", "").lstrip("0")) > MAX_LITERAL_DIGITS or (
            exponent and abs(int(exponent)) > MAX_LITERAL_EXPONENT
        ):
            raise self.err("X106", "number literal is too large or too precise", node)
        frac = Fraction(literal)  # exact: `0.1` is 1/10, not the binary float near it
        return sp.Rational(frac.numerator, frac.denominator)

    def name(self, node: ast.Name) -> Value:
        scope, name = self.scope, node.id
        if name in scope.symbols:
            return scope.symbols[name]
        if name in scope.defines:
            d = scope.defines[name]
            return d.placeholder if d.placeholder is not None else d.full
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in scope.functions or name in FUNCTION_NAMES:
            raise self.err("X105", f"`{name}` is a function: call it, e.g. `{name}(x)`", node)
        later = [n for n, _, _ in scope.check.define if n == name]
        hint = " (a define can only use names defined above it)" if later else scope.suggest(name)
        raise self.err("X103", f"unknown name `{name}`: declare it under `symbols:` or `define:`{hint}", node)

    def no_seq(self, v: object, node: ast.AST) -> None:
        if isinstance(v, Seq):
            raise self.err("X105", "a list or tuple can only be compared, not computed with", node)

    def scalar(self, v: object, node: ast.AST, what: str) -> sp.Expr:
        if not _scalar(v):
            raise self.err("X107", f"{what} needs a scalar, but this has shape {lshape(v)}", node)
        return v

    def binop(self, node: ast.BinOp) -> Value:
        left = self.vector(self.value(node.left), node.left)
        right = self.vector(self.value(node.right), node.right)
        self.no_seq(left, node.left)
        self.no_seq(right, node.right)
        op = _BINOPS[type(node.op)]
        la, ra = is_array(left), is_array(right)
        if _is_list(left) and (
            (op in ("*", "/") and _is_list(right) and left.shape == right.shape) or (op in ("+", "-", "**") and not ra)
        ):
            # lists of equal length, or a list and a number: entry by entry, as statistics
            # formulas mean it (`(x - mean(x))**2`, `x*y`)
            return self.elementwise(op, left, right, node)
        if _is_list(right) and not la and op in ("+", "-"):
            return self.elementwise(op, sp.ImmutableMatrix(right.shape[0], 1, [left] * right.shape[0]), right, node)
        try:
            if op in "+-":
                if la != ra or (la and left.shape != right.shape):
                    raise self.err("X107", f"`{op}` needs operands of the same shape, not {lshape(left)} and {lshape(right)}", node)
                return left + right if op == "+" else left - right
            if op in ("*", "@"):
                if la and ra:
                    if not (isinstance(left, sp.MatrixBase) and isinstance(right, sp.MatrixBase)) or left.shape[1] != right.shape[0]:
                        raise self.err(
                            "X107",
                            f"matrix product of shapes {tuple(left.shape)} and {tuple(right.shape)} does not fit",
                            node,
                        )
                    return left * right
                if op == "@":
                    raise self.err("X107", "`@` is the matrix product; use `*` for scalars", node)
                return left * right
            if op == "/":
                self.scalar(right, node.right, "division")
                return left / right
            # power
            if la:
                if not (isinstance(left, sp.MatrixBase) and left.is_square and isinstance(right, sp.Integer)):
                    raise self.err("X107", "only a square matrix can be raised to a whole-number power", node)
            else:
                self.scalar(right, node.right, "an exponent")
            guard_power(left if not la else sp.Symbol("M"), right, lambda m: self.err("X106", m, node))
            return left**right
        except ExprError:
            raise
        except (sp.ShapeError, ValueError, TypeError) as e:
            raise self.err("X107", f"cannot compute `{op}` here: {e}", node) from None

    def elementwise(self, op: str, left: sp.MatrixBase, right: object, node: ast.AST) -> Value:
        rights = list(right) if is_array(right) else [right] * left.shape[0]
        out = []
        for a, b in zip(list(left), rights):
            if op in ("+", "-"):
                out.append(a + b if op == "+" else a - b)
            elif op == "*":
                out.append(a * b)
            elif op == "/":
                out.append(a / b)
            else:
                guard_power(a, b, lambda m: self.err("X106", m, node))
                out.append(a**b)
        return sp.ImmutableMatrix(left.shape[0], 1, out)

    def subscript(self, node: ast.Subscript) -> Value:
        base = self.value(node.value)
        indices = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        idx = [i.value for i in indices]  # validated: plain int literals
        if not is_array(base):
            raise self.err("X107", f"`{node.value.id}` is not an array, so it cannot be indexed", node)
        shape = lshape(base)
        if isinstance(base, sp.MatrixBase) and base.shape[1] == 1 and len(idx) == 2 and idx[1] == 1:
            idx = idx[:1]
        if len(idx) != len(shape):
            raise self.err("X107", f"`{node.value.id}` has shape {shape}: give {len(shape)} index(es)", node)
        for i, n in zip(idx, shape):
            if not 1 <= i <= n:
                raise self.err("X107", f"index {i} is out of range 1..{n} (indices count from 1, like the maths)", node)
        flat = 0
        for i, n in zip(idx, shape):
            flat = flat * n + (i - 1)
        return entries(base)[flat]

    # -- calls ---------------------------------------------------------------------------
    def call(self, node: ast.Call) -> Value:
        name = node.func.id
        scope = self.scope
        args = node.args
        if name in scope.functions:
            built = [self.scalar(self.value(a), a, f"`{name}(…)`") for a in args]
            if not built:
                raise self.err("X105", f"`{name}` needs at least one argument", node)
            return scope.functions[name](*built)
        if name not in FUNCTION_NAMES:
            if name in scope.symbols or name in scope.defines:
                raise self.err(
                    "X104",
                    f"`{name}` is not a function; for a product write `{name}*(…)`, or declare `{name}` under `functions:` to call it",
                    node.func,
                )
            raise self.err("X104", f"unknown function `{name}`{scope.suggest(name, function=True)}", node.func)
        if name in numfuncs.DISTRIBUTIONS:
            return self.distribution(node)
        handler = getattr(self, f"call_{name}", None) or getattr(self, f"call_{name.lower()}", None)
        if handler is not None:
            return handler(node)
        func = _UNARY[name]
        self.arity(node, 1, 1)
        return func(self.scalar(self.value(args[0]), args[0], f"`{name}`"))

    def arity(self, node: ast.Call, low: int, high: int | None) -> None:
        n = len(node.args)
        if n < low or (high is not None and n > high):
            want = str(low) if low == high else (f"{low} or more" if high is None else f"{low} to {high}")
            raise self.err("X105", f"`{node.func.id}` takes {want} argument(s), not {n}", node)

    def call_sigmoid(self, node: ast.Call) -> sp.Expr:
        self.arity(node, 1, 1)
        return sigmoid(self.scalar(self.value(node.args[0]), node.args[0], "`sigmoid`"))

    def call_log(self, node: ast.Call) -> sp.Expr:
        self.arity(node, 1, 2)
        args = [self.scalar(self.value(a), a, "`log`") for a in node.args]
        return sp.log(*args)

    def call_min(self, node: ast.Call) -> sp.Expr:
        self.arity(node, 2, None)
        return sp.Min(*[self.scalar(self.value(a), a, "`min`") for a in node.args])

    def call_max(self, node: ast.Call) -> sp.Expr:
        self.arity(node, 2, None)
        return sp.Max(*[self.scalar(self.value(a), a, "`max`") for a in node.args])

    def call_shape(self, node: ast.Call) -> Seq:
        self.arity(node, 1, 1)
        v = self.value(node.args[0])
        return Seq(tuple(sp.Integer(n) for n in lshape(v)), paren=True)

    def call_transpose(self, node: ast.Call) -> Value:
        self.arity(node, 1, 1)
        v = self.value(node.args[0])
        self.no_seq(v, node.args[0])
        if isinstance(v, sp.MatrixBase):
            return v.T
        if isinstance(v, sp.NDimArray):
            return sp.permutedims(v, list(reversed(range(v.rank()))))
        return v

    def call_diff(self, node: ast.Call) -> Value:
        """diff(expr, v1, v2, …): v may be a symbol, an array entry or a defined name.

        A defined name is held as an independent variable (every other define is
        expanded, that one is not), which is what ∂f/∂z means when f is written in z.
        """
        self.arity(node, 2, None)
        scope = self.scope
        expr = self.value(node.args[0])
        self.no_seq(expr, node.args[0])
        seen_leaf = False
        for var_node in node.args[1:]:
            if not isinstance(var_node, (ast.Name, ast.Subscript)):
                raise self.err("X105", "differentiate by a symbol, an array entry or a defined name", var_node)
            var = self.value(var_node)
            define = scope.define_of(var) if isinstance(var, sp.Symbol) else None
            if define is not None:
                if seen_leaf:
                    raise self.err("X105", "list defined names before symbols in `diff(…)`: it holds them fixed only before expanding", var_node)
                expr = _map_array(expr, lambda e: sp.diff(scope.full_except(e, define), var))
                continue
            if is_array(var):
                raise self.err("X105", f"`{self.source(var_node)}` is an array; use `jacobian(…, {self.source(var_node)})`", var_node)
            if not (isinstance(var, sp.Symbol) and var in scope.leaf_symbols):
                raise self.err("X105", "differentiate by a symbol, an array entry or a defined name", var_node)
            seen_leaf = True
            expr = _map_array(scope.full(expr), lambda e: sp.diff(e, var))
        return scope.full(expr)

    def call_jacobian(self, node: ast.Call) -> Value:
        """jacobian(z, W): ∂zᵢ/∂Wⱼₖ for every entry, shape squeeze(z) + shape(W)."""
        self.arity(node, 2, 2)
        scope = self.scope
        z = scope.full(self.value(node.args[0]))
        w = self.value(node.args[1])
        if isinstance(z, Seq):
            raise self.err("X105", "jacobian of a list: write it as an array expression", node.args[0])
        ws = entries(w)
        if not all(isinstance(s, sp.Symbol) and s in scope.leaf_symbols for s in ws):
            raise self.err("X105", "the second argument of `jacobian` must be declared symbols (e.g. an array `W`)", node.args[1])
        shape = lshape(z) + lshape(w)
        size = 1
        for n in shape:
            size *= n
        if size > MAX_ARRAY_ENTRIES:
            raise self.err("X106", f"jacobian would have {size} entries (at most {MAX_ARRAY_ENTRIES})", node)
        items = [sp.diff(zi, wj) for zi in entries(z) for wj in ws]
        return from_entries(shape, items)


    # -- added functions: calculus, linear algebra, lists, rounding, statistics ----------
    def variable(self, node: ast.AST, what: str) -> sp.Symbol:
        """A declared scalar symbol to integrate, sum or take a limit over."""
        var = self.value(node) if isinstance(node, (ast.Name, ast.Subscript)) else None
        if not (isinstance(var, sp.Symbol) and var in self.scope.leaf_symbols):
            raise self.err("X105", f"{what} runs over a declared symbol, e.g. `x`", node)
        return var

    def full_scalar(self, node: ast.AST, what: str) -> sp.Expr:
        return self.scope.full(self.scalar(self.vector(self.value(node), node), node, what))

    def call_integrate(self, node: ast.Call) -> sp.Expr:
        """integrate(f, x) (an antiderivative) or integrate(f, x, a, b) (definite)."""
        self.arity(node, 2, 4)
        if len(node.args) == 3:
            raise self.err("X105", "`integrate` takes (f, x) or (f, x, a, b)", node)
        f = self.full_scalar(node.args[0], "`integrate`")
        x = self.variable(node.args[1], "`integrate`")
        if len(node.args) == 2:
            return sp.integrate(f, x)
        a, b = (self.full_scalar(n, "a bound of `integrate`") for n in node.args[2:])
        return sp.integrate(f, (x, a, b))

    def call_limit(self, node: ast.Call) -> sp.Expr:
        """limit(f, x, a), two-sided; limit(f, x, a, right) or (…, left) for one side.

        A two-sided limit whose sides differ does not exist: its value is `nan`, which a
        "does not exist" choice recognises and any other use reports as undefined.
        """
        self.arity(node, 3, 4)
        f = self.full_scalar(node.args[0], "`limit`")
        x = self.variable(node.args[1], "`limit`")
        a = self.full_scalar(node.args[2], "the point of `limit`")
        direction = "+-"
        if len(node.args) == 4:
            side = node.args[3]
            if not (isinstance(side, ast.Name) and side.id in ("left", "right")):
                raise self.err("X105", "the side of a one-sided limit is `left` or `right`", side)
            direction = "+" if side.id == "right" else "-"
        if a.has(sp.oo, -sp.oo):
            direction = "-" if a == sp.oo else "+"
        try:
            return sp.limit(f, x, a, dir=direction)
        except ValueError:  # the one-sided limits differ
            return sp.nan

    def call_sum(self, node: ast.Call) -> sp.Expr:
        """sum(list) adds the entries; Sum(f, k, a, b) is Σ f for k = a..b."""
        if len(node.args) == 1:
            return sp.Add(*self.items(node.args[0], f"`{node.func.id}`"))
        if len(node.args) != 4:
            raise self.err("X105", f"`{node.func.id}` takes a list, or (f, k, a, b) for Σ f over k = a..b", node)
        f = self.full_scalar(node.args[0], "`Sum`")
        k = self.variable(node.args[1], "`Sum`")
        a, b = (self.full_scalar(n, "a bound of `Sum`") for n in node.args[2:])
        if a.is_Integer and b.is_Integer and int(b) - int(a) > MAX_LIST_SUM:
            raise self.err("X106", f"`Sum` over more than {MAX_LIST_SUM} terms", node)
        return sp.summation(f, (k, a, b))

    call_Sum = call_sum  # noqa: N815 - the check language's name

    def items(self, node: ast.AST, what: str) -> list:
        v = self.value(node)
        if isinstance(v, Seq):
            v = self.vector(v, node)
        if not is_array(v):
            raise self.err("X107", f"{what} needs a list or a vector, e.g. `[2, 4, 9]`", node)
        return [self.scope.full(e) for e in entries(v)]

    def call_mean(self, node: ast.Call) -> sp.Expr:
        self.arity(node, 1, 1)
        xs = self.items(node.args[0], "`mean`")
        return sp.Add(*xs) / len(xs)

    def call_variance(self, node: ast.Call) -> sp.Expr:
        """The sample variance, Σ(x − x̄)²/(n − 1): what statistics courses call s²."""
        self.arity(node, 1, 1)
        xs = self.items(node.args[0], "`variance`")
        if len(xs) < 2:
            raise self.err("X107", "`variance` needs at least two values", node)
        m = sp.Add(*xs) / len(xs)
        return sp.Add(*[(x - m) ** 2 for x in xs]) / (len(xs) - 1)

    def call_sd(self, node: ast.Call) -> sp.Expr:
        return sp.sqrt(self.call_variance(node))

    def square(self, node: ast.AST, what: str) -> sp.ImmutableMatrix:
        v = self.vector(self.value(node), node)
        if not (isinstance(v, sp.MatrixBase) and v.is_square):
            raise self.err("X107", f"{what} needs a square matrix, not shape {lshape(v)}", node)
        return self.scope.full(v)

    def call_det(self, node: ast.Call) -> sp.Expr:
        self.arity(node, 1, 1)
        return self.square(node.args[0], "`det`").det()

    def call_trace(self, node: ast.Call) -> sp.Expr:
        self.arity(node, 1, 1)
        return self.square(node.args[0], "`trace`").trace()

    def call_dot(self, node: ast.Call) -> sp.Expr:
        self.arity(node, 2, 2)
        u, v = (self.vector(self.value(a), a) for a in node.args)
        if not (is_array(u) and is_array(v)) or len(lshape(u)) != 1 or lshape(u) != lshape(v):
            raise self.err("X107", f"`dot` needs two vectors of the same length, not {lshape(u)} and {lshape(v)}", node)
        return sp.Add(*[a * b for a, b in zip(entries(u), entries(v))])

    def whole(self, node: ast.AST, what: str, limit: int) -> sp.Expr:
        """A scalar that, when it is a number, is a whole number no larger than `limit`."""
        v = self.scalar(self.value(node), node, what)
        full = self.scope.full(v)
        if full.is_number:
            if not full.is_Integer or full < 0:
                raise self.err("X107", f"{what} needs a whole number ≥ 0, not {full}", node)
            if full > limit:
                raise self.err("X106", f"{what} of a number above {limit} is too large to compute", node)
        return v

    def call_factorial(self, node: ast.Call) -> sp.Expr:
        self.arity(node, 1, 1)
        return sp.factorial(self.whole(node.args[0], "`factorial`", MAX_FACTORIAL))

    def call_binomial(self, node: ast.Call) -> sp.Expr:
        self.arity(node, 2, 2)
        n = self.whole(node.args[0], "`binomial`", MAX_FACTORIAL)
        k = self.whole(node.args[1], "`binomial`", MAX_FACTORIAL)
        return sp.binomial(n, k)

    def call_round(self, node: ast.Call) -> sp.Expr:
        """round(x, n): x to n decimals (half away from zero), exact once x is a number."""
        self.arity(node, 2, 2)
        x = self.scalar(self.value(node.args[0]), node.args[0], "`round`")
        n = self.scope.full(self.value(node.args[1]))
        if not (isinstance(n, sp.Integer) and 0 <= n <= numfuncs.MAX_ROUND_DECIMALS):
            raise self.err("X105", f"`round(x, n)` needs a whole number of decimals n from 0 to {numfuncs.MAX_ROUND_DECIMALS}", node.args[1])
        return numfuncs.Round(x, n)

    def distribution(self, node: ast.Call) -> sp.Expr:
        cls = numfuncs.DISTRIBUTIONS[node.func.id]
        counts = sorted(cls.nargs)
        if len(node.args) not in counts:
            want = " or ".join(str(n) for n in counts)
            raise self.err("X105", f"`{node.func.id}` takes {want} argument(s), not {len(node.args)}", node)
        return cls(*[self.scalar(self.value(a), a, f"`{node.func.id}`") for a in node.args])

    def call_dbinom(self, node: ast.Call) -> sp.Expr:
        """P(X = k) for X ~ Binomial(n, p), exact."""
        self.arity(node, 3, 3)
        k = self.whole(node.args[0], "`dbinom`", MAX_LIST_SUM)
        n = self.whole(node.args[1], "`dbinom`", MAX_FACTORIAL)
        p = self.scalar(self.value(node.args[2]), node.args[2], "`dbinom`")
        return sp.binomial(n, k) * p**k * (1 - p) ** (n - k)

    def call_pbinom(self, node: ast.Call) -> sp.Expr:
        """P(X ≤ k) for X ~ Binomial(n, p), exact: needs k and n as numbers."""
        self.arity(node, 3, 3)
        k = self.scope.full(self.whole(node.args[0], "`pbinom`", MAX_FACTORIAL))
        n = self.scope.full(self.whole(node.args[1], "`pbinom`", MAX_FACTORIAL))
        if not (k.is_Integer and n.is_Integer):
            raise self.err("X105", "`pbinom(k, n, p)` needs k and n as numbers (defined or written out)", node)
        p = self.scalar(self.value(node.args[2]), node.args[2], "`pbinom`")
        return sp.Add(*[sp.binomial(n, i) * p**i * (1 - p) ** (n - i) for i in range(0, min(int(k), int(n)) + 1)])

    # -- lists as vectors and matrices -------------------------------------------------
    def vector(self, v: object, node: ast.AST) -> object:
        """A list literal used in arithmetic: `[1, 2, 3]` is a column vector, `[[1, 2], [3, 4]]`
        a matrix (rows). Tuples and anything else are returned unchanged."""
        if not isinstance(v, Seq) or v.paren:
            return v
        return seq_to_array(v, lambda m: self.err("X107", m, node))


def seq_to_array(v: Seq, fail: Callable[[str], Exception]) -> Value:
    """A list of scalars → column vector; a list of equally long lists of scalars → matrix."""
    if not v.items:
        raise fail("an empty list has no value")
    if all(_scalar(i) for i in v.items):
        return sp.ImmutableMatrix(len(v.items), 1, list(v.items))
    rows = [i for i in v.items if isinstance(i, Seq) and all(_scalar(x) for x in i.items)]
    if len(rows) == len(v.items) and len({len(r.items) for r in rows}) == 1:
        width = len(rows[0].items)
        if len(rows) * width > MAX_ARRAY_ENTRIES:
            raise fail(f"a matrix over {MAX_ARRAY_ENTRIES} entries")
        return sp.ImmutableMatrix(len(rows), width, [x for r in rows for x in r.items])
    raise fail("a matrix is a list of rows of equal length, e.g. `[[1, 2], [3, 4]]`")


def _is_list(v: object) -> bool:
    """A column vector of two or more entries: what a list literal `[…]` becomes."""
    return isinstance(v, sp.MatrixBase) and v.shape[1] == 1 and v.shape[0] > 1


def _scalar(v: object) -> bool:
    return not is_array(v) and not isinstance(v, Seq)


def _map_array(v: object, fn: Callable[[sp.Expr], sp.Expr]) -> object:
    return v.applyfunc(fn) if is_array(v) else fn(v)


def subst(expr: sp.Expr, mapping: dict) -> sp.Expr:
    """`xreplace` that refuses huge powers and keeps derivatives valid.

    Replacing the variable of `Derivative(f(x), x)` by a number would make sympy raise;
    such a derivative becomes `Subs(Derivative(f(ξ), ξ), ξ, value)`, the form sympy itself
    uses for a derivative at a point.
    """
    if not mapping or not isinstance(expr, sp.Basic):
        return expr
    keys = set(mapping)
    memo: dict = {}

    def fail(message: str) -> Exception:
        return ExprError("X106", message)

    def go(x: sp.Basic) -> sp.Basic:
        if x in keys:
            return mapping[x]
        if not x.args:
            return x
        if x in memo:
            return memo[x]
        if isinstance(x, sp.Derivative) and keys & set(x.variables):
            variables = list(dict.fromkeys(x.variables))
            dummies = [sp.Dummy(str(v)) for v in variables]
            inner = x.xreplace(dict(zip(variables, dummies)))
            result = sp.Subs(go(inner), dummies, [go(v) for v in variables])
        else:
            args = tuple(go(a) for a in x.args)
            if all(n is o for n, o in zip(args, x.args)):
                result = x
            else:
                if isinstance(x, sp.Pow):
                    guard_power(args[0], args[1], fail)
                elif isinstance(x, (sp.factorial, sp.binomial)) and any(
                    a.is_Integer and abs(a) > MAX_FACTORIAL for a in args
                ):
                    raise fail(f"factorial or binomial of a number above {MAX_FACTORIAL} is too large to compute")
                result = x.func(*args)
        memo[x] = result
        return result

    return go(expr)


def guard_power(base: object, exponent: object, fail: Callable[[str], Exception]) -> None:
    """Refuse a power whose result would be a huge number, before sympy computes it.

    CPython's bignum arithmetic runs in C and cannot be interrupted by the time bound's
    signal, so `10**10**10` must be stopped here rather than timed out.
    """
    if not isinstance(exponent, sp.Expr) or not exponent.is_Number:
        return
    if isinstance(base, sp.Expr) and base.is_Number and base in (sp.S.Zero, sp.S.One, sp.S.NegativeOne):
        return
    if exponent.is_Float:
        return  # Floats never appear in what the builder makes; keep numeric as is
    magnitude = abs(Fraction(int(exponent.p), int(exponent.q)))
    if magnitude > MAX_POWER_EXPONENT:
        raise fail(f"exponent {exponent} is too large (at most {MAX_POWER_EXPONENT}) for a quiz check")
    if isinstance(base, sp.Rational):
        bits = max(abs(int(base.p)).bit_length(), int(base.q).bit_length())
        if bits * magnitude > MAX_POWER_BITS:
            raise fail("this power would be a number too large to compute")


__all__ = [
    "BoolOp",
    "Compare",
    "Define",
    "ExprError",
    "Not",
    "Scope",
    "Seq",
    "entries",
    "from_entries",
    "guard_power",
    "is_array",
    "lshape",
    "map_value",
    "parse",
    "sigmoid",
    "subst",
]
