"""/sparql for people (the query editor, answers as a table, the example
queries; on each store backend) and the workers' life: fresh data after
writes, memory limits."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from catalogue.core import Catalogue
from catalogue.web import create_app
from catalogue.web.sparql_examples import EXAMPLES, Example

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_the_editor_page_works_without_javascript(sparql_client: TestClient) -> None:
    page = sparql_client.get("/sparql", headers=BROWSER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<form class="sparql-form" method="get" action="/sparql">' in html
    assert '<label for="sparql-query">' in html and '<textarea id="sparql-query" name="query"' in html
    assert "<script" not in html.split("<main")[1]  # no JavaScript needed
    for example in EXAMPLES:
        assert example.title in html


def test_a_browser_gets_the_answer_as_a_table(sparql_client: TestClient) -> None:
    query = "SELECT ?p WHERE { ?p a <https://w3id.org/gpc/ns#Practice> } ORDER BY ?p LIMIT 3"
    page = sparql_client.get("/sparql", params={"query": query}, headers=BROWSER)
    assert page.status_code == 200
    assert page.text.count('<a href="/practice/') >= 3
    assert "<th scope=\"col\">?p</th>" in page.text


def test_a_browser_sees_errors_in_the_page(sparql_client: TestClient) -> None:
    page = sparql_client.get("/sparql", params={"query": "SELECT * WHERE {"}, headers=BROWSER)
    assert page.status_code == 400
    assert 'role="alert"' in page.text and "not valid SPARQL" in page.text
    assert "SELECT * WHERE {" in page.text  # kept in the editor


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.key)
def test_every_example_query_runs_and_finds_something(sparql_client: TestClient, example: Example) -> None:
    if "CONSTRUCT" in example.query:
        response = sparql_client.get("/sparql", params={"query": example.query}, headers={"accept": "application/n-triples"})
        assert response.status_code == 200 and response.text.count("\n") > 3
        return
    response = sparql_client.get("/sparql", params={"query": example.query, "format": "json"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("boolean") is True or len(body["results"]["bindings"]) > 0


def test_workers_see_what_was_flushed_after_they_started(make_catalogue: Callable[..., Catalogue]) -> None:
    cat = make_catalogue()
    cat.store.add_to_graph("https://gpc.test/graph/test", ["<urn:a> <urn:b> <urn:first> ."])
    with TestClient(create_app(cat.settings, cat)) as client:
        ask = {"query": "ASK { <urn:a> <urn:b> <urn:second> }", "format": "json"}
        assert client.get("/sparql", params=ask).json()["boolean"] is False
        cat.store.add_to_graph("https://gpc.test/graph/test", ["<urn:a> <urn:b> <urn:second> ."])
        cat.store.flush()  # as Catalogue.harvest does after every harvest that changed something
        assert client.get("/sparql", params=ask).json()["boolean"] is True


def test_a_query_needing_too_much_memory_ends_its_worker_not_the_server(demo_catalogue: Catalogue) -> None:
    settings = demo_catalogue.settings.model_copy(
        update={"sparql_worker_memory_mb": 300, "sparql_timeout": 30.0, "sparql_workers": 1}
    )
    hungry = "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?d ?c ?f"
    with TestClient(create_app(settings, demo_catalogue)) as client:
        response = client.get("/sparql", params={"query": hungry})
        assert response.status_code == 503 and "memory" in response.json()["error"]
        assert client.get("/sparql", params={"query": "ASK {}", "format": "json"}).json()["boolean"] is True
