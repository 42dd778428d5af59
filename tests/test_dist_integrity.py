"""dist/ is replaced as a unit (issue 13, items 3, 5, 6, 11): after a kill at any moment,
a full disk, a read-only folder or a writer that raises, dist/ holds the old complete set
of exports or the new one, never a mix; two bank files never share an export name; an
output folder reached through a link is refused; what a killed build left is cleaned up;
and a parallel build whose writer raises ends, in bounded time, with one line."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from exporter import outputs
from exporter.cli import main

BANK = """\
title: Bank {n}
questions:
  - id: q{n}
    type: essay
    text: {text}
    check:
      manual: graded by a person, nothing to compute
"""

QUIZ = """\
title: Quiz
questions:
  - id: q1
"""


def write_bank(folder: Path, n: int, text: str = "Explain {n}.", name: str | None = None) -> Path:
    f = folder / (name or f"b{n}.yaml")
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(BANK.format(n=n, text=text.format(n=n)), encoding="utf-8")
    return f


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(project: Path) -> list[str]:
    return sorted(p.name for p in project.iterdir() if ".qbank-" in p.name)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three small banks (no sympy needed), built once: dist/ holds "the old set"."""
    for n in (1, 2, 3):
        write_bank(tmp_path / "bank", n)
    monkeypatch.chdir(tmp_path)
    assert main(["build", "-j", "1"]) == 0
    return tmp_path


def edit_every_bank(project: Path) -> dict[str, bytes]:
    """Change every bank, and return what dist/ must then hold (built elsewhere first)."""
    for n in (1, 2, 3):
        write_bank(project / "bank", n, "Explain {n} in two sentences.")
    assert main(["build", "-j", "1", "-o", "expected"]) == 0
    return tree(project / "expected")


# --- 3: two files, one export name --------------------------------------------------------


@pytest.mark.parametrize(
    "files, code, second",
    [
        (["bank/a/q.yaml", "bank/b/q.yaml"], "E220", "bank/b/q.yaml"),
        (["bank/q.yaml", "bank/q.yml"], "E220", "bank/q.yml"),
        (["bank/Q.yaml", "bank/q.yaml"], "E220", "bank/q.yaml"),  # one file on macOS and Windows
        (["quizzes/x.yaml", "quizzes/x.yml"], "Q208", "quizzes/x.yml"),
    ],
)
def test_two_files_with_one_export_name_are_a_located_error_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], files: list[str], code: str, second: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write_bank(tmp_path / "bank", 1, name="one.yaml")
    for i, name in enumerate(files):
        if name.startswith("quizzes/"):
            (tmp_path / name).parent.mkdir(exist_ok=True)
            (tmp_path / name).write_text(QUIZ, encoding="utf-8")
        else:
            write_bank(tmp_path, 10 + i, name=name)
    assert main(["check", "-j", "1"]) == 1
    err = capsys.readouterr().err
    assert f"{second}:1:1: {code} this " in err and "rename one of the two files" in err
    assert main(["build", "-j", "1"]) == 1
    assert not (tmp_path / "dist").exists()
    assert "Traceback" not in capsys.readouterr().err


def test_render_itself_reports_a_name_clash(tmp_path: Path) -> None:
    """A library caller that skipped the check still gets the finding, not a lost bank."""
    from exporter.diagnostics import Collector
    from exporter.load import load_banks

    write_bank(tmp_path / "a", 1, name="q.yaml")
    write_bank(tmp_path / "b", 2, name="q.yaml")
    banks, _ = load_banks([str(tmp_path / "a"), str(tmp_path / "b")])
    found = Collector()
    outputs.render(banks, found)
    assert [d.code for d in found.errors] == ["E220"]


# --- 6: a kill at any moment leaves the old set or the new one ----------------------------

