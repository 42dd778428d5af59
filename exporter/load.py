"""Bank files → validated, typed model, with every problem reported in one run.

Order of work: bytes → UTF-8 → tabs → YAML nodes (duplicate keys) → JSON Schema → rules the
schema cannot state (ids unique across files) → dataclasses. Each stage keeps going after a
problem so that an author fixing a bank sees all of them at once, not one per CI run.
"""

from __future__ import annotations

import dataclasses
import difflib
import gc
from contextlib import contextmanager
from importlib import resources
import json
import math
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from . import credit
from .decimals import decimal_text
from .codes import ALIASES, CODES, LOSS_STAGES
from .diagnostics import Diagnostic
from .model import (
    Answer,
    OtherAnswer,
    Bank,
    Check,
    Choice,
    Feedback,
    Loc,
    Pair,
    Parameters,
    Part,
    Question,
    choice_letter,
    expression_fields,
    part_question,
    question_texts,
    relative_tolerance,
)
from .cloze import cloze_rules, merged_check
from .variants import MAX_VARIANTS, placeholder_names
from .yamlhints import stray_field_hint
from .yamlsource import Document, JsonPath, read

if TYPE_CHECKING:
    import jsonschema

    from .cache import LoadCache

BANK_SUFFIXES = (".yaml", ".yml")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    # schema/ is installed as the package exporter._schema (see pyproject.toml).
    source = resources.files("exporter._schema").joinpath("bank.schema.json")
    return json.loads(source.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    # Imported here: jsonschema costs ~70 ms to import, and a run whose files all come
    # from the load cache (exporter/cache.py) never validates anything.
    import jsonschema

    return jsonschema.Draft202012Validator(schema())


@lru_cache(maxsize=1)
def _fast_validator() -> Any:
    """jsonschema-rs, when it is installed: it answers "is this bank valid?" ~90 times
    faster than jsonschema (35 ms instead of 3.3 s for 5,000 questions), which was the
    largest part of loading. Only that yes/no is taken from it; the messages of an
    invalid bank always come from jsonschema, so they are the same with or without it
    (as with libyaml in yamlsource.py: used when present, never required)."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    return jsonschema_rs.Draft202012Validator(schema())


class PathError(Exception):
    """A command-line path that does not exist or holds no bank: a usage error (exit 2)."""


def bank_files(paths: Iterable[str]) -> list[Path]:
    """Expand directories to their bank files, sorted so runs are reproducible."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found.extend(
                sorted(
                    f
                    for f in p.rglob("*")
                    if f.suffix in BANK_SUFFIXES
                    and f.is_file()
                    and not any(part.startswith(".") for part in f.relative_to(p).parts)
                )
            )
        elif p.is_file():
            found.append(p)
        else:
            raise PathError(f"{raw}: no such file or directory")
    if not found:
        raise PathError(f"no bank files (*.yaml, *.yml) in {', '.join(map(str, paths))}")
    return found


def load_banks(paths: Iterable[str], *, cache: LoadCache | None = None) -> tuple[list[Bank], list[Diagnostic]]:
    """Load every bank file under `paths`; returns the banks that loaded and all problems.

    With a `cache` (exporter.cache.LoadCache), a file whose bytes did not change since a
    previous run is read back from it instead of being parsed and validated again.
    """
    with _collector_paused():
        return _load_banks(bank_files(paths), cache)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep Python's cyclic garbage collector off the model while and after loading.

    Loading allocates millions of long-lived objects (nodes, dicts, Locs) and no cycles.
    The collector would re-scan the growing heap again and again (40% of the load time of
    a 5,000-question bank), then again after loading (0.4 s per scan at 20,000
    questions), and its scans would make every forked sympy worker copy the whole model
    page by page. So it is paused while loading, and the survivors are then frozen
    (`gc.freeze`: moved to a generation it never scans; they are still freed normally
    when no longer referenced). A caller that had the collector off keeps control of it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


def _load_banks(files: list[Path], cache: LoadCache | None) -> tuple[list[Bank], list[Diagnostic]]:
    banks: list[Bank] = []
    problems: list[Diagnostic] = []
    seen_ids: dict[str, Loc] = {}
    for file in files:
        bank, found = cache.load_file(file) if cache is not None else load_file(file)
        problems.extend(found)
        if bank is None:
            continue
        kept = []
        # in file order, the questions left out for an error included: an error in one
        # question must not hide that another repeats its id
        entries = sorted([(q.loc, q.id, q) for q in bank.questions] + [(loc, qid, None) for qid, loc in bank.unloaded],
                         key=lambda e: (e[0].line, e[0].col))
        for loc, qid, q in entries:
            if qid in seen_ids:
                first = seen_ids[qid]
                problems.append(
                    Diagnostic(
                        loc,
                        "E201",
                        f"duplicate id `{qid}` (first used at {first}); ids are unique across the "
                        "whole bank and never reused: give this question a new id",
                    )
                )
                continue
            seen_ids[qid] = loc
            if q is not None:
                kept.append(q)
        banks.append(dataclasses.replace(bank, questions=tuple(kept)))
    return banks, problems


