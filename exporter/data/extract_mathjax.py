"""Regenerate mathjax_tex.json from a MathJax-src checkout (not imported by qbank).

    python exporter/data/extract_mathjax.py /path/to/MathJax-src > exporter/data/mathjax_tex.json

Moodle's and Canvas's MathJax load the TeX input's default packages (base, ams, newcommand,
noundefined, require, autoload, configmacros), and autoload brings in the packages listed in
ts/input/tex/autoload/AutoloadConfiguration.ts on first use. We read the keys of every
token map (`new sm.*Map('name', …, { key: … })`) of base and ams, and the autoload table's
macro and environment names; the result is data (names only), checked into the repository.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

_MAP = re.compile(r"new sm\.(\w+)Map\(\s*'([\w-]+)'")
_KEY = re.compile(r"^  (?:'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"|([A-Za-z]\w*))\s*:", re.M)


def _maps(source: str) -> dict[str, tuple[str, list[str]]]:
    found: dict[str, tuple[str, list[str]]] = {}
    starts = [(m.start(), m.group(1), m.group(2)) for m in _MAP.finditer(source)]
    for i, (start, kind, name) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(source)
        body = source[start:end]
        keys = [next(g for g in m.groups() if g is not None) for m in _KEY.finditer(body)]
        found[name] = (kind, [k.replace("\\\\", "\\") for k in keys])
    return found


def main(root: str) -> None:
    repo = Path(root)

    def show(path: str) -> str:
        if (repo / path).is_file():
            return (repo / path).read_text(encoding="utf-8")
        return subprocess.run(["git", "-C", root, "show", f"HEAD:{path}"], capture_output=True, text=True, check=True).stdout

    commands: set[str] = set()
    environments: set[str] = set()
    for path in ("ts/input/tex/base/BaseMappings.ts", "ts/input/tex/ams/AmsMappings.ts"):
        for name, (kind, keys) in _maps(show(path)).items():
            if kind == "RegExp" or name in ("special", "not_remap"):
                continue
            if kind == "Environment":
                environments.update(keys)
            elif kind == "Delimiter":
                commands.update(k[1:] for k in keys if k.startswith("\\") and re.fullmatch(r"\\[A-Za-z]+", k))
            else:
                commands.update(k for k in keys if re.fullmatch(r"[A-Za-z]+", k))
    auto = show("ts/input/tex/autoload/AutoloadConfiguration.ts")
    table = auto[auto.index("autoload: expandable({"): auto.index("}),", auto.index("autoload: expandable({"))]
    for _package, body in re.findall(r"^\s{6}(\w+): (\[.*?\]),$", table, re.M | re.S):
        parts = re.findall(r"\[([^\[\]]*)\]", body)
        names = [re.findall(r"'(\w+)'", p) for p in parts]
        if body.startswith("[["):
            commands.update(names[0])
            environments.update(names[1])
        else:
            commands.update(names[0])
    json.dump(
        {
            "origin": "MathJax-src (github.com/mathjax/MathJax-src), TeX input: base and ams token maps and the autoload table",
            "licence": "MathJax is Apache-2.0; this file lists command names only",
            "commands": sorted(commands),
            "environments": sorted(environments),
        },
        sys.stdout,
        indent=0,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
