"""The harvest runner: source -> records -> store -> index, with a report.

For each record a harvester yields, the runner gives it the URI the catalogue
already knows it by (`dedupe.py`), maps it to triples, compares its content
hash with what the store holds (new / changed / unchanged), and writes changed
records in batches, one transaction per batch, falling back to one record at
a time when a batch fails so one bad record never blocks the rest. Records
the source no longer has are marked withdrawn (never deleted), but only after
a complete, successful listing that is not implausibly small. Every run is
recorded as a `prov:Activity` in the store and returned as a summary.

Around each run: a per-source lock that a crashed run cannot hold for ever
(it expires, and a dead process on this host frees it), a time limit, an
abort flag (`catalogue harvest --abort NAME`), and a small state file per
source (`data_dir/harvest/NAME.json`) holding what incremental runs and
conditional requests need from the last good run.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from harvesters import harvester_class
from harvesters.base import HarvestContext, Harvester, SourceError, SourceNotModified

from . import ntriples
from .dedupe import Deduper
from .index import SearchEngine
from .indexing import IndexFeeder, practice_doc
from .mapping import MappingError, record_lines, run_lines, to_lines
from .models import (
    CatalogRecord,
    Counts,
    HarvestRun,
    Practice,
    Project,
    RecordError,
    RecordFailure,
    RecordSkipped,
    SourceRecord,
)
from .settings import Settings
from .sources import SourceConfig, SourceList
from .store import RecordState, RecordWrite, Store, StoreError
from .uris import Uris

log = logging.getLogger(__name__)

BATCH_SIZE = 500
PRIMARY = "urn:gpc:primary"  # how harvesters name the primary entity in SourceRecord.source_lines
SKIP_DETAILS = 100  # skips listed one by one in a run's report; the rest are summed up
INCREMENTAL_OVERLAP = timedelta(minutes=10)  # incremental runs look back a little before the last start
LOCK_GRACE = 600.0  # seconds a lock outlives its run's time limit


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- progress -----------------------------------------------------------


class Progress(Protocol):
    """What a run tells whoever watches it (a progress bar, the logs)."""

    def start(self, source: str) -> None: ...

    def advance(self, source: str, counts: Counts, total: int | None) -> None: ...

    def finish(self, run: HarvestRun) -> None: ...


class LogProgress:
    """Quiet, structured logs (key=value): one line when a source starts and
    ends, and a progress line at most every `every` seconds in between."""

    def __init__(self, every: float = 30.0) -> None:
        self.every = every
        self._last = 0.0

    def start(self, source: str) -> None:
        self._last = time.monotonic()
        log.info("harvest.start source=%s", source)

    def advance(self, source: str, counts: Counts, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            log.info("harvest.progress source=%s seen=%d total=%s", source, counts.seen, total if total is not None else "?")

    def finish(self, run: HarvestRun) -> None:
        c = run.counts
        log.info(
            "harvest.end source=%s status=%s seen=%d new=%d changed=%d unchanged=%d withdrawn=%d failed=%d skipped=%d seconds=%.1f",
            run.source, run.status, c.seen, c.new, c.changed, c.unchanged, c.withdrawn, c.failed, c.skipped,
            ((run.ended or run.started) - run.started).total_seconds(),
        )  # fmt: skip

    def close(self) -> None:
        pass


class BarProgress:
    """A progress bar per source on an interactive terminal (rich)."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=False
        )
        self._tasks: dict[str, Any] = {}

    def start(self, source: str) -> None:
        if not self._tasks:
            self._bar.start()
        self._tasks[source] = self._bar.add_task(source, total=None)

    def advance(self, source: str, counts: Counts, total: int | None) -> None:
        self._bar.update(self._tasks[source], completed=counts.seen, total=total)

    def finish(self, run: HarvestRun) -> None:
        task = self._tasks[run.source]
        self._bar.update(task, description=f"{run.source}: {run.status}", total=run.counts.seen, completed=run.counts.seen)

    def close(self) -> None:
        if self._tasks:
            self._bar.stop()


