"""The check and load caches: a hit replays exactly what a fresh check reports, and
anything that could make a replay wrong (an edit, another version, a damaged entry, a
moved question) is either re-checked or re-based onto where the question is now."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

import exporter
from exporter import cache, model, modeldata
from exporter.cache import CachedChecker, LoadCache, question_key
from exporter.diagnostics import Collector, Diagnostic
from exporter.load import load_banks
from exporter import variants
from exporter.model import Bank, Question

REPO = Path(__file__).resolve().parents[1]

BANK = """\
title: Cache test
questions:
  - id: first
    type: multiple_choice
    text: What is $1 + 1$?
    choices:
      - text: "2"
        correct: true
        value: 2
      - text: "3"
        correct: false
        value: 3
    check:
      quantity: 1 + 1
  - id: second
    type: multiple_choice
    text: What is $2 + 2$?
    choices:
      - text: "4"
        correct: false
        value: 4
      - text: "5"
        correct: true
        value: 5
    check:
      quantity: 2 + 2
"""


class FakeCheck:
    """Stands in for keys.check_questions: records what it was asked to check and reports
    K101 at the `correct:` flag of every choice whose value is not the quantity — enough
    to tell a replayed finding from a fresh one without paying for sympy."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, questions: list[Question], report, *, report_for=None, **options) -> None:
        self.calls.append([q.id for q in questions])
        for q in questions:
            sink = report_for(q) if report_for else report
            want = eval(q.check.quantity)  # test data only: the real checker never evals
            for c in q.choices:
                if (float(c.value) == want) != c.correct:
                    sink(Diagnostic(c.correct_loc, "K101", f"choice {c.text} is keyed wrongly", "error"))

    @property
    def checked(self) -> list[str]:
        return [i for call in self.calls for i in call]


def load(tmp_path: Path, text: str, name: str = "b.yaml", *, loads: LoadCache | None = None) -> list[Question]:
    f = tmp_path / "bank" / name
    f.parent.mkdir(exist_ok=True)
    f.write_text(textwrap.dedent(text), encoding="utf-8")
    banks, problems = load_banks([str(tmp_path / "bank")], cache=loads)
    assert problems == []
    return [q for b in banks for q in b.questions]


def run(checker: CachedChecker, questions: list[Question], fake: FakeCheck, **kw) -> list[Diagnostic]:
    found = Collector()
    checker.run(questions, found, check=fake, **kw)
    return found.items


def entry_name(path: Path) -> str:
    """What an entry file's HMAC covers besides its bytes: its name in its generation."""
    generation = next(p for p in path.parents if cache._GENERATION.fullmatch(p.name))
    return path.relative_to(generation).with_suffix("").as_posix()


def read_entry(path: Path) -> object:
    return json.loads(cache._unseal(cache.secret(), entry_name(path), path.read_bytes()))


