"""Section e: the SPARQL endpoint over HTTP on loopback.

The server is the real app (`catalogue.web.create_app`) under uvicorn, in
its own process (so the client's threads do not share its GIL), over the
harvested catalogue opened read-only (the benchmark process holds the store
read-write), with the default settings: `sparql_workers` worker processes,
the 10 s limit. Clients use keep-alive connections (`http_load`).

- **throughput**: the typical SELECT (Q2 of section b: practices of one theme
  in one country, by title, first 20, as SPARQL JSON), and a lookup SELECT
  (one practice's titles and themes by its URI, a different practice each
  time: the endpoint's own overhead dominates), sent by 1, 2 and 4 concurrent
  clients for a few seconds each; queries/s.
- **latency**: the four queries of section b through /sparql (SELECTs as
  SPARQL JSON, the CONSTRUCT as N-Triples), one client, against the same
  query on the store in process (`store.select` / `store.construct`). The
  ratio (store / endpoint, below 1) is the price of HTTP, screening, the
  worker round trip and serialisation.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from urllib.parse import urlencode

from .common import Latency, Row, latency_row, rate_text, time_runs
from .context import Bench
from .http_load import Client, app_server, load
from .sparql import queries

SECTION = "e. SPARQL endpoint"
log = logging.getLogger("benchmarks")
CLIENTS = (1, 2, 4)
SECONDS_PER_LEVEL = 5.0
JSON = "application/sparql-results+json"


def _path(query: str) -> str:
    return "/sparql?" + urlencode({"query": query})


def _light(uri: str) -> str:
    """A lookup by URI, what a linked-data client sends most: one practice's titles and themes."""
    return (
        "SELECT ?title ?theme WHERE { "
        f"<{uri}> <http://purl.org/dc/terms/title> ?title . OPTIONAL {{ <{uri}> <http://www.w3.org/ns/dcat#theme> ?theme }} }}"
    )


def _throughput(port: int, query: str | Callable[[int], str], clients: int, seconds: float) -> tuple[float, Latency]:
    def path_for(i: int) -> str:
        return _path(query(i) if callable(query) else query)

    return load(port, path_for, clients, seconds, headers={"Accept": JSON})


def run(bench: Bench) -> None:
    options = bench.options
    dataset = bench.data()
    catalogue = bench.harvested()
    rng = random.Random(options.seed + 5)
    theme = dataset.themes_by_frequency[0]
    country = dataset.country_weights[0][0]
    texts = queries(theme, country)
    sample = rng.sample(dataset.practice_ids, min(len(dataset.practice_ids), options.runs + 3))
    uris = [bench.practice_uri(i) for i in sample]
    settings = {"data_dir": str(bench.settings.data_dir), "base_uri": bench.settings.base_uri}

    with app_server(settings) as port:
        warmup = Client(port, {"Accept": JSON})
        for _ in range(20):  # the workers are up and have the store open
            warmup.get(_path("ASK {}"))
        warmup.close()
        typical = next(q for name, q in texts.items() if name.startswith("Q2"))
        assert isinstance(typical, str)
        rates: dict[str, dict[int, float]] = {}
        lookups = [_light(u) for u in uris]
        kinds = {"typical SELECT (Q2)": typical, "lookup SELECT (one practice by URI)": lambda i: lookups[i % len(lookups)]}
        for label, query in kinds.items():
            for clients in CLIENTS:
                rate, latency = _throughput(port, query, clients, SECONDS_PER_LEVEL)
                rates.setdefault(label, {})[clients] = rate
                bench.rows.append(
                    Row(SECTION, f"throughput, {label}, {clients} client(s)", rate_text(rate, "queries/s"),
                        notes=f"median {latency.median:.1f} ms, p95 {latency.p95:.1f} ms, n={latency.n}; "
                              f"{catalogue.settings.sparql_workers} workers; HTTP keep-alive on loopback",
                        data={"queries_per_s": rate, "clients": clients, **latency.summary()})
                )  # fmt: skip
        bench.info["sparql_endpoint"] = {"queries_per_s": rates}
        json_client = Client(port, {"Accept": JSON})
        triples_client = Client(port, {"Accept": "application/n-triples"})
        for name, query in texts.items():
            endpoint: Callable[[int], object]
            direct: Callable[[int], object]
            if callable(query):
                endpoint = lambda i, q=query: triples_client.get(_path(q(uris[i % len(uris)])))  # noqa: E731
                direct = lambda i, q=query: len(catalogue.store.construct(q(uris[i % len(uris)])))  # noqa: E731
            else:
                endpoint = lambda i, q=query: json_client.get(_path(q))  # noqa: E731
                direct = lambda i, q=query: len(catalogue.store.select(q))  # noqa: E731
            ours = time_runs(endpoint, options.runs, budget=options.budget)
            base = time_runs(direct, options.runs, budget=options.budget)
            bench.rows.append(
                latency_row(SECTION, f"{name} via /sparql", ours, f"/sparql@{dataset.size:,}", base,
                            "store in process", f"ratio below 1 = the endpoint's overhead; n={ours.n}/{base.n}")
            )  # fmt: skip
        json_client.close()
        triples_client.close()
