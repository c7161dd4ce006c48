"""The harvest runner: new / changed / unchanged / withdrawn / failed, idempotence,
and a broken source leaving the catalogue as it was."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from catalogue.core import Catalogue
from catalogue.sources import parse_sources

PRACTICE = """
<https://src.example/p/{slug}> a <http://www.w3.org/ns/adms#Asset> ;
    <http://purl.org/dc/terms/title> "{title}"@en ;
    <http://www.w3.org/ns/dcat#theme> <https://w3id.org/gpc/theme/participation> ;
    <http://purl.org/dc/terms/spatial> <http://publications.europa.eu/resource/authority/country/SVN> .
"""


def write_source(folder: Path, practices: dict[str, str], extra: str = "") -> Path:
    path = folder / "source.ttl"
    path.write_text("".join(PRACTICE.format(slug=s, title=t) for s, t in practices.items()) + extra)
    return path


def sources_for(folder: Path) -> object:
    text = '[[source]]\nname = "local"\nkind = "dcat"\nurl = "source.ttl"\n'
    return parse_sources(text, folder / "sources.toml")


def export(cat: Catalogue) -> bytes:
    out = io.BytesIO()
    records = [str(r["g"]) for r in cat.store.select("SELECT ?g WHERE { GRAPH ?g { ?g a <http://www.w3.org/ns/dcat#CatalogRecord> } }")]
    cat.store.export_nquads(out, records)
    return out.getvalue()


def test_first_run_adds_second_run_changes_nothing(tmp_path: Path, make_catalogue: Callable[..., Catalogue]) -> None:
    write_source(tmp_path, {"a": "Participatory budgeting", "b": "Open data portal"})
    cat = make_catalogue()
    [first] = cat.harvest(sources_for(tmp_path))
    assert (first.status, first.counts.new, first.counts.seen) == ("ok", 2, 2)
    before = export(cat)
    [second] = cat.harvest(sources_for(tmp_path))
    assert (second.counts.unchanged, second.counts.new, second.counts.changed) == (2, 0, 0)
    assert export(cat) == before
    assert cat.check().ok


def test_change_and_withdrawal(tmp_path: Path, make_catalogue: Callable[..., Catalogue]) -> None:
    write_source(tmp_path, {"a": "Participatory budgeting", "b": "Open data portal"})
    cat = make_catalogue()
    cat.harvest(sources_for(tmp_path))
    write_source(tmp_path, {"a": "Participatory budgeting, second edition"})
    [run] = cat.harvest(sources_for(tmp_path))
    assert (run.counts.changed, run.counts.withdrawn) == (1, 1)
    states = cat.store.record_states(cat.uris.source("local"))
    assert sorted(s.status for s in states.values()) == ["active", "withdrawn"]
    # Withdrawn, not deleted: the triples are still there.
    assert cat.store.ask('ASK { ?p <http://purl.org/dc/terms/title> "Open data portal"@en }')
    assert [h.title for h in cat.engine.search(__import__("catalogue.index", fromlist=["Query"]).Query()).hits] == [
        "Participatory budgeting, second edition"
    ]
    assert cat.check().ok


def test_broken_record_fails_alone(tmp_path: Path, make_catalogue: Callable[..., Catalogue]) -> None:
    untitled = '<https://src.example/p/untitled> a <http://www.w3.org/ns/adms#Asset> ; <http://purl.org/dc/terms/description> "No title"@en .\n'
    write_source(tmp_path, {"a": "Kept"}, extra=untitled)
    cat = make_catalogue()
    [run] = cat.harvest(sources_for(tmp_path))
    assert (run.status, run.counts.new, run.counts.failed) == ("partial", 1, 1)
    [error] = run.errors
    assert error.original_id == "https://src.example/p/untitled"
    assert "title" in error.reason


def test_broken_source_leaves_the_catalogue_as_it_was(tmp_path: Path, make_catalogue: Callable[..., Catalogue]) -> None:
    write_source(tmp_path, {"a": "Kept", "b": "Also kept"})
    cat = make_catalogue()
    cat.harvest(sources_for(tmp_path))
    before = export(cat)
    (tmp_path / "source.ttl").write_text("<https://src.example/p/a> this is not N-Triples")
    [run] = cat.harvest(sources_for(tmp_path))
    assert run.status == "failed"
    assert "not valid" in run.errors[0].reason
    assert export(cat) == before  # nothing withdrawn, nothing rewritten
    assert cat.check().ok


def test_missing_source_file_is_a_source_failure(tmp_path: Path, make_catalogue: Callable[..., Catalogue]) -> None:
    cat = make_catalogue()
    [run] = cat.harvest(sources_for(tmp_path))
    assert run.status == "failed"
    assert "cannot read" in run.errors[0].reason


def test_each_run_is_recorded_as_a_prov_activity(tmp_path: Path, make_catalogue: Callable[..., Catalogue]) -> None:
    write_source(tmp_path, {"a": "A"})
    cat = make_catalogue()
    cat.harvest(sources_for(tmp_path))
    cat.harvest(sources_for(tmp_path))
    rows = cat.store.select(
        """SELECT ?run ?new ?unchanged WHERE { ?run a <http://www.w3.org/ns/prov#Activity> ;
             <https://w3id.org/gpc/ns#new> ?new ; <https://w3id.org/gpc/ns#unchanged> ?unchanged } ORDER BY ?run"""
    )
    assert [(int(r["new"]), int(r["unchanged"])) for r in rows] == [(1, 0), (0, 1)]


def test_crash_between_store_and_index_is_reported_and_reindex_closes_it(
    tmp_path: Path, make_catalogue: Callable[..., Catalogue]
) -> None:
    write_source(tmp_path, {"a": "A", "b": "B"})
    cat = make_catalogue()
    cat.harvest(sources_for(tmp_path))
    # Simulate a crash after the store write: drop one document from the index.
    cat.engine.delete([cat.uris.practice("local-a")])
    cat.engine.commit()
    report = cat.check()
    assert report.missing == [cat.uris.practice("local-a")]
    count, errors = cat.reindex()
    assert (count, errors) == (2, [])
    assert cat.check().ok


@pytest.mark.parametrize("engine", ["tantivy", "whoosh"])
def test_harvest_feeds_either_engine(tmp_path: Path, make_catalogue: Callable[..., Catalogue], engine: str) -> None:
    write_source(tmp_path, {"a": "Participatory budgeting"})
    cat = make_catalogue(search_engine=engine)
    cat.harvest(sources_for(tmp_path))
    assert cat.check().ok
    assert cat.engine.count() == 1
