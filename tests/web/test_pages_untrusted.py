"""Harvested text is untrusted: a hostile source (tests/web/data/untrusted.ttl)
harvested into a catalogue of its own; every page shows its markup as text
and its `javascript:` URLs as inert text, never as links."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from catalogue.core import Catalogue
from catalogue.settings import Settings
from catalogue.sources import load_sources
from catalogue.web import create_app
from catalogue.web.links import linkable

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("hostile") / "data",
        base_uri="https://gpc.test",
        sources=DATA / "untrusted-sources.toml",
    )
    cat = Catalogue(settings)
    runs = cat.harvest(load_sources(DATA / "untrusted-sources.toml"))
    assert runs[0].counts.new == 1 and runs[0].counts.failed == 1
    yield cat
    cat.close()


@pytest.fixture(scope="module")
def hostile_client(hostile: Catalogue) -> Iterator[TestClient]:
    with TestClient(create_app(hostile.settings, hostile)) as test_client:
        yield test_client


def _key(client: TestClient) -> str:
    return client.get("/api/v1/search").json()["results"][0]["uri"].rsplit("/", 1)[-1]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


# The only scripts our pages carry: data blocks and our own file.
_OUR_SCRIPTS = ({"type": "application/ld+json"}, {"type": "application/json", "id": "strings"})


def _assert_inert(html: str) -> None:
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action", "formaction"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)
        if tag == "script":
            assert attrs in _OUR_SCRIPTS or (attrs.get("src") or "").startswith("/static/"), attrs
        assert tag not in ("img", "iframe", "object", "embed"), (tag, attrs)


@pytest.mark.parametrize("path", ["/", "/search", "/search?q=hostile", "/harvests", "/statistics", "/feed.atom",
                                  "/theme/health", "/country/ITA"])  # fmt: skip
def test_listing_pages_show_hostile_text_inert(hostile_client: TestClient, path: str) -> None:
    page = hostile_client.get(path)
    assert page.status_code == 200
    _assert_inert(page.text)


def test_practice_page_shows_hostile_text_inert(hostile_client: TestClient) -> None:
    page = hostile_client.get(f"/practice/{_key(hostile_client)}").text
    _assert_inert(page)
    assert "&lt;script&gt;window.__xss=&#39;title&#39;&lt;/script&gt;Hostile practice" in page
    assert '<span class="inert">original <code>javascript:' in page  # the record's javascript: address, as text


def test_harvest_failures_with_javascript_urls_are_inert(hostile_client: TestClient) -> None:
    page = hostile_client.get("/harvests").text
    assert "javascript:window.__xss=&#39;failure&#39;" in page
    assert "&lt;script&gt;window.__xss=&#39;source title&#39;&lt;/script&gt;A hostile source" in page


def test_feed_and_twin_keep_text_as_data(hostile_client: TestClient) -> None:
    twin = hostile_client.get(f"/practice/{_key(hostile_client)}.json").json()
    assert twin["entity"]["title"]["en"].startswith("<script>")  # data stays data; pages escape it
    feed = hostile_client.get("/feed.atom").text
    assert "<script>" not in feed and "&lt;script&gt;" in feed


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.eu/x", True),
        ("http://example.eu", True),
        ("mailto:someone@example.eu", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("java\nscript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("vbscript:x", False),
        ("//example.eu/x", False),
        ("https://", False),
        ("mailto:", False),
        (None, False),
    ],
)
def test_only_http_and_mailto_become_links(url: str | None, ok: bool) -> None:
    assert linkable(url) is ok


def test_static_build_is_inert_too(hostile: Catalogue, tmp_path: Path) -> None:
    from catalogue.sitebuild import BuildOptions, build_site

    build_site(hostile, BuildOptions(out=tmp_path / "site", languages=("en",)))
    pages = list((tmp_path / "site").rglob("*.html"))
    assert pages
    for page in pages:
        _assert_inert(page.read_text(encoding="utf-8"))


def test_settings_refuse_javascript_api_base() -> None:
    from catalogue.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="api_base"):
        load_settings(api_base="javascript:alert(1)")
    assert Settings(api_base="https://api.example.eu/").api_base == "https://api.example.eu"
