"""Moodle XML writer: one bank → one file for Question bank → Import → "Moodle XML format".

Moodle's importer (question/format.php, question/format/xml/format.php and each question
type's `save_question_options`) accepts many files it then mangles, and with its default
"stop on error" a single refused question means *nothing* is imported. So this writer is
built around its traps rather than around the format's happy path:

- Grades: every `fraction` comes from `exporter.writers.moodle_grades.percent`, which only formats values
  in `question_bank::fraction_options_full()`; multiple-answers weights come from
  `multiple_answers_weights`, so the correct set scores 100 % and ticking every box 0 %.
  A grade Moodle cannot express is a located build error, never a silently different grade.
  Before writing a choice question we re-add its fractions exactly (`_check_choice_grades`)
  because Moodle saves a multichoice whose fractions do not add up without complaint.
- `<single>`/`<shuffleanswers>` are lower-case `true`/`false`: the importer's
  `trans_single()` treats anything but the exact string "false" as true.
- HTML goes in CDATA. Moodle's XML reader (lib/xmlize.php, `core_xml_parser`) drops every
  character-data chunk that is only whitespace, and the XML parser delivers each entity
  (`&amp;`, `&lt;` …) as its own chunk, so `&lt; &gt;` written as escaped text comes back
  as `<>`. One CDATA section is one chunk, which is why Moodle's own exporter uses CDATA
  whenever text needs escaping, and so do we (`_set_text`).
- Names are plain text (`exporter.text.plain_text`): the importer runs them through
  `clean_param(PARAM_TEXT)`, which strips tags (`a<b` would lose its tail), and cuts them
  at 255 characters.
- Numbers are written with '.', no thousands separator and no exponent (`_decimal`), which
  Moodle's numerical answer parser reads the same way in every site language.
- The question `idnumber` is the bank id: stable across terms, so a re-import can be
  recognised. Moodle drops (without a message) an idnumber already used in the target
  category, so duplicates inside one file are a build error here.

Output is deterministic: elements in a fixed order, no timestamps, no generated ids.
"""

from __future__ import annotations

import base64
import math
import re
from fractions import Fraction
from typing import cast

from lxml import etree

from . import NoOptions, Writer, moodle_cloze, register
from ..diagnostics import Diagnostic, Report
from ..figures import Figure, Figures
from ..model import Bank, Choice, Loc, Question
from ..text import decimal_text, to_html, writable
from .moodle_bank import (
    E_GRADE,
    TAG_LIMIT,
    CategoryNames,
    Refusal,
    category_groups,
    category_path,
    escape_wildcards,
    idnumber_too_long,
    matching_findings,
    multiple_answers_grades,
    question_name,
    root_category,
    grade_text,
    single_grades,
    tag_cut,
    unsupported_feedback,
)
from ..credit import answer_weight, choice_weights, exact
from .moodle_grades import GradeError, percent

TARGET = "moodle"
SUFFIX = ".xml"

PENALTY = "0.3333333"
"""Moodle's default penalty per wrong try (used in interactive/adaptive quizzes)."""
TRUEFALSE_PENALTY = "1"
"""Moodle's default for true/false: a second try at a two-option question is worth nothing."""

# Codes: M1xx errors (the file would be unusable or grade differently), M2xx warnings
# (something the bank says that Moodle cannot show, reported instead of dropped). The
# question-bank rules GIFT shares (E_GRADE, E_CATEGORY, W_MATCH_SIZE, …) are moodle_bank's.
E_DUPLICATE_ID = "M104"
E_NUMBER = "M105"
E_MISSING = "M106"
E_CONTROL_CHAR = "M107"
W_TAG = "M204"
W_WHITESPACE = "M205"
W_POINTS = "M206"
W_FIGURE_FIELD = "M208"

FILE_FIELDS = frozenset({
    "questiontext", "generalfeedback", "answer", "feedback", "correctfeedback",
    "partiallycorrectfeedback", "incorrectfeedback", "subquestion", "graderinfo",
})
"""The elements whose `<file>` children question/format/xml/format.php imports (through
`import_text_with_files`: question text, general feedback, multichoice answers, every
answer's feedback, combined feedback, matching subquestions, essay grader info). A
category's `<info>` is read as text only (`import_category`)."""
_PLUGINFILE = re.compile(r"@@PLUGINFILE@@/([A-Za-z0-9._/-]+)")

