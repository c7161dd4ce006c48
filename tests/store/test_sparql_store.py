"""What only the remote SPARQL backend has: settings, credentials, errors, staged
writes, and the Virtuoso behaviour its design rests on (one operation per request)."""

from __future__ import annotations

import pytest

from catalogue.settings import Settings
from catalogue.store import StoreError, open_store
from catalogue.store.base import RecordWrite
from catalogue.store.sparql import STAGING, SparqlStore, _check_complete, endpoint_of
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
