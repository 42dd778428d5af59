"""The typed model every stage shares.

Plain data only: no I/O and no knowledge of any export format, so the loader can build it,
the checker can read it and each writer can turn it into bytes without depending on one
another. Every node keeps the location it came from, because every message we print must
point the author at a line and column.
"""

from __future__ import annotations

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
]

CHOICE_TYPES = ("multiple_choice", "multiple_answers")


@dataclass(frozen=True)
class Loc:
    """A position in a bank file; line and column are 1-based like every editor's."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


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


@dataclass(frozen=True)
class Answer:
    """An accepted response of a short-answer question (matched as text by the LMS)."""

    text: str
    loc: Loc
    feedback: str | None = None


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
    functions: tuple[str, ...] = ()
    define: tuple[tuple[str, str, Loc], ...] = ()
    given: tuple[tuple[str, str, Loc], ...] = ()
    quantity: str | None = None
    quantity_loc: Loc | None = None
    claim: str | None = None
    claim_loc: Loc | None = None

    @property
    def is_manual(self) -> bool:
        return self.manual is not None


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    text: str
    loc: Loc
    title: str | None = None
    points: float = 1.0
    choices: tuple[Choice, ...] = ()
    answer: float | bool | None = None
    answer_loc: Loc | None = None
    tolerance: float | None = None
    answers: tuple[Answer, ...] = ()
    pairs: tuple[Pair, ...] = ()
    distractors: tuple[str, ...] = ()
    solution: str | None = None
    feedback: Feedback = field(default_factory=Feedback)
    tags: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    check: Check | None = None

    @property
    def display_title(self) -> str:
        """A short name for LMS question lists; falls back to the id, which is always set."""
        return self.title or self.id

    @property
    def correct_choices(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if c.correct)


@dataclass(frozen=True)
class Bank:
    """One bank file. `name` is the file stem and names every export (`dist/*/<name>.*`)."""

    name: str
    title: str
    path: str
    questions: tuple[Question, ...]
    category: tuple[str, ...] = ()
    description: str | None = None
    retired: tuple[tuple[str, Loc], ...] = ()
    """Ids removed since a release, with where they are listed: never to be reused."""