_NEEDS_ESCAPE = re.compile("[<>&]")
_WHITESPACE_BETWEEN_ESCAPES = re.compile(r"[<>&][ \t\r\n]+[<>&]")


def write(bank: Bank, report: Report, options: NoOptions | None = None) -> bytes:
    """The Moodle XML file for `bank`, as UTF-8 bytes. Findings go to `report`."""
    return _Writer(writable(bank, report, E_CONTROL_CHAR, "Moodle XML"), report).build()


class _Writer:
    def __init__(self, bank: Bank, report: Report) -> None:
        self.bank = bank
        self.report = report
        self.names = CategoryNames(bank, report)
        self.figures = Figures(bank, report)
        self.cloze_text = ""

    # -- reporting ------------------------------------------------------------------

    def error(self, loc: Loc, code: str, message: str) -> None:
        self.report(Diagnostic(loc, code, message))

    def warning(self, loc: Loc, code: str, message: str) -> None:
        self.report(Diagnostic(loc, code, message))

    def html(self, markdown: str | None, loc: Loc) -> str:
        """Bank Markdown → HTML through the shared text layer, math for Moodle's MathJax."""
        if not markdown:
            return ""
        return to_html(markdown, "mathjax", images=lambda src, alt: self.figure_src(src, loc))

    # -- figures --------------------------------------------------------------------

    def figure_src(self, src: str, loc: Loc) -> str:
        """`@@PLUGINFILE@@/<path in the bank folder>`: Moodle replaces the token with the
        URL of the field's own file area when it shows the text (file_rewrite_pluginfile_urls),
        and the file itself travels in the field (see `attach_figures`)."""
        figure = self.figures.use(src, loc)
        return f"@@PLUGINFILE@@/{figure.path}" if figure else src

    def attach_figures(self, quiz: etree._Element) -> None:
        """Put each figure a field refers to into that field, once, as
        `<file name="…" path="/folders/" encoding="base64">`.

        Moodle keeps files per text field (each has its own file area), so a figure shown in
        the question text and in the solution travels twice: once in each field. Within a
        field it travels once, however often the field shows it. The importer stores each
        `<file>` under its `path` + `name` (`import_files_as_draft`), which is exactly what
        the `@@PLUGINFILE@@/folders/name` reference asks for.
        """
        by_path = {figure.path: figure for figure in self.figures.used}
        for text in list(quiz.iter("text")):
            paths = sorted(p for p in set(_PLUGINFILE.findall(text.text or "")) if p in by_path)
            if not paths:
                continue
            field = text.getparent()
            if field.tag not in FILE_FIELDS:
                self.warning(
                    self.bank_loc,
                    W_FIGURE_FIELD,
                    f"figure(s) {', '.join(paths)} in a <{field.tag}> field: Moodle imports no files "
                    "there (a category description holds text only), so the image will not show",
                )
                continue
            at = field.index(text) + 1
            for path in paths:
                field.insert(at, _file_element(by_path[path]))
                at += 1

    # -- document ---------------------------------------------------------------------

    def build(self) -> bytes:
        quiz = etree.Element("quiz")
        root_path = root_category(self.bank)
        self.check_ids()

        # The bank's own category always comes first, with the bank description as its
        # info, so the file says where it lands even if every question is in a subcategory.
        for path, questions in category_groups(self.bank):
            info = self.bank.description if path == root_path else None
            self.category_question(quiz, path, info, self.names.loc_of(path, questions))
            for question in questions:
                self.question(quiz, question)
        self.attach_figures(quiz)

        return etree.tostring(
            etree.ElementTree(quiz), xml_declaration=True, encoding="UTF-8", pretty_print=True
        )

    def check_ids(self) -> None:
        seen: dict[str, Question] = {}
        for question in self.bank.questions:
            if question.id in seen:
                first = seen[question.id]
                self.error(
                    question.loc,
                    E_DUPLICATE_ID,
                    f"id '{question.id}' is also used at {first.loc}; Moodle would import "
                    "the second question without an idnumber, so re-imports could not find "
                    "it. Give each question its own id",
                )
            else:
                seen[question.id] = question

    def category_question(
        self, quiz: etree._Element, path: tuple[str, ...], info: str | None, loc: Loc
    ) -> None:
        """A `<question type="category">`: every question after it goes into `path`.

        `loc` is where the path's last names come from (the bank, or the first question of
        a subcategory); each name is checked once, the first time it appears.
        """
        names = self.names.names(path, loc) or ["-"] * len(path)  # an empty name is an error
        element = etree.SubElement(quiz, "question", type="category")
        category = etree.SubElement(element, "category")
        _set_text(etree.SubElement(category, "text"), category_path(names))
        info_el = etree.SubElement(element, "info", format="html")
        _set_html(etree.SubElement(info_el, "text"), self.html(info, loc))

    @property
    def bank_loc(self) -> Loc:
        return Loc(self.bank.path, 1, 1)

    # -- questions ----------------------------------------------------------------------

    def question(self, quiz: etree._Element, q: Question) -> None:
        moodle_type = {
            "multiple_choice": "multichoice",
            "multiple_answers": "multichoice",
            "true_false": "truefalse",
            "numerical": "numerical",
            "short_answer": "shortanswer",
            "essay": "essay",
            "matching": "matching",
            "cloze": "cloze",
        }.get(q.type)
        if moodle_type is None:
            self.error(q.loc, E_MISSING, f"question type '{q.type}' has no Moodle equivalent")
            return
        # Build the type-specific part first: if it finds an error (an impossible grade),
        # the question is left out rather than written with a different grade.
        body: list[etree._Element] = []
        ok = getattr(self, "body_" + q.type)(q, body)
        if not ok:
            return

        element = etree.SubElement(quiz, "question", type=moodle_type)
        self.header(element, q, self.cloze_text if q.type == "cloze" else None)
        element.extend(body)
        self.tags(element, q)

    def header(self, element: etree._Element, q: Question, text_html: str | None = None) -> None:
        name = etree.SubElement(element, "name")
        _set_text(etree.SubElement(name, "text"), question_name(q))
        _html_field(element, "questiontext", self.html(q.text, q.loc) if text_html is None else text_html)
        _html_field(element, "generalfeedback", self.html(q.solution, q.loc))
        etree.SubElement(element, "defaultgrade").text = self.points(q)
        etree.SubElement(element, "penalty").text = (
            TRUEFALSE_PENALTY if q.type == "true_false" else PENALTY
        )
        etree.SubElement(element, "hidden").text = "0"
        too_long = idnumber_too_long(q)
        if too_long:
            self.report(too_long)
        _set_text(etree.SubElement(element, "idnumber"), q.id)

    def points(self, q: Question) -> str:
        points = q.points
        if isinstance(points, bool) or not isinstance(points, (int, float)) or not (
            math.isfinite(points) and points > 0
        ):
            self.error(q.points_loc or q.loc, E_NUMBER, f"points must be a positive number, not {points!r}")
            return "1"
        if round(points, 7) != points:
            self.warning(
                q.points_loc or q.loc,
                W_POINTS,
                f"points {points!r} will be stored by Moodle to 7 decimal places",
            )
        return decimal_text(points)

    def tags(self, element: etree._Element, q: Question) -> None:
        if not q.tags:
            return
        tags = etree.SubElement(element, "tags")
        for tag in q.tags:
            # clean_param(PARAM_TAG): drops control characters and < > `, cuts at 50.
            if tag_cut(tag) or re.search(r"[<>`]", tag):
                self.warning(
                    q.loc,
                    W_TAG,
                    f"tag '{tag}' will be changed by Moodle (it removes < > ` from tags "
                    f"and cuts them at {TAG_LIMIT} characters)",
                )
            _set_text(etree.SubElement(etree.SubElement(tags, "tag"), "text"), tag)

    # -- feedback -----------------------------------------------------------------------

    def combined_feedback(self, q: Question, body: list[etree._Element]) -> None:
        fb = q.feedback
        for tag, text in (
            ("correctfeedback", fb.correct),
            ("partiallycorrectfeedback", fb.partial),
            ("incorrectfeedback", fb.incorrect),
        ):
            body.append(_html_element(tag, self.html(text, q.loc)))

    # -- type bodies: each appends elements to `body` and returns False on an error ----

    def body_multiple_choice(self, q: Question, body: list[etree._Element]) -> bool:
        try:
            grades = single_grades(q)
        except Refusal as exc:
            self.report(exc.diagnostic)
            return False
        return self.multichoice(q, body, single=True, grades=grades)

    def body_multiple_answers(self, q: Question, body: list[etree._Element]) -> bool:
        try:
            grades = multiple_answers_grades(q)
        except Refusal as exc:
            self.report(exc.diagnostic)
            return False
        return self.multichoice(q, body, single=False, grades=grades)

    def multichoice(
        self, q: Question, body: list[etree._Element], *, single: bool, grades: list[Fraction]
    ) -> bool:
        if not self.choices_usable(q):
            return False
        try:
            _check_choice_grades(grades, single=single, policy=choice_weights(q) is None)
        except GradeError as exc:
            self.error(q.loc, E_GRADE, str(exc))
            return False
        try:
            fractions = [grade_text(g, c.credit_loc or c.loc) for c, g in zip(q.choices, grades)]
        except Refusal as exc:
            self.report(exc.diagnostic)
            return False
        body.append(_simple("single", "true" if single else "false"))
        # The bank's order is the author's unless it says `shuffle: true`: solutions say
        # "option B", and options like "none of the above" must stay last.
        body.append(_simple("shuffleanswers", "true" if q.shuffle else "false"))
        body.append(_simple("answernumbering", "ABCD"))
        body.append(_simple("showstandardinstruction", "1"))
        self.combined_feedback(q, body)
        if not single:
            body.append(etree.Element("shownumcorrect"))
        for choice, fraction in zip(q.choices, fractions):
            body.append(self.choice_answer(q, choice, fraction))
        return True

    def choices_usable(self, q: Question) -> bool:
        """Moodle's multichoice skips blank choices (which would shift every grade) and,
        with fewer than two, stops with a notice that also ends the whole import."""
        ok = True
        if len(q.choices) < 2:
            self.error(q.loc, E_MISSING, "a choice question needs at least two choices")
            ok = False
        for c in q.choices:
            if not c.text.strip():
                self.error(c.loc, E_MISSING, "choice text is empty; Moodle would drop the choice")
                ok = False
        return ok

    def choice_answer(self, q: Question, choice: Choice, fraction: str) -> etree._Element:
        answer = etree.Element("answer", fraction=fraction, format="html")
        _set_html(etree.SubElement(answer, "text"), self.html(choice.text, choice.loc))
        answer.append(_html_element("feedback", self.html(choice.feedback, choice.loc)))
        return answer

    def body_true_false(self, q: Question, body: list[etree._Element]) -> bool:
        if not isinstance(q.answer, bool):
            self.error(
                q.answer_loc or q.loc,
                E_MISSING,
                f"a true_false question needs answer: true or false, not {q.answer!r}",
            )
            return False
        unsupported_feedback(q, self.report)
        for value in (True, False):
            is_correct = value == q.answer
            # The importer recognises the two answers by these exact lower-case texts.
            answer = etree.Element(
                "answer", fraction=percent(1 if is_correct else 0), format="moodle_auto_format"
            )
            _set_text(etree.SubElement(answer, "text"), "true" if value else "false")
            text = q.feedback.correct if is_correct else q.feedback.incorrect
            answer.append(_html_element("feedback", self.html(text, q.loc)))
            body.append(answer)
        return True

    def body_numerical(self, q: Question, body: list[etree._Element]) -> bool:
        loc = q.answer_loc or q.loc
        value = q.answer
        tolerance = 0.0 if q.tolerance is None else q.tolerance
        for label, number in (("answer", value), ("tolerance", tolerance)):
            if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
                self.error(loc, E_NUMBER, f"numerical {label} must be a finite number, not {number!r}")
                return False
        if tolerance < 0:
            self.error(loc, E_NUMBER, f"tolerance must be ≥ 0, not {tolerance!r}")
            return False
        unsupported_feedback(q, self.report)
        try:
            others = [grade_text(exact(o.credit), o.credit_loc or o.loc) for o in q.other_answers]
        except Refusal as exc:
            self.report(exc.diagnostic)
            return False
        correct_html = self.html(q.feedback.correct, q.loc)
        body.append(
            self.plain_answer(percent(1), decimal_text(cast(float, value)), correct_html, loc, tolerance=decimal_text(tolerance))
        )
        # Further ranges after the key: Moodle scores a response with the first answer
        # whose range holds it (qtype_numerical get_matching_answer), and K115 proved none
        # of them holds the key.
        for other, fraction in zip(q.other_answers, others):
            body.append(self.plain_answer(fraction, decimal_text(other.answer), self.html(other.feedback, other.loc),
                                          other.loc, tolerance=decimal_text(other.tolerance)))
        if q.feedback.incorrect:
            # '*' is Moodle's "any other answer": the only place incorrect feedback can go.
            incorrect_html = self.html(q.feedback.incorrect, q.loc)
            body.append(self.plain_answer(percent(0), "*", incorrect_html, q.loc, tolerance="0"))
        # Units off: no unit list, and showunits 3 (qtype_numerical::UNITNONE) so students
        # are neither asked for nor penalised for a unit.
        body.append(_simple("unitgradingtype", "0"))
        body.append(_simple("unitpenalty", "0.1000000"))
        body.append(_simple("showunits", "3"))
        body.append(_simple("unitsleft", "0"))
        return True

    def plain_answer(
        self, fraction: str, text: str, feedback_html: str, loc: Loc, *, tolerance: str | None = None
    ) -> etree._Element:
        """An <answer> whose text is plain (numerical value, short-answer text), not HTML."""
        answer = etree.Element("answer", fraction=fraction, format="moodle_auto_format")
        self.set_plain(etree.SubElement(answer, "text"), text, loc)
        answer.append(_html_element("feedback", feedback_html))
        if tolerance is not None:
            etree.SubElement(answer, "tolerance").text = tolerance
        return answer

    def body_short_answer(self, q: Question, body: list[etree._Element]) -> bool:
        if not q.answers:
            self.error(q.loc, E_MISSING, "a short_answer question needs at least one answer")
            return False
        unsupported_feedback(q, self.report)
        blank = [a for a in q.answers if not a.text.strip()]
        for accepted in blank:
            self.error(accepted.loc, E_MISSING, "short answer is empty; Moodle would drop it")
        if blank:
            return False
        try:
            fractions = [grade_text(answer_weight(a.credit), a.credit_loc or a.loc) for a in q.answers]
        except Refusal as exc:
            self.report(exc.diagnostic)
            return False
        body.append(_simple("usecase", "0"))
        for accepted, fraction in zip(q.answers, fractions):
            text = accepted.text.strip()
            full = answer_weight(accepted.credit) == 1
            feedback = accepted.feedback or (q.feedback.correct if full else None)
            feedback_html = self.html(feedback, accepted.loc)
            body.append(self.plain_answer(fraction, escape_wildcards(text), feedback_html, accepted.loc))
        if q.feedback.incorrect:
            incorrect_html = self.html(q.feedback.incorrect, q.loc)
            body.append(self.plain_answer(percent(0), "*", incorrect_html, q.loc))
        return True

    def body_cloze(self, q: Question, body: list[etree._Element]) -> bool:
        """The parts live in the question text (exporter.writers.moodle_cloze); the body
        has nothing of its own. The text is made here so an unwritable part skips the question."""
        try:
            self.cloze_text = moodle_cloze.question_html(q, self.html)
        except moodle_cloze.ClozeError as exc:
            self.report(exc.diagnostic)
            return False
        moodle_cloze.points_finding(q, self.report)
        unsupported_feedback(q, self.report)
        return True

    def body_essay(self, q: Question, body: list[etree._Element]) -> bool:
        unsupported_feedback(q, self.report)
        body.append(_simple("responseformat", "editor"))
        body.append(_simple("responserequired", "1"))
        body.append(_simple("responsefieldlines", "15"))
        body.append(_simple("attachments", "0"))
        body.append(_simple("attachmentsrequired", "0"))
        # The worked solution is also what a grader needs next to the response.
        body.append(_html_element("graderinfo", self.html(q.solution, q.loc)))
        body.append(_html_element("responsetemplate", ""))
        return True

    def body_matching(self, q: Question, body: list[etree._Element]) -> bool:
        if not q.pairs:
            self.error(q.loc, E_MISSING, "a matching question needs at least one pair")
            return False
        # Moodle reads a blank left side as a distractor and stops the whole import with a
        # notice at a blank right side; a blank distractor it silently drops.
        blank = [(p.loc, "pair") for p in q.pairs if not p.left.strip() or not p.right.strip()]
        blank += [(q.loc, "distractor") for d in q.distractors if not d.strip()]
        for loc, what in blank:
            self.error(loc, E_MISSING, f"matching {what} has an empty side; fill it in or delete it")
        if blank:
            return False
        matching_findings(q, self.report)
        # Shuffled unless the author says `shuffle: false`: unshuffled, Moodle lists the
        # answers in pair order, which gives the matching away.
        body.append(_simple("shuffleanswers", "false" if q.shuffle is False else "true"))
        self.combined_feedback(q, body)
        body.append(etree.Element("shownumcorrect"))
        for pair in q.pairs:
            body.append(self.subquestion(self.html(pair.left, pair.loc), pair.right, pair.loc))
        for distractor in q.distractors:
            # A subquestion with empty text is Moodle's way of adding a wrong answer.
            body.append(self.subquestion("", distractor, q.loc))
        return True

    def subquestion(self, left_html: str, right: str, loc: Loc) -> etree._Element:
        element = etree.Element("subquestion", format="html")
        _set_html(etree.SubElement(element, "text"), left_html)
        answer = etree.SubElement(element, "answer")
        self.set_plain(etree.SubElement(answer, "text"), right.strip(), loc)
        return element

    def set_plain(self, element: etree._Element, text: str, loc: Loc) -> None:
        text = text
        if "]]>" in text and _WHITESPACE_BETWEEN_ESCAPES.search(text):
            self.warning(
                loc,
                W_WHITESPACE,
                f"text {text!r} contains ']]>' and so cannot go in CDATA; Moodle's XML "
                "reader will drop the whitespace between its < > & characters",
            )
        _set_text(element, text)


