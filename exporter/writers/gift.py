"""GIFT export: `dist/gift/<bank>.gift.txt`, for Moodle's Question bank → Import → "GIFT format".

GIFT looks simple, but Moodle's importer (question/format/gift/format.php, `qformat_gift`)
is not a grammar: it finds the answer block with `strpos('{')` / `strpos('}')`, splits
answers with `explode('~')` / `explode('=')`, feedback with `explode('#')`, the general
feedback with `strrpos('####')`, and only *afterwards* turns escapes back into characters.
Every special character that reaches it unescaped is structure, and LaTeX is full of them
(`\\frac{\\partial C}{\\partial w_2} = 0.064`). The rules below are what that file does;
each one is the reason for something this writer does:

- `escapedchar_pre()` first turns every `\\\\` into a placeholder, then `\\:` `\\#` `\\=`
  `\\{` `\\}` `\\~` and `\\n` into placeholders, then the first placeholder back into ONE
  backslash; `escapedchar_post()` turns the other placeholders into `: # = { } ~` and a
  newline once parsing is done. So every backslash is written doubled — otherwise `\\neq`,
  `\\nabla`, `\\nu` would come out as a newline followed by `eq`, `abla`, `u` — and each of
  `: # = { } ~` gets a backslash. (`:` only matters to Moodle in titles and numerical
  answers, but gift-pegjs, the independent parser the tests use, needs it escaped
  everywhere, and the escape is harmless where Moodle does not need it.)
- The file is cut into questions at blank lines, and a line whose trimmed text starts with
  `//` is a comment. So text never holds a raw newline: it is written as `\\n`, which Moodle
  stores as a newline. A carriage return has no escape at all.
- `$CATEGORY:` is only recognised at the start of a blank-line-separated block, and then the
  *whole* block is the category path: it stands alone. That block gets `escapedchar_pre()`
  but never `escapedchar_post()`, so only backslashes are escaped in it.
- `extract_idnumber_and_tags_from_comment()` reads `[id:…]` and `[tag:…]` from the comment
  lines of the question's own block, with `]` escaped as `\\]`.
- `parse_text_with_format()` reads a leading `[html]`, and the question text's format is
  the default for its answers and feedback, so only the question text carries one, right
  after `::title::`. HTML from `exporter.text.to_html()` always starts with `<` or `\\`, so
  no other field can be mistaken for a format marker.
- Numerical answers go through `is_numeric($ans) || $ans = '*'` — an assignment, not a
  comparison — so a non-numeric answer is silently stored as `*`, which accepts every
  response. Only plain decimal numerals are written; anything else is a build error.
- In `{TRUE#a#b}`, `a` is the feedback for the *wrong* response and `b` for the right one
  (`split_truefalse_comment()`).
- The import form accepts a file only if its MIME type is `text/plain`. Moodle's MIME table
  has no `.gift`, so it would sniff the content, and libmagic calls a file with `<a href=`
  or `<table` in it text/html: refused. `.txt` is text/plain by name, hence `.gift.txt`
  (the name Moodle's own GIFT test fixtures use).

Moodle's question-bank policy (grades, category paths, names, limits, what feedback a type
can hold, short-answer wildcards) comes from `moodle_bank`, shared with the Moodle XML
writer, so both exports of a bank grade alike and report alike; this module is GIFT's
syntax. What GIFT cannot say (combined feedback, a question's mark, …) is a located
warning; a question GIFT cannot carry at all is left out
with a warning that names it. the README's "GIFT export" section is the user-facing version of all this.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass, field
from typing import Callable

from . import Writer, register
from ..diagnostics import Diagnostic, Report
from ..figures import Figures
from ..cloze import BLANK
from ..model import Bank, Choice, Loc, Question, part_question
from ..text import MathStyle, decimal_text, plain_text, to_html, writable
from .moodle_bank import (
    TAG_LIMIT,
    W_FEEDBACK,
    CategoryNames,
    Refusal,
    category_groups,
    category_path,
    escape_wildcards,
    idnumber_too_long,
    matching_findings,
    grade_text,
    multiple_answers_grades,
    question_name,
    single_grades,
    tag_cut,
    unsupported_feedback,
)
from ..credit import answer_weight, exact
from .moodle_grades import percent

TARGET = "gift"
SUFFIX = ".gift.txt"

MATH_STYLE: MathStyle = "mathjax"

# Codes: G1xx errors (the import would fail or grade differently), G2xx warnings
# (something the bank says that GIFT cannot carry, reported instead of dropped).
# The question-bank rules both Moodle exports obey (grades, single key, idnumber length,
# categories, matching) are moodle_bank's, with its M codes.
E_NUMBER = "G101"
E_MISSING = "G104"
E_ID_SYNTAX = "G105"
E_UNWRITABLE = "G107"
W_SKIPPED = "G200"
W_POINTS = "G201"
W_TAG = "G203"
W_FIGURE = "G207"
W_SHUFFLE = "G208"

FIGURE_EMBED_LIMIT = 64 * 1024
"""Largest figure (bytes) embedded in GIFT text as a `data:` URI. GIFT has no file
container, so a figure can only travel inside the question's HTML; base64 makes it a third
larger, and the text is sent with every attempt page. Larger figures are left out with a
warning (the Moodle XML export carries them as files)."""

_ESCAPES = {
    "\\": "\\\\",
    ":": "\\:",
    "#": "\\#",
    "=": "\\=",
    "{": "\\{",
    "}": "\\}",
    "~": "\\~",
    "\n": "\\n",
}
_SPECIAL = re.compile(r"[\\:#={}~\n]")

_PLACEHOLDER = re.compile(r"&&(?:058;|035;|061;|123;|125;|126;|092;|010)")
"""Moodle's (and gift-pegjs's) internal placeholders: text that already contains one comes
back from the importer as the character it stands for, and there is no escape for it."""

_TAG_FORBIDDEN = re.compile(r"[<>`\x00-\x1f\x7f]")
"""What Moodle's `[tag:…]` pattern (`[^]<>\\`[:cntrl:]]`) cannot read; `]` is escaped."""
_ID_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
"""What Moodle's `[id:…]` pattern (`[^][:cntrl:]]`) cannot read; `]` is escaped."""