def load_file(file: Path, raw: bytes | None = None) -> tuple[Bank | None, list[Diagnostic]]:
    """One bank file (`raw`: its bytes, if already read) → its Bank and findings."""
    path = file.as_posix()
    doc, problems = read(file, raw)
    if doc is None:
        return None, problems
    fast = _fast_validator()
    errors = [] if fast is not None and fast.is_valid(doc.data) else list(_validator().iter_errors(doc.data))
    unreadable = {d.loc for d in problems if d.code == "E006"}  # said once: not again as a schema error
    problems.extend(d for d in schema_errors(doc, errors) if d.loc not in unreadable)
    bad_paths = [tuple(e.absolute_path) for e in errors]
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list) or any(
        p and p[0] == "questions" and len(p) < 2 for p in bad_paths
    ):
        return None, problems  # no list of questions to build a model from
    bad_questions = {p[1] for p in bad_paths if len(p) >= 2 and p[0] == "questions"}
    kept = [i for i in range(len(data["questions"])) if i not in bad_questions]
    questions = [_question(doc, i, data["questions"][i]) for i in kept]
    # a cloze part is checked by the same rules as a whole question of its type
    problems.extend(_bank_rules(doc, questions + [part_question(q, p) for q in questions for p in q.parts]))
    problems.extend(cloze_rules(questions))
    from .mathlint import check_questions as math_lint  # Markdown parsing: only on a cache miss

    damaged = {p[1] for p in doc.damaged if len(p) > 1 and p[0] == "questions"}  # E007/E008 said it already
    problems.extend(math_lint(q for i, q in zip(kept, questions) if i not in damaged))
    for i, q in zip(kept, questions):
        problems.extend(_number_rules(doc, i, q))
        problems.extend(_parameter_rules(doc, i, q))
    if any(not p or p[0] != "questions" for p in bad_paths):
        # the bank's own fields are wrong: its questions' problems are reported (above), but
        # there is no bank to build (and no ids to compare with the lock)
        return None, problems
    bank = Bank(
        name=file.stem,
        title=data["title"],
        path=path,
        questions=tuple(questions),
        category=tuple(data.get("category", ())),
        description=data.get("description"),
        retired=tuple((rid, doc.loc(("retired", i))) for i, rid in enumerate(data.get("retired", ()))),
        seed=str(data.get("seed", "0")),
        unloaded=tuple(
            (q["id"], doc.loc(("questions", i, "id")))
            for i in sorted(bad_questions)
            if isinstance(i, int) and isinstance(q := data["questions"][i], dict) and isinstance(q.get("id"), str)
        ),
    )
    # Math the preview cannot draw (P101/P201), found here so that it is cached with the
    # file: converting every span of a 5,000-question bank costs seconds, every run.
    from . import mathml

    problems.extend(mathml.check_bank(bank))
    return bank, problems


# --- schema errors, translated into messages an author can act on -----------------------


