"""Canvas writer: one bank → one QTI 1.2 content package for "Import course content → QTI .zip".

Canvas does not read QTI 1.2 itself. Its importer (canvas-lms `gems/plugins/qti_exporter`)
first runs Instructure's QTIMigrationTool (`lib/imsqtiv1.py`), which rewrites every `.xml`
file of the package as QTI 2.1, and then *mines* that 2.1 for Canvas's own question data.
It never executes the response processing: it pattern-matches it. Everything below is
shaped by what those two programs actually look for, and the importer fails silently
(a wrong key, a lost feedback, a question turned into another type, no error shown), so
each trap is designed out here and pinned by a test (tests/test_canvas.py):

- Package. `imsmanifest.xml` (IMS CP 1.1), the assessment at `<ident>/<ident>.xml` and
  Canvas's `assessment_meta.xml` at exactly `<ident>/assessment_meta.xml`: the importer keys
  quiz settings by `File.join(quiz migration_id, "assessment_meta.xml")` and only looks in
  manifest resources whose type ends in `learning-application-resource`
  (lib/cc/importer/canvas/quiz_metadata_converter.rb, `post_process_assessments`).
- Identifiers. QTIMigrationTool rewrites identifiers it dislikes (`CPResource.FixIdentifier`:
  a leading non-letter gets `ID_`; `ReadIdentifier`: response/feedback idents starting with
  a digit get `RESPONSE_` / `FEEDBACK_`). Item idents are written already in the form it
  keeps, derived from the question id, so they are stable across builds and re-imports.
  Answer idents are numbers, like Canvas's own export: `<n>` becomes `RESPONSE_<n>` and its
  feedback `<n>_fb` becomes `FEEDBACK_<n>_fb`, which is the pair Canvas's
  `feedback_(\\d*)_fb` rule ties back to the answer.
- A choice's weight comes from the *last* response condition naming it
  (choice_interaction.rb, `process_response_conditions`, overwrites `answer[:weight]` for
  every condition), so per-answer feedback conditions go *before* the scoring condition.
- Feedback idents: the importer files a modal feedback as question-level when its ident
  matches `wrong|incorrect|_IC$` (incorrect), `correct|_C$` (correct), `general_|_all`
  (neutral) — `get_feedback` — and refuses such idents as per-answer feedback
  (`get_feedback_id`). Question-level feedback uses `general_fb` (the worked solution),
  `correct_fb`, `general_incorrect_fb`; per-answer feedback `<answer id>_fb`, which matches
  none of those patterns (asserted when it is built).
- Multiple answers: `rcardinality="Multiple"` and one condition whose `<and>` holds a bare
  `varequal` per correct option and `not/varequal` per wrong one: the importer marks as
  correct exactly the options in `responseIf > and > member`.
- Numerical: `response_str` + `render_fib fibtype="Decimal"` (so QTIMigrationTool turns
  `varequal` into the `stringMatch` numeric_interaction.rb reads) and the exact answer as
  `or(varequal, and(vargte, varlte))` (margin = upper bound − exact). `vargte` rather than
  `vargt` keeps the importer's "precision answer" guess (bounds ending in 5) away.
- Short answer: every `stringMatch` in any condition becomes an accepted answer
  (extended_text_interaction.rb), so only accepted answers are ever named.
- Matching: one `response_lid` per left-hand item, every one listing all right-hand options
  (the importer reads the options from the first one only) with numeric idents (Canvas's
  match id is the first run of digits), and one `setvar action="Add"` condition per pair
  (associate_interaction.rb only records a match under a `sum`). Both sides are plain
  text, the only form Canvas keeps intact there (see `match_text`).
- Material: the importer keeps an option's or a feedback's HTML only when it is "more than
  one text node" (html_helper.rb, `detect_html`); a lone paragraph like `a &lt; b` would be
  stored as escaped *text* and shown to students as `&lt;`. Such fragments are written as
  `text/plain` with the characters themselves (`_material`), and feedback of that shape
  holding `<`, `>` or `&` as a paragraph `detect_html` keeps as HTML (`_feedback_material`).
- Figures: each figure the HTML shows travels once in the zip, at `<ident>/<its path in
  the bank folder>`, listed in the manifest as a `webcontent` resource, and the HTML
  refers to it as `$IMS-CC-FILEBASE$/<that path>`, which Canvas resolves to the course
  file the import makes of it (`figure_src`; bytes from exporter.figures).
- Target quirks are reported, located: numerical answers with 0 < |x| < 1e-4 (Canvas turns
  typed numbers that small into 0), question text over Canvas's 16 KiB limit, feedback
  kinds Canvas classic quizzes cannot show, matching text that loses formatting or math.

Output is deterministic: fixed element order, idents from question ids, numbers as plain
decimals, and a zip with a fixed entry order, fixed 1980-01-01 timestamps and permissions,
stored uncompressed (DEFLATE bytes depend on the zlib build, and `dist/` must be
byte-identical on every machine that builds it; the seed bank's package is about 100 KB).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import lxml.html
from lxml import etree

from ..credit import answer_weight, choice_weights, show
from ..credit import exact as credit_exact
from ..diagnostics import Diagnostic, Report
from ..figures import Figure, Figures
from ..cloze import BLANK
from ..model import Bank, Group, Loc, Part, Question, choice_letter
from ..text import MathStyle, decimal_text, plain_text, to_html, writable
from . import Writer, register
from .ims import (
    MANIFEST,
    XSI_NS,
    Resource,
    assessment_ident,
    file_identifier,
    group_ident,
    item_ident,
    manifest,
    xml_bytes,
    zip_bytes,
)

TARGET = "canvas"
SUFFIX = ".zip"

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CANVAS_NS = "http://canvas.instructure.com/xsd/cccv1p0"
QTI_SCHEMA_LOCATION = f"{QTI_NS} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"
CANVAS_SCHEMA_LOCATION = f"{CANVAS_NS} https://canvas.instructure.com/xsd/cccv1p0.xsd"

META_FILE = "assessment_meta.xml"
META_RESOURCE_TYPE = "associatedcontent/imscc_xmlv1p1/learning-application-resource"

RESPONSE = "response1"
SCORE = "SCORE"
FULL = Decimal(100)

FB_GENERAL = "general_fb"
FB_CORRECT = "correct_fb"
FB_INCORRECT = "general_incorrect_fb"

QUESTION_LEVEL_FEEDBACK = re.compile(r"general_|_all|wrong|incorrect|correct|_IC$|_C$", re.IGNORECASE)
"""Canvas's test for question-level feedback idents (assessment_item_converter.rb,
`get_feedback_id`); a per-answer feedback ident must never match it."""

CHOICE_LIKE = ("multiple_choice", "multiple_answers", "matching")
"""Types whose options Canvas's quiz-level "Shuffle answers" reorders."""

