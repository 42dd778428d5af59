"""The README's format reference must stay true: its examples load and check clean."""

from __future__ import annotations

import re
from pathlib import Path

from exporter.load import load_banks

README = Path(__file__).resolve().parents[1] / "README.md"


def example_bank(tmp_path: Path) -> Path:
    text = README.read_text(encoding="utf-8")
    section = text.split("### One example per type", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    f = tmp_path / "examples.yaml"
    f.write_text("title: README examples\nquestions:\n" + block, encoding="utf-8")
    return f


def test_readme_examples_cover_every_type_and_load_clean(tmp_path: Path) -> None:
    banks, problems = load_banks([str(example_bank(tmp_path))])
    assert problems == []
    types = {q.type for q in banks[0].questions}
    assert types == {"multiple_choice", "multiple_answers", "true_false", "numerical", "short_answer", "essay", "matching"}


# Finding codes and their README rows: tests/test_codes.py