def _where(path: JsonPath, doc: Document) -> str:
    """A JSON path the author can read: `questions[3].choices[1].text`, or the question id."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    out = f"`{out}`" if out else "the bank"
    if len(path) >= 2 and path[0] == "questions":
        q = doc.data["questions"][path[1]]
        if isinstance(q, dict) and isinstance(q.get("id"), str):
            out += f" (question `{q['id']}`)"
    return out


def _properties_at(path: JsonPath, data: Any) -> list[str]:
    """The field names the schema allows at this place, for "did you mean" hints."""
    defs = schema()["$defs"]
    parts = [p for p in path if not isinstance(p, int)]
    if not parts:
        return list(schema()["properties"])
    mapping = {
        ("questions",): defs["question"],
        ("questions", "choices"): defs["choice"],
        ("questions", "check"): defs["check"]["else"],
        ("questions", "feedback"): defs["question"]["properties"]["feedback"],
        ("questions", "answers"): defs["question"]["properties"]["answers"]["items"],
        ("questions", "pairs"): defs["question"]["properties"]["pairs"]["items"],
        ("questions", "parameters"): defs["parameters"],
    }
    if parts[:3] == ["questions", "parameters", "values"] and len(parts) == 4:
        node = defs["range"]  # the value of `values.<name>` when it is not a list
    else:
        node = mapping.get(tuple(parts))
    names = list(node.get("properties", {})) if node else []
    if tuple(parts) == ("questions", "check"):
        names.append("manual")
    return names


def _hint(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


_TYPE_NAMES = {"string": "text", "number": "a number", "boolean": "true or false", "array": "a list", "object": "a mapping"}


def _type_name(t: Any) -> str:
    if isinstance(t, list):
        return " or ".join(_TYPE_NAMES.get(x) or str(x) for x in t)
    return _TYPE_NAMES.get(t, str(t))


def schema_errors(doc: Document, errors: list[jsonschema.ValidationError]) -> Iterable[Diagnostic]:
    errors = sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    seen: set[tuple[Loc, str]] = set()
    for err in errors:
        for diag in _translate(err, doc):
            key = (diag.loc, diag.message)
            if key not in seen:
                seen.add(key)
                yield diag


def _translate(err: jsonschema.ValidationError, doc: Document) -> Iterable[Diagnostic]:
    path: JsonPath = tuple(err.absolute_path)
    where = _where(path, doc)
    field = path[-1] if path and not isinstance(path[-1], int) else None
    kind = err.validator
    qtype = None
    if len(path) >= 2 and path[0] == "questions" and isinstance(doc.data["questions"][path[1]], dict):
        qtype = doc.data["questions"][path[1]].get("type")

    if kind == "additionalProperties":
        allowed = _properties_at(path, doc.data)
        extras = sorted(set(err.instance) - set(allowed))
        for extra in extras:
            yield Diagnostic(
                doc.key_loc(path + (extra,)),
                "E101",
                f"unknown field `{extra}` in {where}{_hint(extra, allowed) or stray_field_hint(extra)}",
            )
        return
    if kind == "required":
        missing = re.match(r"'([^']+)' is a required property", err.message)
        name = missing.group(1) if missing else err.message
        if name == "check" and len(path) == 2:
            yield Diagnostic(doc.loc(path + ("id",)), "K106", f"{where} has no `check`: add one that recomputes "
                             "the key (see \"The check block\" in the README), or `check: {manual: <why it cannot be "
                             "computed>}`")
            return
        needs = f" (a {qtype} question needs it)" if qtype and name in ("choices", "answer", "tolerance", "answers", "pairs") else ""
        if name == "tolerance":
            needs += "; write `tolerance: 0` for an exact answer"
        yield Diagnostic(doc.loc(path), "E102", f"missing required field `{name}` in {where}{needs}")
        return
    if kind == "type":
        got = type(err.instance).__name__.replace("str", "text").replace("NoneType", "nothing")
        quote = ""
        if isinstance(err.instance, (bool, int, float)) and "string" in (err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]):
            quote = "; YAML reads an unquoted yes, no, on, off, true, false or number as a value: quote the text ('no')"
        elif path and path[-1] == "check" and isinstance(err.instance, str):
            quote = ("; `check:` holds fields: `check: {manual: <why it cannot be computed>}`, or `quantity:`/`claim:` "
                     "(with `symbols:`) on the lines below it")
        yield Diagnostic(doc.loc(path), "E103", f"{where} must be {_type_name(err.validator_value)}, not {got}{quote}")
        return
    if kind == "enum":
        options = [str(o) for o in err.validator_value]
        yield Diagnostic(
            doc.loc(path),
            "E104",
            f"{where} is `{err.instance}`, which is not one of {', '.join(options)}{_hint(str(err.instance), options)}",
        )
        return
    if kind == "pattern":
        what = {
            "id": "an id is lower-case letters, digits, `.`, `_` and `-`, starting with a letter or digit (e.g. `chain-rule-1`)",
            "symbols": "a symbol is a name, optionally with a shape: `t`, `x[8]`, `W[3,8]`",
            "answer": "a parametrised answer is a number or `{{name}}`, naming a parameter or derived value",
        }.get(str(path[-2]) if len(path) >= 2 and isinstance(path[-1], int) else str(field), f"it must match {err.validator_value}")
        shown = repr(err.instance) if len(repr(err.instance)) <= 80 else repr(err.instance)[:77] + "…"
        yield Diagnostic(doc.loc(path), "E105", f"{where} = {shown} is not allowed: {what}")
        return
    if kind in ("contains", "minContains", "maxContains"):
        n = sum(1 for c in err.instance if isinstance(c, dict) and c.get("correct") is True)
        need = "exactly one choice" if qtype == "multiple_choice" else "at least one choice"
        yield Diagnostic(
            doc.loc(path),
            "E106",
            f"a {qtype} question needs {need} with `correct: true`; found {n}"
            + ("; use type multiple_answers for several correct options" if qtype == "multiple_choice" and n > 1 else ""),
        )
        return
    if kind == "minItems":
        yield Diagnostic(doc.loc(path), "E107", f"{where} needs at least {err.validator_value} item(s), has {len(err.instance)}")
        return
    if kind == "uniqueItems":
        yield Diagnostic(doc.loc(path), "E108", f"{where} lists the same item twice")
        return
    if kind in ("minimum", "exclusiveMinimum"):
        op = "≥" if kind == "minimum" else ">"
        yield Diagnostic(doc.loc(path), "E109", f"{where} must be {op} {err.validator_value}, is {err.instance}")
        return
    if kind == "minLength":
        need = err.validator_value
        if need <= 1:
            yield Diagnostic(doc.loc(path), "E110", f"{where} is empty; write it")
        else:  # `manual:` needs a reason a reviewer can read, not a placeholder
            yield Diagnostic(doc.loc(path), "E110", f"{where} is {len(err.instance)} character(s); it needs at least "
                             f"{need}" + (": say in a sentence why the item cannot be machine-checked"
                                          if field == "manual" else ""))
        return
    if kind == "maxLength":
        yield Diagnostic(doc.loc(path), "E111", f"{where} is longer than {err.validator_value} characters")
        return
    if kind == "not" and err.validator_value == {"required": ["value", "claim"]}:
        yield Diagnostic(doc.loc(path), "E113", f"{where} has both `value` and `claim`; keep one")
        return
    if kind == "not" and list(err.validator_value) == ["required"]:  # a field the type does not use
        unused = err.validator_value["required"][0]
        yield Diagnostic(
            doc.key_loc(path + (unused,)),
            "E112",
            f"`{unused}` is not used by a {qtype} question; remove it (or change `type`)",
        )
        return
    if kind == "anyOf" and err.validator_value == [{"required": ["text"]}, {"required": ["value"]}]:
        yield Diagnostic(doc.loc(path), "E102", f"missing required field `text` in {where} (or a `value` for qbank to write it from)")
        return
    if kind == "propertyNames":
        yield Diagnostic(doc.loc(path), "E105", f"{where}: a defined name is a letter followed by letters, digits or `_`")
        return
    if kind in ("if", "then", "else", "allOf"):
        return  # the specific sub-error is reported on its own
    yield Diagnostic(doc.loc(path), "E100", f"{where}: {err.message}")


# --- model building ----------------------------------------------------------------------


def _question(doc: Document, index: int, q: dict[str, Any]) -> Question:
    at: JsonPath = ("questions", index)
    loc = doc.loc(at + ("id",))

    def text_or_none(value: Any) -> str | None:
        return None if value is None else str(value)

    choices = _choices(doc, at, q)
    fb = q.get("feedback", {})
    check = _check(doc, at + ("check",), q["check"])
    parts = tuple(_part(doc, at + ("parts", i), p, check) for i, p in enumerate(q.get("parts", ())))
    points = float(q.get("points", 1))
    if parts and "points" not in q:
        points = float(sum(p.points for p in parts))  # Moodle's Cloze is worth its parts' sum
    return Question(
        id=q["id"],
        type=q["type"],
        text=q["text"],
        loc=loc,
        title=q.get("title"),
        points=points,
        points_loc=doc.loc(at + ("points",)) if "points" in q else None,
        choices=choices,
        answer=q.get("answer"),
        answer_loc=doc.loc(at + ("answer",)) if "answer" in q else None,
        tolerance=_tolerance(q),
        tolerance_percent=float(q["tolerance"][:-1]) if isinstance(q.get("tolerance"), str) else None,
        answers=tuple(
            Answer(a["text"], doc.loc(at + ("answers", i)), a.get("feedback"),
                   float(a["credit"]) if "credit" in a else None,
                   doc.loc(at + ("answers", i, "credit")) if "credit" in a else None)
            for i, a in enumerate(q.get("answers", ()))
        ),
        other_answers=tuple(
            OtherAnswer(
                answer=float(o["answer"]),
                tolerance=float(o["tolerance"]),
                loc=doc.loc(at + ("other_answers", i)),
                credit=float(o.get("credit", 0)),
                feedback=o.get("feedback"),
                value=doc.raw.get(at + ("other_answers", i, "value")) if "value" in o else None,
                value_loc=doc.text_loc(at + ("other_answers", i, "value")) if "value" in o else None,
                credit_loc=doc.loc(at + ("other_answers", i, "credit")) if "credit" in o else None,
            )
            for i, o in enumerate(q.get("other_answers", ()))
        ),
        shuffle=q.get("shuffle"),
        accept_losses=tuple(q.get("accept_losses", ())),
        pairs=tuple(
            Pair(p["left"], p["right"], doc.loc(at + ("pairs", i))) for i, p in enumerate(q.get("pairs", ()))
        ),
        distractors=tuple(q.get("distractors", ())),
        solution=text_or_none(q.get("solution")),
        feedback=Feedback(fb.get("correct"), fb.get("partial"), fb.get("incorrect")),
        tags=tuple(q.get("tags", ())),
        category=tuple(q.get("category", ())),
        check=check,
        parts=parts,
        skip=tuple((str(k), str(v)) for k, v in q.get("skip", {}).items()),
        parameters=_parameters(doc, at + ("parameters",), q["parameters"]) if "parameters" in q else None,
        digits=q.get("digits", doc.data.get("digits")),
        text_loc=doc.text_loc(at + ("text",)),
    )


def _tolerance(q: dict[str, Any]) -> float | None:
    """The absolute tolerance: as written, or `n%` of |answer| once the answer is a number
    (a parametrised answer gets its tolerance per variant, exporter.variants)."""
    written = q.get("tolerance")
    if written is None:
        return None
    if isinstance(written, str):
        answer = q.get("answer")
        if isinstance(answer, (int, float)) and not isinstance(answer, bool) and math.isfinite(answer):
            return relative_tolerance(answer, float(written[:-1]))
        return None
    return float(written)


def _choices(doc: Document, at: JsonPath, q: dict[str, Any]) -> tuple[Choice, ...]:
    return tuple(
        Choice(
            text=c.get("text", ""),
            correct=c["correct"],
            loc=doc.loc(at + ("choices", i)),
            text_loc=doc.text_loc(at + ("choices", i, "text")) if "text" in c else None,
            feedback=c.get("feedback"),
            value=doc.raw.get(at + ("choices", i, "value")) if "value" in c else None,
            claim=c.get("claim"),
            value_loc=doc.text_loc(at + ("choices", i, "value")) if "value" in c else None,
            claim_loc=doc.text_loc(at + ("choices", i, "claim")) if "claim" in c else None,
            correct_loc=doc.loc(at + ("choices", i, "correct")),
            means=" ".join(c["means"].split()).lower() if "means" in c else None,
            manual=c.get("manual"),
            credit=float(c["credit"]) if "credit" in c else None,
            credit_loc=doc.loc(at + ("choices", i, "credit")) if "credit" in c else None,
        )
        for i, c in enumerate(q.get("choices", ()))
    )


def _part(doc: Document, at: JsonPath, p: dict[str, Any], shared: Check) -> Part:
    """A cloze blank; its check is the question's shared definitions plus its own."""
    return Part(
        name=p["name"],
        type=p["type"],
        loc=doc.loc(at + ("name",)),
        points=int(p.get("points", 1)),
        answer=p.get("answer"),
        answer_loc=doc.loc(at + ("answer",)) if "answer" in p else None,
        tolerance=float(p["tolerance"]) if "tolerance" in p else None,
        answers=tuple(
            Answer(a["text"], doc.loc(at + ("answers", i)), a.get("feedback")) for i, a in enumerate(p.get("answers", ()))
        ),
        choices=_choices(doc, at, p),
        check=merged_check(shared, _check(doc, at + ("check",), p["check"])),
    )


