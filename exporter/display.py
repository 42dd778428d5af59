"""What students see is what sympy proved: a choice's displayed text must denote its `value`.

The checker proves each `value:`; the LMS shows the `text:`. Here the text is read
(exporter.latex) and compared with the value the checker built, with the same equality
engine as the keys (exporter.keys.decide_equal: exact first, numeric refutation, never a
guess). Plain numbers are compared at the precision they are displayed with: "2.917" shows
35/12 correctly, "2.971" does not.

Outcomes, per displayed key:
- verified — nothing to report;
- K120 (error): the text denotes something else — located at the text, naming both sides;
- K121: qbank cannot read the text (prose, notation it does not know, a name it cannot map):
  "taken as written". The pipeline counts these for the summary and drops them, or makes them
  errors with `--strict-display`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

import sympy as sp

from . import latex
from .diagnostics import Diagnostic
from .expr import Scope, Seq, entries, is_array
from .model import Choice, Loc

MISMATCH = "K120"
TAKEN_AS_WRITTEN = "K121"


def names_of(scope: Scope) -> latex.Names:
    """The check's names, as the LaTeX reader maps onto them."""
    scalars = set(scope.defines) | set(scope.symbols)
    arrays = [(name, len(shape)) for name, shape in scope.check.symbols if shape and name in scope.symbols]
    return latex.Names(
        scalars=frozenset(scalars),
        arrays=tuple(sorted(arrays)),
        functions=frozenset(scope.functions) | {"sigmoid"},
        display=tuple(scope.check.display),
    )


class _Mismatch(Exception):
    pass


def _shown(text: str) -> str:
    return " ".join(text.split())


def _as_fraction(value: sp.Expr) -> Fraction | None:
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    if value.is_number and value.is_real is not False:
        n = sp.N(value, 40)
        if n.is_real and n.is_finite:
            return Fraction(str(sp.Float(n, 40)))
    return None


def _compare_number(reading: latex.Number, value: object, decide: Callable) -> bool | None:
    if not isinstance(value, sp.Expr):
        return False
    if reading.decimals is None:
        return decide(sp.Rational(reading.value.numerator, reading.value.denominator), value)
    exact = _as_fraction(value)
    if exact is None:
        return decide(sp.Rational(reading.value.numerator, reading.value.denominator), value)
    return abs(exact - reading.value) <= Fraction(1, 2 * 10**reading.decimals)


def _compare(reading: latex.Reading, value: object, build: Callable[[str], object], decide: Callable) -> bool | None:
    if isinstance(reading, latex.Number):
        return _compare_number(reading, value, decide)
    if isinstance(reading, latex.Items):
        if isinstance(value, Seq):
            items = list(value.items)
        elif is_array(value):
            items = entries(value)
        else:
            return False
        if len(items) != len(reading.items):
            return False
        results = [_compare(r, v, build, decide) for r, v in zip(reading.items, items)]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True
    return decide(build(reading.source), value)


def verify_choice(
    letter: str,
    choice: Choice,
    value: object,
    names: latex.Names,
    build: Callable[[str], object],
    decide: Callable[[object, object], bool | None],
) -> list[Diagnostic]:
    """Findings about one choice's displayed text (none when it is verified).

    `build(source)` builds check-language source as the checker builds a value (givens
    applied); `decide(a, b)` is the keys' equality (True, False or None: undecided).
    """
    if choice.text_loc is None:  # written by qbank from the value: nothing to verify
        return []
    loc: Loc = choice.text_loc
    text = choice.text
    try:
        reading = latex.read(text, names)
        verdict = _compare(reading, value, build, decide)
    except latex.Unreadable as why:
        return [_taken(loc, letter, text, str(why))]
    except Exception as exc:  # noqa: BLE001 - a text the builder refuses (unknown name, too big) is unread, not a crash
        found = getattr(exc, "diagnostic", None)
        reason = found.message if found is not None else (str(exc) or type(exc).__name__)
        return [_taken(loc, letter, text, f"it does not build as a value ({reason})")]
    if verdict is None:
        return [_taken(loc, letter, text, "sympy cannot decide whether it equals the value")]
    if verdict:
        return []
    return [
        Diagnostic(
            loc,
            MISMATCH,
            f"choice {letter} is displayed as {_shown(text)} but its value is {_shown(choice.value or '')}: "
            "students would see a different answer from the one checked; fix the text or the value",
        )
    ]


def _taken(loc: Loc, letter: str, text: str, why: str) -> Diagnostic:
    return Diagnostic(
        loc,
        TAKEN_AS_WRITTEN,
        f"choice {letter}'s text {_shown(text)} is taken as written: {why} "
        "(write it as a number or one `$…$` formula, or map names with the check's `display:`)",
        "warning",
    )
