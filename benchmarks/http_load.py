"""The app under uvicorn in its own process, and keep-alive HTTP clients to load it.

Shared by the sections that measure the server over loopback (`api_search`,
`site`, `sparql_endpoint`). The server runs in a spawned process so that the
clients' threads never share its GIL; it opens the catalogue read-only (the
benchmark process holds the store read-write).
"""

from __future__ import annotations

import http.client
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any

from .common import Latency

START_TIMEOUT = 120.0  # seconds for the server to open the catalogue and listen


def _serve(settings: dict[str, Any], conn: Connection) -> None:  # pragma: no cover - runs in a child process
    import uvicorn

    from catalogue.core import Catalogue
    from catalogue.settings import load_settings
    from catalogue.web import create_app

    config = load_settings(**settings)
    app = create_app(config, Catalogue(config, read_only=True))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", ws="none",
                                           http="h11", timeout_keep_alive=120, access_log=False))  # fmt: skip

    def report() -> None:
        while not server.started:
            time.sleep(0.01)
        conn.send(server.servers[0].sockets[0].getsockname()[1])

    threading.Thread(target=report, daemon=True).start()
    server.run()


@contextmanager
def app_server(settings: dict[str, Any], name: str = "bench-server") -> Iterator[int]:
    """Run the app over the catalogue of `settings` (load_settings keywords); yields its port."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    # Not a daemon: the app may start worker processes of its own (SPARQL).
    server = ctx.Process(target=_serve, args=(settings, child), name=name)
    server.start()
    try:
        if not parent.poll(START_TIMEOUT):
            raise RuntimeError("the benchmark server did not start")
        yield parent.recv()
    finally:
        server.terminate()
        server.join(timeout=30)
        if server.is_alive():
            server.kill()


class Client:
    """One keep-alive connection; `get` fails on anything but 200."""

    def __init__(self, port: int, headers: Mapping[str, str] | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = dict(headers or {})

    def get(self, path: str) -> bytes:
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path[:120]} answered {response.status}: {body[:200]!r}")
        return body

    def close(self) -> None:
        self.connection.close()


def load(
    port: int,
    path_for: Callable[[int], str],
    clients: int,
    seconds: float,
    headers: Mapping[str, str] | None = None,
) -> tuple[float, Latency]:
    """`clients` threads, each on its own connection, send GETs for `seconds`:
    client n's k-th request is `path_for(k * clients + n)`. Returns requests/s
    and every request's latency."""
    counts = [0] * clients
    samples: list[list[float]] = [[] for _ in range(clients)]
    failures: list[BaseException] = []
    stop = time.monotonic() + seconds

    def work(n: int) -> None:
        client = Client(port, headers)
        try:
            while time.monotonic() < stop:
                path = path_for(counts[n] * clients + n)
                start = time.perf_counter()
                client.get(path)
                samples[n].append((time.perf_counter() - start) * 1000)
                counts[n] += 1
        except BaseException as exc:  # reported by the caller's thread
            failures.append(exc)
        finally:
            client.close()

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if failures:
        raise failures[0]
    return sum(counts) / elapsed, Latency([s for per in samples for s in per])
