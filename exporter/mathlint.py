"""Math lint: every `$…$` of every text, before it is exported.

MathJax (which Moodle and Canvas render with) shows a red error instead of a formula whose
braces, `\\left…\\right` pairs or environments do not close, and prints an unknown command
as red text; the seed quiz lost every `\\f…` and `\\t…` command to a scrape (`rac{`, `ext{`,
`imes`). So, per math span (found by the same Markdown parser the writers use,
exporter.text.math_spans):

- T101 (error): unbalanced `{ }`;  T102 (error): `\\left` without `\\right` (or the reverse);
- T103 (error): `\\begin{…}` / `\\end{…}` that do not pair up, or an environment MathJax lacks;
- T201 (warning): a `\\command` MathJax does not define (exporter.texcommands: the table is
  MathJax's own, as data);
- T202 (warning): the "lost backslash": letters that are a known command without its first
  letter — as a YAML escape or a scrape leaves them — followed by `{`, `(` or a space.

No sympy and no parsing beyond a scan: it runs on every check, cached or not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache

from . import texcommands
from .diagnostics import Diagnostic
from .model import Bank, Loc, Question
from .text import math_spans

_COMMAND = re.compile(r"\\([A-Za-z]+)|\\.", re.S)
_ENV = re.compile(r"\\(begin|end)\s*\{([^}]*)\}")
_WORD = re.compile(r"(?<![A-Za-z\\])([A-Za-z]{3,})(?=[{( ])")

# The commands a lost first letter leaves: only letters YAML escapes or scrapes ate (\t \f \n
# \b \a \v \r \e), and only remainders that are not words of their own in math.
_EATEN_FIRST = "tfnbavre"


@cache
def _lost_backslash_table() -> dict[str, str]:
    known = texcommands.commands()
    table: dict[str, str] = {}
    for command in sorted(known):
        rest = command[1:]
        if command[0] in _EATEN_FIRST and len(rest) >= 3 and rest not in known:
            table.setdefault(rest, command)
    return table


def _braces(latex: str) -> int:
    """Depth at the end (0: balanced), or -1 at the first `}` that closes nothing."""
    depth = 0
    for m in re.finditer(r"\\.|[{}]", latex, re.S):
        token = m.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return -1
    return depth


def lint(latex: str) -> Iterator[tuple[str, str]]:
    """(code, message) for one math span."""
    depth = _braces(latex)
    if depth:
        what = "a `}` closes nothing" if depth < 0 else f"{depth} `{{` never closed"
        yield "T101", f"unbalanced braces in `{_short(latex)}`: {what}; MathJax shows an error instead of the formula"
    commands = [m.group(1) for m in _COMMAND.finditer(latex) if m.group(1)]
    lefts, rights = commands.count("left"), commands.count("right")
    if lefts != rights:
        yield "T102", f"{lefts} `\\left` but {rights} `\\right` in `{_short(latex)}`: each `\\left` needs its `\\right` (`\\right.` for none)"
    stack: list[str] = []
    for kind, name in _ENV.findall(latex):
        name = name.strip()
        if kind == "begin":
            if name not in texcommands.environments():
                yield "T103", f"MathJax has no environment `{name}`"
            stack.append(name)
        elif not stack or stack.pop() != name:
            yield "T103", f"`\\end{{{name}}}` does not close the open environment in `{_short(latex)}`"
            stack = []
    for name in stack:
        yield "T103", f"`\\begin{{{name}}}` is never closed by `\\end{{{name}}}`"
    known = texcommands.commands()
    for name in dict.fromkeys(commands):
        if name not in known:
            yield "T201", f"MathJax does not know `\\{name}`: students would see it as red text; check the spelling"
    lost = _lost_backslash_table()
    for word in dict.fromkeys(m.group(1) for m in _WORD.finditer(latex)):
        if word in lost:
            yield "T202", f"`{word}` looks like `\\{lost[word]}` that lost its backslash and first letter; write `\\{lost[word]}`"


def _short(latex: str, limit: int = 40) -> str:
    flat = " ".join(latex.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _texts(q: Question) -> Iterable[tuple[str | None, Loc]]:
    yield q.text, q.text_loc or q.loc
    yield q.solution, q.loc
    for c in q.choices:
        yield c.text, c.text_loc or c.loc
        yield c.feedback, c.loc
    for a in q.answers:
        yield a.text, a.loc
        yield a.feedback, a.loc
    for p in q.pairs:
        yield p.left, p.loc
        yield p.right, p.loc
    for d in q.distractors:
        yield d, q.loc
    yield q.feedback.correct, q.loc
    yield q.feedback.partial, q.loc
    yield q.feedback.incorrect, q.loc


def check(banks: Iterable[Bank]) -> list[Diagnostic]:
    """Findings for the math of every question of these banks."""
    return check_questions(q for bank in banks for q in bank.questions)


def check_questions(questions: Iterable[Question]) -> list[Diagnostic]:
    """Findings for the math of these questions (the loader runs this on each file it reads,
    so a cached load replays them)."""
    found: list[Diagnostic] = []
    for q in questions:
        for text, loc in _texts(q):
            if not text or "$" not in text:
                continue
            for latex, _display in math_spans(text):
                offset = text.find(latex)
                line = loc.line + (text.count("\n", 0, offset) if offset > 0 else 0)
                where = Loc(loc.path, line, loc.col if line == loc.line else 1)
                for code, message in _lint_once(latex):
                    found.append(Diagnostic(where, code, f"`{q.id}`: {message}"))
    return list(dict.fromkeys(found))


@cache
def _lint_once(latex: str) -> tuple[tuple[str, str], ...]:
    return tuple(lint(latex))
