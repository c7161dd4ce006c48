"""Section b: four typical catalogue SPARQL queries, ours against rdflib.

Ours: the project's `Store` (`store.select` / `store.construct`, the union of
the record graphs as default graph), which also converts every answer term to
an rdflib term, as the web layer gets them. Baseline: rdflib's in-memory
`Graph` holding the same triples, `graph.query(...)` with the answer read to
the end. rdflib holds at most `--rdflib-size` practices (the issue's target
is measured at 10,000): when the catalogue is bigger, the table shows ours at
full size and, for the like-for-like ratio, ours over the same subset (a
second on-disk Oxigraph store bulk-loaded with the subset's N-Quads).

Each query runs 3 times untimed, then `--runs` times timed (fewer if the
`--budget` seconds per query are spent, at least 5).
"""

from __future__ import annotations

import logging
import random
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from rdflib import Graph

from catalogue.store import Store
from catalogue.store.oxigraph import OxigraphStore

from .common import Row, latency_row, ratio_text, time_runs
from .context import Bench

SECTION = "b. SPARQL"
log = logging.getLogger("benchmarks")

PREFIXES = """PREFIX gpc: <https://w3id.org/gpc/ns#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
"""
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
THEME = "https://w3id.org/gpc/theme/"


def queries(theme: str, country: str) -> dict[str, str | Callable[[str], str]]:
    """name -> query text (or a function of a practice URI, for the per-record query)."""
    return {
        "Q1 practices per country (GROUP BY)": PREFIXES
        + f"""SELECT ?country (COUNT(?p) AS ?practices) WHERE {{
  ?p a gpc:Practice ; dcterms:spatial ?country .
  FILTER(STRSTARTS(STR(?country), "{COUNTRY}"))
}} GROUP BY ?country ORDER BY DESC(?practices)""",
        f"Q2 theme {theme} in {country}, by title, first 20": PREFIXES
        + f"""SELECT ?p ?title WHERE {{
  ?p a gpc:Practice ; dcat:theme <{THEME}{theme}> ; dcterms:spatial <{COUNTRY}{country}> ;
     dcterms:title ?title .
}} ORDER BY ?title LIMIT 20""",
        "Q3 one practice, full description (CONSTRUCT)": lambda uri: PREFIXES
        + f"""CONSTRUCT {{ <{uri}> ?p ?o . ?contact ?cp ?co }} WHERE {{
  {{ <{uri}> ?p ?o }} UNION {{ <{uri}> dcat:contactPoint ?contact . ?contact ?cp ?co }}
}}""",
        'Q4 title substring scan (CONTAINS "budget")': PREFIXES
        + """SELECT ?p ?title WHERE {
  ?p a gpc:Practice ; dcterms:title ?title .
  FILTER(CONTAINS(LCASE(?title), "budget"))
}""",
    }


def _ours(store: Store, query: str | Callable[[str], str], uris: list[str]) -> Callable[[int], int]:
    if callable(query):
        return lambda i: len(store.construct(query(uris[i % len(uris)])))
    return lambda i: len(store.select(query))


def _rdflib(graph: Graph, query: str | Callable[[str], str], uris: list[str]) -> Callable[[int], int]:
    if callable(query):
        return lambda i: len(graph.query(query(uris[i % len(uris)])).graph)  # type: ignore[arg-type]
    return lambda i: len(list(graph.query(query)))


def run(bench: Bench) -> None:
    options = bench.options
    dataset = bench.data()
    catalogue = bench.harvested()
    subset = bench.subset()
    rng = random.Random(options.seed)
    theme = dataset.themes_by_frequency[0]
    country = dataset.country_weights[0][0]
    # Per-record query: a different practice each run, the same sequence for every store.
    sample = rng.sample(dataset.practice_ids[: subset.practices], min(subset.practices, options.runs + 3))
    uris = [bench.practice_uri(i) for i in sample]
    texts = queries(theme, country)

    graph = bench.rdflib_graph()
    with tempfile.TemporaryDirectory(dir=bench.workdir) as tmp:
        small: OxigraphStore | None = None
        if subset.practices < dataset.size:
            small = OxigraphStore(Path(tmp) / "store")
            small.bulk_load_nquads(subset.nquads)
        like_ratios: list[float] = []
        full_ratios: list[float] = []
        for name, query in texts.items():
            unit = "triples" if callable(query) else "rows"
            ours = _ours(catalogue.store, query, uris)
            base = _rdflib(graph, query, uris)
            base_answer = base(0)
            ours_lat = time_runs(ours, options.runs, budget=options.budget)
            base_lat = time_runs(base, options.runs, budget=options.budget)
            size, sub = f"{dataset.size:,}", f"{subset.practices:,}"
            if small is None:
                _check(name, ours(0), base_answer)
                notes = f"{base_answer:,} {unit} (first run) from both; n={ours_lat.n}/{base_lat.n}"
                row = latency_row(SECTION, name, ours_lat, f"Oxigraph@{size}", base_lat, f"rdflib@{sub}", notes)
                like_ratios.append(row.ratio or 0.0)
                bench.rows.append(row)
                continue
            small_ours = _ours(small, query, uris)
            _check(name, small_ours(0), base_answer)
            small_lat = time_runs(small_ours, options.runs, budget=options.budget)
            notes = f"{ours(0):,} {unit} ours, {base_answer:,} rdflib (ours holds more data); n={ours_lat.n}/{base_lat.n}"
            row_full = latency_row(SECTION, name, ours_lat, f"Oxigraph@{size}", base_lat, f"rdflib@{sub}", notes)
            notes = f"{base_answer:,} {unit} from both; like-for-like; n={small_lat.n}/{base_lat.n}"
            row_like = latency_row(SECTION, name + " (same data)", small_lat, f"Oxigraph@{sub}", base_lat,
                                   f"rdflib@{sub}", notes)  # fmt: skip
            full_ratios.append(row_full.ratio or 0.0)
            like_ratios.append(row_like.ratio or 0.0)
            bench.rows += [row_full, row_like]
        if small is not None:
            small.close()
            del small
    del graph
    bench.drop_rdflib_graph()

    like = statistics.median(like_ratios)
    sub = f"{subset.practices:,}"
    bench.rows.append(
        Row(
            SECTION,
            f"median of the four ratios (same data, {sub} practices)",
            ratio_text(like),
            ratio=like,
            notes=(
                "target at 10,000: each ≥ 5×, median ≥ 10× — "
                + ("met" if min(like_ratios) >= 5 and like >= 10 else "NOT met")
                + f" (min {ratio_text(min(like_ratios))})"
            ),
            data={"ratios": like_ratios},
        )
    )
    if full_ratios:
        full = statistics.median(full_ratios)
        bench.rows.append(
            Row(
                SECTION,
                f"median of the four ratios (ours at {dataset.size:,}, rdflib at {sub})",
                ratio_text(full),
                ratio=full,
                data={"ratios": full_ratios},
            )
        )
    log.info("section b done")


def _check(name: str, ours: int, rdflib: int) -> None:
    """Both stores must give the same answer size, or the comparison means nothing."""
    if ours != rdflib:
        log.warning("%s: ours answered %d, rdflib %d", name, ours, rdflib)