class Unrepresentable(Exception):
    """GIFT cannot carry this question at all: it is left out with a warning naming it."""

    def __init__(self, loc: Loc, reason: str) -> None:
        super().__init__(reason)
        self.loc = loc
        self.reason = reason


class Refused(Exception):
    """The question would import wrongly (another grade, any answer accepted): an error."""

    def __init__(self, loc: Loc, code: str, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.code = code
        self.message = message


def escape(text: str, loc: Loc, what: str) -> str:
    """`text` escaped so that Moodle's escapedchar_pre/post give back exactly `text`.

    One character at a time: a backslash becomes `\\\\` (Moodle restores those first, which
    is what keeps `\\neq` away from the `\\n` escape), each of `: # = { } ~` gets a
    backslash, a newline becomes `\\n`. Raises Unrepresentable for what has no escape.
    """
    if "\r" in text:
        raise Unrepresentable(loc, f"{what} contains a carriage return, which GIFT cannot escape")
    found = _PLACEHOLDER.search(text)
    if found:
        raise Unrepresentable(
            loc,
            f"{what} contains {found.group()!r}, which Moodle's GIFT importer turns into another "
            "character and which cannot be escaped",
        )
    return _SPECIAL.sub(lambda m: _ESCAPES[m.group()], text)


_PLACEHOLDERS = {":": "&&058;", "#": "&&035;", "=": "&&061;", "{": "&&123;", "}": "&&125;", "~": "&&126;",
                 "\n": "&&010"}
"""Moodle's escapedchar_pre() placeholders, one per escapable character of `_ESCAPES`."""


def protect_escapes(text: str) -> str:
    """Moodle's escapedchar_pre(): the first half of reading GIFT, inverse of `escape`.

    `\\\\` is set aside first, then each `\\:` `\\#` `\\=` `\\{` `\\}` `\\~` `\\n` becomes its
    placeholder, then the set-aside pairs become one backslash, so the structure characters
    left in the text are exactly the unescaped ones (exporter.readers.gift splits on them).
    """
    text = text.replace("\\\\", "&&092;")
    for char, placeholder in _PLACEHOLDERS.items():
        text = text.replace(_ESCAPES[char], placeholder)
    return text.replace("&&092;", "\\")


def restore_escapes(text: str) -> str:
    """Moodle's escapedchar_post(): placeholders back to their characters."""
    for char, placeholder in _PLACEHOLDERS.items():
        text = text.replace(placeholder, char)
    return text


def format_number(value: object, loc: Loc, what: str) -> str:
    """A plain decimal numeral: what Moodle's `is_numeric()` and gift-pegjs's `Number` both
    read as the same double (no exponent, which gift-pegjs refuses; no `inf`/`nan`).

    `repr()` is the shortest decimal that reads back as the same double, so nothing is
    rounded (see text.decimal_text).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Refused(
            loc, E_NUMBER,
            f"{what} must be a finite number, not {value!r}: Moodle's GIFT importer would store "
            "it as '*', which accepts every response",
        )
    return decimal_text(value)


@dataclass
class _Writer:
    bank: Bank
    report: Report
    options: Options
    pending: list[Diagnostic] = field(default_factory=list)
    """Warnings about the question being rendered, reported only if it is written: a skipped
    question gets one clear message instead of a pile of partial ones."""

    def __post_init__(self) -> None:
        self.figures = Figures(self.bank, self.report)
        self.names = CategoryNames(self.bank, self.report)

    def warn(self, loc: Loc, code: str, message: str) -> None:
        self.pending.append(Diagnostic(loc, code, message))

    def flush(self) -> None:
        for diagnostic in self.pending:
            self.report(diagnostic)
        self.pending.clear()

    # -- text fields -------------------------------------------------------------------

    def html(self, markdown: str | None, loc: Loc, what: str) -> str:
        """Bank Markdown → the HTML Moodle must store (shared text layer) → GIFT text."""
        if not markdown:
            return ""
        html = to_html(markdown, MATH_STYLE, images=lambda src, alt: self.figure_src(src, loc))
        return escape(html, loc, what)

    def figure_src(self, src: str, loc: Loc) -> str | None:
        """A figure as a `data:` URI in the `[html]` text, or None (alt text shown instead).

        Moodle keeps it: the GIFT importer stores `[html]` text as written, and question
        text is shown with `noclean` (question_definition::format_text in
        question/type/questionbase.php), so HTML Purifier, whose allowed URI schemes
        (purify_html in lib/weblib.php) do not include `data`, never sees it. A site that
        turns on "forceclean" purifies everything and drops such images; the README ("Figures")
        says so. `:` and `=` of the URI are escaped by `escape` like any other text.
        """
        figure = self.figures.use(src, loc)
        if figure is None:
            return src  # the error is reported; the build will not be written
        limit = self.options.figure_embed_limit
        if len(figure.data) > limit:
            self.warn(
                loc, W_FIGURE,
                f"figure `{figure.path}` ({len(figure.data):,} bytes) is too large to embed in GIFT "
                f"text (limit {limit:,} bytes, option gift.figure_embed_limit); the GIFT export shows "
                "its alt text instead. Import the Moodle XML export, which carries the file",
            )
            return None
        return f"data:{figure.mime};base64,{base64.b64encode(figure.data).decode('ascii')}"

    def html_required(self, markdown: str, loc: Loc, what: str) -> str:
        text = self.html(markdown, loc, what)
        if not text:
            raise Unrepresentable(loc, f"{what} is empty once rendered")
        return text

    def feedback(self, markdown: str | None, loc: Loc, what: str) -> str:
        """`#…` for one answer's feedback, or nothing."""
        text = self.html(markdown, loc, what)
        return f"#{text}" if text else ""

    def plain(self, text: str, loc: Loc, what: str) -> str:
        """A field Moodle keeps as plain text (short answers, matching answers): stripped,
        as Moodle trims it, escaped, and never empty."""
        text = text.strip()
        if not text:
            raise Unrepresentable(loc, f"{what} is blank")
        return escape(text, loc, what)

    # -- blocks ------------------------------------------------------------------------

    def header(self) -> str:
        return (
            f"// GIFT export of the qbank bank \"{plain_text(self.bank.name)}\", for Moodle:"
            " Question bank → Import → GIFT format.\n"
            "// Generated by `qbank build`; edit the bank, not this file.\n"
        )

    @property
    def bank_loc(self) -> Loc:
        return Loc(self.bank.path, 1, 1)

    def category(self, path: tuple[str, ...], questions: list[Question]) -> str | None:
        """The `$CATEGORY:` block, or None (after an error) if a name cannot be written."""
        names = self.names.names(path, self.names.loc_of(path, questions))
        if names is None:
            return None
        # escapedchar_pre() turns `\\` into `\` here too, but nothing turns `\:` etc. back.
        return f"$CATEGORY: {category_path(names).replace(chr(92), chr(92) * 2)}\n"

    def comment_line(self, q: Question) -> str:
        """`// [id:…] [tag:…]`: where Moodle's GIFT importer looks for idnumber and tags."""
        bits = []
        idnumber = q.id.strip()
        too_long = idnumber_too_long(q)
        if too_long:
            raise Refusal(too_long)
        if not idnumber or _ID_FORBIDDEN.search(idnumber) or idnumber.endswith("\\"):
            raise Refused(
                q.loc, E_ID_SYNTAX,
                f"id {q.id!r} cannot be written as Moodle's [id:…] (blank, a control character, "
                "or a final backslash, which would escape the closing ']')",
            )
        bits.append(f"[id:{idnumber.replace(']', chr(92) + ']')}]")
        for tag in q.tags:
            clean = tag.strip()
            if not clean or _TAG_FORBIDDEN.search(clean) or clean.endswith("\\"):
                self.warn(
                    q.loc, W_TAG,
                    f"tag {tag!r} is left out: Moodle's [tag:…] cannot hold it (blank, '<', '>', "
                    "'`', a control character, or a final backslash)",
                )
                continue
            if tag_cut(clean) or "," in clean:
                self.warn(
                    q.loc, W_TAG,
                    f"tag {tag!r} will be changed by Moodle (it removes commas and cuts tags at "
                    f"{TAG_LIMIT} characters)",
                )
            bits.append(f"[tag:{clean.replace(']', chr(92) + ']')}]")
        return f"// {' '.join(bits)}\n"

    def title(self, q: Question) -> str:
        """Plain text (Moodle cleans names as PARAM_TEXT) and never empty: `::::` would give
        an empty name, and gift-pegjs refuses it."""
        return escape(question_name(q), q.loc, "the title")

    # -- questions ---------------------------------------------------------------------

    def question(self, q: Question) -> str:
        """The question's block — comment line, `::title::[html]text{…}` — or raises."""
        if q.type == "cloze":
            return self.missing_word(q)
        render = getattr(self, f"answers_{q.type}", None)
        if render is None:
            raise Unrepresentable(q.loc, f"GIFT has no question type for {q.type!r}")
        comment = self.comment_line(q)
        # A quiz's own points are not warned about: in Moodle a quiz's marks belong to its
        # slots (a random question's slot has its own mark), set when the quiz is built from
        # the imported questions, and the quiz's Moodle XML file carries them as default marks.
        if q.points != 1 and not _set_by_quiz(q):
            self.warn(
                q.points_loc or q.loc, W_POINTS,
                f"points: {q.points:g} cannot be said in GIFT; Moodle imports the question with "
                "a default mark of 1 (the Moodle XML export keeps the points)",
            )
        # An empty text would leave `[html]` alone before `{`, which gift-pegjs refuses;
        # a question with nothing to read is not worth a special case.
        text = self.html_required(q.text, q.loc, "the question text")
        body = render(q)
        solution = self.html(q.solution, q.loc, "the solution")
        general = f"\t####{solution}\n" if solution else ""
        opening = "{" if body.startswith("#") else "{\n"  # `{#` reads as numerical
        return f"{comment}::{self.title(q)}::[html]{text}{opening}{body}{general}}}\n"

    def missing_word(self, q: Question) -> str:
        """GIFT's missing-word form, `text {answers} more text`: one blank, and (Moodle's GIFT
        documentation) only for a choice or short-answer blank. Anything else is left out."""
        part = q.parts[0] if len(q.parts) == 1 else None
        if part is None:
            raise Unrepresentable(q.loc, f"GIFT's missing-word form holds one blank and this cloze question has "
                                  f"{len(q.parts)}; it is in the Moodle XML export as a Cloze question")
        token = "QBANKGIFTBLANKX"
        while token in q.text:
            token += "X"
        whole = BLANK.sub(token, q.text)
        html = self.html_required(whole, q.loc, "the question text")
        before, _, after = html.partition(token)
        if part.type == "numerical" and after.strip(" \n</p>"):
            raise Unrepresentable(part.loc, "GIFT's missing-word form takes a choice or short-answer blank, not a "
                                  "numerical one mid-sentence; it is in the Moodle XML export as a Cloze question")
        self.no_combined_feedback(q)
        sub = part_question(q, part)
        if q.points != 1 and not _set_by_quiz(q):
            self.warn(q.points_loc or q.loc, W_POINTS, f"points: {q.points:g} cannot be said in GIFT; Moodle imports "
                      "the question with a default mark of 1 (the Moodle XML export keeps the points)")
        text = before.rstrip()
        body = getattr(self, f"answers_{part.type}")(sub)
        solution = self.html(q.solution, q.loc, "the solution")
        general = f"\t####{solution}\n" if solution else ""
        opening = "{" if body.startswith("#") else "{\n"
        return f"{self.comment_line(q)}::{self.title(q)}::[html]{text} {opening}{body}{general}}} {after.strip()}\n"

    def no_combined_feedback(self, q: Question) -> None:
        """GIFT syntax has no place for combined (correct/partial/incorrect) feedback."""
        for kind in ("correct", "partial", "incorrect"):
            if getattr(q.feedback, kind):
                self.warn(q.loc, W_FEEDBACK, f"{kind} feedback is not in the GIFT export: GIFT has no combined feedback")

    def warn_diagnostic(self, d: Diagnostic) -> None:
        self.pending.append(d)

    def enough_choices(self, q: Question) -> None:
        # check_answer_count(2, …) fails the question, and with the import form's default
        # "stop on error" the whole file: better to leave the one question out.
        if len(q.choices) < 2:
            raise Unrepresentable(q.loc, "Moodle's GIFT importer needs at least two choices")

    def answers_multiple_choice(self, q: Question) -> str:
        """`=right` / `~wrong`: an `=` is what makes Moodle's multichoice single-answer; an
        option with partial credit or a penalty is `~%50%option` / `~%-25%option`."""
        self.enough_choices(q)
        grades = {id(c): g for c, g in zip(q.choices, single_grades(q))}
        texts = {id(c): grade_text(grades[id(c)], c.credit_loc or c.loc) for c in q.choices}
        self.shuffle_setting(q)
        return self.choice_lines(q, lambda c: "=" if c.correct else "~" if grades[id(c)] == 0 else f"~%{texts[id(c)]}%")

    def shuffle_setting(self, q: Question) -> None:
        """GIFT has no shuffle flag: Moodle's GIFT importer takes the site default."""
        if q.shuffle is False:
            self.warn(q.loc, W_SHUFFLE, "`shuffle: false` cannot be said in GIFT: Moodle's GIFT importer uses the "
                      "site's default (usually shuffled); the Moodle XML export keeps the bank's order")

    def choice_lines(self, q: Question, marker: Callable[[Choice], str]) -> str:
        """One `\t<marker><option>#<feedback>` line per option: the two choice types differ
        only in the marker (`=`/`~`, or `~%weight%`). GIFT has no combined feedback."""
        self.no_combined_feedback(q)
        lines = []
        for i, c in enumerate(q.choices, 1):
            text = self.html_required(c.text, c.loc, f"choice {i}")
            fb = self.feedback(c.feedback, c.loc, f"the feedback of choice {i}")
            lines.append(f"\t{marker(c)}{text}{fb}\n")
        return "".join(lines)

    def answers_multiple_answers(self, q: Question) -> str:
        """`~%w%option` for every option: no `=` anywhere is what makes Moodle allow several."""
        self.enough_choices(q)
        grades = {id(c): grade_text(g, c.credit_loc or c.loc) for c, g in zip(q.choices, multiple_answers_grades(q))}
        self.shuffle_setting(q)
        return self.choice_lines(q, lambda c: f"~%{grades[id(c)]}%")

    def answers_true_false(self, q: Question) -> str:
        """`TRUE#wrong#right`: the FIRST feedback is the one for the wrong response."""
        if not isinstance(q.answer, bool):
            raise Refused(
                q.answer_loc or q.loc, E_MISSING,
                f"a true_false question needs answer: true or false, not {q.answer!r}",
            )
        unsupported_feedback(q, self.warn_diagnostic)
        wrong = self.html(q.feedback.incorrect, q.loc, "the incorrect feedback")
        right = self.html(q.feedback.correct, q.loc, "the correct feedback")
        key = "TRUE" if q.answer else "FALSE"
        if right:
            return f"\t{key}#{wrong}#{right}\n"
        if wrong:
            return f"\t{key}#{wrong}\n"
        return f"\t{key}\n"

    def answers_numerical(self, q: Question) -> str:
        """`#` then `=answer:tolerance#correct`, and `~#incorrect` for every other response
        (Moodle stores that as its `*` "any other answer")."""
        where = q.answer_loc or q.loc
        answer = format_number(q.answer, where, "the numerical answer")
        tolerance = 0.0 if q.tolerance is None else q.tolerance
        tol = format_number(tolerance, where, "the tolerance")
        if tol.startswith("-"):
            raise Refused(where, E_NUMBER, f"the tolerance must be ≥ 0, not {tolerance!r}")
        unsupported_feedback(q, self.warn_diagnostic)
        lines = [f"\t={answer}:{tol}{self.feedback(q.feedback.correct, q.loc, 'the correct feedback')}\n"]
        for i, o in enumerate(q.other_answers, 1):
            grade = grade_text(exact(o.credit), o.credit_loc or o.loc)
            value = format_number(o.answer, o.loc, f"other answer {i}")
            margin = format_number(o.tolerance, o.loc, f"the tolerance of other answer {i}")
            lines.append(f"\t=%{grade}%{value}:{margin}{self.feedback(o.feedback, o.loc, f'the feedback of other answer {i}')}\n")
        wrong = self.feedback(q.feedback.incorrect, q.loc, "the incorrect feedback")
        if wrong:
            lines.append(f"\t~{wrong}\n")
        return "#\n" + "".join(lines)

    def answers_short_answer(self, q: Question) -> str:
        """`=%100%answer#feedback` per accepted answer, `=%0%*#incorrect` for the rest.

        The explicit `%100%` is not decoration: without it an answer that itself begins
        like `%50%` would be read as a weight. Answers are plain text (Moodle compares them
        with what the student typed) with `*` made literal, as in the Moodle XML export.
        """
        if not q.answers:
            raise Refused(q.loc, E_MISSING, "a short_answer question needs at least one answer")
        unsupported_feedback(q, self.warn_diagnostic)
        lines = []
        for i, a in enumerate(q.answers, 1):
            if "->" in a.text:
                raise Unrepresentable(
                    a.loc,
                    f"answer {i} contains '->', which makes Moodle's GIFT importer read the "
                    "question as a matching question ('->' has no escape)",
                )
            text = self.plain(escape_wildcards(a.text.strip()), a.loc, f"answer {i}")
            if text.startswith("["):
                # A leading [html], [plain]… would be read as a format marker and removed;
                # Moodle drops a short answer's format, so an explicit one costs nothing.
                text = "[html]" + text
            weight = answer_weight(a.credit)
            fb = self.feedback(a.feedback or (q.feedback.correct if weight == 1 else None), a.loc,
                               f"the feedback of answer {i}")
            lines.append(f"\t=%{grade_text(weight, a.credit_loc or a.loc)}%{text}{fb}\n")
        wrong = self.feedback(q.feedback.incorrect, q.loc, "the incorrect feedback")
        if wrong:
            lines.append(f"\t=%{percent(0)}%*{wrong}\n")
        return "".join(lines)

    def answers_essay(self, q: Question) -> str:
        unsupported_feedback(q, self.warn_diagnostic)
        return ""

    def answers_matching(self, q: Question) -> str:
        """`=left -> right`, and `= -> distractor` for each extra right-hand option (an empty
        left side is how Moodle itself stores a wrong answer). Right-hand sides appear in a
        drop-down, so they are plain text, and Moodle reads no format for them."""
        if not q.pairs:
            raise Refused(q.loc, E_MISSING, "a matching question needs at least one pair")
        matching_findings(q, self.warn_diagnostic)
        self.shuffle_setting(q)
        if len(q.pairs) + len(q.distractors) < 2:
            raise Unrepresentable(q.loc, "Moodle's GIFT importer needs at least two matching lines")
        self.no_combined_feedback(q)
        lines = []
        for i, p in enumerate(q.pairs, 1):
            left = self.html_required(p.left, p.loc, f"the left side of pair {i}")
            lines.append(f"\t={left} -> {self.plain(p.right, p.loc, f'the right side of pair {i}')}\n")
        for i, d in enumerate(q.distractors, 1):
            lines.append(f"\t= -> {self.plain(d, q.loc, f'distractor {i}')}\n")
        return "".join(lines)

    # -- the file ----------------------------------------------------------------------

    def write(self) -> bytes:
        blocks = [self.header()]
        for path, questions in category_groups(self.bank):
            written = []
            for q in questions:
                try:
                    written.append(self.question(q))
                except Unrepresentable as exc:
                    self.pending.clear()
                    self.report(Diagnostic(
                        exc.loc, W_SKIPPED,
                        f"question '{q.id}' is left out of the GIFT export: {exc.reason}",
                    ))
                    continue
                except Refused as exc:
                    self.pending.clear()
                    self.report(Diagnostic(exc.loc, exc.code, exc.message))
                    continue
                except Refusal as exc:
                    self.pending.clear()
                    self.report(exc.diagnostic)
                    continue
                self.flush()
            category = self.category(path, questions) if written else None
            if category is not None:
                blocks.append(category)
                blocks.extend(written)
        # One blank line between blocks: Moodle and gift-pegjs both separate questions so.
        return "\n".join(blocks).encode("utf-8")


def _set_by_quiz(q: Question) -> bool:
    """The question's points were set by a quiz file, not by the question's own bank file."""
    return q.points_loc is not None and q.points_loc.path != q.loc.path


@dataclass(frozen=True)
class Options:
    figure_embed_limit: int = FIGURE_EMBED_LIMIT
    """Bytes of a figure embedded as a data: URI; a larger one is shown as its alt text."""


def write(bank: Bank, report: Report, options: Options | None = None) -> bytes:
    """The bank as one GIFT file: UTF-8 without BOM, `\\n` line ends, deterministic."""
    return _Writer(writable(bank, report, E_UNWRITABLE, "a GIFT file"), report, options or Options()).write()


WRITER = register(Writer(TARGET, SUFFIX, lambda bank, options, report: write(bank, report, options), Options,
                         "GIFT: question bank → Import → GIFT format"))