def write_entry(path: Path, entry: object, key: bytes | None = None) -> None:
    """An entry sealed with this machine's secret (or, as a forger would, with another)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cache._seal(key or cache.secret(), entry_name(path), json.dumps(entry).encode()))


def fresh(questions: list[Question]) -> list[Diagnostic]:
    found = Collector()
    FakeCheck()(questions, found)
    return found.items


def test_hit_returns_the_stored_diagnostics(tmp_path: Path) -> None:
    qs = load(tmp_path, BANK)
    fake = FakeCheck()
    first = run(CachedChecker(tmp_path / "c"), qs, fake)
    assert [d.code for d in first] == ["K101", "K101"] and fake.checked == ["first", "second"]

    again = CachedChecker(tmp_path / "c")
    assert run(again, qs, fake) == first
    assert fake.checked == ["first", "second"]  # nothing was checked a second time
    assert again.stats.hits == 2 and again.stats.misses == 0


def test_summary_counts_match_the_checker(tmp_path: Path) -> None:
    qs = load(tmp_path, BANK)
    for _ in range(2):  # cold, then fully cached
        summary = CachedChecker(tmp_path / "c").run(qs, Collector(), check=FakeCheck())
        assert (summary.checked, summary.manual, summary.failed, summary.total) == (2, 0, 1, 2)


def test_edited_question_misses_and_untouched_one_hits(tmp_path: Path) -> None:
    run(CachedChecker(tmp_path / "c"), load(tmp_path, BANK), FakeCheck())
    edited = load(tmp_path, BANK.replace("quantity: 2 + 2", "quantity: 3 + 2"))
    fake = FakeCheck()
    found = run(CachedChecker(tmp_path / "c"), edited, fake)
    assert fake.checked == ["second"]
    assert found == fresh(edited) == []  # the edit fixed `second`'s keys: its old findings are gone


def test_any_field_is_part_of_the_key(tmp_path: Path) -> None:
    q = load(tmp_path, BANK)[1]
    changed = [
        replace(q, text=q.text + " "),
        replace(q, points=2.0),
        replace(q, tags=("x",)),
        replace(q, choices=(replace(q.choices[0], feedback="hm"),) + q.choices[1:]),
        replace(q, check=replace(q.check, quantity="2 + 2 ")),
    ]
    keys = {question_key(v) for v in changed} | {question_key(q)}
    assert len(keys) == len(changed) + 1


def test_version_change_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    qs = load(tmp_path, BANK)
    run(CachedChecker(tmp_path / "c"), qs, FakeCheck())

    fake = FakeCheck()
    run(CachedChecker(tmp_path / "c", fp="0" * 64), qs, fake)
    assert fake.checked == ["first", "second"]

    # and the fingerprint does follow the versions it names
    before = cache.fingerprint()
    monkeypatch.setattr(cache, "_version", lambda dist: "9.9" if dist == "sympy" else "1.0")
    cache.fingerprint.cache_clear()
    try:
        assert cache.fingerprint() != before
    finally:
        cache.fingerprint.cache_clear()


def test_old_generations_are_pruned_but_foreign_folders_are_not(tmp_path: Path) -> None:
    qs = load(tmp_path, BANK)
    root = tmp_path / "c"
    fps = [f"{i:x}" * 64 for i in range(1, 6)]
    for fp in fps:
        run(CachedChecker(root, fp=fp), qs, FakeCheck())
        cache._PREPARED.clear()  # as if each version ran in its own process
    kept = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert len(kept) == cache.KEEP_FINGERPRINTS and fps[-1][:16] in kept

    foreign = tmp_path / "mine"
    (foreign / ("a" * 16)).mkdir(parents=True)
    (foreign / "CACHEDIR.TAG").write_bytes(b"Signature: 8a477f597d28d172789f06886806bc55\n")
    run(CachedChecker(foreign, fp="b" * 64), qs, FakeCheck())
    assert (foreign / ("a" * 16)).is_dir()  # a folder qbank did not tag is never pruned


def test_corrupt_entries_are_ignored_and_rewritten(tmp_path: Path) -> None:
    qs = load(tmp_path, BANK)
    run(CachedChecker(tmp_path / "c"), qs, FakeCheck())
    entries = sorted((tmp_path / "c").rglob("*.json"))
    assert len(entries) == 2
    entries[0].write_bytes(b"{not json")
    entries[1].write_text(json.dumps({"format": cache.FORMAT, "key": "x", "id": "y", "diagnostics": []}))

    fake = FakeCheck()
    checker = CachedChecker(tmp_path / "c")
    assert run(checker, qs, fake) == fresh(qs)
    assert sorted(fake.checked) == ["first", "second"] and checker.stats.corrupt == 2

    again = CachedChecker(tmp_path / "c")
    assert run(again, qs, FakeCheck()) == fresh(qs) and again.stats.hits == 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda e: {**e, "diagnostics": [e["diagnostics"][0][:3]]},  # a finding without all its fields
        lambda e: {**e, "diagnostics": [[["1", 1]] + e["diagnostics"][0][1:]]},  # a line that is not a number
        lambda e: {**e, "diagnostics": [e["diagnostics"][0][:3] + ["fatal"] + e["diagnostics"][0][4:]]},  # no such severity
        lambda e: {**e, "diagnostics": "none"},
        lambda e: {**e, "format": cache.FORMAT + 1},
        lambda e: [e],
    ],
)
def test_wrongly_shaped_entry_is_a_miss(tmp_path: Path, damage) -> None:
    qs = load(tmp_path, BANK)[1:]
    run(CachedChecker(tmp_path / "c"), qs, FakeCheck())
    (entry,) = (tmp_path / "c").rglob("*.json")
    write_entry(entry, damage(read_entry(entry)))  # authentic, but not what qbank writes
    fake = FakeCheck()
    assert run(CachedChecker(tmp_path / "c"), qs, fake) == fresh(qs)
    assert fake.checked == ["second"]


def test_moved_question_points_at_its_new_lines(tmp_path: Path) -> None:
    run(CachedChecker(tmp_path / "c"), load(tmp_path, BANK), FakeCheck())
    # `first` grows by three lines, so `second` (unchanged) moves down by three
    grown = BANK.replace("    text: What is $1 + 1$?\n", "    text: |\n      What is\n\n      $1 + 1$?\n\n")
    moved = load(tmp_path, grown)
    fake = FakeCheck()
    found = run(CachedChecker(tmp_path / "c"), moved, fake)
    assert fake.checked == ["first"]  # only the edited question
    assert found == fresh(moved)
    second = next(q for q in moved if q.id == "second")
    assert [d.loc for d in found] == [c.correct_loc for c in second.choices]
    lines = (tmp_path / "bank" / "b.yaml").read_text().splitlines()
    assert [lines[d.loc.line - 1].strip() for d in found] == ["correct: false", "correct: true"]


def test_question_moved_to_another_file_points_there(tmp_path: Path) -> None:
    run(CachedChecker(tmp_path / "c"), load(tmp_path, BANK), FakeCheck())
    (tmp_path / "bank" / "b.yaml").unlink()
    head, second = BANK.split("  - id: second\n")
    moved = load(tmp_path, "title: Other\nquestions:\n  - id: second\n" + second, name="a.yaml")
    fake = FakeCheck()
    found = run(CachedChecker(tmp_path / "c"), moved, fake)
    assert fake.checked == [] and found == fresh(moved)
    assert found[0].loc.path.endswith("bank/a.yaml")


def test_reindented_question_is_rechecked(tmp_path: Path) -> None:
    """Stored columns would be wrong after a re-indent: the layout is part of the key."""
    run(CachedChecker(tmp_path / "c"), load(tmp_path, BANK), FakeCheck())
    wider = BANK.replace('      - text: "5"\n        correct: true\n        value: 5', '      -   text: "5"\n          correct: true\n          value: 5')
    assert wider != BANK
    fake = FakeCheck()
    qs = load(tmp_path, wider)
    assert run(CachedChecker(tmp_path / "c"), qs, fake) == fresh(qs)
    assert fake.checked == ["second"]


def test_run_with_everything_cached_does_not_check(tmp_path: Path) -> None:
    qs = load(tmp_path, BANK)
    run(CachedChecker(tmp_path / "c"), qs, FakeCheck())

    def must_not_run(*args, **kwargs):
        raise AssertionError("a fully cached run called the checker")

    assert CachedChecker(tmp_path / "c").run(qs, Collector(), check=must_not_run).failed == 1


def test_timeouts_and_absolute_positions_are_never_replayed(tmp_path: Path) -> None:
    qs = load(tmp_path, BANK)

    def odd(questions, report, *, report_for, **options):
        for q in questions:
            if q.id == "first":
                report_for(q)(Diagnostic(q.check.loc, "K108", "the check did not finish within 10 s", "error"))
            else:
                report_for(q)(Diagnostic(q.loc, "K110", "same value as at line 3", "error"))

    checker = CachedChecker(tmp_path / "c")
    checker.run(qs, Collector(), check=odd)
    assert checker.stats.stored == 0 and checker.stats.uncacheable == 2
    fake = FakeCheck()
    run(CachedChecker(tmp_path / "c"), qs, fake)
    assert fake.checked == ["first", "second"]


def test_findings_reach_report_for_and_are_replayed_through_it(tmp_path: Path) -> None:
    """Variants share their template's lines, so the CLI labels findings per question
    (variants.report_for); cached findings must go through the same labelling."""
    qs = load(tmp_path, BANK)

    def labelled(found: Collector):
        return lambda q: (lambda d: found(replace(d, message=f"{q.id}: {d.message}")))

    for _ in range(2):  # cold, then from the cache
        found = Collector()
        CachedChecker(tmp_path / "c").run(qs, found, report_for=labelled(found), check=FakeCheck())
        assert [d.message.split(":")[0] for d in found.items] == ["second", "second"]


def test_checker_without_report_for_is_reported_but_not_cached(tmp_path: Path) -> None:
    qs = load(tmp_path, BANK)

    def plain(questions, report, **options):  # ignores report_for: findings cannot be placed
        FakeCheck()(questions, report)

    found = Collector()
    checker = CachedChecker(tmp_path / "c")
    checker.run(qs, found, check=plain)
    assert found.items == fresh(qs) and checker.stats.stored == 0


def test_unchanged_file_is_answered_by_its_bundle(tmp_path: Path) -> None:
    loads = LoadCache(tmp_path / "c")
    qs = load(tmp_path, BANK, loads=loads)
    run(CachedChecker(tmp_path / "c"), qs, FakeCheck(), file_keys=loads.file_keys)

    loads = LoadCache(tmp_path / "c")
    qs = load(tmp_path, BANK, loads=loads)
    checker = CachedChecker(tmp_path / "c")
    assert run(checker, qs, FakeCheck(), file_keys=loads.file_keys) == fresh(qs)
    assert checker.stats.file_hits == 2 and loads.stats.hits == 1

    # the same bytes can give other questions (another --seed, other variants): the
    # bundle's signatures tell, and those questions are looked up by content instead
    other = [replace(q, variant_of="x", variant_values=(("s", "0.5"),)) for q in qs]
    fake = FakeCheck()
    checker = CachedChecker(tmp_path / "c")
    assert run(checker, other, fake, file_keys=loads.file_keys) == fresh(other)
    assert checker.stats.file_hits == 0 and fake.checked == ["first", "second"]

    # a damaged bundle falls back to the per-question entries
    (bundle,) = (tmp_path / "c").rglob("files/*.json")
    bundle.write_bytes(b"\x00garbage")
    checker = CachedChecker(tmp_path / "c")
    assert run(checker, qs, FakeCheck(), file_keys=loads.file_keys) == fresh(qs)
    assert checker.stats.file_hits == 0 and checker.stats.hits == 2


def test_load_cache_round_trip_and_edit(tmp_path: Path) -> None:
    plain = load(tmp_path, BANK)
    loads = LoadCache(tmp_path / "c")
    assert load(tmp_path, BANK, loads=loads) == plain and loads.stats.misses == 1
    loads = LoadCache(tmp_path / "c")
    assert load(tmp_path, BANK, loads=loads) == plain and loads.stats.hits == 1

    edited = BANK.replace("What is $2 + 2$?", "What is $2 + 3$?")
    loads = LoadCache(tmp_path / "c")
    assert load(tmp_path, edited, loads=loads)[1].text == "What is $2 + 3$?" and loads.stats.misses == 1


def test_load_cache_keeps_loader_findings(tmp_path: Path) -> None:
    f = tmp_path / "bank" / "b.yaml"
    f.parent.mkdir()
    f.write_text(BANK.replace("    type: multiple_choice\n", "    type: multiple_choice\n    colour: red\n", 1))
    expected = load_banks([str(f.parent)])
    for _ in range(2):
        assert load_banks([str(f.parent)], cache=LoadCache(tmp_path / "c")) == expected
    assert [d.code for d in expected[1]] == ["E101"]


# --- nothing a repository (or anyone without this machine's secret) writes is trusted -----


def test_entries_forged_without_the_secret_are_rechecked(tmp_path: Path) -> None:
    """A forger has the same qbank, so the same keys and paths, but not the secret: their
    "all clean" entries (per question and per file) must not hide a wrong key."""
    loads = LoadCache(tmp_path / "c")
    qs = load(tmp_path, BANK, loads=loads)
    forged = CachedChecker(tmp_path / "c", key=b"the forger's own key")
    forged.run(qs, Collector(), check=lambda questions, report, **kw: None, file_keys=loads.file_keys)
    assert forged.stats.stored == 2 and list((tmp_path / "c").rglob("files/*.json"))

    fake = FakeCheck()
    checker = CachedChecker(tmp_path / "c")
    assert run(checker, qs, fake, file_keys=loads.file_keys) == fresh(qs) != []
    assert fake.checked == ["first", "second"] and checker.stats.corrupt == 3  # 1 bundle + 2 entries


def test_an_authentic_entry_moved_to_another_question_is_rejected(tmp_path: Path) -> None:
    qs = load(tmp_path, BANK)
    run(CachedChecker(tmp_path / "c"), qs, FakeCheck())
    first_path = next(p for p in (tmp_path / "c").rglob("check/*/*.json") if read_entry(p)["id"] == "first")
    second_path = next(p for p in (tmp_path / "c").rglob("check/*/*.json") if p != first_path)
    second_path.write_bytes(first_path.read_bytes())  # `first` has no findings: would hide `second`'s
    fake = FakeCheck()
    assert run(CachedChecker(tmp_path / "c"), qs, fake) == fresh(qs) and fake.checked == ["second"]


def test_forged_load_entry_cannot_put_text_into_the_exports(tmp_path: Path) -> None:
    """A load entry decides what is exported: one not sealed here is a miss."""
    loads = LoadCache(tmp_path / "c")
    qs = load(tmp_path, BANK, loads=loads)
    (entry,) = (tmp_path / "c").rglob("load/*/*.json")
    stored = read_entry(entry)
    bank = modeldata.decode(Bank, stored["bank"], qs[0].loc.path)
    evil = bank.__class__(**{**bank.__dict__, "questions": (replace(bank.questions[0], text="Not in any YAML file"),) + bank.questions[1:]})
    write_entry(entry, {**stored, "bank": modeldata.encode(Bank, evil, qs[0].loc.path)}, key=os.urandom(32))
    loads = LoadCache(tmp_path / "c")
    assert load(tmp_path, BANK, loads=loads) == qs and loads.stats.corrupt == 1
    # the same entry sealed with the real secret would be used: the HMAC is what refused it
    write_entry(entry, {**stored, "bank": modeldata.encode(Bank, evil, qs[0].loc.path)})
    assert load(tmp_path, BANK, loads=LoadCache(tmp_path / "c"))[0].text == "Not in any YAML file"


# A pickle that sets `is_manual = True` on the Check class itself (BUILD with a slot state
# on a class object): every question would count as manual, process-wide. The old load
# cache's restricted unpickler admitted model classes, so this ran with no code executed.
BUILD_ATTACK = b"\x80\x04cexporter.model\nCheck\nN}X\t\x00\x00\x00is_manual\x88s\x86b."


def test_pickle_build_opcode_attack_is_inert(tmp_path: Path) -> None:
    demo = subprocess.run(
        [sys.executable, "-c", "import pickle, sys; from exporter import model; "
         "pickle.loads(sys.stdin.buffer.read()); print(model.Check(loc=None).is_manual)"],
        input=BUILD_ATTACK, capture_output=True, check=True,
    )
    assert demo.stdout.strip() == b"True"  # what these bytes do to anything that unpickles them

    loads = LoadCache(tmp_path / "c")
    qs = load(tmp_path, BANK, loads=loads)
    for entry in (tmp_path / "c").rglob("*.json"):
        entry.write_bytes(BUILD_ATTACK)
        entry.with_suffix(".pickle").write_bytes(BUILD_ATTACK)  # where the old cache kept them
    loads = LoadCache(tmp_path / "c")
    fake = FakeCheck()
    again = load(tmp_path, BANK, loads=loads)
    assert again == qs and loads.stats.corrupt == 1
    assert isinstance(model.Check.__dict__["is_manual"], property) and not qs[0].check.is_manual
    assert run(CachedChecker(tmp_path / "c"), again, fake, file_keys=loads.file_keys) == fresh(qs) != []


def test_no_pickle_anywhere_in_the_package() -> None:
    package = Path(exporter.__file__).parent
    users = [p.name for p in package.rglob("*.py") if "import pickle" in p.read_text(encoding="utf-8")]
    assert users == []


def test_committed_qbank_cache_folder_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_cache_home: Path) -> None:
    """`.qbank-cache/` in a work tree (where qbank once kept its cache, and where a pull
    request can put anything) is never read: a wrong key is reported."""
    from exporter import keys
    from exporter.cli import main
    from test_cli import WRONG_KEY

    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "broken.yaml").write_text(WRONG_KEY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    # an "all clean" cache, as a pull request could commit it (even sealed with our secret)
    with monkeypatch.context() as m:
        m.setattr(keys, "check_questions", lambda questions, report, **kw: None)
        assert exporter.check(["bank"], cache=".qbank-cache", jobs=1).ok
    assert list((tmp_path / ".qbank-cache").rglob("*.json"))
    assert main(["check", "-j", "1"]) == 1
    assert main(["build", "-j", "1"]) == 1 and not (tmp_path / "dist").exists()
    folder, note = cache.location(tmp_path / "bank")
    assert note is None and folder.is_relative_to(private_cache_home) and list(folder.rglob("*.json"))


def test_cache_folder_is_outside_the_work_tree_and_keyed_by_bank(tmp_path: Path, private_cache_home: Path) -> None:
    a, note_a = cache.location(tmp_path / "one" / "bank")
    b, note_b = cache.location(tmp_path / "two" / "bank")
    assert note_a is note_b is None and a != b
    assert a.parent == b.parent == private_cache_home / "banks"


def test_ci_turns_the_cache_off_unless_a_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert cache.location(tmp_path / "bank") == (None, None)
    monkeypatch.setenv("QBANK_CACHE_DIR", str(tmp_path / "ci-cache"))
    folder, _ = cache.location(tmp_path / "bank")
    assert folder.is_relative_to(tmp_path / "ci-cache")


def test_cache_folder_inside_a_git_work_tree_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    monkeypatch.setenv("QBANK_CACHE_DIR", str(tmp_path / "repo" / "cache"))
    folder, note = cache.location(tmp_path / "repo" / "bank")
    assert folder is None and "git work tree" in note


def test_symlinked_cache_folders_are_never_written_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere"
    (target / ("a" * 16)).mkdir(parents=True)  # what pruning would delete in a folder of ours
    (target / "CACHEDIR.TAG").write_bytes(cache._TAG)
    link = tmp_path / "c"
    link.symlink_to(target)
    qs = load(tmp_path, BANK)
    for i in range(4):
        checker = CachedChecker(link, fp=f"{i + 1:x}" * 64)
        run(checker, qs, FakeCheck())
        assert checker.stats.stored == 0
        cache._PREPARED.clear()
    assert sorted(p.name for p in target.iterdir()) == ["CACHEDIR.TAG", "a" * 16]

    home = tmp_path / "home"
    (home / "banks").mkdir(parents=True)
    (home / "banks-target").mkdir()
    monkeypatch.setenv("QBANK_CACHE_DIR", str(home))
    shutil.rmtree(home / "banks")
    (home / "banks").symlink_to(home / "banks-target")
    folder, note = cache.location(tmp_path / "bank")
    assert folder is None and "symbolic link" in note


def test_secret_is_private_and_stable(private_cache_home: Path) -> None:
    key = cache.secret()
    path = private_cache_home / "secret"
    assert len(key) == 32 and path.read_bytes() == key
    assert path.stat().st_mode & 0o777 == 0o600
    cache._secret.cache_clear()
    assert cache.secret() == key
    path.chmod(0o644)  # readable by others: not a secret any more, so not used
    cache._secret.cache_clear()
    assert cache.secret() != key


def test_load_cache_parses_the_bytes_it_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An editor saving between the hash and the parse must not file the new version's
    model under the old version's bytes (the next run would then trust it)."""
    f = tmp_path / "bank" / "b.yaml"
    f.parent.mkdir()
    f.write_text(BANK, encoding="utf-8")
    saved = BANK.replace("What is $2 + 2$?", "What is $2 + 3$?")
    real_read = Path.read_bytes
    reads: list[Path] = []

    def read_then_save(self: Path) -> bytes:
        data = real_read(self)
        if self == f and not reads:
            reads.append(self)
            f.write_text(saved, encoding="utf-8")  # the save lands right after qbank's read
        return data

    with monkeypatch.context() as m:
        m.setattr(Path, "read_bytes", read_then_save)
        banks, _ = load_banks([str(f.parent)], cache=LoadCache(tmp_path / "c"))
    assert banks[0].questions[1].text == "What is $2 + 2$?"  # the version whose bytes were hashed
    loads = LoadCache(tmp_path / "c")
    banks, _ = load_banks([str(f.parent)], cache=loads)
    assert banks[0].questions[1].text == "What is $2 + 3$?" and loads.stats.misses == 1
    f.write_text(BANK, encoding="utf-8")
    loads = LoadCache(tmp_path / "c")
    banks, _ = load_banks([str(f.parent)], cache=loads)
    assert banks[0].questions[1].text == "What is $2 + 2$?" and loads.stats.hits == 1


