"""Conditional requests and the server's cache of rendered pages: a page is
kept while the catalogue stays the same, and a harvest (in the server's
process, or in another one writing to a shared store) makes it new again."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from catalogue.cli import demo_sources_path
from catalogue.core import Catalogue
from catalogue.settings import Settings
from catalogue.sources import load_sources
from catalogue.web import create_app


def test_pages_carry_an_etag_and_answer_304(client: TestClient) -> None:
    for path in ("/", "/practice/demo-decide-madrid", "/search?q=open+data&country=ESP", "/theme/health"):
        first = client.get(path)
        assert first.status_code == 200 and first.headers["cache-control"] == "no-cache", path
        etag = first.headers["etag"]
        assert etag.startswith('"') and first.headers["last-modified"].endswith("GMT")
        again = client.get(path, headers={"if-none-match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag, path
        assert client.get(path, headers={"if-none-match": '"other"'}).status_code == 200


def test_the_etag_follows_the_language(client: TestClient) -> None:
    english = client.get("/practice/demo-decide-madrid").headers["etag"]
    german = client.get("/practice/demo-decide-madrid", headers={"accept-language": "de"})
    assert german.headers["content-language"] == "de" and german.headers["etag"] != english
    assert client.get("/practice/demo-decide-madrid", params={"lang": "de"}).headers["etag"] not in (english, german.headers["etag"])


def test_a_cached_page_is_the_same_page(client: TestClient) -> None:
    first = client.get("/practice/demo-decide-madrid")
    second = client.get("/practice/demo-decide-madrid")
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    assert client.get("/practice/no-such-thing").status_code == 404
    assert client.get("/practice/no-such-thing").status_code == 404  # errors are not kept


def test_a_harvest_makes_cached_pages_new(own_catalogue: tuple[Catalogue, Path]) -> None:
    cat, sources = own_catalogue
    with TestClient(create_app(cat.settings, cat)) as client:
        before = client.get("/practice/demo-decide-madrid")
        search = client.get("/search", params={"q": "revisado"})
        assert before.status_code == 200 and "revisado" not in before.text and "/practice/demo-decide-madrid" not in search.text
        csv = sources / "practices.csv"
        csv.write_text(csv.read_text(encoding="utf-8").replace("Decide Madrid es el portal", "Decide Madrid, revisado, es el portal"),
                       encoding="utf-8")  # fmt: skip
        assert cat.harvest(load_sources(sources / "sources.toml"), ["demo-local-list"])[0].counts.changed == 1
        after = client.get("/practice/demo-decide-madrid", headers={"if-none-match": before.headers["etag"]})
        assert after.status_code == 200 and "revisado" in after.text
        assert after.headers["etag"] != before.headers["etag"]
        assert "/practice/demo-decide-madrid" in client.get("/search", params={"q": "revisado"}).text
