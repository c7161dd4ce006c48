"""SPARQL queries bounded in time and memory: a small pool of worker
processes, each with the store open read-only, killed past the time limit.

Oxigraph cannot interrupt a query (oxigraph/oxigraph#1336), and a thread
cannot be killed, so a runaway query is only stopped by ending the process
that runs it. Each worker opens the store with `Store.read_only`, which
RocksDB allows beside the read-write handle of the web process (measured:
30-50 ms to open a flushed store). A read-only handle is a snapshot, so a
worker reopens the store when its table files change, that is after a
flush (see `_fingerprint`). Workers are started with "spawn"
(a fork of a threaded server holding RocksDB open is unsafe) and cap their
heap (RLIMIT_DATA): a query that needs more memory ends its worker instead
of the machine.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import resource
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

from .sparql_eval import Answer, Job, Remote, RemoteTimeout, error, evaluate, evaluate_remote

_BOOT_SECONDS = 60.0  # a worker's start (imports, store open) is not the query's fault


class QueryTimeout(Exception):
    """The query ran past the limit; its worker was stopped."""


class PoolBusy(Exception):
    """Every worker stayed busy for as long as a query may run."""


# --- inside a worker --------------------------------------------------------------


def _fingerprint(path: str) -> tuple[tuple[str, int, int], ...]:
    """What changes when writes reach the store's tables: the SST files, the
    MANIFEST and CURRENT. The write-ahead log (*.log) is left out: a
    read-only open replays it (75 s for ~370 MB of unflushed writes here), so
    workers wait for a flush (the catalogue flushes after every harvest that
    changed something) and reopen in ~40 ms. RocksDB's info LOG is left out
    too, so that reading never looks like a change."""
    out = []
    for entry in os.scandir(path):
        if entry.name.endswith(".log") or entry.name.startswith("LOG") or entry.name in ("LOCK", "IDENTITY"):
            continue
        try:
            st = entry.stat()
        except FileNotFoundError:  # removed by a compaction as we looked
            continue
        out.append((entry.name, st.st_size, st.st_mtime_ns))
    return tuple(sorted(out))


def _worker_main(conn: Connection, store_path: str, memory_mb: int) -> None:  # pragma: no cover - runs in a child
    import pyoxigraph as ox

    if memory_mb > 0:
        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    # Open the store before saying ready: replaying a large write-ahead log
    # can take seconds, and that must not count against a visitor's query.
    seen = _fingerprint(store_path)
    store: ox.Store | None = ox.Store.read_only(store_path)
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        answer: Answer
        for attempt in (1, 2):
            try:
                current = _fingerprint(store_path)
                if store is None or current != seen:
                    store = None
                    store = ox.Store.read_only(store_path)
                    seen = current
                answer = evaluate(store, job)
                break
            except OSError as exc:  # files moved under a stale snapshot: reopen once
                store = None
                answer = error(503, f"The store could not be read: {exc}")
            except Exception as exc:  # a bug must not end the worker: answer it
                answer = error(500, f"The query failed: {type(exc).__name__}: {exc}")
                break
        conn.send(answer)


# --- in the server ------------------------------------------------------------------


class _Worker:
    def __init__(self, ctx: multiprocessing.context.SpawnContext, store_path: Path, memory_mb: int) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main, args=(child, str(store_path), memory_mb), daemon=True, name="sparql-worker"
        )
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(_BOOT_SECONDS):
            raise RuntimeError("a SPARQL worker did not start")
        if self.conn.recv() != "ready":
            raise RuntimeError("a SPARQL worker started badly")
        self.ready = True

    def ask(self, job: Job, deadline: float) -> Answer:
        self.conn.send(job)
        if not self.conn.poll(max(0.0, deadline - time.monotonic())):
            raise QueryTimeout
        return self.conn.recv()  # type: ignore[no-any-return]

    def alive(self) -> bool:
        return self.process.is_alive()

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


class QueryPool:
    """`run(job)` evaluates a job in a free worker within `timeout` seconds,
    waiting at most as long again for a worker to be free. Thread-safe."""

    def __init__(self, store_path: Path, workers: int = 2, timeout: float = 10.0, memory_mb: int = 1024) -> None:
        self.store_path = store_path
        self.timeout = timeout
        self.memory_mb = memory_mb
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(workers):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ctx, self.store_path, self.memory_mb)
        with self._lock:
            self._all.append(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        worker.stop(kill=True)
        if not self._closed:
            self._idle.put(self._spawn())

    def run(self, job: Job, timeout: float | None = None) -> Answer:
        limit = self.timeout if timeout is None else timeout
        try:
            worker = self._idle.get(timeout=limit)
        except queue.Empty:
            raise PoolBusy from None
        if self._closed:
            raise PoolBusy
        try:
            worker.wait_ready()
        except (EOFError, OSError, RuntimeError):
            self._replace(worker)
            return error(503, "A query worker could not start (the server's log says why); try again shortly.")
        try:
            answer = worker.ask(job, time.monotonic() + limit)
        except QueryTimeout:
            self._replace(worker)
            raise
        except (EOFError, OSError, RuntimeError):
            # The worker died: most often the query needed more memory than allowed.
            self._replace(worker)
            why = f" (most likely it needed more than {self.memory_mb:,} MB of memory)" if self.memory_mb else ""
            return error(503, f"The query stopped its worker{why}. Simplify it or add a LIMIT.")
        self._idle.put(worker)
        return answer

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.stop()


class RemoteQueries:
    """The same `run(job)` over a remote SPARQL 1.1 query endpoint (the store of
    a multi-node deployment): no worker processes, as the server evaluates the
    query and bounds it itself; this side stops waiting at the time limit."""

    def __init__(self, endpoint: str, timeout: float = 10.0) -> None:
        self.remote = Remote(endpoint)
        self.timeout = timeout

    def run(self, job: Job, timeout: float | None = None) -> Answer:
        try:
            answer, virtuoso = evaluate_remote(self.remote, job, self.timeout if timeout is None else timeout)
        except RemoteTimeout:
            raise QueryTimeout from None
        if virtuoso and not self.remote.virtuoso:
            self.remote = Remote(self.remote.endpoint, virtuoso=True)
        return answer

    def close(self) -> None:
        """Nothing to stop."""
