"""Section a: harvest-and-load throughput.

Ours: the real `Catalogue(settings).harvest(sources)` over the generated CSV
files: the tabular harvester reads and validates every row, the runner maps it
to triples, hashes it, writes it to the on-disk Oxigraph store in batches and
feeds the Tantivy index. Rate = harvested records / wall time.

Baseline: rdflib's in-memory `Graph().parse(format="nt")` of the same records'
triples (exported from our store), capped at `--rdflib-size` practices because
rdflib needs ~164 s and 3 GB at 100,000. It only parses: no mapping, no
validation, no index, no disk. A reference row gives Oxigraph's own
`bulk_load` of the same N-Quads (store only, no transaction).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from catalogue.store.oxigraph import OxigraphStore

from .common import Row, Stopwatch, dir_size_mb, peak_rss_mb, rate_text
from .context import DUMPS_BUCKET, OVERLAPPED, Bench

SECTION = "a. harvest+load"
log = logging.getLogger("benchmarks")


def run(bench: Bench) -> None:
    dataset = bench.data()
    catalogue = bench.harvested()
    assert bench.harvest_seconds is not None
    records = dataset.size + dataset.project_count
    breakdown = dict(bench.info["harvest"].get("breakdown_seconds", {}))
    # The figure is map, store, index; the dumps that follow every
    # changing harvest are O(store) and shown beside it.
    dumps_seconds = breakdown.get(DUMPS_BUCKET, 0.0)
    ours_rate = records / (bench.harvest_seconds - dumps_seconds)
    with_dumps_rate = records / bench.harvest_seconds
    store_mb = dir_size_mb(bench.settings.store_dir)
    index_mb = dir_size_mb(bench.settings.index_dir)
    quads = len(catalogue.store.oxigraph)  # type: ignore[attr-defined]
    harvest_info = bench.info["harvest"]
    harvest_info.update(
        {"records": records, "records_per_s": round(ours_rate, 1), "records_per_s_with_dumps": round(with_dumps_rate, 1), "quads": quads,
         "store_mb": round(store_mb, 1), "index_mb": round(index_mb, 1)}
    )  # fmt: skip

    subset = bench.subset()
    bench.rdflib_graph()
    parsed = bench.info["rdflib"]
    rdflib_rate = subset.records / parsed["parse_seconds"]
    rdflib_rss, triples = parsed["rss_mb"], parsed["triples"]

    capped = subset.practices < dataset.size
    cap_note = f"; rdflib capped at {subset.practices:,} practices (--rdflib-size)" if capped else ""
    row = Row(
        SECTION,
        f"harvest+load records/s ({dataset.size:,} practices + {dataset.project_count} projects)",
        rate_text(ours_rate, "rec/s") + f" ({bench.harvest_seconds - dumps_seconds:.1f} s; {with_dumps_rate:,.0f} rec/s "
        f"with the dumps, {dumps_seconds:.1f} s)",
        rate_text(rdflib_rate, "rec/s") + f" (rdflib Graph.parse nt, {subset.records:,} records, {parsed['parse_seconds']:.1f} s)",
        ratio=ours_rate / rdflib_rate,
        notes=(
            f"ours: map+validate+hash+store+index (dumps after), {quads:,} quads, store {store_mb:,.0f} MB, index "
            f"{index_mb:,.0f} MB; rdflib: parse only, {triples:,} triples, +{rdflib_rss:,.0f} MB RSS{cap_note}"
        ),
        data={"ours_records_per_s": ours_rate, "rdflib_records_per_s": rdflib_rate,
              "rdflib_records": subset.records, "rdflib_seconds": parsed["parse_seconds"], "rdflib_rss_mb": rdflib_rss},
    )  # fmt: skip
    bench.rows.append(row)

    if breakdown:
        # Buckets nest in one place: the harvester's rows are read inside the runner's loop;
        # the store writes overlap the rest in the writer thread, so they are left out of the
        # sum, and the rest is the runner's own work (records, pydantic, loop, waiting for the store).
        rest = bench.harvest_seconds - sum(v for k, v in breakdown.items() if k not in OVERLAPPED)
        breakdown["runner and the rest"] = rest
        parts = sorted(breakdown.items(), key=lambda kv: -kv[1])
        bench.rows.append(
            Row(
                SECTION,
                "where the harvest time goes",
                " · ".join(f"{name} {secs:.1f} s ({100 * secs / bench.harvest_seconds:.0f}%)" for name, secs in parts),
                notes="measured by wrapping those functions during the harvest (benchmarks/context.py)",
                data={"seconds": breakdown},
            )
        )

    # Reference: Oxigraph's bulk loader on the same subset (store only).
    with tempfile.TemporaryDirectory(dir=bench.workdir) as tmp:
        store = OxigraphStore(Path(tmp) / "store")
        with Stopwatch() as bulk:
            store.bulk_load_nquads(subset.nquads)
        store.close()
    bulk_rate = subset.records / bulk.seconds
    bench.rows.append(
        Row(
            SECTION,
            "reference: Oxigraph bulk_load of the same records (store only)",
            rate_text(bulk_rate, "rec/s") + f" ({subset.records:,} records, {bulk.seconds:.2f} s)",
            rate_text(rdflib_rate, "rec/s") + " (rdflib parse)",
            ratio=bulk_rate / rdflib_rate,
            notes="no mapping, validation, hashing, transaction or index: an upper bound for the store write",
            data={"records_per_s": bulk_rate},
        )
    )
    peak = peak_rss_mb()
    bench.rows.append(
        Row(
            SECTION,
            "peak RSS of the process",
            f"{harvest_info['peak_rss_mb']:,.0f} MB after the harvest",
            f"rdflib graph of {subset.records:,} records: +{rdflib_rss:,.0f} MB",
            notes=f"{peak:,.0f} MB after this section (resource.getrusage ru_maxrss)",
            data={"after_harvest_mb": harvest_info["peak_rss_mb"], "after_section_mb": peak},
        )
    )
    log.info("section a done: %.0f rec/s (rdflib %.0f rec/s)", ours_rate, rdflib_rate)
