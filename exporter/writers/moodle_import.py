"""What Moodle's importers do to our text, shared by the Moodle XML and GIFT writers.

Both files end up in the same question bank through the same question/format.php, so the
rules for category paths and short-answer wildcards must be written once: two copies would
drift, and a bank imported both ways would land in two places.
"""

from __future__ import annotations


def category_path(names: list[str]) -> str:
    """`$course$/top/a/b`, escaped the way Moodle's split_category_path() undoes.

    A '/' inside a name is doubled; a name starting or ending with '/' gets a space there,
    which Moodle trims after splitting (format.php assemble_category_path()).
    """
    escaped = []
    for name in names:
        part = name.replace("/", "//")
        if part.startswith("/"):
            part = " " + part
        if part.endswith("/"):
            part = part + " "
        escaped.append(part)
    return "/".join(["$course$", "top", *escaped])


def escape_wildcards(text: str) -> str:
    r"""Short-answer text with '*' made literal: Moodle reads an unescaped '*' as "anything"."""
    return text.replace("*", r"\*")