KILLER = """
import os, shutil, signal, sys
from exporter import outputs
from exporter.cli import main

point, jobs = sys.argv[1], sys.argv[2]


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def on_call(n, f):
    calls = [0]

    def g(*a, **k):
        calls[0] += 1
        if calls[0] == n:
            die()
        return f(*a, **k)
    return g


if point.startswith("put"):  # while the new tree is being filled
    outputs._put = on_call(int(point[3:]), outputs._put)
elif point == "before-exchange":
    outputs._exchange = on_call(1, outputs._exchange)
elif point == "after-exchange":
    real = outputs._exchange
    outputs._exchange = lambda a, b: (real(a, b), die())
elif point == "removing-old":  # half of the old tree deleted
    def half(path, **kw):
        files = sorted(p for p in __import__("pathlib").Path(path).rglob("*") if p.is_file())
        for f in files[: len(files) // 2]:
            f.unlink()
        die()
    outputs.shutil = type("S", (), {"rmtree": staticmethod(half), "copy2": shutil.copy2})
elif point == "between-renames":  # a system without an atomic exchange
    outputs._exchange = lambda a, b: False
    os.rename = on_call(2, os.rename)
sys.exit(main(["build", "-j", jobs, "--no-cache"]))
"""


@pytest.mark.parametrize("point", ["put1", "put4", "before-exchange", "after-exchange", "removing-old", "between-renames"])
def test_killed_build_leaves_the_old_or_the_new_set_and_the_next_build_cleans_up(project: Path, point: str) -> None:
    old = tree(project / "dist")
    new = edit_every_bank(project)
    assert new != old and set(new) == set(old)
    killed = subprocess.run([sys.executable, "-c", KILLER, point, "1"], cwd=project, capture_output=True, timeout=120)
    assert killed.returncode == -9, killed.stderr.decode()
    after = tree(project / "dist") if (project / "dist").exists() else None
    if point == "between-renames":
        assert after is None and len(leftovers(project)) == 2  # the old set waits beside it, complete
    else:
        assert after in (old, new), f"a mix after a kill at {point}"
    # the next build repairs and cleans whatever was left
    assert main(["build", "-j", "1", "--check"]) in (0, 1)
    assert main(["build", "-j", "1"]) == 0
    assert tree(project / "dist") == new and leftovers(project) == []
    assert main(["build", "-j", "1", "--check"]) == 0


def test_killed_parallel_build_leaves_nothing_in_the_system_temp_folder(project: Path) -> None:
    edit_every_bank(project)
    temp = Path(tempfile.gettempdir())
    before = {p.name for p in temp.iterdir() if p.name.startswith("qbank-build-")}
    killed = subprocess.run([sys.executable, "-c", KILLER, "put2", "2"], cwd=project, capture_output=True, timeout=120)
    assert killed.returncode == -9, killed.stderr.decode()
    assert {p.name for p in temp.iterdir() if p.name.startswith("qbank-build-")} == before
    staged = [n for n in leftovers(project) if n.startswith(".dist.qbank-render-")]
    assert staged, "the parallel build stages beside dist/"
    assert main(["build", "-j", "2", "--check"]) == 1  # dist/ is the old set: out of date, not confused
    assert main(["build", "-j", "2"]) == 0 and leftovers(project) == []


def test_leftovers_do_not_confuse_check_and_the_next_build_removes_them(project: Path, capsys) -> None:
    junk = project / ".dist.qbank-new-999999999-0badf00d"  # a build killed long ago (no such pid)
    (junk / "moodle").mkdir(parents=True)
    (junk / "moodle" / "b1.xml").write_bytes(b"half")
    assert main(["build", "-j", "1", "--check"]) == 0
    assert junk.exists()  # --check writes nothing
    old_tmp = project / "dist" / "moodle" / ".b1.xml.k2j3.tmp"  # what the old per-file writer left
    old_tmp.write_bytes(b"half")
    capsys.readouterr()
    assert main(["build", "-j", "1", "--check"]) == 1
    assert ".b1.xml.k2j3.tmp: not produced by any bank" in capsys.readouterr().err
    assert main(["build", "-j", "1"]) == 0
    assert not junk.exists() and not old_tmp.exists() and leftovers(project) == []


def test_files_no_bank_produces_any_more_disappear_and_other_folders_stay(project: Path) -> None:
    (project / "bank" / "b3.yaml").unlink()
    (project / "dist" / "README.md").write_text("kept\n")
    (project / "dist" / "preview").mkdir()
    (project / "dist" / "preview" / "index.html").write_text("<p>kept</p>\n")
    assert main(["build", "-j", "1"]) == 0
    files = tree(project / "dist")
    assert not any("b3" in f for f in files)
    assert files["README.md"] == b"kept\n" and files["preview/index.html"] == b"<p>kept</p>\n"


