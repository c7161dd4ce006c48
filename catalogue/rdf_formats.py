"""The formats the catalogue speaks, and content negotiation between them.

Two families: SPARQL results (SELECT and ASK answers) and RDF graphs
(CONSTRUCT and DESCRIBE answers, entity documents, the DCAT-AP feed, VoID).
Each format has one short name (the `format` parameter, the CLI's
`--format`), a media type, the other media types clients use for it, and a
file extension. `/sparql`, the linked-data documents and `catalogue query`
all resolve names and Accept headers here, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    extension: str
    label: str
    aliases: tuple[str, ...] = ()  # other names and media types meaning the same
    results: ox.QueryResultsFormat | None = None
    rdf: ox.RdfFormat | None = None

    @property
    def content_type(self) -> str:
        """The Content-Type header: text formats say they are UTF-8."""
        return f"{self.media_type}; charset=utf-8"


RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "srj", "SPARQL JSON",
           ("application/json", "text/javascript", "application/javascript"), results=ox.QueryResultsFormat.JSON),
    Format("xml", "application/sparql-results+xml", "srx", "SPARQL XML",
           ("application/xml", "text/xml"), results=ox.QueryResultsFormat.XML),
    Format("csv", "text/csv", "csv", "CSV", (), results=ox.QueryResultsFormat.CSV),
    Format("tsv", "text/tab-separated-values", "tsv", "TSV", ("tab-separated-values",), results=ox.QueryResultsFormat.TSV),
)  # fmt: skip

RDF_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", "ttl", "Turtle",
           ("ttl", "application/turtle", "application/x-turtle", "n3", "text/n3", "text/rdf+n3", "application/n3"),
           rdf=ox.RdfFormat.TURTLE),
    Format("jsonld", "application/ld+json", "jsonld", "JSON-LD",
           ("json-ld", "json", "application/json", "application/x-json+ld"), rdf=ox.RdfFormat.JSON_LD),
    Format("rdfxml", "application/rdf+xml", "rdf", "RDF/XML",
           ("rdf", "rdf+xml", "xml", "application/xml", "text/xml"), rdf=ox.RdfFormat.RDF_XML),
    Format("ntriples", "application/n-triples", "nt", "N-Triples", ("nt", "n-triples", "text/plain"),
           rdf=ox.RdfFormat.N_TRIPLES),
)  # fmt: skip

HTML_TYPE = "text/html"


def by_name(name: str, family: Sequence[Format]) -> Format | None:
    """The format a `format` value names in one family: its name, an alias,
    its extension or a media type (`json` is SPARQL JSON for results and
    JSON-LD for graphs, as clients such as SPARQLWrapper expect)."""
    wanted = name.strip().lower().split(";")[0].strip()
    for fmt in family:
        if wanted in (fmt.name, fmt.media_type, fmt.extension, *fmt.aliases):
            return fmt
    return None


def by_extension(extension: str) -> Format | None:
    return next((f for f in RDF_FORMATS if f.extension == extension), None)


def names(family: Iterable[Format]) -> str:
    return ", ".join(f.name for f in family)


# --- content negotiation -------------------------------------------------------


@dataclass(frozen=True)
class _Range:
    type: str
    subtype: str
    q: float
    order: int

    def matches(self, media_type: str) -> int:
        """How specifically this range matches (2 exact, 1 type/*, 0 */*, -1 no)."""
        main, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type == main and self.subtype == "*":
            return 1
        if self.type == main and self.subtype == sub:
            return 2
        return -1


def _ranges(accept: str) -> list[_Range]:
    out = []
    for order, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        main, _, sub = media.partition("/")
        out.append(_Range(main, sub, q, order))
    return out


def quality(accept: str, media_types: Iterable[str]) -> float:
    """The q the Accept header gives the best of `media_types` (one format's
    media type and aliases): the most specific matching range wins."""
    ranges = _ranges(accept)
    best = 0.0
    for media in media_types:
        if "/" not in media:
            continue
        matching = [(r.matches(media), r) for r in ranges if r.matches(media) >= 0]
        if matching:
            best = max(best, max(matching, key=lambda m: (m[0], -m[1].order))[1].q)
    return best


def negotiate(accept: str | None, offers: Sequence[tuple[str, Sequence[str]]]) -> str | None:
    """The offer key the client prefers, from (key, media types) in the
    server's order of preference; ties go to the earlier offer. No Accept
    header means the first offer; None means nothing acceptable."""
    if not accept or not accept.strip():
        return offers[0][0] if offers else None
    best_key, best_q = None, 0.0
    for key, media_types in offers:
        q = quality(accept, media_types)
        if q > best_q:
            best_key, best_q = key, q
    return best_key


def prefers_html(accept: str | None) -> bool:
    """True when the client names HTML itself and likes nothing better: a
    browser. `*/*` alone (curl, most libraries) is not a browser."""
    if not accept:
        return False
    ranges = _ranges(accept)
    html_q = max((r.q for r in ranges if r.matches(HTML_TYPE) == 2 or r.matches("application/xhtml+xml") == 2), default=0.0)
    return html_q > 0 and html_q >= max(r.q for r in ranges)


def offers(family: Sequence[Format]) -> list[tuple[str, Sequence[str]]]:
    return [(f.name, (f.media_type, *[a for a in f.aliases if "/" in a])) for f in family]


def serialize_triples(triples: Iterable[ox.Triple], fmt: Format, prefixes: dict[str, str] | None = None) -> bytes:
    """Triples in one RDF format, by Oxigraph's writers (fast, streaming)."""
    assert fmt.rdf is not None
    use_prefixes = prefixes if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    out = ox.serialize(triples, format=fmt.rdf, prefixes=use_prefixes)
    assert out is not None
    return out
