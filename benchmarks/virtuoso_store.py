"""Section d: the same harvest-and-load and the same four SPARQL queries on
Virtuoso (the remote SPARQL 1.1 backend), side by side with embedded Oxigraph.

A throw-away Virtuoso 7 is started on loopback (installed with apt-get when
missing, as tests/virtuoso.py does for the tests). The generated catalogue is
harvested into it through `SparqlStore` exactly as into Oxigraph (tabular
harvester, mapping, hashing, batched writes, Tantivy index, the dumps
rewritten after the harvest), then the four
queries of section b run on both stores over the same full-size data. In
each row "ours" is Virtuoso and the "baseline" is Oxigraph: a ratio above 1
means Virtuoso is faster. Virtuoso answers over HTTP (SPARQLWrapper, JSON),
Oxigraph in process.
"""

from __future__ import annotations

import importlib.util
import logging
import random
import sys
from pathlib import Path
from types import ModuleType

from catalogue.core import Catalogue
from catalogue.settings import load_settings
from catalogue.sources import load_sources

from .common import Row, Stopwatch, latency_row, rate_text, time_runs
from .context import BASE_URI, DUMPS_BUCKET, STORE_BUCKET, Bench, HarvestProfile
from .sparql import _ours, queries

SECTION = "d. Virtuoso vs Oxigraph"
log = logging.getLogger("benchmarks")


def _server_module() -> ModuleType:
    """tests/virtuoso.py, the one place that knows how to run a throw-away Virtuoso."""
    path = Path(__file__).resolve().parents[1] / "tests" / "virtuoso.py"
    spec = importlib.util.spec_from_file_location("gpc_tests_virtuoso", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def run(bench: Bench) -> None:
    options = bench.options
    dataset = bench.data()
    oxigraph = bench.harvested()  # section a's harvest: the Oxigraph side
    server = _server_module().VirtuosoServer(bench.workdir / "virtuoso", buffers=340_000)
    server.start()
    try:
        settings = load_settings(
            data_dir=bench.workdir / "data-virtuoso", base_uri=BASE_URI, search_engine="tantivy",
            max_download_bytes=2**40, store_timeout=600, **server.settings(),
        )  # fmt: skip
        records = dataset.size + dataset.project_count
        with Catalogue(settings) as virtuoso:
            with Stopwatch() as sw, HarvestProfile(virtuoso) as profile:
                runs = virtuoso.harvest(load_sources(dataset.sources_toml))
            writes, dumps = profile.seconds.get(STORE_BUCKET, 0.0), profile.seconds.get(DUMPS_BUCKET, 0.0)
            failed = sum(r.counts.failed for r in runs)
            staged = getattr(virtuoso.store, "graph_store_url", None)
            path = "staged (Graph Store POST + one SPARQL Update per batch)" if staged else "SPARQL Update only"
            rate = records / sw.seconds
            ox_seconds = bench.harvest_seconds or 0.0
            ox_rate = records / ox_seconds if ox_seconds else 0.0
            bench.info["virtuoso"] = {"harvest_seconds": round(sw.seconds, 2), "records_per_s": round(rate, 1),
                                      "failed": failed, "write_path": path,
                                      "breakdown_seconds": {k: round(v, 2) for k, v in profile.seconds.items()}}  # fmt: skip
            bench.rows.append(
                Row(
                    SECTION,
                    f"harvest+load records/s ({records:,} records)",
                    rate_text(rate, "rec/s") + f" (Virtuoso, {sw.seconds:.1f} s)",
                    rate_text(ox_rate, "rec/s") + f" (Oxigraph, {ox_seconds:.1f} s)",
                    ratio=rate / ox_rate if ox_rate else None,
                    notes=(
                        f"same harvest, index and dumps included; Virtuoso writes {path}: "
                        f"store writes {writes:.0f} s ({records / writes if writes else 0:,.0f} rec/s, beside the rest), "
                        f"dumps {dumps:.0f} s; {failed} failed"
                    ),
                    data={"virtuoso_records_per_s": rate, "oxigraph_records_per_s": ox_rate},
                )
            )
            log.info("virtuoso: harvested %d records in %.1f s (%d failed)", records, sw.seconds, failed)

            rng = random.Random(options.seed)
            theme = dataset.themes_by_frequency[0]
            country = dataset.country_weights[0][0]
            sample = rng.sample(dataset.practice_ids, min(dataset.size, options.runs + 3))
            uris = [bench.practice_uri(i) for i in sample]
            size = f"{dataset.size:,}"
            for name, query in queries(theme, country).items():
                unit = "triples" if callable(query) else "rows"
                on_virtuoso = _ours(virtuoso.store, query, uris)
                on_oxigraph = _ours(oxigraph.store, query, uris)
                answers = (on_virtuoso(0), on_oxigraph(0))
                v_lat = time_runs(on_virtuoso, options.runs, budget=options.budget)
                o_lat = time_runs(on_oxigraph, options.runs, budget=options.budget)
                notes = f"{answers[0]:,} / {answers[1]:,} {unit}; n={v_lat.n}/{o_lat.n}"
                if answers[0] != answers[1]:
                    log.warning("%s: Virtuoso answered %d, Oxigraph %d", name, *answers)
                bench.rows.append(latency_row(SECTION, name, v_lat, f"Virtuoso@{size}", o_lat, f"Oxigraph@{size}", notes))
    finally:
        server.remove()
    log.info("section d done")
