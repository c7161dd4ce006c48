"""GET /api/v1/search on the demo catalogue."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from catalogue.core import Catalogue


def test_empty_q_lists_everything(client: TestClient, demo_catalogue: Catalogue) -> None:
    body = client.get("/api/v1/search").json()
    assert body["total"] == demo_catalogue.engine.count() >= 60
    assert set(body) >= {"total", "results", "facets", "suggestion"}
    assert {"country", "theme"} <= set(body["facets"])


def test_participation_finds_practices_with_facets(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"q": "participation"}).json()
    assert body["total"] > 0
    first = body["results"][0]
    assert set(first) == {"uri", "title", "snippet", "facets", "lang", "snippet_lang"}
    assert all({"value", "label", "count"} == set(v) for v in body["facets"]["theme"])


def test_a_facet_value_passed_back_filters(client: TestClient) -> None:
    everything = client.get("/api/v1/search").json()
    country = everything["facets"]["country"][0]
    filtered = client.get("/api/v1/search", params={"country": country["value"]}).json()
    assert filtered["total"] == country["count"]
    assert all(country["value"] in r["facets"]["country"] for r in filtered["results"])


def test_facet_counts_equal_a_sparql_count_over_the_store(client: TestClient, demo_catalogue: Catalogue) -> None:
    body = client.get("/api/v1/search", params={"per_page": 1}).json()
    rows = demo_catalogue.store.select(
        """SELECT ?theme (COUNT(DISTINCT ?p) AS ?n) WHERE {
             GRAPH ?g { ?g <https://w3id.org/gpc/ns#recordStatus> <https://w3id.org/gpc/ns#Active> ;
                          <http://xmlns.com/foaf/0.1/primaryTopic> ?p .
                        ?p a <https://w3id.org/gpc/ns#Practice> ; <http://www.w3.org/ns/dcat#theme> ?theme } }
           GROUP BY ?theme"""
    )
    expected = {str(r["theme"]).rsplit("/", 1)[-1]: int(r["n"]) for r in rows}
    assert {f["value"]: f["count"] for f in body["facets"]["theme"]} == expected


def test_labels_follow_the_language(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"lang": "de", "country": "ITA"}).json()
    labels = {f["value"]: f["label"] for f in body["facets"]["country"]}
    assert labels["ITA"] == "Italien"


@pytest.mark.parametrize(
    "params",
    [{"page": "0"}, {"per_page": "1000"}, {"sort": "random"}, {"colour": "red"}, {"page": "x"}, {"lang": "english"}],
)
def test_invalid_parameters_answer_400_with_a_message(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and body["status"] == 400 and body["error"]


@pytest.mark.parametrize("q", ['"unbalanced', "*:*", "x" * 10_000, "\x00\x01\x1f", "title:(", "AND OR NOT", "((((("])
def test_hostile_queries_never_500(client: TestClient, q: str) -> None:
    response = client.get("/api/v1/search", params={"q": q})
    assert response.status_code in (200, 400)


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"ok": True, "status": 200}
