"""Section f: `GET /api/v1/search` over loopback.

The real app (`catalogue.web.create_app`) under uvicorn in its own process
(`http_load.app_server`), over the harvested catalogue opened read-only, one
client on a keep-alive connection. The query texts are section c's ~50
(`fulltext.query_texts`, same seed):

* faceted: `?q=<text>`: top 20, every facet counted (the API's default),
  snippets and the "did you mean" check, as JSON;
* filtered: `?q=<text>&country=<c>&theme=<t>` (every facet counted, the
  multi-select rule);
* browse: no parameters (every facet over the whole catalogue).

The first 5 requests of each kind warm up, then `--passes` timed passes. The
baseline is the same query layer in this process (`catalogue.search.search_json`
over the catalogue's engine, the answer dumped to JSON): the ratio
(below 1) is the price of HTTP, Starlette and the server process. A last row
gives the throughput of faceted queries from 4 clients.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from urllib.parse import urlencode

from catalogue.search import parse_params, search_json

from .common import Latency, Row, Stopwatch, latency_row, rate_text
from .context import Bench
from .fulltext import query_texts
from .http_load import Client, app_server, load

SECTION = "f. search API"
PATH = "/api/v1/search"
WARMUP = 5
CLIENTS = 4
SECONDS = 5.0
log = logging.getLogger("benchmarks")


def requests(bench: Bench) -> dict[str, list[list[tuple[str, str]]]]:
    """Query-string pairs of each kind of request."""
    dataset = bench.data()
    rng = random.Random(bench.options.seed)
    texts = query_texts(rng)
    codes = [c for c, _ in dataset.country_weights]
    weights = [w for _, w in dataset.country_weights]
    themes = dataset.themes_by_frequency[:8]
    filtered = [
        [("q", t), ("country", rng.choices(codes, weights)[0]), ("theme", rng.choice(themes))] for t in texts
    ]
    return {"faceted": [[("q", t)] for t in texts], "filtered": filtered, "browse": [[]] * 20}


def _timed(do: Callable[[list[tuple[str, str]]], int], plan: list[list[tuple[str, str]]], passes: int,
           budget: float) -> tuple[Latency, list[int]]:  # fmt: skip
    """Warm up on the first requests, then `passes` passes (later ones only within `budget` seconds)."""
    for pairs in plan[:WARMUP]:
        do(pairs)
    latency = Latency()
    totals: list[int] = []
    spent = 0.0
    for n in range(passes):
        if n > 0 and spent > budget:
            break
        for pairs in plan:
            with Stopwatch() as sw:
                total = do(pairs)
            latency.samples.append(sw.seconds * 1000)
            spent += sw.seconds
            if n == 0:
                totals.append(total)
    return latency, totals


def run(bench: Bench) -> None:
    options = bench.options
    catalogue = bench.harvested()
    plans = requests(bench)
    settings = {"data_dir": str(bench.settings.data_dir), "base_uri": bench.settings.base_uri}

    def in_process(pairs: list[tuple[str, str]]) -> int:
        answer = search_json(catalogue.engine, parse_params(pairs))
        json.dumps(answer, ensure_ascii=False)  # what the endpoint serialises
        return int(answer["total"])

    with app_server(settings, "bench-api-server") as port:
        client = Client(port)

        def over_http(pairs: list[tuple[str, str]]) -> int:
            return int(json.loads(client.get(f"{PATH}?{urlencode(pairs)}"))["total"])

        for kind, plan in plans.items():
            ours, totals = _timed(over_http, plan, options.passes, options.budget)
            base, base_totals = _timed(in_process, plan, options.passes, options.budget)
            if totals != base_totals:
                log.warning("%s: the API and the in-process query layer disagree on totals", kind)
            bench.rows.append(
                latency_row(SECTION, f"GET {PATH}, {kind} (top 20, all facets)", ours, f"API@{options.size:,}",
                            base, "query layer in process",
                            f"ratio below 1 = HTTP + server overhead; one keep-alive client; n={ours.n}/{base.n}")
            )  # fmt: skip
            bench.info.setdefault("api_search", {})[kind] = {"api": ours.summary(), "in_process": base.summary()}
        client.close()
        faceted = plans["faceted"]
        rate, latency = load(port, lambda i: f"{PATH}?{urlencode(faceted[i % len(faceted)])}", CLIENTS, SECONDS)
        bench.rows.append(
            Row(SECTION, f"GET {PATH}, faceted, {CLIENTS} clients", rate_text(rate, "requests/s"),
                notes=f"median {latency.median:.1f} ms, p95 {latency.p95:.1f} ms, n={latency.n}; "
                      "uvicorn, one process, store read-only, keep-alive on loopback",
                data={"requests_per_s": rate, **latency.summary()})
        )  # fmt: skip
    log.info("section f done")
