"""Moodle's Cloze parser, re-implemented from question/type/multianswer/questiontype.php.

`extract_question` follows `qtype_multianswer_extract_question` step by step: the same
regexes (PCRE's alternation inside one lookbehind, `(?<!\\\\|&|&amp;)`, written as three
Python lookbehinds, which is the same condition), the same `html_entity_decode` then `\\}` and
`\\#` replacements, the same fraction rules. Tests read our Cloze text back with it, so a
wrong escape shows up as a different answer, a lost part or a part too many.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

FRACTION = r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%"
ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"
FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
ALTERNATIVE = f"({FRACTION})?({ANSWER})(#({FEEDBACK}))?"
NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
NUMERICAL_ALTERNATIVE = re.compile(f"^({NUMBER})(:{NUMBER})?$", re.S)
TYPES = [
    ("numerical", "NUMERICAL|NM"), ("multichoice", "MULTICHOICE|MC"), ("multichoice_v", "MULTICHOICE_V|MCV"),
    ("multichoice_h", "MULTICHOICE_H|MCH"), ("shortanswer", "SHORTANSWER|SA|MW"),
    ("shortanswer_c", "SHORTANSWER_C|SAC|MWC"), ("multichoice_s", "MULTICHOICE_S|MCS"),
    ("multichoice_vs", "MULTICHOICE_VS|MCVS"), ("multichoice_hs", "MULTICHOICE_HS|MCHS"),
    ("multiresponse", "MULTIRESPONSE|MR"), ("multiresponse_h", "MULTIRESPONSE_H|MRH"),
    ("multiresponse_s", "MULTIRESPONSE_S|MRS"), ("multiresponse_hs", "MULTIRESPONSE_HS|MRHS"),
]
TYPE_DEF = "|".join(f"({alts})" for _, alts in TYPES)
ANSWER_REGEX = re.compile(r"\{([0-9]*):(" + TYPE_DEF + "):(" + ALTERNATIVE + "(~" + ALTERNATIVE + ")*)\\}", re.S)
ALTERNATIVES_GROUP = 2 + len(TYPES) + 1  # ANSWER_REGEX_ALTERNATIVES (16)
ONE_ALTERNATIVE = re.compile("~?" + ALTERNATIVE, re.S)


@dataclass
class Wrapped:
    qtype: str
    kind: str
    mark: int
    answers: list[str] = field(default_factory=list)
    fractions: list[float] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)
    tolerance: list[str] = field(default_factory=list)


def _decode(text: str) -> str:
    return html.unescape(text).replace("\\}", "}").replace("\\#", "#")


def extract_question(text: str) -> tuple[str, list[Wrapped]]:
    """(question text with `{#n}` markers, the wrapped sub-questions in order)."""
    parts: list[Wrapped] = []
    position = 1
    while True:
        m = ANSWER_REGEX.search(text)
        if not m:
            break
        kind = next(name for (name, _), g in zip(TYPES, m.groups()[2:2 + len(TYPES)]) if g)
        qtype = "numerical" if kind == "numerical" else "shortanswer" if kind.startswith("shortanswer") else "multichoice"
        wrapped = Wrapped(qtype, kind, int(m.group(1) or 1))
        remaining = m.group(ALTERNATIVES_GROUP)
        while True:
            alt = ONE_ALTERNATIVE.search(remaining)
            if not alt:
                break
            if alt.group(1) == "=":
                wrapped.fractions.append(1.0)
            elif alt.group(2):
                wrapped.fractions.append(0.01 * float(alt.group(2).replace(",", ".")))
            else:
                wrapped.fractions.append(0.0)
            wrapped.feedback.append(_decode(alt.group(5)) if alt.group(4) is not None else "")
            answer = alt.group(3)
            numbers = NUMERICAL_ALTERNATIVE.match(answer) if qtype == "numerical" else None
            if numbers:
                wrapped.answers.append(numbers.group(1))
                wrapped.tolerance.append(numbers.group(6) or "0")
            else:
                wrapped.answers.append(_decode(answer))
            remaining = remaining.split(alt.group(0), 1)[1]
        parts.append(wrapped)
        text = text.replace(m.group(0), f"{{#{position}}}", 1)
        position += 1
    return text, parts
