"""LaTeX → MathML for the HTML preview, and the check that every math span of a bank converts.

Why MathML made in Python (latex2mathml) rather than MathJax or KaTeX running in the page:
the preview must work offline, with no CDN and no script, and a span that cannot be drawn
must be a located finding of `qbank check` — found by the same code that draws it, not by
a reviewer spotting a red box. Browsers draw MathML Core natively (Chromium ≥ 109, Firefox,
Safari), so the page needs nothing but its own HTML; screen readers read MathML too.

What counts as "cannot render" (README, "Preview", codes P101/P201), for spans the MathJax
lint (exporter.mathlint, T1xx/T2xx) passes — what MathJax cannot draw either is its finding:

- P101 (error): the LaTeX does not parse — latex2mathml raises (a missing argument: `\\sqrt`
  alone, `x^`), or its braces do not balance. MathJax in Canvas/Moodle fails on these too.
- P201 (warning): it parses, but uses a command or environment the converter does not know
  (it would come out as the literal text `\\bbox`). The LMS's MathJax draws it, so this does
  not stop a build; the preview shows the span as its source, marked.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

import xml.etree.ElementTree as ET

from .diagnostics import Diagnostic
from .model import Bank, Loc
from .text import math_spans

E_MATH = "P101"
W_MATH = "P201"

_BEGIN = re.compile(r"\\begin\s*\{\s*([^{}\s]*)\s*\}")
_COMMAND_TEXT = re.compile(r"^\\[A-Za-z]+\*?$")


@dataclass(frozen=True)
class MathProblem:
    """Why a span cannot be drawn: its finding code and a message for the author."""

    code: str
    message: str


class MathError(Exception):
    def __init__(self, problem: MathProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _braces_balance(latex: str) -> bool:
    depth = 0
    i = 0
    while i < len(latex):
        ch = latex[i]
        if ch == "\\":
            i += 2  # `\{`, `\}`, `\\`: escaped, not grouping
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
        i += 1
    return depth == 0


@lru_cache(maxsize=16384)
def convert(latex: str, display: bool) -> str:
    """The span as a `<math>` element (serialised, no namespace declaration: the HTML
    parser puts `<math>` in the MathML namespace itself), with its LaTeX kept as a TeX
    annotation (what screen readers and copy-paste can fall back on).

    Raises MathError when the span cannot be drawn. Cached: a bank repeats its spans
    (`\\frac{dy}{dt}`, `\\sigma(z)`) far more than it varies them.

    latex2mathml's own `convert` is not used: it un-escapes its *serialised* output, so
    `\\text{<b>}` comes out as a raw `<b>` tag — markup injected by bank text. Its element
    tree is taken instead, each text un-escaped on its own (the converter writes symbols as
    character references), and serialised here, so every `<` and `&` is escaped.
    """
    from latex2mathml.converter import convert_to_element  # imported only when math is drawn

    tex = latex.strip()
    if not _braces_balance(tex):
        raise MathError(MathProblem(E_MATH, "its braces `{` `}` do not balance"))
    for env in _BEGIN.findall(tex):
        if not _known_environment(env):
            raise MathError(MathProblem(W_MATH, f"the environment `{env}` is not one the preview can draw"))
    try:
        root = convert_to_element(tex, display="block" if display else "inline")
    except Exception as exc:  # noqa: BLE001 - latex2mathml's errors have no common base
        reason = str(exc) or _words(type(exc).__name__)
        raise MathError(MathProblem(E_MATH, f"it does not parse ({reason})")) from None
    root.attrib.pop("xmlns", None)
    for el in root.iter():
        if el.text:
            el.text = html.unescape(el.text)
            if el.tag in ("mi", "mo", "mtext") and _COMMAND_TEXT.match(el.text):
                raise MathError(MathProblem(W_MATH, f"the command `{el.text}` is not one the preview can draw"))
        if el.tail:
            el.tail = html.unescape(el.tail)
        for key, value in el.attrib.items():
            el.attrib[key] = html.unescape(value)
    children = list(root)
    for child in children:
        root.remove(child)
    semantics = ET.SubElement(root, "semantics")
    if len(children) == 1:
        semantics.append(children[0])
    else:
        ET.SubElement(semantics, "mrow").extend(children)
    ET.SubElement(semantics, "annotation", encoding="application/x-tex").text = tex
    return ET.tostring(root, encoding="unicode")


def _known_environment(name: str) -> bool:
    from latex2mathml.commands import MATRICES

    return "\\" + name in MATRICES


def _words(camel: str) -> str:
    """`MissingSuperScriptOrSubscriptError` → `missing super script or subscript`."""
    words = re.findall(r"[A-Z][a-z]*", camel.removesuffix("Error"))
    return " ".join(w.lower() for w in words)


def problem(latex: str, display: bool = False) -> MathProblem | None:
    try:
        convert(latex, display)
    except MathError as exc:
        return exc.problem
    return None


def render(latex: str, display: bool) -> str:
    """The shared text layer's math renderer for the preview: MathML, or — for a span the
    check has already reported — its source in a marked `<code>`, never a broken page."""
    try:
        return convert(latex, display)
    except MathError as exc:
        cls = "math-error" if exc.problem.code == E_MATH else "math-unknown"
        title = html.escape(exc.problem.message)
        return f'<code class="{cls}" title="{title}">{html.escape(latex.strip(), quote=False)}</code>'


def check_bank(bank: Bank) -> list[Diagnostic]:
    """`qbank check`'s findings about math the preview cannot draw (P101, P201), one per
    span and place (the variants of a parametrised question repeat its text), for spans the
    MathJax lint (exporter.mathlint) passes: a span it reports is not reported twice."""
    # The figure checker's list of a bank's Markdown fields and its YAML locator: the same
    # fields the writers render, located the same way (exact when a span is on one line).
    from .figures import _Source, markdown_fields
    from .mathlint import lint

    found: dict[tuple[Loc, str], Diagnostic] = {}
    source: _Source | None | bool = False
    for fld in markdown_fields(bank):
        cursor = 0
        for latex, display in math_spans(fld.text):
            issue = problem(latex, display)
            if issue is None or next(lint(latex), None) is not None:
                continue  # what MathJax cannot draw either is the math lint's finding (T1xx/T2xx): one per cause
            if source is False:
                source = _Source.read(bank.path)
            loc = fld.loc
            node = source.node(fld) if isinstance(source, _Source) else None
            if isinstance(source, _Source) and node is not None:
                loc, cursor = _locate(source, node, latex, cursor)
            question = fld.question.id if fld.question else None
            found.setdefault((loc, latex), _finding(loc, latex, fld.label, question, issue))
    return sorted(found.values(), key=lambda d: (d.loc.line, d.loc.col, d.code, d.message))


def _finding(loc: Loc, latex: str, label: str, question: str | None, issue: MathProblem) -> Diagnostic:
    where = f"in `{question}` {label}" if question else f"in the bank {label}"
    shown = " ".join(latex.split())
    if len(shown) > 60:
        shown = shown[:59] + "…"
    message = f"math `{shown}` {where}: {issue.message}; the preview cannot render this span"
    return Diagnostic(loc, issue.code, message, question=question)


def _locate(source, node, latex: str, cursor: int) -> tuple[Loc, int]:  # noqa: ANN001 - figures' YAML locator
    """The span's first character in the field's source (as written in a plain or block
    scalar, or with doubled backslashes in a double-quoted one); else the field's start."""
    start, end = source._offset(node.start_mark), source._offset(node.end_mark)
    region = source.text[start:end]
    tex = latex.strip()
    for written in dict.fromkeys((tex, tex.replace("\\", "\\\\"))):
        at = region.find(written, cursor)
        if at >= 0:
            return source._loc(start + at), at + len(written)
    return source._loc(start), cursor

