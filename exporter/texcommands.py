"""The TeX commands and environments MathJax renders, as data (exporter/data/mathjax_tex.json).

Moodle and Canvas render math with MathJax, so "a command MathJax knows" is the useful
definition of a valid command for a bank. The list is extracted from MathJax's own TeX input
token maps by exporter/data/extract_mathjax.py rather than typed in, so it can be refreshed
when MathJax changes. The YAML loader (escapes that ate a command) and the math lint share it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

_DATA = Path(__file__).with_name("data") / "mathjax_tex.json"


@cache
def _table() -> dict[str, list[str]]:
    return json.loads(_DATA.read_text(encoding="utf-8"))


@cache
def commands() -> frozenset[str]:
    """Command names without the backslash (`frac`, `theta`, …): letters only."""
    return frozenset(_table()["commands"])


@cache
def environments() -> frozenset[str]:
    """Environment names (`bmatrix`, `align*`, …)."""
    return frozenset(_table()["environments"])
