"""Parametrised questions → variants, each one a plain question the checker and writers know.

A question with `parameters:` is a *template*. Its texts say `{{s}}` where a number goes and
its check says `s`; qbank makes N variants of it (`<id>-v1` … `<id>-vN`), each with one
choice of values written into every text and every check expression, and then checks every
variant with sympy like any other question. A choice of values that makes a distractor equal
to the key, or the key undefined, is therefore a finding *for that variant* — never a wrong
question shipped to the students who happen to draw it.

Why it is built this way:

- **Values are exact.** A parameter's value is the literal the author wrote (`0.6` is 3/5,
  not the float near it); `derived:` names are evaluated with the check language's own
  parser (exporter.expr, an allow-list, never `eval`/`sympify`) in exact arithmetic.
- **Check expressions get text, not objects.** Each parameter name in a check expression is
  replaced, token by token (Python's tokenizer, so `s` in `sigmoid(s)` is replaced and the
  `s` inside `sigmoid` or `x_s` is not), by its exact literal in parentheses: `0.6*s**2`
  becomes `0.6*(0.6)**2`. The checker then needs to know nothing about parameters.
- **Texts get display numbers.** `{{name}}` becomes the value as a student should read it:
  an exact decimal when there is one (6/25 → `0.24`, 1/8 → `0.125`), otherwise rounded to
  6 significant digits (1/3 → `0.333333`), never in exponent notation. Only declared names
  are replaced; any other `{{…}}` (LaTeX such as `x^{{2}}`) is left alone. An unknown
  `{{name}}` is a loader error, so a typo cannot reach students as literal braces.
- **Stable choice of variants.** Which combinations become variants depends only on the
  term seed and the question id: `random.Random(f"{seed}:{id}")` draws from the
  combinations in a fixed order (names sorted, each name's values sorted by value), using
  only `Random.random()`, the one method whose output Python promises to keep across
  versions. Same seed → same variants, byte for byte; a new seed → new numbers. Reordering
  a value list changes nothing.
- **Variants form a group.** The variants of one question are `Group(name=<id>, pick=1)`
  and live in the subcategory `<category>/<id>`: Canvas imports the group as a question
  group that gives each student one variant; in Moodle the subcategory is where a "random
  question" slot draws from.
- **Identity.** Only the template's id is released and locked (exporter.identity);
  variant ids are derived from it and the seed, so they never enter `qbank.lock`.

Expansion needs sympy, so this module imports exporter.expr only when it evaluates; the
loader imports the text helpers below without paying for it.
"""

from __future__ import annotations

import dataclasses
import io
import random
import re
import tokenize
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Callable, Sequence, TypeVar

from .diagnostics import Diagnostic, Report
from .model import Bank, Check, Feedback, Group, Loc, Pair, Parameters, Question, choice_letter, expression_fields, relative_tolerance
from .decimals import decimal_text

T = TypeVar("T")

