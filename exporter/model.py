"""The typed model every stage shares.

Plain data only: no I/O and no knowledge of any export format, so the loader can build it,
the checker can read it and each writer can turn it into bytes without depending on one
another. Every node keeps the location it came from, because every message we print must
point the author at a line and column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

QuestionType = Literal[
    "multiple_choice",
    "multiple_answers",
    "true_false",
    "numerical",
    "short_answer",
    "essay",
    "matching",
    "cloze",
]

PartType = Literal["numerical", "short_answer", "multiple_choice"]

CHOICE_TYPES = ("multiple_choice", "multiple_answers")


@dataclass(frozen=True)
class Loc:
    """A position in a bank file; line and column are 1-based like every editor's."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


def choice_letter(index: int) -> str:
    """A, B, …, Z, AA, AB: how messages and pages name the option at `index` (0-based), in
    the order the bank lists them (every export keeps that order)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class Choice:
    """One option of a choice question.

    `value` (an expression compared with the question's checked quantity) or `claim` (a
    statement sympy decides) is what lets the checker recompute `correct` instead of
    trusting it.
    """

    text: str
    correct: bool
    loc: Loc
    feedback: str | None = None
    value: str | None = None
    claim: str | None = None
    value_loc: Loc | None = None
    claim_loc: Loc | None = None
    correct_loc: Loc | None = None
    means: str | None = None
    """A non-value option the checker decides: "none of the above", "undefined", … (exporter.nonvalue)."""
    manual: str | None = None
    """Why this one option's `correct:` flag cannot be computed; the flag is then trusted."""
    text_loc: Loc | None = None
    """Where `text` is written; None when the loader wrote it from `value` (it was left out)."""
    credit: float | None = None
    """Percent of the points this option is worth (negative: a penalty); None: the type's
    default (all-or-nothing, or qbank's equal multiple-answers shares)."""
    credit_loc: Loc | None = None


@dataclass(frozen=True)
class Answer:
    """An accepted response of a short-answer question (matched as text by the LMS)."""

    text: str
    loc: Loc
    feedback: str | None = None
    credit: float | None = None
    """Percent of the points this answer earns (None: 100); 0 with feedback is a
    wrong-answer feedback entry."""
    credit_loc: Loc | None = None


@dataclass(frozen=True)
class OtherAnswer:
    """A numerical question's further answer range, with its own credit and feedback.

    `value` is the check-language expression the range stands for (a typical mistake, the
    right order of magnitude): the checker proves the range holds it and not the key, the
    way it proves the key itself.
    """

    answer: float
    tolerance: float
    loc: Loc
    credit: float = 0.0
    feedback: str | None = None
    value: str | None = None
    value_loc: Loc | None = None
    credit_loc: Loc | None = None


@dataclass(frozen=True)
class Pair:
    """A matching-question row: a prompt and the answer it must be matched with."""

    left: str
    right: str
    loc: Loc


@dataclass(frozen=True)
class Feedback:
    """Question-level feedback shown after submission, by outcome."""

    correct: str | None = None
    partial: str | None = None
    incorrect: str | None = None


