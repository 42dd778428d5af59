"""What Moodle's importers do to our text, shared by the Moodle XML and GIFT writers.

Both files end up in the same question bank through the same question/format.php, so the
rules for category paths and short-answer wildcards must be written once: two copies would
drift, and a bank imported both ways would land in two places.
"""

from __future__ import annotations

import re


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


CONTEXTS = ("$course$", "$system$", "$module$", "$coursecategory$", "$cat$")
"""The context tokens a Moodle category path may start with (format.php, `create_category_path`)."""


def split_category_path(path: str) -> list[str]:
    """The names of a `$course$/top/a/b` path: the inverse of `category_path`.

    As Moodle's split_category_path(): `//` is a '/' inside a name, each name is trimmed,
    empty names are dropped; the context token and Moodle's hidden `top` are not names.
    """
    names = [part.replace("\0", "/").strip() for part in path.replace("//", "\0").split("/")]
    names = [n for n in names if n]
    if names and names[0] in CONTEXTS:
        names = names[1:]
    if names and names[0] == "top":
        names = names[1:]
    return names


def unescape_wildcards(text: str) -> tuple[str, bool]:
    r"""Short-answer text as typed, and whether it holds a real (unescaped) '*' wildcard:
    the inverse of `escape_wildcards`."""
    wildcard = bool(re.search(r"(?<!\\)\*", text))
    return text.replace(r"\*", "*"), wildcard