MAX_RANGE_VALUES = 1000
_DECIMAL = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _literal(raw: str | None, value: Any) -> str | None:
    """A YAML number as exact plain-decimal text (`1e-3` → `0.001`); None if not finite.

    The source text is kept when it is a plain decimal, because the float YAML makes of
    `0.1` is not 0.1; only forms the check language cannot read are rewritten.
    """
    if isinstance(value, int):
        return str(value)
    text = raw if raw is not None and _DECIMAL.fullmatch(raw.strip()) else repr(value)
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    out = format(number, "f")
    return out[1:] if out.startswith("+") else out


def _parameters(doc: Document, at: JsonPath, p: dict[str, Any]) -> Parameters:
    """The values spelled out as literals (ranges expanded); problems are found by
    `_parameter_rules`, which reads the same document again."""
    values = []
    strings = []
    ranges = []
    for name, spec in p["values"].items():
        where = at + ("values", name)
        if isinstance(spec, list):
            if spec and all(isinstance(v, str) for v in spec):
                strings.append(name)
                values.append((name, tuple(spec), doc.loc(where)))
                continue
            literals: list[str | None] = [_literal(doc.raw.get(where + (i,)), v) if not isinstance(v, str) else None for i, v in enumerate(spec)]
        elif isinstance(spec.get("from"), str) or isinstance(spec.get("to"), str):
            bounds = [doc.raw.get(where + (k,), str(spec[k])) for k in ("from", "to", "step")]
            ranges.append((name, bounds[0], bounds[1], bounds[2], doc.loc(where)))
            continue
        else:
            literals = list(_range(doc, where, spec))
        values.append((name, tuple(x for x in literals if x is not None), doc.loc(where)))

    def raw(key: str, name: str, value: Any) -> str:
        return doc.raw.get(at + (key, name), str(value))

    derived = []
    selects = []
    for n, v in p.get("derived", {}).items():
        if isinstance(v, dict):
            ((by, cases),) = v.items()
            selects.append((n, by, tuple((str(k), raw_case(doc, at + ("derived", n, by, k), c)) for k, c in cases.items())))
            derived.append((n, "", doc.loc(at + ("derived", n))))
        else:
            derived.append((n, raw("derived", n, v), doc.loc(at + ("derived", n))))
    conditions = p.get("where", [])
    if isinstance(conditions, str):
        where_list: tuple[tuple[str, Loc], ...] = ((doc.raw.get(at + ("where",), conditions), doc.text_loc(at + ("where",))),)
    else:
        where_list = tuple((doc.raw.get(at + ("where", i), c), doc.text_loc(at + ("where", i))) for i, c in enumerate(conditions))
    return Parameters(
        loc=doc.key_loc(at),
        values=tuple(values),
        derived=tuple(derived),
        count=p.get("count"),
        count_loc=doc.loc(at + ("count",)) if "count" in p else None,
        strings=tuple(strings),
        ranges=tuple(ranges),
        selects=tuple(selects),
        where=where_list,
        digits=tuple((n, int(d)) for n, d in p.get("digits", {}).items()),
    )