def test_cache_can_be_deleted_at_any_time(tmp_path: Path) -> None:
    qs = load(tmp_path, BANK)
    run(CachedChecker(tmp_path / "c"), qs, FakeCheck())
    shutil.rmtree(tmp_path / "c")
    fake = FakeCheck()
    assert run(CachedChecker(tmp_path / "c"), qs, fake) == fresh(qs) and len(fake.checked) == 2


def test_seed_bank_with_the_real_checker_cold_and_warm(tmp_path: Path) -> None:
    """Against keys.check_questions itself, as the CLI calls it (variants expanded, findings
    labelled per variant through report_for): the cache changes nothing a user sees."""
    from exporter.keys import check_questions

    seed = (REPO / "bank" / "quiz2-differentiation.yaml").read_text(encoding="utf-8")
    # two wrong keys, so there are findings to replay
    broken = seed.replace('- text: "0.32"\n        correct: false', '- text: "0.32"\n        correct: true', 1)
    broken = broken.replace('- text: "0.064"\n        correct: true', '- text: "0.064"\n        correct: false', 1)
    assert broken.count("correct: true") == seed.count("correct: true") and broken != seed
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "quiz.yaml").write_text(broken, encoding="utf-8")
    loads = LoadCache(tmp_path / "c")
    banks, problems = load_banks([str(tmp_path / "bank")], cache=loads)
    qs = [q for b in variants.expand(banks, None, Collector()) for q in b.questions]

    plain = Collector()
    expected = check_questions(qs, plain, jobs=1, report_for=variants.report_for(plain))
    assert [d.code for d in plain.items] == ["K101", "K102"]
    for _ in range(2):  # cold (fills the cache), then warm
        found = Collector()
        got = CachedChecker(tmp_path / "c").run(qs, found, file_keys=loads.file_keys, report_for=variants.report_for(found), jobs=1)
        assert found.items == plain.items
        assert (got.checked, got.manual, got.failed, got.total) == (expected.checked, expected.manual, expected.failed, expected.total)


