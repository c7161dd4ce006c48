"""`catalogue build-site OUT`: the site as static files.

The same views and templates as the server (`catalogue.web.views`,
`catalogue.web.entity_views`, one renderer), with `Links(static=True)`:
`/practice/{key}.html`, other languages under `/{lang}/`, the JSON and RDF
twins of every record beside its page, country and theme listings, the
home, statistics, harvests and API pages, `openapi.json`, an Atom feed, a
sitemap and `robots.txt`.

Incremental: a manifest (`.build-manifest.sqlite`, see site_manifest.py)
keeps, for each page, the entities and listings it shows and the hash of
every file it wrote, plus the latest record change it saw. The next build
asks the store which records changed since (their `dcterms:modified`),
re-renders the pages of those entities, the pages that show them, and the
country and theme listings they are in; it writes a file only when its bytes
changed. A change of code, templates, translations, vocabularies or build
options renders everything again (still writing only changed files).
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pydantic_core

import catalogue

from .core import Catalogue
from .entities import EntityView, Linked, display_name, load_views
from .feed import recent
from .index import Hit, Query, Result
from .runs import last_harvest
from .settings import Settings
from .stats import figures
from .site_files import FileItem, FileWriter, PendingFiles, robots_txt, sitemaps
from .site_manifest import NAME as MANIFEST  # noqa: F401 - the manifest file's name, for callers
from .site_manifest import Manifest, PageRecord
from .twins import json_twin, rdf_twins
from .web import entity_views, views
from .web.i18n import DEFAULT, LANGUAGES
from .web.links import Links
from .web.render import render
from .web.templates import site_dir, use_compiled_cache

log = logging.getLogger(__name__)

_GPC = "https://w3id.org/gpc/ns#"
_CLASSES = {
    f"{_GPC}Practice": "practice",
    f"{_GPC}Project": "project",
    "http://xmlns.com/foaf/0.1/Organization": "organisation",
}
_KINDS = frozenset(_CLASSES.values())
_MODIFIED = "http://purl.org/dc/terms/modified"
CACHE = ".build-cache"  # in the output folder: what the next build reuses (compiled templates), bounded
GLOBAL_PAGES = ("home", "search", "statistics", "harvests", "api", "404")
DATA_PAGES = ("home", "statistics", "harvests")  # the global pages a harvest changes (the others: code and options)


@dataclass(frozen=True)
class BuildOptions:
    out: Path
    languages: tuple[str, ...] = tuple(LANGUAGES)
    api_base: str = ""  # where the API, /search and /sparql live ('' = none)
    site_url: str = ""  # public address of the static site (sitemap, feed); default: base URI
    force: bool = False  # rebuild everything
    jobs: int = 1  # worker processes for big builds (each opens the catalogue read-only)


@dataclass
class BuildReport:
    full: bool
    changed_records: int = 0
    pages: int = 0  # HTML pages rendered
    files_written: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    seconds: float = 0.0

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        kind = "full build" if self.full else f"incremental build ({self.changed_records} changed records)"
        return (
            f"{kind}: {self.pages} pages rendered in {self.seconds:.2f} s ({self.pages_per_second:,.0f} pages/s); "
            f"{self.files_written} files written, {self.files_unchanged} unchanged, {self.files_removed} removed"
        )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _face(twin: dict[str, object]) -> str:
    """What other pages show of an entity (a part of its description: its
    JSON twin's `entity` and `withdrawn`), as a dep of its own page: while it
    stays, the pages that show the entity stay."""
    return "face:" + _sha(pydantic_core.to_json([twin["entity"], twin["withdrawn"]]))


@dataclass
class Twins:
    """An entity's twins (path -> bytes) and its face (see `_face`)."""

    files: dict[str, bytes]
    face: str


def _place(view: EntityView) -> str:
    """Where the listings put a practice (they sort by title and leave out
    withdrawn ones), as a dep of its page."""
    return "title:" + _sha(json.dumps([view.entity.title, view.withdrawn], sort_keys=True).encode())  # type: ignore[union-attr]


def _listing_digest(pages: list[views.Page]) -> str:
    """What a listing page shows besides its practices' own faces: which
    practices in which order, the count and the breakdown, in every language."""
    shown = [(p.context["total"], p.context["last_page"], [h.uri for h in p.context["hits"]],
              [(code, n) for code, _label, n in p.context["breakdown"]]) for p in pages]  # fmt: skip
    return "list:" + _sha(json.dumps(shown).encode())


# The modules whose code shapes the output (beside templates, static files,
# translations and vocabularies): a change to one of them rebuilds everything.
_OUTPUT_MODULES = (
    "web", "sitebuild.py", "site_files.py", "twins.py", "feed.py", "openapi.py", "stats.py", "runs.py",
    "relations.py", "entities.py", "mapping.py", "models.py", "search.py", "uris.py",
)  # fmt: skip


def code_version(extra: Iterable[str] = ()) -> str:
    """A hash of everything but the data that shapes the output."""
    digest = hashlib.sha256(catalogue.__version__.encode())
    package = Path(catalogue.__file__).parent
    import vocab

    files: list[tuple[Path, Path]] = []
    for name in _OUTPUT_MODULES:
        target = package / name
        files += [(package, p) for p in (sorted(target.rglob("*.py")) if target.is_dir() else [target])]
    for root in (site_dir(), package / "locale", Path(vocab.__file__).parent):
        files += [(root, p) for p in sorted(root.rglob("*")) if p.suffix in (".html", ".xml", ".css", ".js", ".po", ".ttl", ".svg")]
    for root, path in files:
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()


class Ahead:
    """Index searches and store queries started in threads before their page
    is rendered (tantivy and Oxigraph let go of the GIL while they work): at
    100,000 practices the feed's and the figures' store queries cost a few
    tenths of a second each, a listing's searches some milliseconds each. An
    incremental build renders other pages meanwhile. Without threads
    (`threads` 0) nothing is started and `take` says None."""

    def __init__(self, threads: int = 0) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="site-ahead") if threads else None
        self._started: dict[tuple[object, ...], Future[Any]] = {}

    def start(self, key: tuple[object, ...], call: Callable[..., Any], *args: object) -> None:
        if self._pool is not None and key not in self._started:
            self._started[key] = self._pool.submit(call, *args)

    def take(self, key: tuple[object, ...]) -> Any:
        """What the call started under `key` returned (its exception raised
        here), or None when none was started."""
        started = self._started.pop(key, None)
        return started.result() if started is not None else None

    def close(self) -> None:
        """Wait for the calls still running (their results are not needed)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._started.clear()


class SiteBuilder:
    def __init__(self, cat: Catalogue, options: BuildOptions, manifest: Manifest | None = None) -> None:
        self.cat = cat
        self.options = options
        self.out = options.out
        self._root = str(options.out)  # as text: files are written by `{root}/{path}` (see site_files.FileItem)
        self.site = views.Site(static=True, api_base=options.api_base, base_uri=cat.uris.base)
        self.links = {
            lang: Links(lang=lang, static=True, api_base=options.api_base, languages=options.languages)
            for lang in options.languages
        }
        self.manifest = manifest
        self.report = BuildReport(full=True)
        self.seen: set[str] = set()  # pages rendered by this build
        self.pages_changed = False  # a page or file appeared or went (the sitemap must follow)
        self._results: list[tuple[str, PageRecord | None]] = []  # worker side: what to record
        self._given: dict[str, PageRecord] = {}  # worker side: a listing's pages as the last build recorded them
        self.linked = Linked(cat.store, cat.uris)  # organisations and projects, read once per build (or worker)
        self._views: dict[tuple[str, str], EntityView | None] = {}  # loaded ahead by `prefetch`
        self._related: dict[str, list[Hit]] = {}  # practice uri -> its "more like this", found ahead by `_prepare`
        self._ready: dict[tuple[str, str], Twins] = {}  # the twins made ahead by `_prepare`
        self.files = FileWriter()  # what this process writes (a parallel build's parent: its workers' files too)
        self.writer: FileWriter | PendingFiles = self.files  # where `_write` sends files (a worker's: PendingFiles)
        self.ahead = Ahead()  # threads only for an incremental build (see `_build`)

    # --- files -------------------------------------------------------------------

    def _old(self, page_id: str) -> PageRecord:
        record = self.manifest.record(page_id) if self.manifest is not None else self._given.get(page_id)
        return record or PageRecord()

    def _write(self, record: PageRecord, path: str, data: bytes, old: dict[str, str]) -> None:
        digest = _sha(data)
        record.files[path] = digest
        target = f"{self._root}/{path}"
        if path in old:  # written before: replace it only when its bytes changed
            if old[path] == digest and os.path.isfile(target):
                self.report.files_unchanged += 1
                return
            self.writer.replace(target, data)
        else:
            self.writer.create(target, data)
        self.report.files_written += 1

    def _finish_page(self, page_id: str, record: PageRecord, previous: PageRecord) -> None:
        """Remove what the page wrote last time and not now; remember the page."""
        for path in set(previous.files) - set(record.files):
            self._remove(path)
        if set(previous.files) != set(record.files):
            self.pages_changed = True
        self.seen.add(page_id)
        if self.manifest is not None:
            self.manifest.put(page_id, record)
        else:
            self._results.append((page_id, record))

    def _remove(self, path: str) -> None:
        try:
            (self.out / path).unlink()
            self.report.files_removed += 1
        except FileNotFoundError:
            pass

    def _forget(self, page_id: str) -> None:
        for path in self._old(page_id).files:
            self._remove(path)
        self.pages_changed = True
        if self.manifest is not None:
            self.manifest.drop(page_id)
        else:
            self._results.append((page_id, None))

    # --- what changed ------------------------------------------------------------

    def _latest_change(self) -> str | None:
        rows = self.cat.store.select(f"SELECT (MAX(?m) AS ?last) WHERE {{ GRAPH ?g {{ ?g <{_MODIFIED}> ?m }} }}")
        return str(rows[0]["last"]) if rows and "last" in rows[0] else None

    def _entities(self) -> dict[str, str]:
        """uri -> kind of every entity."""
        values = " ".join(f"<{c}>" for c in _CLASSES)
        rows = self.cat.store.select(f"SELECT DISTINCT ?e ?t WHERE {{ GRAPH ?g {{ ?e a ?t . VALUES ?t {{ {values} }} }} }}")
        return {str(r["e"]): _CLASSES[str(r["t"])] for r in rows}

    def _changes(self, since: str) -> tuple[str, dict[str, str]]:
        """(the latest record change, uri -> kind of the entities in the records
        changed after `since`) from one scan of the records' change dates (each
        scan costs ~0.15 s at 100,000 records). With no record changed after
        `since`, `since` stays the latest change."""
        # Without a VALUES list of classes here: with one, Oxigraph started from
        # every typed node (0.4 s at 10,000 practices) instead of the few changed records (10 ms).
        literal = json.dumps(since)
        rows = self.cat.store.select(
            f"""SELECT DISTINCT ?e ?t ?m WHERE {{ GRAPH ?g {{
                  ?g <{_MODIFIED}> ?m . FILTER(?m > {literal}^^<http://www.w3.org/2001/XMLSchema#dateTime>)
                  ?e a ?t }} }} ORDER BY DESC(?m)"""
        )
        if not rows:
            return since, {}
        return str(rows[0]["m"]), {str(r["e"]): _CLASSES[str(r["t"])] for r in rows if str(r["t"]) in _CLASSES}

    # --- rendering ------------------------------------------------------------------

    def _view_in(self, view: EntityView, lang: str) -> EntityView:
        names = dict(view.names)
        for uri, entity in view.linked.items():
            names[uri] = display_name(entity, lang)
        return replace(view, names=names)

    def prefetch(self, tasks: Iterable[tuple[str, str]]) -> None:
        """Load the entities of these tasks in batches (one query per batch
        instead of several per page)."""
        by_kind: dict[str, list[str]] = {}
        for kind, key in tasks:
            if kind in _KINDS:
                by_kind.setdefault(kind, []).append(key)
        for kind, keys in by_kind.items():
            for key, view in load_views(self.cat.store, self.cat.uris, kind, keys, DEFAULT, self.linked).items():
                self._views[(kind, key)] = view

    def render_entity(
        self, kind: str, key: str, previous: PageRecord | None = None, view: EntityView | None = None,
        twins: Twins | None = None,
    ) -> bool:  # fmt: skip
        """Render one entity's pages and twins; False when it is gone."""
        page_id = f"{kind}:{key}"
        if view is None:
            if (kind, key) not in self._views:
                self.prefetch([(kind, key)])
            view = self._views.pop((kind, key))
        if view is None:
            return False
        previous = previous if previous is not None else self._old(page_id)
        record = PageRecord()
        builders = {"project": entity_views.project_page, "organisation": entity_views.organisation_page}
        related = None
        if kind == "practice":
            related = self._related.pop(view.uri, None)
            if related is None:
                related = self.cat.engine.more_like_this(view.uri, entity_views.RELATED)
        for lang, links in self.links.items():
            localised = self._view_in(view, lang)
            if kind == "practice":
                built = entity_views.practice_page(self.cat, links, self.site, localised, related)
            else:
                built = builders[kind](self.cat, links, self.site, localised)
            record.deps |= built.deps
            self._write(record, links.file(kind, key), render(built, lang).encode("utf-8"), previous.files)
            self.report.pages += 1
        if twins is None:
            twins = self._ready.pop((kind, key), None) or self._twins(kind, key, view)
        for path, data in twins.files.items():
            self._write(record, path, data, previous.files)
        if kind == "practice":  # a new title moves the practice in its listings
            record.deps.add(_place(view))
        record.deps.add(twins.face)
        self._finish_page(page_id, record, previous)
        return True

    def _prepare(self) -> None:
        """The "more like this" of every loaded practice, then the twins of
        every loaded entity, before any of their pages is rendered: each step
        runs for the whole batch, so its code and data stay in the CPU's
        caches from one entity to the next. At 100,000 practices a page took
        3.67 ms of CPU with the steps interleaved, 3.18 ms in steps ("more
        like this" 1.40 -> 1.24 ms, the twins 0.52 -> 0.37, Jinja 0.61 ->
        0.49), and 2.71-2.73 ms with `more_like_these` in steps of its own."""
        loaded = [(kind, key, view) for (kind, key), view in self._views.items() if view is not None]
        practices = [view.uri for kind, _key, view in loaded if kind == "practice"]
        self._related.update(self.cat.engine.more_like_these(practices, entity_views.RELATED))
        for kind, key, view in loaded:
            self._ready[(kind, key)] = self._twins(kind, key, view)

    def _twins(self, kind: str, key: str, view: EntityView) -> Twins:
        """The entity's JSON and RDF twins, and its face."""
        base = Links(static=True)
        twin = json_twin(view, base.url(kind, key)).model_dump(mode="json", exclude_none=True)
        out = {base.twin(kind, key, "json")[1:]: _twin_bytes(twin)}
        for extension, data in rdf_twins(self.cat.store, self.cat.uris, view).items():
            out[base.twin(kind, key, extension)[1:]] = data
        return Twins(out, _face(twin))

    def render_listing(self, facet: str, code: str, showing: set[str] | None = None) -> None:
        """The pages of a country's or theme's listing (`{facet}:{code}:{n}` in
        the manifest, each showing its practices); pages past the end go.
        With `showing` (an incremental build), only the pages whose practices,
        order, count or breakdown moved, and the pages named there. The
        listing is asked of the index once per language, not per page."""
        wholes = {}
        for lang in self.links:
            whole = self.ahead.take(("listing", facet, code, lang))
            wholes[lang] = whole if whole is not None else views.listing_all(self.cat, facet, code, lang)
        number, last = 1, 1
        while number <= last:
            built = self._listing_pages(facet, code, number, wholes)
            if built is None:
                break
            last = built[0].context["last_page"]
            page_id = f"{facet}:{code}:{number}"
            previous = self._old(page_id)
            if showing is None or page_id in showing or _listing_digest(built) not in previous.deps:
                self._write_listing_page(page_id, built, previous)
            number += 1
        prefix = f"{facet}:{code}:"
        for page_id in self.manifest.page_ids(prefix) if self.manifest is not None else ():
            if int(page_id.rsplit(":", 1)[1]) > max(last, 1):
                self._forget(page_id)

    def render_listing_page(
        self, facet: str, code: str, number: int, previous: PageRecord | None = None, wholes: dict[str, Result] | None = None
    ) -> int | None:
        """One page of a listing in every language; its listing's last page
        number, or None when the page is past the end."""
        built = self._listing_pages(facet, code, number, wholes)
        if built is None:
            return None
        page_id = f"{facet}:{code}:{number}"
        self._write_listing_page(page_id, built, previous if previous is not None else self._old(page_id))
        return int(built[0].context["last_page"])

    def _listing_pages(self, facet: str, code: str, number: int, wholes: dict[str, Result] | None) -> list[views.Page] | None:
        """A listing page's views, one per language (None past the end)."""
        built = []
        for lang, links in self.links.items():
            whole = wholes.get(lang) if wholes else None
            searched = self.ahead.take(("page", facet, code, number, lang)) if whole is None else None
            page = views.listing(self.cat, links, self.site, facet, code, number, whole, searched)
            if page is None:
                return None
            built.append(page)
        return built

    def _write_listing_page(self, page_id: str, built: list[views.Page], previous: PageRecord) -> None:
        facet, code, number = page_id.split(":")
        record = PageRecord({_listing_digest(built)})
        for (lang, links), page in zip(self.links.items(), built, strict=True):
            record.deps |= {hit.uri for hit in page.context["hits"]}
            self._write(record, links.file(facet, code, int(number)), render(page, lang).encode("utf-8"), previous.files)
            self.report.pages += 1
        self._finish_page(page_id, record, previous)

    def render_globals(self, names: tuple[str, ...] = GLOBAL_PAGES) -> None:
        for name in names:
            self.render_global(name)

    def render_global(self, name: str, previous: PageRecord | None = None) -> None:
        page_id = f"page:{name}"
        previous = previous if previous is not None else self._old(page_id)
        record = PageRecord()
        for lang, links in self.links.items():
            built = self._global(name, links)
            path = "404.html" if name == "404" else links.file(name)
            if name == "404" and lang != DEFAULT:
                path = f"{lang}/404.html"
            self._write(record, path, render(built, lang).encode("utf-8"), previous.files)
            self.report.pages += 1
        self._finish_page(page_id, record, previous)

    def _global(self, name: str, links: Links) -> views.Page:
        if name == "home":
            return views.home(self.cat, links, self.site)
        if name == "search":
            return views.static_search(links, self.site)
        if name == "statistics":
            return views.statistics(self.cat, links, self.site)
        if name == "harvests":
            return views.harvests(self.cat, links, self.site)
        if name == "api":
            return views.api_page(links, self.site)
        return views.page(
            "error.html", links, self.site, ("home", "", {}), status=404, title="Not found", message=""
        )

    def render_files(self, previous: PageRecord | None = None, feed_only: bool = False) -> None:
        """openapi.json, the feed, robots.txt, static assets; with `feed_only`
        (after a harvest) the feed, the others kept as they are (they follow
        the code and the options: a change of those is a full build)."""
        previous = previous if previous is not None else self._old("files")
        record = PageRecord()
        if feed_only:
            record.files = {path: digest for path, digest in previous.files.items() if path != "feed.atom"}
        site_url = (self.options.site_url or self.cat.uris.base).rstrip("/")
        if not feed_only:
            from .openapi import openapi  # pydantic's JSON schemas: only when the code changed

            self._write(record, "openapi.json", _json_bytes(openapi(self.options.api_base or "/")), previous.files)
        links = self.links.get(DEFAULT) or next(iter(self.links.values()))
        built = views.feed(links, self.site, recent(self.cat), f"{site_url}/feed.atom", site_url)
        self._write(record, "feed.atom", render(built, links.lang).encode("utf-8"), previous.files)
        if not feed_only:
            self._write(record, "robots.txt", robots_txt(site_url).encode("utf-8"), previous.files)
            static = site_dir() / "static"
            for path in sorted(static.rglob("*")):
                if path.is_file():
                    self._write(record, f"static/{path.relative_to(static).as_posix()}", path.read_bytes(), previous.files)
        self._finish_page("files", record, previous)

    def render_sitemap(self) -> None:
        assert self.manifest is not None
        previous = self._old("sitemap")
        record = PageRecord()
        site_url = (self.options.site_url or self.cat.uris.base).rstrip("/")
        html = [p for p in self.manifest.html_paths() if not p.endswith("404.html")]
        for name, data in sitemaps(site_url, html):
            self._write(record, name, data, previous.files)
        self._finish_page("sitemap", record, previous)

    # --- the build ------------------------------------------------------------------

    def build(self) -> BuildReport:
        started = time.perf_counter()
        self.out.mkdir(parents=True, exist_ok=True)
        self.manifest = Manifest(self.out)
        use_compiled_cache(_templates_cache(self.out), self.options.languages)
        try:
            self._build()
            self.files.close()  # every file on disk before the manifest says so
        finally:
            use_compiled_cache(None, self.options.languages)
            self.manifest.close()
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _build(self) -> None:
        assert self.manifest is not None
        code = code_version(self._settings_key())
        # No stamp: no build yet, or the last one saw an empty store (no change
        # date): nothing tells what changed since, so this build is a full one.
        stamp = self.manifest.get("stamp") or ""
        full = self.options.force or self.manifest.get("code") != code or not stamp
        runs = self._runs_stamp()
        self.report = BuildReport(full=full)
        if full:
            latest = self._latest_change()
            self._run(self._full_tasks())
            # pages of the last build that this one did not produce
            for page_id in self.manifest.page_ids() - self.seen - {"sitemap"}:
                self._forget(page_id)
        else:
            latest, changed = self._changes(stamp)
            self.report.changed_records = len(changed)
            data = bool(changed) or self.manifest.get("runs") != runs  # the data pages and the feed follow
            self.ahead = Ahead(AHEAD_THREADS)
            try:
                self._incremental(changed, data)
                if data:
                    self.ahead.take(("figures",))  # (done once: the pages' own calls find it cached)
                    self.render_globals(DATA_PAGES)
                    self.ahead.take(("feed",))
                    self.render_files(feed_only=self.manifest.record("files") is not None)
            finally:
                self.ahead.close()
        if full or self.pages_changed or self.manifest.record("sitemap") is None:
            self.render_sitemap()
        self.manifest.set("code", code)
        self.manifest.set("stamp", latest or "")
        self.manifest.set("runs", runs)

    def run_task(self, kind: str, key: str, previous: PageRecord | None = None) -> bool:
        """An entity's pages, a whole listing (`country`, `ITA`), one of its
        pages (`country`, `ITA:3`), a global page (`page`, `home`) or the
        other files (`page`, `files`)."""
        if kind == "page":
            if key == "files":
                self.render_files(previous)
            else:
                self.render_global(key, previous)
            return True
        if kind in ("country", "theme"):
            code, _, number = key.partition(":")
            if number:
                return self.render_listing_page(kind, code, int(number), previous) is not None
            self.render_listing(kind, code)
            return True
        return self.render_entity(kind, key, previous)

    def _run(self, tasks: list[tuple[str, str]]) -> None:
        """Render entity and listing pages, in batches (entities are loaded a
        batch at a time), in worker processes when it pays."""
        assert self.manifest is not None
        jobs = max(1, self.options.jobs)
        if jobs == 1 or len(tasks) < PARALLEL_FROM:
            for items in self._payload(tasks):
                self.run_batch(list(items))
            self.manifest.commit()
            return
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                                 initargs=(self.cat.settings, self.options)) as pool:  # fmt: skip
            # A few batches in flight per worker, taken as they finish (a long
            # listing does not hold up the others): the workers never wait for
            # work, and the rendered files held in memory stay bounded when
            # the disk is slower than the rendering.
            running: set[Future[_BatchResult]] = set()
            for items in self._payload(tasks):
                running.add(pool.submit(_worker_batch, items, self._listing_records(items)))
                if len(running) >= IN_FLIGHT * jobs:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        self._take(future.result())
            for future in as_completed(running):
                self._take(future.result())
        self.manifest.commit()

    def _take(self, done: _BatchResult) -> None:
        """Write what a worker rendered, then record its pages."""
        assert self.manifest is not None
        results, counts, changed, files = done
        self.files.write_now(files)  # on disk before the manifest records them
        self.manifest.put_many([(page_id, record) for page_id, record in results if record is not None])
        for page_id, record in results:
            if record is None:
                self.manifest.drop(page_id)
            else:
                self.seen.add(page_id)
        self.pages_changed |= changed
        for name, value in counts.items():
            setattr(self.report, name, getattr(self.report, name) + value)

    def _listing_records(self, items: list[tuple[str, str, PageRecord]]) -> dict[str, PageRecord]:
        """What the last build recorded of the pages of the whole listings
        among these tasks (`country:ITA:1`, ...): a worker has no manifest,
        and without them it would write every listing page again."""
        assert self.manifest is not None
        pages = [page for kind, key, _ in items if kind in ("country", "theme") and ":" not in key
                 for page in self.manifest.page_ids(f"{kind}:{key}:")]  # fmt: skip
        return self.manifest.records(pages) if pages else {}

    def _payload(self, tasks: list[tuple[str, str]]) -> Iterator[list[tuple[str, str, PageRecord]]]:
        """Batches for the workers, each task with what its page wrote last time."""
        assert self.manifest is not None
        for batch in _batches(tasks):
            previous = self.manifest.records([_page_id(kind, key) for kind, key in batch])
            yield [(kind, key, previous.get(_page_id(kind, key)) or PageRecord()) for kind, key in batch]

    def run_batch(self, items: list[tuple[str, str, PageRecord]]) -> None:
        """Render a batch of tasks; a gone entity's pages are forgotten."""
        self.prefetch((kind, key) for kind, key, _previous in items)
        self._prepare()
        for kind, key, previous in items:
            if not self.run_task(kind, key, previous):
                if self.manifest is None:  # a worker: the parent forgets it
                    for path in previous.files:
                        self._remove(path)
                    self._results.append((f"{kind}:{key}", None))
                    self.pages_changed = True
                else:
                    self._forget(f"{kind}:{key}")
        self._views.clear()
        self._related.clear()
        self._ready.clear()

    def _runs_stamp(self) -> str:
        stamp, sources = last_harvest(self.cat.store, self.cat.uris)
        return f"{stamp.isoformat() if stamp else ''}/{sources}"

    def _settings_key(self) -> list[str]:
        o = self.options
        return [self.cat.uris.base, o.api_base, o.site_url, ",".join(o.languages)]

    def _full_tasks(self) -> list[tuple[str, str]]:
        """Every page of the site, the longest tasks first (the global pages,
        then the listings from the biggest, then one entity each), so that no
        worker is left alone with a long one at the end."""
        counts = self.cat.engine.search(Query(limit=0, facets=("country", "theme"))).facets
        sizes = {(facet, code): n for facet in ("country", "theme") for code, n in counts.get(facet, [])}
        listings = [(facet, code) for facet in ("country", "theme") for code in self._listing_codes(facet)]
        entities = self._entities()
        return [
            *(("page", name) for name in (*GLOBAL_PAGES, "files")),
            *sorted(listings, key=lambda task: -sizes.get(task, 0)),
            *((kind, key) for uri, kind in sorted(entities.items()) if (key := self.cat.uris.key_of(uri, kind))),
        ]

    def _listing_codes(self, facet: str) -> list[str]:
        """Every code of the scheme: pages link countries and themes that have
        no practice yet (an organisation's country), and the server answers them."""
        from .web.formats import known_codes

        return sorted(known_codes(facet))

    def _incremental(self, changed: dict[str, str], data: bool = False) -> None:
        """Render again what the changed records change: their entities whose
        twins are not the same bytes, the pages that show an entity whose face
        changed, and the listing pages whose practices moved. With `data`,
        the data pages and the feed follow (their queries start here)."""
        if not changed:
            self._data_ahead(data)
            return
        uris = self.cat.uris
        listings: set[str] = set()  # listings whose order, count or breakdown may have moved
        faces: set[str] = set()  # entities whose face changed: the pages showing them follow
        again: dict[str, str] = {}  # entities whose pages gained or lost a link to a changed one
        done: set[str] = set()  # entities rendered (or gone) already
        self.prefetch((kind, key) for uri, kind in sorted(changed.items()) if (key := uris.key_of(uri, kind)))
        for uri, kind in sorted(changed.items()):
            key = uris.key_of(uri, kind)
            if not key:
                continue
            page_id = f"{kind}:{key}"
            previous = self.manifest.record(page_id) if self.manifest is not None else None
            view = self._views.pop((kind, key), None)
            if view is None:
                if previous is not None:
                    self._forget(page_id)
                after: set[str] = set()
            else:
                twins = self._twins(kind, key, view)
                if previous is not None and all(previous.files.get(p) == _sha(d) for p, d in twins.files.items()):
                    continue  # the store says the same of it (an organisation in a changed practice's record)
                self.render_entity(kind, key, previous or PageRecord(), view, twins)
                after = self._old(page_id).deps
            done.add(uri)
            before = previous.deps if previous is not None else set()
            if _starting(before, "face:") != _starting(after, "face:"):
                faces.add(uri)
            members = _starting(before | after, "country:", "theme:")
            moved = _starting(before, "country:", "theme:") != _starting(after, "country:", "theme:")
            if kind == "practice" and (previous is None or moved or _starting(before ^ after, "title:") or not after):
                listings |= members
            for dep in before ^ after:  # linked entities gained or lost (practices show related ones)
                if kind != "organisation" and ":" in dep and not uris.key_of(dep, "practice"):
                    again.update(self._kind_of(dep))
        # the pages that show an entity whose face changed: related lists, projects, organisations, listing pages
        pages: list[tuple[str, str]] = []
        listing_pages: set[str] = set()
        for page_id in self.manifest.pages_showing(faces) if self.manifest is not None else ():
            kind, _, key = page_id.partition(":")
            if kind in ("practice", "project", "organisation"):
                again[uris.entity(kind, key)] = kind
            elif kind in ("country", "theme"):
                if f"{kind}:{key.rpartition(':')[0]}" in listings:
                    listing_pages.add(page_id)
                else:
                    pages.append((kind, key))
        tasks = [(kind, key) for uri, kind in sorted(again.items()) if uri not in done and (key := uris.key_of(uri, kind))]
        if self.options.jobs <= 1 or len(tasks) + len(pages) < PARALLEL_FROM:  # rendered here, not in workers
            self._search_ahead(pages, sorted(listings))
        self._data_ahead(data)
        self._run(tasks + sorted(pages))
        # the listings where the order moved: the pages that changed
        for facet, _, code in (k.partition(":") for k in sorted(listings)):
            self.render_listing(facet, code, listing_pages)

    def _search_ahead(self, pages: list[tuple[str, str]], listings: list[str]) -> None:
        """Start the searches of these listing pages (`country`, `ITA:3`) and
        whole listings (`country:ITA`) in every language."""
        for facet, key in sorted(pages):
            code, _, number = key.partition(":")
            for lang in self.links:
                search = (views.listing_search, self.cat, facet, code, lang, int(number))
                self.ahead.start(("page", facet, code, int(number), lang), *search)
        for facet, _, code in (k.partition(":") for k in listings):
            for lang in self.links:
                self.ahead.start(("listing", facet, code, lang), views.listing_all, self.cat, facet, code, lang)

    def _data_ahead(self, data: bool) -> None:
        """Start the store queries of the data pages and the feed (cached per
        harvest: their pages' own calls find them)."""
        if data:
            self.ahead.start(("feed",), recent, self.cat)
            self.ahead.start(("figures",), figures, self.cat)

    def _kind_of(self, uri: str) -> dict[str, str]:
        for kind in ("project", "organisation"):
            if self.cat.uris.key_of(uri, kind):
                return {uri: kind}
        return {}


