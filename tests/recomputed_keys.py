"""Keys of a bank recomputed by the checker, for tests that read an export's keys back.

A writer test that compares the export with the bank's own `correct:` flags proves the
writer is faithful; with these it also proves that what reaches the LMS is what sympy
computed: the right option (by its `value`, or its `means`) and a numerical answer within
its tolerance of the recomputed quantity.
"""

from __future__ import annotations

from pathlib import Path

from exporter import keys, variants
from exporter.diagnostics import Collector
from exporter.load import load_banks
from exporter.model import Bank, Question
from exporter.nonvalue import has_no_value

ROOT = Path(__file__).resolve().parents[1]
STATISTICS = ROOT / "bank" / "statistics-basics.yaml"


def statistics_bank() -> Bank:
    """The statistics bank as the build exports it: variants expanded, checked clean."""
    banks, found = load_banks([str(STATISTICS)])
    assert found == [], [str(d) for d in found]
    (bank,) = variants.expand(banks)
    got = Collector()
    keys.check_questions(bank.questions, got, jobs=1)
    assert got.items == [], [str(d) for d in got.items]
    return bank


def option_is_right(q: Question, index: int) -> bool:
    """Whether option `index` is right, from the check alone (not from its `correct:` flag)."""
    c = q.choices[index]
    quantity = keys.evaluate(q, q.check.quantity)
    if c.means == "none of the above":
        return not any(option_is_right(q, i) for i, o in enumerate(q.choices) if o.means is None)
    if c.means is not None:
        return bool(has_no_value(quantity))
    return keys.decide_equal(quantity, keys.evaluate(q, c.value)).value is True


def numerical_answer_is_right(q: Question, answer: float, tolerance: float) -> bool:
    quantity = keys.evaluate(q, q.check.quantity)
    return abs(float(quantity.evalf(30)) - answer) <= tolerance + 1e-12
