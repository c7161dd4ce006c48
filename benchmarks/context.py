"""The state one benchmark run shares between its sections.

A run generates the synthetic catalogue once, harvests it once into a
temporary data directory (when a section needs the store), and extracts the
subset of records the in-memory baselines hold (rdflib cannot hold 100,000
records in reasonable time or memory).
"""

from __future__ import annotations

import functools
import gc
import inspect
import io
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph

from catalogue.core import Catalogue
from catalogue.settings import Settings, load_settings
from catalogue.sources import load_sources
from catalogue.uris import Uris, mint_key

from .common import Row, Stopwatch, current_rss_mb, peak_rss_mb
from .generate import KEY_PREFIX, PRACTICE_SOURCE, PROJECT_SOURCE, Dataset, generate

BASE_URI = "https://gp.example.eu"
log = logging.getLogger("benchmarks")


@dataclass(frozen=True)
class Options:
    size: int = 10_000
    seed: int = 42
    rdflib_size: int = 10_000
    whoosh_size: int = 10_000
    runs: int = 30  # timed runs per SPARQL query
    passes: int = 2  # timed passes over the full-text query set
    budget: float = 30.0  # seconds of timed runs per (engine, query) before stopping early


@dataclass
class Subset:
    """The first `practices` practice records (and every project record) of the store."""

    practices: int
    records: int  # record graphs: practices + projects
    nquads: bytes
    ntriples: bytes
    triples: int


DUMPS_BUCKET = "dumps after the harvest"
STORE_BUCKET = "store write_records (writer thread)"
OVERLAPPED = frozenset({STORE_BUCKET})


class HarvestProfile:
    """Where a harvest spends its time, without touching the catalogue's code:
    wraps a few functions and methods for the duration of the harvest (a
    wrapper costs well under a microsecond a call) and restores them after.

    Buckets: reading and validating rows (the tabular harvester), mapping to
    canonical N-Triples lines and hashing, store writes, index
    documents, index add, index commit, the dumps written after the harvest;
    the rest is the runner itself. The store writes run in the runner's
    writer thread, beside the rest (`OVERLAPPED`), so they are not summed."""

    def __init__(self, catalogue: Catalogue) -> None:
        import catalogue.core as core_module
        import catalogue.harvest as runner_module
        import catalogue.ntriples as ntriples_module
        from harvesters.tabular import TabularHarvester

        self.seconds: dict[str, float] = defaultdict(float)
        self._targets: list[tuple[Any, str, str]] = [
            (TabularHarvester, "records", "read+validate rows (harvester)"),
            (runner_module, "to_lines", "map to N-Triples lines"),
            (runner_module, "record_lines", "map to N-Triples lines"),
            (ntriples_module, "content_hash", "content hash"),
            (catalogue.store, "write_records", STORE_BUCKET),
            (catalogue.store, "record_states", "store record_states"),
            (runner_module, "practice_doc", "index documents (practice_doc)"),
            (catalogue.engine, "add", "index add"),
            (catalogue.engine, "commit", "index commit"),
            (core_module, "refresh_after_harvest", DUMPS_BUCKET),
        ]
        self._saved: list[tuple[Any, str, Any, bool]] = []

    def __enter__(self) -> HarvestProfile:
        for owner, name, bucket in self._targets:
            original = getattr(owner, name, None)
            if original is None:  # the code moved on: measure what is still there
                log.warning("harvest profile: %r has no %s any more; bucket %r left out", owner, name, bucket)
                continue
            own = name in vars(owner)
            self._saved.append((owner, name, original, own))
            wrap = self._wrap_generator if inspect.isgeneratorfunction(original) else self._wrap
            setattr(owner, name, wrap(original, bucket))
        return self

    def _wrap_generator(self, fn: Callable[..., Any], bucket: str) -> Callable[..., Any]:
        """Time each step of a generator (the harvester's records), not its creation."""
        seconds = self.seconds

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            steps = fn(*args, **kwargs)
            while True:
                start = time.perf_counter()
                try:
                    item = next(steps)
                except StopIteration:
                    return
                finally:
                    seconds[bucket] += time.perf_counter() - start
                yield item

        return timed

    def _wrap(self, fn: Callable[..., Any], bucket: str) -> Callable[..., Any]:
        seconds = self.seconds

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds[bucket] += time.perf_counter() - start

        return timed

    def __exit__(self, *exc: object) -> None:
        for owner, name, original, own in reversed(self._saved):
            if own:
                setattr(owner, name, original)
            else:  # an instance attribute we added: remove it and the class's method shows again
                delattr(owner, name)


