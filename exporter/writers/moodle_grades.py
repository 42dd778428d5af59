"""Grade fractions Moodle's importers accept, and the multiple-answers scoring policy.

Why this module exists: Moodle's Moodle-XML and GIFT importers do not store whatever
fraction a file says. `qformat_default::importprocess()` (question/format.php) passes every
answer fraction through `match_grade_options()` with the default `matchgrades = 'error'`,
which accepts a value only if it lies within 1e-5 of an entry of
`question_bank::fraction_options_full()` (question/engine/bank.php). Anything else is an
"invalid grade" and the question is refused — and with the importer's default "stop on
error", one refused question means *nothing* from the file is imported. So a writer must
never emit a fraction outside that list, and the GIFT and Moodle XML writers share this
one implementation of it.

The list (bank.php, `ensure_fraction_options_initialised()`): 0, ±1, and ± each of
9/10, 5/6, 4/5, 3/4, 7/10, 2/3, 3/5, 1/2, 2/5, 1/3, 3/10, 1/4, 1/5, 1/6, 1/7, 1/8, 1/9,
1/10, 1/20. Moodle stores them as 7-decimal strings ("0.3333333"); we keep the exact
intended values as `Fraction`s and compare the way Moodle does.

Scoring policy for multiple answers (documented for instructors in the README, "Moodle XML export"): each
correct option is worth 1/n_correct and each incorrect option −1/n_incorrect. The correct
set scores exactly 100 % and ticking every box exactly 0 % (as exact fractions; Moodle's
7-decimal storage leaves sums within 5e-7 of those, inside its own 1e-6 thresholds for
"correct" and "incorrect"), and equal weights mean no option silently counts more than
another. 1/n is in
Moodle's list only for n = 1…10 and n = 20, so those are the numbers of correct (and of
incorrect) options we can express; for any other count we raise `GradeError` instead of
writing a different grade (unequal weights would make some options silently count more).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from numbers import Rational

__all__ = [
    "GradeError",
    "MOODLE_FRACTIONS",
    "MATCH_TOLERANCE",
    "EXPRESSIBLE_COUNTS",
    "multiple_answers_weights",
    "percent",
    "moodle_match",
    "is_moodle_fraction",
]


class GradeError(ValueError):
    """A grade Moodle's importer would refuse; the message says which and what to do."""


_POSITIVE = (
    Fraction(1),
    Fraction(9, 10),
    Fraction(5, 6),
    Fraction(4, 5),
    Fraction(3, 4),
    Fraction(7, 10),
    Fraction(2, 3),
    Fraction(3, 5),
    Fraction(1, 2),
    Fraction(2, 5),
    Fraction(1, 3),
    Fraction(3, 10),
    Fraction(1, 4),
    Fraction(1, 5),
    Fraction(1, 6),
    Fraction(1, 7),
    Fraction(1, 8),
    Fraction(1, 9),
    Fraction(1, 10),
    Fraction(1, 20),
)

MOODLE_FRACTIONS: tuple[Fraction, ...] = (
    _POSITIVE + (Fraction(0),) + tuple(-f for f in reversed(_POSITIVE))
)
"""question_bank::fraction_options_full(), as exact values, from 1 down to −1."""

MATCH_TOLERANCE = 1e-5
"""match_grade_options(): `abs($grade - $value) < 0.00001`, on fractions (not percent)."""

_MOODLE_KEYS: tuple[float, ...] = tuple(float(round(f, 7)) for f in MOODLE_FRACTIONS)
"""The list as Moodle itself holds it: values rounded to 7 decimals ("0.3333333")."""

_PERCENT_DECIMALS = 5
"""100·f to 5 decimals is f to 7 decimals, i.e. exactly Moodle's own key (33.33333 →
0.3333333): the error is ≤ 5e-8, far inside the 1e-5 tolerance, while 33.33 (error
3.3e-5) is refused."""