def raw_case(doc: Document, at: JsonPath, value: Any) -> str:
    return doc.raw.get(at, str(value))


def _range(doc: Document, where: JsonPath, spec: dict[str, Any]) -> list[str]:
    """from, from + step, … ≤ to, in exact decimal arithmetic; [] when unusable."""
    parts = [_literal(doc.raw.get(where + (k,)), spec[k]) for k in ("from", "to", "step")]
    if None in parts:
        return []
    start, stop, step = (Decimal(x) for x in parts)  # type: ignore[arg-type]
    if step <= 0 or stop < start:
        return []
    n = int((stop - start) / step) + 1
    if n > MAX_RANGE_VALUES:
        return []
    return [decimal_text(start + k * step) for k in range(n)]


_SHAPED = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(?:\[([0-9, ]+)\])?$")


def _check(doc: Document, at: JsonPath, c: dict[str, Any]) -> Check:
    loc = doc.loc(at)
    if "manual" in c:
        return Check(loc=loc, manual=c["manual"])
    symbols = []
    assumptions = []
    declared = c.get("symbols", ())
    for s in declared:
        m = _SHAPED.match(s)
        assert m, s  # the schema's pattern guarantees it
        shape = tuple(int(n) for n in m.group(2).split(",")) if m.group(2) else ()
        symbols.append((m.group(1), shape))
        if isinstance(declared, dict) and declared[s] is not None:
            words = declared[s] if isinstance(declared[s], list) else [declared[s]]
            if words:
                assumptions.append((m.group(1), tuple(words)))

    def mapping(key: str) -> tuple[tuple[str, str, Loc], ...]:
        return tuple(
            (name, doc.raw.get(at + (key, name), str(value)), doc.text_loc(at + (key, name)))
            for name, value in c.get(key, {}).items()
        )

    return Check(
        loc=loc,
        symbols=tuple(symbols),
        assumptions=tuple(assumptions),
        functions=tuple(c.get("functions", ())),
        define=mapping("define"),
        given=mapping("given"),
        quantity=doc.raw.get(at + ("quantity",)) if "quantity" in c else None,
        quantity_loc=doc.text_loc(at + ("quantity",)) if "quantity" in c else None,
        claim=c.get("claim"),
        claim_loc=doc.text_loc(at + ("claim",)) if "claim" in c else None,
        display=tuple((str(k), str(v)) for k, v in c.get("display", {}).items()),
    )




