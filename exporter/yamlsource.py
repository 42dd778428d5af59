"""YAML → plain data, keeping where every node came from.

PyYAML's `safe_load` forgets positions and silently keeps the last of two equal keys, and
neither is acceptable here: every message must point at a line and column, and a duplicate
key in a bank is almost always a lost edit. So we compose the node graph (safe: composing
builds no Python objects from tags), check it, and convert it ourselves.

Scalars keep their source text alongside the typed value: check expressions must see
`0.1` as written, not as the binary float it would become.

A bank file is untrusted input, so the node graph is bounded before anything is built from
it: YAML aliases (`*name`) are refused — 547 bytes of nested aliases expand to gigabytes, and
`&a [*a]` is a list that contains itself — and so is nesting deeper than MAX_NESTING (a bank
needs about ten levels; five hundred would only exhaust Python's stack). Both are located
E006 errors and the file is not loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import texcommands
from .diagnostics import Diagnostic
from .yamlhints import syntax_hint
from .model import Loc

# libyaml is several times faster and keeps the same marks; fall back when it is absent.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_constructor = yaml.constructor.SafeConstructor()
_STR_TAG = "tag:yaml.org,2002:str"

_INT_TAG = "tag:yaml.org,2002:int"

MAX_NUMBER_DIGITS = 100
"""Longest integer accepted in a bank or quiz file. Python refuses to convert more than
4,300 digits (and a huge `points` would overflow a float); a check expression's own
literals stop at 60 digits (exporter.expr)."""

MAX_NESTING = 40
"""Deepest nesting of mappings and lists accepted in a bank or quiz file (a bank uses ~8)."""

JsonPath = tuple[str | int, ...]


@dataclass
class Document:
    """A parsed bank file: its data plus the locations of values, keys and raw scalars."""

    path: str
    data: Any
    value_locs: dict[JsonPath, Loc] = field(default_factory=dict)
    key_locs: dict[JsonPath, Loc] = field(default_factory=dict)
    raw: dict[JsonPath, str] = field(default_factory=dict)
    damaged: set[JsonPath] = field(default_factory=set)
    """Texts a YAML escape or a control character damaged (E007/E008): nothing more is said of them."""
    text_locs: dict[JsonPath, Loc] = field(default_factory=dict)
    """Where a quoted scalar's text starts (one past the quote), for exact columns inside
    check expressions; plain scalars start at their node."""

    def loc(self, path: JsonPath) -> Loc:
        """The closest known location for a JSON path (a missing field points at its parent)."""
        while path not in self.value_locs and path:
            path = path[:-1]
        return self.value_locs.get(path, Loc(self.path, 1, 1))

    def text_loc(self, path: JsonPath) -> Loc:
        return self.text_locs.get(path) or self.loc(path)

    def key_loc(self, path: JsonPath) -> Loc:
        return self.key_locs.get(path) or self.loc(path)


def _mark_loc(path: str, mark: yaml.Mark) -> Loc:
    return Loc(path, mark.line + 1, mark.column + 1)


def decode(path: str, raw: bytes) -> tuple[str | None, list[Diagnostic]]:
    """UTF-8 text or a located error; a BOM is accepted since Windows editors write one."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, [
            Diagnostic(
                Loc(path, line, col),
                "E002",
                f"file is not UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
            )
        ]
    return text, []


