"""Moodle's Cloze (multianswer) question text: each part as an embedded answer.

Moodle keeps no separate fields for the parts of a Cloze question: its importer
(question/format/xml/format.php `import_multianswer`) hands the question text to
`qtype_multianswer_extract_question` (question/type/multianswer/questiontype.php), which
finds each `{weight:TYPE:alternatives}` with ANSWER_REGEX and cuts it out. So the text is
the file format, and these are its rules, read from that regex:

- An alternative is `=` (full marks) or `%n%`, then the answer, then optionally `#feedback`,
  alternatives separated by `~`. The answer ends at the first `~`, `#` or `}` not preceded by
  `\\`, `&` or `&amp;`; feedback ends at the first `~` or `}` not preceded by `\\`.
- Afterwards answer and feedback are HTML-entity-decoded, then `\\}` → `}` and `\\#` → `#`.
  Nothing turns `\\~` back into `~`. So we write `}` as `\\}`, `#` as `\\#`, and every other
  character that could end or confuse an alternative (`~`, `\\`, `&`, `<`, `>`, `"`) as a
  numeric character reference, which the decoding turns back and the regex never sees as a
  terminator (its `#` follows `&`). Decoding `&#92;\\}` gives `\\\\}`, whose `\\}` becomes `}`:
  a LaTeX `\\}` survives.
- NUMERICAL answers must match `-?digits[.digits]` (NUMBER_REGEX) with `:tolerance`; the
  weight is an integer (`[0-9]*`), and the question's mark is the weights' sum (the
  importer ignores `<defaultgrade>`).
- Short answers are matched as Moodle short-answer patterns: `*` is escaped.
"""

from __future__ import annotations

import html
import math
import re
from typing import Callable

from ..cloze import segments
from ..diagnostics import Diagnostic, Report
from ..model import Loc, Part, Question
from ..text import decimal_text, plain_text
from .moodle_bank import escape_wildcards

E_CLOZE = "M130"
W_CLOZE_POINTS = "M230"

ANSWER_START = re.compile(r"\{[0-9]*:[A-Z_]+:")
"""What could open an embedded answer (ANSWER_START_REGEX, loosened to any type name)."""

_ENTITY = {c: f"&#{ord(c)};" for c in "~\\&<>\""}

Html = Callable[[str, Loc], str]


class ClozeError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def encode(text: str) -> str:
    """An answer or feedback as Moodle's multianswer parser reads it back unchanged."""
    out = []
    for c in text:
        if c in "}#":
            out.append("\\" + c)
        else:
            out.append(_ENTITY.get(c, c))
    return "".join(out)


def inline(fragment_html: str) -> str:
    """A one-paragraph rendering without its `<p>`: an answer sits inside a sentence."""
    s = fragment_html.strip()
    if s.startswith("<p>") and s.endswith("</p>") and s.count("<p>") == 1:
        return s[3:-4]
    return s


def question_html(q: Question, render: Html) -> str:
    """The Cloze question text: the bank text as HTML with each part's embedded answer in
    its blank. Raises ClozeError for what Moodle would parse differently."""
    pieces: list[str] = []
    tokens: dict[str, str] = {}
    for k, piece in enumerate(segments(q)):
        if isinstance(piece, str):
            pieces.append(piece)
        else:
            token = f"QBANKCLOZEBLANK{k}X"
            while token in q.text:
                token += "X"
            tokens[token] = embedded(q, piece, render)
            pieces.append(token)
    text_html = render("".join(pieces), q.text_loc or q.loc)
    found = ANSWER_START.search(text_html)
    if found:
        raise ClozeError(Diagnostic(q.text_loc or q.loc, E_CLOZE, f"`{q.id}`: the text contains "
                                    f"`{found.group(0)}`, which Moodle's Cloze parser would read as a blank; "
                                    "add a space after the `{`"))
    for token, answer in tokens.items():
        text_html = text_html.replace(token, answer)
    return text_html


def embedded(q: Question, part: Part, render: Html) -> str:
    """`{weight:TYPE:alternatives}` for one part."""
    def feedback(markdown: str | None, loc: Loc) -> str:
        return "#" + encode(inline(render(markdown, loc))) if markdown else ""

    if part.type == "numerical":
        value, tolerance = part.answer, part.tolerance or 0.0
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not math.isfinite(tolerance) or tolerance < 0:
            raise ClozeError(Diagnostic(part.answer_loc or part.loc, E_CLOZE, f"`{q.id}`: part `{part.name}` needs "
                                        "a finite number as `answer` and a `tolerance` ≥ 0"))
        return f"{{{part.points}:NUMERICAL:={decimal_text(value)}:{decimal_text(tolerance)}}}"
    if part.type == "short_answer":
        accepted = [a for a in part.answers if a.text.strip()]
        if not accepted:
            raise ClozeError(Diagnostic(part.loc, E_CLOZE, f"`{q.id}`: part `{part.name}` has no non-empty answer"))
        alternatives = ["=" + encode(escape_wildcards(a.text.strip())) + feedback(a.feedback, a.loc) for a in accepted]
        return f"{{{part.points}:SHORTANSWER:{'~'.join(alternatives)}}}"
    rendered = [(c, inline(render(c.text, c.loc))) for c in part.choices]
    if len(rendered) < 2 or any(not h.strip() for _, h in rendered):
        raise ClozeError(Diagnostic(part.loc, E_CLOZE, f"`{q.id}`: part `{part.name}` needs two or more "
                                    "choices with text"))
    # A drop-down menu shows plain text only: options with math or markup are radio buttons.
    plain = all(h == html.escape(plain_text(c.text), quote=False) for c, h in rendered)
    kind = "MULTICHOICE" if plain else "MULTICHOICE_V"
    alternatives = [("=" if c.correct else "") + encode(h) + feedback(c.feedback, c.loc) for c, h in rendered]
    return f"{{{part.points}:{kind}:{'~'.join(alternatives)}}}"


def points_finding(q: Question, report: Report) -> None:
    """Moodle gives a Cloze question the sum of its parts' weights, whatever the file says."""
    total = sum(p.points for p in q.parts)
    if q.points != total:
        report(Diagnostic(q.points_loc or q.loc, W_CLOZE_POINTS, f"`{q.id}` is worth {decimal_text(q.points)} here, "
                          f"but Moodle makes a Cloze question worth the sum of its parts' weights ({total}); "
                          "set its maximum mark in the Moodle quiz"))
