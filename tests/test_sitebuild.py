"""`catalogue build-site`: the static site, its twins and files, links that
resolve on a plain file server, and incremental rebuilds."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import urlopen
from xml.etree import ElementTree

import pytest
from rdflib import Graph
from typer.testing import CliRunner

import catalogue.sitebuild as sitebuild
from catalogue.cli import app, demo_sources_path
from catalogue.core import Catalogue
from catalogue.index import Query
from catalogue.settings import Settings
from catalogue.site_manifest import Manifest, PageRecord
from catalogue.sitebuild import CACHE, MANIFEST, BuildOptions, build_site
from catalogue.sources import load_sources
from catalogue.web import i18n, templates, views
from catalogue.web.links import Links
from catalogue.web.render import render
from servers import serve_files  # tests/servers.py

LANGS = ("en", "de")


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang") or ""
        for name in ("href", "src", "action"):
            if values.get(name):
                self.refs.append(values[name])  # type: ignore[arg-type]


def refs_of(path: Path) -> _Refs:
    parser = _Refs()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def target_of(out: Path, ref: str) -> Path | None:
    """The file an internal reference resolves to on a static server, or None for external ones."""
    if not ref.startswith("/") or ref.startswith("//"):
        return None
    path = unquote(urlsplit(ref).path)
    return out / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))


@pytest.fixture(scope="module")
def site(demo_catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "out"
    report = build_site(demo_catalogue, BuildOptions(out=out, languages=LANGS))
    assert report.full and report.pages > 300
    return out


def test_every_page_kind_is_written(site: Path) -> None:
    for name in ("index.html", "search.html", "statistics.html", "harvests.html", "api.html", "404.html",
                 "openapi.json", "feed.atom", "sitemap.xml", "robots.txt", "static/style.css", MANIFEST):  # fmt: skip
        assert (site / name).is_file(), name
    assert (site / "de" / "index.html").is_file() and not (site / "fr").exists()
    for kind in ("practice", "project", "organisation", "country", "theme"):
        assert list((site / kind).glob("*.html")), kind
        assert list((site / "de" / kind).glob("*.html")), kind


def test_pages_carry_their_language(site: Path) -> None:
    assert refs_of(site / "index.html").lang == "en"
    assert refs_of(site / "de" / "index.html").lang == "de"
    assert "Praktiken suchen" in (site / "de" / "search.html").read_text(encoding="utf-8")


def test_every_internal_link_resolves_to_a_file(site: Path) -> None:
    broken = []
    for page in site.rglob("*.html"):
        for ref in refs_of(page).refs:
            target = target_of(site, ref)
            if target is not None and not target.is_file():
                broken.append(f"{page.relative_to(site)} -> {ref}")
    assert not broken, broken[:20]


def test_without_api_the_site_browses_and_says_why_it_cannot_search(site: Path) -> None:
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'role="search"' not in home and "Browse by theme" in home
    search = (site / "search.html").read_text(encoding="utf-8")
    assert "does not name" in search and "search.js" not in search
    assert "/sparql" not in home


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # rdflib's JSON-LD parser
def test_twins_are_data(site: Path, demo_catalogue: Catalogue) -> None:
    practice = next((site / "practice").glob("*.json"))
    body = json.loads(practice.read_text(encoding="utf-8"))
    assert body["kind"] == "practice" and body["records"]
    stem = practice.with_suffix("")
    formats = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml", "nt": "nt"}
    sizes = {ext: len(Graph().parse(data=stem.with_suffix(f".{ext}").read_bytes(), format=fmt)) for ext, fmt in formats.items()}
    assert len(set(sizes.values())) == 1 and sizes["ttl"] > 10


def test_rdf_twins_are_the_servers_bytes(site: Path, demo_catalogue: Catalogue) -> None:
    from starlette.testclient import TestClient

    from catalogue.web import create_app

    with TestClient(create_app(demo_catalogue.settings, demo_catalogue)) as client:
        for ext in ("ttl", "nt"):
            served = client.get(f"/practice/demo-decide-madrid.{ext}").content
            assert (site / "practice" / f"demo-decide-madrid.{ext}").read_bytes() == served


def test_sitemap_robots_and_feed(site: Path) -> None:
    sitemap = ElementTree.fromstring((site / "sitemap.xml").read_bytes())
    locs = [e.text or "" for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "https://gpc.test/" in locs and "https://gpc.test/de/" in locs
    assert any(u.endswith("/practice/demo-decide-madrid.html") for u in locs)
    assert not any(u.endswith("404.html") for u in locs)
    assert "Sitemap: https://gpc.test/sitemap.xml" in (site / "robots.txt").read_text()
    feed = ElementTree.fromstring((site / "feed.atom").read_bytes())
    assert feed.findall("{http://www.w3.org/2005/Atom}entry")
    assert json.loads((site / "openapi.json").read_text())["openapi"].startswith("3.1")


def test_listings_are_paged_like_the_server(site: Path) -> None:
    listing = (site / "theme" / "digital-government.html").read_text(encoding="utf-8")
    assert 'href="/theme/digital-government/2.html"' in listing
    assert (site / "theme" / "digital-government" / "2.html").is_file()


@pytest.fixture
def static_server(site: Path) -> Iterator[str]:
    with serve_files(site) as url:
        yield url


def test_a_plain_static_file_server_serves_it(static_server: str) -> None:
    for path, kind in (("/", "text/html"), ("/de/practice/demo-decide-madrid.html", "text/html"),
                       ("/practice/demo-decide-madrid.json", "application/json"), ("/static/style.css", "text/css")):  # fmt: skip
        with urlopen(static_server + path) as response:  # noqa: S310 - loopback
            assert response.status == 200 and response.headers["content-type"].startswith(kind), path


def test_with_an_api_the_search_page_calls_it(demo_catalogue: Catalogue, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(demo_catalogue, BuildOptions(out=out, languages=("en",), api_base="https://api.example.eu"))
    search = (out / "search.html").read_text(encoding="utf-8")
    assert 'data-api="https://api.example.eu/api/v1/search"' in search
    assert 'action="https://api.example.eu/search"' in search and "/static/search.js" in search
    home = (out / "index.html").read_text(encoding="utf-8")
    assert 'data-static-search="/search.html"' in home and "https://api.example.eu/sparql" in home


# --- incremental builds ---------------------------------------------------------------------


def test_an_unchanged_catalogue_renders_nothing(own_catalogue: tuple[Catalogue, Path], tmp_path: Path) -> None:
    cat, _sources = own_catalogue
    options = BuildOptions(out=tmp_path / "out", languages=("en",))
    full = build_site(cat, options)
    again = build_site(cat, options)
    assert not again.full and again.pages == 0 and again.files_written == 0 and full.pages > 50


def test_records_harvested_after_a_build_of_an_empty_store_get_their_pages(tmp_path: Path) -> None:
    # The empty store's build saw no change date; the next build must not take
    # "no date" for "nothing changed since".
    cat = Catalogue(Settings(data_dir=tmp_path / "data", base_uri="https://gpc.test"))
    try:
        options = BuildOptions(out=tmp_path / "out", languages=("en",))
        empty = build_site(cat, options)
        assert empty.full and not list((tmp_path / "out" / "practice").glob("*.html"))
        cat.harvest(load_sources(demo_sources_path()), ["demo-local-list"])
        after = build_site(cat, options)
        assert after.full and len(list((tmp_path / "out" / "practice").glob("*.html"))) > 10
        assert not build_site(cat, options).full  # and then incremental again
    finally:
        cat.close()


def test_a_changed_record_renders_only_what_shows_it(own_catalogue: tuple[Catalogue, Path], tmp_path: Path) -> None:
    cat, sources = own_catalogue
    options = BuildOptions(out=tmp_path / "out", languages=("en", "fr"))
    full = build_site(cat, options)
    manifest = Manifest(tmp_path / "out")
    showing = manifest.pages_showing(["https://gpc.test/id/practice/demo-decide-madrid"])
    unrelated = sorted(p for p in manifest.page_ids() if p.startswith("practice:") and p not in showing
                       and p != "practice:demo-decide-madrid")  # fmt: skip
    manifest.close()
    untouched = tmp_path / "out" / "practice" / f"{unrelated[0].partition(':')[2]}.html"
    before = untouched.stat().st_mtime_ns
    csv = sources / "practices.csv"
    text = csv.read_text(encoding="utf-8")
    assert "Decide Madrid es el portal" in text
    csv.write_text(text.replace("Decide Madrid es el portal", "Decide Madrid, revisado, es el portal"), encoding="utf-8")
    runs = cat.harvest(load_sources(sources / "sources.toml"), ["demo-local-list"])
    assert runs[0].counts.changed == 1
    update = build_site(cat, options)
    assert not update.full and update.changed_records >= 1
    assert 0 < update.pages < full.pages / 4 and update.pages <= 60, update.summary()
    page = (tmp_path / "out" / "practice" / "demo-decide-madrid.html").read_text(encoding="utf-8")
    assert "Decide Madrid, revisado, es el portal" in page
    assert "revisado" in (tmp_path / "out" / "fr" / "practice" / "demo-decide-madrid.html").read_text(encoding="utf-8")
    assert untouched.stat().st_mtime_ns == before
    assert "revisado" in (tmp_path / "out" / "practice" / "demo-decide-madrid.json").read_text(encoding="utf-8")
    spain = (tmp_path / "out" / "country" / "ESP.html").read_text(encoding="utf-8")
    assert "Decide Madrid, revisado" in spain  # the listing page that shows it, with its new snippet

    # a new title moves it in the listings: they are rendered whole
    text = csv.read_text(encoding="utf-8")
    csv.write_text(text.replace("Decide Madrid: propuestas", "Aaa Decide Madrid: propuestas"), encoding="utf-8")
    cat.harvest(load_sources(sources / "sources.toml"), ["demo-local-list"])
    moved = build_site(cat, options)
    assert not moved.full and moved.pages > 0
    spain = (tmp_path / "out" / "country" / "ESP.html").read_text(encoding="utf-8")
    first = spain.index('class="result-title"')
    assert "Aaa Decide Madrid" in spain[first : first + 300]


def _edit_and_harvest(cat: Catalogue, sources: Path, old: str, new: str) -> None:
    """Edit the demo list (one practice's field) and harvest it again."""
    csv = sources / "practices.csv"
    text = csv.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    csv.write_text(text.replace(old, new), encoding="utf-8")
    runs = cat.harvest(load_sources(sources / "sources.toml"), ["demo-local-list"])
    assert runs[0].counts.changed == 1, runs[0].counts


def _files_with(out: Path, text: str) -> set[str]:
    """The site's files (pages, twins, feed) whose text contains `text`."""
    found = set()
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".ttl", ".jsonld", ".rdf", ".nt", ".atom"):
            if text in path.read_text(encoding="utf-8"):
                found.add(path.relative_to(out).as_posix())
    return found


