"""/sparql under abuse, over real HTTP: updates, SERVICE to a loopback
server, a cartesian product over the whole store, a 1 MB query, malformed
queries. Each gets a 4xx, or the timeout error within the bound, and the
server keeps answering /healthz (and other queries) while a heavy query runs.
The live server's limit is 2 seconds (tests/web/conftest.py)."""

from __future__ import annotations

import http.server
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx2 as httpx
import pytest

from catalogue.core import Catalogue

LIMIT = 2.0  # seconds: the live server's sparql_timeout
MARGIN = 2.0  # killing a worker, network, a loaded CI machine
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def get(url: str, timeout: float = 30) -> tuple[int, bytes, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read(), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), time.monotonic() - started


def sparql_get(live_server: str, query: str) -> tuple[int, bytes, float]:
    return get(f"{live_server}/sparql?" + urlencode({"query": query}))


@pytest.fixture
def loopback_target() -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 that records every request it gets."""
    hits: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(b'{"head":{"vars":[]},"results":{"bindings":[{}]}}')

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def store_size(demo_catalogue: Catalogue) -> int:
    return int(demo_catalogue.store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"])


@pytest.mark.parametrize(
    ("method", "content_type", "body", "params"),
    [
        ("GET", None, None, {"update": "CLEAR ALL"}),
        ("POST", "application/sparql-update", "DROP ALL", {}),
        ("POST", "application/x-www-form-urlencoded", "update=CLEAR+ALL", {}),
        ("GET", None, None, {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}),
        ("GET", None, None, {"query": "DELETE WHERE { ?s ?p ?o }"}),
        ("GET", None, None, {"query": "LOAD <http://127.0.0.1:9/x.ttl>"}),
    ],
)
def test_updates_are_refused_and_change_nothing(
    sparql_server: str, sparql_catalogue: Catalogue, method: str, content_type: str | None, body: str | None, params: dict[str, str]
) -> None:
    before = store_size(sparql_catalogue)
    headers = {"content-type": content_type} if content_type else {}
    response = httpx.request(method, f"{sparql_server}/sparql", params=params, headers=headers, content=body, timeout=30)
    assert response.status_code == 403, response.text
    assert "read-only" in response.json()["error"]
    assert store_size(sparql_catalogue) == before


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE { SERVICE <{target}/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <{target}/silent> { ?s ?p ?o } }",
        "select * where { ?x ?y ?z OPTIONAL { { SELECT ?s WHERE { FILTER EXISTS { sErViCe <{target}/nested> { ?s ?p ?o } } } } } }",
        "PREFIX x: <{target}/> SELECT * WHERE { SERVICEx:glued { ?s ?p ?o } }",
        "SELECT * WHERE {\n# a comment\rSERVICE <{target}/after-cr> { ?s ?p ?o } }",
        "PREFIX e: <http://e/> SELECT * WHERE { ?s e:p e:a\\' . SERVICE <{target}/escaped> { ?x ?y ?z } ?s e:p e:b\\' }",
        "SELECT * WHERE { BIND(<{target}/var> AS ?svc) SERVICE ?svc { ?s ?p ?o } }",
    ],
)
def test_service_to_loopback_is_refused_and_never_sent(
    sparql_server: str, loopback_target: tuple[str, list[str]], template: str
) -> None:
    target, hits = loopback_target
    status, body, _ = sparql_get(sparql_server, template.replace("{target}", target))
    assert status == 403, body
    assert b"SERVICE is not allowed" in body
    assert hits == []


@pytest.mark.parametrize(
    "template",
    [
        'define get:soft "replace" SELECT * FROM <{target}/sponge> WHERE { ?s ?p ?o }',
        "SELECT (bif:http_get('{target}/bif') AS ?x) { }",
    ],
)
def test_server_extensions_are_refused_and_never_sent(
    sparql_server: str, loopback_target: tuple[str, list[str]], template: str
) -> None:
    """Virtuoso would fetch these itself (its sponger, its SQL built-ins)."""
    target, hits = loopback_target
    status, body, _ = sparql_get(sparql_server, template.replace("{target}", target))
    assert status == 403, body
    assert b"Only SPARQL 1.1" in body
    assert hits == []


def test_service_words_in_iris_strings_variables_and_local_names_are_fine(sparql_server: str) -> None:
    query = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
    SELECT ?service WHERE { # SERVICE in a comment
      VALUES ?service { <https://w3id.org/gpc/practice-type/digital-service> "SERVICE" dcat:DataService }
    }"""
    status, body, _ = sparql_get(sparql_server, query)
    assert status == 200, body