@dataclass
class Bench:
    options: Options
    workdir: Path
    rows: list[Row] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)  # figures that are not ours-vs-baseline
    dataset: Dataset | None = None
    catalogue: Catalogue | None = None
    harvest_seconds: float | None = None
    _subset: Subset | None = None
    _graph: Graph | None = None

    def __post_init__(self) -> None:
        self.uris = Uris(BASE_URI)
        self.settings: Settings = load_settings(
            data_dir=self.workdir / "data",
            base_uri=BASE_URI,
            store="oxigraph",
            search_engine="tantivy",
            max_download_bytes=2**40,  # the generated CSV passes 100 MB (the default cap) near 70,000 rows
        )

    # --- the data -----------------------------------------------------------

    def data(self) -> Dataset:
        if self.dataset is None:
            with Stopwatch() as sw:
                self.dataset = generate(self.workdir / "source", self.options.size, self.options.seed)
            size_mb = self.dataset.practices_csv.stat().st_size / 2**20
            self.info["generate"] = {
                "seconds": round(sw.seconds, 2),
                "practices": self.options.size,
                "projects": self.dataset.project_count,
                "csv_mb": round(size_mb, 1),
                "sha256": self.dataset.digest,
            }
            log.info("generated %d practices (%.0f MB) in %.1f s", self.options.size, size_mb, sw.seconds)
        return self.dataset

    def practice_uri(self, original_id: str) -> str:
        return self.uris.practice(mint_key(KEY_PREFIX, original_id))

    def practice_graph(self, original_id: str) -> str:
        return self.uris.record(PRACTICE_SOURCE, original_id)

    def project_graph(self, grant_id: str) -> str:
        return self.uris.record(PROJECT_SOURCE, grant_id)

    # --- the catalogue ------------------------------------------------------

    def harvested(self) -> Catalogue:
        """The catalogue with the synthetic sources harvested (once) into it."""
        if self.catalogue is None:
            dataset = self.data()
            sources = load_sources(dataset.sources_toml)
            reused = (self.settings.data_dir / "store").exists()  # a kept --workdir's earlier harvest
            catalogue = Catalogue(self.settings)
            rss_before = current_rss_mb()
            with Stopwatch() as sw, HarvestProfile(catalogue) as profile:
                runs = catalogue.harvest(sources)
            self.harvest_seconds = sw.seconds
            self.catalogue = catalogue
            self.info["harvest"] = {
                "seconds": round(sw.seconds, 2),
                "rss_before_mb": round(rss_before, 0),
                "peak_rss_mb": round(peak_rss_mb(), 0),
                "breakdown_seconds": {k: round(v, 2) for k, v in profile.seconds.items()},
                "runs": [
                    {"source": r.source, "status": r.status, **r.counts.model_dump(), "errors": len(r.errors)}
                    for r in runs
                ],
            }
            failed = [(r.source, e.reason) for r in runs for e in r.errors[:3]]
            if failed:
                log.warning("harvest errors (first ones): %s", failed)
            log.info("harvested in %.1f s", sw.seconds)
            if reused and not catalogue.check().ok:
                # An index of an older layout opens empty, and an unchanged
                # harvest does not refill it: searches would find nothing.
                log.info("the kept index differs from the store: reindexed %d practices", catalogue.reindex()[0])
        return self.catalogue

    def subset(self) -> Subset:
        """The baselines' records, exported from our store as N-Quads and N-Triples."""
        if self._subset is None:
            dataset = self.data()
            store = self.harvested().store
            practices = min(self.options.size, self.options.rdflib_size)
            graphs = [self.project_graph(g) for g in dataset.project_ids]
            graphs += [self.practice_graph(i) for i in dataset.practice_ids[:practices]]
            out = io.BytesIO()
            store.export_nquads(out, graphs)
            nquads = out.getvalue()
            lines = nquads.decode("utf-8").splitlines()
            # N-Quads line: "<s> <p> o <g> ." -> drop the graph term (always last, an IRI).
            ntriples = "".join(line.rsplit(" <", 1)[0] + " .\n" for line in lines)
            self._subset = Subset(practices, len(graphs), nquads, ntriples.encode("utf-8"), len(lines))
        return self._subset

    def rdflib_graph(self) -> Graph:
        """The rdflib baseline: the subset's triples in an in-memory Graph (parsed once)."""
        if self._graph is None:
            subset = self.subset()
            gc.collect()
            rss_before = current_rss_mb()
            with Stopwatch() as sw:
                graph = Graph()
                graph.parse(data=subset.ntriples, format="nt")
            self.info["rdflib"] = {
                "records": subset.records,
                "triples": len(graph),
                "parse_seconds": sw.seconds,
                "rss_mb": round(current_rss_mb() - rss_before, 0),
            }
            self._graph = graph
        return self._graph

    def drop_rdflib_graph(self) -> None:
        self._graph = None
        gc.collect()

    def close(self) -> None:
        if self.catalogue is not None:
            self.catalogue.close()
            self.catalogue = None
