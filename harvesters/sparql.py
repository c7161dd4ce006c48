"""Any SPARQL endpoint, with `SPARQLWrapper`: a CONSTRUCT or SELECT query,
read page by page (`LIMIT` / `OFFSET`).

- A CONSTRUCT query's graph is read like a DCAT-AP catalogue (harvesters/dcat.py):
  its `adms:Asset`, `dcat:Dataset`, `dcat:Resource` and `gpc:Practice` become practices.
- A SELECT query's rows are read like a table (harvesters/tabular.py): `entity`
  says what a row is, `columns` maps our fields to the query's variables (by
  default a variable named like a field feeds that field). Several rows with
  one `id` (a project with two topics) are one record: the first row counts.
- `preset = "cordis"` needs no query: it asks the CORDIS knowledge graph
  (EURIO ontology, http://data.europa.eu/s66#) for the projects of
  `programmes` (H2020, HORIZON), optionally only those whose topic code starts
  with one of `topics` or whose title or objective holds one of `keywords`.

SPARQLWrapper builds the protocol request (query form, Accept header for the
query type); the request itself goes through HttpClient, so endpoints get the
user agent, timeouts, retries, size cap and pacing of every source. Put an
`ORDER BY` in your own query: paging without one may skip or repeat rows. A
CONSTRUCT query pages over solutions, not resources: page over the resources
in a sub-select so that one resource's triples do not straddle two pages.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Literal

from pydantic import Field, model_validator
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper

from .base import Harvester, HttpClient, Item, Options, SourceError
from .cordis import PROGRAMMES
from .dcat import parse_rdf, practice_item, practice_subjects
from .jsonld_contexts import context_loader
from .tabular import KNOWN, RowMapper

EURIO = "http://data.europa.eu/s66#"

CORDIS_QUERY = """PREFIX eurio: <http://data.europa.eu/s66#>
SELECT ?id ?acronym ?title ?description ?start_date ?end_date ?total_cost ?programme ?topic WHERE {{
  ?project a eurio:Project ;
           eurio:identifier ?id ;
           eurio:title ?title ;
           eurio:isFundedBy ?grant .
  ?grant eurio:hasFundingSchemeProgramme/eurio:code ?programme .
  FILTER (?programme IN ({programmes}))
  OPTIONAL {{ ?grant eurio:hasFundingSchemeTopic/eurio:code ?topic }}
  OPTIONAL {{ ?project eurio:hasAcronym/eurio:shortForm ?acronym }}
  OPTIONAL {{ ?project eurio:abstract ?description }}
  OPTIONAL {{ ?project eurio:startDate ?start_date }}
  OPTIONAL {{ ?project eurio:endDate ?end_date }}
  OPTIONAL {{ ?project eurio:hasTotalCost/eurio:value ?total_cost }}
  {filters}
}}
ORDER BY ?id ?topic"""

CORDIS_COLUMNS = {
    "id": "id", "acronym": "acronym", "title": "title", "description": "description", "programme": "programme",
    "start_date": "start_date", "end_date": "end_date", "total_cost": "total_cost",
}  # fmt: skip


def _literal(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid SPARQL string literal


def cordis_query(programmes: list[str], topics: list[str], keywords: list[str]) -> str:
    filters = []
    if topics:
        filters.append("FILTER (" + " || ".join(f"STRSTARTS(STR(?topic), {_literal(t)})" for t in topics) + ")")
    if keywords:
        filters.append(
            "FILTER ("
            + " || ".join(f"CONTAINS(LCASE(CONCAT(STR(?title), ' ', COALESCE(STR(?description), ''))), {_literal(k.lower())})" for k in keywords)
            + ")"
        )
    return CORDIS_QUERY.format(programmes=", ".join(_literal(p) for p in programmes), filters="\n  ".join(filters))


class SparqlOptions(Options):
    query: str | None = Field(default=None, description="A CONSTRUCT or SELECT query (without LIMIT / OFFSET).")
    preset: Literal["cordis"] | None = Field(default=None, description="A ready query: 'cordis' (EURIO projects).")
    page_size: int = Field(default=1000, ge=1, le=100_000)
    max_pages: int = Field(default=10_000, ge=1)
    entity: Literal["practice", "project"] = "practice"
    columns: dict[str, str] = Field(default_factory=dict, description="SELECT: our field -> the query's variable.")
    lang: str = Field(default="en", pattern=r"^[a-z]{2}$")
    separator: str = ";"
    key_prefix: str | None = None
    method: Literal["GET", "POST"] = "POST"
    # preset = "cordis"
    programmes: list[str] = Field(default_factory=lambda: ["H2020", "HORIZON"], description="Programme codes (cordis preset).")
    topics: list[str] = Field(default_factory=list, description="Topic code prefixes (cordis preset).")
    keywords: list[str] = Field(default_factory=list, description="Words in title or objective (cordis preset).")

    @model_validator(mode="after")
    def _one_query(self) -> SparqlOptions:
        if (self.query is None) == (self.preset is None):
            raise ValueError("give either query or preset")
        unknown = sorted(set(self.columns) - KNOWN[self.entity])
        if unknown:
            raise ValueError(f"columns: unknown field(s) {unknown} for entity {self.entity!r}")
        return self


class SparqlHarvester(Harvester):
    kind = "sparql"
    Options = SparqlOptions
    options: SparqlOptions

    def records(self) -> Iterator[Item]:
        query, entity, columns = self._query()
        contexts = context_loader(self.ctx)
        wrapper = SPARQLWrapper(self.source.url, agent=self.ctx.user_agent)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SPARQLWrapper warns about prefixes it cannot guess
            wrapper.setQuery(query)
        form = wrapper.queryType
        if form not in ("SELECT", "CONSTRUCT"):
            raise SourceError(f"{self.source.url}: a {form} query cannot be harvested; use CONSTRUCT or SELECT")
        wrapper.setReturnFormat(JSON if form == "SELECT" else TURTLE)
        if self.options.method == "POST":
            wrapper.setMethod(POST)
        client = HttpClient(self.ctx)
        prefix = self.options.key_prefix or self.source.name
        mapper = RowMapper(entity, columns, self.options.lang, self.options.separator, prefix) if form == "SELECT" else None
        seen_ids: set[str] = set()
        for page in range(self.options.max_pages):
            offset = page * self.options.page_size
            paged = f"{query}\nLIMIT {self.options.page_size}\nOFFSET {offset}"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wrapper.setQuery(paged)
            body, media = self._send(wrapper, client)
            if form == "SELECT":
                assert mapper is not None
                rows = _select_rows(body, self.source.url)
                fresh = []
                for row in rows:
                    row = self._normalise(row)
                    ident = str(row.get(columns["id"], ""))
                    if ident and ident in seen_ids:
                        continue  # one record per id: the first row counts
                    seen_ids.add(ident)
                    fresh.append(row)
                yield from mapper.items(fresh, first_number=offset + 1)
                count = len(rows)
            else:
                graph = parse_rdf(body, _rdf_format(media), self.source.url, contexts)
                for subject in practice_subjects(graph):
                    yield practice_item(graph, subject, prefix)
                count = len(graph)
            if (form == "SELECT" and count < self.options.page_size) or count == 0:
                return
        self.incomplete_reason = f"stopped after max_pages = {self.options.max_pages} pages"

    def _query(self) -> tuple[str, str, dict[str, str]]:
        if self.options.preset == "cordis":
            query = cordis_query(self.options.programmes, self.options.topics, self.options.keywords)
            return query, "project", CORDIS_COLUMNS
        assert self.options.query is not None
        columns = dict(self.options.columns)
        for field in KNOWN[self.options.entity]:
            columns.setdefault(field, field)  # a variable named like a field feeds it
        return self.options.query, self.options.entity, columns

    def _normalise(self, row: dict[str, str]) -> dict[str, str]:
        if self.options.preset == "cordis" and "programme" in row:
            row = {**row, "programme": PROGRAMMES.get(row["programme"].upper(), row["programme"].lower())}
        return row

    def _send(self, wrapper: SPARQLWrapper, client: HttpClient) -> tuple[bytes, str]:
        # SPARQLWrapper builds the protocol request; HttpClient sends it politely.
        request = wrapper._createRequest()  # noqa: SLF001 - the request builder has no public name
        headers = {k: v for k, v in request.header_items() if k.lower() not in ("user-agent", "accept")}
        accept = request.get_header("Accept") or "*/*"
        fetched = client.request(request.full_url, method=request.get_method(), data=request.data, headers=headers, accept=accept)
        return fetched.body, fetched.content_type


def _select_rows(body: bytes, where: str) -> list[dict[str, str]]:
    try:
        data = json.loads(body)
        bindings = data["results"]["bindings"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"{where}: not SPARQL JSON results: {type(exc).__name__}: {exc}") from None
    return [{k: str(v.get("value", "")) for k, v in b.items()} for b in bindings if isinstance(b, dict)]


def _rdf_format(media: str) -> str:
    return {
        "application/rdf+xml": "xml",
        "application/ld+json": "json-ld",
        "application/n-triples": "nt",
        "text/plain": "nt",
    }.get(media, "turtle")

