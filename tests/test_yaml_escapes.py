"""YAML's double-quoted escapes eat LaTeX (`"\\theta"` is a tab and `heta`): caught at load,
at the backslash, with the fix; control characters never reach a writer."""

from __future__ import annotations

import pytest

from exporter.cli import main
from exporter.load import load_banks

HEAD = "title: t\nquestions:\n"


def _bank(tmp_path, text_line: str):
    f = tmp_path / "b.yaml"
    f.write_text(
        HEAD
        + "  - id: q1\n    type: essay\n"
        + f"    text: {text_line}\n"
        + "    check: {manual: Free text graded by a person.}\n",
        encoding="utf-8",
    )
    return f


@pytest.mark.parametrize(
    ("text", "col", "command", "became"),
    [
        (r'"$\theta \neq 0$"', 13, r"\theta", "a tab"),
        (r'"$\frac12$"', 13, r"\frac", "a form feed"),
        (r'"$\nabla f$"', 13, r"\nabla", "a line break"),
        (r'"$\alpha$"', 13, r"\alpha", "a bell"),
        (r'"Let $x > 0$, $\beta \ne 0$"', 26, r"\beta", "a backspace"),
        (r'"$\vec{v}$ and $\rho$"', 13, r"\vec", "a vertical tab"),
        (r'"$\epsilon$"', 13, r"\epsilon", "an escape character"),
    ],
)
def test_escape_that_begins_a_latex_command_is_a_located_load_error(tmp_path, text, col, command, became) -> None:
    f = _bank(tmp_path, text)
    _, found = load_banks([str(f)])
    assert [(d.loc.line, d.loc.col, d.code) for d in found] == [(5, col, "E007")]
    message = found[0].message
    assert command in message and became in message
    assert "single quotes" in message and "`|` block" in message


def test_escape_in_a_later_line_of_a_double_quoted_scalar_is_located_on_its_line(tmp_path) -> None:
    f = _bank(tmp_path, '"first line\n      then $\\tanh x$"')
    _, found = load_banks([str(f)])
    assert [(d.loc.line, d.loc.col, d.code) for d in found] == [(6, 13, "E007")]


@pytest.mark.parametrize(
    "text",
    [
        r"'$\theta \neq 0$'",  # single quotes keep backslashes
        r'"$\\theta \\neq 0$"',  # escaped backslashes are fine
        r'"a line\nbreak"',  # \n before letters that make no command is a real line break
        "$\\frac12$",  # plain scalars have no escapes
    ],
)
def test_latex_written_safely_loads_clean(tmp_path, text) -> None:
    _, found = load_banks([str(_bank(tmp_path, text))])
    assert found == []


def test_block_scalar_keeps_backslashes(tmp_path) -> None:
    f = _bank(tmp_path, "|\n      $\\theta \\neq 0$ and $\\frac12$")
    banks, found = load_banks([str(f)])
    assert found == []
    assert banks[0].questions[0].text == "$\\theta \\neq 0$ and $\\frac12$\n"


@pytest.mark.parametrize("escape", [r"\x01", r"\f", r"\u0007", r"\e", r"\x7f"])
def test_control_character_in_a_text_is_a_located_error(tmp_path, escape) -> None:
    f = _bank(tmp_path, f'"before {escape} after"')
    _, found = load_banks([str(f)])
    assert [(d.loc.line, d.loc.col, d.code) for d in found] == [(5, 11, "E008")]


def test_build_of_escape_damage_fails_cleanly_without_traceback(tmp_path, capsys) -> None:
    """`"$\\frac12$"` passed check and crashed the Canvas writer with a ValueError."""
    f = _bank(tmp_path, r'"$\frac12$ and \x0c"')
    out = tmp_path / "dist"
    assert main(["build", str(f), "-o", str(out), "--no-cache", "-j", "1"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and ":5:13: E007" in err
    assert not out.exists()
