"""Quiz files: a term's quizzes assembled from the bank, exported with the same writers.

A bank is the course's question pool, kept for years; a quiz is one term's selection from it.
`quizzes/<name>.yaml` (schema/quiz.schema.json) lists, in order, single questions by id and
groups of which each student gets `pick` ("pick 2 of these 5", or of every question with a
tag). A parametrised question named by id means "one of its variants, at random", which is
a group of its variants picking 1.

A quiz becomes a `Bank` — its questions in quiz order, points as the quiz says, its groups,
its own category — and that bank goes through the unchanged writers into
`dist/<target>/quizzes/<name><suffix>`. So a quiz is exported exactly like a bank: a Canvas
assessment whose groups are question groups, and Moodle XML / GIFT files holding exactly the
quiz's questions, each group in a subcategory `<quiz category>/<group>` that a Moodle quiz's
"random question" slot can draw from.

Everything a quiz names is checked against the bank when it is loaded, and reported at the
quiz file's line and column: an id the bank lacks, a tag no question has, a group that
would pick more questions than it holds, a question used twice.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .diagnostics import Diagnostic, Report
from .model import Bank, Group, Loc, Question
from .variants import choose, expand_question
from .yamlsource import Document, JsonPath, read

if TYPE_CHECKING:  # jsonschema costs 45 ms to import: only when a quiz file is read
    import jsonschema

QUIZ_SUFFIXES = (".yaml", ".yml")
DEFAULT_QUIZZES = "quizzes"
OUTPUT_FOLDER = "quizzes"
"""Quizzes are written to dist/<target>/quizzes/, apart from the banks' files."""

# Codes: Q1xx, the quiz file itself (schema); Q2xx, what it names in the bank.
E_UNKNOWN_FIELD = "Q101"
E_MISSING_FIELD = "Q102"
E_BAD_VALUE = "Q103"
E_ITEM_SHAPE = "Q104"
E_UNKNOWN_ID = "Q201"
E_UNKNOWN_TAG = "Q202"
E_PICK = "Q203"
E_TWICE = "Q204"
E_GROUP_NAME = "Q205"
E_NAME_CLASH = "Q206"
W_GROUP_POINTS = "Q207"


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    source = resources.files("exporter._schema").joinpath("quiz.schema.json")
    return json.loads(source.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class QuizItem:
    """One entry of `questions:`: a question (`id`) or a group (`group`, `pick`, `from`/`tag`)."""

    loc: Loc
    id: str | None = None
    group: str | None = None
    pick: int | None = None
    pick_loc: Loc | None = None
    from_ids: tuple[tuple[str, Loc], ...] = ()
    tag: str | None = None
    tag_loc: Loc | None = None
    points: float | None = None
    points_loc: Loc | None = None


@dataclass(frozen=True)
class Quiz:
    name: str
    """The file stem: names the exports, `dist/<target>/quizzes/<name><suffix>`."""
    title: str
    path: str
    items: tuple[QuizItem, ...]
    category: tuple[str, ...] = ()
    description: str | None = None
    seed: str | None = None


# --------------------------------------------------------------------------- loading


def quiz_files(folder: str | Path) -> list[Path]:
    """The quiz files directly in `folder`, sorted (a subfolder could repeat a file name,
    and two quizzes with one name would write the same output file)."""
    p = Path(folder)
    return sorted(f for f in p.iterdir() if f.is_file() and f.suffix in QUIZ_SUFFIXES and not f.name.startswith("."))


def load_quizzes(folder: str | Path) -> tuple[list[Quiz], list[Diagnostic]]:
    quizzes: list[Quiz] = []
    problems: list[Diagnostic] = []
    for file in quiz_files(folder):
        quiz, found = load_quiz(file)
        problems.extend(found)
        if quiz is not None:
            quizzes.append(quiz)
    return quizzes, problems


def load_quiz(file: Path) -> tuple[Quiz | None, list[Diagnostic]]:
    doc, found = read(file)
    problems = [dataclasses.replace(d, message=d.message.replace("a bank needs", "a quiz needs")) for d in found]
    if doc is None:
        return None, problems
    import jsonschema

    errors = list(jsonschema.Draft202012Validator(schema()).iter_errors(doc.data))
    problems.extend(_schema_errors(doc, errors))
    if errors:
        return None, problems
    data = doc.data
    items = tuple(_item(doc, ("questions", i), item) for i, item in enumerate(data["questions"]))
    for item in items:  # `.inf` is > 0 to the schema, but no LMS can grade with it
        if item.points is not None and not math.isfinite(item.points):
            problems.append(Diagnostic(item.points_loc or item.loc, E_BAD_VALUE, f"points is {item.points}, not a finite "
                                       "number; give a number such as 1 or 2.5"))
    if any(d.code == E_BAD_VALUE for d in problems):
        return None, problems
    quiz = Quiz(
        name=file.stem,
        title=data["title"],
        path=file.as_posix(),
        items=items,
        category=tuple(data.get("category", ())),
        description=data.get("description"),
        seed=str(data["seed"]) if "seed" in data else None,
    )
    return quiz, problems


def _item(doc: Document, at: JsonPath, item: dict[str, Any]) -> QuizItem:
    return QuizItem(
        loc=doc.loc(at + ("id",)) if "id" in item else doc.loc(at + ("group",)),
        id=item.get("id"),
        group=item.get("group"),
        pick=item.get("pick"),
        pick_loc=doc.loc(at + ("pick",)) if "pick" in item else None,
        from_ids=tuple((qid, doc.loc(at + ("from", i))) for i, qid in enumerate(item.get("from", ()))),
        tag=item.get("tag"),
        tag_loc=doc.loc(at + ("tag",)) if "tag" in item else None,
        points=float(item["points"]) if "points" in item else None,
        points_loc=doc.loc(at + ("points",)) if "points" in item else None,
    )


def _schema_errors(doc: Document, errors: list[jsonschema.ValidationError]) -> Iterable[Diagnostic]:
    seen: set[tuple[Loc, str]] = set()
    for err in sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.validator)):
        for d in _translate(doc, err):
            if (d.loc, d.message) not in seen:
                seen.add((d.loc, d.message))
                yield d


