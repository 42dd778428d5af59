"""Partial credit: what a bank's `credit:` percentages mean, exactly, for every target.

A credit is written in percent (`credit: 50`, `credit: -25`, `credit: 33.33333`). Writers
and checks need it as an exact fraction — Moodle refuses a grade that is not one of its
list, and a multiple-answers question's credits must add up to exactly 100 % — so this
module is the one place that turns the written number into a `Fraction`: a credit within
Moodle's own matching distance (1e-5 of the fraction, `match_grade_options`) of a grade in
its list is that grade (33.33333 is 1/3), anything else is the decimal as written.

The consistency rules live here too, because both the loader (E217, before any target is
written) and the writers rely on them: a question's credits say one scoring, never two.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from .model import Choice, Loc, Question, choice_letter
from .writers.moodle_grades import MATCH_TOLERANCE, MOODLE_FRACTIONS

FULL = Fraction(1)


def exact(percent: float) -> Fraction:
    """`percent` (as written in the bank) as an exact fraction of the points."""
    written = Fraction(str(percent)) / 100
    for grade in MOODLE_FRACTIONS:
        if abs(written - grade) < Fraction(MATCH_TOLERANCE):
            return grade
    return written


def show(weight: Fraction) -> str:
    """A weight as the percent an author would write (for messages)."""
    value = float(weight * 100)
    return f"{value:.5g} %"


def has_credits(q: Question) -> bool:
    """True when the author set any credit on the question's choices or answers."""
    return (any(c.credit is not None for c in q.choices) or any(a.credit is not None for a in q.answers)
            or bool(q.other_answers))


def choice_weights(q: Question) -> list[Fraction] | None:
    """Each option's weight from its `credit:`, or None when no option has one (the type's
    default scoring applies: all-or-nothing, or qbank's equal multiple-answers shares)."""
    if not any(c.credit is not None for c in q.choices):
        return None
    weights = []
    for c in q.choices:
        if c.credit is not None:
            weights.append(exact(c.credit))
        else:
            weights.append(FULL if c.correct and q.type == "multiple_choice" else Fraction(0))
    return weights


def answer_weight(credit: float | None) -> Fraction:
    """A short answer's weight (no credit: full marks)."""
    return FULL if credit is None else exact(credit)


def problems(q: Question) -> Iterator[tuple[Loc, str]]:
    """Credits that contradict the question's key or each other: (where, what to do)."""
    if q.type == "multiple_choice":
        for letter, c in _lettered(q):
            if c.credit is None:
                continue
            w = exact(c.credit)
            where = c.credit_loc or c.loc
            if c.correct and w != FULL:
                yield where, (f"choice {letter} is the key, so it is worth 100 %, not {show(w)}; give the partial "
                              "credit to another option (or remove `credit:` here)")
            elif not c.correct and w >= FULL:
                yield where, (f"choice {letter} is keyed incorrect but worth {show(w)}; a multiple_choice question "
                              "has one key worth 100 %: mark it `correct: true`, or give it less than 100")
    elif q.type == "multiple_answers" and any(c.credit is not None for c in q.choices):
        total = Fraction(0)
        for letter, c in _lettered(q):
            where = c.credit_loc or c.loc
            if c.correct and c.credit is None:
                yield c.loc, (f"choice {letter} is correct but has no `credit:`; once one option has a credit, "
                              "every correct option needs one (they add up to 100)")
                continue
            w = exact(c.credit) if c.credit is not None else Fraction(0)
            if c.correct and w <= 0:
                yield where, f"choice {letter} is correct, so ticking it must earn credit, not {show(w)}"
            elif not c.correct and w > 0:
                yield where, (f"choice {letter} is keyed incorrect but earns {show(w)}; an incorrect option may "
                              "carry a penalty (a negative credit) or 0")
            if c.correct:
                total += w
        if total != FULL and all(c.credit is not None for c in q.choices if c.correct):
            yield q.loc, (f"the correct options' credits add up to {show(total)}, not 100 %: the correct set must "
                          "earn exactly full marks")
    elif q.type == "short_answer" and q.answers:
        if all(answer_weight(a.credit) < FULL for a in q.answers):
            yield q.loc, "no answer is worth 100 %: give one accepted answer full credit (or no `credit:`)"
    elif q.type == "numerical":
        for i, o in enumerate(q.other_answers, 1):
            if q.parameters is not None:
                yield o.loc, ("other_answers are not available on a parametrised question yet (their ranges would "
                              "not follow the variants); remove them or the parameters")
                break
            if o.credit == 0 and not o.feedback:
                yield o.loc, f"other answer {i} earns nothing and says nothing: give it `credit:` or `feedback:`"


def _lettered(q: Question) -> Iterator[tuple[str, Choice]]:
    for i, c in enumerate(q.choices):
        yield choice_letter(i), c
