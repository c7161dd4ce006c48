"""The DCAT-AP / ADMS-AP harvester on real third-party files, over real HTTP."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from catalogue.models import Organisation, Practice, RecordFailure, SourceRecord
from catalogue.sources import SourceConfig
from harvesters.base import HarvestContext, SourceError
from harvesters.dcat import DcatHarvester


def harvest(url: str, base_dir: Path, **options: object) -> list[SourceRecord | RecordFailure]:
    source = SourceConfig(name="src", kind="dcat", url=url, **options)
    ctx = HarvestContext(base_dir=base_dir, retries=1, backoff=0.01, timeout=5)
    return list(DcatHarvester(source, ctx).records())


def test_joinup_adms_assets_become_practices(shared_fixtures: Path) -> None:
    items = harvest("joinup-adms/joinup_valid_adms.rdf", shared_fixtures)
    records = [i for i in items if isinstance(i, SourceRecord)]
    assert records, items
    practice = records[0].entities[0]
    assert isinstance(practice, Practice)
    assert practice.title
    publishers = [e for r in records for e in r.entities if isinstance(e, Organisation)]
    assert all(p.name for p in publishers)


def test_invalid_joinup_file_fails_the_untitled_asset_alone(shared_fixtures: Path) -> None:
    items = harvest("joinup-adms/joinup_invalid_adms.rdf", shared_fixtures)
    failures = [i for i in items if isinstance(i, RecordFailure)]
    assert failures and all("title" in f.reason for f in failures)


@pytest.mark.parametrize(
    "path",
    [
        "ckanext-dcat-examples/dcat/dataset.rdf",
        "ckanext-dcat-examples/dcat/dataset_multilingual.ttl",
        "ckanext-dcat-examples/dcat/catalog_with_at_graph.jsonld",
        "dcat-ap-examples/3.0.0-hvd/example-ms_catalogue.ttl",
    ],
)
def test_dcat_ap_datasets_in_every_format(shared_fixtures: Path, path: str) -> None:
    items = harvest(path, shared_fixtures)
    records = [i for i in items if isinstance(i, SourceRecord)]
    assert records, [getattr(i, "reason", i) for i in items]
    assert all(isinstance(r.entities[0], Practice) for r in records)


def test_multilingual_titles_keep_their_languages(shared_fixtures: Path) -> None:
    items = harvest("ckanext-dcat-examples/dcat/dataset_multilingual.ttl", shared_fixtures)
    practice = next(i for i in items if isinstance(i, SourceRecord)).entities[0]
    assert isinstance(practice, Practice)
    assert len(practice.title) > 1


def test_file_broken_as_published_is_a_source_error(shared_fixtures: Path) -> None:
    # dataset.ttl uses an undeclared prefix (see the fixtures README).
    with pytest.raises(SourceError, match="not valid turtle"):
        harvest("ckanext-dcat-examples/dcat/dataset.ttl", shared_fixtures)


def test_over_http_with_content_negotiation(shared_fixtures: Path, http_files: tuple[str, Path, dict[str, int]]) -> None:
    base, folder, _hits = http_files
    shutil.copy(shared_fixtures / "ckanext-dcat-examples/dcat/dataset.rdf", folder / "catalogue.rdf")
    items = harvest(f"{base}/catalogue.rdf", folder)
    assert any(isinstance(i, SourceRecord) for i in items)


def test_retries_a_503_then_succeeds(shared_fixtures: Path, http_files: tuple[str, Path, dict[str, int]]) -> None:
    base, folder, hits = http_files
    shutil.copy(shared_fixtures / "ckanext-dcat-examples/dcat/dataset.rdf", folder / "c.rdf")
    items = harvest(f"{base}/flaky/c.rdf", folder)
    assert any(isinstance(i, SourceRecord) for i in items)
    assert hits["/flaky/c.rdf"] == 2


@pytest.mark.parametrize("status", [404, 500])
def test_http_errors_are_source_errors(http_files: tuple[str, Path, dict[str, int]], status: int) -> None:
    base, folder, _hits = http_files
    with pytest.raises(SourceError, match=f"HTTP {status}"):
        harvest(f"{base}/status/{status}.ttl", folder)


def test_oversize_body_is_refused(http_files: tuple[str, Path, dict[str, int]]) -> None:
    base, folder, _hits = http_files
    (folder / "big.ttl").write_text("# " + "x" * 5000)
    source = SourceConfig(name="src", kind="dcat", url=f"{base}/big.ttl")
    ctx = HarvestContext(base_dir=folder, max_bytes=1000, retries=0)
    with pytest.raises(SourceError, match="larger than the cap"):
        list(DcatHarvester(source, ctx).records())


PAGE = """@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<{base}/{name}> a hydra:PartialCollectionView {next} .
<https://src.example/p/{n}> a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> "Dataset {n}"@en .
"""


@pytest.mark.parametrize("term", ["next", "nextPage"])
def test_hydra_paging_is_followed(http_files: tuple[str, Path, dict[str, int]], term: str) -> None:
    base, folder, hits = http_files
    for n in (1, 2, 3):
        nxt = f"; hydra:{term} <{base}/p{n + 1}.ttl>" if n < 3 else ""
        (folder / f"p{n}.ttl").write_text(PAGE.format(base=base, name=f"p{n}.ttl", next=nxt, n=n))
    source = SourceConfig(name="src", kind="dcat", url=f"{base}/p1.ttl")
    harvester = DcatHarvester(source, HarvestContext(base_dir=folder, retries=0))
    items = list(harvester.records())
    assert [i.entities[0].title["en"] for i in items if isinstance(i, SourceRecord)] == ["Dataset 1", "Dataset 2", "Dataset 3"]
    assert harvester.complete and not harvester.ctx.new_validators  # no conditional requests for paged catalogues
    assert all(hits[f"/p{n}.ttl"] == 1 for n in (1, 2, 3))


def test_paging_that_loops_is_a_source_error(http_files: tuple[str, Path, dict[str, int]]) -> None:
    base, folder, _hits = http_files
    (folder / "p1.ttl").write_text(PAGE.format(base=base, name="p1.ttl", next=f"; hydra:next <{base}/p2.ttl>", n=1))
    (folder / "p2.ttl").write_text(PAGE.format(base=base, name="p2.ttl", next=f"; hydra:next <{base}/p1.ttl>", n=2))
    with pytest.raises(SourceError, match="leads back to a page already read"):
        harvest(f"{base}/p1.ttl", folder)


def test_source_triples_are_kept_with_stable_blank_node_names(shared_fixtures: Path) -> None:
    first = harvest("ckanext-dcat-examples/dcat/dataset.rdf", shared_fixtures)
    second = harvest("ckanext-dcat-examples/dcat/dataset.rdf", shared_fixtures)
    record = first[0]
    assert isinstance(record, SourceRecord) and isinstance(second[0], SourceRecord)
    assert record.source_lines and record.source_lines == second[0].source_lines
    lines = "\n".join(record.source_lines)
    assert "<http://www.w3.org/ns/dcat#distribution>" in lines  # not mapped by the profile, kept
    assert not any(line.startswith("<urn:gpc:primary> <http://purl.org/dc/terms/title>") for line in record.source_lines)
    assert "_:" not in lines  # blank nodes are named, never left blank
    none = harvest("ckanext-dcat-examples/dcat/dataset.rdf", shared_fixtures, keep_source_triples=False)
    assert isinstance(none[0], SourceRecord) and none[0].source_lines == []


def test_content_negotiation_asks_for_rdf(http_files: tuple[str, Path, dict[str, int]], shared_fixtures: Path) -> None:
    import http.server

    base, folder, _hits = http_files
    shutil.copy(shared_fixtures / "ckanext-dcat-examples/dcat/dataset.rdf", folder / "catalogue")  # no extension
    seen: list[str] = []
    original = http.server.SimpleHTTPRequestHandler.guess_type

    def guess(self: http.server.SimpleHTTPRequestHandler, path: str) -> str:
        seen.append(self.headers.get("Accept", ""))
        return "application/rdf+xml" if path.endswith("catalogue") else original(self, path)

    http.server.SimpleHTTPRequestHandler.guess_type = guess  # type: ignore[method-assign]
    try:
        items = harvest(f"{base}/catalogue", folder)
    finally:
        http.server.SimpleHTTPRequestHandler.guess_type = original  # type: ignore[method-assign]
    assert seen and seen[0].startswith("text/turtle") and "application/rdf+xml" in seen[0]
    assert any(isinstance(i, SourceRecord) for i in items)  # the format came from the Content-Type


# --- JSON-LD contexts by reference ---------------------------------------------

SEMIC_CONTEXT = "https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.0/html/examples/context.jsonld"
BEES = "dcat-ap-examples/3.0.1/example-bee-population-dataset-series-combined.jsonld"


def test_remote_context_is_read_through_the_harvest_client(
    shared_fixtures: Path, http_files: tuple[str, Path, dict[str, int]]
) -> None:
    # The DCAT-AP 3.0.1 examples name SEMIC's context by URL; here the same
    # context is served on loopback and the example points at it.
    base, folder, hits = http_files
    shutil.copy(shared_fixtures / "dcat-ap-examples/3.0.1/context.jsonld", folder / "context.jsonld")
    text = (shared_fixtures / BEES).read_text(encoding="utf-8")
    assert SEMIC_CONTEXT in text
    (folder / "bees.jsonld").write_text(text.replace(SEMIC_CONTEXT, f"{base}/context.jsonld"), encoding="utf-8")
    items = harvest(f"{base}/bees.jsonld", folder)
    records = [i for i in items if isinstance(i, SourceRecord)]
    assert records, [getattr(i, "reason", i) for i in items]
    assert len(records) == 4 and all(isinstance(r.entities[0], Practice) and r.entities[0].title for r in records)
    assert hits["/context.jsonld"] == 1


@pytest.mark.parametrize("context", ["file:///etc/passwd", "context.jsonld", "ftp://example.org/c.jsonld"])
def test_a_context_outside_http_is_refused_unread(tmp_path: Path, context: str) -> None:
    (tmp_path / "context.jsonld").write_text('{"@context": {"title": "http://purl.org/dc/terms/title"}}')
    (tmp_path / "c.jsonld").write_text(
        '{"@context": "%s", "@id": "https://x.example/a", "@type": "http://www.w3.org/ns/dcat#Dataset", "title": "A"}' % context
    )
    with pytest.raises(SourceError, match="only http\\(s\\) contexts are read"):
        harvest("c.jsonld", tmp_path)


def test_an_unreachable_context_is_a_source_error(http_files: tuple[str, Path, dict[str, int]]) -> None:
    base, folder, _hits = http_files
    (folder / "c.jsonld").write_text(f'{{"@context": ["{base}/status/404.jsonld"], "@id": "https://x.example/a"}}')
    with pytest.raises(SourceError, match="HTTP 404"):
        harvest(f"{base}/c.jsonld", folder)
