"""Harvests through each store backend (Oxigraph, and Virtuoso over SPARQL 1.1):
the runner's promises hold on both, and a harvest interrupted by the death of
the Virtuoso server leaves no half-written record and completes on the next run."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from catalogue.core import Catalogue
from catalogue.harvest import HarvestRunner
from catalogue.index import Query
from catalogue.settings import Settings
from catalogue.sources import SourceList, parse_sources
from catalogue.store import RecordWrite, Store, StoreError
from catalogue.store.oxigraph import OxigraphStore
from catalogue.store.sparql import SparqlStore
from virtuoso import VirtuosoServer

PRACTICE = """
<https://src.example/p/{slug}> a <http://www.w3.org/ns/adms#Asset> ;
    <http://purl.org/dc/terms/title> "{title}"@en ;
    <http://purl.org/dc/terms/description> "How {title} works, in a few words."@en ;
    <http://www.w3.org/ns/dcat#keyword> "reuse"@en, "{slug}"@en ;
    <http://www.w3.org/ns/dcat#theme> <https://w3id.org/gpc/theme/participation> ;
    <http://purl.org/dc/terms/spatial> <http://publications.europa.eu/resource/authority/country/SVN> .
"""
CLOCK = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def write_source(folder: Path, practices: dict[str, str]) -> SourceList:
    (folder / "source.ttl").write_text("".join(PRACTICE.format(slug=s, title=t) for s, t in practices.items()))
    return parse_sources('[[source]]\nname = "local"\nkind = "dcat"\nurl = "source.ttl"\n', folder / "sources.toml")


def record_export(store: Store) -> bytes:
    rows = store.select("SELECT ?g WHERE { GRAPH ?g { ?g a <http://www.w3.org/ns/dcat#CatalogRecord> } }")
    out = io.BytesIO()
    store.export_nquads(out, [str(r["g"]) for r in rows])
    return out.getvalue()


def test_harvest_twice_then_change_and_withdraw(
    tmp_path: Path, make_catalogue: Callable[..., Catalogue], store_overrides: dict[str, object]
) -> None:
    sources = write_source(tmp_path, {"a": "Participatory budgeting", "b": "Open data portal"})
    cat = make_catalogue(**store_overrides)
    [first] = cat.harvest(sources)
    assert (first.status, first.counts.new) == ("ok", 2)
    before = record_export(cat.store)
    [second] = cat.harvest(sources)
    assert (second.counts.unchanged, second.counts.new, second.counts.changed) == (2, 0, 0)
    assert record_export(cat.store) == before  # unchanged records are not rewritten
    sources = write_source(tmp_path, {"a": "Participatory budgeting, second edition"})
    [third] = cat.harvest(sources)
    assert (third.counts.changed, third.counts.withdrawn) == (1, 1)
    states = cat.store.record_states(cat.uris.source("local"))
    assert sorted(s.status for s in states.values()) == ["active", "withdrawn"]
    assert cat.store.ask('ASK { ?p <http://purl.org/dc/terms/title> "Open data portal"@en }')
    assert [h.title for h in cat.engine.search(Query()).hits] == ["Participatory budgeting, second edition"]
    assert cat.check().ok


def test_reindex_from_the_store(
    tmp_path: Path, make_catalogue: Callable[..., Catalogue], store_overrides: dict[str, object]
) -> None:
    sources = write_source(tmp_path, {"a": "A", "b": "B", "c": "C"})
    cat = make_catalogue(**store_overrides)
    cat.harvest(sources)
    cat.engine.delete([cat.uris.practice("local-a")])
    cat.engine.commit()
    assert not cat.check().ok
    assert cat.reindex() == (3, [])
    assert cat.check().ok


class _KillDuringWrite(SparqlStore):
    """Kills the Virtuoso server a moment after the n-th batch write has started."""

    def __init__(self, server: VirtuosoServer, at_call: int, delay: float) -> None:
        super().__init__(server.query_url, server.update_url, server.user, server.password, graph_prefix="https://gpc.test")
        self.server, self.at_call, self.delay = server, at_call, delay
        self.calls = 0
        self.killed_during_request = False

    def write_records(self, records: list[RecordWrite]) -> None:  # type: ignore[override]
        self.calls += 1
        if self.calls != self.at_call:
            return super().write_records(records)
        timer = threading.Timer(self.delay, self.server.kill)
        timer.start()
        try:
            super().write_records(records)
        except StoreError:
            self.killed_during_request = True
            raise
        finally:
            timer.join()


def _graphs(nquads: bytes) -> dict[str, list[bytes]]:
    graphs: dict[str, list[bytes]] = {}
    for line in nquads.splitlines():
        graphs.setdefault(line.rsplit(b" <", 1)[1].split(b">")[0].decode(), []).append(line)
    return graphs


@pytest.mark.virtuoso
@pytest.mark.slow
def test_a_harvest_cut_by_a_virtuoso_crash_leaves_whole_records_and_the_next_run_completes(
    tmp_path: Path, virtuoso: VirtuosoServer
) -> None:
    practices = {f"p{i:03}": f"Practice number {i}" for i in range(240)}
    sources = write_source(tmp_path, practices)
    [source] = sources.select([])
    settings = Settings(data_dir=tmp_path / "data", base_uri="https://gpc.test", **virtuoso.settings())  # type: ignore[arg-type]

    # What every record graph must hold: the same harvest into Oxigraph, same clock.
    reference = OxigraphStore(None)
    aside = Settings(data_dir=tmp_path / "reference", base_uri="https://gpc.test")
    HarvestRunner(reference, None, aside, clock=lambda: CLOCK, batch_size=40).run(source, sources)
    expected = _graphs(record_export(reference))
    assert len(expected) == 240

    # The third batch's request is under way when the server is SIGKILLed.
    dying = _KillDuringWrite(virtuoso, at_call=3, delay=0.05)
    try:
        run = HarvestRunner(dying, None, settings, clock=lambda: CLOCK, batch_size=40).run(source, sources)
        assert run.status != "ok"
    except StoreError:
        pass  # the run could not even record itself: the store is gone
    virtuoso.start()  # same database: recovery from Virtuoso's transaction log

    store = SparqlStore(virtuoso.query_url, virtuoso.update_url, virtuoso.user, virtuoso.password, graph_prefix="https://gpc.test")
    out = io.BytesIO()
    store.export_nquads(out)  # every graph under the base URI, record or not
    found = {g: lines for g, lines in _graphs(out.getvalue()).items() if "/id/record/" in g}
    assert 0 < len(found) < 240, f"the crash should cut the harvest ({len(found)} records written)"
    for graph, lines in found.items():
        assert lines == expected[graph], f"{graph} is not whole"

    # The next full run (`catalogue harvest --full`) writes what is missing and
    # leaves the rest alone; an ordinary run does too (see the next test).
    run = HarvestRunner(store, None, settings, clock=lambda: CLOCK, batch_size=40).run(source, sources, full=True)
    assert run.status == "ok", run.errors[:3]
    assert (run.counts.new, run.counts.unchanged) == (240 - len(found), len(found))
    assert record_export(store) == record_export(reference)


@pytest.mark.virtuoso
def test_after_a_store_outage_the_next_ordinary_run_writes_the_missing_records(
    tmp_path: Path, virtuoso: VirtuosoServer
) -> None:
    sources = write_source(tmp_path, {f"p{i}": f"Practice {i}" for i in range(6)})
    [source] = sources.select([])
    settings = Settings(data_dir=tmp_path / "data", base_uri="https://gpc.test", **virtuoso.settings())  # type: ignore[arg-type]
    store = SparqlStore(virtuoso.query_url, virtuoso.update_url, virtuoso.user, virtuoso.password)
    try:  # the server dies as the first batch is written
        HarvestRunner(_KillDuringWrite(virtuoso, at_call=1, delay=0.0), None, settings, clock=lambda: CLOCK).run(source, sources)
    except StoreError:
        pass
    virtuoso.start()
    run = HarvestRunner(store, None, settings, clock=lambda: CLOCK).run(source, sources)
    assert run.counts.new == 6
