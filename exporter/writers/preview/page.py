"""One preview page: a bank or quiz as students see it, with the key, feedback, solution and
check status behind native `<details>` controls.

Built as an lxml tree (never by string concatenation) and serialised as HTML5. Bank text
comes through the shared text layer (exporter.text, math style "mathml"); its fragments
are XHTML-style (markdown-it's output) and are parsed into the tree, so escaping is lxml's
business. Why `<details>`: it is keyboard-operable (Enter/Space on its `<summary>`), read
by screen readers as a disclosure, and needs no script; the page's only script is an
optional "reveal all" convenience.
"""

from __future__ import annotations

import re
from importlib import resources
from dataclasses import dataclass, field
from typing import Callable, Iterable

from lxml import etree
from lxml import html as lhtml

from ...diagnostics import Diagnostic
from ...figures import Figure, Figures
from ...model import CHOICE_TYPES, Bank, Group, Loc, Question, choice_letter, part_question
from ...text import decimal_text, to_html
from .status import Status, Statuses

TYPE_NAMES = {
    "multiple_choice": "multiple choice",
    "multiple_answers": "multiple answers",
    "true_false": "true / false",
    "numerical": "numerical",
    "short_answer": "short answer",
    "essay": "essay",
    "matching": "matching",
    "cloze": "cloze (fill in the blanks)",
}
STATUS_TEXT = {
    "verified": "Machine-verified",
    "manual": "Checked by hand",
    "failing": "Failing",
    "unchecked": "Not checked",
}
STATUS_ICON = {"verified": "✓", "manual": "✎", "failing": "✗", "unchecked": "?"}

_MATH = re.compile(r"(\$\$.+?\$\$|\$[^$]+\$)", re.S)
_PUNCT = re.compile(r"[!-/:-@\[-`{-~]")

FigureSink = Callable[[Figure], str]
"""A figure used on a page → its src from that page (the site keeps the file)."""


# ------------------------------------------------------------------------------- tree helpers


def el(parent: etree._Element | None, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    """An element (a child of `parent` if given); `class_` is written `class`."""
    attrib = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items() if v is not None}
    node = etree.Element(tag, attrib) if parent is None else etree.SubElement(parent, tag, attrib)
    if text is not None:
        node.text = text
    return node


def add_text(parent: etree._Element, text: str) -> None:
    """Append text after whatever `parent` already holds."""
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def add_fragment(parent: etree._Element, markup: str) -> None:
    """Append an HTML fragment from the text layer (markdown-it writes XHTML-style tags, and
    the math renderer well-formed MathML), parsed as XML; the HTML parser is the fallback."""
    try:
        wrapper = etree.fromstring(f"<div>{markup}</div>")
        lead, children = wrapper.text, list(wrapper)
    except etree.XMLSyntaxError:
        nodes = lhtml.fragments_fromstring(markup) if markup.strip() else []
        lead = nodes.pop(0) if nodes and isinstance(nodes[0], str) else None
        children = nodes
    if lead:
        add_text(parent, lead)
    for child in children:
        parent.append(child)  # its tail (the text after it) moves with it


def inline_fragment(parent: etree._Element, markup: str) -> None:
    """A one-paragraph fragment without its `<p>` (a choice text inside a sentence)."""
    if markup.startswith("<p>") and markup.endswith("</p>") and markup.count("<p>") == 1:
        markup = markup[3:-4]
    add_fragment(parent, markup)


def points_text(points: float) -> str:
    text = decimal_text(points)
    return f"{text} point" + ("" if text == "1" else "s")


def html_document(title: str) -> tuple[etree._Element, etree._Element]:
    """`<html lang>` and its `<head>` with charset, viewport and title: every page's start."""
    doc = el(None, "html", lang="en")
    head = el(doc, "head")
    el(head, "meta", charset="utf-8")
    el(head, "meta", name="viewport", content="width=device-width, initial-scale=1")
    el(head, "title", title)
    return doc, head


def title_text(parent: etree._Element, title: str) -> None:
    """A title (plain text in every LMS) with its `$…$` math drawn: titles such as
    "Quantile $t_{0.975,9}$" are common. Only math is interpreted; the rest stays text."""
    if "$" not in title:
        add_text(parent, title)
        return
    parts = _MATH.split(title)  # Markdown escapes (`\\*`) outside math only: a title is not Markdown
    rendered = to_html("".join(p if i % 2 else _PUNCT.sub(r"\\\g<0>", p) for i, p in enumerate(parts)), "mathml")
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        add_fragment(parent, rendered[3:-4])
    else:
        add_text(parent, title)


