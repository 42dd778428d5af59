"""Cloze questions: blanks named in the text, each a small question of its own.

A cloze question's text places its parts as `[[name]]` (double square brackets: `{{name}}`
is a parameter's value, and Markdown gives `[[x]]` no meaning). Each part is a numerical,
short-answer or multiple-choice question with its own `check`; what the parts share
(symbols, definitions, givens) is written once in the question's `check` and merged into
each part's, so a part is checked exactly like a whole question of its type
(`exporter.model.part_question`). Writers split the text with `segments` and render each
blank in their own syntax; this module holds the rules every target shares.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from .diagnostics import Diagnostic
from .model import CLOZE_BLANK, Check, Part, Question

BLANK = re.compile(CLOZE_BLANK)

E_UNPLACED = "E230"
E_UNKNOWN_BLANK = "E231"
E_DUPLICATE = "E232"
E_POINTS = "E233"
E_CREDIT = "E234"


def merged_check(shared: Check, own: Check) -> Check:
    """A part's check: the question's shared names and definitions first, then its own.

    A manual part stays manual; a manual question check shares nothing."""
    if own.is_manual or shared.is_manual:
        return own
    known = {name for name, _ in own.symbols}
    return Check(
        loc=own.loc,
        symbols=tuple(s for s in shared.symbols if s[0] not in known) + own.symbols,
        assumptions=shared.assumptions + own.assumptions,
        functions=tuple(dict.fromkeys(shared.functions + own.functions)),
        define=shared.define + own.define,
        given=shared.given + own.given,
        quantity=own.quantity,
        quantity_loc=own.quantity_loc,
        claim=own.claim,
        claim_loc=own.claim_loc,
        display=shared.display + own.display,
    )


def segments(q: Question) -> Iterator[str | Part]:
    """The text of cloze question `q` as literal pieces and the parts in their places.

    Assumes `cloze_rules` found nothing (every blank names a part); an unknown name is kept
    as text."""
    by_name = {p.name: p for p in q.parts}
    at = 0
    for m in BLANK.finditer(q.text):
        part = by_name.get(m.group(1))
        if part is None:
            continue
        yield q.text[at:m.start()]
        yield part
        at = m.end()
    yield q.text[at:]


def cloze_rules(questions: Iterable[Question]) -> Iterator[Diagnostic]:
    """Every part placed exactly once, every blank a part, names unique, points its parts' sum."""
    for q in questions:
        if q.type != "cloze":
            continue
        where = q.text_loc or q.loc
        names = [m.group(1) for m in BLANK.finditer(q.text)]
        seen: set[str] = set()
        for p in q.parts:
            if p.name in seen:
                yield Diagnostic(p.loc, E_DUPLICATE, f"`{q.id}`: two parts are named `{p.name}`; rename one")
            seen.add(p.name)
            count = names.count(p.name)
            if count != 1:
                yield Diagnostic(p.loc, E_UNPLACED, f"`{q.id}`: part `{p.name}` is placed {count} times in the text; "
                                 f"write `[[{p.name}]]` once where its blank goes")
        for name in dict.fromkeys(names):
            if name not in seen:
                yield Diagnostic(where, E_UNKNOWN_BLANK, f"`{q.id}`: the text has a blank `[[{name}]]` but no part is named "
                                 f"`{name}`; add it under `parts:` or fix the name ({', '.join(sorted(seen)) or 'no parts'})")
        for p in q.parts:
            for credited in [c for c in p.choices if c.credit is not None] + [a for a in p.answers if a.credit is not None]:
                yield Diagnostic(credited.credit_loc or credited.loc, E_CREDIT, f"`{q.id}`: part `{p.name}` gives a "
                                 "`credit:`; cloze parts take full-credit keys only for now: remove it")
                break
        total = sum(p.points for p in q.parts)
        if q.points_loc is not None and q.points != total and q.points_loc.path == q.loc.path:
            yield Diagnostic(q.points_loc, E_POINTS, f"`{q.id}`: points {q.points:g} differ from the sum of its parts' "
                             f"points ({total}); a cloze question is worth its parts: set each part's `points:` instead")
