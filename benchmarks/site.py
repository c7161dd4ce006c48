"""Section s: the site. Static build rate, incremental rebuild, and the
server's throughput for a practice page and a faceted search.

- **build**: `catalogue build-site` over the harvested catalogue (every
  practice, project, organisation, country and theme page, with the JSON and
  RDF twins) in `SITE_LANGUAGES` and `os.cpu_count()` worker processes;
  HTML pages per second. One language is the worst case per page: the
  loading of each entity is shared by fewer pages.
- **incremental**: one practice's description changed in the store and the
  index, then the same build again: seconds, and pages rendered. Also the
  build with nothing changed (the fixed cost: the change query, the
  manifest).
- **server**: the real app under uvicorn in its own process (store read-only),
  loaded over loopback by wrk (Debian's) when it is installed, else by a
  Python client with keep-alive connections; requests/s for practice pages
  (rotating over 200 practices) and for faceted searches (the HTML search
  page: a word plus a theme and a country, rotating), at 4 connections.
"""

from __future__ import annotations

import logging
import os
import random
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .common import Latency, Row, rate_text
from .context import Bench
from .http_load import app_server, load

SECTION = "s. site"
SITE_LANGUAGES = ("en",)
CONNECTIONS = 4
SECONDS = 8.0
log = logging.getLogger("benchmarks")


# --- static build ---------------------------------------------------------------------


