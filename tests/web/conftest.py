from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from catalogue.cli import demo_sources_path
from catalogue.core import Catalogue
from catalogue.settings import Settings
from catalogue.sources import load_sources
from catalogue.web import create_app
from servers import serve_app  # tests/servers.py
from virtuoso import TEST_GRAPHS


@pytest.fixture(scope="module")
def client(demo_catalogue: Catalogue) -> Iterator[TestClient]:
    with TestClient(create_app(demo_catalogue.settings, demo_catalogue)) as test_client:
        yield test_client


# --- a real server on loopback (issue 5): uvicorn in a thread on port 0, as httpx's tests do ---


@pytest.fixture(scope="module")
def live_server(demo_catalogue: Catalogue) -> Iterator[str]:
    """The demo catalogue served over real HTTP, with a short SPARQL time limit."""
    settings = demo_catalogue.settings.model_copy(update={"sparql_timeout": 2.0, "sparql_workers": 2})
    with serve_app(create_app(settings, demo_catalogue)) as url:
        yield url


# --- the SPARQL endpoint on each store backend (issue 7) ---


@pytest.fixture(scope="module", params=["oxigraph", pytest.param("virtuoso", marks=pytest.mark.virtuoso)])
def sparql_catalogue(
    request: pytest.FixtureRequest, demo_catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Catalogue]:
    """The demo catalogue in each store backend: Oxigraph, or Virtuoso (the
    demo sources harvested into it; /sparql then forwards to its endpoint)."""
    if request.param == "oxigraph":
        yield demo_catalogue
        return
    server = request.getfixturevalue("virtuoso_server")
    server.ensure_running()
    server.clear(TEST_GRAPHS)
    data_dir = tmp_path_factory.mktemp("demo-virtuoso") / "data"
    settings = Settings(data_dir=data_dir, base_uri="https://gpc.test", **server.settings())
    cat = Catalogue(settings)
    cat.harvest(load_sources(demo_sources_path()))
    yield cat
    cat.close()
    server.clear(TEST_GRAPHS)


@pytest.fixture(scope="module")
def sparql_server(sparql_catalogue: Catalogue) -> Iterator[str]:
    """`live_server` over each store backend."""
    settings = sparql_catalogue.settings.model_copy(update={"sparql_timeout": 2.0, "sparql_workers": 2})
    with serve_app(create_app(settings, sparql_catalogue)) as url:
        yield url


@pytest.fixture(scope="module")
def sparql_client(sparql_catalogue: Catalogue) -> Iterator[TestClient]:
    """`client` over each store backend."""
    with TestClient(create_app(sparql_catalogue.settings, sparql_catalogue)) as test_client:
        yield test_client
