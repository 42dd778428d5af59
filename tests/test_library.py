"""The library API: `exporter.check` and `exporter.build` are what `qbank` runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import exporter
from exporter.cli import main

REPO = Path(__file__).resolve().parents[1]


def files_under(root: Path) -> dict[str, bytes]:
    """The built files under `root`; `preview/` (`qbank preview`'s default output, not
    committed) is not a build target."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] != "preview"}


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The repository's bank, quizzes and lock in a scratch folder, as the working directory."""
    for folder in ("bank", "quizzes"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_library_build_writes_the_same_bytes_as_the_command(repo_copy: Path) -> None:
    result = exporter.check(["bank"], cache=False, jobs=1)
    assert result.ok and result.quizzes, "the default bank folder brings quizzes/ along, as `qbank build` does"
    built = exporter.build(result, "out-lib")
    assert built.built and built.changed
    assert main(["build", "-j", "1", "--no-cache", "-o", "out-cli"]) == 0
    lib, cli = files_under(repo_copy / "out-lib"), files_under(repo_copy / "out-cli")
    assert lib == cli
    # and both are the committed dist/: the refactor changed no byte
    assert lib == files_under(REPO / "dist")


def test_library_in_a_fresh_interpreter(repo_copy: Path) -> None:
    """The issue's one-liner, as a user would type it."""
    code = "import exporter; r = exporter.check(['bank'], cache=False, jobs=1); exporter.build(r, 'out')"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=repo_copy)
    assert files_under(repo_copy / "out") == files_under(REPO / "dist")


def test_build_of_a_check_with_errors_writes_nothing(repo_copy: Path) -> None:
    (repo_copy / "bank" / "broken.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    result = exporter.check(["bank"], cache=False, jobs=1, quizzes=None)
    assert not result.ok
    built = exporter.build(result, "out")
    assert not built.built and not built.outputs
    assert not (repo_copy / "out").exists()


def test_targets_builds_a_subset(repo_copy: Path) -> None:
    result = exporter.check(cache=False, jobs=1)
    built = exporter.build(result, "out", targets=["moodle"])
    assert {p.parts[0] for p in built.outputs} == {"moodle"}
    assert {p.split("/")[0] for p in files_under(repo_copy / "out")} == {"moodle"}
    # verifying a subset does not call the other targets' folders stale
    assert exporter.build(result, "out", targets=["moodle"], verify=True).problems == []
    assert main(["build", "-j", "1", "--no-cache", "--targets", "gift", "-o", "only-gift"]) == 0
    assert {p.split("/")[0] for p in files_under(repo_copy / "only-gift")} == {"gift"}


def test_unknown_target_is_a_usage_error(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["build", "--targets", "canvas,blackboard"])
    assert exc.value.code == 2
    assert "blackboard" in capsys.readouterr().err


def test_stage_timings_are_reported(repo_copy: Path) -> None:
    """The benchmark reads these instead of patching qbank."""
    result = exporter.check(cache=False, jobs=1)
    assert {"load", "lock", "figures", "variants", "quizzes", "check"} <= set(result.timings)
    built = exporter.build(result, "out")
    assert {"render", "write"} <= set(built.timings)


def test_ignore_and_warnings_as_errors(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Points Moodle stores to 7 decimals: an M206 warning for the quiz's Moodle XML file."""
    quiz = repo_copy / "quizzes" / "midterm-practice.yaml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("points: 3\n", "points: 0.123456789\n"), encoding="utf-8")
    assert main(["build", "-j", "1", "--no-cache", "-o", "out"]) == 0
    assert "M206 warning" in capsys.readouterr().err
    # CI that wants a clean log: nothing written is lost, the build still succeeds
    assert main(["build", "-j", "1", "--no-cache", "-o", "out2", "--ignore", "M206"]) == 0
    assert "M206" not in capsys.readouterr().err
    # CI that wants no warnings at all: the build fails and writes nothing
    assert main(["build", "-j", "1", "--no-cache", "-o", "out3", "--warnings-as-errors"]) == 1
    err = capsys.readouterr().err
    assert "M206 quiz" in err and "left as it was" in err
    assert not (repo_copy / "out3").exists()
    assert main(["check", "-j", "1", "--no-cache", "--warnings-as-errors", "--ignore", "M206"]) == 0


def test_ignore_accepts_an_old_code_for_its_merged_one(repo_copy: Path) -> None:
    result = exporter.check(cache=False, jobs=1, ignore=["C202"])  # merged into W201
    assert "W201" in result.policy.ignore
    with pytest.raises(ValueError, match="Z999"):
        exporter.check(cache=False, jobs=1, ignore=["Z999"])
