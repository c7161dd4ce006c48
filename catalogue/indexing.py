"""From the store to the search index: what a practice looks like to search.

The harvest runner (for the records it just wrote) and `catalogue reindex`
(for everything) both build index documents here, so the index can always be
rebuilt from the store and never says something the store does not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from rdflib import Graph
from rdflib.namespace import SKOS

import vocab
from vocab import EU_COUNTRY, GOV_LEVEL, MATURITY, NUTS, PRACTICE_TYPE, THEME

from .index import IndexDoc, SearchEngine
from .mapping import MappingError, from_graph
from .models import Practice
from .store import Store
from .uris import Uris

_TEXT_FIELDS = ("description", "problem", "solution", "results", "costs", "transfer_conditions", "lessons")


@cache
def concept_label_text(concept_uri: str) -> str:
    """Every label of a concept in our schemes (preferred and alternative, all
    languages, in a fixed order), as one text to index with each record."""
    graph = vocab.schemes()
    from rdflib import URIRef

    node = URIRef(concept_uri)
    labels = []
    for prop in (SKOS.prefLabel, SKOS.altLabel):
        for label in graph.objects(node, prop):
            labels.append((getattr(label, "language", None) or "", str(label)))
    return " ".join(text for _lang, text in sorted(labels))


def label(concept_uri: str, lang: str) -> str:
    """The preferred label in `lang`, else English, else the only (or first)
    other one, else the code. NUTS regions have one name, in their own
    language, whatever the reader's (vocab/regions.ttl)."""
    graph = vocab.schemes()
    from rdflib import URIRef

    labels = {getattr(lbl, "language", None) or "": str(lbl) for lbl in graph.objects(URIRef(concept_uri), SKOS.prefLabel)}
    if not labels:
        return concept_uri.rstrip("/").rsplit("/", 1)[-1]
    return labels.get(lang) or labels.get("en") or labels[min(labels)]


@dataclass(frozen=True)
class Indexed:
    """A practice with what the index needs beyond the model."""

    practice: Practice
    version: str
    source: str | tuple[str, ...]  # every source that has an active record of it
    programmes: tuple[str, ...] = ()


def combined_version(hashes: Iterable[str]) -> str:
    """The version of a practice indexed from its active records: the record's
    content hash when there is one record, else a hash of the sorted hashes."""
    ordered = sorted(hashes)
    if len(ordered) == 1:
        return ordered[0]
    return hashlib.sha256("\n".join(ordered).encode("ascii")).hexdigest()


def practice_doc(item: Indexed, uris: Uris) -> IndexDoc:
    p = item.practice
    concepts = (
        [THEME[c] for c in p.themes]
        + [PRACTICE_TYPE[c] for c in p.practice_types]
        + [EU_COUNTRY[c] for c in p.countries]
        + ([MATURITY[p.maturity]] if p.maturity else [])
        + [GOV_LEVEL[c] for c in p.government_levels]
        + [NUTS[c] for c in p.regions]
    )
    labels = " ".join(filter(None, (concept_label_text(str(c)) for c in concepts)))
    if p.technologies or p.cities:
        # Names in no particular language: searchable, but never a snippet.
        labels = " ".join([labels, *p.technologies, *p.cities]).strip()
    text: dict[str, list[str]] = {}
    for field in _TEXT_FIELDS:
        for lang, value in getattr(p, field).items():
            text.setdefault(lang, []).append(value)
    for lang, words in p.keywords.items():
        text.setdefault(lang, []).append(" ".join(words))
    languages = sorted(set(p.title) | set(p.description) | set(p.languages))
    year = str(p.issued.year) if p.issued else ""
    title_sort = (p.title.get("en") or next(iter(sorted(p.title.items())))[1]).casefold()
    facets = {
        "country": tuple(p.countries),
        "region": tuple(p.regions),
        "theme": tuple(p.themes),
        "type": tuple(p.practice_types),
        "maturity": (p.maturity,) if p.maturity else (),
        "programme": tuple(sorted(set(item.programmes))),
        "level": tuple(p.government_levels),
        "language": tuple(languages),
        "source": (item.source,) if isinstance(item.source, str) else tuple(sorted(set(item.source))),
        "year": (year,) if year else (),
    }
    return IndexDoc(
        uri=uris.practice(p.key),
        version=item.version,
        title=dict(p.title),
        text={lang: "\n".join(parts) for lang, parts in text.items()},
        labels=labels,
        facets={k: v for k, v in facets.items() if v},
        sort_title=title_sort,
        date=p.issued.isoformat() if p.issued else "",
    )