def _change_one(bench: Bench, practice_uri: str) -> None:
    """Edit one practice's description where a harvest would: its record graph
    (with a new dcterms:modified) and its index document."""
    from datetime import UTC, datetime

    from rdflib import Literal, URIRef
    from rdflib.namespace import DCTERMS, FOAF, XSD

    from catalogue import ntriples
    from catalogue.indexing import IndexFeeder
    from catalogue.store import RecordWrite

    cat = bench.harvested()
    rows = cat.store.select(
        f"SELECT ?g WHERE {{ GRAPH ?g {{ ?g <{FOAF.primaryTopic}> <{practice_uri}> }} }}"
    )
    graph_uri = str(rows[0]["g"])
    graph = cat.store.get_record(graph_uri)
    assert graph is not None
    subject = URIRef(practice_uri)
    for old in list(graph.objects(subject, DCTERMS.description)):
        graph.remove((subject, DCTERMS.description, old))
        graph.add((subject, DCTERMS.description, Literal(f"{old} (revised for the benchmark)", lang=old.language)))
    record = URIRef(graph_uri)
    graph.remove((record, DCTERMS.modified, None))
    graph.add((record, DCTERMS.modified, Literal(datetime.now(UTC).isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime)))
    cat.store.write_records([RecordWrite(graph_uri, ntriples.lines(list(graph)))])
    feeder = IndexFeeder(cat.store, cat.engine, cat.uris)
    cat.engine.add([d for d in feeder.docs_from_store(only=[practice_uri]) if not isinstance(d, Exception)])
    cat.engine.commit()


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the build's workers)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _build(bench: Bench, out: Path) -> None:
    from catalogue.sitebuild import BuildOptions, build_site

    cat = bench.harvested()
    jobs = os.cpu_count() or 1
    options = BuildOptions(out=out, languages=SITE_LANGUAGES, jobs=jobs)
    cpu_before, load_before = _cpu_seconds(), os.getloadavg()[0]
    full = build_site(cat, options)
    cpu = _cpu_seconds() - cpu_before
    # Cores the build kept busy on average: well under `jobs` while other
    # processes share the machine (the workers wait for a CPU, not for a lock).
    busy = cpu / full.seconds if full.seconds else 0.0
    load = f"load {load_before:.1f} to {os.getloadavg()[0]:.1f}"
    files = sum(1 for p in out.rglob("*") if p.is_file())
    size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
    manifest_mb = (out / ".build-manifest.sqlite").stat().st_size / 2**20
    bench.rows.append(
        Row(SECTION, f"static build, {', '.join(SITE_LANGUAGES)}, {jobs} processes",
            rate_text(full.pages_per_second, "pages/s"),
            notes=f"{full.pages:,} HTML pages in {full.seconds:,.1f} s; {full.pages / cpu:,.0f} pages per CPU-second "
                  f"(this process and its workers: the rate an idle core gives); {busy:.1f} cores busy on average "
                  f"({load}); {files:,} files, {size_mb:,.0f} MB (manifest {manifest_mb:,.1f} MB); target ≥ 500 pages/s",
            data={"pages_per_s": full.pages_per_second, "pages": full.pages, "seconds": full.seconds,
                  "pages_per_cpu_s": full.pages / cpu, "cores_busy": busy, "load_start": load_before,
                  "files": files, "mb": size_mb, "manifest_mb": manifest_mb})
    )  # fmt: skip
    idle = build_site(cat, options)
    bench.rows.append(
        Row(SECTION, "rebuild, nothing changed", f"{idle.seconds:.2f} s",
            notes=f"{idle.pages} pages rendered (change query + manifest)", data={"seconds": idle.seconds})
    )  # fmt: skip
    practice = bench.practice_uri(bench.data().practice_ids[len(bench.data().practice_ids) // 2])
    _change_one(bench, practice)
    one = build_site(cat, options)
    ok = "met" if one.seconds < 2 else "NOT met"
    bench.rows.append(
        Row(SECTION, "rebuild after one changed practice", f"{one.seconds:.2f} s",
            notes=f"{one.pages} pages rendered, {one.files_written} files written; target < 2 s: {ok}",
            data={"seconds": one.seconds, "pages": one.pages, "files_written": one.files_written})
    )  # fmt: skip
    bench.info["site_build"] = {"pages_per_s": full.pages_per_second, "incremental_s": one.seconds, "idle_s": idle.seconds}
    ids = bench.data().practice_ids
    _change_one(bench, bench.practice_uri(ids[len(ids) // 3]))
    _command_rebuild(bench, out, jobs)


def _command_rebuild(bench: Bench, out: Path, jobs: int) -> None:
    """`catalogue build-site` in a process of its own after one more changed
    practice: what a cron job pays (imports, templates and vocabularies
    loaded again), where the row above reuses this process's warm caches."""
    import json
    import resource
    import sys
    import time

    cat = bench.harvested()
    cat.store.flush()  # a read-only open would replay an unflushed log
    env = {**os.environ, "CATALOGUE_DATA_DIR": str(cat.settings.data_dir), "CATALOGUE_BASE_URI": cat.settings.base_uri}
    command = [sys.executable, "-m", "catalogue.cli", "build-site", str(out), "--languages", ",".join(SITE_LANGUAGES),
               "--jobs", str(jobs), "--json"]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600, check=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    report = json.loads(done.stdout)
    ok = "met" if seconds < 2 else "NOT met"
    bench.rows.append(
        Row(SECTION, "rebuild after one changed practice, new process", f"{seconds:.2f} s",
            notes=f"`catalogue build-site` (start-up included: imports, templates, vocabularies): {report['pages']} pages "
                  f"rendered, {report['files_written']} files written, {report['seconds']:.2f} s in the build itself, "
                  f"{cpu:.2f} CPU-s; target < 2 s: {ok}",
            data={"seconds": seconds, "build_seconds": report["seconds"], "pages": report["pages"], "cpu_s": cpu})
    )  # fmt: skip


# --- the server under load -----------------------------------------------------------------


_LUA = """paths = {%s}
i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def _wrk(port: int, paths: list[str], seconds: float) -> tuple[float, Latency, str]:
    wrk = shutil.which("wrk")
    assert wrk is not None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_LUA % ", ".join(f'"{p}"' for p in paths))
    try:
        done = subprocess.run(
            [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{int(seconds)}s", "--latency", "-s", script.name, f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    latency = Latency()
    for pct in ("50", "90", "99"):
        found = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", done.stdout)
        if found:
            value = float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]
            latency.samples.append(value)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error responses")
    return rate, latency, "wrk"


def _python_load(port: int, paths: list[str], seconds: float) -> tuple[float, Latency, str]:
    rate, latency = load(port, lambda i: paths[i % len(paths)], CONNECTIONS, seconds)
    return rate, latency, "Python client"


def _load(port: int, paths: list[str], seconds: float) -> tuple[float, Latency, str]:
    return _wrk(port, paths, seconds) if shutil.which("wrk") else _python_load(port, paths, seconds)


def _server(bench: Bench) -> None:
    dataset = bench.data()
    rng = random.Random(bench.options.seed + 6)
    keys = [bench.practice_uri(i).rsplit("/", 1)[-1] for i in rng.sample(dataset.practice_ids, min(200, len(dataset.practice_ids)))]
    practice_paths = [f"/practice/{k}" for k in keys]
    words = ("digital", "service", "data", "citizens", "participation", "platform", "open", "health")
    themes = dataset.themes_by_frequency[:5]
    countries = [c for c, _w in dataset.country_weights[:5]]
    search_paths = [f"/search?q={rng.choice(words)}&theme={rng.choice(themes)}&country={rng.choice(countries)}" for _ in range(200)]
    # The server keeps rendered pages until the next harvest, so the first two
    # rows mostly measure that cache. In the "not cached" rows no path comes
    # twice: practice pages with a parameter they ignore, every combination
    # of the searches' words, filters and sort orders.
    fresh = [f"{path}?fresh={n}" for n in range(50) for path in practice_paths]
    fresh_search = [f"/search?q={w}&theme={t}&country={c}&sort={s}&page={p}&lang={lang}" for w in words for t in themes
                    for c in countries for s in ("relevance", "newest", "title") for p in (1, 2)
                    for lang in ("en", "fr", "de", "it", "es")]  # fmt: skip
    rng.shuffle(fresh_search)
    settings = {"data_dir": str(bench.settings.data_dir), "base_uri": bench.settings.base_uri}
    with app_server(settings, "bench-site-server") as port:
        _python_load(port, practice_paths[:20] + search_paths[:20], 2.0)  # warm up
        for label, paths in (("practice page", practice_paths), ("faceted search page", search_paths),
                             ("practice page, not cached", fresh), ("faceted search page, not cached", fresh_search)):  # fmt: skip
            rate, latency, tool = _load(port, paths, SECONDS)
            bench.rows.append(
                Row(SECTION, f"server: {label}, {CONNECTIONS} connections", rate_text(rate, "requests/s"),
                    notes=f"{tool} over loopback, {SECONDS:.0f} s; median {latency.median:.1f} ms; "
                          f"uvicorn, one process, store read-only",
                    data={"requests_per_s": rate, "tool": tool, **latency.summary()})
            )  # fmt: skip
            bench.info.setdefault("site_server", {})[label] = rate


def run(bench: Bench) -> None:
    out = bench.workdir / "site"
    try:
        _build(bench, out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    _server(bench)
