"""The CORDIS harvester: the real H2020 project sample (JSON), and the CSV,
XML and zip shapes CORDIS publishes, with organisations."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from catalogue.models import Organisation, Project, RecordFailure, RecordSkipped, SourceRecord
from catalogue.sources import SourceConfig
from harvesters.base import HarvestContext, SourceError
from harvesters.cordis import CordisHarvester

PROJECT_CSV = (
    '"id";"acronym";"status";"title";"startDate";"endDate";"totalCost";"ecMaxContribution";"legalBasis";"topics";'
    '"ecSignatureDate";"frameworkProgramme";"masterCall";"subCall";"fundingScheme";"nature";"objective";'
    '"contentUpdateDate";"rcn";"grantDoi"\n'
    '"959201";"INTERLINK";"CLOSED";"Innovative approaches to public services";"2021-01-01";"2023-12-31";"3999587,5";'
    '"3999587,5";"H2020-EU.3.6.";"DT-GOVERNANCE-12-2019-2020";"2020-11-20";"H2020";"H2020-SC6-GOVERNANCE-2019";'
    '"H2020-SC6-GOVERNANCE-2019";"RIA";"";"<p>Public &amp; private <b>co-delivery</b></p>";"2022-08-22 10:00:00";'
    '"232174";"10.3030/959201"\n'
    '"101004590";"SKILLS";"SIGNED";"Another topic";"2021-02-01";"2024-01-31";"1000";"1000";"H2020-EU.1.3.";'
    '"MSCA-RISE-2020";"2021-01-01";"H2020";"";"";"";"";"Unrelated";"";"1";"10.3030/101004590"\n'
    '"abc";"BROKEN";"";"Bad id";"";"";"";"";"";"";"";"H2020";"";"";"";"";"";"";"";""\n'
)
ORG_CSV = (
    "projectID;projectAcronym;organisationID;vatNumber;name;shortName;SME;activityType;street;postCode;city;country;"
    "nutsCode;geolocation;organizationURL;contactForm;contentUpdateDate;rcn;order;role;ecContribution;"
    "netEcContribution;totalCost;endOfParticipation;active\n"
    "959201;INTERLINK;999979500;IT000;POLITECNICO DI MILANO;POLIMI;false;HES;Piazza Leonardo;20133;Milano;IT;ITC4C;;"
    "www.polimi.it;;;1;1;coordinator;100;100;100;false;true\n"
    "959201;INTERLINK;999999999;EL000;ETHNIKO KENTRO;;false;REC;;;Athina;EL;EL30;;;;;2;2;participant;1;1;1;false;true\n"
    "959201;INTERLINK;888888888;UK000;SOME UK BODY;;false;PUB;;;London;UK;UKI;;;;;3;3;participant;1;1;1;false;true\n"
)
PROJECT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://cordis.europa.eu">
  <id>101094269</id><acronym>DIGISER</acronym><title>Digital public services</title>
  <startDate>2023-01-01</startDate><endDate>2025-12-31</endDate><totalCost>1500000</totalCost>
  <ecMaxContribution>1200000</ecMaxContribution><frameworkProgramme>HORIZON</frameworkProgramme>
  <objective>Public services, digitally.</objective><topics>HORIZON-CL2-2022-TRANSFORMATIONS-01-08</topics>
  <relations><associations>
    <organization type="coordinator" order="1"><legalName>UNIVERSIDAD X</legalName><id>111</id>
      <address><country>ES</country></address></organization>
    <organization type="participant" order="2"><legalName>CITY Y</legalName><id>222</id>
      <address><country>PT</country></address></organization>
  </associations></relations>
</project>
"""


def harvest(url: str, base_dir: Path, **options: object) -> list[SourceRecord | RecordFailure | RecordSkipped]:
    source = SourceConfig(name="cordis", kind="cordis", url=url, **options)
    return list(CordisHarvester(source, HarvestContext(base_dir=base_dir)).records())