class IndexFeeder:
    """Reads practices from the store and feeds the engine."""

    def __init__(self, store: Store, engine: SearchEngine, uris: Uris) -> None:
        self.store = store
        self.engine = engine
        self.uris = uris
        self._programmes: dict[str, str] | None = None

    def programmes(self) -> dict[str, str]:
        """project key -> programme code, from the store (cached per feeder)."""
        if self._programmes is None:
            rows = self.store.select(
                "SELECT ?p ?prog WHERE { ?p <https://w3id.org/gpc/ns#programme> ?prog }"
            )
            self._programmes = {}
            for row in rows:
                key = self.uris.key_of(str(row["p"]), "project")
                if key:
                    self._programmes[key] = str(row["prog"]).rsplit("/", 1)[-1]
        return self._programmes

    def remember_programme(self, project_key: str, programme: str | None) -> None:
        if programme:
            self.programmes()[project_key] = programme

    def indexed(self, practice: Practice, version: str, source: str | tuple[str, ...]) -> Indexed:
        progs = self.programmes()
        return Indexed(practice, version, source, tuple(progs[k] for k in practice.projects if k in progs))

    def active_practices(self, practice: str | None = None) -> Iterator[tuple[str, str, str, str]]:
        """(practice uri, record graph, content hash, source uri) of every active
        practice record (of one practice when `practice` is given)."""
        bound = f"VALUES ?p {{ <{practice}> }}" if practice else ""
        rows = self.store.select(
            f"""SELECT ?p ?g ?hash ?src WHERE {{ {bound}
                 GRAPH ?g {{ ?g <http://xmlns.com/foaf/0.1/primaryTopic> ?p ;
                              <https://w3id.org/gpc/ns#recordStatus> <https://w3id.org/gpc/ns#Active> ;
                              <https://w3id.org/gpc/ns#contentHash> ?hash ;
                              <http://purl.org/dc/terms/source> ?src .
                            ?p a <https://w3id.org/gpc/ns#Practice> . }} }}"""
        )
        for row in sorted(rows, key=lambda r: (str(r["p"]), str(r["g"]))):
            yield str(row["p"]), str(row["g"]), str(row["hash"]), str(row["src"])

    def _grouped(self, practice: str | None = None) -> dict[str, list[tuple[str, str, str]]]:
        """practice uri -> [(record graph, content hash, source uri)] of its active records."""
        grouped: dict[str, list[tuple[str, str, str]]] = {}
        for p, g, h, s in self.active_practices(practice):
            grouped.setdefault(p, []).append((g, h, s))
        return grouped

    def store_versions(self) -> dict[str, str]:
        """practice uri -> version the index should hold (all its active records merged)."""
        return {p: combined_version(h for _g, h, _s in records) for p, records in self._grouped().items()}

    def docs_from_store(self, only: Iterable[str] | None = None) -> Iterator[IndexDoc | MappingError]:
        """One document per practice, read from the union of its active records
        (a practice seen in two sources is one document with both sources)."""
        wanted = set(only) if only is not None else None
        if wanted is not None and len(wanted) == 1:
            grouped = self._grouped(next(iter(wanted)))
        else:
            grouped = self._grouped()
        for practice_uri, records in grouped.items():
            if wanted is not None and practice_uri not in wanted:
                continue
            merged = Graph()
            for graph_uri, _h, _s in records:
                graph = self.store.get_record(graph_uri)
                if graph is not None:
                    merged += graph
            if not len(merged):
                continue
            try:
                practice = from_graph(merged, practice_uri, self.uris)
            except MappingError as exc:
                yield exc
                continue
            assert isinstance(practice, Practice)
            sources = tuple(sorted({s.rsplit("/", 1)[-1] for _g, _h, s in records}))
            version = combined_version(h for _g, h, _s in records)
            yield practice_doc(self.indexed(practice, version, sources[0] if len(sources) == 1 else sources), self.uris)