def test_cartesian_product_stops_at_the_limit_while_healthz_answers_at_once(
    sparql_server: str, sparql_catalogue: Catalogue
) -> None:
    heavy: dict[str, object] = {}

    def run_heavy() -> None:
        heavy["status"], heavy["body"], heavy["seconds"] = sparql_get(sparql_server, CARTESIAN)

    thread = threading.Thread(target=run_heavy)
    thread.start()
    time.sleep(0.3)  # the heavy query is running
    health = [get(f"{sparql_server}/healthz") for _ in range(5)]
    light = sparql_get(sparql_server, "ASK { ?s ?p ?o }")  # the other worker is free
    thread.join(timeout=LIMIT + MARGIN + 10)
    assert all(status == 200 and seconds < 0.5 for status, _, seconds in health), health
    assert light[0] == 200 and light[2] < LIMIT, light
    assert heavy["status"] == 503, heavy
    if sparql_catalogue.settings.store == "oxigraph":
        assert LIMIT - 0.1 <= heavy["seconds"] < LIMIT + MARGIN, heavy  # type: ignore[operator]
        assert b"limit of 2 seconds" in heavy["body"]  # type: ignore[operator]
    else:  # Virtuoso estimates the cost first and refuses at once
        assert heavy["seconds"] < LIMIT + MARGIN and b"limit" in heavy["body"], heavy  # type: ignore[operator]
    # A fresh worker took the killed one's place.
    assert sparql_get(sparql_server, "ASK {}")[0] == 200


def test_a_1_mb_query_is_refused(live_server: str) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 1_000_000
    direct = httpx.post(f"{live_server}/sparql", content=query, headers={"content-type": "application/sparql-query"}, timeout=30)
    form = httpx.post(f"{live_server}/sparql", data={"query": query}, timeout=30)
    assert direct.status_code == 413 and "accepts at most" in direct.json()["error"]
    assert form.status_code == 413
    # By GET, uvicorn's HTTP parser refuses a request line over 16 KB before the
    # app sees it: a 400, then it closes while the client is still sending, so
    # the client may only see the connection reset. Either way, refused.
    try:
        by_get = sparql_get(live_server, query)[0]  # urllib: httpx will not even build such a URL
    except (ConnectionResetError, BrokenPipeError, urllib.error.URLError):
        by_get = 400
    assert 400 <= by_get < 500


@pytest.mark.parametrize(
    "query",
    ["SELECT * WHERE { ?s ?p ", "ASK {", "SELEKT * { }", "SELECT * WHERE { ?s ?p ?o } LIMIT -1", "\x00", "   ", "}}}}"],
)
def test_malformed_queries_get_400(sparql_server: str, query: str) -> None:
    status, body, seconds = sparql_get(sparql_server, query)
    assert status == 400, body
    assert seconds < LIMIT


def test_an_answer_over_the_size_limit_gets_422(sparql_catalogue: Catalogue) -> None:
    from starlette.testclient import TestClient

    from catalogue.web import create_app

    settings = sparql_catalogue.settings.model_copy(update={"sparql_max_result_bytes": 10_000})
    with TestClient(create_app(settings, sparql_catalogue)) as client:
        response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        small = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"})
    assert response.status_code == 422 and "LIMIT" in response.json()["error"]
    assert small.status_code == 200


def test_cors_preflight_and_headers(live_server: str) -> None:
    preflight = httpx.options(
        f"{live_server}/sparql",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
        timeout=30,
    )  # fmt: skip
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    answer = httpx.get(f"{live_server}/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://example.org"}, timeout=30)
    assert answer.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_get_405(live_server: str, method: str) -> None:
    assert httpx.request(method, f"{live_server}/sparql", params={"query": "ASK {}"}, timeout=30).status_code == 405
