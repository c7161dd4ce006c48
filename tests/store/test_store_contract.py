"""The store contract, run over every backend: Oxigraph on disk and in memory,
and the SPARQL 1.1 backend against a real Virtuoso (marked `virtuoso`)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.namespace import DCTERMS

from catalogue import ntriples
from catalogue.mapping import record_lines, to_lines
from catalogue.models import CatalogRecord, Practice
from catalogue.store import RecordWrite, Store, StoreError
from catalogue.store.oxigraph import OxigraphStore
from catalogue.store.sparql import SparqlStore
from catalogue.uris import Uris

URIS = Uris("https://gpc.test")
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


BACKENDS = ["oxigraph-disk", "oxigraph-memory", pytest.param("virtuoso", marks=pytest.mark.virtuoso)]


def open_backend(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if name == "virtuoso":
        server = request.getfixturevalue("virtuoso")
        return SparqlStore(
            server.query_url, server.update_url, server.user, server.password, graph_prefix="https://gpc.test"
        )
    return OxigraphStore(tmp_path / "store" if name == "oxigraph-disk" else None)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend = open_backend(request.param, request, tmp_path)
    yield backend
    backend.close()


def record(key: str, title: str, source: str = "src") -> RecordWrite:
    practice = Practice(key=key, title={"en": title}, themes=["health"])
    lines = to_lines(practice, URIS)
    graph = URIS.record(source, key)
    meta = CatalogRecord(
        source=source,
        original_id=key,
        primary_topic=URIS.practice(key),
        first_seen=WHEN,
        modified=WHEN,
        content_hash=ntriples.content_hash(lines),
    )
    return RecordWrite(graph, lines + record_lines(graph, meta, URIS))


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


TYPED = [
    '<https://gpc.test/id/project/p> <https://w3id.org/gpc/ns#totalCost> "1200000.0"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
    '<https://gpc.test/id/project/p> <https://w3id.org/gpc/ns#euContribution> "12.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
    '<https://gpc.test/id/project/p> <https://w3id.org/gpc/ns#flag> "true"^^<http://www.w3.org/2001/XMLSchema#boolean> .',
    '<https://gpc.test/id/project/p> <https://w3id.org/gpc/ns#count> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .',
    '<https://gpc.test/id/project/p> <http://purl.org/dc/terms/modified> "2026-01-02T03:04:05.123456Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .',
    '<https://gpc.test/id/project/p> <http://purl.org/dc/terms/issued> "2026-01-02"^^<http://www.w3.org/2001/XMLSchema#date> .',
    '<https://gpc.test/id/project/p> <http://www.w3.org/ns/dcat#landingPage> "https://x.example/a?b=c"^^<http://www.w3.org/2001/XMLSchema#anyURI> .',
    '<https://gpc.test/id/project/p> <http://purl.org/dc/terms/title> "Bürgerhaushalt \\"plus\\" \\\\ ✓ 😀"@de-at .',
    '<https://gpc.test/id/project/p> <http://purl.org/dc/terms/description> "line\\nbreak\\ttab"@en .',
]


def test_typed_literals_come_back_as_written_and_exports_compare_across_backends(store: Store) -> None:
    graph = "https://gpc.test/id/record/src/typed"
    writes = [RecordWrite(graph, TYPED), record("a", "Alpha"), record("b", "Beta")]
    store.write_records(writes)
    reference = OxigraphStore(None)
    reference.write_records(writes)
    ours, theirs = io.BytesIO(), io.BytesIO()
    store.export_nquads(ours)
    reference.export_nquads(theirs)
    assert ours.getvalue().decode() == theirs.getvalue().decode()
    back = store.get_record(graph)
    assert back is not None and set(back) == set(reference.get_record(graph) or ())


def test_a_replaced_record_keeps_exactly_its_new_triples(store: Store) -> None:
    old, new = record("a", "First"), record("a", "Second")
    assert set(old.lines) & set(new.lines)  # the two versions share triples
    store.write_records([old])
    store.write_records([new])
    graph = store.get_record(new.graph)
    assert graph is not None and ntriples.lines(graph) == sorted(new.lines)


def test_big_batches_land_whole(store: Store) -> None:
    # More triples than one request carries on the remote backend: several chunks.
    writes = [record(f"k{i:03}", f"Practice {i}") for i in range(120)]
    store.write_records(writes)
    store.write_records(writes[::2])  # rewrite half: same content, same export
    assert store.count_records() == 120
    reference = OxigraphStore(None)
    reference.write_records(writes)
    ours, theirs = io.BytesIO(), io.BytesIO()
    store.export_nquads(ours, [w.graph for w in writes])
    reference.export_nquads(theirs, [w.graph for w in writes])
    assert ours.getvalue() == theirs.getvalue()


def test_record_states_page_through_long_listings(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("catalogue.store.sparql.PAGE_ROWS", 3)  # pages of 3 on the remote backend
    store.write_records([record(f"k{i}", f"P{i}") for i in range(8)])
    assert len(store.record_states(URIS.source("src"))) == 8


def test_withdraw_without_a_run_and_twice(store: Store) -> None:
    rec = record("a", "Gone")
    store.write_records([rec])
    store.withdraw_record(rec.graph, datetime(2026, 2, 1, tzinfo=UTC), None)
    store.withdraw_record(rec.graph, datetime(2026, 3, 1, tzinfo=UTC), "https://gpc.test/id/run/src/y")
    graph = store.get_record(rec.graph)
    assert graph is not None
    assert [o.toPython() for o in graph.objects(None, DCTERMS.modified)] == [datetime(2026, 3, 1, tzinfo=UTC)]
    assert store.record_states(URIS.source("src"))[rec.graph].status == "withdrawn"


def test_import_adds_to_what_is_there(store: Store) -> None:
    store.write_records([record("a", "Kept")])
    source = OxigraphStore(None)
    source.write_records([record("b", "Imported")])
    dump = io.BytesIO()
    source.export_nquads(dump)
    store.import_nquads(io.BytesIO(dump.getvalue()))
    assert titles(store) == ["Imported", "Kept"]
    with pytest.raises(StoreError):
        store.import_nquads(io.BytesIO(b"<http://x> <http://y> broken"))


# --- Oxigraph only: new records go through the bulk loader, made whole by a journal


def test_a_bulk_load_cut_short_is_undone_at_the_next_open(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = OxigraphStore(path)
    kept = record("kept", "Kept")
    store.write_records([kept])
    # A crash in the middle of a bulk load: half of a new record has landed
    # and the journal naming its graph is still there.
    half = record("half", "Half")
    store.oxigraph.bulk_load(
        "".join(line[:-1] + f"<{half.graph}> .\n" for line in half.lines[: len(half.lines) // 2]).encode(),
        format=ox.RdfFormat.N_QUADS,
    )
    journal = path.with_name(path.name + OxigraphStore.JOURNAL_SUFFIX)
    journal.write_text(half.graph + "\n", encoding="utf-8")
    store.close()
    del store

    reopened = OxigraphStore(path)
    assert not journal.exists()
    assert reopened.get_record(half.graph) is None
    graph = reopened.get_record(kept.graph)
    assert graph is not None and ntriples.lines(graph) == sorted(kept.lines)
    # The next harvest writes the record whole.
    reopened.write_records([half])
    graph = reopened.get_record(half.graph)
    assert graph is not None and ntriples.lines(graph) == sorted(half.lines)
    reopened.close()


def test_new_records_are_bulk_loaded_and_later_replaced_in_a_transaction(tmp_path: Path) -> None:
    store = OxigraphStore(tmp_path / "store")
    store.write_records([record("a", "First"), record("b", "Other")])
    assert not (tmp_path / ("store" + OxigraphStore.JOURNAL_SUFFIX)).exists()
    assert store.oxigraph.contains_named_graph(ox.NamedNode(URIS.record("src", "a")))
    store.write_records([record("a", "Second"), record("c", "Third")])  # one held, one new: the update path
    assert titles(store) == ["Other", "Second", "Third"]
    store.close()
