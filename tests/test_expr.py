"""The check-expression language: what it builds, and everything it refuses (located)."""

from __future__ import annotations

import time

import pytest
import sympy as sp

from exporter.expr import BoolOp, Compare, ExprError, Scope, Seq, lshape, parse
from exporter.model import Check, Loc

L = Loc("b.yaml", 10, 14)


def scope(symbols=("x", "y", "t"), functions=(), define=()) -> Scope:
    syms = []
    for s in symbols:
        if "[" in s:
            name, dims = s.rstrip("]").split("[")
            syms.append((name, tuple(int(n) for n in dims.split(","))))
        else:
            syms.append((s, ()))
    check = Check(loc=L, symbols=tuple(syms), functions=tuple(functions), define=tuple((n, e, L) for n, e in define))
    sc = Scope(check)
    assert sc.errors == []
    return sc


def refused(text: str, sc: Scope | None = None, claim: bool = False) -> ExprError:
    with pytest.raises(ExprError) as info:
        (sc or scope()).build(text, claim=claim)
    return info.value


R = sp.Rational
x, y, t = sp.symbols("x y t", real=True)

# ---------------------------------------------------------------------------- building


def test_decimal_literals_are_exact() -> None:
    sc = scope()
    assert sc.build("0.1") == R(1, 10)
    assert sc.build("0.02") == R(1, 50)
    assert sc.build("1e-3") == R(1, 1000)
    assert sc.build("2.5E2") == 250
    assert sc.build("1_000.5") == R(2001, 2)
    assert sc.build("-2*0.25*0.1") == R(-1, 20)


def test_names_and_functions() -> None:
    sc = scope(functions=("f",))
    assert sc.build("sigmoid(x)") == 1 / (1 + sp.exp(-x))
    assert sc.build("ln(x) - log(x)") == 0
    assert sc.build("abs(x) - Abs(x)") == 0
    assert sc.build("max(x, y)") == sp.Max(x, y)
    assert sc.build("min(x, 1, y)") == sp.Min(x, 1, y)
    assert sc.build("pi + E") == sp.pi + sp.E
    assert sc.build("tanh(x) + sinh(x) + cosh(x) + sin(x) + cos(x) + tan(x) + sqrt(x)") is not None
    f = sc.build("f(x)")
    assert isinstance(f.func, sp.core.function.UndefinedFunction) and f.args == (x,)
    assert sc.build("log(8, 2)") == 3


def test_arrays_are_one_based_like_the_maths() -> None:
    sc = scope(symbols=("W[3,8]", "x[8]", "b[3]"), define=(("z", "W*x + b"),))
    assert str(sc.build("W[1,2]")) == "W[1,2]"
    assert str(sc.build("x[8]")) == "x[8]"
    assert lshape(sc.build("x")) == (8,)
    assert lshape(sc.build("W")) == (3, 8)
    assert lshape(sc.build("z")) == (3,)
    z2 = sc.build("z[2]")
    assert sp.Symbol("W[2,1]", real=True) in z2.free_symbols and sp.Symbol("b[2]", real=True) in z2.free_symbols
    assert sc.build("diff(z[2], W[1,2])") == 0
    assert sc.build("diff(z[1], W[1,2])") == sp.Symbol("x[2]", real=True)


def test_jacobian_and_shape() -> None:
    sc = scope(symbols=("W[3,8]", "x[8]", "b[3]"), define=(("z", "W*x + b"),))
    assert sc.build("shape(jacobian(z, W))") == Seq((3, 3, 8), paren=True)
    assert sc.build("shape(jacobian(z, x))") == Seq((3, 8), paren=True)
    assert sc.build("shape(jacobian(z, b))") == Seq((3, 3), paren=True)
    assert sc.build("shape(transpose(W))") == Seq((8, 3), paren=True)
    assert sc.build("shape(transpose(x)*x)") == Seq((1,), paren=True)
    jac = sc.build("jacobian(z, W)")
    assert jac[1, 1, 2] == sp.Symbol("x[3]", real=True)  # ∂z2/∂W[2,3] = x3 (0-based here)
    assert jac[0, 1, 2] == 0