def test_unchanged_build_touches_nothing(project: Path) -> None:
    before = {p: p.stat().st_ino for p in (project / "dist").rglob("*")}
    assert main(["build", "-j", "1"]) == 0
    assert {p: p.stat().st_ino for p in (project / "dist").rglob("*")} == before


# --- 6: I/O errors: one clear line, dist/ intact ------------------------------------------


def test_full_disk_names_the_file_and_leaves_dist_intact(project: Path, monkeypatch, capsys) -> None:
    old = tree(project / "dist")
    edit_every_bank(project)
    real = outputs._put

    def full(target: Path, files, rel: Path) -> None:
        if rel.as_posix() == "moodle/b2.xml":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        real(target, files, rel)

    monkeypatch.setattr(outputs, "_put", full)
    capsys.readouterr()
    assert main(["build", "-j", "1"]) == 2
    err = capsys.readouterr().err
    assert f"qbank: error: cannot write dist/moodle/b2.xml: {os.strerror(errno.ENOSPC)}\n" in err
    assert "dist/ was left as it was" in err and "Traceback" not in err
    assert tree(project / "dist") == old and leftovers(project) == []


def test_read_only_output_folder_leaves_dist_intact(project: Path, monkeypatch, capsys) -> None:
    """A read-only dist/ (or its parent) fails the swap; simulated, since CI runs as root."""
    old = tree(project / "dist")
    edit_every_bank(project)

    def read_only(a: Path, b: Path) -> bool:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(b))

    monkeypatch.setattr(outputs, "_exchange", read_only)
    capsys.readouterr()
    assert main(["build", "-j", "1"]) == 2
    err = capsys.readouterr().err
    assert f"qbank: error: cannot replace dist: {os.strerror(errno.EROFS)}\n" in err
    assert tree(project / "dist") == old and leftovers(project) == []


def test_the_exchange_is_atomic_on_this_system(tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux's")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("b")
    assert outputs._exchange(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "a" / "x").read_text() == "b" and (tmp_path / "b" / "x").read_text() == "a"


# --- 5: never through a link ---------------------------------------------------------------


def test_symlinked_output_folder_is_refused(project: Path, capsys) -> None:
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("mine\n")
    (project / "out").symlink_to(elsewhere)
    capsys.readouterr()
    assert main(["build", "-j", "1", "-o", "out"]) == 2
    assert "out: is a symbolic link" in capsys.readouterr().err
    assert tree(elsewhere) == {"precious.txt": b"mine\n"} and (project / "out").is_symlink()


def test_output_folder_that_holds_the_project_is_refused(project: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["build", "-j", "1", "-o", "."]) == 2
    assert "holds the project" in capsys.readouterr().err
    assert (project / "bank" / "b1.yaml").is_file()


def test_leftover_link_is_unlinked_not_followed(project: Path) -> None:
    target = project / "precious"
    target.mkdir()
    (target / "f").write_text("mine\n")
    (project / ".dist.qbank-new-999999999-0badf00d").symlink_to(target)
    outputs.clean_leftovers(project / "dist")
    assert (target / "f").read_text() == "mine\n" and leftovers(project) == []


# --- 11: a writer that raises in a parallel build ------------------------------------------

RAISER = """
import sys
from exporter.writers import Writer, register


def write(bank, options, report):
    if bank.name == "b2":
        raise RuntimeError("boom")
    return b"ok"


register(Writer("boom", ".txt", write))
from exporter.cli import main
sys.exit(main(["build", "-j", sys.argv[1], "--no-cache"]))
"""


@pytest.mark.parametrize("jobs", ["1", "2", "3"])
def test_writer_that_raises_ends_the_build_in_one_line_without_hanging(project: Path, jobs: str) -> None:
    old = tree(project / "dist")
    edit_every_bank(project)
    done = subprocess.run([sys.executable, "-c", RAISER, jobs], cwd=project, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "qbank: error: internal error while writing bank/b2.yaml (RuntimeError: boom)" in done.stderr
    assert "Traceback" not in done.stderr
    assert tree(project / "dist") == old and leftovers(project) == []