def _listing_text(out: Path, prefix: str, facet: str, code: str) -> str:
    """Every page of a listing in one language, as one text."""
    root = out / prefix / facet if prefix else out / facet
    return "".join(p.read_text(encoding="utf-8") for p in [root / f"{code}.html", *sorted((root / code).glob("*.html"))] if p.is_file())


def test_a_new_title_shows_on_every_page_that_shows_it(own_catalogue: tuple[Catalogue, Path], tmp_path: Path) -> None:
    cat, sources = own_catalogue
    out = tmp_path / "out"
    options = BuildOptions(out=out, languages=("en", "fr"))
    build_site(cat, options)
    old_title = "beta.gouv.fr : l'incubateur des startups d'État"
    shown = _files_with(out, "beta.gouv.fr : l&#39;incubateur") | _files_with(out, old_title)
    assert {"practice/demo-beta-gouv.html", "fr/country/FRA.html", "feed.atom"} <= shown, sorted(shown)
    assert any(p.startswith("organisation/") for p in shown) and any(p.startswith("theme/") for p in shown)

    _edit_and_harvest(cat, sources, old_title, "Zanzibar incubator renamed")
    update = build_site(cat, options)
    assert not update.full and 0 < update.pages < 60, update.summary()
    assert not _files_with(out, "beta.gouv.fr : l&#39;incubateur") and not _files_with(out, old_title)
    renamed = _files_with(out, "Zanzibar incubator renamed")
    assert {"practice/demo-beta-gouv.html", "fr/practice/demo-beta-gouv.html", "practice/demo-beta-gouv.json", "feed.atom"} <= renamed
    assert any(p.startswith("organisation/") for p in renamed) and any(p.startswith("fr/organisation/") for p in renamed)
    for prefix in ("", "fr"):  # last by title now in each of its listings, in both languages
        for facet, code in (("country", "FRA"), ("theme", "digital-government")):
            assert "Zanzibar incubator renamed" in _listing_text(out, prefix, facet, code), (prefix, facet, code)
    # every file a full build would show it in shows it, but "related" lists (refreshed by full builds)
    full = tmp_path / "full"
    build_site(cat, replace(options, out=full))
    for path in sorted(_files_with(full, "Zanzibar incubator renamed") - renamed):
        assert path.startswith(("practice/", "fr/practice/")), path


