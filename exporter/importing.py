"""`qbank import` as a library: LMS files → one new bank file (and its figures).

The stages: each file is read by the reader its content calls for (exporter.readers);
questions get ids that are valid, unique in the whole bank folder and never a retired one
(exporter.readers.common); the category path every question shares becomes the bank's
`category`; figures are written under the figures folder; the bank is written for humans
(exporter.yaml_writer) and loaded back with the bank loader, so whatever `qbank check`
would say about it is said now, at the new file's lines.

Nothing is overwritten: an existing output file is refused (exit 2), and a figure whose
name is taken by different bytes gets its content hash in its name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import yaml

from . import figures as figure_rules
from . import identity
from .diagnostics import Diagnostic
from .identity import LOCK_NAME
from .load import PathError, load_file
from .model import Bank, Loc, Question
from .readers import FORMATS, detect, is_unverified, reader
from .readers.common import E_FORMAT, E_READ, W_ID, Imported, ReadError, check_size, slug, unique_ids, valid_id
from .yaml_writer import dump


@dataclass
class Outcome:
    output: Path
    bank: Bank | None = None
    figures: list[Path] = field(default_factory=list)
    findings: list[Diagnostic] = field(default_factory=list)
    imported: int = 0
    unverified: int = 0
    skipped: int = 0
    refused_files: int = 0


def _taken_ids(folder: Path, output: Path) -> tuple[set[str], frozenset[str]]:
    """Ids used or retired by the other bank files in the output folder (and its lock),
    and the parametrised questions' ids (whose `-v<N>` ids are their variants'): an
    imported question must not take one."""
    taken: set[str] = set()
    templates: set[str] = set()
    if not folder.is_dir():
        return taken, frozenset()
    for file in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        if file.resolve() == output.resolve():
            continue
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(data, dict):
            for q in data.get("questions") or ():
                if isinstance(q, dict) and isinstance(q.get("id"), str):
                    taken.add(q["id"])
                    if "parameters" in q:
                        templates.add(q["id"])
            taken.update(r for r in data.get("retired") or () if isinstance(r, str))
    try:  # released ids are never reused, even once their question is gone
        taken.update(identity.read(folder / LOCK_NAME))
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        pass
    return taken, frozenset(templates)


def _common_prefix(paths: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    if not paths:
        return ()
    prefix = paths[0]
    for path in paths[1:]:
        n = 0
        while n < min(len(prefix), len(path)) and prefix[n] == path[n]:
            n += 1
        prefix = prefix[:n]
    return prefix


def read_file(file: Path, figures_rel: str, fmt: str | None = None) -> Imported:
    """One file through its reader; a file that cannot be read is an Imported with the
    error as its only finding (the other files are still imported)."""
    path = file.as_posix()
    try:
        check_size(file.stat().st_size, path)
        data = file.read_bytes()
        found = reader(fmt) if fmt else detect(file.name, data[:65536])
        if found is None:
            raise ReadError(Loc(path, 1, 1), E_FORMAT, "not a Moodle XML, GIFT or QTI file (by its content); "
                            f"name the format with --from ({', '.join(FORMATS)})")
        return found.read(path, data, figures_rel)
    except ReadError as exc:
        return Imported(source=path, findings=[exc.diagnostic])
    except OSError as exc:
        return Imported(source=path, findings=[Diagnostic(Loc(path, 1, 1), E_READ,
                                                          f"cannot read the file: {exc.strerror}")])
    except (ValueError, LookupError, TypeError, RecursionError) as exc:  # a reader bug must not lose the other files
        return Imported(source=path, findings=[Diagnostic(Loc(path, 1, 1), E_READ, "qbank could not read this file "
                                                          f"({type(exc).__name__}: {exc}); please report it")])


def assemble(parts: Sequence[Imported], name: str, path: str, taken: set[str],
             templates: frozenset[str] = frozenset()) -> tuple[Bank, dict[str, str], list[Diagnostic]]:
    """The imported questions as one bank: shared category to the bank, ids made unique."""
    questions: list[Question] = []
    originals: dict[str, str] = {}
    findings: list[Diagnostic] = []
    paths = [q.category for part in parts for q in part.questions]
    paths += [part.root_category for part in parts if part.root_category is not None and part.questions]
    root = _common_prefix(paths)
    for part in parts:
        wanted: list[str] = []
        for i, q in enumerate(part.questions):
            original = part.original_ids.get(i)
            fallback = slug(q.title or "") or f"{name}-q{len(questions) + len(wanted) + 1}"
            wanted.append(valid_id(original, fallback))
        for i, (q, new_id) in enumerate(zip(part.questions, unique_ids(wanted, taken, templates))):
            original = part.original_ids.get(i)
            if original is not None and original != new_id:
                originals[new_id] = f"{part.system}: {original}"
                findings.append(Diagnostic(q.loc, W_ID, f"id '{original}' is not a valid bank id, or is taken in the "
                                           f"bank folder: it is '{new_id}' (the original is noted beside it)", "warning"))
            questions.append(dataclasses.replace(q, id=new_id, category=q.category[len(root):]))
    first = next((p for p in parts if p.questions), None)
    title = (first.title if first and first.title else None) or name
    bank = Bank(name=name, title=title, path=path, questions=tuple(questions), category=root,
                description=first.description if first else None)
    return bank, originals, findings


def default_output(first_file: str, folder: str) -> str:
    """`bank/<name>.yaml` from the first file's name, without its format suffixes."""
    name = Path(first_file).name
    for suffix in (".txt", ".gift", ".xml", ".zip", ".qti"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return f"{folder}/{slug(name) or 'imported'}.yaml"


def import_files(files: Sequence[str], output: str, figures_dir: str | None = None, fmt: str | None = None,
                 schema_ref: str | None = None) -> Outcome:
    """Read `files`, write the bank `output` and its figures; never overwrites a file."""
    out = Path(output)
    if out.suffix not in (".yaml", ".yml"):
        raise PathError(f"{output}: the bank file must end in .yaml")
    if out.exists():
        raise PathError(f"{output}: already exists; choose a new name with -o (qbank import never overwrites)")
    folder = out.parent
    fig_dir = Path(figures_dir) if figures_dir else folder / "figures"
    try:
        figures_rel = fig_dir.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        raise PathError(f"{fig_dir}: the figures folder must be inside the bank file's folder {folder}/ "
                        "(figures are referred to relative to the bank file)") from None
    if figures_rel in ("", "."):
        raise PathError(f"{fig_dir}: give the figures their own folder inside {folder}/ (e.g. {folder}/figures)")
    outcome = Outcome(output=out)
    parts = []
    for name in files:
        file = Path(name)
        if not file.is_file():
            raise PathError(f"{name}: no such file")
        part = read_file(file, figures_rel, fmt)
        parts.append(part)
        outcome.findings += part.findings
        outcome.skipped += sum(d.code == "I108" for d in part.findings)
        if not part.questions and any(d.severity == "error" and d.code != "I108" for d in part.findings):
            outcome.refused_files += 1
    if not any(p.questions for p in parts):
        return outcome
    bank, originals, found = assemble(parts, out.stem, out.as_posix(), *_taken_ids(folder, out))
    outcome.findings += found
    written = _write_figures(parts, folder)
    text = dump(bank, schema_ref=schema_ref or _schema_ref(folder), header=_header(files), original_ids=originals)
    for old, new in written.renamed.items():
        text = text.replace(f"]({old})", f"]({new})")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{out.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, out)
    loaded, problems = load_file(out)
    outcome.findings += problems
    if loaded is not None:
        outcome.findings += figure_rules.check_bank(loaded)
        outcome.bank = loaded
        outcome.imported = len(loaded.questions)
        outcome.unverified = sum(is_unverified(q) for q in loaded.questions)
    outcome.figures = written.paths
    return outcome


@dataclass
class _Written:
    paths: list[Path] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)


def _write_figures(parts: Sequence[Imported], folder: Path) -> _Written:
    written = _Written()
    for part in parts:
        for rel, data in sorted(part.figures.items()):
            target = folder / rel
            if target.exists():
                if target.is_file() and target.read_bytes() == data:
                    continue
                stem, ext = os.path.splitext(rel)
                new = f"{stem}-{hashlib.sha256(data).hexdigest()[:12]}{ext}"
                written.renamed[rel] = new
                target = folder / new
                if target.exists():
                    continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as f:  # never through an existing file or link
                f.write(data)
            written.paths.append(target)
    return written


def _schema_ref(folder: Path) -> str:
    schema = Path("schema/bank.schema.json")
    if schema.is_file():
        return Path(os.path.relpath(schema.resolve(), folder.resolve())).as_posix()
    return "../schema/bank.schema.json"


def _header(files: Sequence[str]) -> list[str]:
    names = ", ".join(Path(f).name for f in files)
    return [
        "",
        f"Imported by `qbank import` from {names}.",
        "Every question has `check: manual: imported from …` until you give it a real check",
        "(README, \"Migrating from Moodle or Canvas\"); `qbank check` counts them as manual.",
    ]
