"""The first HTML pages, and one error shape everywhere."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient


def test_home_shows_figures_and_entry_points(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'lang="en"' in page.text
    assert "/search?theme=" in page.text and "/search?country=" in page.text


def test_search_page_lists_results_and_facets(client: TestClient) -> None:
    page = client.get("/search", params={"q": "participation"})
    assert page.status_code == 200
    assert 'type="checkbox"' in page.text
    assert "/practice/" in page.text


def test_practice_page_shows_the_practice_and_its_provenance(client: TestClient) -> None:
    hit = client.get("/api/v1/search", params={"q": "Decidim"}).json()["results"][0]
    key = hit["uri"].rsplit("/", 1)[-1]
    page = client.get(f"/practice/{key}")
    assert page.status_code == 200
    assert hit["title"] in page.text
    assert "Where this comes from" in page.text


def test_unknown_practice_is_a_404_page(client: TestClient) -> None:
    page = client.get("/practice/no-such-thing")
    assert page.status_code == 404
    assert "<h1>Not found</h1>" in page.text


@pytest.mark.parametrize("path", ["/nope", "/practice/no-such-thing", "/api/v1/nope"])
def test_errors_answer_json_to_machines(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"accept": "application/json"})
    assert response.status_code == 404
    body = response.json()
    assert body["ok"] is False and body["status"] == 404 and body["errors"]


def test_harvested_text_is_escaped() -> None:
    from catalogue.web.templates import environment

    html = environment().get_template("_result.html").render(
        hit={"uri": "https://x/id/practice/a", "title": "<script>alert(1)</script>", "snippet": ""}
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
