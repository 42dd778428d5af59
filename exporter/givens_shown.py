"""Givens in the stem: every number the check is given must be one students are shown.

`given: {sigmoid(z): 0.8}` is what sympy proves the key with; if the question text says
0.7, the key is right for a question nobody is asked. So each given that is a plain number
(after a variant's parameters are substituted) must appear among the numbers of the text —
read as choice texts are read (exporter.latex.number: `0.25`, `-2`, `\\frac{1}{4}`), and
compared by value, so `0.5` is found as `\\frac{1}{2}` or `.50`. A missing one is an error
at the given (K122): CI must fail, as for a wrong key. No sympy: this runs on every check,
cached or not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from .diagnostics import Diagnostic
from .model import Question

MISSING = "K122"

_NUMBER_IN_TEXT = re.compile(r"(?<![_\w.])([-\u2212]\s?)?(\d+(?:\.\d+)?|\.\d+)(?![\w.])|\\[dt]?frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}")


def numbers_in(text: str) -> set[Decimal]:
    """The values of the numbers a text shows (both signs of each, since `x = -2` and
    `x - 2` are written alike); subscripts (`x_1`) are not numbers. Decimal, not Fraction:
    this runs on every check of every question, and Decimal is C code."""
    found: set[Decimal] = set()
    for m in _NUMBER_IN_TEXT.finditer(text):
        if m.group(3) is not None:
            if int(m.group(4)):
                value = Decimal(m.group(3)) / Decimal(m.group(4))
                found.update((value, -value))
            continue
        value = Decimal(m.group(2))
        found.update((value, -value))
    return found


_PLAIN = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d{1,3})?")
_RATIO = re.compile(r"([-+]?\d{1,30})\s*/\s*(\d{1,30})")


def _given_number(text: str) -> Decimal | None:
    t = text.strip()
    while t.startswith("(") and t.endswith(")"):
        t = t[1:-1].strip()
    if _PLAIN.fullmatch(t):
        return Decimal(t)
    m = _RATIO.fullmatch(t)
    if m and int(m.group(2)):
        return Decimal(m.group(1)) / Decimal(m.group(2))
    return None


def check(questions: Iterable[Question]) -> list[Diagnostic]:
    found = []
    for q in questions:
        if q.check is None or q.check.is_manual or q.parameters is not None or not q.check.given:
            continue
        if q.type == "true_false":
            continue  # a general statement; its givens may be just an instance to decide it on
        shown = numbers_in(q.text)
        for name, value_text, loc in q.check.given:
            value = _given_number(value_text)
            if value is None or value in shown:
                continue
            which = f" (variant {q.id})" if q.variant_of else ""
            found.append(
                Diagnostic(
                    loc,
                    MISSING,
                    f"given `{name}: {value_text.strip('() ')}` does not appear in the question text{which}: "
                    "students must be shown every value the key is computed from; fix the text or the given",
                )
            )
    return found
