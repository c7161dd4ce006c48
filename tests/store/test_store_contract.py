"""The store contract, run over every backend (the remote one joins in its issue)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rdflib.namespace import DCTERMS

from catalogue import ntriples
from catalogue.mapping import record_triples, to_triples
from catalogue.models import CatalogRecord, Practice
from catalogue.store import RecordWrite, Store, StoreError
from catalogue.store.oxigraph import OxigraphStore
from catalogue.uris import Uris

URIS = Uris("https://gpc.test")
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(params=["oxigraph-disk", "oxigraph-memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend = OxigraphStore(tmp_path / "store" if request.param == "oxigraph-disk" else None)
    yield backend
    backend.close()


def record(key: str, title: str, source: str = "src") -> RecordWrite:
    practice = Practice(key=key, title={"en": title}, themes=["health"])
    lines = ntriples.lines(to_triples(practice, URIS))
    graph = URIS.record(source, key)
    meta = CatalogRecord(
        source=source,
        original_id=key,
        primary_topic=URIS.practice(key),
        first_seen=WHEN,
        modified=WHEN,
        content_hash=ntriples.content_hash(lines),
    )
    return RecordWrite(graph, lines + ntriples.lines(record_triples(graph, meta, URIS)))


def titles(store: Store) -> list[str]:
    rows = store.select("SELECT ?t WHERE { ?p <http://purl.org/dc/terms/title> ?t } ORDER BY ?t")
    return [str(r["t"]) for r in rows]


def test_write_replaces_a_record_graph_whole(store: Store) -> None:
    store.write_records([record("a", "First"), record("b", "Other")])
    store.write_records([record("a", "Second")])
    assert titles(store) == ["Other", "Second"]
    assert store.count_records() == 2


def test_queries_see_the_union_of_graphs(store: Store) -> None:
    store.write_records([record("a", "Shared", source="one"), record("a", "Shared", source="two")])
    rows = store.select("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?p a <https://w3id.org/gpc/ns#Practice> } }")
    assert int(rows[0]["n"]) == 2
    assert store.ask("ASK { <https://gpc.test/id/practice/a> <http://purl.org/dc/terms/title> \"Shared\"@en }")
    described = store.construct("DESCRIBE <https://gpc.test/id/practice/a>")
    assert len(described) > 0


def test_a_failing_batch_writes_nothing(store: Store) -> None:
    good = record("a", "Kept")
    broken = RecordWrite(URIS.record("src", "bad"), ["<http://x> <http://y> this is not a term ."])
    with pytest.raises(StoreError):
        store.write_records([good, broken])
    assert store.count_records() == 0


def test_withdraw_keeps_the_triples_and_changes_the_status(store: Store) -> None:
    rec = record("a", "Gone")
    store.write_records([rec])
    later = datetime(2026, 2, 1, tzinfo=UTC)
    store.withdraw_record(rec.graph, later, "https://gpc.test/id/run/src/x")
    state = store.record_states(URIS.source("src"))[rec.graph]
    assert state.status == "withdrawn"
    assert state.first_seen == WHEN
    assert titles(store) == ["Gone"]
    graph = store.get_record(rec.graph)
    assert graph is not None
    modified = [o.toPython() for o in graph.objects(None, DCTERMS.modified)]
    assert modified == [later]


def test_record_states_are_per_source(store: Store) -> None:
    store.write_records([record("a", "A", "one"), record("b", "B", "two")])
    states = store.record_states(URIS.source("one"))
    assert list(states) == [URIS.record("one", "a")]
    assert states[URIS.record("one", "a")].primary_topic == URIS.practice("a")


def test_get_record_of_unknown_graph_is_none(store: Store) -> None:
    assert store.get_record("https://gpc.test/id/record/src/none") is None


def test_export_import_round_trip_is_identical(store: Store, tmp_path: Path) -> None:
    store.write_records([record("a", 'Quote " and \\ and\nnewline'), record("b", "Ünïcödé ✓")])
    out = io.BytesIO()
    store.export_nquads(out)
    copy = OxigraphStore(None)
    copy.import_nquads(io.BytesIO(out.getvalue()))
    again = io.BytesIO()
    copy.export_nquads(again)
    assert again.getvalue() == out.getvalue()
    assert out.getvalue().count(b"\n") == len(record("a", 'Quote " and \\ and\nnewline').lines) + len(
        record("b", "Ünïcödé ✓").lines
    )


def test_invalid_sparql_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError):
        store.select("SELECT WHERE {")