QUESTION_TEXT_LIMIT = 16 * 1024
"""Canvas replaces longer question text with "The imported question text for this question
was too long." (app/models/importers/assessment_question_importer.rb, `prep_for_import`)."""

SMALLEST_NUMBER = 1e-4
"""Canvas quizzes turn a typed number with |x| < 1e-4 into 0 (gpoore/text2qti#51)."""

CANVAS_TYPES = {
    "multiple_choice": "multiple_choice_question",
    "multiple_answers": "multiple_answers_question",
    "true_false": "true_false_question",
    "numerical": "numerical_question",
    "short_answer": "short_answer_question",
    "essay": "essay_question",
    "matching": "matching_question",
}

# Codes: C1xx errors (Canvas would import something wrong or nothing), C2xx warnings (the
# bank says something Canvas cannot show or will change; reported, never silently dropped).
E_KEY = "C101"
E_TEXT_TOO_LONG = "C102"
E_IDENT = "C103"
E_NUMBER = "C104"
E_UNWRITABLE = "C105"
W_TINY_NUMBER = "C201"
W_PARTIAL_FEEDBACK = W_ESSAY_FEEDBACK = "W201"  # one code for feedback any target drops
W_MATCH_PLAIN = "C204"
W_MATCH_DUPLICATE = "C205"
E_GROUP = "C111"
W_GROUP_POINTS = "C211"
W_CREDIT = "C206"
W_SHUFFLE = "C207"
W_CLOZE_EXACT = "C230"
W_CLOZE_WEIGHTS = "C231"


@dataclass(frozen=True)
class Options:
    math_style: MathStyle = "canvas_image"
    """Equation images (the default) render on every Canvas instance and are what Canvas's
    own equation editor produces; `\\(…\\)` ("mathjax") is only typeset where the instance
    has "Updated equation handling" switched on. See the README, "Canvas export"."""


def write(bank: Bank, report: Report, options: Options | None = None) -> bytes:
    """The QTI .zip for `bank`."""
    return _CanvasWriter(writable(bank, report, E_UNWRITABLE, "Canvas QTI (XML)"), report, (options or Options()).math_style).build()


# ---------------------------------------------------------------------------------------
# Identifiers and numbers


def answer_id(question_id: str, k: int) -> int:
    """Stable numeric ident of a question's k-th answer (choices 1…, matching rights 501…).

    Numbers, because Canvas's own packages use them and its importer turns an answer ident
    into an answer id by dropping `response_` and calling `to_i`. A per-question base from
    the id's hash makes a bank's answer idents distinct from one another at a glance.
    """
    base = int(hashlib.sha256(question_id.encode("utf-8")).hexdigest(), 16) % 9000 + 1000
    return base * 1000 + k


def decimal(number: float) -> Decimal:
    """A float as the decimal its shortest repr shows (0.1 stays 0.1)."""
    value = Decimal(repr(float(number)))
    return Decimal(0) if value == 0 else value


def single_paragraph_text(html: str) -> str | None:
    """The text of `html` if it is one attribute-less <p> holding only text, else None.

    That is the shape Canvas's `detect_html` stores as escaped text instead of HTML.
    """
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    if (root.text or "").strip() or len(root) != 1:
        return None
    p = root[0]
    if p.tag != "p" or p.attrib or len(p) or (p.tail or "").strip():
        return None
    return p.text or ""


# ---------------------------------------------------------------------------------------
# XML helpers


