"""Canvas / IMS QTI 1.2 reader: a QTI `.zip` (or its assessment `.xml`) → model.

Canvas exports classic quizzes as QTI 1.2 with its own `question_type` metadata, and other
tools (text2qti, qbank itself) write the same dialect because that is what Canvas reads.
The key is read the way Canvas's importer reads it (canvas-lms `qti_exporter`,
summarised in exporter.writers.canvas): the response condition that sets the score to
its maximum names the right answers — a bare `varequal` (inside `and`, for multiple
answers; `not` marks a wrong one), `varequal`/`vargte`/`varlte` for numbers — and
feedback is tied by `displayfeedback` to the condition that shows it: `general_fb`-like
idents shown unconditionally are the solution, `correct`/`incorrect` idents are
question-level feedback (Canvas's own pattern, `QUESTION_LEVEL_FEEDBACK`), and an ident
shown by a `varequal` condition is that answer's feedback.

Packages are untrusted: the zip is read under the caps of exporter.readers.common, an
entry with an absolute or `..` name refuses the package (zip slip), and files are looked
up only by the paths the manifest and the HTML name, never extracted.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote

from lxml import etree

from ..model import Answer, Choice, Feedback, Loc, Pair, Question
from ..writers.canvas import QUESTION_LEVEL_FEEDBACK, item_ident
from .common import (
    E_FORMAT,
    E_TOO_BIG,
    E_ZIP,
    MAX_ZIP_ENTRIES,
    MAX_ZIP_RATIO,
    MAX_ZIP_TOTAL,
    FigureStore,
    Imported,
    ReadError,
    Skip,
    manual_check,
    parse_xml,
)
from . import Reader
from .markdown import html_to_markdown, plain_to_markdown

NAME = "canvas"
DESCRIPTION = "Canvas / IMS QTI 1.2"

SUPPORTED = {
    "multiple_choice_question": "multiple_choice",
    "true_false_question": "true_false",
    "multiple_answers_question": "multiple_answers",
    "numerical_question": "numerical",
    "short_answer_question": "short_answer",
    "essay_question": "essay",
    "matching_question": "matching",
}
_FILEBASE = "$IMS-CC-FILEBASE$/"
_RATIO_FROM = 1024 * 1024
"""Entries smaller than this are not held to MAX_ZIP_RATIO (a small file of spaces is not a bomb)."""


def detect(name: str, head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04") or b"<questestinterop" in head[:4096]


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if _local(c) == name]


def _find(el: etree._Element, *path: str) -> etree._Element | None:
    for name in path:
        found = _children(el, name)
        if not found:
            return None
        el = found[0]
    return el


def _all(el: etree._Element, name: str) -> list[etree._Element]:
    """Every descendant (and `el`) named `name`, in or out of a namespace: QTI files come
    with the IMS namespace (Canvas, text2qti, qbank) and without it (older tools)."""
    return list(el.iter(name, f"{{*}}{name}"))


# -- the package -----------------------------------------------------------------------


@dataclass
class _Package:
    """The files of a package, read under the caps; `path` names it in messages."""

    path: str
    files: dict[str, bytes]

    @classmethod
    def open(cls, path: str, data: bytes) -> _Package:
        here = Loc(path, 1, 1)
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise ReadError(here, E_ZIP, f"not a readable zip file ({exc}); export the quiz again") from None
        with archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise ReadError(here, E_TOO_BIG, f"the package has {len(infos):,} entries; qbank reads at most "
                                f"{MAX_ZIP_ENTRIES:,} (readers.common.MAX_ZIP_ENTRIES)")
            total = sum(i.file_size for i in infos)
            if total > MAX_ZIP_TOTAL:
                raise ReadError(here, E_TOO_BIG, f"the package unpacks to {total:,} bytes; qbank reads at most "
                                f"{MAX_ZIP_TOTAL:,} (readers.common.MAX_ZIP_TOTAL)")
            files: dict[str, bytes] = {}
            for info in infos:
                name = info.filename
                parts = name.replace("\\", "/").split("/")
                if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
                    raise ReadError(here, E_ZIP, f"the package has an entry named {name[:80]!r}, which points outside "
                                    "the package (a zip-slip attack); refused")
                if info.is_dir():
                    continue
                if info.flag_bits & 0x1:
                    raise ReadError(here, E_ZIP, f"entry {name[:80]!r} is encrypted; export the quiz again")
                if info.file_size > _RATIO_FROM and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
                    raise ReadError(here, E_TOO_BIG, f"entry {name[:80]!r} expands {info.file_size // max(info.compress_size, 1):,}"
                                    f" times (a zip bomb's ratio; qbank allows {MAX_ZIP_RATIO}); refused")
                files[posixpath.normpath(name)] = cls._read(archive, info, here)
        return cls(path, files)

    @staticmethod
    def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, here: Loc) -> bytes:
        """An entry's bytes, never more than it declares: a lying header cannot make us
        inflate more than the caps allowed for."""
        chunks, size = [], 0
        try:
            with archive.open(info) as stream:
                while True:
                    chunk = stream.read(65536)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > info.file_size:
                        raise ReadError(here, E_TOO_BIG, f"entry {info.filename[:80]!r} is larger than its header "
                                        "says (a zip bomb); refused")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise ReadError(here, E_ZIP, f"entry {info.filename[:80]!r} cannot be read ({exc}); export again") from None
        return b"".join(chunks)

    def assessments(self) -> list[str]:
        """The QTI assessment files, as the manifest lists them (else every QTI file)."""
        manifest = self.files.get("imsmanifest.xml")
        found: list[str] = []
        if manifest is not None:
            root = parse_xml(manifest, f"{self.path}!imsmanifest.xml")
            for res in _all(root, "resource"):
                kind = res.get("type") or ""
                if kind.startswith("imsqti_xmlv1p2") or kind == "imsqti_xmlv1p2/imscc_xmlv1p1/assessment":
                    href = res.get("href") or next((f.get("href") for f in _children(res, "file")), None)
                    if href and posixpath.normpath(unquote(href)) in self.files:
                        found.append(posixpath.normpath(unquote(href)))
        if not found:
            found = [n for n, d in sorted(self.files.items()) if n.endswith(".xml") and b"<questestinterop" in d[:4096]]
        return found


# -- items -----------------------------------------------------------------------------


class _Reader:
    def __init__(self, path: str, figures_rel: str, package: _Package | None) -> None:
        self.path = path
        self.package = package
        self.out = Imported(source=path, system="Canvas item ident")
        self.store = FigureStore(self.out, figures_rel)
        self.loc = Loc(path, 1, 1)
        self.base = ""
        self.folder = ""
        self.lossy: list[str] = []

    def read_assessment(self, name: str, data: bytes) -> None:
        where = f"{self.path}!{name}" if self.package else self.path
        root = parse_xml(data, where)
        if _local(root) != "questestinterop":
            raise ReadError(Loc(where, root.sourceline or 1, 1), E_FORMAT, f"not a QTI file: the root element is "
                            f"<{_local(root)}>, not <questestinterop>")
        self.base = posixpath.dirname(name)
        self.folder = self.base.split("/")[0] if self.base else ""
        assessment = _find(root, "assessment")
        if assessment is not None and self.out.title is None:
            self.out.title = assessment.get("title") or None
        for item in _all(root, "item"):
            self.loc = Loc(where, item.sourceline or 1, 1)
            title = item.get("title") or ""
            what = f"item '{title}'" if title else "an item"
            qtype = self.metadata(item).get("question_type", "")
            if not qtype:
                qtype = self.guess_type(item)
            if qtype not in SUPPORTED:
                self.out.skip(self.loc, what, f"question type '{qtype or 'unknown'}' has no qbank equivalent")
                continue
            self.out.take(self.loc, what, lambda: self.item(item, SUPPORTED[qtype], title), self.lossy)

    def read_meta(self, name: str) -> None:
        """Canvas's quiz settings beside the assessment: its title and description."""
        data = self.package.files.get(name) if self.package else None
        if data is None or self.out.description is not None:
            return
        root = parse_xml(data, f"{self.path}!{name}")
        title, description = _find(root, "title"), _find(root, "description")
        if title is not None and (title.text or "").strip():
            self.out.title = title.text.strip()
        if description is not None and (description.text or "").strip():
            self.out.description = html_to_markdown(description.text, style="canvas_image", figures=self.figure).markdown or None

    @staticmethod
    def metadata(item: etree._Element) -> dict[str, str]:
        fields = {}
        for field in _all(item, "qtimetadatafield"):
            label, entry = _find(field, "fieldlabel"), _find(field, "fieldentry")
            if label is not None and entry is not None:
                fields[(label.text or "").strip()] = (entry.text or "").strip()
        return fields

    @staticmethod
    def guess_type(item: etree._Element) -> str:
        """Plain QTI 1.2 without Canvas's metadata: the type from the interaction."""
        lids = _all(item, "response_lid")
        if len(lids) > 1:
            return "matching_question"
        if lids:
            return "multiple_answers_question" if lids[0].get("rcardinality") == "Multiple" else "multiple_choice_question"
        fib = _all(item, "render_fib")
        if fib:
            return "numerical_question" if fib[0].get("fibtype") in ("Decimal", "Integer") else "short_answer_question"
        return ""

    # -- text ---------------------------------------------------------------------------

    def material(self, el: etree._Element | None, what: str) -> str | None:
        if el is None:
            return None
        texts = _all(el, "mattext")
        if not texts:
            return None
        mat = texts[0]
        raw = mat.text or ""
        if not raw.strip():
            return None
        if (mat.get("texttype") or "text/plain") != "text/html":
            return plain_to_markdown(raw.strip(), hard_breaks=False)  # shown as HTML text: newlines are spaces
        converted = html_to_markdown(raw, style="canvas_image", figures=self.figure)
        if converted.lossy:
            self.lossy.append(f"{what}: {', '.join(converted.lossy)}")
        return converted.markdown or None

    def figure(self, src: str, alt: str) -> str | None:
        src = unquote(src)
        if self.package is None or not src.startswith(_FILEBASE):
            return None
        wanted = posixpath.normpath(src[len(_FILEBASE):].split("?", 1)[0])
        for candidate in (wanted, posixpath.join("web_resources", wanted), posixpath.join(self.base, wanted)):
            data = self.package.files.get(posixpath.normpath(candidate))
            if data is not None:
                hint = wanted[len(self.folder) + 1:] if self.folder and wanted.startswith(self.folder + "/") else wanted
                return self.store.add(hint, data, self.loc)
        self.out.warn(self.loc, "I204", f"image {wanted[:80]!r} is not in the package; it is shown as its alt text")
        return None

    # -- one item -----------------------------------------------------------------------

    def item(self, item: etree._Element, qtype: str, title: str) -> tuple[Question, str]:
        ident = item.get("ident") or ""
        meta = self.metadata(item)
        presentation = _find(item, "presentation")
        if presentation is None:
            raise Skip("it has no <presentation>")
        text = self.material(_find(presentation, "material"), "the question text")
        if not text:
            raise Skip("its question text is empty")
        try:
            points = float(meta.get("points_possible") or 1)
        except ValueError:
            points = 1.0
        if points <= 0:
            raise Skip(f"it is worth {points:g} points; qbank questions are worth more than 0")
        feedback = {fb.get("ident") or "": self.material(fb, f"feedback {fb.get('ident')}") for fb in _all(item, "itemfeedback")}
        conditions = _all(item, "respcondition")
        shown: dict[str, list[etree._Element]] = {}
        for cond in conditions:
            for display in _children(cond, "displayfeedback"):
                shown.setdefault(display.get("linkrefid") or "", []).append(cond)
        solution = correct_fb = incorrect_fb = None
        per_answer: dict[str, str | None] = {}
        for fid, markdown in feedback.items():
            conds = shown.get(fid, [])
            values = [v.text or "" for c in conds for v in _all(c, "varequal") if not self.scores(c)]
            if QUESTION_LEVEL_FEEDBACK.search(fid) or not values:
                low = fid.lower()
                if re.search(r"incorrect|wrong|_IC$", fid, re.I):
                    incorrect_fb = markdown
                elif re.search(r"general_|_all|neutral", low) or not conds or any(_find(c, "conditionvar", "other") is not None and not self.scores(c) for c in conds):
                    solution = markdown if solution is None else solution
                else:
                    correct_fb = markdown
            else:
                for value in values:
                    per_answer[value.strip()] = markdown
        body = getattr(self, f"body_{qtype}")(item, presentation, conditions, per_answer)
        fb = body.pop("feedback", Feedback())
        body["feedback"] = Feedback(correct=correct_fb or fb.correct, partial=fb.partial, incorrect=incorrect_fb or fb.incorrect)
        new_id = ident[3:] if ident.startswith("ID_") and item_ident(ident[3:]) == ident else ident
        question = Question(id=new_id, text=text, loc=self.loc, title=title or None, points=points,
                            solution=solution, check=manual_check(self.path, self.loc), **body)
        return question, ident

    @staticmethod
    def scores(cond: etree._Element) -> bool:
        """A condition that gives marks (`setvar` with a positive value)."""
        for setvar in _children(cond, "setvar"):
            try:
                if Decimal((setvar.text or "0").strip()) > 0:
                    return True
            except InvalidOperation:
                continue
        return False

    def scoring(self, conditions: list[etree._Element]) -> list[etree._Element]:
        best, found = Decimal(0), []
        for cond in conditions:
            for setvar in _children(cond, "setvar"):
                try:
                    value = Decimal((setvar.text or "0").strip())
                except InvalidOperation:
                    continue
                if value > best and (setvar.get("action") or "Set") == "Set":
                    best, found = value, [cond]
                elif value == best and value > 0 and (setvar.get("action") or "Set") == "Set":
                    found.append(cond)
        return found

    def labels(self, presentation: etree._Element) -> list[tuple[str, etree._Element]]:
        return [(lab.get("ident") or "", lab) for lab in _all(presentation, "response_label")]

    def choices(self, presentation: etree._Element, correct: set[str], per_answer: dict[str, str | None]) -> tuple[Choice, ...]:
        out = []
        for i, (ident, label) in enumerate(self.labels(presentation), 1):
            text = self.material(_find(label, "material"), f"choice {i}")
            if not text:
                raise Skip(f"choice {i} is empty")
            out.append(Choice(text=text, correct=ident in correct, loc=self.loc, feedback=per_answer.get(ident)))
        if len(out) < 2:
            raise Skip("a choice question needs at least two choices")
        return tuple(out)

    def body_multiple_choice(self, item, presentation, conditions, per_answer) -> dict:  # noqa: ANN001
        correct = {(v.text or "").strip() for c in self.scoring(conditions) for v in _all(c, "varequal")
                   if _local(v.getparent()) != "not"}
        choices = self.choices(presentation, correct, per_answer)
        if sum(c.correct for c in choices) != 1:
            raise Skip(f"a multiple-choice item needs exactly one right answer, this one has {sum(c.correct for c in choices)}")
        return {"type": "multiple_choice", "choices": choices}

    def body_multiple_answers(self, item, presentation, conditions, per_answer) -> dict:  # noqa: ANN001
        correct = {(v.text or "").strip() for c in self.scoring(conditions) for v in _all(c, "varequal")
                   if _local(v.getparent()) != "not"}
        choices = self.choices(presentation, correct, per_answer)
        if not any(c.correct for c in choices):
            raise Skip("no answer is marked right")
        return {"type": "multiple_answers", "choices": choices}

    def body_true_false(self, item, presentation, conditions, per_answer) -> dict:  # noqa: ANN001
        correct = {(v.text or "").strip() for c in self.scoring(conditions) for v in _all(c, "varequal")}
        answer = None
        for ident, label in self.labels(presentation):
            text = (self.material(_find(label, "material"), "an answer") or "").strip().lower()
            if ident in correct:
                answer = "true" in text
        if answer is None:
            raise Skip("neither True nor False is marked right")
        return {"type": "true_false", "answer": answer}

    def body_numerical(self, item, presentation, conditions, per_answer) -> dict:  # noqa: ANN001
        scoring = self.scoring(conditions)
        if not scoring:
            raise Skip("no answer earns marks")
        if len(scoring) > 1:
            self.out.warn(self.loc, "I202", "several accepted number ranges: the first is kept (a qbank numerical "
                          "question has one answer)")
        cond = scoring[0]
        try:
            exact = [Decimal((v.text or "").strip()) for v in _all(cond, "varequal")]
            low = [Decimal((v.text or "").strip()) for v in _all(cond, "vargte") + _all(cond, "vargt")]
            high = [Decimal((v.text or "").strip()) for v in _all(cond, "varlte") + _all(cond, "varlt")]
        except InvalidOperation:
            raise Skip("its answer is not a number") from None
        if exact:
            value = exact[0]
            tolerance = max(value - low[0], high[0] - value) if low and high else Decimal(0)
        elif low and high:
            value, tolerance = (low[0] + high[0]) / 2, (high[0] - low[0]) / 2
        else:
            raise Skip("its answer is open-ended (only a lower or an upper bound)")
        number = float(value)
        return {"type": "numerical", "answer": int(number) if number.is_integer() else number,
                "tolerance": float(tolerance)}

    def body_short_answer(self, item, presentation, conditions, per_answer) -> dict:  # noqa: ANN001
        accepted = []
        for cond in self.scoring(conditions):
            for v in _all(cond, "varequal"):
                text = (v.text or "").strip()
                if text and text not in accepted:
                    accepted.append(text)
        if not accepted:
            raise Skip("no answer is accepted")
        return {"type": "short_answer", "answers": tuple(Answer(t, self.loc, per_answer.get(t)) for t in accepted)}

    def body_essay(self, item, presentation, conditions, per_answer) -> dict:  # noqa: ANN001
        return {"type": "essay"}

    def body_matching(self, item, presentation, conditions, per_answer) -> dict:  # noqa: ANN001
        lids = _all(presentation, "response_lid")
        if not lids:
            raise Skip("a matching item needs prompts")
        rights: dict[str, str] = {}
        for ident, label in self.labels(lids[0]):
            rights[ident] = (self.material(_find(label, "material"), "an answer") or "").strip()
        key: dict[str, str] = {}
        for cond in conditions:
            for v in _all(cond, "varequal"):
                if self.scores(cond) or any((s.get("action") or "") == "Add" for s in _children(cond, "setvar")):
                    key.setdefault(v.get("respident") or "", (v.text or "").strip())
        pairs, used = [], set()
        for i, lid in enumerate(lids, 1):
            left = self.material(_find(lid, "material"), f"matching prompt {i}")
            right_id = key.get(lid.get("ident") or "")
            if not left or right_id not in rights:
                raise Skip(f"matching prompt {i} has no right answer")
            pairs.append(Pair(left, rights[right_id], self.loc))
            used.add(right_id)
        distractors = tuple(text for ident, text in rights.items() if ident not in used and text)
        return {"type": "matching", "pairs": tuple(pairs), "distractors": distractors}


def read(path: str, data: bytes, figures_rel: str) -> Imported:
    if data.startswith(b"PK"):
        package = _Package.open(path, data)
        reader = _Reader(path, figures_rel, package)
        names = package.assessments()
        if not names:
            raise ReadError(Loc(path, 1, 1), E_ZIP, "the package holds no QTI assessment (imsmanifest.xml lists none "
                            "and no .xml file is one); export a quiz from Canvas (Settings → Export course content)")
        for name in names:
            reader.read_assessment(name, package.files[name])
            reader.read_meta(posixpath.join(posixpath.dirname(name), "assessment_meta.xml"))
        return reader.out
    reader = _Reader(path, figures_rel, None)
    reader.read_assessment(posixpath.basename(path), data)
    return reader.out


READER = Reader(NAME, DESCRIPTION, detect, read)
