"""The site in a real Chromium: what a civil servant does, with and without
JavaScript, on the server and on the static site; axe-core on every page
type; hostile harvested text inert. Screenshots: test-artifacts/screenshots/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from conftest import axe_violations, screenshot  # the browser folder's conftest
from rdflib import Graph

pytestmark = pytest.mark.browser


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


def result_titles(page: Any) -> list[str]:
    return page.locator("ol.results .result-title a").all_inner_texts()  # type: ignore[no-any-return]


# --- a civil servant's path, on the server ---------------------------------------------


def test_search_filter_page_through_open_switch_language_and_follow_linked_data(page: Any, site_url: str) -> None:
    page.goto(site_url + "/")
    page.get_by_label("Search practices").fill("digital")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?q=digital"))
    assert page.locator("h2#results-title").inner_text().endswith("practices found")
    first_total = int(page.locator("h2#results-title").inner_text().split()[0])

    # a facet: an accessible checkbox, applied with the form's button
    page.get_by_role("group", name="Theme").get_by_label(re.compile(r"^Interoperability")).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"theme=interoperability"))
    filtered = int(page.locator("h2#results-title").inner_text().split()[0])
    assert 0 < filtered < first_total
    assert ("q", "digital") in query_of(page.url)

    # page through (fewer per page so that there are pages)
    page.goto(page.url + "&per_page=5")
    first_page = result_titles(page)
    page.get_by_role("navigation", name="Pages of results").get_by_role("link", name=re.compile("Next")).click()
    page.wait_for_url(re.compile(r"page=2"))
    assert ("theme", "interoperability") in query_of(page.url) and ("per_page", "5") in query_of(page.url)
    assert result_titles(page) and not set(result_titles(page)) & set(first_page)
    page.go_back()
    page.wait_for_url(lambda url: "page=2" not in url)
    assert result_titles(page) == first_page

    # open a practice
    title = first_page[0]
    page.get_by_role("link", name=title, exact=True).first.click()
    page.wait_for_url(re.compile(r"/practice/"))
    assert page.locator("h1").inner_text() == title
    screenshot(page, "journey-practice")

    # switch language: the same practice, the interface in French
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Français").click()
    page.wait_for_url(re.compile(r"lang=fr"))
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == title
    assert page.get_by_role("heading", name="En bref").is_visible()

    # linked data: the Turtle twin is RDF about this practice; the SPARQL link opens a query page
    turtle_href = page.get_by_role("link", name="Turtle", exact=True).get_attribute("href")
    response = page.request.get(site_url + turtle_href)
    assert response.ok and response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text(), format="turtle")
    assert len(graph) > 5
    json_href = page.get_by_role("link", name="JSON", exact=True).get_attribute("href")
    page.get_by_role("link", name="JSON", exact=True).click()
    page.wait_for_url(re.compile(re.escape(json_href) + "$"))
    assert json.loads(page.locator("body").inner_text())["kind"] == "practice"
    page.go_back()
    page.get_by_role("link", name=re.compile("SPARQL")).first.click()
    page.wait_for_url(re.compile(r"/sparql\?query=DESCRIBE"))
    assert page.locator("h1").is_visible()


def test_everything_works_without_javascript(no_js_page: Any, site_url: str) -> None:
    page = no_js_page
    page.goto(site_url + "/search")
    page.get_by_role("group", name="Country").get_by_label(re.compile(r"^Spain")).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"country=ESP"))
    page.get_by_label("Sort by").select_option("title")
    page.get_by_role("button", name="Sort", exact=True).click()
    page.wait_for_url(re.compile(r"sort=title"))
    titles = result_titles(page)
    assert titles == sorted(titles, key=str.casefold)
    page.get_by_role("link", name=re.compile(r"Remove filter")).first.click()
    page.wait_for_url(lambda url: "country=ESP" not in url)
    page.get_by_role("link", name=titles[0], exact=True).first.click() if titles[0] in result_titles(page) else None
    page.goto(site_url + "/practice/demo-decide-madrid")
    page.get_by_role("link", name="Deutsch").click()
    assert page.locator("html").get_attribute("lang") == "de"
    page.get_by_role("link", name="Spanien").first.click()
    assert page.locator("h1").inner_text() == "Spanien"


def test_accept_language_sets_the_default(browser: Any, site_url: str) -> None:
    context = browser.new_context(locale="it-IT")
    page = context.new_page()
    page.goto(site_url + "/")
    assert page.locator("html").get_attribute("lang") == "it"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Soluzioni collaudate")
    context.close()


# --- accessibility and screenshots of every page type -------------------------------------

SERVER_PAGES = {
    "home": "/",
    "search": "/search?q=participation&country=ESP",
    "search-empty": "/search?q=zzzqqqxxx",
    "practice": "/practice/demo-decide-madrid",
    "project": "/project/grant-610349",
    "organisation": "/organisation/esp-ayuntamiento-de-madrid",
    "country": "/country/ITA",
    "theme": "/theme/participation",
    "harvests": "/harvests",
    "statistics": "/statistics",
    "api": "/api",
    "sparql": "/sparql",
    "not-found": "/practice/no-such-practice",
    "practice-fr": "/practice/demo-decidim-barcelona?lang=fr",
    "home-de": "/?lang=de",
}


@pytest.mark.parametrize("name", list(SERVER_PAGES))
def test_no_wcag_violations_on_the_server(page: Any, site_url: str, axe_script: Path, name: str) -> None:
    page.goto(site_url + SERVER_PAGES[name])
    screenshot(page, f"server-{name}")
    violations = axe_violations(page, axe_script)
    assert not violations, json.dumps(violations, indent=1)


def test_no_wcag_violations_on_a_phone(browser: Any, site_url: str, axe_script: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    for name in ("search", "practice"):
        page.goto(site_url + SERVER_PAGES[name])
        screenshot(page, f"phone-{name}")
        assert not axe_violations(page, axe_script)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} scrolls sideways on a phone ({width}px)"
    context.close()


# --- the static site ---------------------------------------------------------------------


def test_static_site_searches_through_the_api(page: Any, static_url: str, axe_script: Path) -> None:
    page.goto(static_url + "/")
    page.get_by_label("Search practices").fill("participation")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"/search\.html\?q=participation"))
    page.wait_for_selector("ol.results li")
    assert page.locator("h2#results-title").inner_text().startswith("Practices found:")
    total = int(page.locator("h2#results-title").inner_text().rsplit(" ", 1)[-1])
    page.get_by_role("group", name="Country").get_by_label(re.compile(r"^Spain")).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"country=ESP"))
    page.wait_for_function(f"!document.getElementById('results-title').textContent.endsWith(' {total}')")
    narrowed = int(page.locator("h2#results-title").inner_text().rsplit(" ", 1)[-1])
    assert 0 < narrowed < total
    screenshot(page, "static-search")
    assert not axe_violations(page, axe_script)
    page.go_back()
    page.wait_for_function(f"document.getElementById('results-title').textContent.endsWith(' {total}')")
    assert page.locator("#q").input_value() == "participation"
    page.locator("ol.results .result-title a").first.click()
    page.wait_for_url(re.compile(r"/practice/[^/]+\.html$"))
    assert page.locator("h1").is_visible()


@pytest.mark.parametrize(
    ("name", "path"),
    [("home", "/"), ("practice", "/practice/demo-decide-madrid.html"), ("country", "/fr/country/ESP.html"),
     ("statistics", "/statistics.html"), ("theme-page-2", "/theme/digital-government/2.html")],  # fmt: skip
)
def test_no_wcag_violations_on_the_static_site(page: Any, static_url: str, axe_script: Path, name: str, path: str) -> None:
    page.goto(static_url + path)
    screenshot(page, f"static-{name}")
    assert not axe_violations(page, axe_script)


def test_static_site_without_javascript_searches_on_the_server(no_js_page: Any, static_url: str, site_url: str) -> None:
    no_js_page.goto(static_url + "/fr/")
    no_js_page.get_by_label("Rechercher des pratiques").fill("santé")
    no_js_page.get_by_role("button", name="Rechercher", exact=True).click()
    no_js_page.wait_for_url(re.compile(re.escape(site_url) + r"/search\?"))
    assert no_js_page.locator("html").get_attribute("lang") == "fr"


# --- hostile harvested text ---------------------------------------------------------------


def test_hostile_text_and_javascript_urls_stay_inert(page: Any, hostile_url: str) -> None:
    page.goto(hostile_url + "/search")
    link = page.locator("ol.results .result-title a").first
    assert "<script>" in link.inner_text()  # shown as text
    link.click()
    page.wait_for_url(re.compile(r"/practice/"))
    assert page.evaluate("window.__xss") is None
    assert "<script>" in page.locator("h1").inner_text()
    original = page.locator(".provenance .inert")
    assert "javascript:" in original.inner_text() and original.locator("a").count() == 0
    original.click()  # nothing to follow
    assert page.evaluate("window.__xss") is None and "/practice/" in page.url
    assert page.locator("a[href^='javascript:' i]").count() == 0
    screenshot(page, "hostile-practice")
    page.goto(hostile_url + "/harvests")
    assert page.evaluate("window.__xss") is None
    assert page.locator("a[href^='javascript:' i]").count() == 0
    assert "<script>" in page.locator("h2").first.inner_text()


def test_the_audit_itself_catches_violations(page: Any, site_url: str, axe_script: Path) -> None:
    """The check above is not vacuous: a planted unlabelled field and low-contrast text are reported."""
    page.goto(site_url + "/")
    page.evaluate(
        """() => { const f = document.createElement('input'); document.querySelector('main').appendChild(f);
                   const p = document.createElement('p'); p.textContent = 'faint'; p.style.color = '#ddd';
                   document.querySelector('main').appendChild(p); }"""
    )
    found = {v["id"] for v in axe_violations(page, axe_script)}
    assert {"label", "color-contrast"} <= found
