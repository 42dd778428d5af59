"""Read the text students see (`"0.064"`, `$(1 - y^2)(4t - 6)$`) as a value qbank can compare.

Plain numbers take a fast path with no parser at all, and keep the precision they are
displayed with. Math is read by sympy's own LaTeX parser (the `lark` grammar and transformer
of `sympy.parsing.latex`), with three small additions that make it read course notation:

- a grammar extension: a function application next to a bracket (`\\sigma(z)(1 - \\sigma(z))`,
  `(1 - y)\\,\\sigma(z)`) is a product, as it is on paper;
- names it does not know are rewritten first into symbols it does (`\\sigma` → `S_{sigmoid}`,
  `\\hat{y}` → `y_{hat}`) and mapped back to the check's names afterwards;
- where the grammar reads a text two ways (`\\tanh(x)` as tanh(x) or tan(h·x)), only readings
  that use the check's own names survive; if two different ones remain the text is
  unreadable — qbank never picks one.

The result is *source text in the check language* (`(1 - y**2)*(4*t - 6)`), which the checker
builds with the same allow-list parser as every other expression: nothing here evaluates bank
text, numbers are exact (`0.1` stays 1/10) and oversized powers are refused before they exist.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

MAX_MATH_CHARS = 240
"""Longer math is taken as written: Earley parsing is cubic in the worst case."""
MAX_EXPONENT = 1000

NUMBER_RE = re.compile(r"([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d{1,3}))?")
_FRACTION_RE = re.compile(r"([+-]?)\s*\\[dt]?frac\s*\{\s*(\d{1,30})\s*\}\s*\{\s*(\d{1,30})\s*\}|([+-]?\d{1,30})\s*/\s*(\d{1,30})")


class Unreadable(Exception):
    """The text cannot be read as a value; the message says why (for `--strict-display`)."""


@dataclass(frozen=True)
class Number:
    """A displayed number: its exact value and, for decimals, the digits shown after the point
    (None: exact, as for `1/3` or `\\frac{1}{3}`)."""

    value: Fraction
    decimals: int | None


@dataclass(frozen=True)
class Items:
    """A displayed list `[a, b]` or tuple `(a, b)` of readings."""

    items: tuple[Reading, ...]
    paren: bool


@dataclass(frozen=True)
class Math:
    """Math read into the check language's source text."""

    source: str


Reading = Number | Items | Math


@dataclass(frozen=True)
class Names:
    """What a check declares, for mapping LaTeX names onto it (hashable: readings are memoised
    per text and per set of names)."""

    scalars: frozenset[str]  # symbols and defined names (scalars or arrays used whole)
    arrays: tuple[tuple[str, int], ...]  # array name → number of dimensions
    functions: frozenset[str]  # declared functions; `sigmoid` is always one
    display: tuple[tuple[str, str], ...] = ()  # the check's `display:` map (LaTeX → name)

    def array_dims(self, name: str) -> int:
        return dict(self.arrays).get(name, 0)


def _normalise_minus(text: str) -> str:
    return text.replace("\u2212", "-").replace("\u2013", "-")


def _unwrap(text: str) -> tuple[str, bool]:
    """The inside of a text that is one math span (`$…$` / `$$…$$`), and whether it was math."""
    t = text.strip()
    for fence in ("$$", "$"):
        if len(t) > 2 * len(fence) and t.startswith(fence) and t.endswith(fence):
            inner = t[len(fence) : -len(fence)]
            if "$" not in inner:
                return inner.strip(), True
    return t, False


def number(text: str) -> Number | None:
    """A plain number (`0.24`, `-1.5e-3`, `1/3`, `\\frac{1}{3}`), or None."""
    t = _normalise_minus(text).strip()
    m = NUMBER_RE.fullmatch(t)
    if m:
        sign, whole, frac, only_frac, exp = m.groups()
        digits = frac if frac is not None else only_frac
        decimals = len(digits or "") - (int(exp) if exp else 0)
        value = Fraction(f"{sign}{whole or '0'}.{digits or '0'}") * Fraction(10) ** (int(exp) if exp else 0)
        return Number(value, max(decimals, 0) if (digits or exp) else 0)
    m = _FRACTION_RE.fullmatch(t)
    if m:
        if m.group(2) is not None:
            num, den, sign = int(m.group(2)), int(m.group(3)), -1 if m.group(1) == "-" else 1
        else:
            num, den, sign = int(m.group(4)), int(m.group(5)), 1
        if den == 0:
            return None
        return Number(Fraction(sign * num, den), None)
    return None


