"""Hostile files are refused with a located message, in bounded memory, and nothing is written.

Each attack is a real one, built here: XML external entities and the billion-laughs entity
bomb, a zip entry climbing out of the package (zip slip), a zip bomb (hundreds of MiB of
zeros compressed to a few hundred KiB), an oversized file, text that is not UTF-8, broken
XML. The import must answer with the right I1xx code at the right place, exit 1 (never a
traceback), write no bank file, and — for the bombs — allocate little (tracemalloc).
"""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from exporter.cli import main
from exporter.readers import common

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="truefalse"><name><text>&secret;</text></name></question></quiz>
"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [
 <!ENTITY a "lollollollollollollollollollol">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
 <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<quiz><question type="category"><category><text>&i;</text></category></question></quiz>
"""

GOOD_QTI = (Path(__file__).resolve().parent.parent / "dist" / "canvas" / "quiz2-differentiation.zip")


def run(tmp_path: Path, name: str, data: bytes, capsys) -> tuple[int, str]:
    source = tmp_path / name
    source.write_bytes(data)
    out = tmp_path / "bank" / "imported.yaml"
    code = main(["import", str(source), "-o", str(out)])
    err = capsys.readouterr().err
    assert not out.exists()  # nothing half-written
    assert not (tmp_path / "bank" / "figures").exists()
    assert "Traceback" not in err
    return code, err


def zipped(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def test_xxe_is_refused(tmp_path: Path, capsys) -> None:
    code, err = run(tmp_path, "xxe.xml", XXE, capsys)
    assert code == 1 and "xxe.xml:1:1: I105" in err and "root:" not in err


def test_billion_laughs_is_refused_quickly_and_small(tmp_path: Path, capsys) -> None:
    tracemalloc.start()
    code, err = run(tmp_path, "laughs.xml", LAUGHS, capsys)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert code == 1 and "laughs.xml:1:1: I105" in err
    assert peak < 5 * 1024 * 1024  # expanded, the bomb would be 3 GB of "lol"


def test_entities_inside_a_package_are_refused(tmp_path: Path, capsys) -> None:
    code, err = run(tmp_path, "quiz.zip", zipped([("quiz/quiz.xml", XXE.replace(b"<quiz>", b"<questestinterop>")
                                                   .replace(b"</quiz>", b"</questestinterop>"))]), capsys)
    assert code == 1 and "quiz.zip!quiz/quiz.xml:1:1: I105" in err


@pytest.mark.parametrize("name", ["../../evil.xml", "/etc/evil.xml", "a/../../evil.xml"])
def test_zip_slip_is_refused(tmp_path: Path, capsys, name: str) -> None:
    package = zipped([("imsmanifest.xml", b"<manifest/>"), (name, b"<questestinterop/>")])
    code, err = run(tmp_path, "slip.zip", package, capsys)
    assert code == 1 and "slip.zip:1:1: I106" in err and "zip-slip" in err
    assert not (tmp_path.parent / "evil.xml").exists()


def test_zip_bomb_is_refused_without_inflating_it(tmp_path: Path, capsys) -> None:
    """300 MiB of zeros in one entry: over the total cap, refused from the directory alone."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("bomb/bomb.xml", "w", force_zip64=True) as entry:
            zeros = b"\0" * (1024 * 1024)
            for _ in range(300):
                entry.write(zeros)
    assert len(buf.getvalue()) < 2 * 1024 * 1024
    tracemalloc.start()
    code, err = run(tmp_path, "bomb.zip", buf.getvalue(), capsys)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert code == 1 and "bomb.zip:1:1: I103" in err and "unpacks to 314,572,800 bytes" in err
    assert peak < 16 * 1024 * 1024


def test_zip_bomb_ratio_is_refused(tmp_path: Path, capsys) -> None:
    """Under the total cap but 1000:1: refused by the ratio rule before it is inflated."""
    package = zipped([("q/q.xml", b"\0" * (8 * 1024 * 1024))])
    code, err = run(tmp_path, "ratio.zip", package, capsys)
    assert code == 1 and "ratio.zip:1:1: I103" in err and "zip bomb" in err


def test_too_many_entries_and_huge_files_are_refused(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(common, "MAX_FILE_BYTES", 1000)
    code, err = run(tmp_path, "big.zip", GOOD_QTI.read_bytes(), capsys)
    assert code == 1 and "big.zip:1:1: I103" in err and "up to 1,000 bytes" in err


def test_not_utf8_is_refused_at_the_byte(tmp_path: Path, capsys) -> None:
    gift = "::A::Which?{=caf\u00e9 ~tea}\n\n::B::Ol\u00e9?{T}\n".encode("latin-1")
    code, err = run(tmp_path, "latin1.gift", gift, capsys)
    assert code == 1 and "latin1.gift:1:17: I102" in err and "0xE9" in err


def test_broken_xml_is_refused_at_its_line(tmp_path: Path, capsys) -> None:
    code, err = run(tmp_path, "broken.xml", b'<?xml version="1.0"?>\n<quiz>\n<question type="truefalse">\n</quiz>\n',
                    capsys)
    assert code == 1 and "broken.xml:4:" in err and "I104" in err


def test_one_hostile_file_does_not_stop_the_others(tmp_path: Path, capsys) -> None:
    (tmp_path / "xxe.xml").write_bytes(XXE)
    out = tmp_path / "bank" / "mixed.yaml"
    code = main(["import", str(tmp_path / "xxe.xml"), str(GOOD_QTI), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "I105" in err and "imported 14 question(s)" in err
    assert out.exists()