def tab_indents(path: str, text: str) -> list[Diagnostic]:
    """YAML forbids tabs in indentation; PyYAML's own message for it is cryptic."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and line.strip():
            found.append(
                Diagnostic(
                    Loc(path, number, indent.index("\t") + 1),
                    "E004",
                    "tab in indentation; YAML indents with spaces only: replace the tab",
                )
            )
    return found


def parse(path: str, text: str) -> tuple[Document | None, list[Diagnostic]]:
    """Compose and convert one YAML document, collecting duplicate keys as errors."""
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        return None, [Diagnostic(Loc(path, 1, 1), "E003", "file is empty; a bank needs `title` and `questions`")]
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = _mark_loc(path, mark) if mark else Loc(path, 1, 1)
        what = exc.problem or "invalid YAML"
        hint = f" ({exc.context})" if exc.context else ""
        lines = text.splitlines()
        advice = syntax_hint(lines[loc.line - 1] if 0 < loc.line <= len(lines) else "", loc.col, what, exc.context or "")
        return None, [Diagnostic(loc, "E001", f"YAML syntax error: {what}{hint}" + (f"; {advice}" if advice else ""))]
    except yaml.reader.ReaderError as exc:  # a raw control character (NUL, …) anywhere in the file
        return None, [Diagnostic(_offset_loc(path, text, exc.position), "E001", f"the file holds the control "
                                 f"character U+{exc.character if isinstance(exc.character, int) else ord(exc.character):04X}, "
                                 "which YAML does not allow: delete it (an editor or a copy from a PDF may have put it there)")]
    except yaml.YAMLError as exc:  # e.g. a second document, or an unreadable stream
        return None, [Diagnostic(Loc(path, 1, 1), "E001", f"YAML error: {' '.join(str(exc).split())}")]
    except RecursionError:  # only without libyaml, whose parser has its own depth limit
        return None, [Diagnostic(Loc(path, 1, 1), "E006", f"the file is nested too deeply (more than {MAX_NESTING} levels)")]
    if node is None:
        return None, [Diagnostic(Loc(path, 1, 1), "E003", "file is empty; a bank needs `title` and `questions`")]
    if "&" in text and _MAYBE_ANCHOR.search(text):  # no anchor, no alias: skip the walk (most banks)
        shape = _shape_problem(path, text, node)
        if shape is not None:
            return None, [shape]
    doc = Document(path, None)
    problems: list[Diagnostic] = []
    try:
        doc.data = _convert(node, (), doc, problems, text)
    except _TooDeep as exc:
        return None, [exc.diagnostic]
    return doc, problems


_MAYBE_ANCHOR = re.compile(r"(?<![^\s\[{,])&[^\s,\[\]{}]")  # starts with a literal `&`: a fast scan
"""Where an anchor (`&name`) could start: after a space, a line start or a flow indicator.
A prefilter only — it also matches `&amp;` in a text — so the exact walk runs when it hits."""


class _TooDeep(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _too_deep(path: str, node: yaml.Node) -> Diagnostic:
    return Diagnostic(_mark_loc(path, node.start_mark), "E006", f"nested more than {MAX_NESTING} levels deep; a bank "
                      "needs a handful of levels: flatten this value")


def _offset_loc(path: str, text: str, offset: int) -> Loc:
    """The line and column of a character offset into the text (1-based, like marks)."""
    before = text[: max(0, offset)]
    return Loc(path, before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


def _shape_problem(path: str, text: str, root: yaml.Node) -> Diagnostic | None:
    """An alias or too deep a nesting in the composed graph, before anything is built.

    Composing is safe (an alias is one node reached twice, not a copy); expanding is what
    explodes, so the graph is walked once, each node at most once, without recursion.
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            return Diagnostic(_alias_loc(path, text, node), "E006", "YAML aliases (`*name`) are not allowed in bank "
                              "and quiz files (a few aliases can expand into gigabytes): write the value out")
        seen.add(id(node))
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if depth > MAX_NESTING:
                return _too_deep(path, node)
            children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
            stack.extend((child, depth + 1) for child in reversed(children))
    return None


def _alias_loc(path: str, text: str, node: yaml.Node) -> Loc:
    """Where the first alias is written (the node itself only knows where its anchor is)."""
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                return _mark_loc(path, event.start_mark)
    except yaml.YAMLError:  # pragma: no cover - the text composed a moment ago
        pass
    return _mark_loc(path, node.start_mark)


_BAD_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def read(file: Path, raw: bytes | None = None) -> tuple[Document | None, list[Diagnostic]]:
    """A YAML file from disk, through every check of this module (bank and quiz files alike).
    `raw`: the file's bytes when the caller already read them (the load cache hashes the
    very bytes that are parsed, so a save in between cannot pair one version's hash with
    the other's model)."""
    path = file.as_posix()
    if _BAD_NAME.search(path):
        # The name travels into every output's name, the lock, the reports and the LMS: a
        # name that is not UTF-8 (decoded with surrogates) or holds a control character
        # would break each of them, or forge a line of a CI log.
        return None, [Diagnostic(Loc(path, 1, 1), "E009", "the file name is not UTF-8 or holds a control character "
                                 "(shown escaped); rename the file")]
    try:
        raw = file.read_bytes() if raw is None else raw
    except OSError as exc:
        return None, [Diagnostic(Loc(path, 1, 1), "E000", f"cannot read file: {exc.strerror}")]
    text, problems = decode(path, raw)
    if text is None:
        return None, problems
    problems = tab_indents(path, text)
    doc, found = parse(path, text)
    return doc, problems + found


# Double-quoted YAML turns these backslash pairs into control characters (or line breaks),
# and each begins some LaTeX command: "\\theta" is a tab and "heta". (`\\x`, `\\u` and
# `\\U` are escapes too, but `\\xi`/`\\upsilon` are not valid ones, so YAML reports them.)
_EATEN = {"a": "a bell", "b": "a backspace", "t": "a tab", "n": "a line break", "v": "a vertical tab",
          "f": "a form feed", "r": "a carriage return", "e": "an escape character", "N": "a next-line",
          "L": "a line separator", "P": "a paragraph separator"}