def _parameter_rules(doc: Document, index: int, q: Question) -> Iterable[Diagnostic]:
    """What makes a parametrised question unusable, found before any variant is made."""
    at: JsonPath = ("questions", index)
    raw = doc.data["questions"][index]
    params = q.parameters
    if params is None:
        for fld in question_texts(q):
            for name in placeholder_names(fld.text):
                yield Diagnostic(doc.loc(at + fld.keys), "E209", f"`{q.id}`: {fld.label} refers to `{{{{{name}}}}}`, but the question has no "
                                 "`parameters:`; declare it there (if this is LaTeX, write `{ {" + name + "} }`)")
                break
        return
    spec = raw["parameters"]
    for name, value in spec["values"].items():
        where = at + ("parameters", "values", name)
        if isinstance(value, list):
            if any(isinstance(v, str) for v in value) and not all(isinstance(v, str) for v in value):
                yield Diagnostic(doc.loc(where), "E211", f"`{q.id}`: parameter `{name}` mixes numbers and text; "
                                 "give only numbers, or only texts (quote a number meant as text: \"10\")")
                continue
            for i, v in enumerate(value):
                if isinstance(v, float) and _literal(doc.raw.get(where + (i,)), v) is None:
                    yield Diagnostic(doc.loc(where + (i,)), "E205", f"`{q.id}`: parameter `{name}` has a value that is not a finite number")
        elif isinstance(value, dict) and (isinstance(value.get("from"), str) or isinstance(value.get("to"), str)):
            continue  # a dependent range: its bounds are computed per draw (exporter.variants)
        elif isinstance(value, dict):
            start, stop, step = (_literal(doc.raw.get(where + (k,)), value[k]) for k in ("from", "to", "step"))
            if None in (start, stop, step):
                yield Diagnostic(doc.loc(where), "E205", f"`{q.id}`: the range of `{name}` needs finite numbers")
            elif Decimal(stop) < Decimal(start):  # type: ignore[arg-type]
                yield Diagnostic(doc.loc(where), "E206", f"`{q.id}`: the range of `{name}` ends ({stop}) before it starts ({start})")
            elif (Decimal(stop) - Decimal(start)) / Decimal(step) >= MAX_RANGE_VALUES:  # type: ignore[arg-type]
                yield Diagnostic(doc.loc(where), "E206", f"`{q.id}`: the range of `{name}` has more than {MAX_RANGE_VALUES} "
                                 "values; use a larger step")
    declared = set(params.names)
    for name, _, loc in params.derived:
        if name in {n for n, _, _ in params.values}:
            yield Diagnostic(loc, "E207", f"`{q.id}`: `{name}` is both a parameter and a derived name")
    if q.check is not None and not q.check.is_manual:
        taken = {n for n, _ in q.check.symbols} | set(q.check.functions) | {n for n, _, _ in q.check.define}
        for name in params.names:
            if name in taken:
                yield Diagnostic(params.loc, "E207", f"`{q.id}`: parameter `{name}` is also declared in the check; "
                                 "a parameter stands for a number in every variant, so give it its own name")
    for what, text, loc in expression_fields(q):
        if "{{" in text:
            yield Diagnostic(loc, "E208", f"`{q.id}`: {what} uses `{{{{…}}}}`; in check expressions parameters are "
                             "plain names (write `s`, not `{{s}}`)")
    for fld in question_texts(q):
        what = fld.label
        for name in placeholder_names(fld.text):
            if name not in declared:
                loc = doc.loc(at + fld.keys)
                close = difflib.get_close_matches(name, sorted(declared), n=1)
                hint = f"; did you mean `{close[0]}`?" if close else " (if this is LaTeX, write `{ {" + name + "} }`)"
                yield Diagnostic(loc, "E209", f"`{q.id}`: {what} refers to `{{{{{name}}}}}`, which is not a parameter "
                                 f"or derived name{hint}")
    if isinstance(q.answer, str):
        names = placeholder_names(q.answer)
        if not names or names[0] not in declared:
            yield Diagnostic(q.answer_loc or q.loc, "E209", f"`{q.id}`: answer `{q.answer}` is not a parameter or derived name")
    yield from _string_parameter_rules(doc, at, q, params)
    total = params.combinations
    if total and params.count is not None and params.count > total and not params.ranges:
        yield Diagnostic(params.count_loc or params.loc, "E210", f"`{q.id}`: count {params.count} is more than the "
                         f"{total} combination(s) of the parameter values")


