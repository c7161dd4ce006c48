"""One catalogue: its settings, store and search index, and the jobs that span
them (harvest, reindex, check). The CLI and the web app both start here.

The index lives in `data_dir/index/<engine>/<generation>/`; the file
`data_dir/index/<engine>/CURRENT` names the generation readers use. A rebuild
writes a new generation aside and then swaps the pointer, so readers never see
a half-built index.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .index import SearchEngine, open_engine
from .settings import Settings
from .store import Store, open_store
from .uris import Uris

# The harvest runner, the harvesters, the dumps and the index feeder are
# imported by the jobs that use them: a process that only reads (`serve`,
# `build-site`) starts ~0.4 s sooner without them.
if TYPE_CHECKING:
    from .harvest import Progress
    from .models import HarvestRun
    from .sources import SourceList

_POINTER = "CURRENT"


def refresh_after_harvest(store: Store, settings: Settings, changed: bool) -> None:
    """`dumps.refresh_after_harvest`, imported when a harvest ends (a module
    attribute, so the benchmarks' harvest profile can time it)."""
    from .dumps import refresh_after_harvest as refresh

    refresh(store, settings, changed)


@dataclass
class CheckReport:
    """Differences between the store and the index (empty lists: in step)."""

    missing: list[str] = field(default_factory=list)  # in the store, not in the index
    stale: list[str] = field(default_factory=list)  # index holds another version
    extra: list[str] = field(default_factory=list)  # in the index, not (active) in the store
    store_count: int = 0
    index_count: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


class Catalogue:
    def __init__(self, settings: Settings, read_only: bool = False) -> None:
        self.settings = settings
        self.uris = Uris(settings.base_uri)
        self.read_only = read_only
        self._store: Store | None = None
        self._engine: SearchEngine | None = None
        self._engine_stamp: tuple[int, int] | None = None  # the CURRENT pointer when the engine was opened
        # Threads (a server's, a static build's searches ahead) may ask for the
        # engine or the store first together: one of them opens it. The
        # engine's is reentrant: a reopen asks again.
        self._engine_lock = threading.RLock()
        self._store_lock = threading.Lock()

    # --- parts ------------------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            with self._store_lock:
                if self._store is None:
                    self._store = open_store(self.settings, read_only=self.read_only)
        return self._store

    @property
    def engine_root(self) -> Path:
        return self.settings.index_dir / self.settings.search_engine

    def _current_generation(self) -> Path:
        pointer = self.engine_root / _POINTER
        if pointer.is_file():
            return self.engine_root / pointer.read_text(encoding="utf-8").strip()
        return self.engine_root / "g0"

    @property
    def engine(self) -> SearchEngine:
        # A `catalogue reindex` in another process swaps the pointer (and
        # removes the old generation): follow it, one stat per access.
        with self._engine_lock:
            if self._engine is not None and self._pointer_stamp() != self._engine_stamp:
                self.reopen_engine()
            if self._engine is None:
                path = self._current_generation()
                path.mkdir(parents=True, exist_ok=True)
                self._engine = open_engine(self.settings.search_engine, path)
                if not (self.engine_root / _POINTER).exists():
                    self._swap_pointer(path.name)
                self._engine_stamp = self._pointer_stamp()
            return self._engine

    def _pointer_stamp(self) -> tuple[int, int] | None:
        try:
            stat = (self.engine_root / _POINTER).stat()
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_mtime_ns)  # os.replace gives a new inode

    def _swap_pointer(self, generation: str) -> None:
        tmp = self.engine_root / f"{_POINTER}.tmp"
        tmp.write_text(generation, encoding="utf-8")
        os.replace(tmp, self.engine_root / _POINTER)  # atomic on POSIX

    def reopen_engine(self) -> SearchEngine:
        """Pick up a generation swapped in by another process."""
        with self._engine_lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
            return self.engine

    # --- jobs -------------------------------------------------------------

    def harvest(
        self, sources: SourceList, names: Iterable[str] = (), *, full: bool = False, progress: Progress | None = None
    ) -> list[HarvestRun]:
        """Run sources once; `full` ignores incremental state and conditional requests."""
        from .harvest import HarvestRunner

        runner = HarvestRunner(self.store, self.engine, self.settings, progress=progress)
        runs = runner.run_all(sources, names, full=full)
        # Issue 5: the full dumps follow every harvest that changed the store.
        changed = any(r.counts.new or r.counts.changed or r.counts.withdrawn for r in runs)
        if changed:
            self.store.flush()  # the SPARQL workers reopen the store read-only, cheaply once flushed
        refresh_after_harvest(self.store, self.settings, changed)
        return runs

    def reindex(self) -> tuple[int, list[str]]:
        """Rebuild the index from the store aside, then swap it in.
        Returns (documents indexed, errors)."""
        from .indexing import IndexFeeder
        from .mapping import MappingError

        self.engine_root.mkdir(parents=True, exist_ok=True)
        generation = f"g{time.time_ns()}"
        path = self.engine_root / generation
        fresh = open_engine(self.settings.search_engine, path)
        feeder = IndexFeeder(self.store, fresh, self.uris)
        count, errors, batch = 0, [], []
        for doc in feeder.docs_from_store():
            if isinstance(doc, MappingError):
                errors.append(str(doc))
                continue
            batch.append(doc)
            if len(batch) >= 1000:
                fresh.add(batch)
                count += len(batch)
                batch = []
        fresh.add(batch)
        count += len(batch)
        fresh.commit()
        fresh.close()
        old = self._current_generation()
        self._swap_pointer(generation)
        self.reopen_engine()
        if old != path and old.exists():
            shutil.rmtree(old, ignore_errors=True)
        return count, errors

    def check(self) -> CheckReport:
        from .indexing import IndexFeeder

        expected = IndexFeeder(self.store, self.engine, self.uris).store_versions()
        held = self.engine.versions()
        report = CheckReport(store_count=len(expected), index_count=len(held))
        for uri, version in sorted(expected.items()):
            if uri not in held:
                report.missing.append(uri)
            elif held[uri] != version:
                report.stale.append(uri)
        report.extra = sorted(set(held) - set(expected))
        return report

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