def _q(tag: str) -> str:
    return f"{{{QTI_NS}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    """A QTI child element; attributes keep the order given (deterministic output)."""
    el = etree.SubElement(parent, _q(tag))
    for name, value in attrs.items():
        el.set(name.rstrip("_"), value)
    if text is not None:
        el.text = text
    return el


def _material(parent: etree._Element, html: str, *, plain_if_possible: bool) -> etree._Element:
    """<material><mattext>: HTML, or the bare text when `html` is one plain paragraph.

    Plain text is what keeps an option like `a < b` intact: Canvas reads a text/plain
    choice from its `div.text` as characters, while a lone text paragraph sent as HTML
    goes through `detect_html` and is stored as escaped text (students see `&lt;`).
    """
    mat = _sub(parent, "material")
    text = single_paragraph_text(html) if plain_if_possible else None
    if text is not None:
        _sub(mat, "mattext", text, texttype="text/plain")
    else:
        _sub(mat, "mattext", html, texttype="text/html")
    return mat


def _feedback_material(parent: etree._Element, html: str) -> etree._Element:
    """Feedback material. Like `_material`, except for one text paragraph holding `<`, `>`
    or `&`: Canvas hands per-answer feedback to `detect_html` as the bare `div.text` /
    `div.html` (assessment_item_converter.rb, `attach_feedback_values`), where the
    `div.text` shortcut does not apply, so such text would again be stored escaped. A
    paragraph with an attribute is not unwrapped by `detect_html`, so it stays HTML;
    `dir="auto"` is the one attribute that changes nothing for the reader."""
    text = single_paragraph_text(html)
    if text is not None and re.search(r"[<>&]", text):
        p = lxml.html.fragment_fromstring(html, create_parent="div")[0]
        p.set("dir", "auto")
        html = lxml.html.tostring(p, encoding="unicode")
    return _material(parent, html, plain_if_possible=True)


def _varequal(parent: etree._Element, respident: str, value: str) -> etree._Element:
    return _sub(parent, "varequal", value, respident=respident)


def _condition(parent: etree._Element, *, continue_: bool) -> tuple[etree._Element, etree._Element]:
    """A respcondition and its conditionvar. `continue` is always explicit: the QTI default
    is "No", i.e. a matching condition ends processing."""
    cond = _sub(parent, "respcondition", continue_="Yes" if continue_ else "No")
    return cond, _sub(cond, "conditionvar")


def _setvar(cond: etree._Element, action: str, value: Decimal) -> None:
    _sub(cond, "setvar", decimal_text(value), action=action, varname=SCORE)


def _display(cond: etree._Element, ident: str) -> None:
    _sub(cond, "displayfeedback", feedbacktype="Response", linkrefid=ident)


# ---------------------------------------------------------------------------------------
# The writer


@dataclass
class _Item:
    """What one question contributes while its <item> is being built."""

    q: Question
    ident: str
    element: etree._Element
    resprocessing: etree._Element | None = None
    feedback: list[tuple[str, str]] = field(default_factory=list)  # (ident, html), in order


class _CanvasWriter:
    def __init__(self, bank: Bank, report: Report, math_style: MathStyle) -> None:
        self.bank = bank
        self.report = report
        self.style = math_style
        self.ident = assessment_ident(bank.name)
        self.warned_groups: set[str] = set()
        self.figures = Figures(bank, report)
        self.here = Loc(bank.path, 1, 1)  # the question being written, for figure errors

    # -- reporting and text

    def error(self, loc: Loc, code: str, message: str) -> None:
        self.report(Diagnostic(loc, code, message))

    def warning(self, loc: Loc, code: str, message: str) -> None:
        self.report(Diagnostic(loc, code, message))

    def html(self, markdown: str) -> str:
        return to_html(markdown, self.style, images=self.figure_src)

    # -- figures

    def figure_href(self, figure: Figure) -> str:
        """Where a figure travels in the package: `<quiz ident>/<path in the bank folder>`,
        beside the quiz's own files (figure names are restricted to `[A-Za-z0-9._-]`, so
        the path is also a valid URI as it stands)."""
        return f"{self.ident}/{figure.path}"

    def figure_src(self, src: str, alt: str) -> str:
        """An image's src as Canvas's importer resolves package files.

        Canvas runs the package through QTIMigrationTool, which copies every non-QTI file
        listed in imsmanifest.xml to the same relative path in its output (its `Manifest`
        / `File` classes, lib/imsqtiv1.py); `Qti.convert_files` makes each of them a course
        file, imported under "Quiz Files/<zip name>_<migration id>/" (`unique_quiz_dir`,
        a hidden folder). The question HTML refers to the file as
        `$IMS-CC-FILEBASE$/<path in the package>`: canvas_link_migrator's LinkParser reads
        that token as a package file and LinkResolver finds the course file by that path
        and rewrites the src to `/courses/<id>/files/<id>/preview`.
        """
        figure = self.figures.use(src, self.here)
        return f"$IMS-CC-FILEBASE$/{self.figure_href(figure)}" if figure else src

    # -- package

    def build(self) -> bytes:
        self.check_idents()
        assessment = self.assessment()
        points = self.points_possible()
        self.here = Loc(self.bank.path, 1, 1)  # the description is the bank's (or quiz's) own text
        meta = self.assessment_meta(points)  # before the manifest: the description may show figures
        return zip_bytes(
            [
                (MANIFEST, xml_bytes(self.manifest())),
                (f"{self.ident}/{self.ident}.xml", xml_bytes(assessment)),
                (f"{self.ident}/{META_FILE}", xml_bytes(meta)),
            ]
            + [(self.figure_href(figure), figure.data) for figure in self.figures.used]
        )

    def check_idents(self) -> None:
        seen: dict[str, Question] = {}
        for q in self.bank.questions:
            ident = item_ident(q.id)
            if ident == self.ident or ident in seen:
                other = f"question `{seen[ident].id}`" if ident in seen else "the quiz"
                self.error(q.loc, E_IDENT, f"Canvas item ident `{ident}` of `{q.id}` is also used by {other}; "
                           "QTIMigrationTool would rename one of them and break the link")
            seen[ident] = q

    def manifest(self) -> etree._Element:
        """IMS CP 1.1: the assessment resource, and Canvas's meta file as the resource type
        `post_process_assessments` selects (`type$="learning-application-resource"`); each
        figure once, as the web content it is."""
        meta = f"{self.ident}_meta"
        return manifest(f"{self.ident}_manifest", [
            Resource(self.ident, "imsqti_xmlv1p2", f"{self.ident}/{self.ident}.xml", (meta,)),
            Resource(meta, META_RESOURCE_TYPE, f"{self.ident}/{META_FILE}"),
            *(Resource(file_identifier(f"{self.ident}_fig", f.path), "webcontent", self.figure_href(f))
              for f in self.figures.used),
        ])

    def shuffle_quiz(self) -> bool:
        """Canvas classic quizzes shuffle answers for the whole quiz (`shuffle_answers` in
        assessment_meta.xml), never per question: on only when every question with options
        asks for it; a question asking alone is told (C207)."""
        asking = [q for q in self.bank.questions if q.type in CHOICE_LIKE]
        wanted = [q for q in asking if q.shuffle]
        if asking and len(wanted) == len(asking):
            return True
        for q in wanted:
            self.warning(q.loc, W_SHUFFLE, "`shuffle: true` is not kept in Canvas: Canvas classic quizzes shuffle answers "
                         "for the whole quiz (Quiz settings → Shuffle answers), and other questions here keep their "
                         "order; switch it on in the quiz if that is what you want")
        return False

    def assessment_meta(self, points: Decimal) -> etree._Element:
        """The quiz settings Canvas reads by element name (`get_quiz_meta`); no schema exists.

        An unpublished graded quiz ("assignment") in the bank's order; everything not set
        here (attempts, time limit, dates) is left to Canvas's defaults.
        """
        cv = lambda tag: f"{{{CANVAS_NS}}}{tag}"  # noqa: E731
        root = etree.Element(cv("quiz"), nsmap={None: CANVAS_NS, "xsi": XSI_NS})
        root.set("identifier", self.ident)
        root.set(f"{{{XSI_NS}}}schemaLocation", CANVAS_SCHEMA_LOCATION)
        fields = [
            ("title", plain_text(self.bank.title, 255)),
            ("description", self.html(self.bank.description) if self.bank.description else ""),
            ("shuffle_answers", "true" if self.shuffle_quiz() else "false"),
            ("scoring_policy", "keep_highest"),
            ("quiz_type", "assignment"),
            ("points_possible", decimal_text(points)),
            ("show_correct_answers", "true"),
            ("anonymous_submissions", "false"),
            ("could_be_locked", "false"),
            ("available", "false"),
            ("one_question_at_a_time", "false"),
            ("cant_go_back", "false"),
            ("one_time_results", "false"),
            ("require_lockdown_browser", "false"),
            ("require_lockdown_browser_for_results", "false"),
        ]
        for tag, text in fields:
            etree.SubElement(root, cv(tag)).text = text
        return root

    def assessment(self) -> etree._Element:
        root = etree.Element(_q("questestinterop"), nsmap={None: QTI_NS, "xsi": XSI_NS})
        root.set(f"{{{XSI_NS}}}schemaLocation", QTI_SCHEMA_LOCATION)
        assessment = _sub(root, "assessment", ident=self.ident, title=plain_text(self.bank.title, 255))
        section = _sub(assessment, "section", ident="root_section")
        member = self.group_members()
        placed: set[str] = set()
        for q in self.bank.questions:
            group = member.get(q.id)
            if group is None:
                self.item(section, q)
            elif group.name not in placed:  # the whole group where its first question is
                placed.add(group.name)
                self.group_section(section, group)
        return root

    # -- question groups

    def group_members(self) -> dict[str, Group]:
        """Question id → its group; a group naming a question twice, a missing question, or
        picking more than it holds is an error (Canvas would import another quiz)."""
        ids = {q.id for q in self.bank.questions}
        member: dict[str, Group] = {}
        for group in self.bank.groups:
            loc = group.loc or Loc(self.bank.path, 1, 1)
            for qid in group.question_ids:
                if qid not in ids:
                    self.error(loc, E_GROUP, f"question group `{group.name}` lists `{qid}`, which is not in this quiz")
                elif qid in member:
                    self.error(loc, E_GROUP, f"question `{qid}` is in two question groups (`{member[qid].name}` and "
                               f"`{group.name}`); a Canvas question belongs to one")
                else:
                    member[qid] = group
            if not 1 <= group.pick <= len(group.question_ids):
                self.error(loc, E_GROUP, f"question group `{group.name}` picks {group.pick} of "
                           f"{len(group.question_ids)} question(s)")
        return member

    def group_points(self, group: Group) -> Decimal:
        """Points per picked question: Canvas gives every question of a group the same."""
        if group.points is not None:
            return decimal(group.points)
        by_id = {q.id: q for q in self.bank.questions}
        points = [decimal(by_id[i].points) for i in group.question_ids if i in by_id]
        if len(set(points)) > 1 and group.name not in self.warned_groups:
            self.warned_groups.add(group.name)
            self.warning(group.loc or Loc(self.bank.path, 1, 1), W_GROUP_POINTS, f"the questions of group "
                         f"`{group.name}` are worth different points; Canvas gives each picked question the "
                         f"same: {decimal_text(points[0])} (the first one's)")
        return points[0] if points else Decimal(1)

    def points_possible(self) -> Decimal:
        """Questions outside groups count once; a group counts `pick` × its points."""
        grouped = {qid for g in self.bank.groups for qid in g.question_ids}
        total = sum((decimal(q.points) for q in self.bank.questions if q.id not in grouped), Decimal(0))
        for group in self.bank.groups:
            total += group.pick * self.group_points(group)
        return total

    def group_section(self, parent: etree._Element, group: Group) -> None:
        """A QTI section with a selection: Canvas's question group.

        QTIMigrationTool turns `selection_number` into the 2.1 `<selection select>` and
        `selection_extension/points_per_item` into `<selectionExtension><points_per_item>`
        (lib/imsqtiv1.py, SelectionNumber / PointsPerItem; lib/imsqti.py AssessmentSection);
        Canvas's AssessmentTestConverter#process_section makes a section whose selection
        picks > 0 a question group with `pick_count`, `question_points` from
        `points_per_item`, the section title as its name and its identifier as migration id.
        The section carries no `visible` attribute: a visible titled section would also
        become a text-only question.
        """
        section = _sub(parent, "section", ident=group_ident(group.name), title=plain_text(group.name, 255))
        selection = _sub(_sub(section, "selection_ordering"), "selection")
        _sub(selection, "selection_number", str(group.pick))
        extension = _sub(selection, "selection_extension")
        _sub(extension, "points_per_item", decimal_text(self.group_points(group)))
        by_id = {q.id: q for q in self.bank.questions}
        for qid in group.question_ids:
            if qid in by_id:
                self.item(section, by_id[qid])

    # -- items

    def item(self, section: etree._Element, q: Question) -> None:
        ident = item_ident(q.id)
        self.here = q.loc
        element = _sub(section, "item", ident=ident, title=plain_text(q.display_title, 255))
        item = _Item(q, ident, element)
        metadata = _sub(_sub(element, "itemmetadata"), "qtimetadata")
        ids = self.answer_ids(q)
        for label, entry in (
            ("question_type", cloze_type(q) if q.type == "cloze" else CANVAS_TYPES[q.type]),
            ("points_possible", decimal_text(decimal(q.points))),
            ("original_answer_ids", ",".join(str(i) for i in ids)),
            # In a QTI .zip import the item *is* the bank question (its migration id is
            # this ident), so the quiz question refers to it by the same ident.
            ("assessment_question_identifierref", ident),
        ):
            md = _sub(metadata, "qtimetadatafield")
            _sub(md, "fieldlabel", label)
            _sub(md, "fieldentry", entry)

        # Canvas's blanks are `[name]` in the text (fill_in_the_blank.rb: blank_id)
        question_html = self.html(BLANK.sub(r"[\1]", q.text) if q.type == "cloze" else q.text)
        if len(question_html) > QUESTION_TEXT_LIMIT:
            self.error(q.loc, E_TEXT_TOO_LONG, f"question text is {len(question_html)} characters as HTML; Canvas "
                       f"replaces text over {QUESTION_TEXT_LIMIT} with \"The imported question text for this "
                       "question was too long.\" (equation images are long: try the mathjax style or shorten it)")
        presentation = _sub(element, "presentation")
        _material(presentation, question_html, plain_if_possible=False)

        body = getattr(self, f"body_{q.type}")
        body(item, presentation, ids)
        self.unsupported_feedback(q)
        self.itemfeedback(item)

    def answer_ids(self, q: Question) -> list[int]:
        """The answer idents Canvas's `original_answer_ids` lists, in answer order."""
        if q.type in ("multiple_choice", "multiple_answers"):
            n = len(q.choices)
        elif q.type == "true_false":
            n = 2
        elif q.type == "numerical":
            n = 1
        elif q.type == "short_answer":
            n = len(_full_answers(q))  # the others are left out (answers_left_out)
        elif q.type == "matching":
            n = len(q.pairs)
        elif q.type == "cloze":
            n = sum(len(self.blank_labels(q, p)) for p in q.parts)
        else:
            n = 0
        return [answer_id(q.id, k) for k in range(1, n + 1)]

    def resprocessing(self, item: _Item) -> etree._Element:
        """<resprocessing> with SCORE 0–100, and the solution as general feedback first.

        The general-feedback condition is `<other/>` (always true) with continue="Yes": it
        shows the solution after every submission and names no answer, so it cannot touch
        a weight.
        """
        rp = _sub(item.element, "resprocessing")
        _sub(_sub(rp, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname=SCORE, vartype="Decimal")
        item.resprocessing = rp
        if item.q.solution:
            item.feedback.append((FB_GENERAL, self.html(item.q.solution)))
            cond, var = _condition(rp, continue_=True)
            _sub(var, "other")
            _display(cond, FB_GENERAL)
        return rp

    def answer_feedback(self, item: _Item, respident: str, value: str, aid: int, markdown: str | None) -> None:
        """A per-answer feedback condition (before the scoring one: see module docstring)."""
        if not markdown:
            return
        ident = f"{aid}_fb"
        assert not QUESTION_LEVEL_FEEDBACK.search(ident), ident
        item.feedback.append((ident, self.html(markdown)))
        cond, var = _condition(item.resprocessing, continue_=True)
        _varequal(var, respident, value)
        _display(cond, ident)

    def scoring(self, item: _Item) -> tuple[etree._Element, etree._Element]:
        """The full-marks condition: Set SCORE 100, show correct feedback, stop (continue=No)."""
        cond, var = _condition(item.resprocessing, continue_=False)
        return cond, var

    def finish_scoring(self, item: _Item, cond: etree._Element) -> None:
        _setvar(cond, "Set", FULL)
        self.correct_incorrect(item, cond)

    def correct_incorrect(self, item: _Item, full_marks_condition: etree._Element) -> None:
        """Correct feedback rides on the full-marks condition; incorrect feedback is an
        `<other/>` condition after it, reached only when that condition did not fire (it
        has continue="No"). Neither names an answer, so neither can change a weight."""
        fb = item.q.feedback
        if fb.correct:
            item.feedback.append((FB_CORRECT, self.html(fb.correct)))
            _display(full_marks_condition, FB_CORRECT)
        if fb.incorrect:
            item.feedback.append((FB_INCORRECT, self.html(fb.incorrect)))
            cond, var = _condition(item.resprocessing, continue_=True)
            _sub(var, "other")
            _display(cond, FB_INCORRECT)

    def itemfeedback(self, item: _Item) -> None:
        for ident, html in item.feedback:
            fb = _sub(item.element, "itemfeedback", ident=ident)
            _feedback_material(_sub(fb, "flow_mat"), html)

    def unsupported_feedback(self, q: Question) -> None:
        if q.feedback.partial:
            self.warning(q.loc, W_PARTIAL_FEEDBACK, "feedback.partial is not exported: Canvas classic quizzes "
                         "have correct, incorrect and general feedback only")
        if q.type == "essay" and (q.feedback.correct or q.feedback.incorrect):
            self.warning(q.loc, W_ESSAY_FEEDBACK, "feedback.correct/incorrect of an essay question is not exported: "
                         "Canvas grades essays by hand and never shows it; use `solution` (shown after submission)")

    def credits_not_kept(self, q: Question) -> None:
        """Canvas's QTI importer reads no weights: `get_base_value` (choice_interaction.rb)
        turns any positive score into 100 and anything else into 0. So a partial-credit
        option is written as incorrect (a positive setvar would make it fully correct) and
        what students get instead is reported, located at the credit."""
        weights = choice_weights(q)
        if weights is None:
            return
        if q.type == "multiple_answers":
            self.warning(q.loc, W_CREDIT, "the options' credits are not kept in Canvas: its importer keeps only which "
                         "options are correct, and Canvas scores the question by its own multiple-answers rule")
            return
        for i, (c, w) in enumerate(zip(q.choices, weights)):
            if not c.correct and w != 0:
                self.warning(c.credit_loc or c.loc, W_CREDIT, f"choice {choice_letter(i)} scores 0 % "
                             f"in Canvas, not {show(w)}: Canvas's importer keeps no partial credit or penalty on an "
                             "option (any positive score would make it fully correct)")

    def answers_left_out(self, q: Question, entries: list[tuple[Loc, Fraction, str | None, str]]) -> None:
        """Numerical ranges and short answers worth less than 100 % are left out of the
        package: Canvas's importer makes every range (numeric_interaction.rb) and every
        `stringMatch` (extended_text_interaction.rb) it finds an answer worth 100 %."""
        for loc, weight, feedback, what in entries:
            if weight != 0:
                self.warning(loc, W_CREDIT, f"{what} ({show(weight)}) is left out of Canvas: its importer makes every "
                             "answer it finds worth 100 %, so students typing it get 0 % there")
            elif feedback:
                self.warning(loc, W_PARTIAL_FEEDBACK, f"{what} is left out of Canvas with its feedback: its importer "
                             "makes every answer it finds worth 100 %, and has no feedback for a wrong answer")

    # -- per type

    def choice_list(self, presentation: etree._Element, labels: list[tuple[int, str, bool]], cardinality: str) -> None:
        lid = _sub(presentation, "response_lid", ident=RESPONSE, rcardinality=cardinality)
        choice = _sub(lid, "render_choice")
        for aid, html, plain in labels:
            label = _sub(choice, "response_label", ident=str(aid))
            _material(label, html, plain_if_possible=plain)

    def body_multiple_choice(self, item: _Item, presentation: etree._Element, ids: list[int]) -> None:
        q = item.q
        correct = [aid for aid, c in zip(ids, q.choices) if c.correct]
        if len(correct) != 1:
            self.error(q.loc, E_KEY, f"a multiple_choice question needs exactly one correct choice, "
                       f"this one has {len(correct)}; Canvas would import it with a different key")
        self.choice_list(presentation, [(aid, self.html(c.text), True) for aid, c in zip(ids, q.choices)], "Single")
        self.resprocessing(item)
        for aid, c in zip(ids, q.choices):
            self.answer_feedback(item, RESPONSE, str(aid), aid, c.feedback)
        self.credits_not_kept(q)
        cond, var = self.scoring(item)
        if correct:
            _varequal(var, RESPONSE, str(correct[0]))
        else:
            _never(var)
        self.finish_scoring(item, cond)

    def body_multiple_answers(self, item: _Item, presentation: etree._Element, ids: list[int]) -> None:
        q = item.q
        if not any(c.correct for c in q.choices):
            self.error(q.loc, E_KEY, "a multiple_answers question needs at least one correct choice; "
                       "Canvas would import it with no key")
        self.choice_list(presentation, [(aid, self.html(c.text), True) for aid, c in zip(ids, q.choices)], "Multiple")
        self.resprocessing(item)
        for aid, c in zip(ids, q.choices):
            self.answer_feedback(item, RESPONSE, str(aid), aid, c.feedback)
        self.credits_not_kept(q)
        cond, var = self.scoring(item)
        both = _sub(var, "and")
        for aid, c in zip(ids, q.choices):
            _varequal(both if c.correct else _sub(both, "not"), RESPONSE, str(aid))
        self.finish_scoring(item, cond)

    def body_true_false(self, item: _Item, presentation: etree._Element, ids: list[int]) -> None:
        q = item.q
        if not isinstance(q.answer, bool):
            self.error(q.answer_loc or q.loc, E_KEY, "a true_false question needs `answer: true` or `answer: false`")
        # Canvas keeps the type only for exactly two options whose texts match /true/ and /false/.
        true_id, false_id = ids
        self.choice_list(presentation, [(true_id, "True", False), (false_id, "False", False)], "Single")
        self.resprocessing(item)
        cond, var = self.scoring(item)
        _varequal(var, RESPONSE, str(true_id if q.answer is True else false_id))
        self.finish_scoring(item, cond)

    def body_numerical(self, item: _Item, presentation: etree._Element, ids: list[int]) -> None:
        q = item.q
        loc = q.answer_loc or q.loc
        answer, tolerance = q.answer, q.tolerance or 0.0
        if isinstance(answer, bool) or not isinstance(answer, (int, float)) or not math.isfinite(answer) \
                or not math.isfinite(tolerance) or tolerance < 0:
            self.error(loc, E_NUMBER, "a numerical question needs a finite `answer` and a `tolerance` ≥ 0")
            answer, tolerance = 0.0, 0.0
        elif 0 < abs(answer) < SMALLEST_NUMBER:
            self.warning(loc, W_TINY_NUMBER, f"answer {answer!r} is smaller than 1e-4 in magnitude: Canvas turns a "
                         "typed number that small into 0, so no student can enter it; ask for it in other units "
                         "(e.g. ×10⁻³) instead")
        fib = _sub(_sub(presentation, "response_str", ident=RESPONSE, rcardinality="Single"), "render_fib",
                   fibtype="Decimal")
        _sub(fib, "response_label", ident="answer1")
        self.resprocessing(item)
        exact, margin = decimal(answer), decimal(tolerance)
        self.answers_left_out(q, [(o.credit_loc or o.loc, credit_exact(o.credit), o.feedback,
                                   f"other answer {o.answer:g} ± {o.tolerance:g}") for o in q.other_answers])
        cond, var = self.scoring(item)
        either = _sub(var, "or")
        _varequal(either, RESPONSE, decimal_text(exact))
        within = _sub(either, "and")
        _sub(within, "vargte", decimal_text(exact - margin), respident=RESPONSE)
        _sub(within, "varlte", decimal_text(exact + margin), respident=RESPONSE)
        self.finish_scoring(item, cond)

    def body_short_answer(self, item: _Item, presentation: etree._Element, ids: list[int]) -> None:
        q = item.q
        self.answers_left_out(q, [(a.credit_loc or a.loc, answer_weight(a.credit), a.feedback, f"answer `{a.text.strip()}`")
                                  for a in q.answers if answer_weight(a.credit) != 1])
        accepted = [(aid, a) for aid, a in zip(ids, _full_answers(q)) if a.text.strip()]
        if not accepted:
            self.error(q.loc, E_KEY, "a short_answer question needs at least one non-empty accepted answer; "
                       "Canvas would silently import it as an essay question")
        fib = _sub(_sub(presentation, "response_str", ident=RESPONSE, rcardinality="Single"), "render_fib")
        _sub(fib, "response_label", ident="answer1", rshuffle="No")
        self.resprocessing(item)
        for aid, a in accepted:
            self.answer_feedback(item, RESPONSE, a.text.strip(), aid, a.feedback)
        cond, var = self.scoring(item)
        target = _sub(var, "or") if len(accepted) > 1 else var
        for _, a in accepted:
            _varequal(target, RESPONSE, a.text.strip())
        if not accepted:
            _never(var)
        self.finish_scoring(item, cond)

    def body_essay(self, item: _Item, presentation: etree._Element, ids: list[int]) -> None:
        fib = _sub(_sub(presentation, "response_str", ident=RESPONSE, rcardinality="Single"), "render_fib")
        _sub(fib, "response_label", ident="answer1", rshuffle="No")
        rp = self.resprocessing(item)
        # Graded by hand: no score is set. The schema needs one condition even without a solution.
        _condition(rp, continue_=False)[1].append(etree.Element(_q("other")))

    def body_matching(self, item: _Item, presentation: etree._Element, ids: list[int]) -> None:
        q = item.q
        if not q.pairs:
            self.error(q.loc, E_KEY, "a matching question needs at least one pair")
            return self.body_essay(item, presentation, ids)
        rights: dict[str, int] = {}  # plain text → ident; a repeated right-hand text is one option
        right_texts = [self.match_text(pair.right, pair.loc, "answer") for pair in q.pairs]
        for text in right_texts:
            rights.setdefault(text, answer_id(q.id, 501 + len(rights)))
        pair_right = [rights[text] for text in right_texts]
        for text in q.distractors:
            plain = self.match_text(text, q.loc, "answer")
            if plain in rights:
                self.warning(q.loc, W_MATCH_DUPLICATE, f"distractor `{plain}` is also a right-hand answer; "
                             "Canvas lists each option once, so it is not added again")
                continue
            rights[plain] = answer_id(q.id, 501 + len(rights))
        for lid, pair in zip(ids, q.pairs):
            response = _sub(presentation, "response_lid", ident=f"response_{lid}", rcardinality="Single")
            left = self.match_text(pair.left, pair.loc, "prompt")
            _sub(_sub(response, "material"), "mattext", left, texttype="text/plain")
            choice = _sub(response, "render_choice")
            for text, rid in rights.items():
                label = _sub(choice, "response_label", ident=str(rid))
                _sub(_sub(label, "material"), "mattext", text, texttype="text/plain")
        self.resprocessing(item)
        shares = _equal_shares(len(q.pairs))
        for lid, rid, share in zip(ids, pair_right, shares):
            cond, var = _condition(item.resprocessing, continue_=True)
            _varequal(var, f"response_{lid}", str(rid))
            _setvar(cond, "Add", share)
        if q.feedback.correct or q.feedback.incorrect:
            cond, var = self.scoring(item)
            target = _sub(var, "and") if len(q.pairs) > 1 else var
            for lid, rid in zip(ids, pair_right):
                _varequal(target, f"response_{lid}", str(rid))
            self.correct_incorrect(item, cond)

    def blank_labels(self, q: Question, part: Part) -> list[str]:
        """The texts a blank lists: Canvas imports every label of a fill-in blank as a
        correct answer, and of a drop-down as an option (fill_in_the_blank.rb, process_canvas)."""
        if part.type == "numerical":
            number = part.answer if isinstance(part.answer, (int, float)) and not isinstance(part.answer, bool) else 0
            if not math.isfinite(number):
                return ["0"]
            text = decimal_text(decimal(number))
            # an integer's two usual spellings; any other number only as written
            return [text, f"{text}.0"] if _exact_integer(part) else [text]
        if part.type == "short_answer":
            return list(dict.fromkeys(a.text.strip() for a in part.answers if a.text.strip()))
        texts = [" ".join(plain_text(c.text).split()) for c in part.choices]
        if cloze_type(q) == "multiple_dropdowns_question":
            return texts
        return [t for t, c in zip(texts, part.choices) if c.correct]

    def body_cloze(self, item: _Item, presentation: etree._Element, ids: list[int]) -> None:
        """fill_in_multiple_blanks_question, or multiple_dropdowns_question when every part is
        a choice: one response_lid per blank, ident `response_<name>`, labels as above; each
        blank adds its share of the score (Canvas weighs blanks equally)."""
        q = item.q
        dropdowns = cloze_type(q) == "multiple_dropdowns_question"
        next_id = iter(ids)
        keys: list[tuple[str, list[str]]] = []
        for part in q.parts:
            labels = self.blank_labels(q, part)
            respident = f"response_{part.name}"
            lid = _sub(presentation, "response_lid", ident=respident)
            _sub(_sub(lid, "material"), "mattext", part.name)
            choice = _sub(lid, "render_choice")
            accepted = []
            for text, c in zip(labels, part.choices if dropdowns else [None] * len(labels)):
                aid = str(next(next_id))
                label = _sub(choice, "response_label", ident=aid)
                _sub(_sub(label, "material"), "mattext", text, texttype="text/plain")
                if c is None or c.correct:
                    accepted.append(aid)
            keys.append((respident, accepted))
            self.blank_findings(q, part, labels, dropdowns)
        if len({p.points for p in q.parts}) > 1:
            self.warning(q.loc, W_CLOZE_WEIGHTS, f"`{q.id}`: Canvas weighs every blank equally; the parts' "
                         "different `points:` are not kept")
        self.resprocessing(item)
        for (respident, accepted), share in zip(keys, _equal_shares(len(keys))):
            cond, var = _condition(item.resprocessing, continue_=True)
            target = _sub(var, "or") if len(accepted) > 1 else var
            for aid in accepted:
                _varequal(target, respident, aid)
            if not accepted:
                _never(var)
            _setvar(cond, "Add", share)
        if q.feedback.correct or q.feedback.incorrect:
            cond, var = self.scoring(item)
            both = _sub(var, "and")
            for respident, accepted in keys:
                either = _sub(both, "or")
                for aid in accepted:
                    _varequal(either, respident, aid)
            self.correct_incorrect(item, cond)

    def blank_findings(self, q: Question, part: Part, labels: list[str], dropdowns: bool) -> None:
        """What a Canvas blank cannot score as the bank says (it compares typed text)."""
        if part.type == "numerical" and not _exact_integer(part):
            self.warning(part.answer_loc or part.loc, W_CLOZE_EXACT, f"`{q.id}`: Canvas scores blank `{part.name}` "
                         f"by its text: only `{labels[0]}` is accepted as typed (no other spelling"
                         + (f", no value within the tolerance {decimal_text(part.tolerance)}" if part.tolerance else "")
                         + "); Moodle's Cloze keeps the numeric check")
        elif part.type == "multiple_choice" and not dropdowns:
            self.warning(part.loc, W_CLOZE_EXACT, f"`{q.id}`: Canvas cannot put a drop-down next to typed blanks: "
                         f"blank `{part.name}` shows no options and accepts the correct option's text "
                         f"`{labels[0] if labels else ''}` typed")
        if not labels:
            self.error(part.loc, E_KEY, f"`{q.id}`: blank `{part.name}` has no accepted answer")
        for c in part.choices:
            if c.feedback:
                self.warning(c.loc, W_CLOZE_EXACT, f"`{q.id}`: feedback on an option of blank `{part.name}` is not "
                             "exported: Canvas has no per-blank feedback")
                break
        for a in part.answers:
            if a.feedback:
                self.warning(a.loc, W_CLOZE_EXACT, f"`{q.id}`: feedback on an answer of blank `{part.name}` is not "
                             "exported: Canvas has no per-blank feedback")
                break

    def match_text(self, markdown: str, loc: Loc, side: str) -> str:
        """One side of a matching pair, as the plain text Canvas keeps of it.

        Right-hand options are stored as text only (associate_interaction.rb takes
        `simpleChoice.text`). Left-hand prompts are no better: QTIMigrationTool puts a
        `response_lid`'s material into the 2.1 `<prompt>` as escaped characters, without
        the `div.html` wrapper other material gets, so Canvas's `detect_html` sees one text
        node and keeps it as (re-escaped) text; HTML there would reach students as source,
        and `<`, `>`, `&` as `&lt;`, `&gt;`, `&amp;` (the matching view prints `left` escaped).
        So both sides are plain text, and what that loses is reported.
        """
        html = to_html(markdown, "mathjax")
        text = single_paragraph_text(html)
        if text is None:
            text = " ".join(lxml.html.fragment_fromstring(html, create_parent="div").text_content().split())
            self.warning(loc, W_MATCH_PLAIN, f"matching {side} `{markdown}` loses its formatting: Canvas matching "
                         f"{side}s are plain text")
        elif self.style == "canvas_image" and html != to_html(markdown, "canvas_image"):
            self.warning(loc, W_MATCH_PLAIN, f"matching {side} `{markdown}` is plain text in Canvas and cannot hold an "
                         "equation image: its math is written as \\(…\\) LaTeX, typeset only where the instance "
                         "has MathJax equation handling on")
        if side == "prompt" and re.search(r"[<>&]", text):
            self.warning(loc, W_MATCH_PLAIN, f"matching prompt `{markdown}` contains <, > or &, which Canvas shows "
                         "as &lt;, &gt; or &amp; in a matching prompt; reword it (e.g. \"less than\") or use a "
                         "right-hand answer for it")
        return text


def _full_answers(q: Question) -> list:
    """The short answers worth full marks: the only ones a Canvas package can carry."""
    return [a for a in q.answers if answer_weight(a.credit) == 1]


def _exact_integer(part: Part) -> bool:
    """An integer key with tolerance 0: Canvas's text match loses nothing but odd spellings
    (`+10`, `10.00`), so typed `10` and `10.0` are accepted and nothing is reported."""
    a = part.answer
    return isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a) and float(a).is_integer() \
        and not part.tolerance


def cloze_type(q: Question) -> str:
    """Drop-downs when every part is a choice; otherwise typed blanks."""
    if q.parts and all(p.type == "multiple_choice" for p in q.parts):
        return "multiple_dropdowns_question"
    return "fill_in_multiple_blanks_question"


def _never(conditionvar: etree._Element) -> None:
    """A condition that is never true (`not other`): keeps a keyless item schema-valid
    while its error stops the build."""
    _sub(_sub(conditionvar, "not"), "other")


def _equal_shares(n: int) -> list[Decimal]:
    """n percentages with two decimals summing to exactly 100 (the last takes the rest)."""
    share = (FULL / n).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    return [share] * (n - 1) + [FULL - share * (n - 1)]


WRITER = register(Writer(TARGET, SUFFIX, lambda bank, options, report: write(bank, report, options), Options,
                         "Canvas: an IMS QTI 1.2 content package for Import course content"))