# --- worker processes ------------------------------------------------------------

AHEAD_THREADS = 2  # threads of an incremental build's searches ahead (`Ahead`)
PARALLEL_FROM = 200  # tasks; below this, starting processes costs more than it saves
IN_FLIGHT = 4  # batches handed to each worker ahead of the parent's writing
BATCH = 100  # entities loaded and rendered together (one store query for all)
WORKER_GC = (20_000, 50, 100)  # the collector's thresholds in a worker (Python's: 700, 10, 10)
_WORKER: SiteBuilder | None = None
# What a worker sends back for a batch: page records to keep (None: forget
# the page), counts for the report, whether a page appeared or went, and the
# files for the parent to write.
_BatchResult = tuple[list[tuple[str, PageRecord | None]], dict[str, int], bool, list[FileItem]]


def _starting(deps: set[str], *prefixes: str) -> set[str]:
    return {d for d in deps if d.startswith(prefixes)}


def _page_id(kind: str, key: str) -> str:
    """A task's page in the manifest: `page:home` and `files` for the pages of `GLOBAL_PAGES`
    and the other files, `{kind}:{key}` for the rest."""
    return "files" if (kind, key) == ("page", "files") else f"{kind}:{key}"


def _templates_cache(out: Path) -> Path:
    return out / CACHE / "templates"


