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


# --- one thing, one URI; safety rules; locks ----------------------------------

TWO_SOURCES = """
[[source]]
name = "alpha"
kind = "dcat"
url = "alpha.ttl"
[[source]]
name = "beta"
kind = "tabular"
url = "beta.csv"
entity = "practice"
[source.columns]
id = "id"
title = "title"
landing_page = "page"
themes = "theme"
"""


def write_two(folder: Path, beta_rows: str = "b1,Bürgerhaushalt,https://www.city.example/budget/,participation\n") -> object:
    (folder / "alpha.ttl").write_text(
        '<https://alpha.example/p/1> a <http://www.w3.org/ns/adms#Asset> ; <http://purl.org/dc/terms/title> "Participatory budgeting"@en ;'
        " <http://www.w3.org/ns/dcat#landingPage> <https://city.example/budget> .\n"
    )
    (folder / "beta.csv").write_text("id,title,page,theme\n" + beta_rows)
    return parse_sources(TWO_SOURCES, folder / "sources.toml")


def test_a_practice_in_two_sources_is_one_practice_with_two_records(tmp_path: Path, make_catalogue: Callable[..., Catalogue]) -> None:
    from catalogue.index import Query

    cat = make_catalogue()
    runs = cat.harvest(write_two(tmp_path))
    assert [r.counts.new for r in runs] == [1, 1]
    rows = cat.store.select("SELECT DISTINCT ?p WHERE { ?g <http://xmlns.com/foaf/0.1/primaryTopic> ?p }")
    assert [str(r["p"]) for r in rows] == [cat.uris.practice("alpha-1")]
    # One index document, merged from both records: both titles, both sources.
    hits = cat.engine.search(Query()).hits
    assert len(hits) == 1
    assert cat.engine.count() == 1 and cat.check().ok
    found = cat.engine.search(Query(text="Bürgerhaushalt")).hits
    assert [h.uri for h in found] == [cat.uris.practice("alpha-1")]
    assert hits[0].facets["source"] == ("alpha", "beta")
    # Runs again: unchanged, same URI.
    again = cat.harvest(write_two(tmp_path))
    assert [r.counts.unchanged for r in again] == [1, 1]
    # Beta drops it: its record is withdrawn, the practice stays findable through alpha.
    [run] = cat.harvest(write_two(tmp_path, beta_rows="b2,Another,https://other.example/x,participation\n"), ["beta"])
    assert (run.counts.withdrawn, run.counts.new) == (1, 1)
    by_uri = {h.uri: h for h in cat.engine.search(Query()).hits}
    assert by_uri[cat.uris.practice("alpha-1")].facets["source"] == ("alpha",)  # beta's record left, alpha's stays
    assert cat.check().ok


def test_an_implausibly_small_listing_withdraws_nothing(tmp_path: Path, make_catalogue: Callable[..., Catalogue]) -> None:
    write_source(tmp_path, {s: f"Practice {s}" for s in "abcdef"})
    cat = make_catalogue()
    cat.harvest(sources_for(tmp_path))
    before = export(cat)
    write_source(tmp_path, {"a": "Practice a"})
    [run] = cat.harvest(sources_for(tmp_path))
    assert (run.status, run.counts.withdrawn, run.counts.unchanged) == ("partial", 0, 1)
    assert "nothing withdrawn: the source listed 1 records where 6 were active" in run.errors[-1].reason
    assert export(cat) == before
    assert cat.engine.count() == 6


def test_a_live_lock_refuses_a_second_run_and_a_dead_one_is_taken(tmp_path: Path, make_catalogue: Callable[..., Catalogue]) -> None:
    import json
    import os
    import socket
    import time

    from catalogue.harvest import RunLock, harvest_dir

    write_source(tmp_path, {"a": "A"})
    cat = make_catalogue()
    lock = RunLock(harvest_dir(cat.settings), "local", 60)
    assert lock.acquire() is None
    [run] = cat.harvest(sources_for(tmp_path))
    assert run.status == "failed" and "already running" in run.errors[0].reason
    assert run.counts.seen == 0
    lock.release()
    # A crashed run's lock: its process is gone.
    lock.path.write_text(json.dumps({"pid": 2**22 + 12345, "host": socket.gethostname(), "expires": time.time() + 999}))
    [run] = cat.harvest(sources_for(tmp_path))
    assert run.status == "ok"
    # An expired lock, even of a live process elsewhere.
    lock.path.write_text(json.dumps({"pid": os.getpid(), "host": "elsewhere", "expires": time.time() - 1}))
    [run] = cat.harvest(sources_for(tmp_path))
    assert run.status == "ok" and not lock.path.exists()


