"""`qbank preview --serve`: the site on localhost, rebuilt when a bank file is saved."""

from __future__ import annotations

import shutil
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from exporter.serve import RELOAD_SCRIPT, VERSION_PATH, PreviewServer

from preview_site import REPO


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:  # 127.0.0.1 only: no network
        return r.read()


def test_saving_a_bank_file_rebuilds_the_served_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from exporter.cli import _write_preview, _parser

    shutil.copytree(REPO / "bank", tmp_path / "bank")
    monkeypatch.chdir(tmp_path)
    args = _parser().parse_args(["preview", "bank", "-o", "site", "-j", "1", "--no-cache"])
    assert _write_preview(args) == 0
    bank = tmp_path / "bank" / "quiz2-differentiation.yaml"
    server = PreviewServer(tmp_path / "site", lambda: _write_preview(args), lambda: [bank], port=0)
    server.start()
    watcher = threading.Thread(target=server.watch, daemon=True)
    watcher.start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        base = server.url.rsplit("/", 1)[0]
        page = get(f"{base}/pages/quiz2-differentiation.html")
        assert b"Chain rule through tanh" in page and RELOAD_SCRIPT in page
        assert RELOAD_SCRIPT not in (tmp_path / "site" / "pages" / "quiz2-differentiation.html").read_bytes()
        assert get(base + VERSION_PATH) == b"1"
        bank.write_text(bank.read_text(encoding="utf-8").replace("title: Chain rule through tanh", "title: Edited title"),
                        encoding="utf-8")
        deadline = time.monotonic() + 60
        while get(base + VERSION_PATH) == b"1" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert get(base + VERSION_PATH) == b"2"
        assert b"Edited title" in get(f"{base}/pages/quiz2-differentiation.html")
        with pytest.raises(urllib.error.HTTPError):  # nothing outside the site is served
            get(f"{base}/../bank/quiz2-differentiation.yaml")
    finally:
        server.stop()
        watcher.join(timeout=5)
    assert not watcher.is_alive()
