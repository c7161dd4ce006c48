"""Section k: harvest throughput per kind, from local files.

For each kind a synthetic source of `--size` records is written in the shape
the real sources have (CKAN package_search JSON with ckanext-dcat extras,
a DCAT-AP / ADMS-AP Turtle catalogue, a CORDIS project CSV with its
organisation CSV, a tabular CSV), then harvested twice:

- harvester only: the kind's module parses and maps every record to the
  application profile (`list(harvester.records())`): the part a kind owns;
- end to end: `Catalogue.harvest` into a fresh data directory: the harvester
  plus dedupe, hashing, batched Oxigraph writes and the Tantivy index.

Standalone: `python -m benchmarks.harvest_kinds --size 100000 [--kinds ckan,dcat]`.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from catalogue.core import Catalogue
from catalogue.settings import Settings
from catalogue.sources import SourceList, parse_sources
from harvesters import harvester_class
from harvesters.base import HarvestContext

from .common import Row, rate_text
from .context import DUMPS_BUCKET, HarvestProfile

SECTION = "k. harvest per kind"
log = logging.getLogger("benchmarks")
THEMES = ["digital-government", "open-data", "participation", "health", "mobility", "environment"]
COUNTRIES = ["IT", "ES", "DE", "FR", "NL", "PT", "EL", "SI"]
TARGET = 1000.0  # records/s, for ckan and dcat at 100,000


def _words(rng: random.Random, n: int) -> str:
    vocab = "public service digital citizen city region open data platform portal budget mobility health care school".split()
    return " ".join(rng.choice(vocab) for _ in range(n))


def write_ckan(folder: Path, size: int, rng: random.Random) -> str:
    packages = []
    for i in range(size):
        packages.append({
            "id": f"pkg-{i:07d}", "name": f"dataset-{i}", "title": f"{_words(rng, 4).title()} {i}",
            "notes": f"<p>{_words(rng, 40)}</p>", "state": "active", "private": False,
            "metadata_created": "2021-03-01T10:00:00", "metadata_modified": f"2024-{1 + i % 12:02d}-01T10:00:00",
            "license_id": "cc-by", "url": f"https://city{i % 500}.example.eu/services/{i}",
            "organization": {"name": f"org-{i % 300}", "title": f"Municipality {i % 300}"},
            "tags": [{"name": w} for w in _words(rng, 3).split()],
            "groups": [], "resources": [{"url": f"https://city{i % 500}.example.eu/files/{i}.csv", "format": "CSV"}],
            "extras": [{"key": "language", "value": "en"}, {"key": "spatial_uri", "value": f"http://publications.europa.eu/resource/authority/country/{['ITA', 'ESP', 'DEU'][i % 3]}"},
                       {"key": "theme", "value": json.dumps(["http://publications.europa.eu/resource/authority/data-theme/GOVE"])}],
        })  # fmt: skip
    path = folder / "ckan.json"
    path.write_text(json.dumps({"success": True, "result": {"count": size, "results": packages}}))
    return f'[[source]]\nname = "ckan"\nkind = "ckan"\nurl = "{path.name}"\n'


def write_dcat(folder: Path, size: int, rng: random.Random) -> str:
    out = io.StringIO()
    out.write("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n")
    out.write("@prefix adms: <http://www.w3.org/ns/adms#> .\n@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n")
    for i in range(size):
        theme = THEMES[i % len(THEMES)]
        out.write(
            f'<https://portal.example.eu/asset/{i}> a adms:Asset ; dct:identifier "asset-{i}" ;\n'
            f'  dct:title "{_words(rng, 4).title()} {i}"@en ; dct:description "{_words(rng, 40)}"@en ;\n'
            f"  dcat:theme <https://w3id.org/gpc/theme/{theme}> ;\n"
            f"  dct:spatial <http://publications.europa.eu/resource/authority/country/{['ITA', 'ESP', 'DEU'][i % 3]}> ;\n"
            f"  dcat:landingPage <https://city{i % 500}.example.eu/practice/{i}> ;\n"
            f'  dcat:keyword "{_words(rng, 1)}"@en, "{_words(rng, 1)}"@en ;\n'
            f'  dct:publisher [ foaf:name "Municipality {i % 300}"@en ] ;\n'
            f"  dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://city{i % 500}.example.eu/files/{i}.csv> ] .\n"
        )
    path = folder / "catalogue.ttl"
    path.write_text(out.getvalue())
    return f'[[source]]\nname = "dcat"\nkind = "dcat"\nurl = "{path.name}"\n'


def write_cordis(folder: Path, size: int, rng: random.Random) -> str:
    projects = io.StringIO()
    writer = csv.writer(projects, delimiter=";", quoting=csv.QUOTE_ALL)
    writer.writerow(["id", "acronym", "status", "title", "startDate", "endDate", "totalCost", "ecMaxContribution", "legalBasis",
                     "topics", "frameworkProgramme", "objective", "grantDoi"])  # fmt: skip
    orgs = io.StringIO()
    org_writer = csv.writer(orgs, delimiter=";")
    org_writer.writerow(["projectID", "organisationID", "name", "country", "role", "order"])
    for i in range(size):
        grant = 900000 + i
        writer.writerow([grant, f"P{i}", "CLOSED", _words(rng, 6), "2021-01-01", "2023-12-31", "1000000,5", "900000",
                         "H2020-EU.3.6.", "DT-GOVERNANCE-12-2019-2020", "H2020", f"<p>{_words(rng, 60)}</p>", f"10.3030/{grant}"])  # fmt: skip
        for n in range(3):
            org_writer.writerow([grant, 1000 + (i * 3 + n) % 5000, f"Organisation {(i * 3 + n) % 5000}", COUNTRIES[(i + n) % 8],
                                 "coordinator" if n == 0 else "participant", n + 1])  # fmt: skip
    (folder / "project.csv").write_text(projects.getvalue())
    (folder / "organization.csv").write_text(orgs.getvalue())
    return '[[source]]\nname = "cordis"\nkind = "cordis"\nurl = "project.csv"\norganizations = "organization.csv"\n'


def write_tabular(folder: Path, size: int, rng: random.Random) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "title", "summary", "theme", "country", "website"])
    for i in range(size):
        writer.writerow([f"row-{i}", f"{_words(rng, 4).title()} {i}", _words(rng, 40), THEMES[i % len(THEMES)], COUNTRIES[i % 8],
                         f"https://city{i % 500}.example.eu/p/{i}"])  # fmt: skip
    (folder / "list.csv").write_text(out.getvalue())
    return (
        '[[source]]\nname = "tabular"\nkind = "tabular"\nurl = "list.csv"\nentity = "practice"\n'
        '[source.columns]\nid = "id"\ntitle = "title"\ndescription = "summary"\nthemes = "theme"\ncountries = "country"\n'
        'landing_page = "website"\n'
    )


WRITERS: dict[str, Callable[[Path, int, random.Random], str]] = {
    "ckan": write_ckan, "dcat": write_dcat, "cordis": write_cordis, "tabular": write_tabular,
}  # fmt: skip


def measure(kind: str, size: int, workdir: Path, seed: int = 42, end_to_end: bool = True) -> dict[str, Any]:
    folder = workdir / kind
    folder.mkdir(parents=True, exist_ok=True)
    text = WRITERS[kind](folder, size, random.Random(seed))
    sources: SourceList = parse_sources(text, folder / "sources.toml")
    [source] = sources.sources
    ctx = HarvestContext(base_dir=folder, max_bytes=10**10)
    t0 = time.perf_counter()
    items = list(harvester_class(kind)(source, ctx).records())
    parse_seconds = time.perf_counter() - t0
    mapped = sum(1 for i in items if type(i).__name__ == "SourceRecord")
    del items
    result: dict[str, Any] = {"kind": kind, "records": size, "mapped": mapped, "harvester_s": parse_seconds,
                              "harvester_rate": size / parse_seconds}  # fmt: skip
    if end_to_end:
        settings = Settings(data_dir=folder / "data", base_uri="https://gp.example.eu", max_download_bytes=10**10)
        with Catalogue(settings) as cat, HarvestProfile(cat) as profile:
            t0 = time.perf_counter()
            [run] = cat.harvest(sources)
            seconds = time.perf_counter() - t0
        # End to end = map, store, index; the dumps that follow are O(store), shown apart.
        dumps = profile.seconds.get(DUMPS_BUCKET, 0.0)
        result.update({"status": run.status, "new": run.counts.new, "failed": run.counts.failed, "dumps_s": dumps,
                       "end_to_end_s": seconds - dumps, "end_to_end_rate": size / (seconds - dumps)})  # fmt: skip
    shutil.rmtree(folder, ignore_errors=True)
    return result


def run(bench: Any) -> None:
    """The section of `python -m benchmarks` (Bench from benchmarks/context.py)."""
    size = bench.options.size
    figures = bench.info.setdefault("harvest_kinds", {})
    for kind in WRITERS:
        log.info("section k: %s at %d records", kind, size)
        r = measure(kind, size, bench.workdir, bench.options.seed)
        figures[kind] = r
        target = f"; target ≥ {TARGET:,.0f} rec/s" if kind in ("ckan", "dcat") else ""
        bench.rows.append(
            Row(
                SECTION,
                f"{kind}: {size:,} records from local files",
                rate_text(r["end_to_end_rate"], "rec/s") + f" end to end ({r['end_to_end_s']:.1f} s; dumps after: {r['dumps_s']:.1f} s)",
                rate_text(r["harvester_rate"], "rec/s") + f" harvester only ({r['harvester_s']:.1f} s)",
                notes=f"end to end = parse, map, dedupe, hash, store, index; {r['new']:,} new, {r['failed']} failed{target}",
                data=r,
            )
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.harvest_kinds", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--kinds", default=",".join(WRITERS), help=f"comma list of {', '.join(WRITERS)}")
    parser.add_argument("--harvester-only", action="store_true", help="skip the end-to-end runs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="gpc-kinds-"))
    try:
        print(f"| kind | records | harvester only | end to end |\n| --- | ---: | ---: | ---: |")
        for kind in [k.strip() for k in args.kinds.split(",") if k.strip()]:
            r = measure(kind, args.size, workdir, end_to_end=not args.harvester_only)
            e2e = f"{r['end_to_end_rate']:,.0f} rec/s ({r['end_to_end_s']:.1f} s, {r['status']})" if "end_to_end_rate" in r else "-"
            print(f"| {kind} | {args.size:,} | {r['harvester_rate']:,.0f} rec/s ({r['harvester_s']:.1f} s) | {e2e} |", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
