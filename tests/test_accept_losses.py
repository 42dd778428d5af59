"""`accept_losses`: a target loss the author has weighed is counted, not printed — and
nothing else is hidden by it (another question's loss, another code, an error)."""

from __future__ import annotations

import json
from pathlib import Path

from exporter.cli import main

FEATURES = Path("bank") / "scoring-features.yaml"


def _build(capsys) -> tuple[int, list[str], str]:
    code = main(["build", "-j", "1", "--no-cache", "-o", "out", str(FEATURES)])
    err = capsys.readouterr().err.splitlines()
    summary = next(line for line in err if line.startswith("qbank:") and "warning(s)" in line)
    return code, [line for line in err if not line.startswith("qbank:")], summary


def _drop_line(path: Path, line_text: str) -> None:
    """Remove the first line equal to `line_text`."""
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.remove(line_text)
    path.write_text("\n".join(lines), encoding="utf-8")


def test_accepted_losses_are_counted_not_printed(clone: Path, capsys) -> None:
    code, lines, summary = _build(capsys)
    assert (code, lines) == (0, [])
    assert summary.endswith("0 error(s), 0 warning(s) (8 accepted loss(es) not shown)")


def test_a_question_that_no_longer_accepts_its_loss_prints_it_again(clone: Path, capsys) -> None:
    bank = clone / FEATURES
    text = bank.read_text(encoding="utf-8")
    first = text.index("  - id: demo-credit-chain-rule")
    second = text.index("  - id: demo-credit-descent")
    start_line = text[:first].count("\n") + 1
    end_line = text[:second].count("\n") + 1
    _drop_line(bank, "    accept_losses: [C206]")  # the first question's, the chain-rule one
    code, lines, summary = _build(capsys)
    assert code == 0
    assert lines and all(" C206 warning: " in line for line in lines), lines
    # exactly the chain-rule question's two C206s, at its own lines: the other questions still accept theirs
    rows = [int(line.split(":")[1]) for line in lines]
    assert len(rows) == 2 and all(start_line <= r < end_line for r in rows), (rows, start_line, end_line)
    assert summary.endswith("0 error(s), 2 warning(s) (6 accepted loss(es) not shown)")


def test_only_target_loss_warnings_can_be_accepted(clone: Path, capsys) -> None:
    bank = clone / FEATURES
    text = bank.read_text(encoding="utf-8")
    text = text.replace("    accept_losses: [C206]\n", "    accept_losses: [C206, K101, Z999, T201]\n", 1)
    bank.write_text(text, encoding="utf-8")
    line = text[: text.index("accept_losses: [C206, K101")].count("\n") + 1
    assert main(["check", "-j", "1", "--no-cache", str(FEATURES)]) == 1
    err = [e for e in capsys.readouterr().err.splitlines() if " E219 " in e]
    assert [e.split(": E219")[0] for e in err] == [f"{FEATURES.as_posix()}:{line}:{col}" for col in (27, 33, 39)]
    assert "K101, which is an error of the keys stage" in err[0]
    assert "Z999, which is no finding code" in err[1]
    assert "T201, which is a warning of the" in err[2]


def test_json_report_counts_accepted_losses(clone: Path, capsys) -> None:
    assert main(["check", "-j", "1", "--no-cache", "--format", "json", str(FEATURES)]) == 0
    out = json.loads(capsys.readouterr().out)
    # the Canvas losses are a writer's findings: `check` renders nothing, so it has none to accept
    assert (out["summary"]["accepted_losses"], out["summary"]["warnings"]) == (0, 0)
