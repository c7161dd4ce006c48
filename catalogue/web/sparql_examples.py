"""Example queries over our data, shown on the /sparql page (and run by the
tests, so that they keep working as the profile evolves)."""

from __future__ import annotations

from dataclasses import dataclass

PREFIXES = """PREFIX gpc: <https://w3id.org/gpc/ns#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""


@dataclass(frozen=True)
class Example:
    key: str
    title: str
    query: str


EXAMPLES: tuple[Example, ...] = (
    Example(
        "per-country",
        "How many practices each country has",
        PREFIXES
        + """SELECT ?country (COUNT(DISTINCT ?practice) AS ?practices) WHERE {
  ?practice a gpc:Practice ; dcterms:spatial ?country .
  FILTER(STRSTARTS(STR(?country), "http://publications.europa.eu/resource/authority/country/"))
}
GROUP BY ?country
ORDER BY DESC(?practices)""",
    ),
    Example(
        "theme",
        "Participation practices, with their English titles",
        PREFIXES
        + """SELECT ?practice ?title WHERE {
  ?practice a gpc:Practice ;
            dcat:theme <https://w3id.org/gpc/theme/participation> ;
            dcterms:title ?title .
  FILTER(LANGMATCHES(LANG(?title), "en"))
}
ORDER BY ?title
LIMIT 20""",
    ),
    Example(
        "projects",
        "EU-funded projects and the practices they produced",
        PREFIXES
        + """SELECT ?project ?acronym (COUNT(DISTINCT ?practice) AS ?practices) WHERE {
  ?practice a gpc:Practice ; gpc:project ?project .
  OPTIONAL { ?project gpc:acronym ?acronym }
}
GROUP BY ?project ?acronym
ORDER BY DESC(?practices)
LIMIT 20""",
    ),
    Example(
        "publishers",
        "Who published the most practices",
        PREFIXES
        + """SELECT ?organisation ?name (COUNT(DISTINCT ?practice) AS ?practices) WHERE {
  ?practice a gpc:Practice ; dcterms:publisher ?organisation .
  ?organisation foaf:name ?name .
}
GROUP BY ?organisation ?name
ORDER BY DESC(?practices)
LIMIT 20""",
    ),
    Example(
        "records",
        "Catalogue records by source and status (each record is a named graph)",
        PREFIXES
        + """SELECT ?source ?status (COUNT(?record) AS ?records) WHERE {
  GRAPH ?record {
    ?record a dcat:CatalogRecord ; dcterms:source ?source ; gpc:recordStatus ?status .
  }
}
GROUP BY ?source ?status
ORDER BY ?source""",
    ),
    Example(
        "runs",
        "The latest harvest runs and what they changed",
        PREFIXES
        + """SELECT ?run ?source ?started ?status ?new ?changed ?withdrawn ?failed WHERE {
  ?run a gpc:HarvestRun ; prov:used ?source ; prov:startedAtTime ?started ; gpc:runStatus ?status ;
       gpc:new ?new ; gpc:changed ?changed ; gpc:withdrawn ?withdrawn ; gpc:failed ?failed .
}
ORDER BY DESC(?started)
LIMIT 10""",
    ),
    Example(
        "ask",
        "Is there a participation practice in Spain? (ASK)",
        PREFIXES
        + """ASK {
  ?practice a gpc:Practice ;
            dcat:theme <https://w3id.org/gpc/theme/participation> ;
            dcterms:spatial <http://publications.europa.eu/resource/authority/country/ESP> .
}""",
    ),
    Example(
        "construct",
        "The titles and themes of a few practices, as a graph (CONSTRUCT)",
        PREFIXES
        + """CONSTRUCT { ?practice dcterms:title ?title ; dcat:theme ?theme . }
WHERE {
  { SELECT ?practice WHERE { ?practice a gpc:Practice } ORDER BY ?practice LIMIT 5 }
  ?practice dcterms:title ?title ; dcat:theme ?theme .
}""",
    ),
)
