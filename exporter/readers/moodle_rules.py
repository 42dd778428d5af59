"""What a Moodle question's grades mean in the bank, shared by the Moodle XML and GIFT readers.

Both formats land in the same Moodle question types with the same grade fractions, so the
rules for turning them into qbank's key are written once (the readers only differ in how
they find the fractions): a multiple_choice has one 100 % option, and the others' partial
credit or penalty is their `credit:`; a multiple_answers keeps the options worth more than
0 % as correct, and their grades as `credit:` unless they are qbank's own weights
(exporter.writers.moodle_grades); a numerical question has one number for full marks, and
its further answers are `other_answers`; a short answer's texts are matched literally, each
with its `credit:` below 100 %. Grades the bank cannot say (a correct set not adding up to
100 %) are reported (I202), never dropped silently; a question whose key cannot be kept is
skipped.

Grades here are fractions of 1 (Moodle XML's `fraction="50"` is 0.5).
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from ..credit import exact
from ..model import Answer, Choice, Feedback, Loc, OtherAnswer, Pair
from ..writers.moodle_bank import unescape_wildcards
from ..writers.moodle_grades import GradeError, multiple_answers_weights
from .common import W_PARTIAL, Imported, Skip

FULL = 0.99999
"""A grade that is 100 % (Moodle writes 100, 100.0000000 or 1)."""


def credit_of(grade: float) -> float:
    """A grade (fraction of 1) as the bank's `credit:` percent. Moodle's 7-decimal storage is
    kept (33.33333 stays 33.33333, which the writers read back as 1/3)."""
    value = round(grade * 100, 5)
    return int(value) if float(value).is_integer() else value


def choice_body(out: Imported, single: bool, options: list[tuple[float, str, str | None]], loc) -> dict:  # noqa: ANN001
    """(grade, text, feedback) per option → the `type` and `choices` of the question."""
    if len(options) < 2:
        raise Skip("a choice question needs at least two choices")
    choices = tuple(Choice(text=text, correct=grade >= FULL if single else grade > 0, loc=loc, feedback=feedback)
                    for grade, text, feedback in options)
    correct = sum(c.correct for c in choices)
    if single:
        if correct != 1:
            raise Skip(f"a single-answer question needs exactly one option worth 100 %, this one has {correct}")
        # partial credit and penalties on the other options are their `credit:`
        choices = tuple(c if c.correct or g == 0 else replace(c, credit=credit_of(g))
                        for c, (g, _, _) in zip(choices, options))
        return {"type": "multiple_choice", "choices": choices}
    if not correct:
        raise Skip("no option is worth more than 0 %")
    try:
        right, wrong = multiple_answers_weights(correct, len(choices) - correct)
        same = all(abs(g - float(right if c.correct else wrong)) < 0.0001 for (g, _, _), c in zip(options, choices))
    except GradeError:
        same = False
    if not same:
        credits = [credit_of(g) for g, _, _ in options]
        if sum((exact(x) for x, c in zip(credits, choices) if c.correct), Fraction(0)) == 1:
            choices = tuple(replace(c, credit=x) for c, x in zip(choices, credits))
        else:
            out.warn(loc, W_PARTIAL, "the options' grades do not add up to 100 % for the correct set: the correct "
                     "set is kept and the weights will be qbank's (README, \"Scoring policy for multiple answers\")")
    return {"type": "multiple_answers", "choices": choices}


def numerical_body(out: Imported, answers: list[tuple[float, str, float, float, str | None]],
                   others: str | None, loc) -> dict:  # noqa: ANN001
    """(grade, as written, value, tolerance, feedback) per answer, and the feedback for
    any other answer → the question's key and its further answers."""
    key = None
    ranges: list[OtherAnswer] = []
    for grade, _written, value, tolerance, feedback in answers:
        if grade < FULL:
            if grade or feedback:  # a 0 % range without feedback changes nothing
                ranges.append(OtherAnswer(float(value), abs(tolerance), loc, credit_of(grade), feedback))
            continue
        if key is not None:
            raise Skip("it accepts several numbers for full marks; a qbank numerical question has one")
        key = (value, abs(tolerance), feedback)
    if key is None:
        raise Skip("no answer is worth 100 %")
    value, tolerance, feedback = key
    return {"type": "numerical", "answer": int(value) if float(value).is_integer() else value,
            "tolerance": tolerance, "feedback": Feedback(correct=feedback, incorrect=others),
            "other_answers": tuple(ranges)}


def short_answer_body(out: Imported, answers: list[tuple[float, str, str | None]], loc) -> dict:  # noqa: ANN001
    """(grade, text as Moodle stores it, feedback) per answer → accepted answers, each below
    100 % with its `credit:`; `*` at 0 % is Moodle's "any other answer" (its feedback is the
    incorrect feedback)."""
    accepted: list[tuple[str, str | None, float | None]] = []
    others = None
    for i, (grade, raw, feedback) in enumerate(answers, 1):
        if raw == "*" and grade <= 0:
            others = feedback
            continue
        text, wildcard = unescape_wildcards(raw)
        if wildcard:
            raise Skip(f"answer {raw!r} uses Moodle's '*' wildcard; qbank answers are matched literally")
        if not text:
            raise Skip(f"answer {i} is empty")
        accepted.append((text, feedback, None if grade >= FULL else credit_of(grade)))
    if not any(credit is None for _, _, credit in accepted):
        raise Skip("no answer is worth 100 %")
    # One feedback on every full-credit answer is how both writers carry `feedback.correct`.
    full = [fb for _, fb, credit in accepted if credit is None]
    feedbacks = set(full)
    shared = feedbacks.pop() if len(full) > 1 and len(feedbacks) == 1 else None
    return {"type": "short_answer",
            "answers": tuple(Answer(text, loc, None if (shared is not None and credit is None) else fb, credit)
                             for text, fb, credit in accepted),
            "feedback": Feedback(correct=shared, incorrect=others)}


def matching_body(rows: list[tuple[str | None, str]], loc: Loc) -> dict:
    """Moodle's matching rule, for Moodle XML subquestions and GIFT `a -> b` lines alike:
    a row with a prompt is a pair, a row without one is an extra wrong answer, an empty
    answer or no pair at all is refused (Moodle refuses them too)."""
    pairs, distractors = [], []
    for i, (left, right) in enumerate(rows, 1):
        if not right:
            raise Skip(f"matching answer {i} is empty")
        if left:
            pairs.append(Pair(left, right, loc))
        else:
            distractors.append(right)
    if not pairs:
        raise Skip("a matching question needs at least one pair")
    return {"type": "matching", "pairs": tuple(pairs), "distractors": tuple(distractors)}
