"""The tabular harvester: CSV, JSON and XLSX lists with a column mapping."""

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


# --- XLSX --------------------------------------------------------------------


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)


XLSX_COLUMNS = {"id": "ID", "title": "Title", "maturity": "Maturity", "themes": "Themes", "issued": "Started"}


def test_xlsx_rows_map_like_csv_rows(tmp_path: Path) -> None:
    from datetime import datetime

    _workbook(
        tmp_path / "list.xlsx",
        {
            "Practices": [
                ["ID", "Title", "Maturity", "Themes", "Started", None],
                [101, "Participatory budgeting", "pilot", "participation ; open-data", datetime(2021, 3, 1), None],
                [None, None, None, None, None, None],  # a blank row is no row
                ["odd", "Something", "very-mature", "participation", None, None],
            ]
        },
    )
    items = harvest("list.xlsx", tmp_path, entity="practice", columns=XLSX_COLUMNS)
    ok = [i for i in items if isinstance(i, SourceRecord)]
    failed = {i.original_id: i.reason for i in items if isinstance(i, RecordFailure)}
    assert [r.original_id for r in ok] == ["101"]  # a whole number, not "101.0"
    practice = ok[0].entities[0]
    assert isinstance(practice, Practice)
    assert practice.themes == ["open-data", "participation"]
    assert practice.issued is not None and practice.issued.isoformat() == "2021-03-01"
    assert "very-mature" in failed["odd"]


def test_xlsx_sheet_is_chosen_by_name(tmp_path: Path) -> None:
    _workbook(
        tmp_path / "book.xlsx",
        {"Notes": [["nothing here"]], "List": [["ID", "Title"], ["a", "First"], ["b", "Second"]]},
    )
    items = harvest("book.xlsx", tmp_path, entity="practice", columns={"id": "ID", "title": "Title"}, sheet="List")
    assert [i.original_id for i in items] == ["a", "b"]
    with pytest.raises(SourceError, match="no sheet 'Missing'.*List"):
        harvest("book.xlsx", tmp_path, entity="practice", columns={"id": "ID", "title": "Title"}, sheet="Missing")


def test_broken_and_oversized_workbooks_are_source_errors(tmp_path: Path) -> None:
    import zipfile

    (tmp_path / "fake.xlsx").write_text("id,title\n1,CSV in disguise\n")
    with pytest.raises(SourceError, match="not an XLSX workbook"):
        harvest("fake.xlsx", tmp_path, entity="practice", columns={"id": "id", "title": "title"})
    # A zip whose parts unpack far beyond the cap (a "zip bomb") is refused unread.
    with zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * 30_000_000)
    source = SourceConfig(name="src", kind="tabular", url="bomb.xlsx", entity="practice", columns={"id": "id"})
    ctx = HarvestContext(base_dir=tmp_path, max_bytes=1_000_000)
    with pytest.raises(SourceError, match="unpacks to 30000000 bytes"):
        list(TabularHarvester(source, ctx).records())