def serialise(doc: etree._Element) -> bytes:
    return lhtml.tostring(doc, doctype="<!DOCTYPE html>", encoding="utf-8", method="html") + b"\n"


# ------------------------------------------------------------------------------- the page


@dataclass
class PageWriter:
    """Writes one bank's or quiz's page. `figure_src` keeps a figure's file for the site and
    says how this page links to it; the statuses come from the run's check."""

    bank: Bank
    statuses: Statuses
    report: Callable[[Diagnostic], None]
    figure_src: FigureSink
    quiz: bool = False
    root: str = "../"
    standalone: bool = False
    """One file on its own: stylesheet and script inlined (figures: whatever figure_src says)."""
    figures: Figures = field(init=False)

    def __post_init__(self) -> None:
        self.figures = Figures(self.bank, self.report)

    # -- text

    def md(self, parent: etree._Element, markdown: str | None, loc: Loc, *, inline: bool = False) -> None:
        if not markdown:
            return

        def image(src: str, alt: str) -> str | None:
            figure = self.figures.use(src, loc)
            return None if figure is None else self.figure_src(figure)

        markup = to_html(markdown, "mathml", images=image)
        (inline_fragment if inline else add_fragment)(parent, markup)

    # -- document

    def document(self) -> bytes:
        bank = self.bank
        kind = "Quiz" if self.quiz else "Bank"
        doc, head = html_document(f"{bank.title} — qbank preview")
        if self.standalone:
            el(head, "style", asset("preview.css"))
        else:
            el(head, "link", rel="stylesheet", href=f"{self.root}assets/preview.css")
            el(head, "script", "", src=f"{self.root}assets/preview.js", defer="defer")
        body = el(doc, "body")
        el(body, "a", "Skip to the questions", href="#questions", class_="skip")
        top = el(body, "header", class_="page-head")
        if not self.standalone:
            nav = el(top, "nav", aria_label="Site")
            el(nav, "a", "← All banks and quizzes", href=f"{self.root}index.html")
        el(top, "p", f"{kind} · {bank.path}", class_="kicker")
        title_text(el(top, "h1"), bank.title)
        if bank.description:
            desc = el(top, "div", class_="description")
            self.md(desc, bank.description, Loc(bank.path, 1, 1))
        self.summary(top)
        self.controls(top)
        self.file_findings(top)
        self.contents(body)
        main = el(body, "main", id="questions")
        number = 0
        for item in self.items():
            number += 1
            if isinstance(item, Group):
                self.group(main, item, number)
            else:
                self.question(main, item, f"{number}.", level=2)
        if self.standalone:
            el(body, "script", asset("preview.js"))
        return serialise(doc)

    def items(self) -> list[Question | Group]:
        """Questions in bank order; a group (variants of one question, or a quiz's "pick N")
        where its first member is."""
        by_id = {q.id: q for q in self.bank.questions}
        group_of = {qid: g for g in self.bank.groups for qid in g.question_ids if qid in by_id}
        out: list[Question | Group] = []
        seen: set[str] = set()
        for q in self.bank.questions:
            g = group_of.get(q.id)
            if g is None:
                out.append(q)
            elif g.name not in seen:
                seen.add(g.name)
                out.append(g)
        return out

    def summary(self, parent: etree._Element) -> None:
        counts = {k: 0 for k in STATUS_TEXT}
        for q in self.bank.questions:
            counts[self.statuses.of(q).kind] += 1
        total = len(self.bank.questions)
        p = el(parent, "p", class_="summary")
        add_text(p, f"{total} question{'s' if total != 1 else ''}: ")
        parts = [(k, n) for k, n in counts.items() if n]
        for i, (kind, n) in enumerate(parts):
            el(p, "span", f"{STATUS_ICON[kind]} {n} {STATUS_TEXT[kind].lower()}", class_=f"badge {kind}")
            if i + 1 < len(parts):
                add_text(p, " ")

    def controls(self, parent: etree._Element) -> None:
        """Printing: questions only, or with answers and solutions (a checkbox the print
        stylesheet reads with `:has()`, so it works without script)."""
        form = el(parent, "form", class_="controls", aria_label="Reveal and print options")
        label = el(form, "label")
        el(label, "input", type="checkbox", id="print-solutions", name="print-solutions")
        add_text(label, " Print with answers and solutions")
        el(form, "button", "Reveal all", type="button", class_="reveal-all", hidden="hidden")
        el(form, "button", "Hide all", type="button", class_="hide-all", hidden="hidden")

    def file_findings(self, parent: etree._Element) -> None:
        found = self.statuses.by_file.get(self.bank.path, [])
        if found:
            box = el(parent, "section", class_="findings file", aria_label="Findings about this file")
            el(box, "h2", "Findings about this file")
            self.finding_list(box, found)

    def contents(self, body: etree._Element) -> None:
        nav = el(body, "nav", class_="toc", aria_label="Questions")
        details = el(nav, "details")
        el(details, "summary", "Contents")
        ol = el(details, "ol")
        for item in self.items():
            li = el(ol, "li")
            if isinstance(item, Group):
                el(li, "a", item.name, href=f"#{anchor('g', item.name)}")
            else:
                title_text(el(li, "a", href=f"#{anchor('q', item.id)}"), item.display_title)
                status = self.statuses.of(item)
                el(li, "span", f" {STATUS_ICON[status.kind]}", class_=f"mini {status.kind}", title=STATUS_TEXT[status.kind])

    # -- groups and variants

    def group(self, main: etree._Element, group: Group, number: int) -> None:
        by_id = {q.id: q for q in self.bank.questions}
        members = [by_id[qid] for qid in group.question_ids if qid in by_id]
        variants = bool(members) and all(q.variant_of == members[0].variant_of and q.variant_of for q in members)
        sec = el(main, "section", class_="group variants" if variants else "group", id=anchor("g", group.name))
        head = el(sec, "h2")
        add_text(head, f"{number}. ")
        if variants:
            title = re.sub(r" \(v\d+\)$", "", members[0].display_title)  # the template's title
            title_text(head, title)
            add_text(head, f" — {len(members)} variants")
            p = el(sec, "p", class_="group-note")
            add_text(p, "Parametrised question ")
            el(p, "code", group.name)
            add_text(p, f": each student gets one of these variants (pick {group.pick}). Drawn values are shown on each.")
        else:
            add_text(head, f"Group: {group.name}")
            each = f", {points_text(group.points)} each" if group.points is not None else ""
            el(sec, "p", f"Each student gets {group.pick} of these {len(members)} questions{each}.", class_="group-note")
        grid = el(sec, "div", class_="variant-grid" if variants else "group-list")
        for i, q in enumerate(members, start=1):
            label = f"{number}.{i}"
            self.question(grid, q, label, level=3)

    # -- one question

    def question(self, parent: etree._Element, q: Question, number: str, *, level: int) -> None:
        status = self.statuses.of(q)
        art = el(parent, "article", class_=f"question {status.kind}", id=anchor("q", q.id), data_qid=q.id)
        art.set("aria-labelledby", anchor("h", q.id))
        head = el(art, "header")
        h = el(head, f"h{level}", id=anchor("h", q.id))
        el(h, "span", number, class_="qnum")
        add_text(h, " ")
        title_text(h, q.display_title)
        meta = el(head, "dl", class_="meta")
        for term, value in (("id", q.id), ("type", TYPE_NAMES.get(q.type, q.type)), ("points", decimal_text(q.points))):
            el(meta, "dt", term)
            dd = el(meta, "dd")
            (el(dd, "code", value) if term == "id" else add_text(dd, value))
        if q.tags:
            el(meta, "dt", "tags")
            dd = el(meta, "dd")
            ul = el(dd, "ul", class_="tags")
            for tag in q.tags:
                el(ul, "li", tag)
        if q.variant_values:
            drawn = el(art, "dl", class_="drawn", aria_label="Drawn values")
            for name, value in q.variant_values:
                el(drawn, "dt", name)
                el(drawn, "dd", value)
        self.status(art, q, status)
        stem = el(art, "div", class_="stem")
        self.md(stem, q.text, q.loc)
        self.response(art, q)
        self.key(art, q)
        if q.solution:
            sol = el(art, "details", class_="reveal solution")
            el(sol, "summary", "Worked solution")
            body = el(sol, "div", class_="reveal-body")
            self.md(body, q.solution, q.loc)

    def response(self, art: etree._Element, q: Question) -> None:
        """What the student answers with, as the LMS shows it (inert here)."""
        name = anchor("r", q.id)
        if q.type in CHOICE_TYPES:
            kind = "radio" if q.type == "multiple_choice" else "checkbox"
            ol = el(art, "ol", class_="choices", type="A")
            for c in q.choices:
                li = el(ol, "li")
                label = el(li, "label")
                el(label, "input", type=kind, name=name, disabled="disabled")
                span = el(label, "span", class_="choice-text")
                self.md(span, c.text, c.loc, inline=True)
        elif q.type == "true_false":
            ul = el(art, "ul", class_="choices tf")
            for word in ("True", "False"):
                label = el(el(ul, "li"), "label")
                el(label, "input", type="radio", name=name, disabled="disabled")
                add_text(label, " " + word)
        elif q.type in ("numerical", "short_answer"):
            p = el(art, "p", class_="response")
            label = el(p, "label", "Answer: ")
            el(label, "input", type="text", name=name, disabled="disabled", size="16")
        elif q.type == "cloze":
            # the stem shows each blank as [[name]]; here is what students fill into each
            ul = el(art, "ul", class_="blanks")
            for part in q.parts:
                label = el(el(ul, "li"), "label")
                el(label, "code", f"[[{part.name}]]")
                add_text(label, f" ({TYPE_NAMES[part.type]}, {part.points} point{'s' if part.points != 1 else ''}): ")
                if part.type == "multiple_choice":
                    select = el(label, "select", name=f"{name}-{part.name}", disabled="disabled")
                    el(select, "option", "Choose…")
                    for c in part.choices:
                        el(select, "option", c.text)
                else:
                    el(label, "input", type="text", name=f"{name}-{part.name}", disabled="disabled", size="12")
        elif q.type == "essay":
            label = el(el(art, "p", class_="response"), "label", "Answer: ")
            el(label, "textarea", "", name=name, rows="4", cols="50", disabled="disabled")
        elif q.type == "matching":
            table = el(art, "table", class_="matching")
            options = sorted({p.right for p in q.pairs} | set(q.distractors))
            for i, pair in enumerate(q.pairs):
                tr = el(table, "tr")
                th = el(tr, "th", scope="row", id=f"{name}-{i}-prompt")
                self.md(th, pair.left, pair.loc, inline=True)
                td = el(tr, "td")
                select = el(td, "select", name=f"{name}-{i}", disabled="disabled", aria_labelledby=f"{name}-{i}-prompt")
                el(select, "option", "Choose…")
                for option in options:
                    el(select, "option", option)

    def key(self, art: etree._Element, q: Question) -> None:
        box = el(art, "details", class_="reveal key")
        el(box, "summary", "Answer key and feedback")
        body = el(box, "div", class_="reveal-body")
        if q.type in CHOICE_TYPES:
            ol = el(body, "ol", class_="key-list")
            for letter, c in ((choice_letter(i), c) for i, c in enumerate(q.choices)):
                li = el(ol, "li", class_="correct" if c.correct else "wrong")
                mark = el(li, "span", class_="mark")
                add_text(mark, f"{letter} {'✓ correct' if c.correct else '✗ wrong'}")
                span = el(li, "span", class_="choice-text")
                self.md(span, c.text, c.loc, inline=True)
                if c.feedback:
                    fb = el(li, "div", class_="feedback")
                    self.md(fb, c.feedback, c.loc)
        elif q.type == "true_false":
            el(body, "p", f"Answer: {'True' if q.answer else 'False'}", class_="answer")
        elif q.type == "numerical":
            tol = f" ± {decimal_text(q.tolerance)}" if q.tolerance else ""
            shown = decimal_text(q.answer) if isinstance(q.answer, (int, float)) and not isinstance(q.answer, bool) else str(q.answer)
            el(body, "p", f"Answer: {shown}{tol}", class_="answer")
        elif q.type == "short_answer":
            ul = el(body, "ul", class_="key-list")
            for a in q.answers:
                li = el(ul, "li", class_="correct")
                el(li, "span", "accepted", class_="mark")
                el(li, "code", a.text)
                if a.feedback:
                    self.md(el(li, "div", class_="feedback"), a.feedback, a.loc)
        elif q.type == "matching":
            table = el(body, "table", class_="matching")
            for pair in q.pairs:
                tr = el(table, "tr")
                self.md(el(tr, "th", scope="row"), pair.left, pair.loc, inline=True)
                el(tr, "td", "→ " + pair.right)
            if q.distractors:
                el(body, "p", "Distractors: " + ", ".join(q.distractors))
        elif q.type == "essay":
            el(body, "p", "Graded by hand.", class_="answer")
        elif q.type == "cloze":
            for part in q.parts:
                box = el(body, "div", class_="part")
                el(el(box, "p"), "code", f"[[{part.name}]]")
                self.key(box, part_question(q, part))
        for kind in ("correct", "partial", "incorrect"):
            text = getattr(q.feedback, kind)
            if text:
                fb = el(body, "div", class_=f"feedback general {kind}")
                el(fb, "strong", f"Feedback when {kind}: ")
                self.md(fb, text, q.loc)

    def status(self, art: etree._Element, q: Question, status: Status) -> None:
        box = el(art, "div", class_=f"status {status.kind}", role="note")
        p = el(box, "p")
        el(p, "strong", f"{STATUS_ICON[status.kind]} {STATUS_TEXT[status.kind]}")
        if status.kind == "verified":
            add_text(p, " — ")
            self.proof(p, q)
        elif status.kind == "manual" and q.check is not None:
            add_text(p, f" — {q.check.manual}")
        elif status.kind == "unchecked" and not self.statuses.checked:
            add_text(p, " — this page was written without the check; ")
            el(p, "code", "qbank preview")
            add_text(p, " shows each question's status")
        if status.findings:
            self.finding_list(box, status.findings)

    def proof(self, p: etree._Element, q: Question) -> None:
        """What the clean check established, in the terms the checker compared."""
        check = q.check
        assert check is not None
        add_text(p, "sympy: ")
        if check.quantity and q.type in CHOICE_TYPES and all(c.value is not None for c in q.choices):
            keys = q.correct_choices
            el(p, "code", check.quantity)
            add_text(p, " = ")
            for i, c in enumerate(keys):
                if i:
                    add_text(p, " = ")
                self.md(el(p, "span", class_="key-text"), c.text, c.loc, inline=True)
            others = len(q.choices) - len(keys)
            add_text(p, f"; {others} distractor{'s' if others != 1 else ''} differ" + ("s" if others == 1 else ""))
        elif q.type in CHOICE_TYPES and any(c.claim for c in q.choices):
            true = sum(c.correct for c in q.choices)
            add_text(p, f"each option's claim decided: {true} true, {len(q.choices) - true} false")
        elif check.quantity and q.type == "numerical":
            el(p, "code", check.quantity)
            tol = f" (within ± {decimal_text(q.tolerance)})" if q.tolerance else ""
            shown = decimal_text(q.answer) if isinstance(q.answer, (int, float)) else str(q.answer)
            add_text(p, f" = {shown}{tol}")
        elif check.claim:
            el(p, "code", check.claim)
            add_text(p, f" is {'true' if q.answer else 'false'}")
        elif check.quantity:
            el(p, "code", check.quantity)
            add_text(p, " recomputed; the key agrees")
        else:
            add_text(p, "the key agrees with the check")
        if check.given:
            add_text(p, "; given ")
            for i, (name, value, _) in enumerate(check.given):
                if i:
                    add_text(p, ", ")
                el(p, "code", f"{name} = {value}")

    def finding_list(self, parent: etree._Element, findings: Iterable[Diagnostic]) -> None:
        ul = el(parent, "ul", class_="findings")
        for d in findings:
            li = el(ul, "li", class_=d.severity)
            el(li, "code", f"{d.loc}: {d.code}")
            add_text(li, f" {'warning: ' if d.severity == 'warning' else ''}{d.text}")


def asset(name: str) -> str:
    """The text of one of the site's asset files (package data, like the JSON Schema)."""
    return resources.files(__package__).joinpath("assets").joinpath(name).read_text(encoding="utf-8")


def anchor(prefix: str, name: str) -> str:
    """An id attribute value: ids and group names may hold spaces and punctuation."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else f"_{ord(ch):x}_" for ch in name)
    return f"{prefix}-{safe}"
