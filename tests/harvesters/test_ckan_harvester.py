"""The CKAN harvester: recorded Action API answers of real portals, served by
a loopback portal that pages, filters by metadata_modified and fails once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from catalogue.models import Organisation, Practice, Project, RecordFailure, RecordSkipped, SourceRecord
from catalogue.sources import SourceConfig
from harvesters.base import HarvestContext, SourceError
from harvesters.ckan import CkanHarvester

Portal = Any  # the `portal` fixture (tests/harvesters/conftest.py)


def recorded(shared: Path) -> list[dict[str, Any]]:
    """Packages from three real portals: demo.ckan.org, Birmingham, transportdata.be."""
    packages = json.loads((shared / "ckan-api/demo.ckan.org/package_search_rows3.json").read_text())["result"]["results"]
    packages += json.loads((shared / "ckan-api/data.birmingham.gov.uk/package_search_page1.json").read_text())["result"]["results"]
    packages.append(json.loads((shared / "ckan-api/transportdata.be/package_show_cambio-belgium.json").read_text())["result"])
    return packages


def harvester(url: str, base_dir: Path, since: datetime | None = None, **options: object) -> CkanHarvester:
    source = SourceConfig(name="portal", kind="ckan", url=url, **options)
    return CkanHarvester(source, HarvestContext(base_dir=base_dir, retries=2, backoff=0.01, timeout=5, since=since))


def test_real_portal_answers_are_paged_and_mapped(portal: Portal, shared_fixtures: Path, tmp_path: Path) -> None:
    portal.packages = recorded(shared_fixtures)
    h = harvester(portal.url, tmp_path, rows=5)
    items = list(h.records())
    assert h.expected == 14 and h.complete
    assert portal.hits["/api/3/action/package_search"] == 3  # 5 + 5 + 4
    records = {i.original_id: i for i in items if isinstance(i, SourceRecord)}
    assert len(records) == 14
    birmingham = records["cf552d08-cee9-43bf-8c0f-3196a9311799"]
    practice = birmingham.entities[0]
    assert isinstance(practice, Practice)
    assert practice.title == {"en": "Purchase Card Transactions"}
    assert practice.keywords == {"en": ["payments", "purchase card"]}
    assert len(practice.documents) == 45
    assert practice.contact is not None and practice.contact.email == "ian.martin@birmingham.gov.uk"  # trailing space dropped
    org = birmingham.entities[1]
    assert isinstance(org, Organisation) and org.name == {"en": "Birmingham City Council"}
    assert practice.publisher == org.key
    assert birmingham.original_url == f"{portal.url}/dataset/{'purchase-card-transactions'}" or birmingham.original_url
    # ckanext-scheming / fluent: translated notes, EU data theme.
    cambio = records["54a44230-0aa1-4e7b-8d26-d96f1b07f605"].entities[0]
    assert isinstance(cambio, Practice)
    assert set(cambio.description) == {"de", "en", "fr", "nl"}
    assert cambio.themes == ["mobility"]
    # demo.ckan.org: no organisation at all is mapped, not failed.
    plants = records["62513382-3b26-4bc8-9096-40b6ce8383c0"]
    assert [type(e) for e in plants.entities] == [Practice]
    # The user agent and paging parameters reached the portal.
    method, path, headers = portal.requests[0]
    assert method == "GET" and "rows=5" in path and "start=0" in path and headers["user-agent"]


def test_incremental_run_asks_for_what_changed(portal: Portal, shared_fixtures: Path, tmp_path: Path) -> None:
    portal.packages = recorded(shared_fixtures)
    h = harvester(portal.url, tmp_path, since=datetime(2020, 1, 1, tzinfo=UTC))
    items = list(h.records())
    assert "metadata_modified%3A%5B2020-01-01T00%3A00%3A00Z+TO+%2A%5D" in portal.requests[0][1]
    assert all(str(i.source_modified) >= "2020" for i in items if isinstance(i, SourceRecord))
    assert 0 < len(items) < 14
    assert not h.complete  # an incremental listing never withdraws


def test_a_500_on_one_page_is_retried(portal: Portal, shared_fixtures: Path, tmp_path: Path) -> None:
    portal.packages = recorded(shared_fixtures)
    portal.fail_once.add("start=5")
    items = list(harvester(portal.url, tmp_path, rows=5).records())
    assert len([i for i in items if isinstance(i, SourceRecord)]) == 14


def test_odd_packages_are_mapped_or_failed_alone(portal: Portal, tmp_path: Path) -> None:
    portal.packages = [
        {"id": "html", "name": "html", "title": "With HTML", "metadata_modified": "2024-01-01T00:00:00",
         "notes": "<p>First &amp; <b>bold</b></p><p>Second</p>", "extras": {"language": "it", "country": "IT"}},
        {"id": "untitled", "name": "untitled", "title": "", "metadata_modified": "2024-01-02T00:00:00"},
        {"id": "gone", "name": "gone", "title": "Deleted", "state": "deleted", "metadata_modified": "2024-01-03T00:00:00"},
        {"id": "tags", "name": "tags", "title": "Tags as strings", "tags": ["a", "b"], "organization": None,
         "extras": [{"key": "publisher_name", "value": "Comune di Prova"}], "metadata_modified": "2024-01-04T00:00:00"},
        {"id": "grant", "name": "grant", "title": "From a project", "metadata_modified": "2024-01-05T00:00:00",
         "extras": [{"key": "grantDoi", "value": "10.3030/959201"}]},
    ]  # fmt: skip
    items = {i.original_id: i for i in harvester(portal.url, tmp_path).records()}
    html = items["html"]
    assert isinstance(html, SourceRecord)
    practice = html.entities[0]
    assert isinstance(practice, Practice)
    assert practice.description == {"en": "First & bold\nSecond"}
    assert (practice.languages, practice.countries) == (["it"], ["ITA"])
    untitled = items["untitled"]
    assert isinstance(untitled, RecordFailure) and "title" in untitled.reason
    assert untitled.original_url == f"{portal.url}/dataset/untitled"
    assert isinstance(items["gone"], RecordSkipped) and "deleted" in items["gone"].reason
    tagged = items["tags"]
    assert isinstance(tagged, SourceRecord)
    assert tagged.entities[0].keywords == {"en": ["a", "b"]}  # type: ignore[union-attr]
    assert isinstance(tagged.entities[1], Organisation)
    granted = items["grant"]
    assert isinstance(granted, SourceRecord) and granted.entities[0].projects == ["grant-959201"]  # type: ignore[union-attr]


def test_project_entity_uses_the_grant_id(portal: Portal, tmp_path: Path) -> None:
    portal.packages = [
        {"id": "p1", "name": "starlink", "title": "StarLink project", "metadata_modified": "2024-01-01T00:00:00",
         "organization": {"title": "Leybold", "name": "leybold"},
         "extras": [{"key": "grantDoi", "value": "10.3030/815698"}, {"key": "acronym", "value": "StarLink"},
                    {"key": "frameworkProgramme", "value": "H2020"}, {"key": "startDate", "value": "2018-05-01"}]},
    ]  # fmt: skip
    [record] = harvester(portal.url, tmp_path, entity="project").records()
    assert isinstance(record, SourceRecord)
    project = record.entities[0]
    assert isinstance(project, Project)
    assert (project.key, project.grant_id, project.programme, project.acronym) == ("grant-815698", "815698", "h2020", "StarLink")
    assert project.coordinator == record.entities[1].key


def test_not_a_ckan_portal_is_a_source_error(portal: Portal, tmp_path: Path) -> None:
    (portal.folder / "api").mkdir()
    with pytest.raises(SourceError, match="package_search refused"):
        list(harvester(f"{portal.url}/nothing-here", tmp_path).records())


@pytest.mark.parametrize(
    "path",
    [
        "ckan-api/demo.ckan.org/package_search_rows3.json",
        "ckan-api/transportdata.be/package_show_cambio-belgium.json",
        "ckanext-dcat-examples/ckan/ckan_full_dataset_dcat_ap_legacy.json",
        "ckanext-dcat-examples/ckan/full_ckan_dataset_legacy.json",
        "ckanext-dcat-examples/ckan/ckan_dataset_multilingual.json",
        "ckanext-dcat-examples/ckan/health_dcat_ap.json",
    ],
)
def test_dump_files_of_every_shape(shared_fixtures: Path, path: str) -> None:
    items = list(harvester(path, shared_fixtures).records())
    assert items and all(isinstance(i, SourceRecord) for i in items), items


def test_dcat_extras_of_ckanext_dcat(shared_fixtures: Path) -> None:
    [record] = harvester("ckanext-dcat-examples/ckan/ckan_full_dataset_dcat_ap_legacy.json", shared_fixtures).records()
    assert isinstance(record, SourceRecord)
    practice = record.entities[0]
    assert isinstance(practice, Practice)
    assert practice.languages == ["ca", "en", "es"]
    assert str(practice.issued) == "2024-05-01"
    assert practice.contact is not None and practice.contact.email == "contact1@example.org"
    assert isinstance(record.entities[1], Organisation) and record.entities[1].name == {"en": "Test Publisher"}


def test_json_lines_dump_with_a_broken_line(tmp_path: Path) -> None:
    (tmp_path / "dump.jsonl").write_text('{"id": "a", "title": "A"}\n{broken\n{"id": "b", "title": "B"}\n')
    items = list(harvester("dump.jsonl", tmp_path).records())
    assert [type(i).__name__ for i in items] == ["SourceRecord", "RecordFailure", "SourceRecord"]
    assert "line 2" in items[1].reason  # type: ignore[union-attr]
