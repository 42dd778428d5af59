"""Moodle XML reader: a file from Question bank → Export → "Moodle XML format" → model.

The element names and their meaning are Moodle's own (question/format/xml/format.php,
`import_question` and the `import_<qtype>` methods), read back the way that importer reads
them, because the files come from its exporter:

- A `<question type="category">` sets the category of every question after it; its path
  is split as `split_category_path` does (exporter.writers.moodle_bank), and its `<info>`
  is the category's description (the bank's, for the bank's own category).
- Text fields carry `format`: `html` is converted to Markdown (readers.markdown) and proved
  by re-rendering; `moodle_auto_format` and `plain_text` are plain text; `markdown` is kept.
  Their `<file>` children are the images `@@PLUGINFILE@@/…` refers to.
- `<single>`: anything but `false`/`0` is single-answer, as `trans_single()` reads it.
- Grades are percentages in `fraction`; what they mean in the bank is decided in
  readers.moodle_rules, shared with the GIFT reader (the key and partial credit are kept;
  grades the bank cannot say are reported).
- `<idnumber>` is the bank id when it is a valid one; otherwise the id is made from it and
  the original is kept for the YAML (`Imported.original_ids`).
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote

from lxml import etree

from ..model import Feedback, Loc, Question
from ..writers.moodle_bank import split_category_path
from .common import (
    E_FORMAT,
    W_DROPPED,
    FigureStore,
    Imported,
    ReadError,
    Skip,
    manual_check,
    parse_xml,
)
from . import Reader
from .markdown import html_to_markdown, plain_to_markdown
from .moodle_rules import choice_body, matching_body, numerical_body, short_answer_body

NAME = "moodle"
DESCRIPTION = "Moodle XML"

SUPPORTED = {"multichoice", "truefalse", "numerical", "shortanswer", "essay", "matching"}
_PLUGINFILE = "@@PLUGINFILE@@/"


def detect(name: str, head: bytes) -> bool:
    return b"<quiz" in head[:4096] and b"<question" in head


def _percent(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:
        return 0.0


def _child_text(el: etree._Element | None, tag: str = "text") -> str:
    if el is None:
        return ""
    child = el.find(tag)
    return (child.text or "") if child is not None else ""


class _Reader:
    def __init__(self, path: str, root: etree._Element, figures_rel: str) -> None:
        self.path = path
        self.root = root
        self.out = Imported(source=path, system="Moodle idnumber")
        self.store = FigureStore(self.out, figures_rel)
        self.loc = Loc(path, 1, 1)
        self.lossy: list[str] = []

    # -- text -------------------------------------------------------------------------

    def field(self, el: etree._Element | None, what: str) -> str | None:
        """A text field (`<questiontext>`, `<feedback>`, …) as bank Markdown, or None."""
        if el is None:
            return None
        text_el = el.find("text")
        raw = (text_el.text or "") if text_el is not None else (el.text or "")
        if not raw.strip():
            return None
        fmt = el.get("format", "moodle_auto_format")  # the importer's default (import_text_with_files)
        if fmt == "markdown":
            return raw.strip()
        if fmt == "plain_text" or (fmt == "moodle_auto_format" and not re.search(r"<[A-Za-z/]", raw)):
            return plain_to_markdown(raw.strip())
        converted = html_to_markdown(raw, figures=lambda src, alt: self.figure(el, src))
        if converted.lossy:
            self.lossy.append(f"{what}: {', '.join(converted.lossy)}")
        return converted.markdown or None

    def figure(self, field: etree._Element, src: str) -> str | None:
        if not src.startswith(_PLUGINFILE):
            return None  # a web address: not a figure the bank can hold
        wanted = unquote(src[len(_PLUGINFILE):]).split("?", 1)[0]
        for file in field.findall("file"):
            folder = (file.get("path") or "/").strip("/")
            name = file.get("name") or ""
            full = f"{folder}/{name}" if folder else name
            if full != wanted:
                continue
            try:
                data = base64.b64decode((file.text or "").strip(), validate=False)
            except (binascii.Error, ValueError):
                return None
            return self.store.add(full, data, self.loc)
        return None

    # -- document ---------------------------------------------------------------------

    def read(self) -> Imported:
        if self.root.tag != "quiz":
            raise ReadError(Loc(self.path, self.root.sourceline or 1, 1), E_FORMAT,
                            f"not a Moodle XML file: the root element is <{self.root.tag}>, not <quiz>")
        category: tuple[str, ...] = ()
        for el in self.root.iter("question"):
            self.loc = Loc(self.path, el.sourceline or 1, 1)
            qtype = el.get("type", "")
            if qtype == "category":
                category = tuple(split_category_path(_child_text(el.find("category"))))
                if self.out.root_category is None:
                    self.out.root_category = category
                    info = self.field(el.find("info"), "category description")
                    self.out.description = info
                    self.out.title = category[-1] if category else None
                continue
            name = _child_text(el.find("name")).strip()
            what = f"question '{name}'" if name else f"a {qtype or 'untyped'} question"
            if qtype not in SUPPORTED:
                self.out.skip(self.loc, what, f"Moodle question type '{qtype}' has no qbank equivalent")
                continue
            self.out.take(self.loc, what, lambda: self.question(el, qtype, name, category), self.lossy)
        return self.out

    def question(self, el: etree._Element, qtype: str, name: str,
                 category: tuple[str, ...]) -> tuple[Question, str | None]:
        text = self.field(el.find("questiontext"), "the question text")
        if not text:
            raise Skip("its question text is empty")
        old_image = self.old_image(el)
        if old_image:
            text = f"{text}\n\n{old_image}"
        idnumber = _child_text(el, "idnumber").strip() or None
        points = _percent(_child_text(el, "defaultgrade") or "1")
        if points <= 0:
            raise Skip(f"its default mark is {points:g}; qbank questions are worth more than 0 points")
        tags = []
        for tag in el.iterfind("tags/tag"):
            clean = " ".join(_child_text(tag).replace(",", " ").replace("[", "(").replace("]", ")").split())
            if clean and clean not in tags:
                tags.append(clean)
        body = getattr(self, f"body_{qtype}")(el)
        solution = self.field(el.find("generalfeedback"), "the general feedback")
        if qtype == "essay" and not solution:
            solution = self.field(el.find("graderinfo"), "the grader information")
        question = Question(
            id=idnumber or "",
            type=body.pop("type"),
            text=text,
            loc=self.loc,
            title=name if name and name != idnumber else None,
            points=points,
            solution=solution,
            tags=tuple(tags),
            category=category,
            check=manual_check(self.path, self.loc),
            **body,
        )
        return question, idnumber

    def old_image(self, el: etree._Element) -> str | None:
        """Moodle 1.9's `<image>` + `<image_base64>`: the importer shows it after the question
        text (format.php, `import_question`), so it becomes a figure there. Such files have
        no alt text; `qbank check` asks for one (F105)."""
        data_el = el.find("image_base64")
        if data_el is None or not (data_el.text or "").strip():
            return None
        try:
            data = base64.b64decode("".join((data_el.text or "").split()), validate=False)
        except (binascii.Error, ValueError):
            return None
        name = (el.findtext("image") or "").strip() or "image.png"
        path = self.store.add(name, data, self.loc)
        return f"![]({path})" if path else None

    def combined(self, el: etree._Element) -> Feedback:
        return Feedback(
            correct=self.field(el.find("correctfeedback"), "the correct feedback"),
            partial=self.field(el.find("partiallycorrectfeedback"), "the partially correct feedback"),
            incorrect=self.field(el.find("incorrectfeedback"), "the incorrect feedback"),
        )

    def answers(self, el: etree._Element) -> list[tuple[float, etree._Element]]:
        return [(_percent(a.get("fraction")), a) for a in el.findall("answer")]

    # -- per type ---------------------------------------------------------------------

    def body_multichoice(self, el: etree._Element) -> dict:
        single = _child_text(el, "single").strip().lower() not in ("false", "0")
        options = []
        for i, (fraction, a) in enumerate(self.answers(el), 1):
            text = self.field(a, f"choice {i}")
            if not text:
                raise Skip(f"choice {i} is empty")
            options.append((fraction / 100, text, self.field(a.find("feedback"), f"the feedback of choice {i}")))
        shuffle = True if _child_text(el, "shuffleanswers").strip().lower() in ("true", "1") else None
        return {**choice_body(self.out, single, options, self.loc), "feedback": self.combined(el), "shuffle": shuffle}

    def body_truefalse(self, el: etree._Element) -> dict:
        right = wrong = None
        answer = None
        for fraction, a in self.answers(el):
            value = _child_text(a).strip().lower()
            if value not in ("true", "false"):
                raise Skip(f"a true/false answer reads {value!r}, not true or false")
            fb = self.field(a.find("feedback"), f"the feedback of '{value}'")
            if fraction >= 99.999:
                answer, right = value == "true", fb
            else:
                wrong = fb
        if answer is None:
            raise Skip("neither true nor false is worth 100 %")
        return {"type": "true_false", "answer": answer, "feedback": Feedback(correct=right, incorrect=wrong)}

    def body_numerical(self, el: etree._Element) -> dict:
        answers, others = [], None
        for fraction, a in self.answers(el):
            text = _child_text(a).strip()
            fb = self.field(a.find("feedback"), "an answer's feedback")
            if text == "*":
                if fraction > 0:
                    raise Skip("its 'any other answer' earns marks")
                others = fb
                continue
            try:
                answers.append((fraction / 100, text, float(text), float(_child_text(a, "tolerance").strip() or 0), fb))
            except ValueError:
                raise Skip(f"its answer {text!r} is not a number") from None
        body = numerical_body(self.out, answers, others, self.loc)
        if el.find("units/unit") is not None:
            self.out.warn(self.loc, W_DROPPED, "units dropped: qbank numerical questions take the number alone")
        return body

    def body_shortanswer(self, el: etree._Element) -> dict:
        answers = [(fraction / 100, _child_text(a).strip(), self.field(a.find("feedback"), "an answer's feedback"))
                   for fraction, a in self.answers(el)]
        body = short_answer_body(self.out, answers, self.loc)
        if _child_text(el, "usecase").strip() == "1":
            self.out.warn(self.loc, W_DROPPED, "case-sensitive matching dropped: qbank short answers ignore case")
        return body

    def body_essay(self, el: etree._Element) -> dict:
        return {"type": "essay"}

    def body_matching(self, el: etree._Element) -> dict:
        body = matching_body([(self.field(sub, f"matching prompt {i}"), _child_text(sub.find("answer")).strip())
                              for i, sub in enumerate(el.findall("subquestion"), 1)], self.loc)
        shuffle = False if _child_text(el, "shuffleanswers").strip().lower() in ("false", "0") else None
        return {**body, "feedback": self.combined(el), "shuffle": shuffle}


def read(path: str, data: bytes, figures_rel: str) -> Imported:
    return _Reader(path, parse_xml(data, path), figures_rel).read()


READER = Reader(NAME, DESCRIPTION, detect, read)
