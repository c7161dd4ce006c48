"""What only the remote SPARQL backend has: settings, credentials, errors, staged
writes, and the Virtuoso behaviour its design rests on (one operation per request)."""

from __future__ import annotations

import io
import threading

import pyoxigraph as ox
import pytest

from catalogue.settings import Settings
from catalogue.store import StoreError, open_store
from catalogue.store.base import RecordWrite
from catalogue.store.sparql import (
    STAGING,
    CutAnswer,
    SparqlStore,
    _check_complete,
    _parse_lines,
    _staging_document,
    endpoint_of,
    graph_store_of,
)
from virtuoso import TEST_GRAPHS, VirtuosoServer

GRAPH = "https://gpc.test/id/record/src/one"
LINE = '<https://gpc.test/id/practice/one> <http://purl.org/dc/terms/title> "{}"@en .'


def test_the_setting_selects_the_remote_store() -> None:
    settings = Settings(
        store="sparql+http://127.0.0.1:9/sparql",
        store_update_url="http://127.0.0.1:9/sparql-auth",
        store_user="writer",
        store_password="s3cret",
    )
    store = open_store(settings)
    assert isinstance(store, SparqlStore)
    assert (store.query_url, store.update_url) == ("http://127.0.0.1:9/sparql", "http://127.0.0.1:9/sparql-auth")
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())
    assert endpoint_of("sparql+https://h/q") == "https://h/q"


def test_an_unreachable_store_is_a_store_error() -> None:
    store = SparqlStore("http://127.0.0.1:9/sparql", timeout=2)
    with pytest.raises(StoreError, match="cannot reach the store"):
        store.count_records()


def test_the_graph_store_is_found_by_virtuoso_naming_only() -> None:
    assert graph_store_of("http://h:8890/sparql-auth") == "http://h:8890/sparql-graph-crud-auth"
    assert graph_store_of("http://h:8890/sparql") == "http://h:8890/sparql-graph-crud"
    assert graph_store_of("http://h:3030/ds/update") is None  # Fuseki: give graph_store_url
    assert SparqlStore("http://h/q", "http://h/u", graph_store_url="http://h/store").graph_store_url == "http://h/store"
    assert SparqlStore("http://h/sparql", "http://h/sparql-auth", graph_store_url="").graph_store_url is None


def test_a_staging_document_holds_each_record_whole_and_apart() -> None:
    """Decoding the staging graph as the replacing operation does gives back
    every record's triples, blank nodes of different records kept apart."""
    records = [
        RecordWrite(f"{GRAPH}{i}", [LINE.format(i), '<https://gpc.test/id/practice/one> <http://ex.org/p> _:a .', '_:a <http://ex.org/q> "x" .'])
        for i in range(2)
    ]
    chunk = [(rec, _parse_lines(rec.graph, rec.lines)) for rec in records]
    staged = ox.Store()
    staged.load(_staging_document("urn:gpc:staging:t", chunk), format=ox.RdfFormat.TURTLE)
    decoded: dict[str, set[tuple[str, str, str]]] = {}
    for row in staged.query(
        "SELECT ?t ?s ?sp ?o WHERE { ?n <urn:gpc:staging#graph> ?t ; <urn:gpc:staging#subject> ?s ; ?sp ?o "
        'FILTER(STRSTARTS(STR(?sp), "urn:gpc:staged:")) }'
    ):
        decoded.setdefault(row["t"].value, set()).add((str(row["s"]), row["sp"].value.removeprefix("urn:gpc:staged:"), str(row["o"])))
    assert sorted(decoded) == [rec.graph for rec in records]
    blanks = [{s for s, _, _ in triples if s.startswith("_:")} for triples in decoded.values()]
    assert all(len(b) == 1 for b in blanks) and blanks[0] != blanks[1]
    assert all(len(triples) == 3 for triples in decoded.values())
    assert next(staged.quads_for_pattern(ox.NamedNode("urn:gpc:staging:t"), None, None)).object == ox.Literal("2", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))


