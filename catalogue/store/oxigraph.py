"""The embedded store: Oxigraph on disk (RocksDB) in the data directory."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from vocab import GPC

from ..rdfterms import TermError, graph_of, to_rdflib
from .base import BULK_LOAD, LOCAL_FILES, RecordState, RecordWrite, Store, StoreError

_DCAT = "http://www.w3.org/ns/dcat#"
_DCT = "http://purl.org/dc/terms/"
_FOAF = "http://xmlns.com/foaf/0.1/"
_PROV = "http://www.w3.org/ns/prov#"
_XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
log = logging.getLogger(__name__)


class OxigraphStore(Store):
    capabilities = frozenset({BULK_LOAD, LOCAL_FILES})
    # Graphs of the bulk load under way. Oxigraph's bulk loader is not
    # atomic; a crash mid-load leaves part of a batch, so the next writable
    # open drops the graphs listed here (they were new: nothing is lost).
    JOURNAL_SUFFIX = ".bulk-journal"

    def __init__(self, path: Path | None, read_only: bool = False) -> None:
        """path=None gives an in-memory store (tests, benchmarks)."""
        try:
            if path is None:
                self._store = ox.Store()
            elif read_only:
                self._store = ox.Store.read_only(str(path))
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
        except OSError as exc:
            hint = ""
            if "LOCK" in str(exc):
                hint = " (another process holds it for writing: a harvest, `catalogue reindex` or `catalogue demo`; wait for it, or stop it)"
            raise StoreError(f"cannot open the Oxigraph store at {path}: {exc}{hint}") from exc
        self.path = path
        self.read_only = read_only
        if self._journal is not None and self._journal.exists():
            self._undo_bulk_load()

    # --- writes ---------------------------------------------------------

    def write_records(self, records: Sequence[RecordWrite]) -> None:
        if not records:
            return
        # A batch of records the store does not hold yet (a first harvest)
        # goes through Oxigraph's bulk loader: it writes sorted files and
        # skips the transaction log, ~1.7x less CPU than a transactional
        # load here. It is not atomic, so a journal makes it all-or-nothing
        # (see _bulk_load). Records that replace others take one SPARQL
        # update per batch: drop and insert, one transaction. Blank node
        # labels would be shared across the graphs of one N-Quads document,
        # so records with blank nodes take the update too.
        if all(self._is_fresh(rec) for rec in records):
            self._bulk_load(records)
            return
        parts = []
        for rec in records:
            parts.append(f"DROP SILENT GRAPH <{rec.graph}>")
            parts.append("INSERT DATA { GRAPH <" + rec.graph + "> {\n" + "\n".join(rec.lines) + "\n} }")
        self._update(" ;\n".join(parts))

    def _is_fresh(self, rec: RecordWrite) -> bool:
        try:
            held = self._store.contains_named_graph(ox.NamedNode(rec.graph))
        except ValueError as exc:
            raise StoreError(f"not a graph name: {rec.graph!r}: {exc}") from exc
        return not held and not any("_:" in line for line in rec.lines)

    def _bulk_load(self, records: Sequence[RecordWrite]) -> None:
        """Load new records whole or not at all: the journal names their
        graphs before the load and is removed once it has landed; a failed
        load is undone at once, a crash at the next writable open."""
        # A canonical line ends with " ."; the graph name goes before the dot.
        data = "".join(line[:-1] + f"<{rec.graph}> .\n" for rec in records for line in rec.lines)
        journal = self._journal
        if journal is not None:
            with journal.open("w", encoding="utf-8") as out:
                out.write("".join(rec.graph + "\n" for rec in records))
                out.flush()
                os.fsync(out.fileno())
        try:
            self._store.bulk_load(data.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
        except (SyntaxError, OSError, ValueError) as exc:
            self._drop_graphs([rec.graph for rec in records])
            if journal is not None:
                journal.unlink(missing_ok=True)
            raise StoreError(f"store load failed: {exc}") from exc
        if journal is not None:
            journal.unlink()

    @property
    def _journal(self) -> Path | None:
        if self.path is None or self.read_only:
            return None
        return self.path.with_name(self.path.name + self.JOURNAL_SUFFIX)

    def _undo_bulk_load(self) -> None:
        journal = self._journal
        assert journal is not None
        graphs = [line.strip() for line in journal.read_text(encoding="utf-8").splitlines() if line.strip()]
        log.warning("store: undoing an interrupted bulk load of %d new records (%s)", len(graphs), journal)
        self._drop_graphs(graphs)
        self._store.flush()
        journal.unlink()

    def _drop_graphs(self, graphs: Sequence[str]) -> None:
        for graph in graphs:
            try:
                self._store.remove_graph(ox.NamedNode(graph))
            except ValueError:  # not an IRI: it was never loaded
                continue

    def add_to_graph(self, graph: str, lines: Sequence[str]) -> None:
        if lines:
            self._update("INSERT DATA { GRAPH <" + graph + "> {\n" + "\n".join(lines) + "\n} }")

    def withdraw_record(self, graph: str, when: datetime, run: str | None) -> None:
        stamp = when.isoformat().replace("+00:00", "Z")
        g = f"<{graph}>"
        run_line = f"{g} <{_PROV}wasGeneratedBy> <{run}> ." if run else ""
        # Two operations in one request: one transaction.
        self._update(
            f"""
            DELETE {{ GRAPH {g} {{ {g} <{GPC.recordStatus}> ?s ; <{_DCT}modified> ?m ; <{_PROV}wasGeneratedBy> ?r }} }}
            WHERE {{ GRAPH {g} {{ {g} <{GPC.recordStatus}> ?s ; <{_DCT}modified> ?m .
                                 OPTIONAL {{ {g} <{_PROV}wasGeneratedBy> ?r }} }} }} ;
            INSERT DATA {{ GRAPH {g} {{
                {g} <{GPC.recordStatus}> <{GPC.Withdrawn}> ; <{_DCT}modified> "{stamp}"^^<{_XSD_DATETIME}> .
                {run_line} }} }}
            """
        )

    def _update(self, sparql: str) -> None:
        try:
            self._store.update(sparql)
        except (SyntaxError, OSError, ValueError) as exc:
            raise StoreError(f"store update failed: {exc}") from exc

    def bulk_load_nquads(self, data: bytes) -> None:
        """Fast load that bypasses transactions (first loads, rebuilds)."""
        self._store.bulk_load(data, format=ox.RdfFormat.N_QUADS)

    # --- reads ----------------------------------------------------------

    def record_states(self, source_uri: str) -> dict[str, RecordState]:
        rows = self._store.query(
            f"""
            SELECT ?g ?hash ?status ?issued ?topic WHERE {{
              GRAPH ?g {{ ?g <{_DCT}source> <{source_uri}> ;
                           <{GPC.contentHash}> ?hash ;
                           <{GPC.recordStatus}> ?status ;
                           <{_DCT}issued> ?issued ;
                           <{_FOAF}primaryTopic> ?topic . }}
            }}"""
        )
        states = {}
        for row in rows:
            graph = row["g"].value
            states[graph] = RecordState(
                graph=graph,
                content_hash=row["hash"].value,
                status="withdrawn" if row["status"].value == str(GPC.Withdrawn) else "active",
                first_seen=datetime.fromisoformat(row["issued"].value.replace("Z", "+00:00")),
                primary_topic=row["topic"].value,
            )
        return states

    def get_record(self, graph: str) -> Graph | None:
        name = ox.NamedNode(graph)
        if not self._store.contains_named_graph(name):
            return None
        return graph_of(self._store.quads_for_pattern(None, None, None, name))

    def _query(self, sparql: str):  # type: ignore[no-untyped-def]
        try:
            return self._store.query(sparql, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise StoreError(f"invalid SPARQL: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"query failed: {exc}") from exc

    def select(self, sparql: str) -> list[dict[str, Node]]:
        result = self._query(sparql)
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError("not a SELECT query")
        names = [v.value for v in result.variables]
        rows = []
        try:
            for solution in result:
                row = {}
                for name in names:
                    value = solution[name]
                    if value is not None:
                        row[name] = to_rdflib(value)
                rows.append(row)
        except TermError as exc:
            raise StoreError(str(exc)) from exc
        return rows

    def construct(self, sparql: str) -> Graph:
        result = self._query(sparql)
        if not isinstance(result, ox.QueryTriples):
            raise StoreError("not a CONSTRUCT or DESCRIBE query")
        try:
            return graph_of(result)
        except TermError as exc:
            raise StoreError(str(exc)) from exc

    def ask(self, sparql: str) -> bool:
        result = self._query(sparql)
        if not isinstance(result, ox.QueryBoolean):
            raise StoreError("not an ASK query")
        return bool(result)

    def count_records(self) -> int:
        rows = self._store.query(
            f"SELECT (COUNT(?g) AS ?n) WHERE {{ GRAPH ?g {{ ?g a <{_DCAT}CatalogRecord> }} }}"
        )
        return int(next(iter(rows))["n"].value)

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store (for the SPARQL endpoint's serialisers)."""
        return self._store

    # --- files ----------------------------------------------------------

    def export_nquads(self, out: BinaryIO, graphs: Iterable[str] | None = None) -> None:
        if graphs is None:
            names = sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))
        else:
            names = sorted(graphs)
        for name in names:
            lines = sorted(
                f"{q.subject} {q.predicate} {q.object} <{name}> .\n"
                for q in self._store.quads_for_pattern(None, None, None, ox.NamedNode(name))
            )
            out.write("".join(lines).encode("utf-8"))

    def import_nquads(self, data: BinaryIO) -> None:
        try:
            self._store.load(data, format=ox.RdfFormat.N_QUADS)
        except SyntaxError as exc:
            raise StoreError(f"invalid N-Quads: {exc}") from exc

    def flush(self) -> None:
        # RocksDB replays an unflushed write-ahead log at every read-only open:
        # 75 s for ~370 MB of writes here, 0.04 s once flushed (issue 5).
        if not self.read_only:
            self._store.flush()

    def close(self) -> None:
        if self.read_only:  # a read-only instance has nothing to flush (and refuses to)
            return
        try:
            self._store.flush()
        except (OSError, AttributeError):
            pass