def test_real_h2020_sample_in_json(shared_fixtures: Path) -> None:
    items = harvest("cordis/h2020_projects_openaire_sample.json", shared_fixtures)
    assert len(items) == 19 and all(isinstance(i, SourceRecord) for i in items)
    starlink = next(i for i in items if i.original_id == "815698")
    assert isinstance(starlink, SourceRecord)
    project = starlink.entities[0]
    assert isinstance(project, Project)
    assert (project.key, project.grant_id, project.acronym, project.programme) == ("grant-815698", "815698", "StarLink", "h2020")
    assert project.landing_page == "https://cordis.europa.eu/project/id/815698"
    assert project.eu_contribution == Decimal("50000") and str(project.start_date) == "2018-05-01"


def test_csv_with_organisations_and_decimal_commas(tmp_path: Path) -> None:
    (tmp_path / "project.csv").write_text(PROJECT_CSV)
    (tmp_path / "organization.csv").write_text(ORG_CSV)
    items = {i.original_id: i for i in harvest("project.csv", tmp_path, organizations="organization.csv")}
    interlink = items["959201"]
    assert isinstance(interlink, SourceRecord)
    project = interlink.entities[0]
    assert isinstance(project, Project)
    assert project.total_cost == Decimal("3999587.5")
    assert project.description == {"en": "Public & private co-delivery"}
    orgs = {o.key: o for o in interlink.entities[1:] if isinstance(o, Organisation)}
    assert project.coordinator == "ita-politecnico-di-milano"
    assert orgs[project.coordinator].homepage == "http://www.polimi.it"
    assert orgs[project.coordinator].identifiers == ["PIC:999979500"]
    assert project.countries == ["GBR", "GRC", "ITA"]  # EL and UK as CORDIS writes them
    assert len(project.participants) == 2
    assert isinstance(items["abc"], RecordFailure) and "not a grant number" in items["abc"].reason


def test_topic_filter_skips_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "project.csv").write_text(PROJECT_CSV)
    items = harvest("project.csv", tmp_path, topics=["DT-GOVERNANCE"])
    skipped = [i for i in items if isinstance(i, RecordSkipped)]
    assert [s.original_id for s in skipped] == ["101004590"]
    assert "MSCA-RISE-2020" in skipped[0].reason


def test_horizon_europe_xml_in_a_zip(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xml/project-rcn-1_en.xml", PROJECT_XML)
    (tmp_path / "cordis-HORIZONprojects-xml.zip").write_bytes(buffer.getvalue())
    [record] = harvest("cordis-HORIZONprojects-xml.zip", tmp_path)
    assert isinstance(record, SourceRecord)
    project = record.entities[0]
    assert isinstance(project, Project)
    assert (project.key, project.programme, project.countries) == ("grant-101094269", "horizon-europe", ["ESP", "PRT"])
    assert project.coordinator == "esp-universidad-x"


def test_csv_zip_holds_projects_and_organisations(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.csv", PROJECT_CSV)
        archive.writestr("organization.csv", ORG_CSV)
    (tmp_path / "cordis.zip").write_bytes(buffer.getvalue())
    items = harvest("cordis.zip", tmp_path)
    interlink = next(i for i in items if i.original_id == "959201")
    assert isinstance(interlink, SourceRecord) and len(interlink.entities) == 4


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("p.json", "{broken", "not valid JSON"),
        ("p.xml", "<project><id>1</id>", "not valid XML"),
        ("p.xml", '<!DOCTYPE x [<!ENTITY a "b">]><project/>', "DOCTYPE"),
        ("p.csv", "just;some;columns\n1;2;3\n", "no CORDIS header"),
        ("p.zip", "PK\x03\x04 not really", "not a readable zip"),
    ],
)
def test_broken_files_are_source_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(SourceError, match=message):
        harvest(name, tmp_path)