def test_a_withdrawn_practice_leaves_the_listings(own_catalogue: tuple[Catalogue, Path], tmp_path: Path) -> None:
    cat, sources = own_catalogue
    out = tmp_path / "out"
    options = BuildOptions(out=out, languages=("en",))
    build_site(cat, options)
    before = _listing_text(out, "", "country", "FRA")
    assert "beta.gouv.fr" in before
    csv = sources / "practices.csv"
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    csv.write_text("".join(line for line in lines if not line.startswith("beta-gouv,")), encoding="utf-8")
    runs = cat.harvest(load_sources(sources / "sources.toml"), ["demo-local-list"])
    assert runs[0].counts.withdrawn == 1
    update = build_site(cat, options)
    assert not update.full and update.pages > 0
    for facet, code in (("country", "FRA"), ("theme", "digital-government")):
        listing = _listing_text(out, "", facet, code)
        assert "beta.gouv.fr" not in listing and "/practice/demo-beta-gouv.html" not in listing, (facet, code)
    total = cat.engine.search(Query(filters={"country": ("FRA",)}, limit=0)).total
    assert f"{total} practices from this country" in _listing_text(out, "", "country", "FRA")
    assert "/practice/demo-beta-gouv.html" not in (out / "index.html").read_text(encoding="utf-8")


