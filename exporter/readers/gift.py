"""GIFT reader: a `.gift`/`.txt` file → model, read the way Moodle's importer reads it.

Moodle's `qformat_gift::readquestion` (question/format/gift/format.php) is not a grammar
but a sequence of string operations, and files written for Moodle are only guaranteed to
mean what *that* code makes of them. So this reader performs the same steps in the same
order, and the escaping half lives beside its inverse in exporter.writers.gift
(`protect_escapes` / `restore_escapes`, Moodle's escapedchar_pre/post):

1. The file is cut into blocks at blank lines (qformat_default::readquestions, lines
   trimmed); lines starting with `//` are comments, where `[id:…]` and `[tag:…]` live.
2. Escapes become placeholders; a block starting `$CATEGORY:` sets the category.
3. `::name::`, then the answer block between the first `{` and the first `}`; text after
   the `}` makes the question a "missing word" one, the gap shown as `_____`.
4. General feedback after the last `####`; `[html]`/`[moodle]`/`[plain]`/`[markdown]`
   before a text gives its format (the question text's is the default of the others).
5. The type from the answer block: empty → essay, `#…` → numerical, any `~` →
   multichoice (single when it has an `=`), `=` with `->` → matching, `T`/`TRUE`/`F`/`FALSE`
   → true/false, anything else → short answer.
6. Weights `%n%`; feedback after `#` (for true/false: wrong `#` right).

A block without `{…}` is a Moodle "description" (not a question): listed and skipped.
"""

from __future__ import annotations

import base64
import binascii
import re

from ..model import Feedback, Loc, Question
from ..writers.gift import protect_escapes, restore_escapes
from ..writers.moodle_bank import split_category_path
from .common import (
    FigureStore,
    Imported,
    Skip,
    decode_text,
    manual_check,
)
from . import Reader
from .markdown import html_to_markdown, plain_to_markdown
from .moodle_rules import choice_body, matching_body, numerical_body, short_answer_body

NAME = "gift"
DESCRIPTION = "GIFT"

_WEIGHT = re.compile(r"^%-*([0-9]{1,2})\.?([0-9]*)%")
_ID = re.compile(r"\[id:\s*((?:\\\]|[^\]\x00-\x1f])+)\]")
_TAG = re.compile(r"\[tag:\s*((?:\\\]|[^\]<>`\x00-\x1f])+)\]")
_DATA_URI = re.compile(r"^data:(image/(?:png|jpeg|gif|svg\+xml));base64,(.*)$", re.S)
_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/svg+xml": "svg"}
_FORMATS = ("html", "moodle", "plain", "markdown")


def detect(name: str, head: bytes) -> bool:
    text = head.decode("utf-8", "replace")
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        return False
    return bool(re.search(r"(::.*::)|(\{[^{}]*[=~#][^{}]*\})|(\{\s*\})|(\{(T|F|TRUE|FALSE)\})|^\$CATEGORY:", text, re.M))


def _weight(answer: str) -> tuple[float, str]:
    """answerweightparser(): `%50%rest` → (0.5, "rest"), as Moodle reads it."""
    inner = answer[1:]
    end = inner.find("%")
    raw = inner[:end]
    try:
        weight = float(raw) / 100
    except ValueError:
        weight = 0.0
    return weight, inner[end + 1:]