def test_seed_bank_round_trips_through_the_load_cache(tmp_path: Path) -> None:
    """Every model class the seed uses (parameters, groups, figures…) survives the cache."""
    plain = load_banks([str(REPO / "bank")])
    for _ in range(2):
        loads = LoadCache(tmp_path / "c")
        assert load_banks([str(REPO / "bank")], cache=loads) == plain
    assert loads.stats.hits == len(plain[0]) and loads.stats.corrupt == 0


# --- the optional fast schema check (jsonschema-rs) must agree with jsonschema ------------

INVALID_EDITS = [
    ("    type: multiple_choice\n", "    type: multiple_choise\n"),  # enum
    ("    type: multiple_choice\n", "    type: multiple_choice\n    colour: red\n"),  # additionalProperties
    ("  - id: first\n", "  - id: First Question\n"),  # pattern
    ("        correct: false\n", "        correct: \"no\"\n"),  # type
    ("        correct: false\n        value: 3\n", "        correct: true\n        value: 3\n"),  # maxContains
    ("    check:\n      quantity: 1 + 1\n", ""),  # required
    ("    check:\n      quantity: 1 + 1\n", "    check:\n      manual: short\n"),  # minLength
    ("    check:\n      quantity: 1 + 1\n", "    check: {}\n"),  # anyOf
    ("title: Cache test\n", "title: Cache test\ntags: [a]\n"),  # top-level additionalProperties
    ("    text: What is $1 + 1$?\n", "    text: What is $1 + 1$?\n    points: 0\n"),  # exclusiveMinimum
    ("    text: What is $1 + 1$?\n", "    text: What is $1 + 1$?\n    tags: [a, a]\n"),  # uniqueItems
    ("    text: What is $1 + 1$?\n", "    text: What is $1 + 1$?\n    tolerance: 0.1\n"),  # not required
]