def _init_worker(settings: Settings, options: BuildOptions) -> None:
    global _WORKER
    use_compiled_cache(_templates_cache(options.out), options.languages)
    _WORKER = SiteBuilder(Catalogue(settings, read_only=True), options)
    # A page's garbage goes by reference counting; the cyclic collector only
    # walked the modules and caches again and again (~2.5 % of a worker's CPU).
    gc.freeze()
    gc.set_threshold(*WORKER_GC)


def _batches(tasks: list[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    """Entity tasks in batches of one kind (loaded together); listings alone
    (one listing is many pages)."""
    batch: list[tuple[str, str]] = []
    for task in tasks:
        if task[0] not in _KINDS:
            if batch:
                yield batch
                batch = []
            yield [task]
            continue
        if batch and (len(batch) >= BATCH or batch[0][0] != task[0]):
            yield batch
            batch = []
        batch.append(task)
    if batch:
        yield batch


def _worker_batch(items: list[tuple[str, str, PageRecord]], listing_records: dict[str, PageRecord]) -> _BatchResult:
    """Render a batch in a worker: (page records to keep, counts, pages
    changed, the files for the parent to write)."""
    builder = _WORKER
    assert builder is not None
    builder._results = []
    builder._given = listing_records
    builder.report = BuildReport(full=True)
    builder.pages_changed = False
    builder.writer = pending = PendingFiles()
    builder.run_batch(list(items))
    r = builder.report
    counts = {"pages": r.pages, "files_written": r.files_written, "files_unchanged": r.files_unchanged,
              "files_removed": r.files_removed}  # fmt: skip
    return builder._results, counts, builder.pages_changed, pending.files


def _twin_bytes(data: dict[str, object]) -> bytes:
    """`_json_bytes` of a JSON twin (no floats in it), by pydantic's writer:
    the same bytes in a third of the time (json's indenting writer is Python)."""
    return pydantic_core.to_json(_sorted_keys(data), indent=1) + b"\n"


def _sorted_keys(value: object) -> object:
    # A JSON value from `model_dump(mode="json")`: only its dicts and lists
    # need a look (a twin holds some forty, and hundreds of strings).
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _LEAVES else _sorted_keys(v) for k, v in sorted(value.items())}  # type: ignore[attr-defined]
    if kind is list:
        return [v if type(v) in _LEAVES else _sorted_keys(v) for v in value]  # type: ignore[attr-defined]
    return value


_LEAVES = frozenset({str, int, bool, float, type(None)})


def _json_bytes(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def build_site(cat: Catalogue, options: BuildOptions) -> BuildReport:
    """Build (or update) the static site in `options.out`."""
    return SiteBuilder(cat, options).build()