def test_a_cut_answer_is_an_error_not_a_short_list() -> None:
    with pytest.raises(StoreError, match="ResultSetMaxRows"):
        _check_complete({"X-SPARQL-MaxRows": "10000"}, "http://h/sparql")
    with pytest.raises(StoreError, match="partial"):
        _check_complete({"X-SQL-State": "S1TAT", "X-SQL-Message": "timeout"}, "http://h/sparql")


@pytest.mark.virtuoso
def test_writes_need_the_update_credentials(virtuoso: VirtuosoServer) -> None:
    wrong = SparqlStore(virtuoso.query_url, virtuoso.update_url, virtuoso.user, "not-the-password")
    with pytest.raises(StoreError) as info:
        wrong.write_records([RecordWrite(GRAPH, [LINE.format("x")])])
    assert "not-the-password" not in str(info.value)
    anonymous = SparqlStore(virtuoso.query_url, virtuoso.update_url)
    with pytest.raises(StoreError):
        anonymous.write_records([RecordWrite(GRAPH, [LINE.format("x")])])
    assert wrong.get_record(GRAPH) is None  # reads need no credentials


@pytest.mark.virtuoso
def test_read_only_store_refuses_writes(virtuoso: VirtuosoServer) -> None:
    store = SparqlStore(virtuoso.query_url, virtuoso.update_url, virtuoso.user, virtuoso.password, read_only=True)
    with pytest.raises(StoreError, match="read-only"):
        store.write_records([RecordWrite(GRAPH, [LINE.format("x")])])


@pytest.mark.virtuoso
def test_virtuoso_commits_each_operation_of_a_request_on_its_own(virtuoso: VirtuosoServer) -> None:
    """Why the backend sends one operation per request: here the third
    operation fails, and Virtuoso 7 keeps the first two (SPARQL 1.1 Update
    only says a request SHOULD be atomic). If this test starts failing,
    Virtuoso became atomic per request; the design stays correct either way."""
    store = SparqlStore(virtuoso.query_url, virtuoso.update_url, virtuoso.user, virtuoso.password)
    store.write_records([RecordWrite(GRAPH, [LINE.format("old")])])
    with pytest.raises(StoreError):
        store._update(
            f"DROP SILENT GRAPH <{GRAPH}> ; INSERT DATA {{ GRAPH <{GRAPH}> {{ {LINE.format('new')} }} }} ; "
            "DROP GRAPH <https://gpc.test/never-created>"
        )
    graph = store.get_record(GRAPH)
    assert graph is not None and [str(o) for o in graph.objects()] == ["new"]


# --- staged writes (Graph Store Protocol POST into a staging graph, then one operation) ---

TITLE = "http://purl.org/dc/terms/title"


def _store(server: VirtuosoServer, **options: object) -> SparqlStore:
    return SparqlStore(
        server.query_url, server.update_url, server.user, server.password, graph_prefix="https://gpc.test", **options  # type: ignore[arg-type]
    )


