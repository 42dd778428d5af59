"""Model → bank YAML written for people: what `qbank import` leaves in `bank/`.

PyYAML's emitter would do, but it writes what a machine likes: LaTeX in double quotes with
every backslash doubled (`"\\\\frac"`), which is exactly the damage authors must never
have to read or edit. So each string picks the friendliest style that loads back to the
very same string, and that is proved with `yaml.safe_load` before it is used:

- plain (`text: Which rule…`) when YAML reads it back unchanged;
- single quotes (`'0.24'`, `'a: b'`) where plain would change it (numbers, `: `, ` #`, a
  leading `[` …): backslashes stay single, only `'` is doubled;
- a folded block (`>-`) for long one-line text, wrapped at spaces;
- a literal block (`|`) for text with line breaks, so Markdown paragraphs and `$$` display
  math read as they will render;
- double quotes only as the last resort, for text the others cannot carry (control
  characters), which bank text should not hold anyway.

Keys come in the order the README's field table documents (id, type, title, text, points,
the type's answer fields, solution, feedback, tags, category, check), so an imported bank
looks like a hand-written one.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from collections.abc import Sequence
from typing import Any

import yaml

from .model import Bank, Question

WIDTH = 92
_INDENT = "  "


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader when PyYAML has it: the proofs below parse tens of thousands of snippets."""

