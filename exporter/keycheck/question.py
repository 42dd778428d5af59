"""One question's check: each choice, numerical answer or true/false claim gets a verdict.

The verdict must agree with the author's key; a disagreement is a K1xx finding located at
the flag, answer or expression the author has to edit. The time and memory bounds
(bounds.py) wrap the whole question.
"""

from __future__ import annotations

import math
import re
from typing import Callable

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from .. import assume, nonvalue
from ..diagnostics import Diagnostic
from ..expr import BoolOp, Compare, ExprError, Not, Scope, Seq, entries, is_array, lshape, map_value
from ..model import CHOICE_TYPES, Choice, Loc, OtherAnswer, Question, choice_letter, part_question
from .bounds import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT,
    CheckTimeout,
    _memory_bound,
    _memory_finding,
    _time_bound,
    _timeout_finding,
)
from .decide import _ONE_ENTRY, Verdict, decide_claim, decide_equal, decide_order
from .finding import _Finding
from .givens import Givens
from .numeric import DPS, _BadPoint, _evaluate, _real, _Unevaluable
from .show import show

CHECKED_TYPES = CHOICE_TYPES + ("numerical", "true_false")


class _QuestionChecker:
    def __init__(self, q: Question) -> None:
        self.q = q
        self.check = q.check
        self.findings: list[Diagnostic] = []

    def run(self) -> list[Diagnostic]:
        q, check = self.q, self.check
        if check is None:
            return [Diagnostic(q.loc, "K106", "question has no `check`: add one, or `check: {manual: <why it cannot be computed>}`")]
        if check.is_manual:
            return []
        if q.type not in CHECKED_TYPES:
            return [
                Diagnostic(
                    check.loc,
                    "K107",
                    f"a {q.type} question cannot be machine-checked; use `check: {{manual: <why it cannot be computed>}}`",
                )
            ]
        self.scope = Scope(check)
        if self.scope.errors:
            return self.scope.errors
        self.givens = Givens(self.scope, check)
        if self.givens.errors:
            return self.givens.errors
        if q.type in CHOICE_TYPES:
            self.choices()
        elif q.type == "numerical":
            self.numerical()
        else:
            self.true_false()
        return self.findings

    # -- building --------------------------------------------------------------------------
    def build(self, text: str, loc: Loc | None, *, claim: bool = False, allow_undefined: bool = False) -> object:
        where = loc or self.check.loc
        try:
            value = self.scope.build(text, claim=claim)
            value = self.scope.full(value) if not claim else map_value(value, self.scope.full)
            value = self.givens.apply(value)
        except ExprError as e:
            raise _Finding(e.diagnostic(where)) from None
        undefined: list[bool] = []
        map_value(value, lambda e: undefined.append(e.has(sp.zoo, sp.nan, sp.oo, -sp.oo)) or e)
        if any(undefined) and not allow_undefined:
            raise _Finding(Diagnostic(where, "K112", f"`{' '.join(text.split())}` is undefined at the given values (a division by zero?)"))
        return value

    def quantity(self, *, allow_undefined: bool = False) -> object:
        check = self.check
        if check.quantity is None:
            raise _Finding(Diagnostic(check.loc, "K107", "the check has no `quantity` to compare the answer with"))
        return self.build(check.quantity, check.quantity_loc, allow_undefined=allow_undefined)

    # -- question types -----------------------------------------------------------------
    def choices(self) -> None:
        q = self.q
        quantity = None
        no_value_is_an_answer = nonvalue.needs_undefined_quantity(q.choices)
        if any(c.value is not None for c in q.choices) or no_value_is_an_answer:
            quantity = self._guard(lambda: self.quantity(allow_undefined=no_value_is_an_answer))
            if quantity is None:
                return
        truths: list[tuple[int, bool | None]] = []
        for i, choice in enumerate(q.choices):
            if choice.means in nonvalue.ABOUT_OTHERS and choice.manual is None:
                continue  # decided from the others, below
            before = len(self.findings)
            found = self._guard(lambda: self.choice(i, choice, quantity))
            if found is not None:
                self.findings.extend(found)
            truths.append((i, _truth(choice, self.findings[before:])))
        for i, choice in enumerate(q.choices):
            if choice.means in nonvalue.ABOUT_OTHERS and choice.manual is None:
                self.findings.extend(self.about_others(i, choice, truths))

    def about_others(self, i: int, c: Choice, truths: list[tuple[int, bool | None]]) -> list[Diagnostic]:
        letter = choice_letter(i)
        truth, why = nonvalue.about_others(c.means, truths)
        if truth is None:
            return [Diagnostic(c.loc, "K104", f"choice {letter} ({c.means}): cannot decide: {why}")]
        if truth == c.correct:
            return []
        keyed = "correct" if c.correct else "incorrect"
        return [Diagnostic(c.correct_loc or c.loc, "K101", f"choice {letter} ({c.means}) is keyed {keyed}, but {why}")]

    def _guard(self, fn: Callable[[], object]) -> object:
        try:
            return fn()
        except _Finding as f:
            self.findings.append(f.diagnostic)
            return None

    def choice(self, i: int, c: Choice, quantity: object) -> list[Diagnostic]:
        letter = choice_letter(i)
        flag_loc = c.correct_loc or c.loc
        keyed = "correct" if c.correct else "incorrect"
        given = [f for f in ("value", "claim", "means", "manual") if getattr(c, f) is not None]
        if len(given) > 1:
            return [Diagnostic(c.loc, "K107", f"choice {letter} has both `{given[0]}` and `{given[1]}`; keep one")]
        if not given:
            return [
                Diagnostic(
                    c.loc,
                    "K105",
                    f"choice {letter} has neither `value` nor `claim` (nor `means`), so its key cannot be checked: "
                    "add one, or `manual: <why>` on this choice (or on the whole check)",
                )
            ]
        if c.manual is not None:
            return []
        if c.means is not None:
            return self.no_value_choice(letter, c, quantity)
        if c.value is not None:
            qtext = self.check.quantity.strip()
            value = self.build(c.value, c.value_loc or c.loc)
            shown = self.displayed(letter, c, value)
            if nonvalue.has_no_value(quantity):
                if c.correct:
                    return shown + [Diagnostic(flag_loc, "K101", f"choice {letter} is keyed correct, but {qtext} has no finite real "
                                               f"value here ({show(quantity)}): it is undefined or does not exist")]
                return shown
            verdict = decide_equal(quantity, value)  # this order: the message names the quantity first
            if verdict.value is None:
                return shown + [Diagnostic(c.value_loc or c.loc, "K104", f"choice {letter}: cannot decide whether `{c.value.strip()}` equals {qtext}: {verdict.why}")]
            if verdict.value == c.correct:
                return shown
            if c.correct:
                hint = assume.hint(value, quantity, decide_equal)
                return shown + [Diagnostic(flag_loc, "K101", f"choice {letter} is keyed correct, but {qtext} = {show(quantity)}, not {self._as_written(c.value, value)}{_why(verdict)}{hint}")]
            return shown + [Diagnostic(flag_loc, "K102", f"choice {letter} is keyed incorrect, but it equals the key: {qtext} = {show(quantity)}")]
        claim = self.build(c.claim, c.claim_loc or c.loc, claim=True)
        verdict = decide_claim(claim)
        if verdict.value is None:
            return [Diagnostic(c.claim_loc or c.loc, "K104", f"choice {letter}: cannot decide `{c.claim.strip()}`: {verdict.why}")]
        if verdict.value == c.correct:
            return []
        return [Diagnostic(flag_loc, "K101", f"choice {letter} is keyed {keyed}, but {_explain(claim, c.claim, verdict)}{_claim_hint(claim, verdict)}")]

    def no_value_choice(self, letter: str, c: Choice, quantity: object) -> list[Diagnostic]:
        """`means: undefined` (does not exist, no real solution): true iff the quantity has no
        finite real value at the given values."""
        qtext = (self.check.quantity or "").strip()
        truth = nonvalue.has_no_value(quantity)
        if truth is None:
            return [Diagnostic(c.loc, "K104", f"choice {letter} ({c.means}): {qtext} still depends on symbols without values")]
        if truth == c.correct:
            return []
        keyed = "correct" if c.correct else "incorrect"
        state = f"{qtext} = {show(quantity)}" if not truth else f"{qtext} = {show(quantity)}, which has no real value"
        return [Diagnostic(c.correct_loc or c.loc, "K101", f"choice {letter} ({c.means}) is keyed {keyed}, but {state}")]

    def numerical(self) -> None:
        q, check = self.q, self.check
        loc = q.answer_loc or q.loc
        try:
            value = self.quantity()
        except _Finding as f:
            self.findings.append(f.diagnostic)
            return
        qtext = check.quantity.strip()
        if is_array(value) and lshape(value) in _ONE_ENTRY:
            value = entries(value)[0]
        if isinstance(value, Seq) or is_array(value):
            self.findings.append(Diagnostic(check.quantity_loc or check.loc, "K111", f"{qtext} is not a number but {show(value)}"))
            return
        functions = sorted({str(f.func) for f in value.atoms(AppliedUndef)})
        if functions:
            self.findings.append(Diagnostic(check.quantity_loc or check.loc, "K111", f"{qtext} = {show(value)} still depends on the function(s) {', '.join(functions)}: give their values (or `f': …`) under `given:`"))
            return
        if value.free_symbols:
            names = ", ".join(sorted(map(str, value.free_symbols)))
            self.findings.append(Diagnostic(check.quantity_loc or check.loc, "K111", f"{qtext} still depends on {names}: give them values under `given:`"))
            return
        if not _real_number(value):
            self.findings.append(Diagnostic(check.quantity_loc or check.loc, "K111", f"{qtext} = {show(value)} is not a "
                                            "real number, so no numerical answer can be within a tolerance of it"))
            return
        if q.answer is None or isinstance(q.answer, bool) or not math.isfinite(float(q.answer)):
            return  # the loader reports a missing or non-finite answer (E215)
        if q.tolerance is not None and not math.isfinite(q.tolerance):
            return
        answer = sp.Rational(repr(float(q.answer)))
        tolerance = sp.Rational(repr(float(q.tolerance or 0.0)))
        gap = sp.Abs(answer - value)
        inside = decide_order("<=", gap, tolerance)
        if inside.value is None:
            self.findings.append(Diagnostic(loc, "K104", f"cannot decide whether answer {q.answer:g} is within {q.tolerance:g} of {qtext} = {show(value)}: {inside.why}"))
        elif not inside.value:
            self.findings.append(Diagnostic(loc, "K103", f"answer {q.answer:g} is not within tolerance {q.tolerance or 0:g} of {qtext} = {show(value)}"))
        for i, other in enumerate(q.other_answers, 1):
            self._guard(lambda: self.other_answer(i, other, value))

    def other_answer(self, i: int, o: OtherAnswer, key: sp.Expr) -> None:
        """A further numerical range: it must hold what it says it stands for (`value`,
        proved like the key) and must not hold the key, or a right answer could be scored
        with this range's credit."""
        what = f"other answer {i} ({o.answer:g} ± {o.tolerance:g}, {o.credit:g} %)"
        low = sp.Rational(repr(o.answer)) - sp.Rational(repr(o.tolerance))
        high = sp.Rational(repr(o.answer)) + sp.Rational(repr(o.tolerance))
        if o.value is None:
            self.findings.append(Diagnostic(o.loc, "K105", f"{what} has no `value`, so what it stands for cannot be "
                                            "checked: add the expression it is (e.g. the result of a typical mistake)"))
        else:
            value = self.build(o.value, o.value_loc or o.loc)
            if isinstance(value, Seq) or is_array(value):
                raise _Finding(Diagnostic(o.value_loc or o.loc, "K111", f"`{o.value.strip()}` is not a number but {show(value)}"))
            verdict = decide_order("<=", sp.Abs(value - sp.Rational(repr(o.answer))), sp.Rational(repr(o.tolerance)))
            if verdict.value is None:
                self.findings.append(Diagnostic(o.value_loc or o.loc, "K104", f"{what}: cannot decide whether it holds "
                                                f"`{o.value.strip()}` = {show(value)}: {verdict.why}"))
            elif not verdict.value:
                self.findings.append(Diagnostic(o.loc, "K103", f"{what} does not hold `{o.value.strip()}` = {show(value)}"))
        holds_key = [decide_order("<=", low, key).value, decide_order("<=", key, high).value]
        if all(holds_key):
            qtext = self.check.quantity.strip()
            self.findings.append(Diagnostic(o.credit_loc or o.loc, "K115", f"{what} holds the key {qtext} = {show(key)}: "
                                            "a right answer could be scored with this range; narrow it or move it"))

    def true_false(self) -> None:
        q, check = self.q, self.check
        if check.claim is None:
            self.findings.append(Diagnostic(check.loc, "K107", "a true_false check needs a `claim` to decide"))
            return
        try:
            claim = self.build(check.claim, check.claim_loc, claim=True)
        except _Finding as f:
            self.findings.append(f.diagnostic)
            return
        verdict = decide_claim(claim)
        loc = q.answer_loc or q.loc
        if verdict.value is None:
            self.findings.append(Diagnostic(check.claim_loc or check.loc, "K104", f"cannot decide `{check.claim.strip()}`: {verdict.why}"))
        elif verdict.value != bool(q.answer):
            keyed = "true" if q.answer else "false"
            self.findings.append(Diagnostic(loc, "K101", f"answer is {keyed}, but {_explain(claim, check.claim, verdict)}{_claim_hint(claim, verdict)}"))

    def displayed(self, letter: str, c: Choice, value: object) -> list[Diagnostic]:
        """Is the choice's text what was proved? (exporter.display; the names are read once)"""
        from .. import display

        if not hasattr(self, "_names"):
            self._names = display.names_of(self.scope)
        return display.verify_choice(
            letter, c, value, self._names, lambda source: self.build(source, c.text_loc), lambda a, b: decide_equal(a, b).value
        )

    @staticmethod
    def _as_written(text: str, value: object) -> str:
        """The author's value, plus what it computes to when that says more."""
        text = " ".join(text.split())
        shown = show(value)
        if re.fullmatch(r"-?[\d.eE+-]+", text) or shown.replace(" ", "") == text.replace(" ", ""):
            return text
        return f"`{text}` = {shown}"