DEFAULT_COUNT_CAP = 20
"""Without `count:`, every combination becomes a variant, but at most this many."""
MAX_VARIANTS = 1000
"""The largest `count:` accepted (E216): every variant is a question that sympy checks and
every target exports, so a larger count is a mistake, and 900,000,000 would fill memory."""
SIGNIFICANT_DIGITS = 6
"""Digits shown for a value that has no exact (terminating) decimal form."""

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
"""`{{ name }}` in a text; what is inside is only replaced when it is a declared name."""
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Codes: V1xx, problems of one variant (located at the template's lines; the message says
# which variant and its values). The loader's parameter rules are E205–E212.
E_DERIVED = "V101"
E_DUPLICATE_CHOICE = "V102"
E_ID_CLASH = "V103"
E_LITERAL = "V104"
E_UNSATISFIED = "V105"
E_DRAW = "V106"

MAX_DRAWS = 1000
"""Draws tried for a question with `where:` conditions or dependent ranges before giving up."""
E_DERIVED_LIMIT = "V107"

DERIVED_TIMEOUT = 10.0
"""Seconds allowed for one variant's derived values (the default of `--timeout`, which the
pipeline passes on): `sin(exp(exp(exp(3))))` must end as a finding, not an hour of mpmath."""


class VariantError(Exception):
    """Raised by `expand` when no report was given and a variant cannot be made."""


# --------------------------------------------------------------------------- text helpers


def placeholder_names(text: str | None) -> list[str]:
    """The identifier-like names a text refers to as `{{name}}`, in order of appearance."""
    if not text:
        return []
    return [m.group(1) for m in PLACEHOLDER.finditer(text) if IDENTIFIER.match(m.group(1))]


def fill_text(text: str | None, shown: dict[str, str]) -> str | None:
    """`{{name}}` → its display value, for declared names only (LaTeX braces stay)."""
    if text is None:
        return None

    def one(m: re.Match[str]) -> str:
        return shown.get(m.group(1), m.group(0))

    return PLACEHOLDER.sub(one, text)


def fill_expression(text: str | None, literals: dict[str, str]) -> str | None:
    """Each parameter *name token* → `(literal)`; everything else unchanged.

    Tokenized rather than searched-and-replaced, so that `s` is replaced in `2*s` and
    `sigmoid(s)` but not inside the names `sigmoid`, `x_s` or `s2`, nor after a `.` (the
    checker rejects attribute access anyway, at its own position). Text the tokenizer
    cannot read is returned unchanged: the checker then reports the real syntax error.
    """
    if text is None or not literals:
        return text
    src = "(" + text + "\n)"  # inside brackets a continuation line needs no indentation
    lines = src.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, str]] = []
    try:
        previous = None
        for tok in tokenize.generate_tokens(io.StringIO(src).readline):
            if tok.type == tokenize.NAME and tok.string in literals and not (
                previous is not None and previous.type == tokenize.OP and previous.string == "."
            ):
                begin = starts[tok.start[0] - 1] + tok.start[1]
                end = starts[tok.end[0] - 1] + tok.end[1]
                value = literals[tok.string]
                edits.append((begin, end, value if IDENTIFIER.match(value) else f"({value})"))
            if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
                previous = tok
    except (tokenize.TokenError, SyntaxError):
        return text
    for begin, end, new in reversed(edits):
        src = src[:begin] + new + src[end:]
    return src[1:-2]


# --------------------------------------------------------------------------- numbers


def literal_value(text: str) -> Fraction:
    """The exact value of a number literal as the loader stores it (plain decimal)."""
    return Fraction(Decimal(text))


def show_rational(value: Fraction, digits: int | None = None) -> str:
    """An exact decimal when the value has one, else 6 significant digits; with `digits`,
    exactly that many decimals (the one shared formatter, exporter.decimals.decimal_text)."""
    if digits is not None:
        return decimal_text(value, digits)
    q = value.denominator
    for prime in (2, 5):
        while q % prime == 0:
            q //= prime
    with localcontext() as ctx:
        ctx.prec = 200
        exact = Decimal(value.numerator) / Decimal(value.denominator)
    if q == 1:
        return decimal_text(exact)
    return decimal_text(_round_significant(exact))


