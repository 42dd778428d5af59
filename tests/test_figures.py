"""Figures in questions (issue 9): every target carries the image, every bad image is a
located finding.

The seed bank's figure (the computation graph of `backprop-chain-gradients`) is read back
from each export where its target expects it: a zip entry the HTML's `$IMS-CC-FILEBASE$`
path names and the manifest lists (Canvas), a `<file>` of the field whose
`@@PLUGINFILE@@` reference names it (Moodle XML), a `data:` URI in the question text
(GIFT) — each decoded and compared byte for byte with the file in bank/figures/.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import struct
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from lxml import etree

from exporter import figures
from exporter.cli import main
from exporter.diagnostics import Collector
from exporter.load import load_banks
from exporter.model import Bank
from exporter.text import markdown_images, to_html
from exporter.writers import canvas, gift, ims, moodle
from ims_schemas import CP as CP_XSD, schema

REPO = Path(__file__).resolve().parents[1]
SEED_FIGURE = REPO / "bank" / "figures" / "backprop-chain.svg"
QTI = {"q": canvas.QTI_NS}
CP = {"cp": ims.CP_NS}


# ---------------------------------------------------------------------------------------
# Helpers


def png(width: int = 1, height: int = 1) -> bytes:
    """A real greyscale PNG of noise, built here so the tests ship no binary files (noise,
    so that its size grows with its area)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    noise = b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(width * height // 32 + 1))
    rows = b"".join(b"\x00" + noise[y * width:(y + 1) * width] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
MANUAL = "      manual: graded by a person, nothing to compute\n"


def essay(text_block: str, qid: str = "q1") -> str:
    """A bank with one essay question whose text is the given `|` block (indented 6)."""
    return (f"title: Figures\nquestions:\n  - id: {qid}\n    type: essay\n    text: |\n"
            + "".join(f"      {line}\n" if line else "\n" for line in text_block.split("\n"))
            + "    check:\n" + MANUAL)


def make_bank(tmp_path: Path, body: str, files: dict[str, bytes] | None = None) -> Bank:
    folder = tmp_path / "bank"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "b.yaml").write_text(body, encoding="utf-8")
    for name, data in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    banks, problems = load_banks([str(folder)])
    assert problems == [], [str(p) for p in problems]
    return banks[0]


def where(body: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based line and column of the nth occurrence of `needle` in the YAML text."""
    at = -1
    for _ in range(nth + 1):
        at = body.index(needle, at + 1)
    line = body.count("\n", 0, at) + 1
    return line, at - (body.rfind("\n", 0, at) + 1) + 1


def findings(bank: Bank) -> list[tuple[int, int, str]]:
    return [(d.loc.line, d.loc.col, d.code) for d in figures.check_bank(bank)]


def write(module: Any, bank: Bank) -> tuple[bytes, Collector]:
    report = Collector()
    return module.write(bank, report), report


def cp_schema() -> etree.XMLSchema:
    return schema(CP_XSD)


def canvas_parts(data: bytes) -> tuple[zipfile.ZipFile, etree._Element, etree._Element]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    manifest = etree.fromstring(zf.read("imsmanifest.xml"))
    [quiz] = [n for n in zf.namelist() if re.fullmatch(r"([^/]+)/\1\.xml", n)]
    return zf, manifest, etree.fromstring(zf.read(quiz))


def img_srcs(html: str) -> list[tuple[str, str]]:
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return [(img.get("src"), img.get("alt")) for img in root.iter("img") if "equation_image" not in (img.get("class") or "")]


def canvas_item_html(assessment: etree._Element, ident: str) -> str:
    [item] = assessment.xpath(f"//q:item[@ident='{ident}']", namespaces=QTI)
    return item.find("q:presentation/q:material/q:mattext", QTI).text


def filebase_target(src: str) -> str:
    assert src.startswith("$IMS-CC-FILEBASE$/"), src
    return src[len("$IMS-CC-FILEBASE$/"):]


def manifest_files(manifest: etree._Element) -> dict[str, str]:
    """file href → the type of the resource listing it."""
    return {f.get("href"): f.getparent().get("type") for f in manifest.iterfind(".//cp:file", CP)}


def moodle_question(root: etree._Element, idnumber: str) -> etree._Element:
    [q] = [q for q in root.iter("question") if q.findtext("idnumber") == idnumber]
    return q


def moodle_files(field: etree._Element) -> dict[str, bytes]:
    """`path + name` → decoded bytes, for a field's own `<file>` children."""
    out = {}
    for f in field.findall("file"):
        assert f.get("encoding") == "base64"
        out[f.get("path") + f.get("name")] = base64.b64decode(f.text)
    return out


def plugin_refs(html: str) -> list[str]:
    return [src[len("@@PLUGINFILE@@"):] for src, _ in img_srcs(html) if src.startswith("@@PLUGINFILE@@/")]


def gift_unescape(text: str) -> str:
    """What Moodle's escapedchar_pre/post make of escaped GIFT text (format.php)."""
    text = text.replace("\\\\", "\x00")
    for ch in ":#={}~":
        text = text.replace("\\" + ch, ch)
    return text.replace("\\n", "\n").replace("\x00", "\\")


def gift_block(text: str, qid: str) -> str:
    [block] = [b for b in text.split("\n\n") if f"[id:{qid}]" in b]
    return block


def data_uri_bytes(src: str) -> tuple[str, bytes]:
    found = re.fullmatch(r"data:([\w/+.-]+);base64,([A-Za-z0-9+/=]+)", src)
    assert found, src[:60]
    return found.group(1), base64.b64decode(found.group(2), validate=True)


@pytest.fixture(scope="module")
def seed() -> Bank:
    banks, problems = load_banks([str(REPO / "bank" / "quiz2-differentiation.yaml")])
    assert not [p for p in problems if p.severity == "error"]
    [bank] = banks
    return bank


# ---------------------------------------------------------------------------------------
# The seed bank's figure in all three exports


SEED_ALT = markdown_images(
    next(line for line in (REPO / "bank" / "quiz2-differentiation.yaml").read_text(encoding="utf-8").splitlines()
         if "figures/backprop-chain.svg" in line).strip()
)[0].alt


def test_seed_bank_figure_is_clean_and_has_real_alt_text(seed: Bank) -> None:
    assert figures.check_bank(seed) == []
    [occ] = figures.occurrences(seed)
    assert occ.question == "backprop-chain-gradients" and occ.field == "text"
    assert occ.image.src == "figures/backprop-chain.svg"
    assert "Computation graph" in occ.image.alt and len(occ.image.alt) > 60
    root = etree.fromstring(SEED_FIGURE.read_bytes())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_seed_figure_in_canvas_package(seed: Bank) -> None:
    data, report = write(canvas, seed)
    assert report.errors == []
    zf, manifest, assessment = canvas_parts(data)
    [(src, alt)] = img_srcs(canvas_item_html(assessment, "backprop-chain-gradients"))
    path = filebase_target(src)
    assert alt == SEED_ALT
    assert zf.read(path) == SEED_FIGURE.read_bytes()
    assert manifest_files(manifest)[path] == "webcontent"
    assert cp_schema().validate(manifest), "\n".join(map(str, cp_schema().error_log))


def test_seed_figure_in_moodle_xml(seed: Bank) -> None:
    data, report = write(moodle, seed)
    assert report.errors == []
    question = moodle_question(etree.fromstring(data), "backprop-chain-gradients")
    field = question.find("questiontext")
    [ref] = plugin_refs(field.findtext("text"))
    assert ref == "/figures/backprop-chain.svg"
    assert moodle_files(field) == {ref: SEED_FIGURE.read_bytes()}
    # no other field of the question refers to the figure, so none carries it
    assert [f.getparent().tag for f in question.iter("file")] == ["questiontext"]


def test_seed_figure_in_gift_as_data_uri(seed: Bank) -> None:
    from exporter.outputs import without_skipped

    data, report = write(gift, without_skipped(seed, "gift"))  # as the build writes it
    assert report.errors == [] and report.warnings == []
    block = gift_unescape(gift_block(data.decode("utf-8"), "backprop-chain-gradients"))
    [(src, alt)] = img_srcs(block[block.index("[html]") + 6:block.index("{")])
    assert alt == SEED_ALT
    assert data_uri_bytes(src) == ("image/svg+xml", SEED_FIGURE.read_bytes())


def test_committed_dist_carries_the_figure() -> None:
    """dist/ is what CI ships: the committed exports hold the figure too."""
    zf = zipfile.ZipFile(REPO / "dist" / "canvas" / "quiz2-differentiation.zip")
    assert [n for n in zf.namelist() if n.endswith(".svg")] == ["QB_quiz2-differentiation/figures/backprop-chain.svg"]
    assert zf.read("QB_quiz2-differentiation/figures/backprop-chain.svg") == SEED_FIGURE.read_bytes()
    xml = etree.parse(str(REPO / "dist" / "moodle" / "quiz2-differentiation.xml"))
    [f] = xml.iter("file")
    assert base64.b64decode(f.text) == SEED_FIGURE.read_bytes()
    assert "data\\:image/svg+xml;base64," in (REPO / "dist" / "gift" / "quiz2-differentiation.gift.txt").read_text()


# ---------------------------------------------------------------------------------------
# Bad images: each one a located finding of `qbank check`


def test_missing_file_exact_location(tmp_path: Path) -> None:
    bank = make_bank(tmp_path, essay("Look at the plot.\n\n![A plot of sigma](figures/sigma.png)"))
    [d] = figures.check_bank(bank)
    assert str(d).startswith(f"{bank.path}:8:7: F101 ")  # the `!` of the image inside the `|` block
    assert "figures/sigma.png" in d.message and "does not exist" in d.message


BAD = [
    # (id, markdown destination, files to create, code)
    ("escaping path", "../../etc/passwd", {}, figures.E_OUTSIDE),
    ("escaping after a folder", "figures/../../secret.png", {}, figures.E_OUTSIDE),
    ("absolute path", "/etc/passwd", {}, figures.E_OUTSIDE),
    ("windows absolute path", "C:/figures/x.png", {}, figures.E_OUTSIDE),
    ("missing file", "figures/none.png", {}, figures.E_MISSING),
    ("a folder", "figures", {"figures/a.png": png()}, figures.E_MISSING),
    ("unknown type", "figures/x.bmp", {"figures/x.bmp": b"BM" + b"\0" * 60}, figures.E_TYPE),
    ("magic mismatch", "figures/x.png", {"figures/x.png": b"\xff\xd8\xff\xe0" + b"\0" * 40}, figures.E_TYPE),
    ("text named png", "figures/x.png", {"figures/x.png": b"not an image"}, figures.E_TYPE),
    ("empty file", "figures/x.gif", {"figures/x.gif": b""}, figures.E_TYPE),
    ("png named svg", "figures/x.svg", {"figures/x.svg": png()}, figures.E_TYPE),
    ("svg not xml", "figures/x.svg", {"figures/x.svg": b"<svg"}, figures.E_TYPE),
    ("svg wrong root", "figures/x.svg", {"figures/x.svg": b"<html xmlns='http://www.w3.org/1999/xhtml'/>"}, figures.E_TYPE),
    ("svg without namespace", "figures/x.svg", {"figures/x.svg": b"<svg width='1' height='1'/>"}, figures.E_TYPE),
    ("svg script", "figures/x.svg",
     {"figures/x.svg": SVG.replace(b"<rect", b"<script>alert(1)</script><rect")}, figures.E_UNSAFE_SVG),
    ("svg event handler", "figures/x.svg", {"figures/x.svg": SVG.replace(b"<rect", b"<rect onclick='x()'")},
     figures.E_UNSAFE_SVG),
    ("svg javascript link", "figures/x.svg",
     {"figures/x.svg": SVG.replace(b"<rect width", b"<a xmlns:xl='http://www.w3.org/1999/xlink' "
                                                   b"xl:href='javascript:x()'/><rect width")}, figures.E_UNSAFE_SVG),
    ("svg entities", "figures/x.svg",
     {"figures/x.svg": b'<!DOCTYPE svg [<!ENTITY a "aaaa">]>' + SVG.replace(b"/></svg>", b"/><text>&a;</text></svg>")},
     figures.E_UNSAFE_SVG),
    ("url", "https://example.org/x.png", {}, figures.E_URL),
    ("protocol-relative url", "//example.org/x.png", {}, figures.E_URL),
    ("space in name", "<figures/my plot.png>", {"figures/my plot.png": png()}, figures.E_NAME),
    ("hidden file", "figures/.x.png", {"figures/.x.png": png()}, figures.E_NAME),
]


@pytest.mark.parametrize("src, files, code", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_image_is_a_located_finding(tmp_path: Path, src: str, files: dict[str, bytes], code: str) -> None:
    body = essay(f"Intro.\n\n![A figure]({src}) and more text.")
    bank = make_bank(tmp_path, body, files)
    assert findings(bank) == [(*where(body, "![A figure"), code)]


def test_too_big(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(figures, "MAX_BYTES", 200)
    body = essay("![A large plot](figures/big.png)\n\n![A small plot](figures/small.png)")
    big = png(40, 40)
    assert len(big) > 200 >= len(png())
    bank = make_bank(tmp_path, body, {"figures/big.png": big, "figures/small.png": png()})
    [d] = figures.check_bank(bank)
    assert ((d.loc.line, d.loc.col), d.code) == (where(body, "![A large"), figures.E_TOO_BIG)
    assert f"{len(big):,} bytes" in d.message


def test_symlink_out_of_the_bank_folder(tmp_path: Path) -> None:
    outside = tmp_path / "private.png"
    outside.write_bytes(png())
    body = essay("![A plot](figures/link.png)")
    (tmp_path / "bank" / "figures").mkdir(parents=True)
    try:
        os.symlink(outside, tmp_path / "bank" / "figures" / "link.png")
    except OSError:
        pytest.skip("no symlinks on this file system")
    bank = make_bank(tmp_path, body)
    assert findings(bank) == [(*where(body, "![A plot"), figures.E_OUTSIDE)]


def test_symlink_inside_the_bank_folder_is_fine(tmp_path: Path) -> None:
    body = essay("![A plot](figures/link.png)")
    bank_dir = tmp_path / "bank"
    (bank_dir / "figures").mkdir(parents=True)
    (bank_dir / "figures" / "real.png").write_bytes(png())
    try:
        os.symlink(bank_dir / "figures" / "real.png", bank_dir / "figures" / "link.png")
    except OSError:
        pytest.skip("no symlinks on this file system")
    assert findings(make_bank(tmp_path, body)) == []


@pytest.mark.parametrize("alt", ["", "   "], ids=["empty", "blank"])
def test_image_without_alt_text(tmp_path: Path, alt: str) -> None:
    body = essay(f"Intro.\n\n![{alt}](figures/x.png)")
    bank = make_bank(tmp_path, body, {"figures/x.png": png()})
    [d] = figures.check_bank(bank)
    assert ((d.loc.line, d.loc.col), d.code) == (where(body, f"![{alt}]"), figures.E_NO_ALT)
    assert "alt text" in d.message and "`q1` text" in d.message


def test_alt_text_may_be_math(tmp_path: Path) -> None:
    body = essay(r"![The curve $\sigma(z)$](figures/x.png)")
    bank = make_bank(tmp_path, body, {"figures/x.png": png()})
    assert findings(bank) == []
    assert to_html(bank.questions[0].text) == r'<p><img src="figures/x.png" alt="The curve \sigma(z)" /></p>'


LOCATIONS = """\
title: Figures
description: "The bank ![no file](figures/d.png)."
questions:
  - id: mc
    type: multiple_choice
    text: >
      A folded text with a figure
      ![first](figures/a.png) and ![second](figures/b.png) on one line.
    choices:
      - text: Plain ![plain choice](figures/c.png) text
        correct: true
        feedback: "Quoted ![quoted feedback](figures/e.png) text"
      - text: 'Single ![single quoted](figures/f.png)'
        correct: false
    solution: |-
      Solution

        indented ![in solution](figures/g.png)
    feedback:
      incorrect: See ![bare](figures/h.png)
    check:
      manual: graded by a person, nothing to compute
"""


def test_locations_in_every_kind_of_scalar(tmp_path: Path) -> None:
    """Plain, single- and double-quoted, folded and literal scalars; two images on one line;
    the bank description; choice text and feedback; question feedback."""
    bank = make_bank(tmp_path, LOCATIONS)
    got = findings(bank)
    expected = sorted(
        (*where(LOCATIONS, f"![{alt}]"), figures.E_MISSING)
        for alt in ("no file", "first", "second", "plain choice", "quoted feedback", "single quoted",
                    "in solution", "bare")
    )
    assert got == expected


def test_same_missing_image_twice_in_one_field_is_located_twice(tmp_path: Path) -> None:
    body = essay("![one](figures/x.png) text ![two](figures/x.png)\n\n![three](figures/x.png)")
    bank = make_bank(tmp_path, body)
    assert findings(bank) == [(*where(body, f"![{alt}]"), figures.E_MISSING) for alt in ("one", "two", "three")]


def test_not_images_code_and_math_are_ignored(tmp_path: Path) -> None:
    body = essay("Write `![alt](missing.png)` in Markdown; $![x](y)$ is math.")
    assert findings(make_bank(tmp_path, body)) == []


def test_qbank_check_reports_figure_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    body = essay("Look.\n\n![](figures/gone.png)")
    make_bank(tmp_path, body)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "-j", "1", "bank"]) == 1
    err = capsys.readouterr().err
    line, col = where(body, "![](")
    assert f"bank/b.yaml:{line}:{col}: F101 " in err
    assert f"bank/b.yaml:{line}:{col}: F105 " in err


def test_qbank_build_refuses_a_bank_with_a_bad_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    make_bank(tmp_path, essay("![A plot](../outside.png)"))
    (tmp_path / "outside.png").write_bytes(png())
    monkeypatch.chdir(tmp_path)
    assert main(["build", "-j", "1", "bank", "-o", "out"]) == 1
    assert not (tmp_path / "out").exists()
    assert "F102" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# Packaging: once per package, deterministic, valid


SHARED = """\
title: Shared figures
description: The course's ![course logo](figures/logo.png)
questions:
  - id: first
    type: multiple_choice
    text: |
      ![A dot plot](figures/dot.png) and again ![the same dot plot](figures/dot.png)
    choices:
      - text: "![A scatter plot](figures/scatter.png)"
        correct: true
        feedback: Compare with ![the dot plot](./figures/dot.png).
      - text: None of them
        correct: false
    solution: "![Worked answer](figures/dot.png)"
    check:
      manual: graded by a person, nothing to compute
  - id: second
    type: essay
    text: Describe ![a diagram](figures/diagram.svg) and ![a dot plot](figures/dot.png).
    check:
      manual: graded by a person, nothing to compute
"""
SHARED_FILES = {"figures/dot.png": png(2, 2), "figures/scatter.png": png(3, 1), "figures/diagram.svg": SVG,
                "figures/logo.png": png(1, 2)}


@pytest.fixture
def shared(tmp_path: Path) -> Bank:
    bank = make_bank(tmp_path, SHARED, SHARED_FILES)
    assert figures.check_bank(bank) == []
    return bank


def test_canvas_stores_each_figure_once(shared: Bank) -> None:
    data, report = write(canvas, shared)
    assert report.errors == [] and report.warnings == []
    zf, manifest, assessment = canvas_parts(data)
    ident = canvas.assessment_ident(shared.name)
    stored = sorted(n for n in zf.namelist() if n.startswith(f"{ident}/figures/"))
    assert stored == [f"{ident}/{p}" for p in sorted(SHARED_FILES)]
    for path in SHARED_FILES:
        assert zf.read(f"{ident}/{path}") == SHARED_FILES[path]
    listed = manifest_files(manifest)
    assert sorted(p for p, t in listed.items() if t == "webcontent") == stored
    assert len(manifest.findall(".//cp:resource[@type='webcontent']", CP)) == len(stored)
    assert cp_schema().validate(manifest), "\n".join(map(str, cp_schema().error_log))
    # every reference, in every field, is to a stored entry; ./figures/dot.png is the same file
    html = "".join(m.text or "" for m in assessment.iter(f"{{{canvas.QTI_NS}}}mattext"))
    targets = [filebase_target(src) for src, _ in img_srcs(html)]
    assert set(targets) == set(stored) - {f"{ident}/figures/logo.png"}
    assert targets.count(f"{ident}/figures/dot.png") == 5
    meta = etree.fromstring(zf.read(f"{ident}/{canvas.META_FILE}"))
    [(logo, _)] = img_srcs(meta.findtext(f"{{{canvas.CANVAS_NS}}}description"))
    assert filebase_target(logo) == f"{ident}/figures/logo.png"


def test_moodle_stores_each_figure_once_per_field(shared: Bank) -> None:
    data, report = write(moodle, shared)
    assert report.errors == []
    [warning] = report.warnings  # the bank description lands in a category's info: no files there
    assert warning.code == moodle.W_FIGURE_FIELD and "figures/logo.png" in warning.message
    root = etree.fromstring(data)
    folder = Path(shared.path).parent
    checked = 0
    for field in root.iter():
        text = field.find("text")
        refs = plugin_refs(text.text or "") if text is not None else []
        if not refs or field.tag == "info":
            assert field.find("file") is None
            continue
        files = moodle_files(field)
        assert len(field.findall("file")) == len(set(refs)) == len(files)
        assert files == {ref: (folder / ref.lstrip("/")).read_bytes() for ref in refs}
        checked += 1
    # `first`: question text, choice A, its feedback, general feedback; `second`: question text
    assert checked == 5
    first = moodle_question(root, "first")
    assert len(first.find("questiontext").findall("file")) == 1  # dot.png shown twice, stored once


def test_gift_embeds_every_use(shared: Bank) -> None:
    data, report = write(gift, shared)
    assert report.errors == [] and report.warnings == []
    text = gift_unescape(data.decode("utf-8"))
    uris = re.findall(r'src="(data:[^"]+)"', text)
    decoded = [data_uri_bytes(u)[1] for u in uris]
    assert decoded.count(SHARED_FILES["figures/dot.png"]) == 5
    assert decoded.count(SHARED_FILES["figures/diagram.svg"]) == 1
    assert ("image/svg+xml", SVG) in [data_uri_bytes(u) for u in uris]


@pytest.mark.parametrize("module", [canvas, moodle, gift], ids=["canvas", "moodle", "gift"])
def test_deterministic(module: Any, tmp_path: Path) -> None:
    first = make_bank(tmp_path / "a", SHARED, SHARED_FILES)
    second = make_bank(tmp_path / "b", SHARED, dict(reversed(list(SHARED_FILES.items()))))
    out_a, _ = write(module, first)
    again, _ = write(module, first)
    out_b, _ = write(module, second)
    assert out_a == again
    assert out_b == out_a.replace(str(tmp_path / "a").encode(), str(tmp_path / "b").encode())


def test_gift_leaves_out_a_figure_too_large_to_embed(shared: Bank) -> None:
    report = Collector()
    data = gift.write(shared, report, gift.Options(figure_embed_limit=len(SVG) - 1))
    [w] = report.warnings
    second = next(q for q in shared.questions if q.id == "second")
    assert (w.code, w.loc, w.severity) == (gift.W_FIGURE, second.loc, "warning")
    assert "figures/diagram.svg" in w.message
    text = gift_unescape(gift_block(data.decode("utf-8"), "second"))
    assert "[a diagram]" in text and "image/svg+xml" not in text


@pytest.mark.parametrize("module", [canvas, moodle, gift], ids=["canvas", "moodle", "gift"])
def test_writers_report_a_figure_they_cannot_package(module: Any, tmp_path: Path) -> None:
    """Called without `qbank check` first, a writer still never ships a broken image silently."""
    bank = make_bank(tmp_path, essay("![A plot](figures/gone.png)"))
    _, report = write(module, bank)
    assert [(d.code, d.loc, d.severity) for d in report.errors] == [(figures.E_MISSING, bank.questions[0].loc, "error")]


# ---------------------------------------------------------------------------------------
# The text layer's image hook


def test_hook_is_called_on_every_render_and_does_not_leak_into_the_cache() -> None:
    calls: list[tuple[str, str]] = []

    def hook(src: str, alt: str) -> str:
        calls.append((src, alt))
        return "X/" + src

    md = "See ![A *net*](figures/net.png)."
    assert to_html(md) == '<p>See <img src="figures/net.png" alt="A net" />.</p>'
    assert to_html(md, "mathjax", images=hook) == '<p>See <img src="X/figures/net.png" alt="A net" />.</p>'
    assert to_html(md, "mathjax", images=hook) == '<p>See <img src="X/figures/net.png" alt="A net" />.</p>'
    assert calls == [("figures/net.png", "A net")] * 2
    assert to_html(md) == '<p>See <img src="figures/net.png" alt="A net" />.</p>'


def test_hook_returning_none_shows_the_alt_text() -> None:
    assert to_html("![A <plot>](x.png)", "mathjax", images=lambda s, a: None) == "<p>[A &lt;plot&gt;]</p>"


def test_markdown_images_are_what_the_renderer_sees() -> None:
    md = "a ![one](1.png) `![no](2.png)` $![no](3.png)$ [![two $x_1$](4.png)](http://x) \\![no](5.png)"
    assert markdown_images(md) == [("1.png", "one"), ("4.png", "two x_1")]


# ---------------------------------------------------------------------------------------
# Questions from several bank files in one package (a quiz, exporter.quizzes)


def test_paths_are_relative_to_the_file_the_question_is_in(tmp_path: Path) -> None:
    bank = make_bank(tmp_path / "course", essay("![A plot](figures/x.png)"), {"figures/x.png": png()})
    quiz = replace(bank, name="quiz", path=str(tmp_path / "quizzes" / "quiz.yaml"))
    data, report = write(canvas, quiz)
    assert report.errors == []
    zf, _, assessment = canvas_parts(data)
    [(src, _)] = img_srcs(canvas_item_html(assessment, "q1"))
    assert zf.read(filebase_target(src)) == png()


def test_same_relative_path_different_files_do_not_overwrite_each_other(tmp_path: Path) -> None:
    one = make_bank(tmp_path / "one", essay("![A plot](figures/x.png)", qid="one"), {"figures/x.png": png(1, 1)})
    two = make_bank(tmp_path / "two", essay("![Another plot](figures/x.png)", qid="two"), {"figures/x.png": png(2, 2)})
    quiz = replace(one, name="quiz", questions=one.questions + two.questions)
    data, report = write(canvas, quiz)
    assert report.errors == []
    zf, manifest, assessment = canvas_parts(data)
    shown = {qid: zf.read(filebase_target(img_srcs(canvas_item_html(assessment, qid))[0][0])) for qid in ("one", "two")}
    assert shown == {"one": png(1, 1), "two": png(2, 2)}
    assert len([n for n in zf.namelist() if n.endswith(".png")]) == 2
    assert cp_schema().validate(manifest)
    moodle_xml, report = write(moodle, quiz)
    assert report.errors == []
    root = etree.fromstring(moodle_xml)
    for qid, expected in (("one", png(1, 1)), ("two", png(2, 2))):
        field = moodle_question(root, qid).find("questiontext")
        [ref] = plugin_refs(field.findtext("text"))
        assert moodle_files(field) == {ref: expected}
