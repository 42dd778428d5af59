"""What to do about a YAML mistake, in the author's terms.

libyaml says *what* it did not find (`did not find expected ',' or '}'`); an author who
wrote LaTeX into a question needs to know *why* and what to write instead. Almost every
such error in a bank comes from one of a few characters that YAML reads as syntax in an
unquoted value, and LaTeX and Markdown are full of them. The cure is always the same two:
single quotes (which keep every backslash as written, unlike double quotes, where `\\f` of
`\\frac` is a form feed), or a block scalar (`|`).
"""

from __future__ import annotations

import re

QUOTE_OR_BLOCK = "put the whole text in single quotes ('…', writing a ' inside as '') or write it as a block (`|`)"

_FLOW_START = re.compile(r"(?:^|[\s:,\[{-])\{")
_LATEX = re.compile(r"[$\\]")


def in_flow_mapping(line: str, col: int) -> bool:
    """Whether 1-based column `col` of `line` lies inside a `{…}` mapping opened on that line."""
    before = line[: max(col - 1, 0)]
    return bool(_FLOW_START.search(before))


def syntax_hint(line: str, col: int, problem: str, context: str) -> str:
    """A sentence saying what to do about a YAML syntax error at `line`/`col` (1-based), or ''."""
    where = f"{problem} {context}"
    at = line[col - 1] if 0 < col <= len(line) else ""
    if "flow mapping" in where or "flow sequence" in where or (in_flow_mapping(line, col) and "mapping values" not in where):
        latex = " (LaTeX such as `\\frac{3}{4}` or `f(a, b)` often does)" if _LATEX.search(line) else ""
        return ("inside `{…}` (or `[…]`) a `,`, `{`, `}`, `[`, `]` or `: ` in a value ends or nests it"
                f"{latex}: write the item one field per line (`- text: …`, then `correct: …` below it) and put "
                "the text in single quotes ('$\\frac{3}{4}$'), or write it as a block (`|`)")
    if "while scanning a tag" in where or at == "!":
        return ("a value starting with `!` is a YAML tag (an image `![alt](file.png)`?): " + QUOTE_OR_BLOCK)
    if "alias" in where or "anchor" in where or at in ("*", "&"):
        return ("a value starting with `*` or `&` is a YAML alias or anchor (Markdown emphasis or a list?): " + QUOTE_OR_BLOCK)
    if "mapping values are not allowed" in where:
        return ("a `: ` (colon and space) inside unquoted text starts a new field: " + QUOTE_OR_BLOCK)
    if "cannot start any token" in where:
        return "a value cannot start with `@`, `` ` `` or `%`: " + QUOTE_OR_BLOCK
    if "expected key" in where or "expected <block end>" in where:
        return ("a value that starts with `\"`, `'`, `[` or `{` must also end there; if the text goes on after it, "
                + QUOTE_OR_BLOCK + "; otherwise check the indentation of this line")
    if "found unknown escape character" in where or "escape" in where:
        return ("in double quotes a backslash starts an escape, which LaTeX does not mean: use single quotes "
                "('\\frac{1}{2}' keeps every backslash) or a block (`|`)")
    return ""


_NOT_A_FIELD = re.compile(r"[^A-Za-z0-9_]")


def stray_field_hint(name: str) -> str:
    """For an unknown field whose name no author would type (`b)$`): the rest of a text
    that YAML cut at a `,` or `: `, as in `{text: $f(a, b)$, correct: true}`."""
    if not _NOT_A_FIELD.search(name):
        return ""
    return ("; this looks like the rest of a text that YAML cut at a `,` or `: `: " + QUOTE_OR_BLOCK
            + ", and inside `{…}` write the item one field per line")
