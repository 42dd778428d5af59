"""Writer options: qbank.toml / [tool.qbank] and --option, never module globals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import exporter
from exporter.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "bank", tmp_path / "bank")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def canvas_zip(out: Path) -> bytes:
    return (out / "canvas" / "quiz2-differentiation.zip").read_bytes()


def build(*extra: str, out: str) -> int:
    return main(["build", "-j", "1", "--no-cache", "--targets", "canvas", "-o", out, *extra])


def test_math_style_from_qbank_toml_pyproject_or_the_command_line(project: Path) -> None:
    assert build(out="default") == 0
    default = canvas_zip(project / "default")
    assert b"equation_image" in default

    assert build("--option", "canvas.math_style=mathjax", out="flag") == 0
    mathjax = canvas_zip(project / "flag")
    assert b"equation_image" not in mathjax and b"\\(" in mathjax

    (project / "pyproject.toml").write_text('[tool.qbank.canvas]\nmath_style = "mathjax"\n', encoding="utf-8")
    assert build(out="pyproject") == 0
    assert canvas_zip(project / "pyproject") == mathjax

    (project / "qbank.toml").write_text('[canvas]\nmath_style = "canvas_image"\n', encoding="utf-8")
    assert build(out="toml") == 0
    assert canvas_zip(project / "toml") == default, "qbank.toml wins over pyproject.toml"
    assert build("--option", "canvas.math_style=mathjax", out="both") == 0
    assert canvas_zip(project / "both") == mathjax, "the command line wins over both"

    # the library reads the same configuration as the command
    exporter.build(exporter.check(cache=False, jobs=1), "lib", targets=["canvas"])
    assert canvas_zip(project / "lib") == default
    exporter.build(exporter.check(cache=False, jobs=1), "lib2", targets=["canvas"], options={"canvas": {"math_style": "mathjax"}})
    assert canvas_zip(project / "lib2") == mathjax


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ('[canvas]\nmath_style = "latex"\n', "qbank.toml: canvas.math_style: 'latex' is not one of"),
        ('[canvas]\nmath = "mathjax"\n', "qbank.toml: canvas.math: canvas has no such option (its options: math_style)"),
        ('[blackboard]\nx = 1\n', "qbank.toml: [blackboard]: no such target"),
        ('[gift]\nfigure_embed_limit = "big"\n', "gift.figure_embed_limit: expected an integer"),
        ("[canvas\n", "qbank.toml: not valid TOML"),
        ('math_style = "mathjax"\n', "must hold one table per target"),
    ],
)
def test_a_bad_configuration_is_a_usage_error_naming_the_file(project: Path, toml: str, says: str, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "qbank.toml").write_text(toml, encoding="utf-8")
    assert build(out="out") == 2
    assert says in capsys.readouterr().err
    assert not (project / "out").exists()


def test_a_bad_option_flag_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert build("--option", "canvas.math_style", out="out") == 2
    assert "TARGET.OPTION=VALUE" in capsys.readouterr().err