def test_diff_by_a_defined_name_holds_it_fixed() -> None:
    """∂f/∂z with f = (y - z)², z = 2x + 1: -2(y - z), then z expanded — not 0."""
    sc = scope(symbols=("x", "y"), define=(("z", "2*x + 1"), ("f", "(y - z)**2")))
    assert sp.expand(sc.build("diff(f, z)")) == sp.expand(-2 * (y - 2 * x - 1))
    assert sp.expand(sc.build("diff(f, x)")) == sp.expand(-4 * (y - 2 * x - 1))
    assert sc.build("diff(f, z, y)") == -2


def test_diff_through_undefined_functions() -> None:
    sc = scope(symbols=("w", "a"), functions=("g",), define=(("u", "g(w*a)"), ("v", "u**2")))
    d = sc.build("diff(v, w)")
    assert d.has(sp.Subs) and d.has(sp.Symbol("a", real=True))
    assert sc.build("diff(v, u)") == 2 * sc.full(sc.build("u"))


def test_claims_build_comparisons() -> None:
    sc = scope()
    c = sc.build("x < y", claim=True)
    assert isinstance(c, Compare) and c.op == "<" and c.left_text == "x" and c.right_text == "y"
    chained = sc.build("0 < x <= 1", claim=True)
    assert isinstance(chained, BoolOp) and chained.op == "and" and [p.op for p in chained.items] == ["<", "<="]
    both = sc.build("x > 0 and not y == 1 or t != 2", claim=True)
    assert isinstance(both, BoolOp) and both.op == "or"
    assert sc.build("[x, y] == [1, 2]", claim=True).op == "=="
    assert sc.build("(3, 8)") == Seq((3, 8), paren=True)


def test_multiline_block_scalar_parses() -> None:
    assert scope().build("x +\n  y") == x + y


# ---------------------------------------------------------------------------- refusals (located)

# (text, code, column offset inside the text)
ESCAPES = [
    ("__import__('os').system('touch /tmp/x')", "X102", 0),
    ("().__class__.__bases__[0].__subclasses__()", "X102", 2),
    ("exp.__globals__", "X102", 3),
    ("(lambda: 1)()", "X102", 1),
    ("[c for c in x]", "X102", 0),
    ("{c: 1 for c in x}", "X102", 0),
    ("eval('1')", "X102", 5),
    ("exec", "X103", 0),
    ("open('/etc/passwd')", "X102", 5),
    ("getattr(x, 'y')", "X102", 11),
    ("f'{x}'", "X102", 0),
    ("b'x'", "X102", 0),
    ("(y := 1)", "X102", 1),
    ("x if y else t", "X102", 0),
    ("{'a': 1}", "X102", 0),
    ("{1, 2}", "X102", 0),
    ("x[1:2]", "X102", 2),
    ("exp(*x)", "X102", 4),
    ("exp(x=1)", "X102", 4),
    ("_x + 1", "X102", 0),
    ("x + __builtins__", "X102", 4),
    ("x.T", "X102", 1),
    ("globals()", "X104", 0),
    ("sympify(x)", "X104", 0),
    ("x ^ 2", "X102", 0),
    ("x // 2", "X102", 0),
    ("x is y", "X102", 0),
    ("~x", "X102", 0),
    ("None", "X102", 0),
    ("True + 1", "X102", 0),
    ("1j * x", "X102", 0),
    ("x(1)", "X104", 0),
    ("y[1]", "X107", 0),
    ("(x + y)[1]", "X102", 0),
    ("x[-1]", "X102", 2),
    ("x[y]", "X102", 2),
    ("xx + 1", "X103", 0),
    ("x + σ", "X102", 4),
    ("await x", "X102", 0),
    ("x +", "X101", 3),
    ("", "X101", 0),
]


