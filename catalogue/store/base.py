"""The store contract: quads, one named graph per catalogue record.

A record's graph holds the entities of one harvested source record and its
`dcat:CatalogRecord`; replacing a record replaces its graph atomically.
Queries see the union of all graphs. Backends: the embedded Oxigraph store
(`oxigraph.py`) and, for bigger deployments, a remote SPARQL 1.1 server.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from rdflib import Graph
from rdflib.term import Node

# What a backend can do beyond the contract; tests and callers check these
# flags instead of the backend's class.
BULK_LOAD = "bulk_load"  # fast loading that bypasses transactions
LOCAL_FILES = "local_files"  # lives in the data directory


@dataclass(frozen=True)
class RecordWrite:
    """A record graph to (re)write: its name and its triples as N-Triples lines."""

    graph: str
    lines: Sequence[str]


@dataclass(frozen=True)
class RecordState:
    """What the store knows of a record, for change detection."""

    graph: str
    content_hash: str
    status: str  # "active" or "withdrawn"
    first_seen: datetime
    primary_topic: str


class StoreError(RuntimeError):
    """The store refused or failed an operation."""


class Store(ABC):
    capabilities: frozenset[str] = frozenset()

    @abstractmethod
    def write_records(self, records: Sequence[RecordWrite]) -> None:
        """Replace the graphs of these records, all in one transaction where the
        backend has transactions (each record atomically in any case)."""

    @abstractmethod
    def add_to_graph(self, graph: str, lines: Sequence[str]) -> None:
        """Add triples to a graph without dropping it (harvest runs)."""

    @abstractmethod
    def withdraw_record(self, graph: str, when: datetime, run: str | None) -> None:
        """Mark a record withdrawn: its triples stay, its status changes."""

    @abstractmethod
    def record_states(self, source_uri: str) -> dict[str, RecordState]:
        """graph -> state of every record of one source."""

    @abstractmethod
    def get_record(self, graph: str) -> Graph | None:
        """The triples of one record graph, or None if there is none."""

    @abstractmethod
    def select(self, sparql: str) -> list[dict[str, Node]]:
        """A SELECT over the union of graphs; rows map variable -> rdflib term."""

    @abstractmethod
    def construct(self, sparql: str) -> Graph:
        """A CONSTRUCT or DESCRIBE over the union of graphs."""

    @abstractmethod
    def ask(self, sparql: str) -> bool:
        """An ASK over the union of graphs."""

    @abstractmethod
    def count_records(self) -> int:
        """How many record graphs the store holds."""

    @abstractmethod
    def export_nquads(self, out: BinaryIO, graphs: Iterable[str] | None = None) -> None:
        """Write the store (or only some graphs) as N-Quads, sorted, to a binary stream."""

    @abstractmethod
    def import_nquads(self, data: BinaryIO) -> None:
        """Load N-Quads from a binary stream (added to what is there)."""

    def flush(self) -> None:  # noqa: B027 - optional hook
        """Make buffered writes durable in the store's files, so that readers
        that open them read-only see them quickly (the SPARQL workers)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Flush and release files."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
