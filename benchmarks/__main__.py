"""`python -m benchmarks --size N`: measure the catalogue against its baselines.

Prints one Markdown table (ours, baseline, ratio) with the machine at the
top; `--out FILE` also writes every figure as JSON. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import Row, cpu_probe, markdown_table, machine, peak_rss_mb, row_dict
from .context import Bench, Options

SECTIONS = {
    "harvest": "a. harvest-and-load throughput (ours vs rdflib parse)",
    "sparql": "b. four catalogue SPARQL queries (ours vs rdflib in memory)",
    "fulltext": "c. full-text search (Tantivy, Whoosh vs SQLite FTS5)",
    "virtuoso": "d. the same load and four SPARQL queries on Virtuoso, side by side with Oxigraph",
    "kinds": "k. harvest throughput per source kind, from local files (harvester only, and end to end)",
    "endpoint": "e. the SPARQL endpoint over HTTP: throughput and the four queries' latency",
    "site": "s. the site: static build rate, incremental rebuild, server throughput (practice page, faceted search)",
    "api": "f. GET /api/v1/search over loopback (faceted, filtered, browse) against the query layer in process",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="practices in the synthetic catalogue (default 10000)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the generator and the query choices (default 42)")
    parser.add_argument("--rdflib-size", type=int, default=10_000,
                        help="most practices the rdflib baseline holds (default 10000)")  # fmt: skip
    parser.add_argument("--whoosh-size", type=int, default=10_000,
                        help="most documents the Whoosh index is built with (default 10000: it builds at ~100 docs/s)")  # fmt: skip
    parser.add_argument("--only", default="", help=f"comma list of sections to run: {', '.join(SECTIONS)} (default all)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per SPARQL query (default 30)")
    parser.add_argument("--passes", type=int, default=2, help="timed passes over the full-text queries (default 2)")
    parser.add_argument("--budget", type=float, default=30.0,
                        help="seconds of timed runs per SPARQL query (and per full-text query kind and pass) before stopping early (default 30)")  # fmt: skip
    parser.add_argument("--out", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--workdir", type=Path, help="keep the generated data and stores here (default: a temporary directory, removed)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress messages on stderr")
    args = parser.parse_args(argv)
    wanted = [s.strip() for s in args.only.split(",") if s.strip()] or list(SECTIONS)
    unknown = [s for s in wanted if s not in SECTIONS]
    if unknown:
        parser.error(f"--only: unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    if args.size < 1:
        parser.error("--size must be at least 1")
    args.sections = [s for s in SECTIONS if s in wanted]
    return args


def header(bench: Bench, info: dict[str, Any]) -> str:
    libs = ", ".join(f"{k} {v}" for k, v in info["libraries"].items())
    o = bench.options
    lines = [
        f"# Catalogue benchmarks: {o.size:,} practices",
        "",
        f"- machine: {info['cores']} cores ({info['cpu'] or 'unknown CPU'}), {info['memory']}, {info['platform']}",
        f"- Python {info['python']}; {libs}",
        f"- load average (1 min) {bench.info.get('load_start', 0):.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
        " (other processes on the machine skew the figures)",
        f"- CPU probe (a fixed single-core workload, lower is faster): {bench.info.get('probe_start_ms', 0):.0f} ms"
        f" at the start, {bench.info.get('probe_end_ms', 0):.0f} ms at the end (a shared virtual machine's speed varies"
        " from minute to minute: compare runs with similar probes)",
        f"- seed {o.seed}; rdflib baseline at ≤ {o.rdflib_size:,} practices; Whoosh at ≤ {o.whoosh_size:,} documents;"
        f" SPARQL {o.runs} timed runs per query; full text {o.passes} timed passes",
    ]
    return "\n".join(lines)


def targets(bench: Bench) -> list[str]:
    """The issue's targets, checked where this run measured them."""
    out = []
    harvest = bench.info.get("harvest", {})
    if "records_per_s" in harvest:
        rate = harvest["records_per_s"]
        ok = "met" if rate >= 1000 else "NOT met"
        out.append(f"- harvest-and-load ≥ 1,000 records/s (at 100,000): {rate:,.0f} rec/s at {bench.options.size:,} — {ok}")
    faceted = next(
        (r for r in bench.rows if r.measure.startswith("tantivy: faceted") and f"@{bench.options.size:,}" in r.ours),
        None,
    )
    if faceted is not None:
        median = faceted.data["ours"]["median_ms"]
        ok = "met" if median < 5 else "NOT met"
        out.append(f"- Tantivy faceted median < 5 ms (at 100,000): {median:.2f} ms at {bench.options.size:,} — {ok}")
        p95 = faceted.data["ours"]["p95_ms"]
        ok = "met" if p95 < 20 else "NOT met"
        out.append(f"- Tantivy faceted p95 < 20 ms (at 100,000): {p95:.2f} ms at {bench.options.size:,} — {ok}")
    api = next((r for r in bench.rows if r.measure.startswith("GET /api/v1/search, faceted (")), None)
    if api is not None:
        median = api.data["ours"]["median_ms"]
        ok = "met" if median < 15 else "NOT met"
        out.append(
            f"- GET /api/v1/search faceted median < 15 ms over loopback (at 100,000): "
            f"{median:.2f} ms at {bench.options.size:,} — {ok}"
        )
    sparql = next((r for r in bench.rows if r.measure.startswith("median of the four ratios (same data")), None)
    if sparql is not None:
        out.append(f"- SPARQL ≥ 5× rdflib on each query, ≥ 10× median (at 10,000): {sparql.notes}")
    for kind in ("ckan", "dcat"):
        figures = bench.info.get("harvest_kinds", {}).get(kind)
        if figures:
            rate = figures["harvester_rate"]
            ok = "met" if rate >= 1000 else "NOT met"
            out.append(
                f"- {kind} harvest ≥ 1,000 records/s from local files (at 100,000): harvester {rate:,.0f} rec/s, "
                f"end to end {figures['end_to_end_rate']:,.0f} rec/s at {bench.options.size:,} — {ok}"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(asctime)s %(message)s",
                        datefmt="%H:%M:%S", stream=sys.stderr)  # fmt: skip
    options = Options(
        size=args.size, seed=args.seed, rdflib_size=args.rdflib_size, whoosh_size=args.whoosh_size,
        runs=args.runs, passes=args.passes, budget=args.budget,
    )  # fmt: skip
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="gpc-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    bench = Bench(options, workdir)
    info = machine()
    bench.info["load_start"] = os.getloadavg()[0]
    bench.info["probe_start_ms"] = round(cpu_probe(), 1)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        for name in args.sections:
            logging.getLogger("benchmarks").info("section %s: %s", name, SECTIONS[name])
            t0 = time.perf_counter()
            try:
                importlib.import_module(f"benchmarks.{_MODULES[name]}").run(bench)
            except KeyboardInterrupt:  # Ctrl-C: stop, but print what was measured
                logging.getLogger("benchmarks").warning("interrupted in section %s", name)
                bench.rows.append(Row(name, "INTERRUPTED", ""))
                break
            except Exception as exc:  # report the others' figures all the same
                logging.getLogger("benchmarks").exception("section %s failed", name)
                bench.rows.append(Row(name, "SECTION FAILED", f"{type(exc).__name__}: {exc}"))
            timings[name] = time.perf_counter() - t0
    finally:
        bench.close()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    total = time.perf_counter() - started
    bench.info["probe_end_ms"] = round(cpu_probe(), 1)

    print(header(bench, info))
    print()
    print(markdown_table(bench.rows))
    print()
    print("Ratios: above 1 means ours is better (latency: baseline time / ours; throughput: ours / baseline).")
    print("Latencies are median / p95.")
    checks = targets(bench)
    if checks:
        print()
        print("Targets of the issue:")
        print("\n".join(checks))
    print()
    gen = bench.info.get("generate", {})
    spent = ", ".join(f"{k} {v:,.0f} s" for k, v in timings.items())
    print(
        f"Wall time {total:,.0f} s ({spent}; generating {gen.get('seconds', 0):,.0f} s for "
        f"{gen.get('csv_mb', 0)} MB of CSV, included in the first section). Peak RSS {peak_rss_mb():,.0f} MB."
    )
    if args.out:
        result = {
            "machine": info,
            "options": vars(options),
            "rows": [row_dict(r) for r in bench.rows],
            "info": bench.info,
            "seconds": {"total": total, **timings},
            "peak_rss_mb": peak_rss_mb(),
        }
        args.out.write_text(json.dumps(result, indent=2, default=_json_default), encoding="utf-8")
    return 0


_MODULES = {"harvest": "harvest_load", "sparql": "sparql", "fulltext": "fulltext", "virtuoso": "virtuoso_store", "kinds": "harvest_kinds"}
_MODULES["endpoint"] = "sparql_endpoint"  # issue 5
_MODULES["site"] = "site"  # issue 6
_MODULES["api"] = "api_search"  # issue 4


def _json_default(value: object) -> object:
    return str(value)  # paths and anything else without a JSON form

if __name__ == "__main__":
    sys.exit(main())
