"""What every reader shares: the result type, the safety limits, ids, and safe parsing.

A file to import comes from outside the course (an LMS export, a colleague's archive, a
download), so it is treated like any other untrusted input: XML is parsed without entity
expansion, DTDs, network access or libxml2's "huge tree" mode, and a document that
declares entities is refused outright (billion-laughs and XXE payloads need one); a zip is
read entry by entry under caps on entry count, total uncompressed size and compression
ratio, and no entry name is ever used as a path on disk (figures are written under names
the importer makes). Every refusal is a located `I1xx` error that says what to do.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Iterable

from lxml import etree

from ..diagnostics import Diagnostic
from ..model import Check, Loc, Question
from . import IMPORTED_PREFIX

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest file accepted (64 MiB): a Moodle XML course export with images is a few MiB."""
MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_TOTAL = 256 * 1024 * 1024
"""Largest total uncompressed size of a package's entries (256 MiB)."""
MAX_ZIP_RATIO = 200
"""Largest compression ratio of one entry: text compresses ~10×, a zip bomb ~1000×."""

# Codes: I1xx errors (a file, or a question, that cannot be imported), I2xx warnings
# (imported, but something the source said could not be kept).
E_READ = "I101"
E_ENCODING = "I102"
E_TOO_BIG = "I103"
E_XML = "I104"
E_ENTITIES = "I105"
E_ZIP = "I106"
E_FORMAT = "I107"
E_SKIPPED = "I108"
W_LOSSY = "I201"
W_PARTIAL = "I202"
W_ID = "I203"
W_FIGURE = "I204"
W_DROPPED = "I205"


class ReadError(Exception):
    """A file that cannot be imported at all; carries the finding to print."""

    def __init__(self, loc: Loc, code: str, message: str) -> None:
        super().__init__(message)
        self.diagnostic = Diagnostic(loc, code, message, "error")


class Skip(Exception):
    """One question that cannot be imported: listed with its location, the rest goes on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Imported:
    """What a reader found in one file, before ids are made unique and figures written.

    `questions` carry their full category path (bank category included) in `category`;
    the import pipeline moves the common prefix to the bank. `figures` maps each figure's
    path relative to the new bank file to its bytes. `original_ids` keeps the LMS's own
    identifier of a question whose id had to change, so the YAML can record it.
    """

    source: str
    system: str = "LMS id"
    """What the LMS calls a question's identifier ("Moodle idnumber", …), for the YAML note."""
    questions: list[Question] = field(default_factory=list)
    figures: dict[str, bytes] = field(default_factory=dict)
    findings: list[Diagnostic] = field(default_factory=list)
    original_ids: dict[int, str] = field(default_factory=dict)
    """index in `questions` → the identifier the LMS used (Moodle idnumber, item ident)."""
    title: str | None = None
    description: str | None = None
    root_category: tuple[str, ...] | None = None

    def take(self, loc: Loc, what: str, build: Callable[[], tuple[Question, str | None]], lossy: list[str]) -> None:
        """One question from `build()` (the question and the LMS's id for it): kept, or
        listed and skipped when it raises Skip. `lossy` is where the reader's text
        conversions note what they could not keep; it is reported here, once."""
        lossy.clear()
        try:
            question, original = build()
        except Skip as exc:
            self.skip(loc, what, exc.reason)
            return
        for lost in lossy:
            self.warn(loc, W_LOSSY, f"{what}, {lost} could not be kept as Markdown; the text was kept, that "
                      "formatting was dropped")
        if original is not None:
            self.original_ids[len(self.questions)] = original
        self.questions.append(question)

    def skip(self, loc: Loc, what: str, reason: str) -> None:
        self.findings.append(Diagnostic(loc, E_SKIPPED, f"{what} not imported: {reason}", "error"))

    def warn(self, loc: Loc, code: str, message: str) -> None:
        self.findings.append(Diagnostic(loc, code, message, "warning"))


def manual_check(source: str, loc: Loc) -> Check:
    """The check every imported question starts with: qbank cannot know the maths behind
    an LMS key, so the question says so until the author writes one (README, "Importing")."""
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    return Check(loc=loc, manual=f"{IMPORTED_PREFIX}{name}: add a check")


# -- ids -----------------------------------------------------------------------------