class _Reader:
    def __init__(self, path: str, text: str, figures_rel: str) -> None:
        self.path = path
        self.text = text
        self.out = Imported(source=path, system="GIFT id")
        self.store = FigureStore(self.out, figures_rel)
        self.loc = Loc(path, 1, 1)
        self.lossy: list[str] = []
        self.qid = "figure"

    # -- blocks -------------------------------------------------------------------------

    def blocks(self) -> list[tuple[int, list[str]]]:
        found: list[tuple[int, list[str]]] = []
        current: list[str] = []
        start = 1
        for number, line in enumerate(self.text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
            line = line.strip()
            if line in ("", "0"):  # PHP's empty(): "0" ends a block too
                if current:
                    found.append((start, current))
                    current = []
            else:
                if not current:
                    start = number
                current.append(line)
        if current:
            found.append((start, current))
        return found

    def read(self) -> Imported:
        category: tuple[str, ...] = ()
        for start, lines in self.blocks():
            self.loc = Loc(self.path, start, 1)
            comments = "\n".join(line for line in lines if line.startswith("//"))
            body = "\n".join(" " if line.startswith("//") else line for line in lines).strip()
            if not body:
                continue
            text = protect_escapes(body)
            if text.startswith("$CATEGORY:"):
                category = tuple(split_category_path(text[len("$CATEGORY:"):].strip()))
                if self.out.root_category is None:
                    self.out.root_category = category
                    self.out.title = category[-1] if category else None
                continue
            idnumber = None
            found_id = _ID.search(comments)
            if found_id:
                idnumber = found_id.group(1).strip().replace("\\]", "]")
            tags = []
            for m in _TAG.finditer(comments):
                tag = " ".join(m.group(1).replace("\\]", "]").replace(",", " ").replace("[", "(").replace("]", ")").split())
                if tag and tag not in tags:
                    tags.append(tag)
            self.qid = idnumber or f"q{start}"
            name = self.name_of(text)
            self.out.take(self.loc, f"question '{name}'" if name else "a question",
                          lambda: (self.question(text, idnumber, tuple(tags), category), idnumber), self.lossy)
        return self.out

    @staticmethod
    def name_of(text: str) -> str:
        if text.startswith("::") and "::" in text[2:]:
            return restore_escapes(text[2:text.index("::", 2)]).strip()
        return ""

    # -- text ---------------------------------------------------------------------------

    def formatted(self, raw: str, default: str) -> tuple[str, str]:
        """parse_text_with_format(): (text, format) with a leading `[format]` removed."""
        fmt = default
        if raw.startswith("["):
            end = raw.find("]")
            if end > 0 and raw[1:end] in _FORMATS:
                fmt, raw = raw[1:end], raw[end + 1:]
        return restore_escapes(raw).strip(), fmt

    def markdown(self, text: str, fmt: str, what: str) -> str | None:
        if not text:
            return None
        if fmt == "markdown":
            return text
        if fmt == "plain" or (fmt == "moodle" and not re.search(r"<[A-Za-z/]", text)):
            return plain_to_markdown(text)
        converted = html_to_markdown(text, figures=self.figure)
        if converted.lossy:
            self.lossy.append(f"{what}: {', '.join(converted.lossy)}")
        return converted.markdown or None

    def figure(self, src: str, alt: str) -> str | None:
        m = _DATA_URI.match(src.strip())
        if not m:
            return None
        try:
            data = base64.b64decode(m.group(2), validate=False)
        except (binascii.Error, ValueError):
            return None
        return self.store.add(f"{self.qid}.{_EXT[m.group(1)]}", data, self.loc)

    def field(self, raw: str, default: str, what: str) -> str | None:
        text, fmt = self.formatted(raw.strip(), default)
        return self.markdown(text, fmt, what)

    # -- questions ------------------------------------------------------------------------

    def question(self, text: str, idnumber: str | None, tags: tuple[str, ...],
                 category: tuple[str, ...]) -> Question:
        name = None
        if text.startswith("::"):
            rest = text[2:]
            end = rest.find("::")
            if end >= 0:
                name = " ".join(restore_escapes(rest[:end]).split()) or None
                text = rest[end + 2:].strip()
        start, finish = text.find("{"), text.find("}")
        if start < 0 and finish < 0:
            raise Skip("it has no answer block {…}: Moodle imports it as a description, which is not a question")
        if start < 0 or finish < 0 or finish < start:
            raise Skip("its braces { } do not pair up (Moodle refuses it too)")
        answers = text[start + 1:finish].strip()
        if text.endswith("}"):
            question_text = text[:start] + text[finish + 1:]
        else:
            question_text = text[:start] + "_____" + text[finish + 1:]
        general = None
        sep = answers.rfind("####")
        if sep >= 0:
            general, answers = answers[sep + 4:], answers[:sep].strip()
        qtext, fmt = self.formatted(question_text.strip(), "moodle")
        body_text = self.markdown(qtext, fmt, "the question text")
        if not body_text:
            raise Skip("its question text is empty")
        solution = self.field(general, fmt, "the general feedback") if general else None
        body = self.body(answers, fmt)
        return Question(id=idnumber or "", text=body_text, loc=self.loc, title=name, solution=solution,
                        tags=tags, category=category, check=manual_check(self.path, self.loc), **body)

    def body(self, answers: str, fmt: str) -> dict:
        if answers == "":
            return {"type": "essay"}
        if answers.startswith("#"):
            return self.numerical(answers[1:], fmt)
        if "~" in answers:
            return self.multichoice(answers, fmt)
        if "=" in answers and "->" in answers:
            return self.matching(answers, fmt)
        check = answers[: answers.find("#")].strip() if answers.find("#") > 0 else answers
        if check in ("T", "TRUE", "F", "FALSE"):
            return self.true_false(answers, fmt)
        return self.short_answer(answers, fmt)

    def split(self, answers: str, sep: str) -> list[str]:
        parts = answers.split(sep)
        if parts and not parts[0].strip():
            parts = parts[1:]
        return [p.strip() for p in parts]

    def comment(self, answer: str, fmt: str, what: str) -> tuple[str, str | None]:
        """commentparser(): (answer text with its format marker removed, feedback Markdown)."""
        bits = answer.split("#", 1)
        text, _ = self.formatted(bits[0].strip(), fmt)
        feedback = self.field(bits[1], fmt, f"the feedback of {what}") if len(bits) > 1 else None
        return text, feedback

    def multichoice(self, answers: str, fmt: str) -> dict:
        options = []
        for i, part in enumerate(self.split(answers.replace("=", "~="), "~"), 1):
            if part.startswith("="):
                weight, part = 1.0, part[1:]
            elif _WEIGHT.match(part):
                weight, part = _weight(part)
            else:
                weight = 0.0
            bits = part.split("#", 1)
            raw, afmt = self.formatted(bits[0].strip(), fmt)
            text = self.markdown(raw, afmt, f"choice {i}")
            if not text:
                raise Skip(f"choice {i} is empty")
            options.append((weight, text, self.field(bits[1], fmt, f"the feedback of choice {i}") if len(bits) > 1 else None))
        return choice_body(self.out, "=" in answers, options, self.loc)

    def matching(self, answers: str, fmt: str) -> dict:
        parts = self.split(answers, "=")
        if len(parts) < 2:
            raise Skip("a matching question needs at least two lines")
        rows = []
        for i, part in enumerate(parts, 1):
            if "->" not in part:
                raise Skip(f"matching line {i} has no '->' (Moodle refuses it too)")
            left_raw, right_raw = part.split("->", 1)
            rows.append((self.field(left_raw.strip(), fmt, f"matching prompt {i}"), restore_escapes(right_raw).strip()))
        return matching_body(rows, self.loc)

    def true_false(self, answers: str, fmt: str) -> dict:
        bits = answers.split("#", 2)
        key, _ = self.formatted(bits[0].strip(), fmt)
        wrong = self.field(bits[1], fmt, "the wrong-answer feedback") if len(bits) > 1 else None
        right = self.field(bits[2], fmt, "the right-answer feedback") if len(bits) > 2 else None
        return {"type": "true_false", "answer": key in ("T", "TRUE"), "feedback": Feedback(correct=right, incorrect=wrong)}

    def weighted(self, part: str, default: float) -> tuple[float, str]:
        return _weight(part) if _WEIGHT.match(part) else (default, part)

    def short_answer(self, answers: str, fmt: str) -> dict:
        entries = []
        for i, part in enumerate(self.split(answers, "="), 1):
            weight, part = self.weighted(part, 1.0)
            text, feedback = self.comment(part, fmt, f"answer {i}")
            entries.append((weight, text, feedback))
        return short_answer_body(self.out, entries, self.loc)

    def numerical(self, answers: str, fmt: str) -> dict:
        wrong = None
        pos = answers.find("~")
        if pos >= 0:
            wrong_raw, answers = answers[pos:], answers[:pos]
            _, wrong = self.comment(wrong_raw[1:], fmt, "other answers")
        parts = self.split(answers, "=")
        if not parts:
            raise Skip("a numerical question needs an answer")
        entries = []
        for part in parts:
            weight, part = self.weighted(part, 1.0)
            text, feedback = self.comment(part, fmt, "the answer")
            try:
                if text.find("..") > 0:  # Moodle's [min]..[max]
                    low, high = (float(x) for x in text.split("..", 1))
                    value, tolerance = (low + high) / 2, (high - low) / 2
                elif text.find(":") > 0:  # [answer]:[error margin]
                    a, t = text.split(":", 1)
                    value, tolerance = float(a), float(t)
                else:
                    value, tolerance = float(text), 0.0
            except ValueError:
                raise Skip(f"numerical answer {text!r} is not a number (Moodle refuses it too)") from None
            entries.append((weight, text, value, tolerance, feedback))
        return numerical_body(self.out, entries, wrong, self.loc)


def read(path: str, data: bytes, figures_rel: str) -> Imported:
    return _Reader(path, decode_text(data, path), figures_rel).read()


READER = Reader(NAME, DESCRIPTION, detect, read)