def test_an_organisation_that_did_not_change_keeps_its_pages(own_catalogue: tuple[Catalogue, Path], tmp_path: Path) -> None:
    """A practice's record also describes its organisation: when only the
    practice changed, the pages that show the organisation are not rendered again."""
    cat, sources = own_catalogue
    out = tmp_path / "out"
    options = BuildOptions(out=out, languages=("en",))
    build_site(cat, options)
    manifest = Manifest(out)
    practice = "https://gpc.test/id/practice/demo-data-gouv-fr"
    showing = manifest.pages_showing([practice]) | {"practice:demo-data-gouv-fr"}
    organisation = next(d for d in manifest.record("practice:demo-data-gouv-fr").deps if "/id/organisation/" in d)  # type: ignore[union-attr]
    others = sorted(manifest.pages_showing([organisation]) - showing)
    manifest.close()
    assert others, "the organisation shows on pages that do not show the practice"
    stamps = {page: (out / "practice" / f"{page.partition(':')[2]}.html").stat().st_mtime_ns
              for page in others if page.startswith("practice:")}  # fmt: skip
    _edit_and_harvest(cat, sources, "data.gouv.fr est la plateforme", "data.gouv.fr, revue, est la plateforme")
    update = build_site(cat, options)
    assert update.changed_records >= 1 and update.pages <= len(showing) + len(sitebuild.DATA_PAGES), update.summary()
    assert "revue" in (out / "practice" / "demo-data-gouv-fr.html").read_text(encoding="utf-8")
    for page, stamp in stamps.items():
        assert (out / "practice" / f"{page.partition(':')[2]}.html").stat().st_mtime_ns == stamp, page


