"""Real HTTP on loopback: serve recorded files, plus routes for failure modes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


class _Handler(SimpleHTTPRequestHandler):
    hits: dict[str, int]

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if self.path.startswith("/status/"):
            code = int(self.path.split("/")[2].split(".")[0])
            self.send_response(code)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        if self.path.startswith("/flaky/"):  # 503 on the first try, then the file
            if self.hits[self.path] == 1:
                self.send_response(503)
                self.send_header("Retry-After", "0")
                self.end_headers()
                return
            self.path = self.path.removeprefix("/flaky")
        super().do_GET()


@pytest.fixture
def http_files(tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, int]]]:
    """(base URL, folder it serves, hit counts by path) of a loopback server."""
    folder = tmp_path / "www"
    folder.mkdir()
    hits: dict[str, int] = {}
    handler = partial(type("H", (_Handler,), {"hits": hits}), directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder, hits
    finally:
        server.shutdown()
        server.server_close()
