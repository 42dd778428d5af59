"""The check and load caches: a hit replays exactly what a fresh check reports, and
anything that could make a replay wrong (an edit, another version, a damaged entry, a
moved question) is either re-checked or re-based onto where the question is now."""

from __future__ import annotations

import json
import pickle
import shutil
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from exporter import cache
from exporter.cache import CachedChecker, LoadCache, question_key
from exporter.diagnostics import Collector, Diagnostic
from exporter.load import load_banks
from exporter import variants
from exporter.model import Question

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
        lambda e: {**e, "diagnostics": [[0, 1, "K101"]]},
        lambda e: {**e, "diagnostics": [["1", 1, "K101", "m", "error"]]},
        lambda e: {**e, "diagnostics": [[1, 1, "K101", "m", "fatal"]]},
        lambda e: {**e, "diagnostics": "none"},
        lambda e: {**e, "format": cache.FORMAT + 1},
        lambda e: [e],
    ],
)
def test_wrongly_shaped_entry_is_a_miss(tmp_path: Path, damage) -> None:
    qs = load(tmp_path, BANK)[1:]
    run(CachedChecker(tmp_path / "c"), qs, FakeCheck())
    (entry,) = (tmp_path / "c").rglob("*.json")
    entry.write_text(json.dumps(damage(json.loads(entry.read_text()))))
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


def test_load_cache_refuses_foreign_pickles(tmp_path: Path) -> None:
    loads = LoadCache(tmp_path / "c")
    qs = load(tmp_path, BANK, loads=loads)
    (entry,) = (tmp_path / "c").rglob("load/*/*.pickle")
    entry.write_bytes(pickle.dumps((shutil.rmtree, [])))  # would be callable after loading
    loads = LoadCache(tmp_path / "c")
    assert load(tmp_path, BANK, loads=loads) == qs
    assert loads.stats.corrupt == 1 and loads.stats.misses == 1
    entry.write_bytes(b"garbage")
    loads = LoadCache(tmp_path / "c")
    assert load(tmp_path, BANK, loads=loads) == qs and loads.stats.corrupt == 1


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
