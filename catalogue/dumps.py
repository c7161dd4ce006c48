"""Full dumps of the store, gzipped, in `data_dir/dumps/`: N-Quads (every
graph: one per catalogue record, plus the harvest runs) and Turtle (the
union of the graphs), with the dataset's figures in `stats.json` for VoID.

Written after every harvest that changed something (and when missing), into
temporary files swapped in with `os.replace`, so a download never sees half
a dump. With Oxigraph the N-Quads come from its own writer, from any other
store through the store contract; the Turtle is then converted from the
N-Quads just written, as a stream, so memory stays flat at any size.
"""

from __future__ import annotations

import gzip
import json
import logging
import operator
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from .rdf_output import PREFIX_MAP
from .self_description import Counts, DumpFile
from .settings import Settings
from .store import Store, StoreError

log = logging.getLogger(__name__)

NQUADS = "catalogue.nq.gz"
TURTLE = "catalogue.ttl.gz"
STATS = "stats.json"
MEDIA_TYPES = {NQUADS: "application/n-quads", TURTLE: "text/turtle"}
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_CLASSES = {
    "https://w3id.org/gpc/ns#Practice": "practices",
    "https://w3id.org/gpc/ns#Project": "projects",
    "http://xmlns.com/foaf/0.1/Organization": "organisations",
    "http://www.w3.org/ns/dcat#CatalogRecord": "records",
}


_CLASS_COUNTS = (
    "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } VALUES ?c { "
    + " ".join(f"<{iri}>" for iri in _CLASSES)
    + " } } GROUP BY ?c"
)
# zlib's default level: level 9 took twice the time for 2 % smaller files.
_GZIP_LEVEL = 6


@contextmanager
def _gzip_writer(path: Path) -> Iterator[gzip.GzipFile]:
    # mtime=0 and no file name: the bytes depend on the content only.
    with path.open("wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=_GZIP_LEVEL) as out:
        yield out


def _write_native(store: ox.Store, nq_tmp: Path, ttl_tmp: Path) -> Counts:
    """Oxigraph writes the N-Quads itself; the figures come from its indexes."""
    with _gzip_writer(nq_tmp) as out:
        store.dump(out, format=ox.RdfFormat.N_QUADS)
    _turtle_from_nquads(nq_tmp, ttl_tmp)
    found = {row["c"].value: int(row["n"].value) for row in store.query(_CLASS_COUNTS)}  # type: ignore[union-attr, index]
    return Counts(triples=len(store), **{name: found.get(iri, 0) for iri, name in _CLASSES.items()})


def _write_portable(store: Store, nq_tmp: Path, ttl_tmp: Path) -> Counts:
    """Any store: the N-Quads from the contract, the figures counted while
    the Turtle is converted from them."""
    with _gzip_writer(nq_tmp) as out:
        store.export_nquads(out)
    seen: dict[str, set[str]] = {name: set() for name in _CLASSES.values()}
    triples = 0

    def count(quad: ox.Quad) -> None:
        nonlocal triples
        triples += 1
        if quad.predicate.value == _RDF_TYPE and isinstance(quad.object, ox.NamedNode):
            bucket = _CLASSES.get(quad.object.value)
            if bucket:
                seen[bucket].add(str(quad.subject))

    _turtle_from_nquads(nq_tmp, ttl_tmp, count)
    return Counts(triples=triples, **{name: len(subjects) for name, subjects in seen.items()})


def _turtle_from_nquads(nq_path: Path, ttl_path: Path, visit: Callable[[ox.Quad], None] | None = None) -> None:
    """The union of the dumped graphs as Turtle, streamed from the N-Quads
    dump just written (each quad is shown to `visit` on the way, if given).

    Reading the dump back is twice as fast as scanning the store again: an
    on-disk Oxigraph store looks each term's text up as it reads a quad.
    A triple held by several records (a shared organisation) is written once
    per record, which RDF readers merge; a CONSTRUCT would write it once but
    keeps every triple in memory to do so (1.6 GB at 100,000 records)."""
    with gzip.open(nq_path, "rb") as data, _gzip_writer(ttl_path) as out:
        quads = ox.parse(data, format=ox.RdfFormat.N_QUADS)
        if visit is None:
            # No Python code per quad: a quarter less time than a generator.
            triples: Iterable[ox.Triple] = map(operator.attrgetter("triple"), quads)
        else:
            triples = (_visited(quad, visit) for quad in quads)
        ox.serialize(triples, out, format=ox.RdfFormat.TURTLE, prefixes=PREFIX_MAP)  # type: ignore[arg-type]


def _visited(quad: ox.Quad, visit: Callable[[ox.Quad], None]) -> ox.Triple:
    visit(quad)
    return quad.triple


def write_dumps(store: Store, settings: Settings) -> Counts:
    """(Re)write both dumps and the figures; returns the figures."""
    folder = settings.dumps_dir
    folder.mkdir(parents=True, exist_ok=True)
    nq_tmp, ttl_tmp, stats_tmp = (folder / f".{name}.tmp" for name in (NQUADS, TURTLE, STATS))
    native = getattr(store, "oxigraph", None)
    if isinstance(native, ox.Store):
        counts = _write_native(native, nq_tmp, ttl_tmp)
    else:
        counts = _write_portable(store, nq_tmp, ttl_tmp)
    stats_tmp.write_text(json.dumps({**asdict(counts), "written": _now()}, indent=2), encoding="utf-8")
    for tmp, name in ((nq_tmp, NQUADS), (ttl_tmp, TURTLE), (stats_tmp, STATS)):
        os.replace(tmp, folder / name)
    return counts


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def refresh_after_harvest(store: Store, settings: Settings, changed: bool) -> None:
    """Rewrite the dumps when the harvest changed the store (or none exist yet).
    A failure is logged, never raised: the harvest itself succeeded."""
    if not changed and (settings.dumps_dir / NQUADS).is_file():
        return
    try:
        write_dumps(store, settings)
    except (OSError, ValueError, SyntaxError, StoreError) as exc:  # a remote store may fail its export
        log.error("could not write the dumps to %s: %s", settings.dumps_dir, exc)


def list_dumps(settings: Settings) -> list[DumpFile]:
    """The dumps on disk with their size and date (newest writes first)."""
    out = []
    for name in (NQUADS, TURTLE):
        path = settings.dumps_dir / name
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        out.append(
            DumpFile(
                name=name,
                url=f"{settings.base_uri}/dumps/{name}",
                media_type=MEDIA_TYPES[name],
                size=st.st_size,
                modified=datetime.fromtimestamp(st.st_mtime, UTC).replace(microsecond=0),
            )
        )
    return out


def dump_path(settings: Settings, name: str) -> Path | None:
    """The file of a dump by name, or None (only our own names are served)."""
    if name not in MEDIA_TYPES:
        return None
    path = settings.dumps_dir / name
    return path if path.is_file() else None


def dataset_counts(settings: Settings) -> Counts:
    """The figures written with the last dump (empty when there is none)."""
    try:
        data = json.loads((settings.dumps_dir / STATS).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return Counts()
    return Counts(**{k: v for k, v in data.items() if k in Counts.__dataclass_fields__})