_SURELY_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 $\\(){}^_.,;!?+\-*/=<>|~`%]*[A-Za-z0-9$)}.?!]")
"""Text YAML reads back as itself without asking: starts with a letter, no `: `, ` #`,
quotes or other indicators (checked against YAML's boolean words below)."""
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _loads_back(doc: str, value: Any) -> bool:
    try:
        return yaml.load(doc, Loader=_Loader) == {"k": value}
    except yaml.YAMLError:
        return False


@lru_cache(maxsize=65536)
def _plain_ok(s: str, flow: bool = False) -> bool:
    if not s or s != s.strip() or "\n" in s or s[0] in "'\"":
        return False
    if flow and re.search(r"[,\[\]{}]", s):
        return False
    if _SURELY_PLAIN.fullmatch(s) and s.lower() not in _YAML_WORDS:
        return True
    if flow:
        return _flow_back(s)
    return _loads_back(f"k: {s}", s)


def _flow_back(s: str) -> bool:
    try:
        return yaml.load(f"k: [{s}]", Loader=_Loader) == {"k": [s]}
    except yaml.YAMLError:
        return False


def _flow_list_back(flow: str, items: list[str]) -> bool:
    try:
        return yaml.load(f"k: {flow}", Loader=_Loader) == {"k": items}
    except yaml.YAMLError:
        return False


def _single(s: str) -> str | None:
    if re.search(r"[\x00-\x08\x0b-\x1f\x7f\n]", s):
        return None
    quoted = "'" + s.replace("'", "''") + "'"
    return quoted if _loads_back(f"k: {quoted}", s) else None


def _double(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _fold(s: str, indent: str) -> list[str] | None:
    """`s` wrapped at single spaces for a `>-` block, or None if it would not load back."""
    if "  " in s or s != s.strip() or re.search(r"[\x00-\x1f\x7f]", s):
        return None
    lines, current = [], ""
    for word in s.split(" "):
        if current and len(indent) + len(current) + 1 + len(word) > WIDTH:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    doc = "k: >-\n" + "\n".join("  " + line for line in lines) + "\n"
    return lines if _loads_back(doc, s) else None


def _literal(s: str, indent: str) -> list[str] | None:
    """The header and lines of a `|` block holding `s` exactly, or None."""
    if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", s) or "\r" in s:
        return None
    body = s.rstrip("\n")
    trailing = len(s) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    lines = body.split("\n")
    indicator = "2" if lines[0].startswith(" ") or lines[0] == "" else ""
    header = f"|{indicator}{chomp}"
    out = [header] + [(indent + line) if line else "" for line in lines] + [""] * (trailing - 1 if trailing > 1 else 0)
    doc = "k: " + out[0] + "\n" + "\n".join(("  " + line[len(indent):]) if line else "" for line in out[1:]) + "\n"
    return out if _loads_back(doc, s) else None


def scalar(s: str, indent: str, key_width: int) -> list[str]:
    """A string as the first line's remainder (after `key: `) and any further lines."""
    if "\n" in s:
        block = _literal(s, indent)
        if block:
            return block
        return [_double(s)]
    if _plain_ok(s) and len(s) + key_width + len(indent) <= WIDTH:
        return [s]
    if len(s) + key_width + len(indent) > WIDTH:
        folded = _fold(s, indent)
        if folded and len(folded) > 1:
            return [">-"] + [indent + line for line in folded]
    if _plain_ok(s):
        return [s]
    return [_single(s) or _double(s)]


def _number(value: float | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        # not repr: YAML 1.1 (PyYAML) reads `5e-05` as text; positional decimals are a float
        from .text import decimal_text

        return decimal_text(value)
    return repr(value)


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def field(self, indent: str, key: str, value: Any, first: str = "", comment: str = "") -> None:
        """`key: value` at `indent` (`first` replaces the indent's tail for `- ` items)."""
        lead = indent[: len(indent) - len(first)] + first if first else indent
        note = f"  # {' '.join(comment.split())}" if comment else ""
        if isinstance(value, (bool, int, float)):
            self.lines.append(f"{lead}{key}: {_number(value)}{note}")
            return
        parts = scalar(str(value), indent + _INDENT, len(key) + 2)
        self.lines.append(f"{lead}{key}: {parts[0]}{note}")
        self.lines.extend(parts[1:])

    def string_list(self, indent: str, key: str, items: list[str]) -> None:
        shown = [i if _plain_ok(i, flow=True) else _single(i) for i in items]
        if all(shown):
            flow = f"{indent}{key}: [{', '.join(shown)}]"  # type: ignore[arg-type]
            if len(flow) <= WIDTH and _flow_list_back(flow[len(indent) + len(key) + 2:], items):
                self.lines.append(flow)
                return
        self.lines.append(f"{indent}{key}:")
        for item in items:
            parts = scalar(item, indent + _INDENT * 2, 2)
            self.lines.append(f"{indent}  - {parts[0]}")
            self.lines.extend(parts[1:])


def _question(out: _Out, q: Question, original: str | None) -> None:
    ind = "    "
    out.field(ind, "id", q.id, first="- ", comment=original or "")
    out.field(ind, "type", q.type)
    if q.title:
        out.field(ind, "title", q.title)
    out.field(ind, "text", q.text)
    if q.points != 1:
        out.field(ind, "points", q.points)
    if q.shuffle is not None:
        out.field(ind, "shuffle", q.shuffle)
    if q.choices:
        out.lines.append(f"{ind}choices:")
        for c in q.choices:
            out.field(ind + "    ", "text", c.text, first="- ")
            out.field(ind + "    ", "correct", c.correct)
            if c.credit is not None:
                out.field(ind + "    ", "credit", c.credit)
            if c.feedback:
                out.field(ind + "    ", "feedback", c.feedback)
    if q.type in ("true_false", "numerical") and q.answer is not None:
        out.field(ind, "answer", q.answer)
    if q.type == "numerical":
        out.field(ind, "tolerance", q.tolerance or 0)
    if q.other_answers:
        out.lines.append(f"{ind}other_answers:")
        for o in q.other_answers:
            out.field(ind + "    ", "answer", o.answer, first="- ")
            out.field(ind + "    ", "tolerance", o.tolerance)
            out.field(ind + "    ", "credit", o.credit)
            if o.feedback:
                out.field(ind + "    ", "feedback", o.feedback)
    if q.answers:
        out.lines.append(f"{ind}answers:")
        for a in q.answers:
            out.field(ind + "    ", "text", a.text, first="- ")
            if a.credit is not None:
                out.field(ind + "    ", "credit", a.credit)
            if a.feedback:
                out.field(ind + "    ", "feedback", a.feedback)
    if q.pairs:
        out.lines.append(f"{ind}pairs:")
        for p in q.pairs:
            out.field(ind + "    ", "left", p.left, first="- ")
            out.field(ind + "    ", "right", p.right)
    if q.distractors:
        out.string_list(ind, "distractors", list(q.distractors))
    if q.solution:
        out.field(ind, "solution", q.solution)
    fb = q.feedback
    if fb.correct or fb.partial or fb.incorrect:
        out.lines.append(f"{ind}feedback:")
        for kind in ("correct", "partial", "incorrect"):
            if getattr(fb, kind):
                out.field(ind + "  ", kind, getattr(fb, kind))
    if q.tags:
        out.string_list(ind, "tags", list(q.tags))
    if q.category:
        out.string_list(ind, "category", list(q.category))
    if q.check is not None:
        out.lines.append(f"{ind}check:")
        out.field(ind + "  ", "manual", q.check.manual or "")


def dump(bank: Bank, *, schema_ref: str, header: Sequence[str] = (), original_ids: dict[str, str] | None = None) -> str:
    """The bank file for `bank` (imported questions: `check` is always `manual`).

    `original_ids` maps a question id to the LMS identifier it was made from, written as a
    comment on the id line so the author can see (and search for) what the LMS called it.
    """
    out = _Out()
    out.lines.append(f"# yaml-language-server: $schema={schema_ref}")
    for line in header:
        out.lines.append(f"# {line}".rstrip())
    out.field("", "title", bank.title)
    if bank.category:
        out.string_list("", "category", list(bank.category))
    if bank.description:
        out.field("", "description", bank.description)
    out.lines.append("questions:")
    for i, q in enumerate(bank.questions):
        if i:
            out.lines.append("")
        _question(out, q, (original_ids or {}).get(q.id))
    return "\n".join(out.lines) + "\n"
