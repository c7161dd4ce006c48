"""The tabular harvester: CSV and JSON lists with a column mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogue.models import Organisation, Practice, Project, RecordFailure, SourceRecord
from catalogue.sources import SourceConfig
from harvesters.base import HarvestContext, SourceError
from harvesters.tabular import TabularHarvester

IPSX_COLUMNS = {
    "id": "id",
    "title": "name",
    "description": "description",
    "landing_page": "url",
    "countries": "geocoverage_codes",
    "technologies": "technology",
    "organisation": "lead_organisation_name",
    "year": "start_date",
}


def harvest(url: str, base_dir: Path, **options: object) -> list[SourceRecord | RecordFailure]:
    source = SourceConfig(name="src", kind="tabular", url=url, **options)
    return list(TabularHarvester(source, HarvestContext(base_dir=base_dir)).records())


def test_real_case_records_in_json(shared_fixtures: Path) -> None:
    items = harvest(
        "practices/ips-x/11-cases-amsterdam-algorithm-register.json",
        shared_fixtures,
        entity="practice",
        columns=IPSX_COLUMNS,
    )
    records = [i for i in items if isinstance(i, SourceRecord)]
    assert len(records) == 4
    practice = records[0].entities[0]
    assert isinstance(practice, Practice)
    assert practice.countries == ["NLD"]  # alpha-2 in the file, EU authority code here
    assert practice.issued is not None and practice.issued.year == 2020
    assert isinstance(records[0].entities[1], Organisation)
    assert practice.publisher == records[0].entities[1].key


def test_every_ipsx_file_maps_or_fails_with_a_reason(shared_fixtures: Path) -> None:
    for path in sorted((shared_fixtures / "practices/ips-x").glob("*-cases-*.json")):
        items = harvest(str(path), shared_fixtures, entity="practice", columns=IPSX_COLUMNS)
        assert items, path
        for item in items:
            if isinstance(item, RecordFailure):
                assert item.reason and item.original_id


def test_csv_rows_with_bad_values_fail_alone(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text(
        "id,title,maturity,theme\n"
        "good,Participatory budgeting,pilot,participation ; open-data\n"
        "untitled,,pilot,participation\n"
        "odd,Something,very-mature,participation\n"
        ",No id,pilot,\n"
    )
    items = harvest(
        "list.csv", tmp_path, entity="practice", columns={"id": "id", "title": "title", "maturity": "maturity", "themes": "theme"}
    )
    ok = [i for i in items if isinstance(i, SourceRecord)]
    failed = {i.original_id: i.reason for i in items if isinstance(i, RecordFailure)}
    assert [r.entities[0].themes for r in ok] == [["open-data", "participation"]]
    assert "title" in failed["untitled"]
    assert "very-mature" in failed["odd"]
    assert "empty id" in failed["row 5"]


def test_projects_get_grant_keys_and_organisations(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text(
        "id,acronym,title,programme,coordinator,coordinatorCountry,participants,participantCountries\n"
        "959201,INTERLINK,Innovative approaches,h2020,Some University,ITA,City A ; City B,ESP ; SVN\n"
    )
    columns = {
        "id": "id", "acronym": "acronym", "title": "title", "programme": "programme",
        "coordinator": "coordinator", "coordinator_country": "coordinatorCountry",
        "participants": "participants", "participant_countries": "participantCountries",
    }  # fmt: skip
    [record] = harvest("p.csv", tmp_path, entity="project", columns=columns)
    assert isinstance(record, SourceRecord)
    project = record.entities[0]
    assert isinstance(project, Project)
    assert (project.key, project.grant_id) == ("grant-959201", "959201")
    assert project.countries == ["ESP", "ITA", "SVN"]
    assert len(project.participants) == 2


def test_not_json_is_a_source_error(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(SourceError, match="not valid JSON"):
        harvest("x.json", tmp_path, entity="practice", columns={"id": "id", "title": "t"})


def test_unknown_mapped_field_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown field"):
        SourceConfig(name="s", kind="tabular", url="x")
        TabularHarvester(
            SourceConfig(name="s", kind="tabular", url="x", entity="practice", columns={"id": "id", "colour": "c"}),
            HarvestContext(base_dir=Path(".")),
        )