def _string_parameter_rules(doc: Document, at: JsonPath, q: Question, params: Parameters) -> Iterable[Diagnostic]:
    """Text-valued parameters: where they may stand, and the selections made with them."""
    texts = {n: vals for n, vals, _ in params.values if n in params.strings}
    for name, by, cases in params.selects:
        loc = doc.loc(at + ("parameters", "derived", name))
        if by not in texts:
            yield Diagnostic(loc, "E211", f"`{q.id}`: derived `{name}` selects by `{by}`, which is not a text parameter "
                             f"(text parameters: {', '.join(sorted(texts)) or 'none'})")
            continue
        missing = [v for v in texts[by] if v not in dict(cases)]
        if missing:
            yield Diagnostic(loc, "E211", f"`{q.id}`: derived `{name}` has no case for {by} = `{missing[0]}`; "
                             "give one expression for every value")
    names_only = {n for n, vals in texts.items() if all(IDENTIFIER_RE.fullmatch(v) for v in vals)}
    for what, text, loc in expression_fields(q):
        for name in texts.keys() - names_only:
            if re.search(rf"(?<![A-Za-z0-9_.]){re.escape(name)}(?![A-Za-z0-9_])", text):
                yield Diagnostic(loc, "E211", f"`{q.id}`: {what} uses the text parameter `{name}`, whose values are not "
                                 f"names; select an expression by it: `derived: {{x: {{{name}: {{…}}}}}}`")
    declared = set(params.names)
    for name, _ in params.digits:
        if name not in declared or name in texts:
            yield Diagnostic(doc.loc(at + ("parameters", "digits", name)), "E211",
                             f"`{q.id}`: `digits` names `{name}`, which is not a number parameter or derived name")