def _truth(c: Choice, found: list[Diagnostic]) -> bool | None:
    """What the checker found an option to be: its flag when nothing was reported, the
    opposite when the flag was refuted (K101/K102), otherwise undecided."""
    if not found:
        return c.correct
    if any(d.code in ("K101", "K102") for d in found):
        return not c.correct
    return None


def _claim_hint(claim: object, verdict: Verdict) -> str:
    """For a claim `a == b` found false: the assumption that would make it true, if any."""
    if isinstance(claim, Compare) and claim.op == "==" and verdict.value is False:
        return assume.hint(claim.left, claim.right, decide_equal)
    return ""


def _real_number(value: sp.Expr) -> bool:
    """False for a number with an imaginary part (`sqrt(-1)`); True when it is real or it
    cannot be told (the tolerance check then says what it can)."""
    if value.is_extended_real is not None:
        return bool(value.is_extended_real)
    try:
        with mpmath.workdps(DPS):
            _real(_evaluate(value, {}))
    except _BadPoint:
        return False
    except _Unevaluable:
        pass
    return True


def _why(verdict: Verdict) -> str:
    return f" ({verdict.why})" if verdict.why else ""


def _facts(claim: object, out: dict) -> None:
    if isinstance(claim, Compare):
        for text, value in ((claim.left_text, claim.left), (claim.right_text, claim.right)):
            if value is claim.right and claim.right_is_literal:
                continue
            if not re.fullmatch(r"-?[\d.eE+-]+", text):
                out.setdefault(text, show(value))
    elif isinstance(claim, BoolOp):
        for item in claim.items:
            _facts(item, out)
    elif isinstance(claim, Not):
        _facts(claim.item, out)


