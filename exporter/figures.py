"""Figures in questions: finding, validating and reading the image files a bank refers to.

A bank's Markdown may show figures, `![alt text](figures/net.png)`, with paths relative to
the bank file. This module is the only place that touches those files: the checker asks it
what is wrong with them (located findings of `qbank check`), and the writers ask it for
their bytes — a writer never opens a file itself, so every target gets exactly the files
the checker approved. How a target refers to a figure is the writer's business, through
the image hook of the shared text layer (`exporter.text.to_html(..., images=hook)`).

What a figure must be, and why:

- A file inside the bank folder (the folder holding the bank file). An absolute path, a
  `..` that climbs out, or a symlink that points out would put a file from the author's
  machine into a package sent to an LMS — `../../etc/passwd` must never be exported. A URL
  is not a figure either: it is not packaged, and links rot (F102, F106).
- Named with letters, digits, `.`, `_`, `-` only (each folder too): the name travels into
  a zip entry, an IMS manifest URI, a Moodle file name (`clean_param(PARAM_FILE)` strips
  some characters) and `$IMS-CC-FILEBASE$`/`@@PLUGINFILE@@` URLs, and a name that every
  one of those keeps unchanged is one that cannot break a link (F108).
- At most MAX_BYTES (F103): LMS question text is loaded on every attempt page, and GIFT can
  only carry a figure inside the text itself.
- PNG, JPEG, GIF or SVG, and really that: the content must match the extension's magic
  bytes, because an LMS serves the file with the type its name implies (F104). SVG must be
  XML with an `<svg>` root in the SVG namespace (what browsers draw in an `<img>`), without
  entity declarations, and made only of what exporter.svg's allow-list knows to be inert
  (static drawing; links inside the file): an SVG opened from the course files runs its
  scripts and loads its references on the LMS's own domain (F107).
- With alt text (F105): students using screen readers get nothing else, and accessible
  course material is a legal requirement for universities, not decoration.

Locations. Every finding points at the image itself where that can be computed: the
loader's model keeps one location per question, choice and answer, not per text field,
so this module reads the bank file's YAML nodes again (only when some text has an image)
and finds the image's `![` in the field's source — exact for images written on one
line in plain, quoted and block (`|`, `>`) scalars; otherwise the field's own start (the
`|` of a block scalar), or the question's location if the field cannot be found.
"""

from __future__ import annotations

import bisect
import hashlib
import posixpath
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote

import yaml
from lxml import etree

from . import svg
from .diagnostics import Diagnostic, Report
from .model import Bank, Loc, TextField, bank_texts
from .text import MarkdownImage, markdown_images
from .yamlsource import decode

MAX_BYTES = 1024 * 1024
"""Largest figure accepted, in bytes (1 MiB). A module constant so a course can change it."""

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}

# Codes: F1xx, all errors (a package with a broken, unsafe or inaccessible figure is not
# something to send to students).
E_MISSING = "F101"
E_OUTSIDE = "F102"
E_TOO_BIG = "F103"
E_TYPE = "F104"
E_NO_ALT = "F105"
E_URL = "F106"
E_UNSAFE_SVG = "F107"
E_NAME = "F108"

