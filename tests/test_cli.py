"""The command-line contract: exit codes, report formats, all-or-nothing builds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lxml import etree

from exporter.cli import main

REPO = Path(__file__).resolve().parents[1]

WRONG_KEY = """\
title: Broken
questions:
  - id: wrong-key
    type: multiple_choice
    text: What is $\\frac{d}{dx} x^2$ at $x = 3$?
    choices:
      - text: "6"
        correct: false
        value: 6
      - text: "9"
        correct: true
        value: 9
    check:
      symbols: [x]
      given: {x: 3}
      quantity: "diff(x**2, x)"
  - id: fine
    type: essay
    text: Explain.
    check:
      manual: graded by a person, nothing to compute
"""


@pytest.fixture
def seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's bank in a scratch folder, as the working directory."""
    shutil.copytree(REPO / "bank", tmp_path / "bank")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "broken.yaml").write_text(WRONG_KEY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_check_clean_bank_exits_0_with_summary(seed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-j", "1"]) == 0
    err = capsys.readouterr().err
    # the seed's 10 questions and the 4 variants of its parametrised one, the statistics
    # bank's 11 and the 4 + 6 variants of its two (each variant is checked)
    assert "42 questions (28 written, 14 variant(s) of 3 parametrised) in 3 bank file(s): 40 machine-checked, 2 manual, 0 failed; displayed keys: 75 verified, 0 taken as written; 0 error(s)" in err


def test_check_wrong_key_exits_1_with_located_finding(tmp_path: Path, monkeypatch, capsys) -> None:
    broken(tmp_path, monkeypatch)
    assert main(["check", "-j", "1"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("bank/broken.yaml:8:18: K1")
    assert "choice A" in err[0]
    assert "1 failed" in err[-1]


def test_missing_path_exits_2(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check", "nowhere"]) == 2
    assert "nowhere: no such file or directory" in capsys.readouterr().err


def test_json_report(tmp_path: Path, monkeypatch, capsys) -> None:
    broken(tmp_path, monkeypatch)
    assert main(["check", "-j", "1", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    # choice A is the true key (K102) and choice B is keyed correct but wrong (K101)
    assert report["summary"] == {"questions": 2, "checked": 1, "manual": 1, "unverified": 0, "failed": 1, "errors": 2,
                                 "warnings": 0, "displayed_keys": 2, "displayed_verified": 2, "displayed_taken_as_written": 0,
                                 "accepted_losses": 0}
    assert [d["code"] for d in report["diagnostics"]] == ["K102", "K101"]
    first = report["diagnostics"][0]
    assert (first["path"], first["line"], first["column"], first["severity"]) == ("bank/broken.yaml", 8, 18, "error")
    assert first["code"].startswith("K1")


def test_junit_report(tmp_path: Path, monkeypatch) -> None:
    broken(tmp_path, monkeypatch)
    assert main(["check", "-j", "1", "--junit", "report.xml"]) == 1
    root = etree.parse(str(tmp_path / "report.xml")).getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"wrong-key", "fine"}
    assert cases["wrong-key"].find("failure") is not None
    assert cases["fine"].find("skipped") is not None  # the manual check
    assert root.find("testsuite").get("failures") == "1"


def test_github_annotations(tmp_path: Path, monkeypatch, capsys) -> None:
    broken(tmp_path, monkeypatch)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    main(["check", "-j", "1"])
    out = capsys.readouterr().out
    assert out.startswith("::error file=bank/broken.yaml,line=8,col=18,title=K1")


def test_no_progress_text_when_not_a_terminal(seed: Path, capsys) -> None:
    main(["check", "-j", "1"])
    assert "checking" not in capsys.readouterr().err


def test_unsafe_expression_is_located_inside_the_quoted_scalar(tmp_path: Path, monkeypatch, capsys) -> None:
    broken(tmp_path, monkeypatch)
    bank = tmp_path / "bank" / "broken.yaml"
    bank.write_text(WRONG_KEY.replace('"diff(x**2, x)"', '"__import__(\'os\').system(\'touch x\')"'), encoding="utf-8")
    assert main(["check", "-j", "1"]) == 1
    err = capsys.readouterr().err
    line = next(l for l in err.splitlines() if ": X1" in l)
    assert line.startswith("bank/broken.yaml:16:18: X1"), line  # the `_` right after the quote
    assert not (tmp_path / "x").exists()


def test_build_writes_all_targets_and_is_byte_identical(seed: Path) -> None:
    assert main(["build", "-j", "1", "-o", "a"]) == 0
    assert main(["build", "-j", "1", "-o", "b"]) == 0
    files = sorted(p.relative_to(seed / "a") for p in (seed / "a").rglob("*") if p.is_file())
    assert {f.parts[0] for f in files} == {"canvas", "moodle", "gift"}
    for f in files:
        assert (seed / "a" / f).read_bytes() == (seed / "b" / f).read_bytes()


def test_committed_dist_is_what_the_bank_builds_to(monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    assert main(["build", "-j", "1", "--check"]) == 0


def test_failed_build_leaves_previous_dist_intact(tmp_path: Path, monkeypatch) -> None:
    broken(tmp_path, monkeypatch)
    dist = tmp_path / "dist" / "moodle"
    dist.mkdir(parents=True)
    (dist / "broken.xml").write_bytes(b"previous")
    assert main(["build", "-j", "1"]) == 1
    assert (dist / "broken.xml").read_bytes() == b"previous"
    assert sorted(p.name for p in (tmp_path / "dist").rglob("*")) == ["broken.xml", "moodle"]


def test_build_check_reports_stale_dist(seed: Path, capsys) -> None:
    assert main(["build", "-j", "1"]) == 0
    zip_path = next((seed / "dist" / "canvas").glob("*.zip"))
    zip_path.write_bytes(b"edited by hand")
    capsys.readouterr()
    assert main(["build", "-j", "1", "--check"]) == 1
    assert f"{zip_path.relative_to(seed)}: out of date" in capsys.readouterr().err


def test_lock_records_released_ids_and_guards_them(seed: Path, capsys) -> None:
    lock = seed / "bank" / "qbank.lock"
    lock.unlink()
    assert main(["build", "-j", "1"]) == 0
    assert "diff-chain-tanh" in json.loads(lock.read_text())["questions"]
    bank = seed / "bank" / "quiz2-differentiation.yaml"
    text = bank.read_text(encoding="utf-8")
    bank.write_text(text.replace("id: diff-chain-tanh", "id: diff-chain-tanh-renamed"), encoding="utf-8")
    capsys.readouterr()
    assert main(["check", "-j", "1"]) == 1
    err = capsys.readouterr().err
    assert "L101 question `diff-chain-tanh` was released" in err


def test_warm_check_answers_from_the_cache_and_an_edit_is_rechecked(seed: Path, monkeypatch, capsys) -> None:
    assert main(["check", "-j", "1"]) == 0
    import exporter.keys

    def no_sympy(*args, **kwargs):
        raise AssertionError("an unchanged bank must not reach sympy")

    with monkeypatch.context() as m:
        m.setattr(exporter.keys, "check_questions", no_sympy)
        assert main(["check", "-j", "1"]) == 0
    bank = seed / "bank" / "quiz2-differentiation.yaml"
    text = bank.read_text(encoding="utf-8")
    bank.write_text(text.replace('      - text: "0.064"\n        correct: true', '      - text: "0.064"\n        correct: false', 1)
                    .replace('      - text: "0.32"\n        correct: false', '      - text: "0.32"\n        correct: true', 1), encoding="utf-8")
    capsys.readouterr()
    assert main(["check", "-j", "1"]) == 1
    err = capsys.readouterr().err
    assert "K101 choice A is keyed correct" in err and "K102 choice B" in err


def test_no_cache_leaves_no_cache_folder(seed: Path, private_cache_home: Path) -> None:
    assert main(["check", "-j", "1", "--no-cache"]) == 0
    assert not (seed / ".qbank-cache").exists() and not (private_cache_home / "banks").exists()
    assert main(["check", "-j", "1"]) == 0
    assert not (seed / ".qbank-cache").exists() and list((private_cache_home / "banks").rglob("*.json"))


def test_parallel_build_matches_serial_bytes_and_findings(seed: Path, capsys) -> None:
    """Banks and quizzes are written in forked workers with -j 2: same files, same messages."""
    shutil.copytree(REPO / "quizzes", seed / "quizzes")
    quiz = seed / "quizzes" / "midterm-practice.yaml"  # a writer finding about the quiz: M206
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("points: 3\n", "points: 0.123456789\n"), encoding="utf-8")
    assert main(["build", "-j", "1", "-o", "serial"]) == 0
    serial_err = capsys.readouterr().err
    assert main(["build", "-j", "2", "-o", "parallel"]) == 0
    parallel_err = capsys.readouterr().err
    files = sorted(p.relative_to(seed / "serial") for p in (seed / "serial").rglob("*") if p.is_file())
    assert any(f.parts[1] == "quizzes" for f in files)
    for f in files:
        assert (seed / "serial" / f).read_bytes() == (seed / "parallel" / f).read_bytes(), f
    assert serial_err.replace("serial/", "parallel/") == parallel_err.replace("serial/", "parallel/")
    assert "M206" in parallel_err  # the quiz's writer findings came back from the worker


# --- Ctrl-C and time bounds (issue 13, item 14) ---------------------------------------------


@pytest.mark.parametrize("value", ["nan", "-1", "0", "inf", "1e9", "ten"])
def test_timeout_must_be_a_finite_positive_number_of_seconds(value: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["check", "--timeout", value])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "--timeout" in err and "number of seconds" in err and "Traceback" not in err


def test_ctrl_c_exits_130_with_one_line(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    question = """\
  - id: q{i}-{k}
    type: numerical
    text: What is the derivative of $x^{{{i}}}$ at 1?
    answer: {i}
    tolerance: 0
    check:
      symbols: [x]
      given: {{x: 1}}
      quantity: diff(x**{i}, x)
"""
    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("needs Linux's /proc to see the check's workers start")
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "slow.yaml").write_text(
        "title: Slow\nquestions:\n" + "".join(question.format(i=i, k=k) for k in range(3) for i in range(2, 1000)), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "exporter", "check", "--no-cache", "-j", "2"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and not children.read_text().strip():
        time.sleep(0.05)  # until the sympy workers run: qbank is past its imports, well into the check
    assert proc.poll() is None, "the check finished before it could be interrupted"
    workers = [int(pid) for pid in children.read_text().split()]
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (130, "qbank: interrupted\n")
    def running(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 10  # SIGKILL is delivered asynchronously
    while any(running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(running(pid) for pid in workers), "a sympy worker outlived qbank"
