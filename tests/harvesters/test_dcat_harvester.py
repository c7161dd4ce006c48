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