SVG_NS = svg.SVG_NS
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True)
class Figure:
    """A validated figure: its path relative to the bank folder (normalised, `/`-separated,
    the name it gets in every package) and its bytes."""

    path: str
    data: bytes
    mime: str

    @property
    def name(self) -> str:
        """The file name without folders."""
        return posixpath.basename(self.path)

    @property
    def folder(self) -> str:
        """The folders, `/`-separated, empty for a figure at the top of the bank folder."""
        return posixpath.dirname(self.path)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class FigureError(Exception):
    """Why a figure cannot be used: a finding code and a message for the author."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def bank_folder(bank: Bank) -> Path:
    return Path(bank.path).parent


def resolve(folder: Path, src: str) -> Figure:
    """The figure `src` (an image destination from bank Markdown) names, read and checked.

    Raises FigureError with the finding's code. Order matters for the message an author
    sees first: what the reference *is* (a URL, an escape, a bad name), then the file.
    """
    raw = unquote(src)
    shown = raw if len(raw) <= 80 else raw[:77] + "…"
    if not raw.strip():
        raise FigureError(E_MISSING, "image has no file name")
    absolute = FigureError(E_OUTSIDE, f"image path `{shown}` is absolute; write it relative to the bank "
                           "file, and keep the file inside the bank folder (e.g. `figures/net.png`)")
    if _DRIVE.match(raw):
        raise absolute
    if _SCHEME.match(raw) or raw.startswith("//"):
        raise FigureError(E_URL, f"image `{shown}` is a URL, not a file of the bank: nothing would be packaged "
                          "and the link can break; save the image in the bank folder (e.g. `figures/`) and "
                          "refer to it by its relative path")
    if raw.startswith(("/", "\\")):
        raise absolute
    normal = posixpath.normpath(raw)
    if normal == ".." or normal.startswith("../"):
        raise FigureError(E_OUTSIDE, f"image path `{shown}` leaves the bank folder; figures must be files "
                          "inside it (e.g. `figures/net.png`)")
    bad = [part for part in normal.split("/") if not _SEGMENT.match(part)]
    if "\\" in raw or bad:
        raise FigureError(E_NAME, f"image path `{shown}` has a name with characters other than letters, "
                          "digits, `.`, `_`, `-` (or starts with `.`/`-`); LMS file names and links change "
                          "such names: rename the file (and folders) to e.g. `figures/net-1.png`")
    full = folder / normal
    try:
        base = folder.resolve()
        real = full.resolve()
    except (RuntimeError, OSError):  # a symlink loop (RuntimeError before Python 3.13)
        raise FigureError(E_MISSING, f"image `{shown}` is a symbolic link that leads back to itself (a loop); "
                          "replace it with the image file") from None
    if real != base and base not in real.parents:
        raise FigureError(E_OUTSIDE, f"image `{shown}` is a link to `{real}`, outside the bank folder; copy "
                          "the file into the bank folder instead")
    if not real.is_file():
        if real.is_dir():
            what = "is a folder, not a file"
        elif real.exists():  # never opened: reading a named pipe would wait for a writer forever
            raise FigureError(E_MISSING, f"image file `{shown}` is not a regular file but a named pipe, socket or "
                              "device; replace it with the image file")
        else:
            what = "does not exist"
        raise FigureError(E_MISSING, f"image file `{shown}` {what} (paths are relative to the bank file's "
                          f"folder, {folder.as_posix() or '.'}/)")
    try:
        size = real.stat().st_size
    except OSError as exc:
        raise FigureError(E_MISSING, f"image file `{shown}` cannot be read: {exc.strerror}") from None
    if size > MAX_BYTES:
        raise FigureError(E_TOO_BIG, f"image `{shown}` is {size:,} bytes; the limit is {MAX_BYTES:,} "
                          "(exporter.figures.MAX_BYTES): make it smaller (SVG for diagrams, PNG for plots, "
                          "JPEG for photos)")
    try:
        with real.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)  # the file may grow between stat and read
    except OSError as exc:
        raise FigureError(E_MISSING, f"image file `{shown}` cannot be read: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise FigureError(E_TOO_BIG, f"image `{shown}` is over {MAX_BYTES:,} bytes (exporter.figures.MAX_BYTES)")
    ext = posixpath.splitext(normal)[1].lower()
    mime = IMAGE_TYPES.get(ext)
    if mime is None:
        known = ", ".join(sorted({e.lstrip(".") for e in IMAGE_TYPES}))
        raise FigureError(E_TYPE, f"image `{shown}` is not a supported type ({known}); convert it to PNG "
                          "(plots, screenshots), SVG (diagrams) or JPEG (photos)")
    _check_content(shown, ext, mime, data)
    return Figure(normal, data, mime)


def _sniff(data: bytes) -> str | None:
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    return None


def _check_content(shown: str, ext: str, mime: str, data: bytes) -> None:
    """The bytes are what the name says: magic bytes for bitmaps, a safe SVG document."""
    if not data:
        raise FigureError(E_TYPE, f"image `{shown}` is an empty file")
    actual = _sniff(data)
    if mime != "image/svg+xml":
        if actual != mime:
            found = f"{actual.split('/')[1].upper()} data" if actual else "not a PNG, JPEG or GIF image"
            raise FigureError(E_TYPE, f"image `{shown}` is named {ext} but its content is {found}; an LMS "
                              "serves it by its name, so browsers would not show it: fix the extension or "
                              "convert the file")
        return
    if actual is not None:
        raise FigureError(E_TYPE, f"image `{shown}` is named .svg but its content is "
                          f"{actual.split('/')[1].upper()} data; fix the extension")
    _check_svg(shown, data)


def _check_svg(shown: str, data: bytes) -> None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise FigureError(E_TYPE, f"image `{shown}` is not a well-formed SVG (XML) file: {exc}") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and list(dtd.iterentities()):
        raise FigureError(E_UNSAFE_SVG, f"image `{shown}` declares XML entities; save the SVG again "
                          "without a DOCTYPE (entity declarations can blow up the parser of whoever opens it)")
    if root.tag != f"{{{SVG_NS}}}svg":
        raise FigureError(E_TYPE, f"image `{shown}` is XML, but its root element is `{etree.QName(root).localname}` "
                          f"in namespace `{etree.QName(root).namespace or 'none'}`; browsers only draw "
                          f'`<svg xmlns="{SVG_NS}">` as an image')
    try:
        svg.check(root)
    except svg.UnsafeSvg as exc:
        line = f" (line {exc.line})" if exc.line else ""
        raise FigureError(E_UNSAFE_SVG, f"image `{shown}` contains {exc.what}{line}, which a figure may not "
                          "have: an SVG opened from the course files runs and loads what it holds; save it "
                          "again without it (only static drawing is allowed, see README \"Figures\")") from None


# ---------------------------------------------------------------------------------------
# For writers


class Figures:
    """A writer's view of a bank's figures: bytes for valid ones, the files it used.

    `use(src, loc)` returns the Figure (read once per writer, whatever the number of
    references) or, if the figure is not usable, reports the finding as an error at `loc`
    — the writer cannot package it, and its output must not go out with a broken image —
    and returns None. `used` lists each figure once, sorted by path: what goes into a
    package, in a deterministic order.
    """

    def __init__(self, bank: Bank, report: Report) -> None:
        self.folder = bank_folder(bank)
        self.report = report
        self._known: dict[str, Figure | FigureError] = {}
        self._used: dict[str, Figure] = {}
        self._reported: set[tuple[str, Loc]] = set()

    def use(self, src: str, loc: Loc) -> Figure | None:
        # Relative to the file the text is in (`loc.path`), not to `bank.path`: a quiz
        # (exporter.quizzes) is a Bank whose path is the quiz file and whose questions
        # come from bank files.
        folder = Path(loc.path).parent if loc.path else self.folder
        key = f"{folder.as_posix()}\0{src}"
        if key not in self._known:
            try:
                self._known[key] = resolve(folder, src)
            except FigureError as exc:
                self._known[key] = exc
        found = self._known[key]
        if isinstance(found, FigureError):
            if (src, loc) not in self._reported:
                self._reported.add((src, loc))
                self.report(Diagnostic(loc, found.code, found.message))
            return None
        taken = self._used.get(found.path)
        if taken is not None and taken.data != found.data:
            # Two bank files (in a quiz) with different figures under the same relative
            # path: the later one gets its content hash in its name, so neither link shows
            # the other's picture. Decided at first use, in render order: deterministic.
            stem, ext = posixpath.splitext(found.path)
            found = replace(found, path=f"{stem}-{found.digest[:12]}{ext}")
            self._known[key] = found
        self._used.setdefault(found.path, found)
        return found

    @property
    def used(self) -> list[Figure]:
        return [self._used[path] for path in sorted(self._used)]


# ---------------------------------------------------------------------------------------
# For the checker: every image of every Markdown field, located


@dataclass(frozen=True)
class Occurrence:
    """One image in one text field: where, which file, what alt text."""

    loc: Loc
    field: str
    image: MarkdownImage
    question: str | None = None


def markdown_fields(bank: Bank) -> Iterator[TextField]:
    """The fields any writer renders from Markdown into HTML: where images (and typeset
    math) can be. Matching answers, distractors, titles and short answers are plain text in
    every target, so they hold no images."""
    return (fld for fld in bank_texts(bank) if fld.markdown)


def occurrences(bank: Bank) -> list[Occurrence]:
    """Every image in the bank's Markdown, each with the best location that can be found."""
    fields = [(fld, markdown_images(fld.text)) for fld in markdown_fields(bank)]
    if not any(images for _, images in fields):
        return []
    source = _Source.read(bank.path)
    found = []
    for fld, images in fields:
        node = source.node(fld) if source else None
        cursor = 0
        for image in images:
            loc = fld.loc
            if node is not None and source is not None:
                loc, cursor = source.locate(node, image, cursor)
            found.append(Occurrence(loc, fld.label, image, fld.question.id if fld.question else None))
    return found