class _NoProgress:
    def start(self, source: str) -> None:
        pass

    def advance(self, source: str, counts: Counts, total: int | None) -> None:
        pass

    def finish(self, run: HarvestRun) -> None:
        pass

    def close(self) -> None:
        pass


def make_progress(interactive: bool) -> LogProgress | BarProgress:
    """A progress bar on an interactive terminal, else quiet structured logs
    on standard error (key=value, one line per source start and end)."""
    if interactive:
        return BarProgress()
    ours = logging.getLogger("catalogue")
    if not logging.getLogger().handlers and not any(isinstance(h, _StderrHandler) for h in ours.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"))
        ours.addHandler(handler)
        ours.propagate = False
    if ours.getEffectiveLevel() > logging.INFO:
        ours.setLevel(logging.INFO)
    return LogProgress()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a line is logged (not when the
    handler was made), so a redirected stderr is honoured."""

    def emit(self, record: logging.LogRecord) -> None:
        import sys

        self.stream = sys.stderr
        super().emit(record)


# --- lock, abort flag and saved state -----------------------------------


def harvest_dir(settings: Settings) -> Path:
    return settings.data_dir / "harvest"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class RunLock:
    """`NAME.lock`: who runs a source, since when, until when at the latest."""

    folder: Path
    name: str
    ttl: float  # seconds

    @property
    def path(self) -> Path:
        return self.folder / f"{self.name}.lock"

    def holder(self) -> dict[str, Any] | None:
        """The live holder of the lock, or None (no lock, or a stale one)."""
        try:
            info = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(info, dict):
            return None
        if float(info.get("expires", 0)) < time.time():
            return None  # outlived its time limit: the run crashed or hung
        if info.get("host") == socket.gethostname() and not _pid_alive(int(info.get("pid", 0))):
            return None  # the process that held it is gone
        return info

    def acquire(self) -> dict[str, Any] | None:
        """Take the lock; returns None on success, else the live holder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        mine = {
            "pid": os.getpid(), "host": socket.gethostname(), "token": f"{os.getpid()}-{time.time_ns()}",
            "started": utcnow().isoformat(), "expires": time.time() + self.ttl,
        }  # fmt: skip
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self.holder()
                if holder is not None:
                    return holder
                stale = self.path.with_suffix(f".stale-{mine['token']}")
                try:
                    os.replace(self.path, stale)  # one taker wins the stale lock
                    stale.unlink()
                except OSError:
                    pass
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(mine, out)
            self._token = mine["token"]
            return None
        return self.holder() or {"pid": "?", "started": "?"}

    def release(self) -> None:
        try:
            info = json.loads(self.path.read_text(encoding="utf-8"))
            if info.get("token") == getattr(self, "_token", None):
                self.path.unlink()
        except (OSError, ValueError):
            pass


def abort_flag(settings: Settings, name: str) -> Path:
    return harvest_dir(settings) / f"{name}.abort"


def request_abort(settings: Settings, name: str) -> str:
    """Ask the run of `name` in progress (in any process) to stop. Returns a sentence."""
    lock = RunLock(harvest_dir(settings), name, 0)
    holder = lock.holder()
    if holder is None:
        if lock.path.exists():
            lock.path.unlink(missing_ok=True)
            return f"{name}: no run in progress (removed a stale lock left by a crashed run)"
        return f"{name}: no run in progress"
    abort_flag(settings, name).write_text(utcnow().isoformat(), encoding="utf-8")
    return (
        f"{name}: asked the run in progress (pid {holder.get('pid')} on {holder.get('host')}, "
        f"started {holder.get('started')}) to stop; it stops at its next record or read"
    )


def _clear_stale_abort(flag: Path, before: float) -> None:
    """An abort asked before this run held the lock does not stop it."""
    try:
        if flag.stat().st_mtime < before:
            flag.unlink()
    except OSError:
        pass


def _abort_check(flag: Path, every: float = 0.5) -> Callable[[], bool]:
    last = [0.0, False]

    def cancelled() -> bool:
        now = time.monotonic()
        if not last[1] and now - last[0] >= every:
            last[0] = now
            last[1] = flag.exists()
        return bool(last[1])

    return cancelled


@dataclass
class SavedState:
    """What a good run leaves for the next: `data_dir/harvest/NAME.json`."""

    last_start: datetime | None = None  # start of the last run that read its source completely or incrementally
    last_full: datetime | None = None  # start of the last complete listing
    validators: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> SavedState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()

        def moment(key: str) -> datetime | None:
            value = data.get(key)
            return datetime.fromisoformat(value) if isinstance(value, str) else None

        validators = data.get("validators")
        return cls(moment("last_start"), moment("last_full"), validators if isinstance(validators, dict) else {})

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "last_start": self.last_start.isoformat() if self.last_start else None,
            "last_full": self.last_full.isoformat() if self.last_full else None,
            "validators": self.validators,
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)