def _split_top(inner: str) -> list[str] | None:
    """`a, b, c` split at the commas outside every bracket, or None if there are none."""
    depth, parts, start = 0, [], 0
    for i, ch in enumerate(inner):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    if not parts:
        return None
    parts.append(inner[start:])
    return parts


def read(text: str, names: Names) -> Reading:
    """What a displayed text denotes; raises Unreadable."""
    return _read(text, names)


@lru_cache(maxsize=8192)
def _read(text: str, names: Names) -> Reading:
    inner, is_math = _unwrap(text)
    plain = number(inner if is_math else text)
    if plain is not None:
        return plain
    body = inner.replace(r"\left", "").replace(r"\right", "").strip()
    if len(body) >= 2 and (body[0], body[-1]) in (("[", "]"), ("(", ")")):
        parts = _split_top(body[1:-1])
        if parts is not None:
            return Items(tuple(_read(f"${p.strip()}$" if is_math else p.strip(), names) for p in parts), body[0] == "(")
    if not is_math:
        raise Unreadable("it is neither a number nor one `$…$` math span")
    if len(inner) > MAX_MATH_CHARS:
        raise Unreadable(f"its math is longer than {MAX_MATH_CHARS} characters")
    parsed, numbers = _parse(inner, names)
    return Math(_to_source(parsed, names, numbers))


# --------------------------------------------------------------------------- the LaTeX parser

_SIGMA = "S_{sigmoid}"
_ACCENTS = {"hat": "hat", "bar": "bar", "tilde": "tilde", "widehat": "hat", "overline": "bar"}
_ACCENT_RE = re.compile(r"\\(hat|bar|tilde|widehat)\s*(?:\{\s*([A-Za-z])\s*\}|([A-Za-z]))")
_IGNORED_RE = re.compile(r"\\(?:bigl|bigr|Bigl|Bigr|big|Big|biggl|biggr)\b|\\[,;:!]|\\[dt]frac|\\mathrm\{d\}")
_SIGMA_RE = re.compile(r"\\sigma\b('*)")


def _prepare(tex: str, names: Names) -> str:
    """Rewrite the names the grammar does not know into symbols it reads."""
    for i, (latex, _) in enumerate(names.display):
        tex = tex.replace(latex, " " + _placeholder(i).replace("N_", "Q_") + " ")
    tex = _ACCENT_RE.sub(lambda m: f"{m.group(2) or m.group(3)}_{{{_ACCENTS[m.group(1)]}}}", tex)
    tex = _SIGMA_RE.sub(lambda m: f"S{m.group(1)}_{{sigmoid}}", tex)
    tex = _IGNORED_RE.sub(lambda m: r"\frac" if "frac" in m.group() else ("d" if "mathrm" in m.group() else " "), tex)
    return tex


_EXTENSION = r"""
%extend adjacent_expressions: group_round_parentheses function_applied
    | function_applied group_round_parentheses
    | function_applied _one_letter_symbol
    | function_applied function_applied
    | number function_applied
"""


@lru_cache(maxsize=1)
def _parser():  # noqa: ANN202 - a lark.Lark
    """sympy's grammar plus qbank's extension, built once per process (≈0.5 s)."""
    import lark
    from sympy.parsing.latex.lark import latex_parser

    folder = os.path.join(os.path.dirname(latex_parser.__file__), "grammar")
    with open(os.path.join(folder, "latex.lark"), encoding="utf-8") as f:
        grammar = f.read() + _EXTENSION
    return lark.Lark(
        grammar,
        source_path=os.path.join(folder, "latex.lark"),
        parser="earley",
        start="latex_string",
        lexer="auto",
        ambiguity="explicit",
        propagate_positions=False,
        maybe_placeholders=False,
        keep_all_tokens=True,
    )


def warm_up() -> None:
    """Build the parser now (≈1 s: sympy's module builds its own too), e.g. before forking
    workers, so that each does not pay for it again."""
    _parser()
    _transformer(Names(frozenset(), (), frozenset()))


