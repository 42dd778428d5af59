"""Every YAML example in the README is what it says it is (issue 20).

Each ```yaml block is preceded by a marker, `<!-- example: KIND -->`, and a block without
one fails this test, so a new example cannot slip in untested:

- `bank`: a whole bank file; `questions`: a list of questions, put in a bank file. Both are
  checked and built: no finding at all, not even a warning.
- `questions, wrong`: a mistake shown on purpose; it must produce exactly the finding the
  README prints in the plain code block right after it.
- `quiz`: a quiz file (its first line names it); checked and built with this repository's
  bank: no finding.
- `excerpt`: part of a file, to show one point; it must be valid YAML.
- `workflow`: CI configuration; valid YAML, and every `qbank …` command in it runs clean on
  this repository.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from exporter.cli import main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")

_BLOCK = re.compile(r"(?:<!-- example: (?P<kind>[^>]*?) -->\n)?```yaml\n(?P<body>.*?)```\n(?:\n```\n(?P<shown>.*?)```\n)?", re.S)


def examples() -> list[tuple[str, str, str, int]]:
    out = []
    for m in _BLOCK.finditer(README):
        line = README.count("\n", 0, m.start("body")) + 1
        out.append((m.group("kind") or "", m.group("body"), m.group("shown") or "", line))
    return out


EXAMPLES = examples()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(argv)
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if not line.startswith("qbank:")]


def test_every_yaml_example_is_marked() -> None:
    assert len(EXAMPLES) >= 12
    kinds = {"bank", "questions", "questions, wrong", "quiz", "excerpt", "workflow"}
    unmarked = [line for kind, _, _, line in EXAMPLES if kind not in kinds]
    assert unmarked == [], f"README.md lines {unmarked}: put `<!-- example: KIND -->` above the block (see this test's docstring)"


def _as_bank(kind: str, body: str) -> str:
    return body if kind == "bank" else "title: README example\nquestions:\n" + body


@pytest.mark.parametrize(("kind", "body", "shown", "line"),
                         [e for e in EXAMPLES if e[0] in ("bank", "questions", "questions, wrong")],
                         ids=lambda v: f"README.md:{v}" if isinstance(v, int) else "")
def test_bank_example_checks_and_builds_without_a_finding(kind, body, shown, line, tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "example.yaml").write_text(_as_bank(kind, body), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    if kind == "questions, wrong":
        code, findings = run(["check", "-j", "1", "--no-cache"], capsys)
        assert code == 1
        assert findings == shown.strip().splitlines(), f"README.md:{line}: the finding shown is not the one qbank gives"
        return
    assert run(["check", "-j", "1", "--no-cache"], capsys) == (0, [])
    assert run(["build", "-j", "1", "--no-cache", "-o", "out"], capsys) == (0, [])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["canvas", "gift", "moodle"]


@pytest.mark.parametrize("body", [b for k, b, _, _ in EXAMPLES if k == "quiz"])
def test_quiz_example_checks_and_builds_without_a_finding(body: str, clone: Path, capsys) -> None:
    name = re.match(r"# quizzes/([\w.-]+\.yaml)\n", body)
    assert name, "a quiz example starts with `# quizzes/<name>.yaml`"
    shutil.rmtree(clone / "quizzes")
    (clone / "quizzes").mkdir()
    (clone / "quizzes" / name.group(1)).write_text(body, encoding="utf-8")
    assert run(["check", "-j", "1"], capsys) == (0, [])
    code, lines = run(["build", "-j", "1", "-o", "out"], capsys)
    assert (code, lines) == (0, [])
    assert (clone / "out" / "canvas" / "quizzes" / name.group(1).replace(".yaml", ".zip")).is_file()


@pytest.mark.parametrize("body", [b for k, b, _, _ in EXAMPLES if k in ("excerpt", "workflow")])
def test_excerpts_and_workflows_are_valid_yaml(body: str) -> None:
    assert yaml.safe_load(body) is not None


def _qbank_commands() -> list[list[str]]:
    found = []
    for kind, body, _, _ in EXAMPLES:
        if kind != "workflow":
            continue
        for step in re.findall(r"run: (qbank .*?)(?:\s+#.*)?$", body, re.M):
            found.append(shlex.split(step)[1:])
    return found


def test_workflow_commands_run_clean_on_this_repository(clone: Path, capsys) -> None:
    commands = _qbank_commands()
    assert ["build", "--check"] in commands
    for argv in commands:
        code, lines = run(argv, capsys)
        assert (code, lines) == (0, []), argv
