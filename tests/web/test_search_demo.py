"""Search behaviour a civil servant relies on, pinned on the demo data."""

from __future__ import annotations

from starlette.testclient import TestClient

from catalogue.core import Catalogue


def search(client: TestClient, **params: object) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def titles(body: dict) -> list[str]:  # type: ignore[type-arg]
    return [r["title"] for r in body["results"]]


def test_a_query_in_one_language_finds_records_in_others(client: TestClient) -> None:
    # The English records on participatory budgets carry the theme
    # "participation", whose Italian and Spanish labels are indexed with them.
    for query in ("bilancio partecipativo", "presupuestos participativos", "participatory budgeting"):
        body = search(client, q=query, per_page=100)
        assert "Lisbon Participatory Budget" in titles(body), query
        assert "Decidim Barcelona" in " ".join(titles(body)), query


def test_stemming_matches_inflected_forms(client: TestClient) -> None:
    # "budgets" reaches "budget" through the English and French stemmers.
    singular = set(titles(search(client, q="budget", per_page=100)))
    plural = set(titles(search(client, q="budgets", per_page=100)))
    assert {"Lisbon Participatory Budget", "Budget participatif de Paris"} <= plural <= singular


def test_misspelling_gets_a_suggestion(client: TestClient) -> None:
    body = search(client, q="partcipation")
    assert body["suggestion"] == "participation"
    assert search(client, q=body["suggestion"])["total"] > 0


def test_multi_select_is_or_within_a_facet_and_and_across(client: TestClient) -> None:
    est = search(client, country="EST")["total"]
    fin = search(client, country="FIN")["total"]
    both = search(client, country=["EST", "FIN"])
    assert both["total"] == est + fin  # no demo practice is in both countries
    narrowed = search(client, country=["EST", "FIN"], theme="digital-government")
    assert 0 < narrowed["total"] < both["total"]
    for result in narrowed["results"]:
        assert "digital-government" in result["facets"]["theme"]
        assert {"EST", "FIN"} & set(result["facets"]["country"])
    # Counts of the country facet ignore the country filter (so other
    # countries can still be added) but honour the theme filter.
    counts = {f["value"]: f["count"] for f in narrowed["facets"]["country"]}
    assert counts["ITA"] == search(client, country="ITA", theme="digital-government")["total"]


def test_country_counts_equal_a_sparql_count(client: TestClient, demo_catalogue: Catalogue) -> None:
    body = search(client, per_page=1)
    rows = demo_catalogue.store.select(
        """SELECT ?c (COUNT(DISTINCT ?p) AS ?n) WHERE {
             GRAPH ?g { ?g <https://w3id.org/gpc/ns#recordStatus> <https://w3id.org/gpc/ns#Active> ;
                          <http://xmlns.com/foaf/0.1/primaryTopic> ?p .
                        ?p a <https://w3id.org/gpc/ns#Practice> ; <http://purl.org/dc/terms/spatial> ?c .
                        FILTER(STRSTARTS(STR(?c), "http://publications.europa.eu/resource/authority/country/")) } }
           GROUP BY ?c"""
    )
    expected = {str(r["c"]).rsplit("/", 1)[-1]: int(r["n"]) for r in rows}
    assert {f["value"]: f["count"] for f in body["facets"]["country"]} == expected


def test_sorting_and_paging(client: TestClient) -> None:
    by_title = titles(search(client, sort="title", per_page=100))
    assert [t.casefold() for t in by_title] == sorted(t.casefold() for t in by_title)
    page_1 = titles(search(client, sort="title", per_page=10, page=1))
    page_2 = titles(search(client, sort="title", per_page=10, page=2))
    assert page_1 + page_2 == by_title[:20]
    newest = search(client, sort="newest", per_page=100)["results"]
    years = [r["facets"].get("year", ["0"])[0] for r in newest]
    dated = [y for y in years if y != "0"]
    assert dated == sorted(dated, reverse=True)


def test_snippets_mark_the_match(client: TestClient) -> None:
    body = search(client, q="interoperability")
    assert any("<mark>" in r["snippet"] for r in body["results"])


def test_more_like_this_puts_same_theme_first(demo_catalogue: Catalogue) -> None:
    engine = demo_catalogue.engine
    uri = demo_catalogue.uris.practice("demo-lisbon-participatory-budget")
    [source] = [h for h in engine.search(__import__("catalogue.index", fromlist=["Query"]).Query(limit=200)).hits if h.uri == uri]
    related = engine.more_like_this(uri, limit=3)
    assert related and uri not in [h.uri for h in related]
    for hit in related:
        assert set(hit.facets["theme"]) & set(source.facets["theme"])


def test_region_facet_shows_official_names(client: TestClient) -> None:
    # NUTS regions have one official name, in their own language: the same
    # for every reader (vocab/regions.ttl).
    for lang in ("en", "de"):
        body = search(client, lang=lang, per_page=1)
        labels = {f["value"]: f["label"] for f in body["facets"]["region"]}
        assert labels["ES21"] == "País Vasco"
        assert labels["ITH55"] == "Bologna"
        assert labels["BE100"] == "Arr. de Bruxelles-Capitale/Arr. van Brussel-Hoofdstad"
    page = client.get("/search", params={"region": "ES21"}).text
    assert "País Vasco" in page
    assert "País Vasco" in client.get("/practice/demo-irekia").text


def test_unknown_region_shows_its_code() -> None:
    from catalogue.search import facet_label

    # Extra-Regio codes are left out of vocab/regions.ttl; the pattern allows any.
    assert facet_label("region", "ESZZ", "fr") == "ESZZ"
    assert facet_label("region", "ES21", "fr") == "País Vasco"
    # A name joining two languages has no language tag: every reader sees it.
    assert facet_label("region", "ITH1", "de") == "Provincia Autonoma di Bolzano/Bozen"


def test_a_region_name_finds_its_practices(client: TestClient) -> None:
    # "Bizkaia" (ES213) is in no text of the Bilbao practice: only its region's label.
    body = search(client, q="Bizkaia")
    assert "Piloto WeLive en Bilbao" in " ".join(titles(body))