def _staging_graphs(store: SparqlStore) -> list[str]:
    rows = store.select(f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{STAGING}")) }}')
    return [str(row["g"]) for row in rows]


def _titles(store: SparqlStore) -> list[str]:
    return sorted(str(row["t"]) for row in store.select(f"SELECT ?t WHERE {{ ?p <{TITLE}> ?t }}"))


class _CrashBeforeMove(SparqlStore):
    """Kills the server once the staging graph is posted, as the replacing operation is sent."""

    def __init__(self, server: VirtuosoServer) -> None:
        super().__init__(server.query_url, server.update_url, server.user, server.password, graph_prefix="https://gpc.test")
        self.server = server

    def _update(self, sparql: str) -> None:
        if f"GRAPH <{STAGING}" in sparql and "INSERT" in sparql:
            self.server.kill()
        super()._update(sparql)


@pytest.mark.virtuoso
def test_writes_are_staged_through_the_graph_store_and_leave_no_staging_graph(virtuoso: VirtuosoServer) -> None:
    store = _store(virtuoso)
    assert store.graph_store_url == f"{virtuoso.base}/sparql-graph-crud-auth"
    blank = ["<https://gpc.test/id/practice/one> <http://ex.org/p> _:a .", '_:a <http://ex.org/q> "x" .']
    records = [RecordWrite(f"{GRAPH}{i}", [LINE.format(f"old {i}"), *blank]) for i in range(30)]
    store.write_records(records)
    store.write_records([RecordWrite(f"{GRAPH}{i}", [LINE.format(f"new {i}"), *blank]) for i in range(0, 30, 2)])
    expected = sorted([f"new {i}" for i in range(0, 30, 2)] + [f"old {i}" for i in range(1, 30, 2)])
    assert _titles(store) == expected
    graph = store.get_record(f"{GRAPH}4")
    assert graph is not None and len(graph) == 3  # replaced, not added to: one title, one blank node
    assert _staging_graphs(store) == []


@pytest.mark.virtuoso
def test_without_a_graph_store_writes_fall_back_to_sparql_update(virtuoso: VirtuosoServer) -> None:
    for options in ({"graph_store_url": ""}, {"graph_store_url": f"{virtuoso.base}/no-graph-store-here"}):
        store = _store(virtuoso, **options)
        store.write_records([RecordWrite(GRAPH, [LINE.format("first")])])
        store.write_records([RecordWrite(GRAPH, [LINE.format("second")])])
        store.add_to_graph(f"{GRAPH}-runs", [LINE.format("run")])
        assert store.graph_store_url is None  # a 404 turns staging off for this store
        assert _titles(store) == ["run", "second"]
        virtuoso.clear(TEST_GRAPHS)


@pytest.mark.virtuoso
@pytest.mark.slow
def test_a_crash_between_staging_and_replacing_keeps_the_old_record_and_the_next_writer_cleans_up(
    virtuoso: VirtuosoServer,
) -> None:
    store = _store(virtuoso)
    store.write_records([RecordWrite(GRAPH, [LINE.format("old")])])
    with pytest.raises(StoreError):
        _CrashBeforeMove(virtuoso).write_records([RecordWrite(GRAPH, [LINE.format("new")])])
    virtuoso.start()  # same database, recovered from its transaction log

    reader = _store(virtuoso)
    assert _titles(reader) == ["old"]  # the old record, whole; the staged one answers no record query
    assert len(_staging_graphs(reader)) == 1  # left behind by the crash
    writer = _store(virtuoso)
    writer.write_records([RecordWrite(GRAPH, [LINE.format("new")])])  # the next run
    assert _titles(writer) == ["new"]
    assert _staging_graphs(writer) == []


class _CrashDuringMove(SparqlStore):
    """SIGKILLs the server `delay` seconds into the replacing operation."""

    def __init__(self, server: VirtuosoServer, delay: float) -> None:
        super().__init__(server.query_url, server.update_url, server.user, server.password, graph_prefix="https://gpc.test")
        self.server, self.delay = server, delay
        self.cut = False  # the kill came while the operation was under way

    def _update(self, sparql: str) -> None:
        if f"GRAPH <{STAGING}" in sparql and "INSERT" in sparql:
            timer = threading.Timer(self.delay, self.server.kill)
            timer.start()
            try:
                super()._update(sparql)
            except StoreError:
                self.cut = True
                raise
            finally:
                timer.join()
        else:
            super()._update(sparql)


@pytest.mark.virtuoso
@pytest.mark.slow
def test_a_crash_during_the_replacing_operation_leaves_the_batch_all_old_or_all_new(virtuoso: VirtuosoServer) -> None:
    """The replacing operation is one transaction: killed in the middle of
    replacing 400 records, Virtuoso recovers all of them old or all new."""
    graphs = [f"{GRAPH}{i}" for i in range(400)]
    _store(virtuoso).write_records([RecordWrite(g, [LINE.format(f"old {i}"), LINE.format(f"old bis {i}")]) for i, g in enumerate(graphs)])
    dying = _CrashDuringMove(virtuoso, delay=0.05)
    with pytest.raises(StoreError):
        dying.write_records([RecordWrite(g, [LINE.format(f"new {i}"), LINE.format(f"new bis {i}")]) for i, g in enumerate(graphs)])
    assert dying.cut, "the operation ended before the kill: nothing was tested"
    virtuoso.start()
    titles = _titles(_store(virtuoso))
    assert len(titles) == 800
    assert {t.split()[0] for t in titles} in ({"old"}, {"new"}), sorted({t.split()[0] for t in titles})


@pytest.mark.virtuoso
def test_a_staging_graph_removed_before_the_replacing_operation_fails_the_write(virtuoso: VirtuosoServer) -> None:
    """Another writer's cleanup must never turn a write into a silent deletion."""

    class _Cleaned(SparqlStore):
        def _update(self, sparql: str) -> None:
            if f"GRAPH <{STAGING}" in sparql and "INSERT" in sparql:
                _store(virtuoso).drop_staging()
            super()._update(sparql)

    _store(virtuoso).write_records([RecordWrite(GRAPH, [LINE.format("old")])])
    racing = _Cleaned(virtuoso.query_url, virtuoso.update_url, virtuoso.user, virtuoso.password, graph_prefix="https://gpc.test")
    with pytest.raises(StoreError, match="staging graph"):
        racing.write_records([RecordWrite(GRAPH, [LINE.format("new")])])
    assert _titles(racing) == ["old"]


class _SmallAnswers(SparqlStore):
    """A server that cuts every answer of more than `cap` rows (as Virtuoso's
    ResultSetMaxRows does), so that the store has to page."""

    cap = 3

    def _select_json(self, sparql: str) -> dict[str, object]:
        data = super()._select_json(sparql)
        if len(data.get("results", {}).get("bindings", [])) > self.cap:  # type: ignore[attr-defined]
            raise CutAnswer("cut")
        return data


@pytest.mark.virtuoso
def test_listings_page_by_key_not_by_offset(virtuoso: VirtuosoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Virtuoso refuses OFFSET past 10,000 sorted rows (SR353): a cut listing
    is paged by key ranges; a key whose rows straddle a page is not cut; an
    export asks for fewer graphs at a time."""
    monkeypatch.setattr("catalogue.store.sparql.PAGE_ROWS", 3)
    store = _SmallAnswers(virtuoso.query_url, virtuoso.update_url, virtuoso.user, virtuoso.password, graph_prefix="https://gpc.test")
    source = "https://gpc.test/id/source/src"
    records = []
    for i in range(8):
        g = f"https://gpc.test/id/record/src/r{i}"
        lines = [
            f"<{g}> <http://purl.org/dc/terms/source> <{source}> .",
            f'<{g}> <https://w3id.org/gpc/ns#contentHash> "h{i}" .',
            f"<{g}> <https://w3id.org/gpc/ns#recordStatus> <https://w3id.org/gpc/ns#Active> .",
            f'<{g}> <http://purl.org/dc/terms/issued> "2026-01-01T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .',
            f"<{g}> <http://xmlns.com/foaf/0.1/primaryTopic> <https://gpc.test/id/practice/p{i}> .",
        ]
        if i == 2:  # two hashes: two rows for one graph, across a page boundary
            lines.append(f'<{g}> <https://w3id.org/gpc/ns#contentHash> "h{i}-bis" .')
        records.append(RecordWrite(g, lines))
    store.write_records(records)
    assert sorted(store.record_states(source)) == [r.graph for r in records]
    assert store._graph_names() == sorted(r.graph for r in records)
    rows = list(store._paged("SELECT ?g ?h", f"GRAPH ?g {{ ?g <https://w3id.org/gpc/ns#contentHash> ?h }}", "?g"))
    assert len(rows) == 9
    whole, paged = io.BytesIO(), io.BytesIO()
    _store(virtuoso).export_nquads(whole)
    store.cap = 12  # two records' rows, at most
    store.export_nquads(paged)
    assert paged.getvalue() == whole.getvalue() and whole.getvalue().count(b"\n") == 41