def _translate(doc: Document, err: jsonschema.ValidationError) -> Iterable[Diagnostic]:
    path: JsonPath = tuple(err.absolute_path)
    where = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path)) or "the quiz"
    where = f"`{where}`" if path else where
    kind = err.validator
    if kind == "additionalProperties":
        in_item = len(path) == 2 and path[0] == "questions"
        allowed = list(schema()["$defs"]["item"]["properties"] if in_item else schema()["properties"])
        for extra in sorted(set(err.instance) - set(allowed)):
            close = difflib.get_close_matches(extra, allowed, n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            yield Diagnostic(doc.key_loc(path + (extra,)), E_UNKNOWN_FIELD, f"unknown field `{extra}` in {where}{hint}")
        return
    if kind == "required":
        m = re.match(r"'([^']+)' is a required property", err.message)
        yield Diagnostic(doc.loc(path), E_MISSING_FIELD, f"missing required field `{m.group(1) if m else err.message}` in {where}")
        return
    if kind == "not" and list(err.validator_value) == ["required"]:
        extra = err.validator_value["required"][0]
        yield Diagnostic(doc.key_loc(path + (extra,)), E_ITEM_SHAPE, f"`{extra}` cannot be combined with `id` in {where}: "
                         "an item is either one question (`id`) or a group (`group`, `pick`, and `from` or `tag`)")
        return
    if kind == "oneOf":
        yield Diagnostic(doc.loc(path), E_ITEM_SHAPE, f"group {where} needs exactly one of `from: [ids]` or `tag: <tag>`")
        return
    if kind in ("if", "then", "else", "allOf"):
        return
    yield Diagnostic(doc.loc(path), E_BAD_VALUE, f"{where}: {err.message}")


# --------------------------------------------------------------------------- assembling


def assemble(
    quizzes: Sequence[Quiz],
    banks: Sequence[Bank],
    report: Report,
    *,
    seed: str | None = None,
) -> list[Bank]:
    """Each quiz as a Bank for the writers. `banks` are as loaded (templates not expanded);
    `seed` (`--seed`) overrides the quiz's and the banks' seeds."""
    out = []
    bank_names = {b.name for b in banks}
    for quiz in quizzes:
        if quiz.name in bank_names:
            report(Diagnostic(Loc(quiz.path, 1, 1), E_NAME_CLASH, f"quiz `{quiz.name}` has the name of a bank file; Canvas "
                              "identifies both by it, so importing both would overwrite one: rename the quiz file"))
            continue
        bank = _Assembler(quiz, banks, report, seed).bank()
        if bank is not None:
            out.append(bank)
    return out


class _Assembler:
    def __init__(self, quiz: Quiz, banks: Sequence[Bank], report: Report, seed: str | None) -> None:
        self.quiz = quiz
        self.report = report
        self.seed_override = seed
        self.by_id: dict[str, tuple[Bank, Question]] = {q.id: (b, q) for b in banks for q in b.questions}
        self.all_ids = frozenset(self.by_id)
        self.used: dict[str, Loc] = {}
        self.ok = True

    def error(self, loc: Loc, code: str, message: str) -> None:
        self.ok = False
        self.report(Diagnostic(loc, code, message))

    def seed_for(self, bank: Bank) -> str:
        if self.seed_override is not None:
            return str(self.seed_override)
        return self.quiz.seed if self.quiz.seed is not None else bank.seed

    def lookup(self, qid: str, loc: Loc) -> tuple[Bank, Question] | None:
        found = self.by_id.get(qid)
        if found is None:
            close = difflib.get_close_matches(qid, sorted(self.by_id), n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            self.error(loc, E_UNKNOWN_ID, f"no question `{qid}` in the bank{hint}")
        return found

    def claim(self, qid: str, loc: Loc) -> bool:
        """Each bank question once per quiz: twice would be two items with one LMS id."""
        if qid in self.used:
            first = self.used[qid]
            self.error(loc, E_TWICE, f"question `{qid}` is already in this quiz (line {first.line}); a quiz holds "
                       "each question once: remove one (a tag group can list its questions with `from:` instead)")
            return False
        self.used[qid] = loc
        return True

    def variants(self, bank: Bank, q: Question) -> list[Question]:
        made = expand_question(q, self.seed_for(bank), self.report, taken=self.all_ids)
        if not made:
            self.ok = False
        return made

    def bank(self) -> Bank | None:
        quiz = self.quiz
        questions: list[Question] = []
        groups: list[Group] = []
        names: dict[str, Loc] = {}
        for item in quiz.items:
            if item.id is not None:
                found = self.lookup(item.id, item.loc)
                if found is None or not self.claim(item.id, item.loc):
                    continue
                bank, q = found
                points = item.points if item.points is not None else q.points
                points_loc = item.points_loc or q.points_loc
                if q.parameters is None:
                    questions.append(dataclasses.replace(q, points=points, points_loc=points_loc, category=()))
                    continue
                if not self.group_name(names, q.id, item.loc):
                    continue
                made = [dataclasses.replace(v, points=points, points_loc=points_loc, category=(q.id,))
                        for v in self.variants(bank, q)]
                questions.extend(made)
                groups.append(Group(q.id, 1, tuple(v.id for v in made), points, item.loc))
                continue
            members = self.members(item)
            assert item.group is not None and item.pick is not None  # the schema's else-branch
            if not self.group_name(names, item.group, item.loc) or members is None:
                continue
            if item.pick > len(members):
                self.error(item.pick_loc or item.loc, E_PICK, f"group `{item.group}` picks {item.pick} but holds "
                           f"{len(members)} question(s)")
                continue
            if item.points is not None:
                points = item.points
            else:
                distinct = sorted({q.points for q in members})
                if len(distinct) > 1:
                    self.report(Diagnostic(item.loc, W_GROUP_POINTS, f"the questions of group `{item.group}` are worth "
                                           f"different points ({', '.join(f'{p:g}' for p in distinct)}); every question an "
                                           f"LMS picks from a group is worth the same: each will count {distinct[-1]:g} "
                                           "(give the group `points:` to choose)"))
                points = distinct[-1]
            made = [dataclasses.replace(q, points=points, points_loc=item.points_loc or q.points_loc, category=(item.group,))
                    for q in members]
            questions.extend(made)
            groups.append(Group(item.group, item.pick, tuple(q.id for q in made), points, item.loc))
        if not self.ok:
            return None
        return Bank(
            name=quiz.name,
            title=quiz.title,
            path=quiz.path,
            questions=tuple(questions),
            category=quiz.category or (quiz.title,),
            description=quiz.description,
            seed=self.quiz.seed or "0",
            groups=tuple(groups),
        )

    def group_name(self, names: dict[str, Loc], name: str, loc: Loc) -> bool:
        if name in names:
            self.error(loc, E_GROUP_NAME, f"group name `{name}` is already used in this quiz (line {names[name].line}); "
                       "each group is its own Canvas question group and Moodle subcategory: rename one")
            return False
        names[name] = loc
        return True

    def members(self, item: QuizItem) -> list[Question] | None:
        """The group's questions; a parametrised one is represented by one of its variants."""
        if item.tag is not None:
            refs = [(qid, item.tag_loc or item.loc) for qid, (_, q) in self.by_id.items() if item.tag in q.tags]
            if not refs:
                tags = sorted({t for _, q in self.by_id.values() for t in q.tags})
                close = difflib.get_close_matches(item.tag, tags, n=1, cutoff=0.6)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                self.error(item.tag_loc or item.loc, E_UNKNOWN_TAG, f"no question in the bank has the tag `{item.tag}`{hint}")
                return None
        else:
            refs = list(item.from_ids)
        out: list[Question] = []
        ok = True
        for qid, loc in refs:
            found = self.lookup(qid, loc)
            if found is None or not self.claim(qid, loc):
                ok = False
                continue
            bank, q = found
            if q.parameters is None:
                out.append(q)
                continue
            made = self.variants(bank, q)
            if made:
                # One variant stands for the question in this group, chosen by the seed: a
                # group of groups is not something Canvas or Moodle can draw from.
                out.append(made[choose(len(made), 1, self.seed_for(bank), f"{self.quiz.name}:{q.id}")[0]])
        return out if ok else None


__all__ = ["DEFAULT_QUIZZES", "OUTPUT_FOLDER", "Quiz", "QuizItem", "assemble", "load_quiz", "load_quizzes", "quiz_files"]