def _transformer(names: Names):  # noqa: ANN202 - a lark Transformer
    import sympy as sp
    from sympy.core.function import AppliedUndef
    from sympy.parsing.latex.lark.transformer import TransformToSymPyExpr

    class Transform(TransformToSymPyExpr):
        """sympy's transformer with exact numbers, bounded powers and name-aware ambiguity."""

        def number(self, tokens):  # noqa: ANN001, ANN202
            if tokens[0].type == "CMD_IMAGINARY_UNIT":
                raise Unreadable("it uses the imaginary unit")
            return sp.Rational(str(tokens[0]).rstrip(".") or "0")

        def superscript(self, tokens):  # noqa: ANN001, ANN202
            exponent = tokens[2] if len(tokens) == 3 else None
            if isinstance(exponent, sp.Basic) and exponent.is_number and abs(exponent) > MAX_EXPONENT:
                raise Unreadable(f"it has a power over {MAX_EXPONENT}")
            return super().superscript(tokens)

        def factorial(self, tokens):  # noqa: ANN001, ANN202
            raise Unreadable("it uses a factorial")

        def _ambig(self, options):  # noqa: ANN001, ANN202
            fits = []
            for option in options:
                if isinstance(option, sp.Basic) and _uses_only(option, names, AppliedUndef) and option not in fits:
                    fits.append(option)
            if len(fits) == 1:
                return fits[0]
            if not fits:
                raise Unreadable("no reading of it uses only the check's names")
            raise Unreadable(f"it reads two ways ({fits[0]} or {fits[1]})")

    return Transform()


def _uses_only(expr: object, names: Names, applied: type) -> bool:
    import sympy as sp

    for atom in expr.atoms(sp.Symbol, applied):  # type: ignore[attr-defined]
        if isinstance(atom, sp.Symbol) and _resolve(atom.name, names, function=False) is None:
            return False
        if isinstance(atom, applied) and _resolve(type(atom).__name__, names, function=True) is None:
            return False
    return True


_NUM_RE = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_KEEP_DIGITS_AFTER = re.compile(r"(?:_\{?|\\[dt]?frac\s*|\\binom\s*|[A-Za-z])\Z")


def _placeholder(k: int) -> str:
    letters = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        letters = chr(ord("a") + r) + letters
    return f"N_{{qb{letters}}}"


def _index(letters: str) -> int:
    k = 0
    for ch in letters:
        k = k * 26 + (ord(ch) - ord("a") + 1)
    return k - 1


_SIGN_BEFORE = re.compile(r"(^|[(\[{,=+-])(\s*)([+-])\s*\Z")
_BINARY_MINUS = re.compile(r"-\s*\Z")


def _template(tex: str) -> tuple[str, tuple[str, ...]]:
    """The text with its numbers replaced by placeholder symbols, and the numbers.

    Texts that differ only in their numbers (most generated banks' texts) share one parse,
    and the parser never computes with a number: the numbers go into the check-language
    source as written, where the expression builder's size guards apply. A sign in front
    of a number goes with it (`- 6` → `+ N` with N = -6) unless a power follows (`-2^2` is
    −4), so that `4t - 6` and `4t + 6` share a template too.
    """
    out: list[str] = []
    numbers: list[str] = []
    pos = 0
    for m in _NUM_RE.finditer(tex):
        before = tex[pos : m.start()]
        if _KEEP_DIGITS_AFTER.search(tex[: m.start()]):
            continue  # subscripts (`x_1`), `\frac12`: digits, not numbers
        literal = m.group()
        power = tex[: m.start()].endswith("^")
        if power:
            literal = literal[0]  # `y^23` is y² · 3 in TeX
        after = tex[m.start() + len(literal) :].lstrip()
        sign = ""
        if not power and not after.startswith(("^", "!", "_")):
            if _BINARY_MINUS.search(before) and re.search(r"[\w)}\]]\s*-\s*\Z", tex[: m.start()]):
                before = _BINARY_MINUS.sub("+ ", before)
                sign = "-"
            else:
                lead = _SIGN_BEFORE.search(before)
                if lead and lead.group(3) == "-":
                    before = before[: lead.start(2)] + lead.group(2)
                    sign = "-"
        out.append(before)
        name = _placeholder(len(numbers))
        out.append("{" + name + "}" if power else name)
        numbers.append(sign + literal)
        pos = m.start() + len(literal)
    out.append(tex[pos:])
    return "".join(out), tuple(numbers)


def _parse(tex: str, names: Names) -> tuple[object, tuple[str, ...]]:
    """The parsed template of `tex` and its numbers."""
    template, numbers = _template(_prepare(tex, names))
    return _parse_template(template, names), numbers


