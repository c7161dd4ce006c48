"""What only the remote SPARQL backend has: settings, credentials, errors, and
the Virtuoso behaviour its design rests on (one operation per request)."""

from __future__ import annotations

import pytest

from catalogue.settings import Settings
from catalogue.store import StoreError, open_store
from catalogue.store.base import RecordWrite
from catalogue.store.sparql import SparqlStore, _check_complete, endpoint_of
from virtuoso import VirtuosoServer

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
