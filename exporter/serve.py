"""`qbank preview --serve`: the preview site on localhost, rebuilt when a bank file is saved.

An author edits YAML in one window and watches the page in another: the server polls the
bank and quiz files (mtime and size, twice a second — no file-watching dependency), rebuilds
the site when one changes, and the open page reloads itself. The reload script is added to
HTML pages *as they are served*; the files on disk stay the static, script-optional site
`qbank preview` writes. Only 127.0.0.1 is bound: the site shows answer keys.
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

VERSION_PATH = "/__qbank__/version"
POLL_SECONDS = 0.5

RELOAD_SCRIPT = (
    "<script>/* qbank preview --serve: reload when the site is rebuilt */\n"
    "(function () { let seen = null; setInterval(function () {\n"
    f"  fetch('{VERSION_PATH}', {{cache: 'no-store'}}).then(function (r) {{ return r.text(); }}).then(function (v) {{\n"
    "    if (seen === null) { seen = v; } else if (v !== seen) { location.reload(); }\n"
    "  }).catch(function () {});\n"
    "}, 1000); })();</script>\n"
).encode("utf-8")


Snapshot = tuple[tuple[str, int, int], ...]


def snapshot(files: Sequence[Path]) -> Snapshot:
    """What the watcher compares: each file's path, mtime and size (missing: -1, -1)."""
    out = []
    for f in files:
        try:
            st = f.stat()
            out.append((str(f), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(f), -1, -1))
    return tuple(out)


class PreviewServer:
    """Serves `site` on 127.0.0.1:`port` (0: any free port) and calls `rebuild()` whenever
    `watched()` (the files to watch, asked afresh each time: a new bank file counts) change."""

    def __init__(self, site: Path, rebuild: Callable[[], object], watched: Callable[[], Sequence[Path]], port: int = 8000) -> None:
        self.site = site
        self.rebuild = rebuild
        self.watched = watched
        self.version = 1
        self._stop = threading.Event()
        handler = functools.partial(_Handler, directory=str(site), server_state=self)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/index.html"

    def start(self) -> None:
        """Serve in a background thread; `watch()` then rebuilds in the calling one (the main
        thread, in the CLI: the answer-key check's time bound is a signal, main-thread only)."""
        t = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for t in self._threads:
            t.join(timeout=5)

    def watch(self) -> None:
        """Rebuild whenever a watched file changes, until `stop()`."""
        seen = self._files()
        while not self._stop.wait(POLL_SECONDS):
            now = self._files()
            if now == seen:
                continue
            seen = now
            try:
                self.rebuild()
            except Exception as exc:  # noqa: BLE001 - a failed rebuild keeps the last site served
                print(f"qbank: preview not rebuilt: {exc}", file=sys.stderr)
                continue
            self.version += 1


    def _files(self) -> Snapshot:
        try:
            return snapshot(self.watched())
        except Exception:  # noqa: BLE001 - a bank folder being renamed: try again next time
            return ()


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, server_state: PreviewServer, **kwargs) -> None:  # noqa: ANN002, ANN003
        self.state = server_state
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == VERSION_PATH:
            self._send(str(self.state.version).encode("ascii"), "text/plain; charset=utf-8")
            return
        path = Path(self.translate_path(self.path))
        if path.suffix == ".html" and path.is_file():
            data = path.read_bytes()
            at = data.rfind(b"</body>")
            data = data[:at] + RELOAD_SCRIPT + data[at:] if at >= 0 else data + RELOAD_SCRIPT
            self._send(data, "text/html; charset=utf-8")
            return
        super().do_GET()

    def _send(self, data: bytes, mime: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass  # the terminal shows qbank's findings, not a request log
