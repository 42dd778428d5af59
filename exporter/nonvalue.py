"""Options that are not values: "none of the above", "undefined", … and per-choice manual keys.

Real banks have options whose truth is not "this equals the quantity": *none of the above* /
*all of the above* are true or false because of the other options, and *undefined*, *does
not exist*, *no real solution* are true exactly when the quantity has no real value. Before
this module such an option needed `claim: 1 == 0` — a restatement of the key, which is what
the checker exists to avoid. Now the option says what it means (`means: none of the above`)
and the checker decides it:

- `undefined` / `does not exist` / `no real solution`: true iff the quantity, at the given
  values, is not a finite real number — a division by zero, a limit whose sides differ or
  that is infinite (`nan`, `zoo`, `oo`), or a non-real number (`sqrt(-4)`). The three words
  are the same test; the text the students read is the author's.
- `none of the above` / `all of the above`: from the verdicts of the *other* options that
  are not themselves of this kind: none / every one of them true. An option the checker
  cannot decide makes these undecidable too (K104), never guessed.
- `manual: <reason>` on one option: its `correct:` flag is trusted (and used by none/all
  of the above); the reason is required, like the check-level `manual`.
"""

from __future__ import annotations

import sympy as sp

from .expr import entries
from .model import Choice

NO_VALUE = ("undefined", "does not exist", "no real solution")
ABOUT_OTHERS = ("none of the above", "all of the above")
MEANINGS = NO_VALUE + ABOUT_OTHERS


def has_no_value(quantity: object) -> bool | None:
    """True if the quantity is not a finite real number; None if that depends on symbols."""
    items = entries(quantity)
    for e in items:
        if not isinstance(e, sp.Basic):
            continue
        if e.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            return True
    for e in items:
        if isinstance(e, sp.Expr) and e.free_symbols:
            return None
        if isinstance(e, sp.Expr) and e.is_extended_real is False:
            return True
    return False


def needs_undefined_quantity(choices: tuple[Choice, ...]) -> bool:
    """Whether an undefined quantity is an answer here (rather than a K112 finding)."""
    return any(c.means in NO_VALUE for c in choices)


def about_others(kind: str, others: list[tuple[int, bool | None]]) -> tuple[bool | None, str]:
    """The truth of a none/all-of-the-above option from the other options' truths, and why."""
    from .model import choice_letter as _letter

    if not others:
        return None, "there are no other options to refer to"
    undecided = [i for i, t in others if t is None]
    true = [i for i, t in others if t is True]
    false = [i for i, t in others if t is False]
    if kind == "none of the above":
        if true:
            return False, f"choice {_letter(true[0])} is true"
        if undecided:
            return None, f"choice {_letter(undecided[0])} could not be decided"
        return True, "none of the other choices is true"
    if false:
        return False, f"choice {_letter(false[0])} is false"
    if undecided:
        return None, f"choice {_letter(undecided[0])} could not be decided"
    return True, "every other choice is true"


__all__ = ["ABOUT_OTHERS", "MEANINGS", "NO_VALUE", "about_others", "has_no_value", "needs_undefined_quantity"]
