"""The full dumps: Oxigraph's own writers and the portable path (any store)
give the same data and the same figures."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyoxigraph as ox

from catalogue import dumps
from catalogue.core import Catalogue


def _quads(path: Path) -> set[ox.Quad]:
    return set(ox.parse(gzip.decompress(path.read_bytes()), format=ox.RdfFormat.N_QUADS))


def _triples(path: Path) -> set[ox.Triple]:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(gzip.decompress(path.read_bytes()), format=ox.RdfFormat.TURTLE)}


def test_native_and_portable_dumps_agree(demo_catalogue: Catalogue, tmp_path: Path) -> None:
    store = demo_catalogue.store
    native = dumps._write_native(store.oxigraph, tmp_path / "n.nq.gz", tmp_path / "n.ttl.gz")  # type: ignore[attr-defined]
    portable = dumps._write_portable(store, tmp_path / "p.nq.gz", tmp_path / "p.ttl.gz")
    assert native == portable
    assert native.practices >= 60 and native.projects >= 20 and native.organisations > 0
    assert native.records == store.count_records()
    assert _quads(tmp_path / "n.nq.gz") == _quads(tmp_path / "p.nq.gz")
    union = _triples(tmp_path / "n.ttl.gz")
    assert union == _triples(tmp_path / "p.ttl.gz")
    assert len(union) < native.triples  # shared triples (organisations) are one triple in the union


def test_dump_bytes_depend_on_the_content_only(demo_catalogue: Catalogue, tmp_path: Path) -> None:
    first = dumps._write_native(demo_catalogue.store.oxigraph, tmp_path / "a.nq.gz", tmp_path / "a.ttl.gz")  # type: ignore[attr-defined]
    second = dumps._write_native(demo_catalogue.store.oxigraph, tmp_path / "b.nq.gz", tmp_path / "b.ttl.gz")  # type: ignore[attr-defined]
    assert first == second
    assert (tmp_path / "a.nq.gz").read_bytes() == (tmp_path / "b.nq.gz").read_bytes()
    assert b".tmp" not in (tmp_path / "a.nq.gz").read_bytes()[:64]  # no temporary file name in the gzip header


def test_a_failing_export_is_logged_and_the_harvest_stands(demo_catalogue: Catalogue, tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    from catalogue.settings import Settings
    from catalogue.store import StoreError

    class FailingExport:
        def export_nquads(self, out: object, graphs: object = None) -> None:
            raise StoreError("the remote store cut the answer")

    settings = Settings(data_dir=tmp_path / "data", base_uri="https://gpc.test")
    dumps.refresh_after_harvest(FailingExport(), settings, changed=True)  # type: ignore[arg-type]
    assert "the remote store cut the answer" in caplog.text
    assert not (settings.dumps_dir / dumps.NQUADS).exists()