def test_abort_and_time_limit_stop_a_run_cleanly(tmp_path: Path, make_catalogue: Callable[..., Catalogue]) -> None:
    import os

    from catalogue.harvest import RunLock, harvest_dir, request_abort

    write_source(tmp_path, {"a": "A", "b": "B"})
    cat = make_catalogue()
    assert request_abort(cat.settings, "local") == "local: no run in progress"
    cat.harvest(sources_for(tmp_path))
    before = export(cat)
    # Another process holds the run: --abort leaves a flag it reads between records.
    lock = RunLock(harvest_dir(cat.settings), "local", 60)
    lock.acquire()
    assert "asked the run in progress" in request_abort(cat.settings, "local")
    lock.release()
    flag = harvest_dir(cat.settings) / "local.abort"
    assert flag.exists()
    # A run that starts as the abort is asked is stopped at its first record.
    write_source(tmp_path, {"a": "A", "b": "B", "c": "C"})
    [run] = cat.harvest(sources_for(tmp_path))
    assert run.status == "failed" and "aborted by the operator" in run.errors[-1].reason
    assert run.counts.withdrawn == 0 and not flag.exists()
    # A flag a crashed run left long ago does not stop the next run; a time limit does.
    flag.write_text("old")
    os.utime(flag, (1_000_000, 1_000_000))
    text = '[[source]]\nname = "local"\nkind = "dcat"\nurl = "source.ttl"\ntime_limit = 0.000001\n'
    [run] = cat.harvest(parse_sources(text, tmp_path / "sources.toml"))
    assert run.status == "failed" and "time limit" in run.errors[-1].reason
    assert run.counts.withdrawn == 0
    states = cat.store.record_states(cat.uris.source("local"))
    assert {s.status for s in states.values()} == {"active"}  # nothing withdrawn; what was read is whole
    assert before and not flag.exists()


def test_unchanged_local_file_is_not_read_again(tmp_path: Path, make_catalogue: Callable[..., Catalogue]) -> None:
    write_source(tmp_path, {"a": "A", "b": "B"})
    cat = make_catalogue()
    cat.harvest(sources_for(tmp_path))
    [run] = cat.harvest(sources_for(tmp_path))
    assert (run.status, run.counts.seen, run.counts.unchanged) == ("ok", 2, 2)
    [run] = cat.harvest(sources_for(tmp_path), full=True)
    assert (run.status, run.counts.seen, run.counts.unchanged) == ("ok", 2, 2)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.City.example/budget/", "city.example/budget"),
        ("http://city.example/budget#top", "city.example/budget"),
        ("https://city.example/budget/index.html?utm_source=x&b=2&a=1", "city.example/budget?a=1&b=2"),
        ("https://city.example/", None),  # a site root is no evidence
        ("mailto:someone@city.example", None),
        (None, None),
    ],
)
def test_landing_pages_are_normalised(url: str | None, expected: str | None) -> None:
    from catalogue.dedupe import normalise_landing_page

    assert normalise_landing_page(url) == expected


def test_dois_and_cordis_grants() -> None:
    from catalogue.dedupe import doi_of, grant_from_doi

    assert doi_of("https://doi.org/10.3030/959201") == "10.3030/959201"
    assert doi_of("see DOI:10.5281/ZENODO.123.") == "10.5281/zenodo.123"
    assert grant_from_doi("10.3030/959201") == "959201"
    assert grant_from_doi("10.5281/zenodo.123") is None


def test_cli_harvest_isolates_a_failing_source_and_says_which(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from catalogue.cli import app

    monkeypatch.setenv("CATALOGUE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CATALOGUE_BASE_URI", "https://gpc.test")
    write_source(tmp_path, {"a": "A"})
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nname = "broken"\nkind = "dcat"\nurl = "missing.ttl"\n'
        '[[source]]\nname = "local"\nkind = "dcat"\nurl = "source.ttl"\n'
    )
    result = CliRunner().invoke(app, ["harvest", "--sources", str(tmp_path / "sources.toml"), "--json"])
    assert result.exit_code == 1
    summary = {s["name"]: s for s in json.loads(result.stdout)["sources"]}
    assert summary["broken"]["status"] == "failed" and summary["local"]["status"] == "ok" and summary["local"]["new"] == 1
    assert set(summary["local"]) >= {"seen", "new", "changed", "unchanged", "withdrawn", "failed", "skipped", "errors"}
    assert "broken: source failed: cannot read" in result.stderr


def test_quiet_structured_logs_when_not_a_terminal(tmp_path: Path, make_catalogue: Callable[..., Catalogue], caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from catalogue.harvest import LogProgress

    write_source(tmp_path, {"a": "A", "b": "B"})
    cat = make_catalogue()
    with caplog.at_level(logging.INFO, logger="catalogue.harvest"):
        cat.harvest(sources_for(tmp_path), progress=LogProgress())
    lines = [r.getMessage() for r in caplog.records if r.name == "catalogue.harvest"]
    assert lines[0] == "harvest.start source=local"
    assert lines[-1].startswith("harvest.end source=local status=ok seen=2 new=2 ")
    assert len(lines) == 2  # quiet: no line per record