def check_bank(bank: Bank) -> list[Diagnostic]:
    """`qbank check`'s findings about figures: alt text, and each file's path, size and type.

    Paths are relative to the file the text is in (the occurrence's location), like the
    writers resolve them (`Figures.use`).
    """
    results: dict[tuple[str, str], Figure | FigureError] = {}
    found: list[Diagnostic] = []
    for occ in occurrences(bank):
        where = f"in `{occ.question}` {occ.field}" if occ.question else f"in the bank {occ.field}"
        if not occ.image.alt:
            found.append(Diagnostic(occ.loc, E_NO_ALT, f"image `{unquote(occ.image.src)}` {where} has no alt text; "
                                    "describe what the figure shows, `![what it shows](path)`: screen-reader "
                                    "users get nothing else"))
        src = occ.image.src
        folder = Path(occ.loc.path).parent
        if (occ.loc.path, src) not in results:
            try:
                results[(occ.loc.path, src)] = resolve(folder, src)
            except FigureError as exc:
                results[(occ.loc.path, src)] = exc
        result = results[(occ.loc.path, src)]
        if isinstance(result, FigureError):
            found.append(Diagnostic(occ.loc, result.code, result.message))
    # A parametrised question's variants repeat its text: one finding per place is enough.
    return sorted(set(found), key=lambda d: (d.loc.line, d.loc.col, d.code, d.message))