@pytest.mark.parametrize("text,code,col", ESCAPES)
def test_escape_tricks_are_refused_where_they_are(text: str, code: str, col: int) -> None:
    err = refused(text)
    assert (err.code, err.col) == (code, col), err.message
    d = err.diagnostic(L)
    assert (d.loc.line, d.loc.col) == (L.line, L.col + col)


def test_error_on_a_later_line_of_a_block_scalar() -> None:
    err = refused("x +\n  y.real")
    assert (err.line, err.col) == (1, 3)
    assert err.diagnostic(L).loc.line == L.line + 1


def test_unknown_name_suggests_the_declared_one() -> None:
    err = refused("sigmiod(x)")
    assert err.code == "X104" and "did you mean `sigmoid`?" in err.message
    err = refused("yy")
    assert err.code == "X103" and "did you mean `y`?" in err.message


def test_define_may_only_use_earlier_names() -> None:
    check = Check(loc=L, symbols=(("x", ()),), define=(("a", "b + 1", L), ("b", "x", L)))
    sc = Scope(check)
    assert [d.code for d in sc.errors] == ["X103"]
    assert "defined above" in sc.errors[0].message


def test_declarations_are_checked() -> None:
    check = Check(loc=L, symbols=(("exp", ()), ("x", ()), ("x", ())), functions=("pi",), define=(("x", "1", L),))
    msgs = [d.message for d in Scope(check).errors]
    assert any("`exp` is a built-in name" in m for m in msgs)
    assert any("`x` is declared twice" in m for m in msgs)
    assert any("`pi` is a built-in name" in m for m in msgs)


def test_comparisons_only_in_claims() -> None:
    assert refused("x < 1").code == "X105"
    assert refused("x + 1", claim=True).code == "X105"
    assert refused("[x] < [y]", claim=True).code == "X107"


def test_shapes_are_checked() -> None:
    sc = scope(symbols=("W[3,8]", "x[8]", "b[3]"))
    assert refused("x*W", sc).code == "X107"
    assert refused("W + x", sc).code == "X107"
    assert refused("W + 1", sc).code == "X107"
    assert refused("W[4,1]", sc).code == "X107"
    assert refused("W[0,1]", sc).code == "X107"
    assert refused("W[1]", sc).code == "X107"
    assert refused("diff(W[1,1], W)", sc).code == "X105"
    assert refused("jacobian(W*x, W[1,1] + 1)", sc).code == "X105"
    assert refused("[1, [2, 3]]", sc).code == "X107"
    assert refused("(1, 2) + 1", sc).code == "X105"  # a tuple is only compared
    assert refused("[[1, 2], [3]]", sc).code == "X107"
    assert refused("det([[1, 2, 3], [4, 5, 6]])", sc).code == "X107"
    assert refused("[1, 2] * [1, 2, 3]", sc).code == "X107"


def test_diff_variables() -> None:
    sc = scope(symbols=("x", "y"), define=(("z", "x*y"), ("f", "z**2")))
    assert refused("diff(f, 2*x)", sc).code == "X105"
    assert refused("diff(f, pi)", sc).code == "X105"
    assert refused("diff(f, x, z)", sc).code == "X105"  # defined names first
    assert refused("diff(f)", sc).code == "X105"


@pytest.mark.parametrize(
    "text",
    ["10**10**10", "2**100000", "x**5000", "(10**1000)**1000", "9" * 61, "1e400", "0." + "1" * 70, "1.5e-999"],
)
def test_huge_numbers_are_refused_before_they_are_computed(text: str) -> None:
    start = time.perf_counter()
    err = refused(text)
    assert err.code in ("X106", "X101")
    assert time.perf_counter() - start < 0.5


def test_long_or_deep_text_is_refused() -> None:
    assert refused("x+" * 1500 + "x").code == "X101"
    assert refused("exp(" * 80 + "x" + ")" * 80).code == "X101"
    assert refused("-" * 500 + "x").code == "X101"


def test_parse_builds_nothing() -> None:
    """`parse` returns a tree only; a safe tree still evaluates nothing until built."""
    tree, src = parse("exp(x) + 1")
    assert src.startswith("(") and tree.body is not None
