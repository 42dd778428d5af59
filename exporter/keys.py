"""Answer keys recomputed by sympy: the names qbank and its tests import.

The checking itself lives in the stage's package, exporter/keycheck/ (its __init__ says
how a key is checked and which module holds what). Callers import from here, and tests
that stand in for `check_questions` patch it here: pipeline.py and cache.py look it up
in this module when they run a check."""

from __future__ import annotations

from .diagnostics import CheckSummary
from .keycheck.bounds import CheckTimeout as CheckTimeout
from .keycheck.bounds import _time_bound as _time_bound
from .keycheck.decide import Verdict, decide_claim, decide_equal
from .keycheck.givens import Givens
from .keycheck.pool import check_questions
from .keycheck.question import _QuestionChecker as _QuestionChecker
from .keycheck.question import check_question, evaluate
from .keycheck.show import show

__all__ = ["CheckSummary", "Givens", "Verdict", "check_question", "check_questions", "decide_claim", "decide_equal", "evaluate", "show"]
