"""Every kind harvested into a real store over loopback HTTP, twice; the
failure modes of a portal leave the catalogue as it was; one project seen by
two kinds is one project with two catalogue records."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from catalogue.core import Catalogue
from catalogue.sources import SourceList, parse_sources

from test_ckan_harvester import recorded  # tests/harvesters is on sys.path (its conftest)
from test_sparql_harvester import eurio_triples

Portal = Any  # the `portal` fixture (tests/harvesters/conftest.py)

IPSX = """
[source.columns]
id = "id"
title = "name"
description = "description"
landing_page = "url"
countries = "geocoverage_codes"
organisation = "lead_organisation_name"
"""

HYDRA_PAGE = """@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<{url}/page{n}.ttl> a hydra:PagedCollection ; hydra:totalItems 4 {next} .
<https://src.example/p/{n}a> a <http://www.w3.org/ns/adms#Asset> ; <http://purl.org/dc/terms/title> "Practice {n}a"@en ;
    <http://www.w3.org/ns/dcat#distribution> [ a <http://www.w3.org/ns/dcat#Distribution> ; <http://www.w3.org/ns/dcat#accessURL> <https://src.example/files/{n}a.csv> ] .
<https://src.example/p/{n}b> a <http://www.w3.org/ns/adms#Asset> ; <http://purl.org/dc/terms/title> "Practice {n}b"@en .
"""


def sources_file(folder: Path, text: str) -> SourceList:
    return parse_sources(text, folder / "sources.toml")


def every_kind(portal: Portal, shared: Path) -> str:
    portal.packages = recorded(shared)
    shutil.copy(shared / "cordis/h2020_projects_openaire_sample.json", portal.folder / "projects.json")
    shutil.copy(shared / "practices/ips-x/11-cases-amsterdam-algorithm-register.json", portal.folder / "cases.json")
    for n in (1, 2):
        nxt = f'; hydra:next <{portal.url}/page2.ttl>' if n == 1 else ""
        (portal.folder / f"page{n}.ttl").write_text(HYDRA_PAGE.format(url=portal.url, n=n, next=nxt))
    projects = json.loads((shared / "cordis/h2020_projects_openaire_sample.json").read_text())
    portal.store.load(eurio_triples(projects[:5]).encode(), format=ox.RdfFormat.TURTLE)
    common = "request_interval = 0\n"
    return f"""
[[source]]
name = "ckan-portal"
kind = "ckan"
url = "{portal.url}"
rows = 5
{common}
[[source]]
name = "dcat-paged"
kind = "dcat"
url = "{portal.url}/page1.ttl"
{common}
[[source]]
name = "cordis-files"
kind = "cordis"
url = "{portal.url}/projects.json"
{common}
[[source]]
name = "cordis-kg"
kind = "sparql"
url = "{portal.url}/sparql"
preset = "cordis"
{common}
[[source]]
name = "ipsx"
kind = "tabular"
url = "{portal.url}/cases.json"
entity = "practice"
{common}{IPSX}"""


def export(cat: Catalogue) -> bytes:
    out = io.BytesIO()
    rows = cat.store.select("SELECT ?g WHERE { GRAPH ?g { ?g a <http://www.w3.org/ns/dcat#CatalogRecord> } }")
    cat.store.export_nquads(out, [str(r["g"]) for r in rows])
    return out.getvalue()


def test_every_kind_over_http_twice(portal: Portal, shared_fixtures: Path, tmp_path: Path, make_catalogue: Callable[..., Catalogue]) -> None:
    sources = sources_file(tmp_path, every_kind(portal, shared_fixtures))
    cat = make_catalogue()
    first = {r.source: r for r in cat.harvest(sources)}
    assert {n: (r.status, r.counts.new) for n, r in first.items()} == {
        "ckan-portal": ("ok", 14), "dcat-paged": ("ok", 4), "cordis-files": ("ok", 19), "cordis-kg": ("ok", 5), "ipsx": ("ok", 4),
    }  # fmt: skip
    for run in first.values():  # counts a person can reconcile
        c = run.counts
        assert c.seen == c.new + c.changed + c.unchanged + c.failed + c.skipped
    # The source's own triples are kept in the record graph, blank nodes named stably.
    assert cat.store.ask(
        "ASK { GRAPH ?g { ?p <http://www.w3.org/ns/dcat#distribution> ?d . ?d <http://www.w3.org/ns/dcat#accessURL> <https://src.example/files/1a.csv> } }"
    )
    # Projects from the CORDIS files and the CORDIS knowledge graph are the same projects.
    assert int(str(cat.store.select("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <https://w3id.org/gpc/ns#Project> }")[0]["n"])) == 19
    before = export(cat)
    second = {r.source: r for r in cat.harvest(sources)}
    assert all(r.counts.new == r.counts.changed == r.counts.withdrawn == 0 for r in second.values()), second
    assert second["dcat-paged"].counts.unchanged == 4
    assert second["cordis-files"].counts.unchanged == 19  # a 304: not even downloaded again
    assert any("if-none-match" in h for m, p, h in portal.requests if p == "/projects.json")
    assert second["ckan-portal"].counts.seen == 0  # incremental: nothing modified since
    assert export(cat) == before
    full = {r.source: r for r in cat.harvest(sources, full=True)}
    assert full["ckan-portal"].counts.unchanged == 14 and full["ipsx"].counts.unchanged == 4
    assert export(cat) == before
    assert cat.check().ok


def test_portal_failures_are_reported_and_nothing_is_lost(
    portal: Portal, shared_fixtures: Path, tmp_path: Path, make_catalogue: Callable[..., Catalogue]
) -> None:
    portal.packages = recorded(shared_fixtures)
    shutil.copy(shared_fixtures / "ckanext-dcat-examples/dcat/dataset.rdf", portal.folder / "c.rdf")

    def sources(dcat_url: str = f"{portal.url}/c.rdf") -> SourceList:
        return sources_file(tmp_path, f"""