IDENTIFIER_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _number_rules(doc: Document, index: int, q: Question) -> Iterable[Diagnostic]:
    """`points`, `answer` and `tolerance` are finite: YAML's `.nan` and `.inf` are numbers to
    the schema, but no LMS can grade with them (and an infinite tolerance accepts anything)."""
    for name, value in (("points", q.points), ("answer", q.answer), ("tolerance", q.tolerance)):
        if isinstance(value, float) and not math.isfinite(value):
            yield Diagnostic(doc.loc(("questions", index, name)), "E215", f"`{q.id}`: {name} is {value}, not a finite "
                             "number; give a number such as 1 or 0.5")
    if q.parameters is not None and q.parameters.count is not None and q.parameters.count > MAX_VARIANTS:
        yield Diagnostic(q.parameters.count_loc or q.parameters.loc, "E216", f"`{q.id}`: count {q.parameters.count} is "
                         f"more than the {MAX_VARIANTS} variants a question may have (exporter.variants.MAX_VARIANTS); "
                         "each variant is checked and exported: a few dozen are plenty")


def _bank_rules(doc: Document, questions: list[Question]) -> Iterable[Diagnostic]:
    """Rules JSON Schema cannot state, within one file."""
    for q in questions:
        for where, message in credit.problems(q):
            yield Diagnostic(where, "E217", f"`{q.id}`: {message}")
        for i, code in enumerate(q.accept_losses):
            known = CODES.get(ALIASES.get(code, code))
            if known is None or known.severity != "warning" or known.stage not in LOSS_STAGES:
                what = ("no finding code" if known is None
                        else f"{'an' if known.severity == 'error' else 'a'} {known.severity} of the {known.stage} stage")
                yield Diagnostic(doc.loc(_question_path(doc, q) + ("accept_losses", i)), "E219",
                                 f"`{q.id}`: `accept_losses` lists {code}, which is {what}; only warnings about what "
                                 "a target cannot keep (W201, C2xx, M2xx, G2xx) can be accepted: remove it")
        if q.shuffle is not None and q.type not in ("multiple_choice", "multiple_answers", "matching"):
            yield Diagnostic(doc.loc(_question_path(doc, q) + ("shuffle",)), "E218",
                             f"`{q.id}`: `shuffle` is for choice and matching questions; a {q.type} question has no "
                             "options to shuffle: remove it")
        if q.type in ("multiple_choice", "multiple_answers"):
            seen: dict[str, str] = {}
            for i, c in enumerate(q.choices):
                key = " ".join(c.text.split())
                if not key:
                    continue  # left out: qbank writes it from the value (exporter.choice_texts)
                if key in seen:
                    yield Diagnostic(
                        c.loc,
                        "E202",
                        f"choice {choice_letter(i)} of `{q.id}` has the same text as choice {seen[key]}; "
                        "students could not tell them apart",
                    )
                else:
                    seen[key] = choice_letter(i)
        if q.type == "numerical" and isinstance(q.answer, bool):
            yield Diagnostic(q.answer_loc or q.loc, "E203", f"`{q.id}`: a numerical answer must be a number, not true/false")
        if q.check is not None and q.type != "cloze" and _checks_nothing(q):
            yield Diagnostic(
                q.check.loc,
                "E114",
                f"the check of `{q.id}` says nothing to check: give `quantity` (or `claim`, `define`, `given`)"
                + (", or a `claim` on every choice" if q.type in ("multiple_choice", "multiple_answers") else "")
                + ", or `manual: <reason>` if the item cannot be machine-checked",
            )
        if q.check and q.check.symbols:
            names = [n for n, _ in q.check.symbols]
            for name in q.check.functions:
                if name in names:
                    yield Diagnostic(q.check.loc, "E204", f"`{q.id}`: `{name}` is declared both as a symbol and a function")


def _question_path(doc: Document, q: Question) -> JsonPath:
    """The JSON path of question `q` in its file (found by its id's location)."""
    for i in range(len(doc.data.get("questions", ()))):
        if doc.loc(("questions", i, "id")) == q.loc:
            return ("questions", i)
    return ()


def _checks_nothing(q: Question) -> bool:
    """A non-manual check with nothing to compute. Symbols and a `claim` on every choice are
    enough for a choice question: each claim is decided on its own (the README's rule)."""
    c = q.check
    if c is None or c.is_manual or c.quantity is not None or c.claim is not None or c.define or c.given:
        return False
    return not (q.type in ("multiple_choice", "multiple_answers") and q.choices and all(ch.claim is not None for ch in q.choices))