# --- the runner ---------------------------------------------------------


@dataclass
class _Pending:
    write: RecordWrite
    record: SourceRecord
    status: str  # "new" or "changed"
    version: str
    previous_topic: str | None


@dataclass
class _InFlight:
    """A batch the store is writing while the next one is read and mapped."""

    batch: list[_Pending]
    done: Future[None]


@dataclass
class _RunState:
    run: HarvestRun
    run_uri: str
    seen: set[str] = field(default_factory=set)
    batch: list[_Pending] = field(default_factory=list)
    inflight: _InFlight | None = None
    skip_notes: int = 0


class HarvestRunner:
    def __init__(
        self,
        store: Store,
        engine: SearchEngine | None,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = BATCH_SIZE,
        progress: Progress | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.settings = settings
        self.uris = Uris(settings.base_uri)
        self.clock = clock
        self.batch_size = batch_size
        self.progress: Progress = progress or _NoProgress()
        self.feeder = IndexFeeder(store, engine, self.uris) if engine is not None else None
        self._topics: dict[str, set[str]] | None = None  # practice uri -> its active record graphs (all sources)
        # One writer thread: the store writes a batch (Oxigraph and the HTTP
        # backend release the GIL) while this thread maps the next one.
        # Every write goes through it, so writes keep their order.
        self._writer: ThreadPoolExecutor | None = None

    def run_all(self, sources: SourceList, names: Iterable[str] = (), full: bool = False) -> list[HarvestRun]:
        return [self.run(source, sources, full=full) for source in sources.select(list(names))]

    def run(self, source: SourceConfig, sources: SourceList, full: bool = False) -> HarvestRun:
        started = self.clock()
        run_uri = self.uris.run(source.name, started)
        state = _RunState(HarvestRun(source=source.name, started=started), run_uri)
        self.progress.start(source.name)
        lock = RunLock(harvest_dir(self.settings), source.name, source.time_limit + LOCK_GRACE)
        holder = lock.acquire()
        if holder is not None:
            state.run.status = "failed"
            state.run.errors.append(
                RecordError(
                    reason=f"source failed: already running (pid {holder.get('pid')} on {holder.get('host')}, "
                    f"started {holder.get('started')}); this run did nothing"
                )
            )
            return self._finish(state)
        _clear_stale_abort(abort_flag(self.settings, source.name), time.time() - 1.0)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
        try:
            self._run_locked(source, sources, state, full)
        finally:
            self._writer.shutdown(wait=True)
            self._writer = None
            lock.release()
            abort_flag(self.settings, source.name).unlink(missing_ok=True)
        return self._finish(state)

    def _finish(self, state: _RunState) -> HarvestRun:
        if state.run.status == "ok" and state.run.counts.failed:
            state.run.status = "partial"
        state.run.ended = self.clock()
        self._record_run(state)
        self.progress.finish(state.run)
        return state.run

    def _run_locked(self, source: SourceConfig, sources: SourceList, state: _RunState, full: bool) -> None:
        state_path = harvest_dir(self.settings) / f"{source.name}.json"
        saved = SavedState.load(state_path)
        try:
            cls = harvester_class(source.kind)
        except LookupError as exc:
            state.run.status = "failed"
            state.run.errors.append(RecordError(reason=f"source failed: {exc}"))
            return
        started = state.run.started
        full_due = saved.last_full is None or started - saved.last_full >= timedelta(days=source.full_every_days)
        since = None
        if cls.supports_since and not full and not full_due and saved.last_start is not None:
            since = saved.last_start - INCREMENTAL_OVERLAP
        ctx = HarvestContext(
            base_dir=sources.base_dir(),
            user_agent=self.settings.user_agent,
            timeout=self.settings.http_timeout,
            max_bytes=self.settings.max_download_bytes,
            min_interval=source.request_interval,
            since=since,
            validators={} if full else saved.validators,
            deadline=time.monotonic() + source.time_limit,
            cancelled=_abort_check(abort_flag(self.settings, source.name)),
        )
        known = self.store.record_states(self.uris.source(source.name))
        deduper = Deduper(self.uris).load(self.store)
        complete = not_modified = False
        harvester: Harvester | None = None
        try:
            harvester = cls(source, ctx)
            for item in harvester.records():
                self._take(item, source, known, state, deduper)
                if len(state.batch) >= self.batch_size:
                    self._flush(state)
                self.progress.advance(source.name, state.run.counts, harvester.expected)
                ctx.check()
            self._drain(state)
            complete = harvester.complete
        except SourceNotModified:
            not_modified = True
            active = [s for s in known.values() if s.status == "active"]
            state.run.counts.seen += len(active)
            state.run.counts.unchanged += len(active)
            state.seen.update(s.graph for s in active)
        except SourceError as exc:
            self._fail_source(state, str(exc))
        except Exception as exc:  # a harvester bug or an untranslated library error: this source only
            log.debug("source %s crashed", source.name, exc_info=True)
            self._fail_source(state, f"unexpected {type(exc).__name__}: {exc}")
        if state.run.status == "failed":
            self._commit_index()
            return
        if complete:
            self._withdraw_missing(known, state, source)
        elif harvester is not None and harvester.incomplete_reason:
            state.run.errors.append(RecordError(reason=f"nothing withdrawn: {harvester.incomplete_reason}"))
        self._commit_index()
        # Remember what the next run needs. Validators only after a clean run:
        # a record that failed (the store refused it, or it did not map) must
        # be read again next time, not answered "not modified".
        saved.last_start = started
        if not not_modified:
            saved.validators = dict(ctx.new_validators) if state.run.counts.failed == 0 else {}
            if complete:
                saved.last_full = started
        saved.save(state_path)

    def _fail_source(self, state: _RunState, reason: str) -> None:
        try:
            self._drain(state)  # records already read are whole; keep them
        except Exception as exc:  # noqa: BLE001 - the source fails anyway; say why the batch was lost
            reason += f" (and the store refused the last batch: {exc})"
        state.run.status = "failed"
        state.run.errors.append(RecordError(reason=f"source failed: {reason}"))
        log.warning("harvest.failed source=%s reason=%s", state.run.source, reason)

    def _commit_index(self) -> None:
        if self.engine is not None:
            self.engine.commit()

    # --- one record -------------------------------------------------------

    def _take(
        self,
        item: SourceRecord | RecordFailure | RecordSkipped,
        source: SourceConfig,
        known: dict[str, RecordState],
        state: _RunState,
        deduper: Deduper,
    ) -> None:
        counts = state.run.counts
        counts.seen += 1
        if isinstance(item, RecordSkipped):
            counts.skipped += 1
            self._note_skip(state, item)
            return
        graph = self.uris.record(source.name, item.original_id)
        if isinstance(item, RecordFailure):
            # A record that fails keeps its last good version: it is not withdrawn.
            if graph not in state.seen:
                state.seen.add(graph)
            self._fail(state, item.original_id, item.original_url, item.reason)
            return
        if graph in state.seen:
            self._fail(state, item.original_id, item.original_url, "the source lists this identifier twice")
            return
        state.seen.add(graph)
        previous = known.get(graph)
        item = deduper.resolve(item, previous.primary_topic if previous else None)
        primary = self.uris.entity(item.entities[0].kind, item.entities[0].key)
        try:
            mapped = {line for e in item.entities for line in to_lines(e, self.uris)}
            entity_lines = sorted(mapped.union(_own_lines(item.source_lines, primary)))
        except MappingError as exc:
            self._fail(state, item.original_id, item.original_url, str(exc))
            return
        digest = ntriples.content_hash(entity_lines)
        if (
            previous is not None
            and previous.content_hash == digest
            and previous.status == "active"
            and previous.primary_topic == primary
        ):
            counts.unchanged += 1
            return
        now = self.clock()
        record = CatalogRecord(
            source=source.name,
            original_id=item.original_id,
            original_url=item.original_url,
            primary_topic=primary,
            first_seen=previous.first_seen if previous else now,
            modified=now,
            content_hash=digest,
            run=state.run_uri,
        )
        lines = entity_lines + record_lines(graph, record, self.uris)
        status = "changed" if previous is not None else "new"
        state.batch.append(_Pending(RecordWrite(graph, lines), item, status, digest, previous.primary_topic if previous else None))

    def _fail(self, state: _RunState, original_id: str | None, url: str | None, reason: str) -> None:
        state.run.counts.failed += 1
        state.run.errors.append(RecordError(original_id=original_id, original_url=url, reason=reason))
        log.debug("record %s failed: %s", original_id, reason)

    def _note_skip(self, state: _RunState, item: RecordSkipped) -> None:
        state.skip_notes += 1
        if state.skip_notes <= SKIP_DETAILS:
            state.run.errors.append(
                RecordError(original_id=item.original_id, original_url=item.original_url, reason=f"skipped: {item.reason}")
            )
        elif state.skip_notes == SKIP_DETAILS + 1:
            state.run.errors.append(RecordError(reason=f"skipped: more than {SKIP_DETAILS} records; see the skipped count"))

    # --- writes -----------------------------------------------------------

    def _flush(self, state: _RunState) -> None:
        """Hand the batch to the writer, then settle the batch before it
        (count and index it) while this one is written."""
        batch, state.batch = state.batch, []
        previous, state.inflight = state.inflight, None
        if batch:
            state.inflight = _InFlight(batch, self._write([p.write for p in batch]))
        if previous is not None:
            self._settle(state, previous)

    def _drain(self, state: _RunState) -> None:
        """Write and settle everything read so far."""
        self._flush(state)
        last, state.inflight = state.inflight, None
        if last is not None:
            self._settle(state, last)

    def _write(self, writes: list[RecordWrite]) -> Future[None]:
        assert self._writer is not None, "writes happen inside a run"
        return self._writer.submit(self.store.write_records, writes)

    def _settle(self, state: _RunState, inflight: _InFlight) -> None:
        try:
            inflight.done.result()
            written = inflight.batch
        except StoreError:
            written = []
            for pending in inflight.batch:  # find the bad one(s); keep the rest
                try:
                    self._write([pending.write]).result()
                    written.append(pending)
                except StoreError as exc:
                    self._fail(state, pending.record.original_id, pending.record.original_url, f"store refused the record: {exc}")
        for pending in written:
            setattr(state.run.counts, pending.status, getattr(state.run.counts, pending.status) + 1)
        self._index(written, state.run.source)

    def _topics_map(self) -> dict[str, set[str]]:
        """practice uri -> graphs of its active records, across all sources (loaded once)."""
        if self._topics is None:
            rows = self.store.select(
                """SELECT ?p ?g WHERE { GRAPH ?g { ?g <http://xmlns.com/foaf/0.1/primaryTopic> ?p ;
                     <https://w3id.org/gpc/ns#recordStatus> <https://w3id.org/gpc/ns#Active> .
                     ?p a <https://w3id.org/gpc/ns#Practice> } }"""
            )
            self._topics = {}
            for row in rows:
                self._topics.setdefault(str(row["p"]), set()).add(str(row["g"]))
        return self._topics

    def _index(self, written: list[_Pending], source: str) -> None:
        """Index the practices just written: from the record in hand when it is
        the practice's only active record, else merged from all its records."""
        if self.feeder is None or self.engine is None:
            return
        for pending in written:  # projects first: practices look up their programme
            for entity in pending.record.entities:
                if isinstance(entity, Project):
                    self.feeder.remember_programme(entity.key, entity.programme)
        topics = self._topics_map()
        docs, merged, emptied = [], set(), set()
        for pending in written:
            primary = pending.record.entities[0]
            graph = pending.write.graph
            if pending.previous_topic and pending.previous_topic in topics:
                old = topics[pending.previous_topic]
                old.discard(graph)
                if pending.previous_topic != self.uris.entity(primary.kind, primary.key):
                    (merged if old else emptied).add(pending.previous_topic)
            if not isinstance(primary, Practice):
                continue
            uri = self.uris.practice(primary.key)
            graphs = topics.setdefault(uri, set())
            graphs.add(graph)
            if len(graphs) > 1:
                merged.add(uri)
            else:
                docs.append(practice_doc(self.feeder.indexed(primary, pending.version, source), self.uris))
        self._reindex(merged, emptied, docs)

    def _reindex(self, merged: set[str], emptied: set[str], docs: list[Any] | None = None) -> None:
        assert self.feeder is not None and self.engine is not None
        docs = list(docs or [])
        for uri in sorted(merged):
            for doc in self.feeder.docs_from_store(only=[uri]):
                if isinstance(doc, MappingError):
                    log.warning("practice %s cannot be indexed: %s", uri, doc)
                    emptied.add(uri)
                else:
                    docs.append(doc)
        if emptied:
            self.engine.delete(sorted(emptied))
        if docs:
            self.engine.add(docs)

    def _withdraw_missing(self, known: dict[str, RecordState], state: _RunState, source: SourceConfig) -> None:
        active = [s for s in known.values() if s.status == "active"]
        gone = [s for s in active if s.graph not in state.seen]
        if not gone:
            return
        listed = state.run.counts.seen - state.run.counts.skipped
        floor = source.min_listing_fraction * len(active)
        if listed < floor:
            state.run.status = "partial"
            state.run.errors.append(
                RecordError(
                    reason=f"nothing withdrawn: the source listed {listed} records where {len(active)} were active "
                    f"after the last run, under min_listing_fraction = {source.min_listing_fraction:g}; an outage "
                    f"or a broken export is likelier than {len(gone)} deletions (run again when the source is whole, "
                    "or lower min_listing_fraction for this source)"
                )
            )
            log.warning("harvest.withdraw_refused source=%s listed=%d active=%d", source.name, listed, len(active))
            return
        now = self.clock()
        for record in gone:
            self.store.withdraw_record(record.graph, now, state.run_uri)
            state.run.counts.withdrawn += 1
        if self.engine is not None and self.feeder is not None:
            topics = self._topics_map()
            merged, emptied = set(), set()
            for record in gone:
                if not self.uris.key_of(record.primary_topic, "practice"):
                    continue
                graphs = topics.get(record.primary_topic, set())
                graphs.discard(record.graph)
                (merged if graphs else emptied).add(record.primary_topic)
            self._reindex(merged, emptied)

    def _record_run(self, state: _RunState) -> None:
        lines = run_lines(state.run_uri, state.run, self.uris)
        self.store.add_to_graph(self.uris.runs_graph, lines)


def _own_lines(lines: list[str], primary: str) -> list[str]:
    """The source's own triples with the primary entity given its URI."""
    if not lines:
        return []
    whole, own = f"<{PRIMARY}>", f"<{PRIMARY}#"
    return [line.replace(whole, f"<{primary}>").replace(own, f"<{primary}#") for line in lines]


# --- reading runs back --------------------------------------------------


@dataclass
class RunSummary:
    uri: str
    source: str
    started: datetime
    ended: datetime | None
    status: str
    counts: dict[str, int]


def last_runs(store: Store, uris: Uris, per_source: int = 1) -> dict[str, list[RunSummary]]:
    """source name -> its latest runs, newest first, from the store."""
    rows = store.select(
        f"""SELECT ?run ?src ?start ?end ?status ?seen ?new ?changed ?unchanged ?withdrawn ?failed ?skipped WHERE {{
              GRAPH <{uris.runs_graph}> {{
                ?run a <https://w3id.org/gpc/ns#HarvestRun> ; <http://www.w3.org/ns/prov#used> ?src ;
                     <http://www.w3.org/ns/prov#startedAtTime> ?start ; <https://w3id.org/gpc/ns#runStatus> ?status .
                OPTIONAL {{ ?run <http://www.w3.org/ns/prov#endedAtTime> ?end }}
                OPTIONAL {{ ?run <https://w3id.org/gpc/ns#seen> ?seen ; <https://w3id.org/gpc/ns#new> ?new ;
                  <https://w3id.org/gpc/ns#changed> ?changed ; <https://w3id.org/gpc/ns#unchanged> ?unchanged ;
                  <https://w3id.org/gpc/ns#withdrawn> ?withdrawn ; <https://w3id.org/gpc/ns#failed> ?failed ;
                  <https://w3id.org/gpc/ns#skipped> ?skipped }} }} }}"""
    )
    out: dict[str, list[RunSummary]] = {}
    for row in rows:
        name = str(row["src"]).rsplit("/", 1)[-1]
        counts = {k: int(str(row[k])) for k in ("seen", "new", "changed", "unchanged", "withdrawn", "failed", "skipped") if k in row}
        out.setdefault(name, []).append(
            RunSummary(
                uri=str(row["run"]),
                source=name,
                started=datetime.fromisoformat(str(row["start"]).replace("Z", "+00:00")),
                ended=datetime.fromisoformat(str(row["end"]).replace("Z", "+00:00")) if "end" in row else None,
                status=str(row["status"]),
                counts=counts,
            )
        )
    for name in out:
        out[name] = sorted(out[name], key=lambda r: r.started, reverse=True)[:per_source]
    return out


def source_overview(store: Store | None, uris: Uris, settings: Settings, sources: SourceList, runs: int = 3) -> list[dict[str, Any]]:
    """Each source of the file with its schedule, whether a run holds its lock
    now, and its last runs (newest first), for `catalogue sources`."""
    history = last_runs(store, uris, per_source=runs) if store is not None else {}
    now = utcnow()
    rows = []
    for source in sources.sources:
        holder = RunLock(harvest_dir(settings), source.name, 0).holder()
        rows.append(
            {
                "name": source.name,
                "kind": source.kind,
                "enabled": source.enabled,
                "url": source.url,
                "schedule": source.schedule,
                "next_run": source.cron.next_after(now).isoformat(),
                "running": {"pid": holder.get("pid"), "host": holder.get("host"), "started": holder.get("started")} if holder else None,
                "runs": [
                    {"started": r.started.isoformat(), "ended": r.ended.isoformat() if r.ended else None, "status": r.status, **r.counts}
                    for r in history.get(source.name, [])
                ],
            }
        )
    return rows
