"""Moodle question-bank policy: one home for the rules both Moodle exports obey.

The Moodle XML and GIFT files end up in the same question bank through the same
question/format.php, so everything about *what Moodle's bank accepts* is decided here, once
— name, idnumber and tag limits, where questions land (category grouping, the root
fallback, names that are empty once plain), which feedback a Moodle question type has no
place for, the matching minimum, single-key and multiple-answer grades (`moodle_grades`)
— and reported with one code per problem (M1xx/M2xx) whichever export meets it. The two
writers keep only their syntax; two copies of these rules drifted before (one reported a
category problem at its first question, the other at line 1).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from fractions import Fraction

from ..diagnostics import Diagnostic, Report
from ..model import Bank, Loc, Question
from ..text import plain_text
from .. import credit
from .moodle_grades import EXPRESSIBLE_COUNTS, GradeError, multiple_answers_weights, percent

NAME_LIMIT = 255
"""question.name and category names are varchar(255); Moodle shortens longer ones itself."""
IDNUMBER_LIMIT = 100
"""question_bank_entries.idnumber is varchar(100): a longer one fails the database insert."""
TAG_LIMIT = 50
"""TAG_MAX_LENGTH: Moodle cuts tag names at 50 characters."""

E_GRADE = "M101"
E_SINGLE_KEY = "M102"
E_IDNUMBER = "M103"
E_CATEGORY = "M108"
W_FEEDBACK = "W201"  # one code for feedback any target drops
W_MATCH_PLAIN = "M202"
W_MATCH_SIZE = "M203"
W_CATEGORY_TOP = "M207"


class Refusal(Exception):
    """A question Moodle would import wrongly (another grade, another type): the finding
    is an error and the writer leaves the question out."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


# --- where questions land


def root_category(bank: Bank) -> tuple[str, ...]:
    """The bank's own category. Questions may not live in Moodle's hidden "top" category
    itself, so a bank without a category gets one named after its title."""
    return tuple(bank.category) or (bank.title,)


def category_groups(bank: Bank) -> list[tuple[tuple[str, ...], list[Question]]]:
    """Questions grouped by full category path: the bank's own category first (even when
    every question is in a subcategory), then subcategories in order of first appearance;
    bank order within a group. One category block per category, however the bank interleaves."""
    root = root_category(bank)
    groups: dict[tuple[str, ...], list[Question]] = {root: []}
    for q in bank.questions:
        groups.setdefault(root + tuple(q.category), []).append(q)
    return [(path, qs) for path, qs in groups.items() if qs or path == root]


class CategoryNames:
    """Category names as Moodle stores them (plain text, at most NAME_LIMIT), each name
    checked once, where it first appears: the bank's own names at the top of the bank file,
    a subcategory's at its first question."""

    def __init__(self, bank: Bank, report: Report) -> None:
        self.bank = bank
        self.report = report
        self.checked: set[tuple[int, str]] = set()

    def loc_of(self, path: tuple[str, ...], questions: Sequence[Question]) -> Loc:
        if path == root_category(self.bank) or not questions:
            return Loc(self.bank.path, 1, 1)
        return questions[0].loc

    def names(self, path: tuple[str, ...], loc: Loc) -> list[str] | None:
        """The plain names, or None when one is empty (an error is reported)."""
        names = []
        for index, name in enumerate(path):
            clean = plain_text(name, NAME_LIMIT)
            first = (index, name) not in self.checked
            self.checked.add((index, name))
            if not clean:
                if first:
                    self.report(Diagnostic(
                        loc, E_CATEGORY,
                        f"category name {name!r} is empty once made plain text; Moodle would create "
                        "a nameless category. Give it a name with letters or digits",
                    ))
                return None
            if first and index == 0 and clean == "top":
                self.report(Diagnostic(
                    loc, W_CATEGORY_TOP,
                    "a first-level category named 'top' is skipped by Moodle's importer (it takes "
                    "it for its own hidden top category); rename it",
                ))
            names.append(clean)
        return names


def question_name(q: Question) -> str:
    """Plain text (Moodle cleans names as PARAM_TEXT), never empty."""
    return plain_text(q.display_title, NAME_LIMIT) or q.id


def idnumber_too_long(q: Question) -> Diagnostic | None:
    if len(q.id) <= IDNUMBER_LIMIT:
        return None
    return Diagnostic(
        q.loc, E_IDNUMBER,
        f"id '{q.id[:20]}…' is {len(q.id)} characters; Moodle's idnumber holds at most "
        f"{IDNUMBER_LIMIT} and the import would fail. Shorten the id",
    )


def tag_cut(tag: str) -> bool:
    """Moodle cuts a tag longer than TAG_LIMIT."""
    return len(tag) > TAG_LIMIT


# --- what a Moodle question type can hold

_NO_PLACE_FOR: dict[str, tuple[tuple[str, ...], str]] = {
    "true_false": (("partial",), "true/false questions are right or wrong"),
    "numerical": (("partial",), "numerical type has no partially-correct feedback field (give an other "
                  "answer its own `feedback:` instead)"),
    "short_answer": (("partial",), "short-answer type has no partially-correct feedback field (give a "
                     "partial-credit answer its own `feedback:` instead)"),
    "essay": (("correct", "partial", "incorrect"),
              "essays are graded by hand, so there is no automatic outcome to attach it to"),
    "cloze": (("correct", "partial", "incorrect"),
              "Cloze questions take no question-level feedback from an import (feedback goes on each answer)"),
}


