"""Real HTTP on loopback: serve recorded files, plus routes for failure modes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
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


# --- a loopback server that behaves like a portal ----------------------------


class Portal:
    """What the portal serves; tests change it between runs.

    - files under `folder`, with ETag / Last-Modified and 304 answers to
      conditional requests;
    - a CKAN Action API (`/api/3/action/package_search`, GET or POST) over
      `packages`, with rows / start paging and `metadata_modified:[X TO *]`
      in fq, sorted by metadata_modified;
    - a SPARQL 1.1 Protocol endpoint (`/sparql`) over the pyoxigraph `store`;
    - failure modes: `/status/N`, `fail_once` (paths or CKAN `start` offsets
      that answer 500 the first time), `/slow/SECONDS/path`, `/truncated/path`
      (Content-Length larger than the body), `/redirect?to=URL`, `/huge`
      (a body larger than any cap, no Content-Length).
    """

    def __init__(self, folder: Path) -> None:
        import pyoxigraph

        self.folder = folder
        self.packages: list[dict[str, object]] = []
        self.fail_once: set[str] = set()
        self.fail_always: set[str] = set()
        self.hits: dict[str, int] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (method, path, headers)
        self.store = pyoxigraph.Store()
        self.url = ""

    def action_hits(self) -> int:
        return sum(n for p, n in self.hits.items() if p.startswith("/api/3/action/"))


class _PortalHandler(BaseHTTPRequestHandler):
    portal: Portal
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self._route(self.rfile.read(length))

    def do_GET(self) -> None:  # noqa: N802
        self._route(b"")

    def _route(self, body: bytes) -> None:
        import json
        import time
        import urllib.parse

        portal = self.portal
        parts = urllib.parse.urlsplit(self.path)
        path = parts.path
        if path.startswith("/api/action/"):  # CKAN answers both; ckanapi uses this one
            path = "/api/3/action/" + path.removeprefix("/api/action/")
        portal.hits[path] = portal.hits.get(path, 0) + 1
        portal.requests.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
        query = dict(urllib.parse.parse_qsl(parts.query))
        if self.command == "POST" and body:
            ctype = self.headers.get("Content-Type", "")
            if "json" in ctype:
                query.update({k: str(v) for k, v in json.loads(body).items()})
            else:
                query.update(dict(urllib.parse.parse_qsl(body.decode())))
        if path in portal.fail_once:
            portal.fail_once.discard(path)
            return self._send(500, b"<html>Internal Server Error</html>", "text/html")
        if path.startswith("/status/"):
            return self._send(int(path.split("/")[2].split(".")[0]), b"", headers={"Retry-After": "0"})
        if path == "/redirect":
            self.send_response(302)
            self.send_header("Location", query["to"])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if path.startswith("/slow/"):
            _, _, seconds, rest = path.split("/", 3)
            time.sleep(float(seconds))
            path = "/" + rest
        if path.startswith("/truncated/"):
            data = (self.portal.folder / path.removeprefix("/truncated/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return None
        if path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.end_headers()
            self.close_connection = True
            chunk = b"# " + b"x" * 65_533 + b"\n"
            try:
                for _ in range(200):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if path == "/api/3/action/package_search":
            return self._package_search(query)
        if path.startswith("/api/3/action/"):
            return self._send(400, json.dumps({"success": False, "error": {"__type": "Bad request", "message": "unknown action"}}).encode())
        if path == "/sparql":
            return self._sparql(query)
        return self._file(path)

    def _package_search(self, query: dict[str, str]) -> None:
        import json
        import re

        start, rows = int(query.get("start", 0)), int(query.get("rows", 10))
        key = f"start={start}"
        if key in self.portal.fail_always:
            return self._send(500, b"<html>Internal Server Error</html>", "text/html", {"Retry-After": "0"})
        if key in self.portal.fail_once:
            self.portal.fail_once.discard(key)
            return self._send(500, b"<html>Internal Server Error</html>", "text/html")
        packages = sorted(self.portal.packages, key=lambda p: (str(p.get("metadata_modified", "")), str(p.get("id"))))
        match = re.search(r"metadata_modified:\[(\S+) TO \*\]", query.get("fq", ""))
        if match:
            since = match.group(1).rstrip("Z")
            packages = [p for p in packages if str(p.get("metadata_modified", "")) >= since]
        result = {"count": len(packages), "sort": query.get("sort"), "results": packages[start : start + rows]}
        return self._send(200, json.dumps({"help": "package_search", "success": True, "result": result}).encode())

    def _sparql(self, query: dict[str, str]) -> None:
        import pyoxigraph

        text = query.get("query")
        if not text:
            return self._send(400, b"missing query", "text/plain")
        try:
            result = self.portal.store.query(text)
        except SyntaxError as exc:
            return self._send(400, str(exc).encode(), "text/plain")
        if isinstance(result, pyoxigraph.QuerySolutions):
            data = result.serialize(format=pyoxigraph.QueryResultsFormat.JSON)
            return self._send(200, data, "application/sparql-results+json")
        data = result.serialize(format=pyoxigraph.RdfFormat.N_TRIPLES)
        return self._send(200, data, "application/n-triples")

    def _file(self, path: str) -> None:
        import email.utils
        import hashlib

        target = (self.portal.folder / path.lstrip("/")).resolve()
        if not target.is_file() or self.portal.folder.resolve() not in target.parents:
            return self._send(404, b"not found", "text/plain")
        data = target.read_bytes()
        etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        modified = email.utils.formatdate(target.stat().st_mtime, usegmt=True)
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        types = {".ttl": "text/turtle", ".rdf": "application/rdf+xml", ".jsonld": "application/ld+json", ".json": "application/json", ".csv": "text/csv", ".nt": "application/n-triples"}
        return self._send(200, data, types.get(target.suffix, "application/octet-stream"), {"ETag": etag, "Last-Modified": modified})


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    """A loopback portal (see Portal); `portal.url` is its base URL."""
    folder = tmp_path / "portal"
    folder.mkdir()
    state = Portal(folder)
    handler = type("PortalHandler", (_PortalHandler,), {"portal": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