@dataclass(frozen=True)
class Check:
    """What sympy needs to recompute the key, or why it cannot.

    Expressions stay as source text with their locations: parsing them is the checker's
    job (through an allow-list), never the loader's.
    """

    loc: Loc
    manual: str | None = None
    symbols: tuple[tuple[str, tuple[int, ...]], ...] = ()
    assumptions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Per symbol that has any: the words declared for it (`positive`, `integer`, …)."""
    functions: tuple[str, ...] = ()
    define: tuple[tuple[str, str, Loc], ...] = ()
    given: tuple[tuple[str, str, Loc], ...] = ()
    quantity: str | None = None
    quantity_loc: Loc | None = None
    claim: str | None = None
    claim_loc: Loc | None = None
    display: tuple[tuple[str, str], ...] = ()
    """LaTeX → check name, for displayed math whose names qbank cannot map by itself."""

    @property
    def is_manual(self) -> bool:
        return self.manual is not None


@dataclass(frozen=True)
class Part:
    """One blank of a cloze question: a small numerical, short-answer or choice question.

    It holds the fields of the question type it stands for rather than a nested Question,
    so the model stays a tree of distinct classes (the caches' codec rebuilds by type hint).
    `part_question` makes the stand-alone Question that checks and writers reuse.
    """

    name: str
    type: PartType
    loc: Loc
    points: int = 1
    """Moodle gives each blank an integer mark and the question the sum (multianswer)."""
    answer: float | str | None = None
    answer_loc: Loc | None = None
    tolerance: float | None = None
    answers: tuple[Answer, ...] = ()
    choices: tuple[Choice, ...] = ()
    check: Check | None = None


CLOZE_BLANK = r"\[\[\s*([A-Za-z_][A-Za-z0-9_]*)\s*\]\]"
"""`[[name]]` in a cloze question's text: where part `name` goes. Double square brackets,
because `{{name}}` already means a parameter's value and Markdown gives `[[x]]` no meaning."""


@dataclass(frozen=True)
class Parameters:
    """A question's declared parameters: the question is a template for its variants.

    `values` lists, per name, the candidate values as exact literal text (`0.6` stays
    `0.6`; a `{from, to, step}` range is already spelled out by the loader). `derived`
    names are expressions over them, evaluated exactly when variants are made
    (exporter.variants), never by the loader, which must not need sympy.
    """

    loc: Loc
    values: tuple[tuple[str, tuple[str, ...], Loc], ...]
    derived: tuple[tuple[str, str, Loc], ...] = ()
    count: int | None = None
    count_loc: Loc | None = None
    strings: tuple[str, ...] = ()
    """Names whose values are text (`currency: [USD, EUR]`), shown as written."""
    ranges: tuple[tuple[str, str, str, str, Loc], ...] = ()
    """Dependent ranges (name, from, to, step): bounds are expressions over other parameters."""
    selects: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = ()
    """Derived names chosen by a string parameter: (name, parameter, ((value, expression), …));
    they keep their place in `derived` (with the text "")."""
    where: tuple[tuple[str, Loc], ...] = ()
    """Conditions every variant must satisfy (claims in the check language)."""
    digits: tuple[tuple[str, int], ...] = ()
    """Decimals a name is rounded to and shown with."""

    @property
    def names(self) -> tuple[str, ...]:
        return (
            tuple(n for n, _, _ in self.values)
            + tuple(n for n, _, _, _, _ in self.ranges)
            + tuple(n for n, _, _ in self.derived)
        )

    @property
    def drawn(self) -> bool:
        """Variants are drawn one by one (conditions or dependent ranges), not enumerated."""
        return bool(self.where or self.ranges)

    @property
    def combinations(self) -> int:
        total = 1
        for _, options, _ in self.values:
            total *= len(options)
        return total


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    text: str
    loc: Loc
    title: str | None = None
    points: float = 1.0
    choices: tuple[Choice, ...] = ()
    answer: float | bool | str | None = None
    """numerical: a number; true_false: a bool; a parametrised template may hold `{{name}}`."""
    answer_loc: Loc | None = None
    tolerance: float | None = None
    tolerance_percent: float | None = None
    """Set when the bank wrote `tolerance: 1%`: `tolerance` is then that share of |answer|
    (computed once the answer is a number: at load, or per variant)."""
    answers: tuple[Answer, ...] = ()
    other_answers: tuple[OtherAnswer, ...] = ()
    """numerical: further ranges with partial (or no) credit and their own feedback."""
    pairs: tuple[Pair, ...] = ()
    distractors: tuple[str, ...] = ()
    solution: str | None = None
    feedback: Feedback = field(default_factory=Feedback)
    tags: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    check: Check | None = None
    parameters: Parameters | None = None
    """Set on a template (as loaded); its variants have None here and `variant_of` set."""
    variant_of: str | None = None
    """The id of the parametrised question this variant was made from."""
    variant_values: tuple[tuple[str, str], ...] = ()
    """A variant's parameter values as shown in its text, for messages about it."""
    shuffle: bool | None = None
    """Shuffle the options in the LMS (None: the target's default for the type)."""
    points_loc: Loc | None = None
    """Where `points` was set: the question's `points:` line, or a quiz's (a finding about
    the points then points into the quiz file, which caused it). None: the default 1."""
    digits: int | None = None
    """Decimal places of numbers qbank writes for omitted choice texts (question, else bank)."""
    text_loc: Loc | None = None
    """Where `text` is written (messages about the math in it point there)."""
    parts: tuple[Part, ...] = ()
    """cloze: the blanks, in the order the bank lists them (the text may place them otherwise)."""
    skip: tuple[tuple[str, str], ...] = ()
    """(target, reason): exports the author left this question out of, on purpose."""
    accept_losses: tuple[str, ...] = ()
    """Warning codes of what a target cannot keep that the author has weighed and accepted
    for this question: they are counted in the summary instead of printed each build."""

    @property
    def display_title(self) -> str:
        """A short name for LMS question lists; falls back to the id, which is always set."""
        return self.title or self.id

    @property
    def correct_choices(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if c.correct)


def part_question(q: Question, part: Part) -> Question:
    """Part `part` of cloze question `q` as a question of its own type: the checker verifies
    its key exactly like a whole question's, and writers reuse their per-type rules."""
    return Question(
        id=f"{q.id}.{part.name}",
        type=part.type,
        text=f"[[{part.name}]]",
        loc=part.loc,
        points=float(part.points),
        choices=part.choices,
        answer=part.answer,
        answer_loc=part.answer_loc,
        tolerance=part.tolerance,
        answers=part.answers,
        check=part.check,
        digits=q.digits,
    )


@dataclass(frozen=True)
class Group:
    """Questions of which each student gets `pick`, drawn at random by the LMS.

    Canvas imports it as a question group (a QTI section with a selection); Moodle and
    GIFT carry it as a subcategory named `name`, to draw random questions from. `points`
    is what each picked question is worth (None: the questions' own points).
    """

    name: str
    pick: int
    question_ids: tuple[str, ...]
    points: float | None = None
    loc: Loc | None = None


@dataclass(frozen=True)
class Bank:
    """One bank file. `name` is the file stem and names every export (`dist/*/<name>.*`).

    A quiz (exporter.quizzes) is also a Bank, assembled from bank questions: its `path` is
    the quiz file, while each question keeps the locations of the bank file it came from.
    """

    name: str
    title: str
    path: str
    questions: tuple[Question, ...]
    category: tuple[str, ...] = ()
    description: str | None = None
    retired: tuple[tuple[str, Loc], ...] = ()
    """Ids removed since a release, with where they are listed: never to be reused."""
    seed: str = "0"
    """The term seed: which variants of parametrised questions this bank builds to."""
    groups: tuple[Group, ...] = ()
    """Question groups (variants of one question, or a quiz's "pick N of these")."""
    unloaded: tuple[tuple[str, Loc], ...] = ()
    """Ids of questions left out of `questions` for an error in them: still taken (a later
    duplicate is reported) and still present (the lock does not call them lost)."""


# --- the one walk over a bank's texts and expressions


@dataclass(frozen=True)
class TextField:
    """One text of a bank, as every stage walks it: the loader (`{{name}}` references),
    variants (filling them in), figures and math (images and spans in rendered Markdown)."""

    label: str  # how messages name it: `choices[2].feedback`
    keys: tuple[str | int, ...]  # its path inside the question's (or the bank's) mapping
    text: str
    loc: Loc  # the nearest located node: the question's, a choice's, an answer's, a pair's
    markdown: bool  # rendered from Markdown into HTML; False: plain text in every target
    question: Question | None = None


def relative_tolerance(answer: float, percent: float) -> float:
    """`percent` % of |answer|, computed in decimal (1 % of 0.064 is 0.00064, not
    0.0006400000000000001), as the absolute tolerance every target takes."""
    from decimal import Decimal

    return float(abs(Decimal(repr(float(answer)))) * Decimal(repr(float(percent))) / 100)


def question_texts(q: Question) -> Iterator[TextField]:
    """Every non-empty text of a question, in the order the schema lists them."""

    def f(text: str | None, keys: tuple[str | int, ...], loc: Loc, markdown: bool = True) -> Iterator[TextField]:
        if text:
            label = ".".join(f"{k}" if isinstance(k, str) else f"[{k}]" for k in keys).replace(".[", "[")
            yield TextField(label, keys, text, loc, markdown, q)

    yield from f(q.text, ("text",), q.loc)
    yield from f(q.title, ("title",), q.loc, markdown=False)
    yield from f(q.solution, ("solution",), q.loc)
    for kind in ("correct", "partial", "incorrect"):
        yield from f(getattr(q.feedback, kind), ("feedback", kind), q.loc)
    for i, c in enumerate(q.choices):
        yield from f(c.text, ("choices", i, "text"), c.loc)
        yield from f(c.feedback, ("choices", i, "feedback"), c.loc)
    for i, a in enumerate(q.answers):
        yield from f(a.text, ("answers", i, "text"), a.loc, markdown=False)
        yield from f(a.feedback, ("answers", i, "feedback"), a.loc)
    for i, o in enumerate(q.other_answers):
        yield from f(o.feedback, ("other_answers", i, "feedback"), o.loc)
    for i, p in enumerate(q.pairs):
        yield from f(p.left, ("pairs", i, "left"), p.loc)
        yield from f(p.right, ("pairs", i, "right"), p.loc, markdown=False)  # a drop-down menu
    for i, d in enumerate(q.distractors):
        yield from f(d, ("distractors", i), q.loc, markdown=False)


def bank_texts(bank: Bank) -> Iterator[TextField]:
    """The bank's description, then every question's texts."""
    if bank.description:
        yield TextField("description", ("description",), bank.description, Loc(bank.path, 1, 1), True)
    for q in bank.questions:
        yield from question_texts(q)


def expression_fields(q: Question) -> Iterator[tuple[str, str, Loc]]:
    """Every check expression of a question (where parameters are plain names): (label,
    expression, loc)."""
    c = q.check
    if c is not None and not c.is_manual:
        for name, text, loc in c.define:
            yield f"check.define.{name}", text, loc
        for key, text, loc in c.given:
            yield f"check.given key `{key}`", key, loc
            yield f"check.given.{key}", text, loc
        if c.quantity is not None:
            yield "check.quantity", c.quantity, c.quantity_loc or c.loc
        if c.claim is not None:
            yield "check.claim", c.claim, c.claim_loc or c.loc
    for i, ch in enumerate(q.choices):
        if ch.value is not None:
            yield f"choices[{i}].value", ch.value, ch.value_loc or ch.loc
        if ch.claim is not None:
            yield f"choices[{i}].claim", ch.claim, ch.claim_loc or ch.loc
    for i, o in enumerate(q.other_answers):
        if o.value is not None:
            yield f"other_answers[{i}].value", o.value, o.value_loc or o.loc