# -- helpers (module level so tests can exercise them directly) ---------------------------


def _check_choice_grades(grades: list[Fraction], *, single: bool, policy: bool = True) -> None:
    """Re-add a choice question's grades exactly before writing them.

    Moodle saves a multichoice whose grades are inconsistent without complaint, so this is
    the only place the guarantee can live: single → exactly one 100 % and every other grade
    below it (0, partial credit or a penalty); multiple → the positive grades add up to
    exactly 100 % and, under qbank's own policy (no `credit:` given), all of them to 0 (or
    every grade is ≥ 0 when there is no incorrect option).
    """
    if single:
        if grades.count(Fraction(1)) != 1 or any(g > 1 or g < -1 for g in grades):
            raise GradeError(f"single-answer grades {grades} are not one 100 % and the rest below it")
        return
    positive = sum((g for g in grades if g > 0), Fraction(0))
    negative = [g for g in grades if g < 0]
    if positive != 1 or (policy and negative and sum(grades, Fraction(0)) != 0):
        raise GradeError(
            f"multiple-answer grades {grades} do not give 100 % for the correct set and 0 % "
            "for every box"
        )


def _set_text(element: etree._Element, text: str) -> None:
    """Plain text into an element, in CDATA when it needs escaping (see module docstring).

    CDATA cannot contain ']]>'; such text is written escaped instead, which is exact XML
    (every parser, and Moodle's, reads it back) except that Moodle drops whitespace that
    sits alone between two escaped characters — `_Writer.set_plain` warns about that case.
    """
    if _NEEDS_ESCAPE.search(text) and "]]>" not in text:
        element.text = etree.CDATA(text)
    else:
        element.text = text


