"""Fixtures shared by several test files.

Every test runs with its own user cache folder, and as on a developer's machine:
qbank's cache lives in the user's cache folder (exporter/cache.py): a test must never read
results a previous run left in the real one, nor leave any there. `CI=true` turns the
cache off, so it is unset here and the tests behave the same in CI as on a laptop (the
test of that rule sets it itself).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def _isolated(home: Path) -> Iterator[Path]:
    """`home` as the user cache folder's parent, as long as the context lasts. Its own
    MonkeyPatch: a test's `monkeypatch.undo()` must not bring the real home back."""
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CACHE_HOME", str(home))
    patch.delenv("QBANK_CACHE_DIR", raising=False)
    patch.delenv("CI", raising=False)
    try:
        yield home / "qbank"
    finally:
        patch.undo()


@pytest.fixture(scope="session", autouse=True)
def session_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """For module- and session-scoped fixtures, which run before any per-test fixture."""
    with _isolated(tmp_path_factory.mktemp("xdg-cache-session")) as home:
        yield home


@pytest.fixture(autouse=True)
def private_cache_home(session_cache_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh user cache folder (and so a fresh secret) for each test."""
    with _isolated(tmp_path_factory.mktemp("xdg-cache")) as home:
        yield home


@pytest.fixture
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This repository's bank, quizzes and dist as a fresh clone has them, as the working
    directory."""
    for name in ("bank", "quizzes", "dist"):
        shutil.copytree(REPO / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path