@pytest.mark.parametrize("old,new", INVALID_EDITS)
def test_fast_schema_check_agrees_with_jsonschema(tmp_path: Path, old: str, new: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """load.py asks jsonschema-rs (when installed) only whether a bank is valid, and
    jsonschema for the messages; a bank it called valid would skip validation entirely,
    so on every kind of mistake both must say "invalid"."""
    from exporter import load as loader

    fast = loader._fast_validator()
    if fast is None:
        pytest.skip("jsonschema-rs is not installed: load.py uses jsonschema alone")
    bad = BANK.replace(old, new, 1)
    assert bad != BANK
    f = tmp_path / "b.yaml"
    f.write_text(bad, encoding="utf-8")
    with_fast = loader.load_file(f)
    doc, _ = loader.parse(str(f), bad)
    assert fast.is_valid(doc.data) is False
    assert loader._validator().is_valid(doc.data) is False
    monkeypatch.setattr(loader, "_fast_validator", lambda: None)
    assert loader.load_file(f) == with_fast  # same findings, same model, either way


def test_fast_schema_check_accepts_the_seed_bank() -> None:
    from exporter import load as loader

    fast = loader._fast_validator()
    if fast is None:
        pytest.skip("jsonschema-rs is not installed")
    doc, _ = loader.parse("seed", (REPO / "bank" / "quiz2-differentiation.yaml").read_text(encoding="utf-8"))
    assert fast.is_valid(doc.data) and loader._validator().is_valid(doc.data)