def _set_html(element: etree._Element, html: str) -> None:
    """HTML into a <text> element, always as CDATA (empty text stays empty).

    HTML from to_html never contains ']]>' (it escapes '>'), but should some ever do, ']]>'
    is written ']]&gt;': the same HTML (a '>' in text or an attribute value may be written
    either way), and it keeps the field one CDATA chunk for Moodle's reader.
    """
    if not html:
        element.text = ""
        return
    element.text = etree.CDATA(html.replace("]]>", "]]&gt;"))


def _file_element(figure: Figure) -> etree._Element:
    folder = f"/{figure.folder}/" if figure.folder else "/"
    element = etree.Element("file", name=figure.name, path=folder, encoding="base64")
    element.text = base64.b64encode(figure.data).decode("ascii")
    return element


def _html_element(tag: str, html: str) -> etree._Element:
    element = etree.Element(tag, format="html")
    _set_html(etree.SubElement(element, "text"), html)
    return element


def _html_field(parent: etree._Element, tag: str, html: str) -> None:
    parent.append(_html_element(tag, html))


def _simple(tag: str, text: str) -> etree._Element:
    element = etree.Element(tag)
    element.text = text
    return element


WRITER = register(Writer(TARGET, SUFFIX, lambda bank, options, report: write(bank, report, options), NoOptions,
                         "Moodle XML: question bank → Import → Moodle XML format"))