def test_a_new_title_renders_only_the_listing_pages_that_moved(
    own_catalogue: tuple[Catalogue, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from catalogue.web import views

    monkeypatch.setattr(views, "LISTING_PER_PAGE", 2)  # several pages per listing
    cat, sources = own_catalogue
    options = BuildOptions(out=tmp_path / "out", languages=("en",))
    build_site(cat, options)
    before = _listing_files(tmp_path / "out")
    rendered: list[str] = []
    write = sitebuild.SiteBuilder._write_listing_page

    def spy(self: sitebuild.SiteBuilder, page_id: str, *args: object) -> None:
        rendered.append(page_id)
        write(self, page_id, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(sitebuild.SiteBuilder, "_write_listing_page", spy)
    _edit_and_harvest(cat, sources, "data.gouv.fr : la plateforme ouverte", "Aaa data.gouv.fr : la plateforme ouverte")
    build_site(cat, options)
    after, incremental = _listing_files(tmp_path / "out"), list(rendered)
    build_site(cat, replace(options, out=tmp_path / "full"))
    assert after == _listing_files(tmp_path / "full")  # what a full build writes
    changed = {path for path in after if before.get(path) != after[path]}
    assert changed and len(changed) < len(after)
    files = {page_id: Links(static=True).file(*_listing_page(page_id)) for page_id in incremental}
    assert set(files.values()) == changed, (sorted(files.values()), sorted(changed))


def _listing_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for kind in ("country", "theme") for p in (out / kind).rglob("*.html")}


def _listing_page(page_id: str) -> tuple[str, str, int]:
    facet, code, number = page_id.split(":")
    return facet, code, int(number)


def test_force_and_option_changes_rebuild_everything(own_catalogue: tuple[Catalogue, Path], tmp_path: Path) -> None:
    cat, _sources = own_catalogue
    out = tmp_path / "out"
    build_site(cat, BuildOptions(out=out, languages=("en",)))
    assert build_site(cat, BuildOptions(out=out, languages=("en",), force=True)).full
    assert build_site(cat, BuildOptions(out=out, languages=("en", "it"))).full
    assert (out / "it" / "index.html").is_file()
    assert build_site(cat, BuildOptions(out=out, languages=("en",))).full
    assert not (out / "it").exists() or not list((out / "it").rglob("*.html"))


@pytest.mark.slow
def test_worker_processes_write_the_same_site(own_catalogue: tuple[Catalogue, Path], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    cat, _sources = own_catalogue
    one = build_site(cat, BuildOptions(out=tmp_path / "one", languages=("en",)))
    monkeypatch.setattr(sitebuild, "PARALLEL_FROM", 1)
    two = build_site(cat, BuildOptions(out=tmp_path / "two", languages=("en",), jobs=2))
    assert one.pages == two.pages
    files_one = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if _site_file(p))
    files_two = sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*") if _site_file(p))
    assert files_one == files_two
    for rel in files_one:  # the global pages and files too (top level): the workers render them
        same = rel.suffix in (".json", ".ttl", ".nt", ".atom") or rel.parts[0] in ("project", "country", "theme")
        if same or len(rel.parts) == 1:
            assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes(), rel


@pytest.mark.slow
def test_a_parallel_build_puts_back_a_missing_file(own_catalogue: tuple[Catalogue, Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The workers render, their parent writes: a file the manifest knows but
    the disk lost is written again (a replacement, not a new file), and no
    other, listing pages included (a worker knows what they wrote last time)."""
    cat, _sources = own_catalogue
    monkeypatch.setattr(sitebuild, "PARALLEL_FROM", 1)
    out = tmp_path / "site"
    options = BuildOptions(out=out, languages=("en",), jobs=2)
    build_site(cat, options)
    page, *others = sorted((out / "practice").glob("*"))
    others += [p for p in out.rglob("*") if _site_file(p) and p.parent.name != "practice"]  # listings too
    before, stamps = page.read_bytes(), {p: p.stat().st_mtime_ns for p in others}
    page.unlink()
    again = build_site(cat, replace(options, force=True))
    assert page.read_bytes() == before
    assert {p: p.stat().st_mtime_ns for p in others} == stamps  # the unchanged ones stay as they were
    assert again.files_written == 1
    assert not list(out.rglob("*.tmp"))


def _site_file(path: Path) -> bool:
    """A file of the site (not the manifest or the build's cache)."""
    return path.is_file() and path.name != MANIFEST and CACHE not in path.parts


def test_the_longest_tasks_go_first(demo_catalogue: Catalogue, tmp_path: Path) -> None:
    """Global pages, then listings from the biggest, then entities: no worker
    is left alone with a long task at the end of a parallel build."""
    tasks = sitebuild.SiteBuilder(demo_catalogue, BuildOptions(out=tmp_path))._full_tasks()
    kinds = [kind for kind, _key in tasks]
    assert tasks[: len(sitebuild.GLOBAL_PAGES) + 1] == [("page", n) for n in (*sitebuild.GLOBAL_PAGES, "files")]
    listings = [task for task in tasks if task[0] in ("country", "theme")]
    assert kinds.index("practice") > max(tasks.index(task) for task in listings)
    sizes = [demo_catalogue.engine.search(Query(filters={facet: (code,)}, limit=0)).total for facet, code in listings]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 0


def test_manifest_records_a_batch_at_once(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path)
    manifest.put("practice:a", PageRecord({"x"}, {"practice/a.html": "1"}))
    manifest.put_many([("practice:a", PageRecord({"y"}, {"practice/a.html": "2"})),
                       ("practice:b", PageRecord({"y", "z"}, {"practice/b.html": "3"}))])  # fmt: skip
    assert manifest.records(["practice:a", "practice:b"]) == {
        "practice:a": PageRecord({"y"}, {"practice/a.html": "2"}),
        "practice:b": PageRecord({"y", "z"}, {"practice/b.html": "3"}),
    }
    assert manifest.pages_showing(["y"]) == {"practice:a", "practice:b"}
    manifest.drop("practice:a")
    assert manifest.page_ids() == {"practice:b"} and manifest.pages_showing(["x", "y"]) == {"practice:b"}
    manifest.close()


def test_manifest_finds_the_pages_of_one_listing_by_prefix(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path)
    ids = ["country:ITA:1", "country:ITA:12", "country:ITAX:1", "country:IT:1", "country:ITA;", "theme:ITA:1"]
    manifest.put_many([(page_id, PageRecord(set(), {})) for page_id in ids])
    assert manifest.page_ids("country:ITA:") == {"country:ITA:1", "country:ITA:12"}
    assert manifest.page_ids("country:") == {i for i in ids if i.startswith("country:")}
    assert manifest.page_ids() == set(ids)
    manifest.close()


def test_the_command(own_catalogue: tuple[Catalogue, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cat, _sources = own_catalogue
    cat.close()  # the command opens the store itself
    monkeypatch.setenv("CATALOGUE_DATA_DIR", str(cat.settings.data_dir))
    monkeypatch.setenv("CATALOGUE_BASE_URI", cat.settings.base_uri)
    runner = CliRunner()
    result = runner.invoke(app, ["build-site", str(tmp_path / "out"), "--languages", "en", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["pages"] > 50
    result = runner.invoke(app, ["build-site", str(tmp_path / "out"), "--languages", "en"])
    assert result.exit_code == 0 and "incremental build (0 changed records)" in result.output
    bad = runner.invoke(app, ["build-site", str(tmp_path / "out"), "--languages", "xx"])
    assert bad.exit_code == 2 and "unknown xx" in bad.output


# --- compiled templates kept between processes -------------------------------------------


def _not_found_page(lang: str) -> str:
    links = Links(lang=lang, static=True)
    page = views.page("error.html", links, views.Site(static=True), ("home", "", {}), status=404, title="x", message="")
    return render(page, lang)


def _new_process() -> None:
    """Forget what this process compiled, as a new process starts."""
    for cached in (i18n.translations, templates._environment, templates.compiled_key):
        cached.cache_clear()


def test_compiled_templates_are_reused_and_never_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new process loads the templates its language compiled before (no
    compiling); a changed translation catalogue is never served from there:
    StaticGettext writes translations into the compiled code."""
    root = tmp_path / "templates"
    try:
        _new_process()
        templates.use_compiled_cache(root, ["fr", "de"])
        french, german = _not_found_page("fr"), _not_found_page("de")
        assert "Introuvable" in french and "Introuvable" not in german
        assert sorted(p.name.split("-")[0] for p in root.iterdir()) == ["de", "fr"]

        _new_process()
        templates.use_compiled_cache(root, ["fr"])

        def no_compiling(*args: object, **kwargs: object) -> None:
            raise AssertionError("compiled again")

        with monkeypatch.context() as patched:
            patched.setattr(templates.environment("fr"), "compile", no_compiling)
            assert _not_found_page("fr") == french

        # The catalogue changes: other compiled code, in the language's only folder.
        po = i18n.po_source("fr")
        assert po.count(b'msgstr "Introuvable"') == 1
        edited = po.replace(b'msgstr "Introuvable"', b'msgstr "Perdu"')
        monkeypatch.setattr(i18n, "po_source", lambda lang: edited if lang == "fr" else b"")
        _new_process()
        templates.use_compiled_cache(root, ["fr"])
        changed = _not_found_page("fr")
        assert "Perdu" in changed and "Introuvable" not in changed
        assert len(list(root.glob("fr-*"))) == 1 and len(list(root.glob("de-*"))) == 1
    finally:
        templates.use_compiled_cache(None, ["fr", "de"])
        monkeypatch.undo()
        _new_process()


def test_compiled_templates_follow_the_template_source(tmp_path: Path) -> None:
    """Within a folder, Jinja2 compares each template's source with what was
    compiled (the cache's own check, relied upon)."""
    import jinja2

    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "t.html").write_text("one", encoding="utf-8")

    def fresh() -> jinja2.Environment:
        cache = templates.CompiledTemplates(str(tmp_path), "%s.cache")
        return jinja2.Environment(loader=jinja2.FileSystemLoader(str(sources)), bytecode_cache=cache)

    assert fresh().get_template("t.html").render() == "one"
    (sources / "t.html").write_text("two", encoding="utf-8")
    assert fresh().get_template("t.html").render() == "two"


def test_a_build_keeps_its_compiled_templates_in_the_output_folder(demo_catalogue: Catalogue, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _new_process()
    try:
        build_site(demo_catalogue, BuildOptions(out=out, languages=("en", "it")))
    finally:
        _new_process()
    folders = sorted(p.name.split("-")[0] for p in (out / CACHE / "templates").iterdir())
    assert folders == ["en", "it"] and all(templates.environment(lang).bytecode_cache is None for lang in ("en", "it"))


def test_the_command_starts_without_the_harvester_and_the_app() -> None:
    """`catalogue build-site` imports neither the harvest runner, the
    harvesters, the dumps nor the web app (a second of start-up together)."""
    import subprocess
    import sys

    code = ("import sys, catalogue.cli, catalogue.sitebuild; "
            "print(' '.join(sorted(sys.modules)))")  # fmt: skip
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert "catalogue.sitebuild" in loaded
    for module in ("catalogue.harvest", "harvesters.base", "catalogue.dumps", "catalogue.openapi",
                   "starlette.applications", "starlette.templating", "catalogue.web.sparql"):  # fmt: skip
        assert module not in loaded, module


def test_searches_made_ahead_change_no_byte(own_catalogue: tuple[Catalogue, Path], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """An incremental build starts its listing searches and the feed's and
    figures' queries in threads (`Ahead`): the same files as without."""
    cat, sources = own_catalogue
    ahead, alone = tmp_path / "ahead", tmp_path / "alone"
    for out in (ahead, alone):
        build_site(cat, BuildOptions(out=out, languages=LANGS))
    taken: list[tuple[object, ...]] = []
    take = sitebuild.Ahead.take

    def spy(self: sitebuild.Ahead, key: tuple[object, ...]) -> object:
        found = take(self, key)
        if found is not None:
            taken.append(key)
        return found

    monkeypatch.setattr(sitebuild.Ahead, "take", spy)
    for old, new in (("Decide Madrid es el portal", "Decide Madrid, revisado, es el portal"),  # listing pages showing it
                     ("Decide Madrid: propuestas", "Aaa Decide Madrid: propuestas")):  # whole listings: it moved  # fmt: skip
        _edit_and_harvest(cat, sources, old, new)
        monkeypatch.setattr(sitebuild, "AHEAD_THREADS", 0)
        before = len(taken)
        build_site(cat, BuildOptions(out=alone, languages=LANGS))
        assert len(taken) == before
        monkeypatch.setattr(sitebuild, "AHEAD_THREADS", 2)
        build_site(cat, BuildOptions(out=ahead, languages=LANGS))
    assert {key[0] for key in taken} == {"page", "listing", "feed", "figures"}, taken
    files = sorted(p.relative_to(ahead) for p in ahead.rglob("*") if _site_file(p))
    assert files == sorted(p.relative_to(alone) for p in alone.rglob("*") if _site_file(p))
    for rel in files:
        assert (ahead / rel).read_bytes() == (alone / rel).read_bytes(), rel


def test_ahead_raises_in_the_taker_and_waits_at_close() -> None:
    ahead = sitebuild.Ahead(1)
    ahead.start(("one",), lambda: 1)
    ahead.start(("bad",), lambda: 1 / 0)
    assert ahead.take(("one",)) == 1 and ahead.take(("one",)) is None and ahead.take(("never",)) is None
    with pytest.raises(ZeroDivisionError):
        ahead.take(("bad",))
    ahead.start(("late",), lambda: 2)
    ahead.close()
    assert ahead.take(("late",)) is None
    assert sitebuild.Ahead().take(("any",)) is None  # no threads: nothing started


def test_a_new_process_reuses_the_compiled_templates(own_catalogue: tuple[Catalogue, Path], tmp_path: Path) -> None:
    """`catalogue build-site` in a process of its own keeps the compiled
    templates in the output folder; the next process loads them (no file
    of the cache written again) and writes the same bytes (a forced full
    build writes no file)."""
    import os
    import subprocess
    import sys

    cat, _sources = own_catalogue
    cat.close()  # the command opens the store itself
    env = {**os.environ, "CATALOGUE_DATA_DIR": str(cat.settings.data_dir), "CATALOGUE_BASE_URI": cat.settings.base_uri}
    out = tmp_path / "out"
    command = [sys.executable, "-m", "catalogue.cli", "build-site", str(out), "--languages", "en,fr", "--jobs", "1", "--json"]

    def run(*extra: str) -> dict[str, object]:
        done = subprocess.run([*command, *extra], env=env, capture_output=True, text=True, check=True)
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    first = run()
    cache = {p: p.stat().st_mtime_ns for p in (out / CACHE).rglob("*.cache")}
    assert first["full"] and len({p.parent.name[:2] for p in cache}) == 2
    again = run("--force")
    assert again["full"] and again["pages"] == first["pages"] and again["files_written"] == 0, again
    assert {p: p.stat().st_mtime_ns for p in (out / CACHE).rglob("*.cache")} == cache


def test_threads_asking_for_the_engine_or_the_store_together_get_one(tmp_path: Path) -> None:
    """The searches ahead may be the first to ask a new process's catalogue
    for its engine or its store, two at once: each is opened once."""
    from concurrent.futures import ThreadPoolExecutor

    cat = Catalogue(Settings(data_dir=tmp_path / "data", base_uri="https://gpc.test"))
    try:
        with ThreadPoolExecutor(4) as pool:
            engines = list(pool.map(lambda _n: cat.engine, range(8)))
            stores = list(pool.map(lambda _n: cat.store, range(8)))
        assert all(engine is engines[0] for engine in engines)
        assert all(store is stores[0] for store in stores)
    finally:
        cat.close()
