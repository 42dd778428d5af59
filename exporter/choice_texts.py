"""Choice texts qbank writes itself: a choice with a `value` and no `text`.

One source of truth: the author states the value once and students see it as qbank prints
it, so text and value cannot disagree. Numbers are written as decimals (`digits:` per
question, else per bank, fixes the places: `digits: 3` writes 35/12 as 2.917); expressions
with sympy's LaTeX printer, the check's names mapped back to notation (`x1` → `x_{1}`,
`yhat` → `\\hat{y}`, `x[1]` → `x_{1}`, a `display:` entry → its LaTeX).

Runs after variants are made (a variant's `value: key` is then a number) and only imports
sympy when some choice needs an expression written.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Sequence

from .model import Bank, Choice, Question

_DECIMAL = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
DEFAULT_MAX_DIGITS = 6


def needs_text(c: Choice) -> bool:
    return not c.text and c.value is not None and c.text_loc is None


def fill(banks: Sequence[Bank]) -> list[Bank]:
    """The banks with every omitted choice text written from its value."""
    out = []
    for bank in banks:
        if any(needs_text(c) for q in bank.questions for c in q.choices):
            bank = replace(bank, questions=tuple(_question(q) for q in bank.questions))
        out.append(bank)
    return out


def _question(q: Question) -> Question:
    if not any(needs_text(c) for c in q.choices):
        return q
    return replace(q, choices=tuple(replace(c, text=write(q, c.value or "")) if needs_text(c) else c for c in q.choices))


def number_text(value: Decimal, digits: int | None) -> str:
    """A decimal as students read it: `digits` places, else as exact as 6 places allow."""
    if digits is not None:
        shown = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    else:
        shown = value.quantize(Decimal(1).scaleb(-DEFAULT_MAX_DIGITS), rounding=ROUND_HALF_EVEN).normalize()
    text = format(shown, "f")
    return "0" if text in ("-0", "0", "") else text


def write(q: Question, value: str) -> str:
    """The text for one value of q (its check's names)."""
    literal = value.strip()
    while literal.startswith("(") and literal.endswith(")"):
        literal = literal[1:-1].strip()
    if _DECIMAL.fullmatch(literal):
        try:
            return number_text(Decimal(literal), q.digits)
        except InvalidOperation:
            pass
    return _latex(q, value)


def _latex(q: Question, value: str) -> str:
    import sympy as sp

    from .expr import ExprError, Scope, Seq, entries, is_array

    if q.check is None or q.check.is_manual:
        return value
    scope = Scope(q.check)
    try:
        built = scope.build(value)
    except ExprError:
        return value  # the checker reports the value itself
    back = {name: latex for latex, name in q.check.display}

    def name_of(symbol: sp.Symbol) -> str:
        name = symbol.name
        if name in back:
            return back[name]
        m = re.fullmatch(r"([A-Za-z]+)\[(\d+(?:,\d+)*)\]", name)
        if m:
            return f"{m.group(1)}_{{{m.group(2).replace(',', '')}}}"
        m = re.fullmatch(r"([A-Za-z]+?)(hat|bar|tilde)", name)
        if m:
            return f"\\{m.group(2)}{{{m.group(1)}}}"
        m = re.fullmatch(r"([A-Za-z]+?)_?(\d+)", name)
        if m:
            return f"{m.group(1)}_{{{m.group(2)}}}"
        return sp.latex(sp.Symbol(name))

    def one(e: object) -> str:
        if isinstance(e, Seq):
            inner = ", ".join(one(x) for x in e.items)
            return f"({inner})" if e.paren else f"[{inner}]"
        if is_array(e):
            return "[" + ", ".join(one(x) for x in entries(e)) + "]"
        if isinstance(e, sp.Basic) and e.is_number and q.digits is not None:
            return number_text(Decimal(str(sp.N(e, 30))), q.digits)
        names = {s: name_of(s) for s in e.free_symbols} if isinstance(e, sp.Basic) else {}
        return sp.latex(e, symbol_names=names)

    if isinstance(built, sp.Basic) and built.is_number and q.digits is not None:
        return one(built)  # a plain number, as the decimal path writes one
    return f"${one(built)}$"