# ---------------------------------------------------------------------------------------
# Locating images in the YAML source


class _Source:
    """The bank file's text and YAML nodes, to find where a field's image is written."""

    def __init__(self, text: str, root: yaml.Node, path: str) -> None:
        self.text = text
        self.root = root
        self.path = path
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.by_id_loc: dict[tuple[int, int], yaml.MappingNode] = {}
        self._index(root)

    @classmethod
    def read(cls, path: str) -> _Source | None:
        try:
            text, _ = decode(path, Path(path).read_bytes())
            if text is None:
                return None
            root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except (OSError, yaml.YAMLError):
            return None
        return cls(text, root, path) if root is not None else None

    def _index(self, root: yaml.Node) -> None:
        """Question mappings by the position of their `id` value (= Question.loc), so the
        lookup does not depend on where in the file's structure questions sit."""
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == "id" and isinstance(value, yaml.ScalarNode):
                        self.by_id_loc[(value.start_mark.line + 1, value.start_mark.column + 1)] = node
                    stack.append(value)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)

    def node(self, fld: TextField) -> yaml.ScalarNode | None:
        owner: yaml.Node | None
        if fld.question is None:
            owner = self.root
        else:
            owner = self.by_id_loc.get((fld.question.loc.line, fld.question.loc.col))
        for key in fld.keys:
            if isinstance(owner, yaml.MappingNode):
                owner = next((v for k, v in owner.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
            elif isinstance(owner, yaml.SequenceNode) and isinstance(key, int) and key < len(owner.value):
                owner = owner.value[key]
            else:
                return None
        return owner if isinstance(owner, yaml.ScalarNode) else None

    def _offset(self, mark: yaml.Mark) -> int:
        return self.line_starts[mark.line] + mark.column if mark.line < len(self.line_starts) else len(self.text)

    def _loc(self, offset: int) -> Loc:
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return Loc(self.path, line + 1, offset - self.line_starts[line] + 1)

    def locate(self, node: yaml.ScalarNode, image: MarkdownImage, cursor: int) -> tuple[Loc, int]:
        """The `![` of `image` in the node's source at or after `cursor` (an offset into the
        node's source), and the cursor for the next image; else the node's start."""
        start, end = self._offset(node.start_mark), self._offset(node.end_mark)
        region = self.text[start:end]
        for src in dict.fromkeys((image.src, unquote(image.src))):
            hit = re.compile(r"\]\(\s*<?" + re.escape(src)).search(region, cursor)
            if hit:
                bang = region.rfind("![", cursor, hit.start())
                at = bang if bang >= 0 else hit.start()
                return self._loc(start + at), hit.end()
        return self._loc(start), cursor
