"""The independent GIFT parser the tests read GIFT output with: gift-pegjs, run by node.

Many documents go to one node process (tests/gift_parse.js), because starting node per
question would make the property tests slow. Without node the test is skipped; without
the npm package it fails, since CI installs it with `npm ci`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PARSER = REPO / "tests" / "gift_parse.js"


def gift_pegjs(documents: list[str]) -> list[dict]:
    """One result dict per document: `{"questions": [...]}` or `{"error": ...}`."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, so the GIFT output cannot be parsed with gift-pegjs")
    if not (REPO / "node_modules" / "gift-pegjs").is_dir():
        pytest.fail("gift-pegjs is missing: run `npm ci` in the repository's top folder")
    done = subprocess.run(
        [node, str(PARSER)], input=json.dumps(documents), capture_output=True, text=True,
        cwd=REPO, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