def unsupported_feedback(q: Question, warn: Callable[[Diagnostic], None]) -> None:
    """Feedback the question's Moodle type has no place for (W201), one finding per kind."""
    kinds, why = _NO_PLACE_FOR.get(q.type, ((), ""))
    for kind in kinds:
        if getattr(q.feedback, kind):
            warn(Diagnostic(q.loc, W_FEEDBACK, f"{kind} feedback is not exported: Moodle's {why}"))


def single_key(q: Question) -> None:
    """A multiple_choice question has exactly one correct choice (Moodle's single mode)."""
    correct = q.correct_choices
    if len(correct) != 1:
        raise Refusal(Diagnostic(
            q.loc, E_SINGLE_KEY,
            f"a multiple_choice question needs exactly one correct choice, this one has "
            f"{len(correct)}; mark one, or make it multiple_answers",
        ))


def grade_text(weight: Fraction, loc: Loc) -> str:
    """The percentage text of a grade Moodle keeps, or a Refusal located at the credit
    that asked for it (the question is left out rather than graded differently)."""
    try:
        return percent(weight)
    except GradeError as exc:
        raise Refusal(Diagnostic(loc, E_GRADE, str(exc))) from exc


def single_grades(q: Question) -> list[Fraction]:
    """A multiple_choice question's grades: the key 100 %, other options their `credit:`
    (partial credit or a penalty), else 0."""
    single_key(q)
    return credit.choice_weights(q) or [Fraction(1) if c.correct else Fraction(0) for c in q.choices]


def multiple_answers_grades(q: Question) -> list[Fraction]:
    """Each option's grade: the author's credits when the question has any (the loader
    proved they add up, E217), else the multiple-answers policy (moodle_grades) — or a
    Refusal located at the first option past the last count Moodle can share equally."""
    explicit = credit.choice_weights(q)
    if explicit is not None:
        return explicit
    correct = [c for c in q.choices if c.correct]
    incorrect = [c for c in q.choices if not c.correct]
    try:
        right, wrong = multiple_answers_weights(len(correct), len(incorrect))
    except GradeError as exc:
        loc = q.loc
        if correct and len(correct) not in EXPRESSIBLE_COUNTS:
            loc = correct[min(len(correct), 11) - 1].loc
        elif incorrect and len(incorrect) not in EXPRESSIBLE_COUNTS:
            loc = incorrect[min(len(incorrect), 11) - 1].loc
        raise Refusal(Diagnostic(loc, E_GRADE, str(exc))) from exc
    return [right if c.correct else wrong for c in q.choices]


def matching_findings(q: Question, warn: Callable[[Diagnostic], None]) -> None:
    """What Moodle's matching type does to a question that imports fine: its editing form
    wants 2 pairs and 3 answers (M203), and answers sit in a drop-down menu, where math
    cannot be typeset (M202, at each such answer)."""
    if len(q.pairs) < 2 or len(q.pairs) + len(q.distractors) < 3:
        warn(Diagnostic(
            q.loc, W_MATCH_SIZE,
            "Moodle's editing form wants at least 2 pairs and 3 answers; the question "
            "imports, but cannot be saved again from the form until one is added",
        ))
    answers = [(p.right, p.loc) for p in q.pairs] + [(d, q.loc) for d in q.distractors]
    for text, loc in answers:
        if "$" in text:
            # qtype_match_renderer::format_choices() puts answers through format_string()
            # into a <select>: no HTML, and MathJax cannot typeset inside a menu.
            warn(Diagnostic(
                loc, W_MATCH_PLAIN,
                f"matching answer '{text.strip()}' is shown in a drop-down menu, where Moodle "
                "cannot render math: students will see the LaTeX source",
            ))


# --- category paths and short-answer text, as Moodle's importer reads them


def category_path(names: list[str]) -> str:
    """`$course$/top/a/b`, escaped the way Moodle's split_category_path() undoes.

    A '/' inside a name is doubled; a name starting or ending with '/' gets a space there,
    which Moodle trims after splitting (format.php assemble_category_path()).
    """
    escaped = []
    for name in names:
        part = name.replace("/", "//")
        if part.startswith("/"):
            part = " " + part
        if part.endswith("/"):
            part = part + " "
        escaped.append(part)
    return "/".join(["$course$", "top", *escaped])


def escape_wildcards(text: str) -> str:
    r"""Short-answer text with '*' made literal: Moodle reads an unescaped '*' as "anything"."""
    return text.replace("*", r"\*")


CONTEXTS = ("$course$", "$system$", "$module$", "$coursecategory$", "$cat$")
"""The context tokens a Moodle category path may start with (format.php, `create_category_path`)."""


def split_category_path(path: str) -> list[str]:
    """The names of a `$course$/top/a/b` path: the inverse of `category_path`.

    As Moodle's split_category_path(): `//` is a '/' inside a name, each name is trimmed,
    empty names are dropped; the context token and Moodle's hidden `top` are not names.
    """
    names = [part.replace("\0", "/").strip() for part in path.replace("//", "\0").split("/")]
    names = [n for n in names if n]
    if names and names[0] in CONTEXTS:
        names = names[1:]
    if names and names[0] == "top":
        names = names[1:]
    return names


def unescape_wildcards(text: str) -> tuple[str, bool]:
    r"""Short-answer text as typed, and whether it holds a real (unescaped) '*' wildcard:
    the inverse of `escape_wildcards`."""
    wildcard = bool(re.search(r"(?<!\\)\*", text))
    return text.replace(r"\*", "*"), wildcard
