"""What a Moodle question's grades mean in the bank, shared by the Moodle XML and GIFT readers.

Both formats land in the same Moodle question types with the same grade fractions, so the
rules for turning them into qbank's key are written once (the readers only differ in how
they find the fractions): a multiple_choice is all-or-nothing with one 100 % option; a
multiple_answers keeps the options worth more than 0 % and takes qbank's own weights
(exporter.writers.moodle_grades); a numerical question has one accepted number; a short
answer accepts texts for full marks, matched literally. Partial credit the bank cannot say is
reported (I202), never dropped silently; a question whose key cannot be kept is skipped.

Grades here are fractions of 1 (Moodle XML's `fraction="50"` is 0.5).
"""

from __future__ import annotations

from ..model import Answer, Choice, Feedback
from ..writers.moodle_bank import unescape_wildcards
from .common import W_PARTIAL, Imported, Skip

FULL = 0.99999
"""A grade that is 100 % (Moodle writes 100, 100.0000000 or 1)."""


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
        partial = [f"{g * 100:g} %" for g, _, _ in options if 0 < g < FULL]
        if partial:
            out.warn(loc, W_PARTIAL, f"partial credit ({', '.join(partial)}) dropped: qbank grades a "
                     "multiple_choice question all-or-nothing")
        return {"type": "multiple_choice", "choices": choices}
    if not correct:
        raise Skip("no option is worth more than 0 %")
    from ..writers.moodle_grades import GradeError, multiple_answers_weights

    try:
        right, wrong = multiple_answers_weights(correct, len(choices) - correct)
        same = all(abs(g - float(right if c.correct else wrong)) < 0.0001 for (g, _, _), c in zip(options, choices))
    except GradeError:
        same = False
    if not same:
        out.warn(loc, W_PARTIAL, "the options' grades differ from qbank's multiple_answers weights (README, "
                 "\"Scoring policy for multiple answers\"): the correct set is kept and the weights will be qbank's")
    return {"type": "multiple_answers", "choices": choices}


def numerical_body(out: Imported, answers: list[tuple[float, str, float, float, str | None]],
                   others: str | None, loc) -> dict:  # noqa: ANN001
    """(grade, as written, value, tolerance, feedback) per answer, and the feedback for
    any other answer → the question's key."""
    key = None
    for grade, written, value, tolerance, feedback in answers:
        if grade < FULL:
            out.warn(loc, W_PARTIAL, f"answer {written!r} worth {grade * 100:g} % dropped: qbank numerical "
                     "questions have one accepted answer")
            continue
        if key is not None:
            raise Skip("it accepts several numbers for full marks; a qbank numerical question has one")
        key = (value, abs(tolerance), feedback)
    if key is None:
        raise Skip("no answer is worth 100 %")
    value, tolerance, feedback = key
    return {"type": "numerical", "answer": int(value) if float(value).is_integer() else value,
            "tolerance": tolerance, "feedback": Feedback(correct=feedback, incorrect=others)}


def short_answer_body(out: Imported, answers: list[tuple[float, str, str | None]], loc) -> dict:  # noqa: ANN001
    """(grade, text as Moodle stores it, feedback) per answer → accepted answers; `*` at 0 %
    is Moodle's "any other answer" (its feedback is the incorrect feedback)."""
    accepted: list[tuple[str, str | None]] = []
    others = None
    for i, (grade, raw, feedback) in enumerate(answers, 1):
        if raw == "*" and grade <= 0:
            others = feedback
            continue
        if grade < FULL:
            out.warn(loc, W_PARTIAL, f"answer {raw!r} worth {grade * 100:g} % dropped: qbank short answers are "
                     "accepted for full marks only")
            continue
        text, wildcard = unescape_wildcards(raw)
        if wildcard:
            raise Skip(f"answer {raw!r} uses Moodle's '*' wildcard; qbank answers are matched literally")
        if not text:
            raise Skip(f"answer {i} is empty")
        accepted.append((text, feedback))
    if not accepted:
        raise Skip("no answer is worth 100 %")
    # One feedback on every accepted answer is how both writers carry `feedback.correct`.
    feedbacks = {fb for _, fb in accepted}
    shared = feedbacks.pop() if len(accepted) > 1 and len(feedbacks) == 1 else None
    return {"type": "short_answer",
            "answers": tuple(Answer(text, loc, None if shared is not None else fb) for text, fb in accepted),
            "feedback": Feedback(correct=shared, incorrect=others)}