_ESCAPE = re.compile(r"\\(.)([A-Za-z]*)", re.S)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _eaten_latex(node: yaml.ScalarNode, doc: Document, source: str) -> Diagnostic | None:
    """A double-quoted scalar whose escape swallowed the start of a LaTeX command.

    YAML gives no warning: `"$\\frac12$"` quietly becomes a form feed and `rac12`, which
    either breaks the math students see or crashes an XML writer. Only an escape followed
    by letters that make a command MathJax knows counts, so `"a\\nb"` stays a line break.
    """
    raw = source[node.start_mark.index : node.end_mark.index]
    for m in _ESCAPE.finditer(raw):
        letter, rest = m.group(1), m.group(2)
        if letter not in _EATEN or letter + rest not in texcommands.commands():
            continue
        before = raw[: m.start()]
        line = node.start_mark.line + before.count("\n")
        col = (m.start() - before.rfind("\n")) if "\n" in before else node.start_mark.column + m.start() + 1
        command = "\\" + letter + rest
        return Diagnostic(
            Loc(doc.path, line + 1, col),
            "E007",
            f"`\\{letter}` in a double-quoted YAML string is {_EATEN[letter]}, so `{command}` would reach "
            f"students as {_EATEN[letter]} and `{rest}`: write this text in single quotes ('…', backslashes "
            "are kept) or as a `|` block",
        )
    return None


def _control_character(text: str, loc: Loc) -> Diagnostic | None:
    """Control characters cannot be written to XML and mean nothing to a student."""
    m = _CONTROL.search(text)
    if m is None:
        return None
    return Diagnostic(
        loc,
        "E008",
        f"text holds the control character U+{ord(m.group()):04X} (character {m.start() + 1}); "
        "remove it (in double quotes, a backslash escape such as `\\t` or `\\f` makes one: use single quotes)",
    )


def _convert(node: yaml.Node, at: JsonPath, doc: Document, problems: list[Diagnostic], source: str = "") -> Any:
    doc.value_locs[at] = _mark_loc(doc.path, node.start_mark)
    if len(at) >= MAX_NESTING and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        raise _TooDeep(_too_deep(doc.path, node))  # before recursing any deeper
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_loc = _mark_loc(doc.path, key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Diagnostic(key_loc, "E006", "mapping keys must be plain text"))
                continue
            key = key_node.value
            if key == "<<":
                problems.append(Diagnostic(key_loc, "E006", "YAML merge keys (`<<`) are not supported; write the fields out"))
                continue
            if key in out:
                first = doc.key_locs[at + (key,)]
                problems.append(
                    Diagnostic(
                        key_loc,
                        "E005",
                        f"duplicate key `{key}` (first at line {first.line}); YAML would silently keep "
                        "only this one: merge or delete one of them",
                    )
                )
                continue
            doc.key_locs[at + (key,)] = key_loc
            out[key] = _convert(value_node, at + (key,), doc, problems, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, at + (i,), doc, problems, source) for i, item in enumerate(node.value)]
    doc.raw[at] = node.value
    if node.style in ("'", '"'):
        start = doc.value_locs[at]
        doc.text_locs[at] = Loc(start.path, start.line, start.col + 1)
    elif node.style in ("|", ">") and source:
        # a block's text starts on the line after its `|`, at that line's indentation
        first = source.find("\n", node.start_mark.index) + 1
        if 0 < first < node.end_mark.index:
            line = source[first : source.find("\n", first) if "\n" in source[first:] else len(source)]
            indent = len(line) - len(line.lstrip(" "))
            doc.text_locs[at] = Loc(doc.path, node.start_mark.line + 2, indent + 1)
    if node.tag == _STR_TAG:  # most scalars of a bank are text: nothing to construct
        found = _eaten_latex(node, doc, source) if node.style == '"' and source else None
        found = found or _control_character(node.value, doc.value_locs[at])
        if found is not None:
            problems.append(found)
            doc.damaged.add(at)
        return node.value
    if node.tag == _INT_TAG and sum(ch.isdigit() for ch in node.value) > MAX_NUMBER_DIGITS:
        problems.append(Diagnostic(doc.value_locs[at], "E006", f"a number of more than {MAX_NUMBER_DIGITS} digits; "
                                   "no field of a bank needs one: write a smaller number"))
        return 0
    try:
        return _constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        problems.append(Diagnostic(doc.value_locs[at], "E006", f"cannot read this value: {exc.problem}"))
        return node.value
    finally:
        # The constructor memoises every node it sees; as a module-level object it would
        # keep every scalar node of every file (with its marks) alive for the whole run.
        _constructor.constructed_objects.clear()
        _constructor.recursive_objects.clear()