def _exact(weight: Fraction | int) -> Fraction:
    if isinstance(weight, bool) or not isinstance(weight, Rational):
        # Floats are refused on purpose: 1/3 as a float is not 1/3, and the point of this
        # module is that sums like 3 × 1/3 are exact.
        raise TypeError(f"grade weights must be Fraction or int, not {type(weight).__name__}")
    return Fraction(weight)


EXPRESSIBLE_COUNTS: tuple[int, ...] = tuple(
    n for n in range(1, 101) if Fraction(1, n) in MOODLE_FRACTIONS
)
"""Option counts n whose equal share 1/n Moodle accepts: 1…10 and 20."""


def moodle_match(value: float) -> float | None:
    """Moodle's match_grade_options(…, 'error'): the list key `value` matches, or None.

    `value` is a fraction as the importer sees it (the XML/GIFT percentage divided by 100).
    """
    for key in _MOODLE_KEYS:
        if abs(value - key) < MATCH_TOLERANCE:
            return key
    return None


def is_moodle_fraction(weight: Fraction | int) -> bool:
    """True when `weight` is exactly one of Moodle's grade options."""
    return _exact(weight) in MOODLE_FRACTIONS


def _describe(weight: Fraction) -> str:
    return f"{weight} ({float(weight) * 100:.4g} %)"


@lru_cache(maxsize=None)  # a handful of weights, asked for several times per question
def percent(weight: Fraction | int) -> str:
    """Moodle/GIFT percentage text for `weight`: Fraction(1, 3) → '33.33333', 1 → '100'.

    Five decimals are what make the text match Moodle's list (see `_PERCENT_DECIMALS`);
    trailing zeros are dropped so common grades read naturally ('50', '-100'). The text
    always uses '.', never a locale comma. Raises GradeError for a weight that is not in
    Moodle's list, so no writer can emit a grade the importer would refuse.
    """
    exact = _exact(weight)
    if exact not in MOODLE_FRACTIONS:
        raise GradeError(
            f"grade {_describe(exact)} is not one Moodle accepts; use one of its grade "
            "options (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, "
            "25, 20, 16.66667, 14.28571, 12.5, 11.11111, 10, 5, 0 %, or their negatives)"
        )
    scaled = round(exact * 100, _PERCENT_DECIMALS)  # exact decimal rounding on Fractions
    sign = "-" if scaled < 0 else ""
    scaled = abs(scaled)
    whole, rest = divmod(scaled, 1)
    digits = f"{int(rest * 10**_PERCENT_DECIMALS):0{_PERCENT_DECIMALS}d}".rstrip("0")
    text = f"{int(whole)}.{digits}" if digits else f"{int(whole)}"
    return "0" if text == "0" else sign + text


def multiple_answers_weights(n_correct: int, n_incorrect: int) -> tuple[Fraction, Fraction]:
    """(weight of each correct option, weight of each incorrect option), in [−1, 1].

    The correct set sums to exactly 1 and ticking every box to exactly 0 (each incorrect
    option weighs 0 when there are none). Raises GradeError if Moodle cannot express it.
    """
    if n_correct < 1:
        raise GradeError(
            "a multiple-answers question needs at least one correct option (no set of "
            "boxes could score 100 %); mark the correct options, or make it multiple_choice"
        )
    if n_incorrect < 0:
        raise ValueError("n_incorrect must be ≥ 0")
    correct = Fraction(1, n_correct)
    incorrect = Fraction(-1, n_incorrect) if n_incorrect else Fraction(0)
    if correct not in MOODLE_FRACTIONS:
        raise GradeError(
            f"{n_correct} correct options would each be worth {_describe(correct)}, which "
            "Moodle's importer refuses (it accepts a 1/n share only for n = 1 to 10 or 20); "
            "use at most 10 correct options, e.g. split the question in two"
        )
    if incorrect not in MOODLE_FRACTIONS:
        raise GradeError(
            f"{n_incorrect} incorrect options would each cost {_describe(-incorrect)}, "
            "which Moodle's importer refuses (it accepts a 1/n share only for n = 1 to 10 "
            "or 20); use at most 10 incorrect options, e.g. drop some distractors"
        )
    return correct, incorrect