def _explain(claim: object, text: str, verdict: Verdict) -> str:
    """Why a claim came out as it did, in the author's own terms."""
    if isinstance(claim, Compare) and claim.op == "==" and verdict.value is False and claim.right_is_literal:
        return f"{claim.left_text} = {show(claim.left)}, not {claim.right_text}"
    facts: dict = {}
    _facts(claim, facts)
    stated = "; ".join(f"{k} = {v}" for k, v in facts.items())
    truth = "true" if verdict.value else "false"
    extra = f" ({verdict.why})" if verdict.why else ""
    return f"`{text.strip()}` is {truth}: {stated}{extra}" if stated else f"`{text.strip()}` is {truth}{extra}"


def check_question(q: Question, *, timeout: float = DEFAULT_TIMEOUT, memory: float = DEFAULT_MEMORY_MB) -> list[Diagnostic]:
    """All findings for one question, computed in this process under the time and memory bounds."""
    if q.parameters is not None:
        # Its check names parameters that only a variant gives values: checking the template
        # itself would report every parameter as an unknown name. exporter.variants expands
        # it into variants, and each of those is checked.
        return [Diagnostic(q.loc, "K113", f"`{q.id}` has parameters: check its variants (exporter.variants.expand), not the template")]
    try:
        with _time_bound(timeout), _memory_bound(memory):
            try:
                found = _cloze_findings(q) if q.type == "cloze" else _QuestionChecker(q).run()
            except _Finding as f:
                found = [f.diagnostic]
            except ExprError as e:  # e.g. a given value that makes a power too large
                found = [e.diagnostic(q.check.loc)]
            except (MemoryError, SystemError):  # C code that cannot allocate may fail without an exception
                sp.core.cache.clear_cache()  # what the failed check left there is garbage
                found = [_memory_finding(q, memory)]
            except RecursionError as e:
                found = [Diagnostic(q.check.loc, "K109", f"the check is too big to compute ({type(e).__name__})")]
            except Exception as e:  # a sympy failure on odd input must not stop the run
                found = [Diagnostic(q.check.loc, "K109", f"could not evaluate the check: {type(e).__name__}: {e}")]
    except CheckTimeout:
        found = [_timeout_finding(q, timeout)]
    # one bad given can fail every choice that uses it: say it once
    return list(dict.fromkeys(found))


def _cloze_findings(q: Question) -> list[Diagnostic]:
    """Each part checked exactly as a whole question of its type (its check already holds
    the question's shared definitions: exporter.cloze.merged_check)."""
    found: list[Diagnostic] = []
    for part in q.parts:
        try:
            found += _QuestionChecker(part_question(q, part)).run()
        except _Finding as f:
            found.append(f.diagnostic)
    return found


def evaluate(q: Question, text: str, *, claim: bool = False) -> object:
    """What `text` computes to in q's check, givens applied: for tests and debugging.

    Raises ExprError for bad text and _Finding for unusable givens; no time bound.
    """
    checker = _QuestionChecker(q)
    checker.scope = Scope(q.check)
    if checker.scope.errors:
        raise ValueError(checker.scope.errors)
    checker.givens = Givens(checker.scope, q.check)
    if checker.givens.errors:
        raise ValueError(checker.givens.errors)
    value = checker.scope.build(text, claim=claim)
    value = map_value(value, checker.scope.full)
    return checker.givens.apply(value)