[[source]]
name = "ckan"
kind = "ckan"
url = "{portal.url}"
rows = 5
request_interval = 0
[[source]]
name = "dcat"
kind = "dcat"
url = "{dcat_url}"
request_interval = 0
""")

    cat = make_catalogue(max_download_bytes=200_000)
    assert [r.status for r in cat.harvest(sources())] == ["ok", "ok"]
    before = export(cat)

    # One page answers 500 however often it is asked: the source fails, nothing is withdrawn.
    portal.fail_always.add("start=5")
    [run] = cat.harvest(sources(), ["ckan"], full=True)
    assert run.status == "failed" and "HTTP 500" in run.errors[-1].reason and "after 4 attempts" in run.errors[-1].reason
    assert run.counts.withdrawn == 0
    portal.fail_always.clear()
    assert export(cat) == before

    # A malformed record fails alone, with its URL, and keeps its last good version.
    broken = next(p for p in portal.packages if p["id"] == "62513382-3b26-4bc8-9096-40b6ce8383c0")
    broken["title"] = "   "
    [run] = cat.harvest(sources(), ["ckan"], full=True)
    assert (run.status, run.counts.failed, run.counts.unchanged, run.counts.withdrawn) == ("partial", 1, 13, 0)
    [error] = run.errors
    assert error.original_url == f"{portal.url}/dataset/100-validated-species-of-plants" and "title" in error.reason
    assert export(cat) == before

    # An oversized body, and a redirect to a local file: clear reasons, nothing lost.
    (portal.folder / "big.ttl").write_text("# " + "x" * 300_000)
    [run] = cat.harvest(sources(f"{portal.url}/big.ttl"), ["dcat"])
    assert run.status == "failed" and "larger than the cap of 200000 bytes" in run.errors[-1].reason
    [run] = cat.harvest(sources(f"{portal.url}/redirect?to=file:///etc/passwd"), ["dcat"])
    assert run.status == "failed"
    assert "refused a redirect (302) to 'file:///etc/passwd'" in run.errors[-1].reason
    assert export(cat) == before
    assert cat.check().ok


def test_one_cordis_project_from_files_and_ckan_is_one_project(
    portal: Portal, shared_fixtures: Path, tmp_path: Path, make_catalogue: Callable[..., Catalogue]
) -> None:
    shutil.copy(shared_fixtures / "cordis/h2020_projects_openaire_sample.json", portal.folder / "projects.json")
    portal.packages = [
        {"id": "p1", "name": "starlink", "title": "StarLink: a project page on a CKAN portal", "metadata_modified": "2024-01-01T00:00:00",
         "extras": [{"key": "grantDoi", "value": "10.3030/815698"}, {"key": "acronym", "value": "StarLink"}]},
    ]  # fmt: skip
    text = f"""
[[source]]
name = "cordis-files"
kind = "cordis"
url = "{portal.url}/projects.json"
request_interval = 0
[[source]]
name = "ckan-projects"
kind = "ckan"
url = "{portal.url}"
entity = "project"
request_interval = 0
"""
    cat = make_catalogue()
    runs = cat.harvest(sources_file(tmp_path, text))
    assert [r.status for r in runs] == ["ok", "ok"]
    project = cat.uris.project("grant-815698")
    rows = cat.store.select(
        f"""SELECT ?g ?src WHERE {{ GRAPH ?g {{ ?g <http://xmlns.com/foaf/0.1/primaryTopic> <{project}> ;
              <http://purl.org/dc/terms/source> ?src }} }} ORDER BY ?src"""
    )
    assert [str(r["src"]).rsplit("/", 1)[-1] for r in rows] == ["ckan-projects", "cordis-files"]
    assert len({str(r["g"]) for r in rows}) == 2
