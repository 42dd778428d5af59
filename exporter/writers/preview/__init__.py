"""The HTML preview: every bank and quiz as students will see it, before anything is imported.

A static, self-contained site — no CDN, no network, no script needed to read it: an index
of banks and quizzes (counts, tags, check status) and one page per bank or quiz (page.py),
with its figures and two asset files. Math is MathML made in Python (exporter.mathml), so
browsers draw it natively and a span that cannot be drawn is a finding of `qbank check`.

Unlike the LMS targets, the preview shows what the *check* found (each question verified,
manual or failing), so besides the bank it takes the run's findings (status.Statuses).
`write(bank, report)` is the one-page form of the writers' contract; `site(...)` is the
whole site, as `qbank preview` writes it. Bytes are deterministic: same bank, same site.

Registered as the writer `preview` (not built by default): `qbank build --targets preview`
writes one standalone page per bank — stylesheet inlined, figures as `data:` URIs — without
check status, which only `qbank preview` (check and site together) can show.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ...diagnostics import Report
from ...figures import Figure, Figures, occurrences
from ...model import Bank
from .. import NoOptions, Writer, register
from .page import STATUS_ICON, STATUS_TEXT, PageWriter, add_text, asset, el, html_document, serialise, title_text
from .status import Statuses

TARGET = "preview"
SUFFIX = ".html"
PAGES = "pages"
ASSETS = ("preview.css", "preview.js")


def write(bank: Bank, options: NoOptions, report: Report) -> bytes:
    """One bank's (or quiz's) page as a single file: the writers' contract."""

    def data_uri(figure: Figure) -> str:
        return f"data:{figure.mime};base64,{base64.b64encode(figure.data).decode('ascii')}"

    # a quiz is a Bank whose questions all come from other files (exporter.quizzes)
    quiz = bool(bank.questions) and all(q.loc.path != bank.path for q in bank.questions)
    return PageWriter(bank, Statuses(checked=False), report, data_uri, quiz=quiz, root="", standalone=True).document()


@dataclass(frozen=True)
class SiteOptions:
    """What a page of the site needs beyond its bank: the check's statuses, and which banks
    are quizzes (their pages sit one folder deeper)."""

    statuses: Statuses = field(default_factory=lambda: Statuses(checked=False))
    quizzes: frozenset[str] = frozenset()


def figure_path(figure: Figure) -> str:
    """Figures are stored by content (`figures/<sha256[:16]>/<name>`): two banks' files
    with one name never collide, and one file used on many pages is stored once."""
    return f"figures/{figure.digest[:16]}/{figure.name}"


def site_page(bank: Bank, options: SiteOptions, report: Report) -> bytes:
    """One page of the site, linking the shared stylesheet, script and figure files."""
    quiz = bank.name in options.quizzes
    root = "../../" if quiz else "../"
    return PageWriter(bank, options.statuses, report, lambda f: root + figure_path(f), quiz=quiz, root=root).document()


SITE_PAGES = Writer(TARGET, SUFFIX, site_page, SiteOptions, "the pages of `qbank preview`'s site", folder=PAGES,
                    default=False)
"""Not registered: `qbank preview` renders its pages with it through the build's render
stage (exporter.outputs.render: banks side by side in forked processes, bank order kept)."""


class Site:
    """The files of a preview site, relative path → bytes."""

    def __init__(self, statuses: Statuses, report: Report) -> None:
        self.statuses = statuses
        self.report = report

    def build(self, banks: Sequence[Bank], quizzes: Sequence[Bank] = (), *, jobs: int = 1) -> dict[Path, bytes]:
        from ...outputs import render

        options = SiteOptions(self.statuses, frozenset(q.name for q in quizzes))
        pages = render(banks, self.report, quizzes, jobs=jobs, writers=[(SITE_PAGES, options)])
        files: dict[Path, bytes] = dict(pages.items())
        files[Path("index.html")] = self.index(banks, quizzes)
        for name in ASSETS:
            files[Path("assets") / name] = asset(name).encode("utf-8")
        for figure in self.figures(list(banks) + list(quizzes)):
            files[Path(figure_path(figure))] = figure.data
        return dict(sorted(files.items()))

    @staticmethod
    def figures(banks: Sequence[Bank]) -> list[Figure]:
        """The figure files the pages link to, resolved as the pages resolved them (each
        page reported what it could not use; nothing is reported twice here)."""
        found: dict[str, Figure] = {}
        for bank in banks:
            resolver = Figures(bank, lambda d: None)
            for occ in occurrences(bank):
                figure = resolver.use(occ.image.src, occ.loc)
                if figure is not None:
                    found[figure_path(figure)] = figure
        return list(found.values())

    def index(self, banks: Sequence[Bank], quizzes: Sequence[Bank]) -> bytes:
        doc, head = html_document("qbank preview")
        el(head, "link", rel="stylesheet", href="assets/preview.css")
        body = el(doc, "body")
        el(body, "a", "Skip to the list", href="#banks", class_="skip")
        top = el(body, "header", class_="page-head")
        el(top, "h1", "Question bank preview")
        total = sum(len(b.questions) for b in banks)
        el(top, "p", f"{len(banks)} bank file(s), {total} questions (variants counted); {len(quizzes)} quiz(zes).",
           class_="summary")
        main = el(body, "main", id="banks")
        for title, folder, items in (("Banks", PAGES, banks), ("Quizzes", f"{PAGES}/quizzes", quizzes)):
            if not items:
                continue
            sec = el(main, "section", aria_labelledby=f"h-{title.lower()}")
            el(sec, "h2", title, id=f"h-{title.lower()}")
            table = el(sec, "table", class_="index")
            el(table, "caption", f"{title}: questions by check status, and their tags", class_="visually-hidden")
            row = el(el(table, "thead"), "tr")
            for col in ("Title", "File", "Questions", *(STATUS_TEXT[k] for k in STATUS_TEXT), "Tags"):
                el(row, "th", col, scope="col")
            tbody = el(table, "tbody")
            for bank in items:
                kinds: Counter[str] = Counter(self.statuses.of(q).kind for q in bank.questions)
                tags = Counter(t for q in bank.questions for t in q.tags)
                tr = el(tbody, "tr")
                title_text(el(el(tr, "td"), "a", href=f"{folder}/{bank.name}{SUFFIX}"), bank.title)
                el(el(tr, "td"), "code", bank.path)
                el(tr, "td", str(len(bank.questions)), class_="num")
                for kind in STATUS_TEXT:
                    n = kinds[kind]
                    td = el(tr, "td", class_=f"num {kind}" if n else "num")
                    add_text(td, f"{STATUS_ICON[kind]} {n}" if n else "–")
                ul = el(el(tr, "td"), "ul", class_="tags")
                for tag, n in sorted(tags.items()):
                    el(ul, "li", f"{tag} ({n})")
        return serialise(doc)


WRITER = register(Writer(TARGET, SUFFIX, write, NoOptions,
                         "HTML preview: one standalone page per bank (`qbank preview` writes the whole site)",
                         default=False))