@lru_cache(maxsize=4096)
def _parse_template(template: str, names: Names) -> object:
    import lark

    try:
        tree = _parser().parse(template)
    except lark.exceptions.LarkError as exc:
        raise Unreadable(f"sympy's LaTeX parser cannot read it ({type(exc).__name__})") from None
    try:
        return _transformer(names).transform(tree)
    except lark.exceptions.VisitError as exc:
        if isinstance(exc.orig_exc, Unreadable):
            raise exc.orig_exc from None
        raise Unreadable(f"sympy's LaTeX parser cannot read it ({type(exc.orig_exc).__name__})") from None


_SUB_RE = re.compile(r"([A-Za-z]+)('*)(?:_\{([A-Za-z0-9]+)\})?\Z")


def _resolve(latex_name: str, names: Names, *, function: bool) -> str | None:
    """The check's name for a LaTeX name (`x_{1}` → `x1` or `x[1]`, `y_{hat}` → `yhat`)."""
    if re.fullmatch(r"N_\{qb[a-z]+\}", latex_name):
        return None if function else latex_name  # a number's placeholder
    m = re.fullmatch(r"Q_\{qb([a-z]+)\}", latex_name)
    if m:
        return names.display[_index(m.group(1))][1]
    m = _SUB_RE.match(latex_name)
    if m is None:
        return None
    base, primes, sub = m.groups()
    if function:
        if base == "S" and sub == "sigmoid":
            return "sigmoid" + primes
        for candidate in ([base + sub, f"{base}_{sub}"] if sub else [base]):
            if candidate in names.functions:
                return candidate + primes
        return None
    if primes:
        return None
    if sub is None:
        if base in names.scalars:
            return base
        return {"e": "E", "pi": "pi"}.get(base)
    for candidate in (base + sub, f"{base}_{sub}"):
        if candidate in names.scalars:
            return candidate
    dims = names.array_dims(base)
    if sub.isdigit() and dims == 1:
        return f"{base}[{int(sub)}]"
    if sub.isdigit() and dims == 2 and len(sub) == 2:
        return f"{base}[{sub[0]},{sub[1]}]"
    return None


_FUNCTIONS = {
    "exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh",
    "sinh": "sinh", "cosh": "cosh", "Abs": "abs", "Min": "min", "Max": "max",
}  # fmt: skip


def _to_source(expr: object, names: Names, numbers: tuple[str, ...] = ()) -> str:
    """The check language's source text for a parsed expression; Unreadable for anything else."""
    import sympy as sp
    from sympy.core.function import AppliedUndef

    def go(e: object) -> str:
        if isinstance(e, sp.MatrixBase):
            rows = [[go(x) for x in e.row(i)] for i in range(e.rows)]
            if e.cols == 1:
                return "[" + ", ".join(r[0] for r in rows) + "]"
            return "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]"
        if not isinstance(e, sp.Basic):
            raise Unreadable("sympy's LaTeX parser read it as something that is not a value")
        if isinstance(e, sp.Integer):
            return f"({e.p})"
        if isinstance(e, sp.Rational):
            return f"({e.p}/{e.q})"
        if e is sp.E:
            return "E"
        if e is sp.pi:
            return "pi"
        if isinstance(e, sp.Symbol):
            m = re.fullmatch(r"N_\{qb([a-z]+)\}", e.name)
            if m:
                return f"({numbers[_index(m.group(1))]})"
            name = _resolve(e.name, names, function=False)
            if name is None:
                raise Unreadable(f"`{e.name}` is not a name of the check (add it to `display:`)")
            return name
        if isinstance(e, sp.Add):
            return "(" + " + ".join(go(a) for a in e.args) + ")"
        if isinstance(e, sp.Mul):
            return "(" + "*".join(go(a) for a in e.args) + ")"
        if isinstance(e, sp.Pow):
            return f"({go(e.base)})**({go(e.exp)})"
        if isinstance(e, AppliedUndef):
            name = _resolve(type(e).__name__, names, function=True)
            if name is None:
                raise Unreadable(f"`{type(e).__name__}` is not a function of the check")
            args = ", ".join(go(a) for a in e.args)
            base = name.rstrip("'")
            order = len(name) - len(base)
            if order == 0:
                return f"{base}({args})"
            if len(e.args) == 1 and isinstance(e.args[0], sp.Symbol):
                return f"diff({base}({args}), {', '.join([args] * order)})"
            raise Unreadable(f"`{name}` of an expression cannot be written in the check language")
        head = type(e).__name__
        if head in _FUNCTIONS:
            return f"{_FUNCTIONS[head]}(" + ", ".join(go(a) for a in e.args) + ")"
        raise Unreadable(f"it uses {head}, which qbank does not compare")

    return go(expr)