_ID_OK = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def slug(text: str, limit: int = 60) -> str:
    """Text as an id fragment: ASCII lower case, other characters as '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    out = re.sub(r"[^a-z0-9._-]+", "-", ascii_text).strip("-._")
    return out[:limit].rstrip("-._")


def valid_id(original: str | None, fallback: str) -> str:
    """A bank id (`[a-z0-9][a-z0-9._-]*`, ≤ 100 chars) from an LMS identifier."""
    if original and _ID_OK.match(original) and len(original) <= 100:
        return original
    made = slug(original or "", 90) if original else ""
    return made or slug(fallback, 90) or "q"


def unique_ids(wanted: Iterable[str], taken: set[str], templates: frozenset[str] = frozenset()) -> list[str]:
    """Each wanted id, with `-2`, `-3`… added where it is already taken (in `taken` or
    earlier in `wanted`); `taken` grows. `<template>-v<N>` is taken too for every
    parametrised question id in `templates`: those ids belong to its variants."""

    def used(candidate: str) -> bool:
        base, _, n = candidate.rpartition("-v")
        return candidate in taken or (n.isdigit() and base in templates)

    out = []
    for want in wanted:
        candidate, n = want, 1
        while used(candidate):
            n += 1
            candidate = f"{want[:95]}-{n}"
        taken.add(candidate)
        out.append(candidate)
    return out


# -- safe XML --------------------------------------------------------------------------

_DOCTYPE_ENTITY = re.compile(rb"<!ENTITY", re.I)


def parse_xml(data: bytes, path: str) -> etree._Element:
    """An XML document parsed with every dangerous feature off, or ReadError.

    `resolve_entities=False, load_dtd=False, no_network=True` keep external entities
    (XXE) and DTD fetching away; `huge_tree=False` keeps libxml2's depth and text-size
    limits. A document that declares entities at all is refused before parsing: LMS
    exports never do, and entity bombs need it.
    """
    if _DOCTYPE_ENTITY.search(data[:1_000_000]) or (b"<!DOCTYPE" in data[:4096] and _DOCTYPE_ENTITY.search(data)):
        raise ReadError(Loc(path, 1, 1), E_ENTITIES, "the XML declares entities (<!ENTITY>), which LMS exports "
                        "never do and entity bombs and XXE attacks need; refused. Export the file again from the LMS")
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False,
                             dtd_validation=False, remove_comments=False, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (1, 1)
        raise ReadError(Loc(path, line or 1, col or 1), E_XML,
                        f"not well-formed XML: {exc.msg}; export the file again, or fix it at this spot") from None
    if root is None:
        raise ReadError(Loc(path, 1, 1), E_XML, "no XML document found")
    return root


def decode_text(data: bytes, path: str) -> str:
    """UTF-8 (with or without BOM; UTF-16 with BOM) → text, or ReadError naming the first
    bad byte's line and column. No guessing: a wrong guess would change the questions."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ReadError(Loc(path, 1, 1), E_ENCODING, "the file starts like UTF-16 but is not; save it as "
                            "UTF-8") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise ReadError(Loc(path, line, col), E_ENCODING,
                        f"not UTF-8 (byte 0x{data[exc.start]:02X}); save the file as UTF-8 (Moodle and Canvas "
                        "export UTF-8; a file re-saved in Windows-1252 or Latin-1 is the usual cause)") from None


def check_size(size: int, path: str) -> None:
    if size > MAX_FILE_BYTES:
        raise ReadError(Loc(path, 1, 1), E_TOO_BIG, f"the file is {size:,} bytes; qbank imports files up to "
                        f"{MAX_FILE_BYTES:,} bytes (readers.common.MAX_FILE_BYTES). Split the export")


# -- figures ---------------------------------------------------------------------------

_SEGMENT_BAD = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_segment(name: str) -> str:
    clean = _SEGMENT_BAD.sub("_", name).strip(".")
    if not clean or not re.match(r"[A-Za-z0-9_]", clean):
        clean = "f" + clean
    return clean[:100]


class FigureStore:
    """Figures found in one file, under bank-relative paths made by the importer.

    The path an LMS gives a file (`@@PLUGINFILE@@/figures/net.png`, a zip entry, a data
    URI) is only a hint: each folder and name is reduced to the characters the figure
    rule allows (exporter.figures), so no name from the file ever reaches the disk as
    written, and everything lands under the figures folder (`rel`). The bytes are
    checked with the figure rule's own content check (magic bytes; safe SVG) so an
    import never writes a figure `qbank check` would refuse.
    """

    def __init__(self, imported: Imported, rel: str) -> None:
        self.imported = imported
        self.rel = rel.strip("/")

    def add(self, hint: str, data: bytes, loc: Loc) -> str | None:
        """The Markdown src for `data` found under the name `hint`, or None (warned)."""
        from ..figures import IMAGE_TYPES, FigureError, _check_content

        parts = [_safe_segment(p) for p in hint.replace("\\", "/").split("/") if p not in ("", ".", "..")]
        if not parts:
            parts = ["figure"]
        if parts[0] != self.rel or len(parts) == 1:
            parts = [self.rel, *parts]
        path = "/".join(parts)
        stem, dot, ext = path.rpartition(".")
        if not dot or f".{ext.lower()}" not in IMAGE_TYPES:
            self.imported.warn(loc, W_FIGURE, f"image `{hint[:80]}` is not PNG, JPEG, GIF or SVG (by its name), "
                               "which bank figures must be; it is shown as its alt text. Convert it and add it back")
            return None
        try:
            _check_content(hint[:80], f".{ext.lower()}", IMAGE_TYPES[f".{ext.lower()}"], data)
        except FigureError as exc:
            self.imported.warn(loc, W_FIGURE, f"{exc.message}; the image is shown as its alt text")
            return None
        known = self.imported.figures.get(path)
        if known is not None and known != data:
            import hashlib

            path = f"{stem}-{hashlib.sha256(data).hexdigest()[:12]}.{ext}"
        self.imported.figures[path] = data
        return path

