"""The site's pages on the demo catalogue: what each shows, links, states,
and one error shape everywhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

import pytest
from starlette.testclient import TestClient

from catalogue.core import Catalogue

ATOM = "{http://www.w3.org/2005/Atom}"


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def parse(html: str) -> _Anchors:
    parser = _Anchors()
    parser.feed(html)
    return parser


def first_practice(client: TestClient, q: str = "Decidim") -> str:
    return client.get("/api/v1/search", params={"q": q}).json()["results"][0]["uri"].rsplit("/", 1)[-1]


# --- home -------------------------------------------------------------------------------


def test_home_shows_figures_from_index_and_store(client: TestClient, demo_catalogue: Catalogue) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'lang="en"' in page.text
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd[^>]*>([^<]+)</dd>", page.text))
    assert int(figures["Practices"]) == demo_catalogue.engine.count()
    assert int(figures["Sources"]) == 3
    assert int(figures["Projects"]) > 10 and int(figures["Organisations"]) > 10
    assert int(figures["Countries"]) > 10
    assert figures["Last harvest"].strip() != "not yet"


def test_home_browses_by_theme_and_country(client: TestClient) -> None:
    hrefs = parse(client.get("/").text).hrefs
    assert "/theme/participation" in hrefs and "/country/ITA" in hrefs
    assert any(h.startswith("/practice/") for h in hrefs)


# --- search -------------------------------------------------------------------------------


def test_search_facets_are_labelled_checkboxes(client: TestClient) -> None:
    page = client.get("/search", params={"q": "participation"}).text
    boxes = re.findall(r'<input type="checkbox" id="([^"]+)" name="(\w+)" value="([^"]+)"', page)
    assert boxes
    for box_id, _name, _value in boxes:
        assert f'<label for="{box_id}">' in page
    assert re.search(r"<fieldset>\s*<legend>Theme</legend>", page)


def test_search_state_lives_in_the_url(client: TestClient) -> None:
    page = client.get("/search", params=[("q", ""), ("theme", "digital-government"), ("per_page", "5")]).text
    assert 'value="digital-government" checked' in page
    links = parse(page).hrefs
    next_page = next(h for h in links if "page=2" in h)
    state = parse_qsl(urlsplit(next_page.replace("&amp;", "&")).query)
    assert ("theme", "digital-government") in state and ("per_page", "5") in state
    # a chip removes its filter and keeps the rest
    chip = next(h for h in links if "Remove" in page and h.startswith("/search") and "theme=" not in h and "per_page=5" in h)
    assert not re.search(r"[?&]page=", chip) and "q=" not in chip


def test_search_pages_through_results(client: TestClient) -> None:
    first = client.get("/search", params={"per_page": "10"}).text
    second = client.get("/search", params={"per_page": "10", "page": "2"}).text
    assert 'aria-current="page"' in second and '<ol class="results" start="11">' in second
    titles = lambda html: re.findall(r'class="result-title"><a href="([^"]+)"', html)  # noqa: E731
    assert titles(first) and titles(second) and not set(titles(first)) & set(titles(second))


def test_search_sorts(client: TestClient) -> None:
    page = client.get("/search", params={"sort": "title"}).text
    assert '<option value="title" selected>' in page
    titles = re.findall(r'class="result-title"><a [^>]*>([^<]+)</a>', page)
    assert titles == sorted(titles, key=str.casefold)


def test_did_you_mean_and_empty_state(client: TestClient) -> None:
    page = client.get("/search", params={"q": "partcipation"}).text
    assert "Did you mean" in page
    empty = client.get("/search", params={"q": "zzzqqqxxx"}).text
    assert "No practice matches your search." in empty
    assert "Try another language" in empty


def test_search_offers_its_feed(client: TestClient) -> None:
    page = client.get("/search", params={"q": "participation", "country": "ESP"}).text
    assert re.search(r'href="/feed.atom\?q=participation&amp;country=ESP"', page)


def test_bad_search_parameter_is_a_400_page(client: TestClient) -> None:
    page = client.get("/search", params={"page": "0"})
    assert page.status_code == 400 and "<h1>Bad request</h1>" in page.text


# --- practice, project, organisation ---------------------------------------------------------


def test_practice_page_is_rich(client: TestClient) -> None:
    page = client.get("/practice/demo-decide-madrid").text
    assert '<h1 lang="es">Decide Madrid' in page
    for heading in ("What it is", "The problem it addresses", "Results and evidence", "At a glance", "Related practices",
                    "Where this comes from", "Linked data"):  # fmt: skip
        assert heading in page, heading
    hrefs = parse(page).hrefs
    assert "/country/ESP" in hrefs and "/theme/participation" in hrefs
    assert any(h.startswith("/organisation/") for h in hrefs) and any(h.startswith("/project/grant-") for h in hrefs)
    for ext in ("json", "ttl", "jsonld", "rdf", "nt"):
        assert f"/practice/demo-decide-madrid.{ext}" in hrefs
    assert any(h.startswith("/sparql?query=DESCRIBE") for h in hrefs)
    assert "Launched</dt><dd>2015" in page.replace("\n", "")


def test_practice_twins_answer(client: TestClient) -> None:
    twin = client.get("/practice/demo-decide-madrid.json")
    assert twin.status_code == 200
    body = twin.json()
    assert body["kind"] == "practice" and body["entity"]["key"] == "demo-decide-madrid"
    assert body["records"] and body["page"] == "/practice/demo-decide-madrid"
    missing = client.get("/practice/nope.json")
    assert missing.status_code == 404 and missing.json()["ok"] is False


def test_project_and_organisation_pages_list_what_belongs_to_them(client: TestClient) -> None:
    practice = client.get("/practice/demo-decide-madrid").text
    project = re.search(r'href="(/project/[^"]+)"', practice).group(1)  # type: ignore[union-attr]
    organisation = re.search(r'href="(/organisation/[^"]+)"', practice).group(1)  # type: ignore[union-attr]
    project_page = client.get(project).text
    assert "Practices from this project" in project_page and "/practice/demo-decide-madrid" in project_page
    assert "Funding programme" in project_page and "€" in project_page
    org_page = client.get(organisation).text
    assert "/practice/demo-decide-madrid" in org_page
    assert client.get("/project/nope").status_code == 404
    assert client.get("/organisation/nope").status_code == 404


# --- country and theme ------------------------------------------------------------------


def test_country_and_theme_listings_match_the_facets(client: TestClient) -> None:
    facets = client.get("/api/v1/search", params={"per_page": 1}).json()["facets"]
    for facet in ("country", "theme"):
        for value in facets[facet][:3]:
            page = client.get(f"/{facet}/{value['value']}").text
            assert f"<h1>{value['label']}</h1>" in page
            assert len(re.findall(r'class="result-title"', page)) == min(value["count"], 50)


def test_listing_errors(client: TestClient) -> None:
    assert client.get("/country/XXX").status_code == 404
    assert client.get("/country/ITA", params={"page": "99"}).status_code == 404
    assert client.get("/theme/health", params={"page": "x"}).status_code == 400


# --- harvests, statistics, API ---------------------------------------------------------------


def test_harvests_page_shows_runs_counts_and_failures(client: TestClient) -> None:
    page = client.get("/harvests").text
    for name in ("demo-practices", "demo-projects", "demo-local-list"):
        assert f"Last runs of {name}" in page
    assert "broken-no-title" in page and "title: Field required" in page
    assert re.search(r'<td class="num">\d+</td>', page)


def test_statistics_charts_are_accessible_svg_with_tables(client: TestClient) -> None:
    page = client.get("/statistics").text
    charts = re.findall(r'<svg [^>]*role="img"[^>]*aria-labelledby="([^"]+)"', page)
    assert len(charts) >= 6
    for ids in charts:
        for part in ids.split():
            assert f'id="{part}"' in page
    assert page.count("<table>") == len(charts)
    assert "Practices by country" in page and "Practices by year launched" in page


def test_api_page_renders_the_openapi_description(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    refs = set(re.findall(r'"\$ref": "#/components/schemas/(\w+)"', client.get("/openapi.json").text))
    assert refs <= set(spec["components"]["schemas"])
    page = client.get("/api").text
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in page
    assert 'id="schema-SearchResponse"' in page and "/sparql" in page


# --- feeds ------------------------------------------------------------------------------


def test_feeds_are_atom(client: TestClient) -> None:
    whole = client.get("/feed.atom")
    assert whole.headers["content-type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(whole.content)
    entries = root.findall(f"{ATOM}entry")
    assert entries and all(e.find(f"{ATOM}updated") is not None for e in entries)
    narrow = ElementTree.fromstring(client.get("/feed.atom", params={"country": "ESP"}).content)
    assert 0 < len(narrow.findall(f"{ATOM}entry")) < len(entries)
    assert client.get("/feed.atom", params={"colour": "red"}).status_code == 400


# --- errors -----------------------------------------------------------------------------


def test_unknown_practice_is_a_404_page(client: TestClient) -> None:
    page = client.get("/practice/no-such-thing")
    assert page.status_code == 404
    assert "<h1>Not found</h1>" in page.text


@pytest.mark.parametrize("path", ["/nope", "/practice/no-such-thing", "/api/v1/nope"])
def test_errors_answer_json_to_machines(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"accept": "application/json"})
    assert response.status_code == 404
    body = response.json()
    assert body["ok"] is False and body["status"] == 404 and body["errors"]


def test_every_internal_link_of_the_main_pages_answers(client: TestClient) -> None:
    pages = ["/", "/search?q=open+data", "/statistics", "/harvests", "/api", "/country/ESP", "/theme/health",
             f"/practice/{first_practice(client)}"]  # fmt: skip
    seen: set[str] = set()
    for path in pages:
        for href in parse(client.get(path).text).hrefs:
            if href.startswith("/") and not href.startswith("/sparql") and href not in seen:
                seen.add(href)
                assert client.get(href).status_code < 400, href
