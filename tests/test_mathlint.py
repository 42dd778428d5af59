"""Math lint: what MathJax would show as an error or red text is found before export."""

from __future__ import annotations

import pytest

from exporter import mathlint, texcommands
from exporter.cli import main


@pytest.mark.parametrize(
    ("latex", "code", "says"),
    [
        (r"\frac{1}{2", "T101", "never closed"),
        (r"x}", "T101", "closes nothing"),
        (r"\left( x", "T102", r"`\left`"),
        (r"\begin{bmatrix} 1 \end{pmatrix}", "T103", "does not close"),
        (r"\begin{bmatrix} 1", "T103", "never closed"),
        (r"\begin{tabular} 1 \end{tabular}", "T103", "no environment"),
        (r"\sigmoid(z)", "T201", r"`\sigmoid`"),
        (r"y = anh(z)", "T202", r"`\tanh`"),
        (r"rac{1}{2}", "T202", r"`\frac`"),
        (r"ext{if } x", "T202", r"`\text`"),
        (r"2 imes 3", "T202", r"`\times`"),
        (r"heta + 1", "T202", r"`\theta`"),
    ],
)
def test_each_problem_is_found(latex, code, says) -> None:
    found = list(mathlint.lint(latex))
    assert [c for c, _ in found] == [code], found
    assert says in found[0][1]


@pytest.mark.parametrize(
    "latex",
    [
        r"\frac{\partial C}{\partial w_2} = 2(\sigma(z) - y)\,\sigma'(z)",
        r"\left[\frac{\partial f}{\partial y}, \frac{\partial f}{\partial z}\right]",
        r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}",
        r"\sigma(z)\bigl(1 - \sigma(z)\bigr) = 0.6 \times (1 - 0.6)",
        r"\{1, 2\} \cup \mathbb{R}^{3 \times 8} \quad \text{and} \qquad \dots",
        r"\max(a, b) \text{ for the rest } \angle x",
    ],
)
def test_good_math_is_clean(latex) -> None:
    assert list(mathlint.lint(latex)) == []


def test_the_command_table_is_mathjaxs_and_says_where_it_came_from() -> None:
    import json

    table = json.loads(texcommands._DATA.read_text(encoding="utf-8"))
    assert "MathJax" in table["origin"] and "Apache" in table["licence"]
    assert {"frac", "tanh", "text", "times", "mathbb", "bigl", "operatorname", "cancel", "ce"} <= texcommands.commands()
    assert "sigmoid" not in texcommands.commands()
    assert {"bmatrix", "align", "cases"} <= texcommands.environments()


def test_the_seed_damage_is_a_located_warning(tmp_path, capsys) -> None:
    """The seed page's `rac`, `ext`, `imes`, pasted as they were scraped."""
    f = tmp_path / "b.yaml"
    f.write_text(
        "title: t\nquestions:\n  - id: q\n    type: essay\n"
        "    text: |\n      Suppose $y = anh(z) = rac{e^z - e^{-z}}{e^z + e^{-z}}$.\n\n      Then $2 imes 3$.\n"
        "    check: {manual: Free text graded by a person.}\n",
        encoding="utf-8",
    )
    assert main(["check", str(f), "--no-cache", "-j", "1"]) == 0  # warnings
    err = capsys.readouterr().err
    assert f"{f.as_posix()}:6:7: T202 warning: `q`: `anh` looks like `\\tanh`" in err
    assert f"{f.as_posix()}:6:7: T202 warning: `q`: `rac` looks like `\\frac`" in err
    assert f"{f.as_posix()}:8:1: T202 warning: `q`: `imes` looks like `\\times`" in err
