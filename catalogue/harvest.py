"""The harvest runner: source -> records -> store -> index, with a report.

For each record a harvester yields, the runner maps it to triples, compares
its content hash with what the store holds (new / changed / unchanged), and
writes changed records in batches, one transaction per batch, falling back to
one record at a time when a batch fails so one bad record never blocks the
rest. Records the source no longer has are marked withdrawn (never deleted),
but only after a complete, successful run. Every run is recorded as a
`prov:Activity` in the store and returned as a summary.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from harvesters import harvester_class
from harvesters.base import HarvestContext, SourceError

from . import ntriples
from .index import SearchEngine
from .indexing import IndexFeeder, practice_doc
from .mapping import MappingError, record_triples, run_triples, to_triples
from .models import CatalogRecord, HarvestRun, Practice, Project, RecordError, RecordFailure, SourceRecord
from .settings import Settings
from .sources import SourceConfig, SourceList
from .store import RecordWrite, Store, StoreError
from .uris import Uris

log = logging.getLogger(__name__)

BATCH_SIZE = 500


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Pending:
    write: RecordWrite
    record: SourceRecord
    status: str  # "new" or "changed"
    version: str


@dataclass
class _RunState:
    run: HarvestRun
    run_uri: str
    seen: set[str] = field(default_factory=set)
    batch: list[_Pending] = field(default_factory=list)


class HarvestRunner:
    def __init__(
        self,
        store: Store,
        engine: SearchEngine | None,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.store = store
        self.engine = engine
        self.settings = settings
        self.uris = Uris(settings.base_uri)
        self.clock = clock
        self.batch_size = batch_size
        self.feeder = IndexFeeder(store, engine, self.uris) if engine is not None else None

    def run_all(self, sources: SourceList, names: Iterable[str] = ()) -> list[HarvestRun]:
        return [self.run(source, sources) for source in sources.select(list(names))]

    def run(self, source: SourceConfig, sources: SourceList) -> HarvestRun:
        started = self.clock()
        run_uri = self.uris.run(source.name, started)
        state = _RunState(HarvestRun(source=source.name, started=started), run_uri)
        ctx = HarvestContext(
            base_dir=sources.base_dir(),
            user_agent=self.settings.user_agent,
            timeout=self.settings.http_timeout,
            max_bytes=self.settings.max_download_bytes,
        )
        known = self.store.record_states(self.uris.source(source.name))
        complete = False
        try:
            harvester = harvester_class(source.kind)(source, ctx)
            for item in harvester.records():
                self._take(item, source, known, state)
                if len(state.batch) >= self.batch_size:
                    self._flush(state)
            self._flush(state)
            complete = harvester.complete
        except SourceError as exc:
            self._flush(state)  # records already read are whole; keep them
            state.run.status = "failed"
            state.run.errors.append(RecordError(reason=f"source failed: {exc}"))
        if complete and state.run.status != "failed":
            self._withdraw_missing(known, state)
        if self.engine is not None:
            self.engine.commit()
        if state.run.counts.failed and state.run.status == "ok":
            state.run.status = "partial"
        state.run.ended = self.clock()
        self._record_run(state)
        return state.run

    # --- one record -------------------------------------------------------

    def _take(self, item: SourceRecord | RecordFailure, source: SourceConfig, known: dict, state: _RunState) -> None:  # type: ignore[type-arg]
        counts = state.run.counts
        counts.seen += 1
        if isinstance(item, RecordFailure):
            self._fail(state, item.original_id, item.original_url, item.reason)
            return
        graph = self.uris.record(source.name, item.original_id)
        if graph in state.seen:
            self._fail(state, item.original_id, item.original_url, "the source lists this identifier twice")
            return
        state.seen.add(graph)
        try:
            entity_lines = ntriples.lines(t for e in item.entities for t in to_triples(e, self.uris))
        except MappingError as exc:
            self._fail(state, item.original_id, item.original_url, str(exc))
            return
        digest = ntriples.content_hash(entity_lines)
        previous = known.get(graph)
        if previous is not None and previous.content_hash == digest and previous.status == "active":
            counts.unchanged += 1
            return
        now = self.clock()
        primary = self.uris.entity(item.entities[0].kind, item.entities[0].key)
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
        lines = entity_lines + ntriples.lines(record_triples(graph, record, self.uris))
        status = "changed" if previous is not None else "new"
        state.batch.append(_Pending(RecordWrite(graph, lines), item, status, digest))

    def _fail(self, state: _RunState, original_id: str | None, url: str | None, reason: str) -> None:
        state.run.counts.failed += 1
        state.run.errors.append(RecordError(original_id=original_id, original_url=url, reason=reason))
        log.info("record %s failed: %s", original_id, reason)

    # --- writes -----------------------------------------------------------

    def _flush(self, state: _RunState) -> None:
        batch, state.batch = state.batch, []
        if not batch:
            return
        try:
            self.store.write_records([p.write for p in batch])
            written = batch
        except StoreError:
            written = []
            for pending in batch:  # find the bad one(s); keep the rest
                try:
                    self.store.write_records([pending.write])
                    written.append(pending)
                except StoreError as exc:
                    self._fail(state, pending.record.original_id, pending.record.original_url, f"store refused the record: {exc}")
        for pending in written:
            setattr(state.run.counts, pending.status, getattr(state.run.counts, pending.status) + 1)
        self._index(written, state.run.source)

    def _index(self, written: list[_Pending], source: str) -> None:
        if self.feeder is None or self.engine is None:
            return
        for pending in written:  # projects first: practices look up their programme
            for entity in pending.record.entities:
                if isinstance(entity, Project):
                    self.feeder.remember_programme(entity.key, entity.programme)
        docs = []
        for pending in written:
            primary = pending.record.entities[0]
            if isinstance(primary, Practice):
                docs.append(practice_doc(self.feeder.indexed(primary, pending.version, source), self.uris))
        if docs:
            self.engine.add(docs)

    def _withdraw_missing(self, known: dict, state: _RunState) -> None:  # type: ignore[type-arg]
        gone = [s for g, s in known.items() if g not in state.seen and s.status == "active"]
        now = self.clock()
        for record in gone:
            self.store.withdraw_record(record.graph, now, state.run_uri)
            state.run.counts.withdrawn += 1
        if self.engine is not None:
            practice_uris = [r.primary_topic for r in gone if self.uris.key_of(r.primary_topic, "practice")]
            if practice_uris:
                self.engine.delete(practice_uris)

    def _record_run(self, state: _RunState) -> None:
        lines = ntriples.lines(run_triples(state.run_uri, state.run, self.uris))
        self.store.add_to_graph(self.uris.runs_graph, lines)