def _round_significant(value: Decimal) -> Decimal:
    if value == 0:
        return value
    quantum = Decimal(1).scaleb(value.adjusted() - SIGNIFICANT_DIGITS + 1)
    with localcontext() as ctx:
        ctx.prec = 200
        return value.quantize(quantum, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Value:
    """One parameter's value in one variant: as the check reads it, and as a student does."""

    literal: str  # exact, in the check language: `0.6`, `6/25`, `sqrt(2)/2`; a string parameter's text
    shown: str  # for texts: `0.6`, `0.24`, `0.707107`
    number: float  # for a numerical question's `answer: "{{name}}"`
    numeric: bool = True  # False: a string parameter, or an expression selected for the check


# --------------------------------------------------------------------------- choosing


def combinations(params: Parameters) -> tuple[list[str], list[list[str]]]:
    """Names sorted, and each name's literals sorted by value: the fixed order we draw from."""
    names = sorted(n for n, _, _ in params.values)
    options = {n: sorted(vals) if n in params.strings else sorted(vals, key=literal_value) for n, vals, _ in params.values}
    return names, [options[n] for n in names]


def choose(total: int, count: int, seed: str, qid: str) -> list[int]:
    """`count` distinct indices below `total`, sorted, decided by the seed and the id alone.

    Robert Floyd's sampling algorithm, driven only by `Random.random()` (whose sequence
    Python guarantees across versions; `sample` and `randrange` are not guaranteed), and
    without building the list of all combinations, which may be large.
    """
    rng = random.Random(f"{seed}:{qid}")
    chosen: set[int] = set()
    for j in range(total - count, total):
        t = int(rng.random() * (j + 1))
        chosen.add(j if t in chosen else t)
    return sorted(chosen)


def _combination(index: int, options: list[list[str]]) -> list[str]:
    """The index-th combination in itertools.product order (the last name varies fastest)."""
    out = []
    for opts in reversed(options):
        index, k = divmod(index, len(opts))
        out.append(opts[k])
    return list(reversed(out))


def variant_count(params: Parameters) -> int:
    total = params.combinations
    return params.count if params.count is not None else min(total, DEFAULT_COUNT_CAP)


# --------------------------------------------------------------------------- expansion


def variant_name(q: Question) -> str:
    """`diff-x-v2 (s=0.8)`: how messages name a variant (Diagnostic.variant)."""
    values = ", ".join(f"{n}={v}" for n, v in q.variant_values)
    return f"{q.id} ({values})" if values else q.id


def label(q: Question) -> str:
    """`variant diff-x-v2 (s=0.8)`."""
    return f"variant {variant_name(q)}"


def labelled(report: Report, q: Question) -> Report:
    """A report whose findings say which variant they are about."""
    if q.variant_of is None:
        return report
    which = variant_name(q)

    def sink(d: Diagnostic) -> None:
        report(dataclasses.replace(d, question=d.question or q.id, variant=which))

    return sink


def report_for(report: Report) -> Callable[[Question], Report]:
    """For keys.check_questions(report_for=…): findings on a variant name the variant."""
    return lambda q: labelled(report, q)


def _raising(d: Diagnostic) -> None:
    if d.severity == "error":
        raise VariantError(str(d))


def expand(banks: Sequence[Bank], seed: str | None = None, report: Report | None = None, *,
           timeout: float = DERIVED_TIMEOUT) -> list[Bank]:
    """Every bank with each template replaced by its variants (and a group of them).

    `seed` (the `--seed` of the command line) overrides each bank's own `seed:`. Problems
    go to `report`; without one, the first error raises VariantError. A variant that could
    not be made is left out (its error stops the build).
    """
    report = report or _raising
    taken = {q.id for b in banks for q in b.questions}
    out = []
    for bank in banks:
        use = bank.seed if seed is None else str(seed)
        questions: list[Question] = []
        groups = list(bank.groups)
        for q in bank.questions:
            if q.parameters is None:
                questions.append(q)
                continue
            made = expand_question(q, use, report, taken=taken, timeout=timeout)
            questions.extend(made)
            groups.append(Group(q.id, 1, tuple(v.id for v in made), q.points, q.parameters.loc))
        out.append(dataclasses.replace(bank, questions=tuple(questions), groups=tuple(groups)))
    return out


def expand_question(q: Question, seed: str, report: Report, *, taken: set[str] | frozenset[str] = frozenset(),
                    timeout: float = DERIVED_TIMEOUT) -> list[Question]:
    """The variants of one template for one seed (see the module docstring)."""
    params = q.parameters
    assert params is not None, q.id
    names, options = combinations(params)
    total = params.combinations
    count = variant_count(params)
    if not params.drawn and (count > total or total == 0):  # the loader reports it (E210)
        return []
    if params.drawn:
        drawn = _within(timeout, report, params.loc, f"`{q.id}`: the values of the draws", _draw, q, params, seed, report)
        picked = drawn if isinstance(drawn, list) else []
    else:
        picked = [dict(zip(names, _combination(index, options))) for index in choose(total, count, seed, q.id)]
    made = []
    for k, chosen in enumerate(picked, start=1):
        vid = f"{q.id}-v{k}"
        digits = dict(params.digits)
        shown_params = tuple(
            (n, chosen[n] if n in params.strings else show_rational(literal_value(chosen[n]), digits.get(n))) for n in chosen
        )
        stub = dataclasses.replace(q, id=vid, variant_of=q.id, variant_values=shown_params)
        sink = labelled(report, stub)
        if vid in taken:
            sink(Diagnostic(q.loc, E_ID_CLASH, f"id `{vid}` of this variant is already used by another question; "
                            f"rename that question (ids `{q.id}-v<N>` belong to the variants of `{q.id}`)"))
            continue
        values = _evaluate(params, chosen, sink) if not params.derived else _within(
            timeout, sink, params.derived[0][2], "the derived values", _evaluate, params, chosen, sink)
        if values is _TIMED_OUT:
            break  # the other variants would most likely take as long: one finding is enough
        if values is None:
            continue
        variant = _instantiate(stub, k, values)
        _duplicate_choices(variant, sink)  # an error, but the variant is still checked
        made.append(variant)
    return made


class _StopDrawing(Exception):
    """A problem that every further draw would have too (reported already)."""


def _draw(q: Question, params: Parameters, seed: str, report: Report) -> list[dict[str, str]]:
    """Values for the variants of a template with `where:` conditions or dependent ranges.

    Draws combinations with the seeded generator (only `Random.random()`, like `choose`),
    fills each dependent range from the values drawn before it, and keeps a draw when it is
    new and every condition holds — until `count` (default: every combination, at most
    DEFAULT_COUNT_CAP) are kept or MAX_DRAWS draws were tried. Too few is a located V105.
    """
    names, options = combinations(params)
    total = params.combinations
    wanted = params.count if params.count is not None else min(DEFAULT_COUNT_CAP, total if not params.ranges else DEFAULT_COUNT_CAP)
    rng = random.Random(f"{seed}:{q.id}")
    seen: set[tuple] = set()
    kept: list[dict[str, str]] = []
    draws = 0
    quiet: list[Diagnostic] = []
    try:
        while len(kept) < wanted and draws < MAX_DRAWS and (params.ranges or len(seen) < total):
            draws += 1
            chosen = dict(zip(names, _combination(int(rng.random() * total), options)))
            usable = True
            for name, low, high, step, loc in params.ranges:
                values = _dependent_range(q, params, name, (low, high, step), loc, chosen, report)
                if not values:
                    usable = False
                    break
                chosen[name] = values[int(rng.random() * len(values))]
            key = tuple(sorted(chosen.items()))
            if not usable or key in seen:
                continue
            seen.add(key)
            quiet.clear()
            values = _evaluate(params, chosen, quiet.append)
            if values is None:
                continue  # a derived value undefined for this draw: draw again
            if _holds(q, params, values, report):
                kept.append(chosen)
    except _StopDrawing:
        return kept
    if len(kept) < wanted and (params.count is not None or not kept):
        loc = params.where[0][1] if params.where else params.ranges[0][4]
        what = " and ".join(f"`{' '.join(t.split())}`" for t, _ in params.where) or "the dependent ranges"
        found = f"only {len(kept)} different draw(s)" if kept else "no draw"
        tried = f"all {total} combinations" if not params.ranges and len(seen) == total else f"{draws} draws"
        report(Diagnostic(loc, E_UNSATISFIED, f"`{q.id}`: {found} of the parameter values satisfied {what} in {tried}"
                          f"{f' (of {wanted} variants wanted)' if kept else ''}: relax the conditions, widen the values "
                          "or lower `count`"))
    return kept


def _dependent_range(q: Question, params: Parameters, name: str, bounds: tuple[str, str, str], loc: Loc,
                     chosen: dict[str, str], report: Report) -> list[str]:
    """from, from + step, … ≤ to for one draw, the bounds computed from the values drawn."""
    from . import expr

    literals = {n: v for n, v in chosen.items() if n not in params.strings}
    numbers = []
    for what, text in zip(("from", "to", "step"), bounds):
        try:
            value = expr.Scope(Check(loc=loc)).build(fill_expression(text, literals) or "")
        except expr.ExprError as e:
            report(e.diagnostic(loc))
            raise _StopDrawing from None
        if not (isinstance(value, expr.sp.Rational)):
            report(Diagnostic(loc, E_DRAW, f"`{q.id}`: `{what}` of the range of `{name}` is `{' '.join(text.split())}` = {value}, "
                              "not an exact number: use whole numbers or decimals"))
            raise _StopDrawing
        numbers.append(Fraction(int(value.p), int(value.q)))
    start, stop, step = numbers
    if step <= 0:
        report(Diagnostic(loc, E_DRAW, f"`{q.id}`: the step of the range of `{name}` must be positive"))
        raise _StopDrawing
    if stop < start:
        return []
    n = int((stop - start) / step) + 1
    if n > 1000:
        report(Diagnostic(loc, E_DRAW, f"`{q.id}`: the range of `{name}` has more than 1000 values for "
                          f"{', '.join(f'{k}={v}' for k, v in chosen.items())}; use a larger step"))
        raise _StopDrawing
    return [decimal_text(Decimal(start.numerator) / Decimal(start.denominator) + k * (Decimal(step.numerator) / Decimal(step.denominator)))
            for k in range(n)]


def _holds(q: Question, params: Parameters, values: dict[str, Value], report: Report) -> bool:
    """Whether every `where:` condition holds for these values (decided exactly by the key
    checker's claim logic); a condition it cannot decide stops the drawing (V106)."""
    from . import expr, keys

    literals = {n: v.literal for n, v in values.items() if v.numeric}
    scope = expr.Scope(Check(loc=params.loc))
    for text, loc in params.where:
        try:
            claim = scope.build(fill_expression(text, literals) or "", claim=True)
        except expr.ExprError as e:
            report(e.diagnostic(loc))
            raise _StopDrawing from None
        verdict = keys.decide_claim(claim)
        if verdict.value is None:
            report(Diagnostic(loc, E_DRAW, f"`{q.id}`: cannot decide `{' '.join(text.split())}` for "
                              f"{', '.join(f'{k}={v.shown}' for k, v in values.items())}: {verdict.why}"))
            raise _StopDrawing
        if not verdict.value:
            return False
    return True


_TIMED_OUT: dict[str, Value] = {}


def _within(timeout: float, report: Report, loc: Loc, what: str, call: Callable[..., T],
            *args: object) -> T | dict[str, Value] | None:
    """`call(*args)` under the checks' wall-clock bound; a timeout (then `_TIMED_OUT`) or a value
    too big to compute (a recursion, memory, a decimal overflow: then None) is a located
    V107 about `what`, instead of an hour of mpmath or a traceback."""
    from .keycheck.bounds import CheckTimeout, _time_bound

    try:
        with _time_bound(timeout):
            return call(*args)
    except CheckTimeout:
        report(Diagnostic(loc, E_DERIVED_LIMIT, f"{what} could not be computed within {timeout:g} s "
                          "(the other variants were not tried): simplify them"))
        return _TIMED_OUT
    except (RecursionError, MemoryError, ArithmeticError, ValueError) as exc:
        report(Diagnostic(loc, E_DERIVED_LIMIT, f"{what} are too large to compute ({type(exc).__name__}): simplify them"))
        return None


def _evaluate(params: Parameters, chosen: dict[str, str], report: Report) -> dict[str, Value] | None:
    """Parameter and derived values for one combination, exactly; None after an error."""
    from . import expr  # sympy: only when a template is expanded

    sp = expr.sp
    digits = dict(params.digits)
    values: dict[str, Value] = {}
    for name, literal in chosen.items():
        if name in params.strings:
            values[name] = Value(literal, literal, float("nan"), numeric=False)
            continue
        exact = literal_value(literal)
        if name in digits:
            exact = _rounded(exact, digits[name])
            literal = show_rational(exact, digits[name])
        values[name] = Value(literal, show_rational(exact, digits.get(name)), float(exact))
    if not params.derived:
        return values
    loc_of = {n: loc for n, _, loc in params.values} | {n: loc for n, _, _, _, loc in params.ranges}
    selects = {n: (by, dict(cases)) for n, by, cases in params.selects}
    defines = [(n, values[n].literal, loc_of[n]) for n in sorted(chosen) if values[n].numeric]
    known = {n for n, _, _ in defines}
    ok = True
    for name, text, loc in params.derived:
        if name in selects:
            by, cases = selects[name]
            key = values[by].literal if by in values else None
            if key not in cases:
                report(Diagnostic(loc, E_DERIVED, f"derived `{name}` has no case for {by} = `{key}`"))
                ok = False
                continue
            text = cases[key]
            if not _names_in(text) <= known | set(expr.CONSTANTS):
                # an expression in the check's own names: substituted into check expressions
                filled = fill_expression(text, {n: v.literal for n, v in values.items() if v.numeric}) or text
                values[name] = Value(filled, filled, float("nan"), numeric=False)
                continue
        defines.append((name, text, loc))
        known.add(name)
    scope = expr.Scope(Check(loc=params.loc, define=tuple(defines)))
    if scope.errors:
        for d in scope.errors:
            report(d)
        return None
    for name, text, loc in params.derived:
        if name in values:
            continue  # an expression-only selection
        value = scope.defines[name].full if name in scope.defines else None
        text = next(t for n, t, _ in defines if n == name) if name in scope.defines else text
        problem = None
        if value is None or expr.is_array(value) or isinstance(value, expr.Seq) or not getattr(value, "is_number", False):
            problem = "is not a single number"
        elif value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            problem = "is undefined for these values (a division by zero?)"
        elif value.is_extended_real is False:
            problem = "is not a real number for these values"
        if problem:
            report(Diagnostic(loc, E_DERIVED, f"derived `{name}` = `{' '.join(text.split())}` {problem}"))
            ok = False
            continue
        if value.is_Rational and max(abs(int(value.p)), int(value.q)).bit_length() > expr.MAX_LITERAL_DIGITS * 3.33:
            report(Diagnostic(loc, E_DERIVED_LIMIT, f"derived `{name}` = `{' '.join(text.split())}` has more than "
                              f"{expr.MAX_LITERAL_DIGITS} digits, more than a check expression may hold"))
            ok = False
            continue
        if name in digits:
            approx = Decimal(str(sp.N(value, 60))) if not value.is_Rational else None
            exact = Fraction(int(value.p), int(value.q)) if value.is_Rational else Fraction(approx)
            exact = _rounded(exact, digits[name])
            shown = show_rational(exact, digits[name])
            values[name] = Value(shown, shown, float(exact))
            continue
        if value.is_Rational:
            exact = Fraction(int(value.p), int(value.q))
            literal = str(exact)
            values[name] = Value(literal, show_rational(exact), float(exact))
            continue
        literal = sp.sstr(value)
        try:
            expr.parse(literal)
        except expr.ExprError:
            report(Diagnostic(loc, E_LITERAL, f"derived `{name}` = {literal} cannot be written in the check language"))
            ok = False
            continue
        approx = Decimal(str(sp.N(value, 40)))
        if not approx.is_finite() or (approx != 0 and not _SHOWABLE_MIN <= abs(approx) <= _SHOWABLE_MAX):
            report(Diagnostic(loc, E_DERIVED_LIMIT, f"derived `{name}` = `{' '.join(text.split())}` is about "
                              f"{approx:.3e}: too large or too small to show to students"))
            ok = False
            continue
        values[name] = Value(literal, decimal_text(_round_significant(approx)), float(approx))
    return values if ok else None


def _rounded(value: Fraction, decimals: int) -> Fraction:
    from .numfuncs import exact_round

    return exact_round(value, decimals)


def _names_in(text: str) -> set[str]:
    """The value names an expression uses (not the functions it calls); unparsable: {""}."""
    import ast

    from . import expr

    try:
        tree, _ = expr.parse(text)  # the allow-list's parser: bounded length and depth, no warnings
    except expr.ExprError:
        return {""}
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


_SHOWABLE_MIN, _SHOWABLE_MAX = Decimal("1e-100"), Decimal("1e100")
"""Derived values are shown in positional notation, never with an exponent: beyond these,
the text would be a hundred digits long (and past 1e308 not even a float)."""


def _instantiate(stub: Question, k: int, values: dict[str, Value]) -> Question:
    """The variant: every text and expression of the template with the values put in."""
    q = stub
    shown = {n: v.shown for n, v in values.items()}
    literals = {n: v.literal for n, v in values.items()}

    def text(t: str | None) -> str | None:
        return fill_text(t, shown)

    def expression(t: str | None) -> str | None:
        return fill_expression(t, literals)

    check = q.check
    if check is not None and not check.is_manual:
        check = dataclasses.replace(
            check,
            define=tuple((n, expression(t), loc) for n, t, loc in check.define),
            given=tuple((expression(key), expression(t), loc) for key, t, loc in check.given),
            quantity=expression(check.quantity),
            claim=expression(check.claim),
        )
    answer = q.answer
    if isinstance(answer, str):
        names = placeholder_names(answer)
        answer = values[names[0]].number if names and names[0] in values else answer
    return dataclasses.replace(
        q,
        text=text(q.text),
        title=f"{text(q.title)} (v{k})" if q.title else None,
        choices=tuple(
            dataclasses.replace(c, text=text(c.text), feedback=text(c.feedback), value=expression(c.value),
                                claim=expression(c.claim))
            for c in q.choices
        ),
        answer=answer,
        tolerance=(relative_tolerance(answer, q.tolerance_percent)
                   if q.tolerance_percent is not None and isinstance(answer, (int, float)) else q.tolerance),
        answers=tuple(dataclasses.replace(a, text=text(a.text), feedback=text(a.feedback)) for a in q.answers),
        pairs=tuple(Pair(text(p.left), text(p.right), p.loc) for p in q.pairs),
        distractors=tuple(text(d) for d in q.distractors),
        solution=text(q.solution),
        feedback=Feedback(text(q.feedback.correct), text(q.feedback.partial), text(q.feedback.incorrect)),
        category=tuple(q.category) + (q.variant_of,),
        check=check,
        parameters=None,
    )


def _duplicate_choices(q: Question, report: Report) -> bool:
    """Two options that read the same in this variant (e.g. `{{s}}` and `{{1 - s}}` at 0.5)."""

    seen: dict[str, int] = {}
    found = False
    for i, c in enumerate(q.choices):
        key = " ".join(c.text.split())
        if not key:
            continue  # left out: written from the value later (exporter.choice_texts)
        if key in seen:
            report(Diagnostic(c.loc, E_DUPLICATE_CHOICE, f"choices {choice_letter(seen[key])} and {choice_letter(i)} "
                              f"both read `{key}`: students could not tell them apart; change the values or the options"))
            found = True
        else:
            seen[key] = i
    return found


__all__ = [
    "DEFAULT_COUNT_CAP",
    "PLACEHOLDER",
    "Value",
    "VariantError",
    "choose",
    "expand",
    "expand_question",
    "expression_fields",
    "fill_expression",
    "fill_text",
    "label",
    "labelled",
    "placeholder_names",
    "report_for",
    "show_rational",
]
