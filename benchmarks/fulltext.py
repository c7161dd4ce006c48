"""Section c: full-text search, Tantivy and Whoosh against SQLite FTS5.

The documents are the catalogue's own `IndexDoc`s (`catalogue.indexing.
practice_doc`), made from the generated CSV through the real tabular
harvester. Each engine is built from them through the engine interface
(`catalogue.index.open_engine`, `add` in batches of 1,000, one `commit`), and
searched through `engine.search(Query(...))`, which includes hits, snippets,
facet counts and the "did you mean" check, as the web page gets them. Each
index (FTS5's too) is searched from a new process that only opens it, as a
search server would, not from the one that generated and indexed the data.

Query kinds, over ~50 varied queries (common and rare words, two-word
queries, names, misspellings, concept labels; en/fr/de/it/es):

* plain: text only, top 20, no facets;
* faceted: text, top 20, every facet of `catalogue.index.FACETS` counted;
* filtered: text + a country and a theme filter, every facet counted
  (multi-select rule);
* browse: no text, every facet counted over the whole catalogue (the
  landing page).

The first 5 searches of each kind warm up untimed, then `--passes` timed
passes run (a kind that took over `--budget` seconds in a pass gets no more). Whoosh is built at
`--whoosh-size` at most (it needed 526 s for 100,000 documents); when that is
smaller than the catalogue, Tantivy and FTS5 are also measured at that size
so that every ratio compares the same documents.
"""

from __future__ import annotations

import concurrent.futures
import gc
import logging
import multiprocessing
import random
import shutil
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from catalogue.index import FACETS, IndexDoc, Query, SearchEngine, open_engine
from catalogue.indexing import Indexed, practice_doc
from catalogue.models import Practice, SourceRecord
from catalogue.sources import load_sources
from catalogue.uris import project_key_for_grant
from harvesters import harvester_class
from harvesters.base import HarvestContext

from . import words as w
from .common import Latency, Row, Stopwatch, dir_size_mb, latency_row, rate_text
from .context import Bench
from .fts5 import Fts5Index
from .generate import PRACTICE_SOURCE

SECTION = "c. full text"
BATCH = 1000
log = logging.getLogger("benchmarks")


@dataclass(frozen=True)
class Search:
    kind: str
    text: str
    filters: dict[str, tuple[str, ...]]
    facets: tuple[str, ...]


KINDS = ("plain", "faceted", "filtered", "browse")
KIND_TITLES = {
    "plain": "plain query, top 20",
    "faceted": f"faceted query, top 20 + all {len(FACETS)} facets",
    "filtered": "filtered (country + theme), top 20 + all facets",
    "browse": "browse all (no text), all facets",
}


def documents(bench: Bench) -> list[IndexDoc]:
    """The index documents of the generated practices, via the real tabular harvester."""
    dataset = bench.data()
    sources = load_sources(dataset.sources_toml)
    source = next(s for s in sources.sources if s.name == PRACTICE_SOURCE)
    ctx = HarvestContext(base_dir=sources.base_dir(), max_bytes=bench.settings.max_download_bytes)
    harvester = harvester_class(source.kind)(source, ctx)
    programmes = {project_key_for_grant(g): p for g, p in dataset.programmes.items()}
    docs = []
    for item in harvester.records():
        if not isinstance(item, SourceRecord):
            continue
        practice = item.entities[0]
        assert isinstance(practice, Practice)
        progs = tuple(programmes[k] for k in practice.projects if k in programmes)
        docs.append(practice_doc(Indexed(practice, "v1", source.name, progs), bench.uris))
    return docs


def query_texts(rng: random.Random) -> list[str]:
    """~50 varied query texts: common and rare words, pairs, names, typos, labels."""
    texts: list[str] = []
    for lang in w.LANGUAGES:  # the four most common nouns of each language
        texts += [n.lower() for n in w.NOUNS[lang][:4]]
    rare = [n for lang in w.LANGUAGES for n in w.NOUNS[lang][60:]]
    texts += rng.sample(rare, 10)
    for _ in range(12):
        lang = rng.choice(w.LANGUAGES)
        texts.append(f"{rng.choice(w.ADJECTIVES[lang][:12])} {rng.choice(w.NOUNS[lang][:40])}".lower())
    texts += ["Barcelona", "PostgreSQL", "Decidim open source"]
    texts += ["platfrom", "transparancy", "Verwaltnug"]  # typos: the "did you mean" path
    texts += ["environnement", "Umwelt"]  # only in concept labels (cross-lingual)
    return texts


def searches(bench: Bench) -> list[Search]:
    dataset = bench.data()
    rng = random.Random(bench.options.seed)
    texts = query_texts(rng)
    codes = [c for c, _ in dataset.country_weights]
    weights = [wt for _, wt in dataset.country_weights]
    themes = dataset.themes_by_frequency[:8]
    out = [Search("plain", t, {}, ()) for t in texts]
    out += [Search("faceted", t, {}, FACETS) for t in texts]
    for t in texts:
        filters = {"country": (rng.choices(codes, weights)[0],), "theme": (rng.choice(themes),)}
        out.append(Search("filtered", t, filters, FACETS))
    out += [Search("browse", "", {}, FACETS)] * 20
    return out


@dataclass
class Measured:
    latency: dict[str, Latency]
    totals: dict[str, list[int]]


def measure(do: Callable[[Search], int], plan: Sequence[Search], passes: int, budget: float) -> Measured:
    """Warm up on the first 5 searches of each kind, then time `passes` passes over
    the plan; a kind whose timed searches took over `budget` seconds gets no
    further pass once it has had one (this bounds Whoosh)."""
    for kind in KINDS:
        for s in [s for s in plan if s.kind == kind][:5]:
            do(s)
    latency = {k: Latency() for k in KINDS}
    spent = dict.fromkeys(KINDS, 0.0)
    totals: dict[str, list[int]] = {k: [] for k in KINDS}
    for n in range(passes):
        for s in plan:
            if n > 0 and spent[s.kind] > budget:
                continue
            with Stopwatch() as sw:
                total = do(s)
            latency[s.kind].samples.append(sw.seconds * 1000)
            spent[s.kind] += sw.seconds
            if n == 0:
                totals[s.kind].append(total)
    return Measured(latency, totals)


def _engine_search(engine: SearchEngine) -> Callable[[Search], int]:
    def do(s: Search) -> int:
        return engine.search(Query(text=s.text, filters=s.filters, facets=s.facets)).total

    return do


def _fts_search(index: Fts5Index) -> Callable[[Search], int]:
    def do(s: Search) -> int:
        return index.search(s.text, s.filters, s.facets)[0]

    return do


def _measure_fresh(name: str, path: Path, plan: Sequence[Search], passes: int, budget: float) -> Measured:
    """`measure` in a new Python process (spawned, not forked: nothing of
    this one's memory) that opens the index at `path` ("fts5" or an engine)."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as child:
        return child.submit(_open_and_measure, name, path, list(plan), passes, budget).result()


def _open_and_measure(name: str, path: Path, plan: list[Search], passes: int, budget: float) -> Measured:
    if name == "fts5":
        index = Fts5Index(path)
        try:
            return measure(_fts_search(index), plan, passes, budget)
        finally:
            index.close()
    engine = open_engine(name, path)
    try:
        return measure(_engine_search(engine), plan, passes, budget)
    finally:
        engine.close()


def build_engine(name: str, path: Path, docs: Sequence[IndexDoc]) -> tuple[SearchEngine, float]:
    engine = open_engine(name, path)
    with Stopwatch() as sw:
        for i in range(0, len(docs), BATCH):
            engine.add(docs[i : i + BATCH])
        engine.commit()
    return engine, sw.seconds


def build_fts(path: Path, docs: Sequence[IndexDoc]) -> tuple[Fts5Index, float]:
    for old in path.parent.glob(f"{path.name}*"):  # a kept --workdir's earlier build, WAL included
        old.unlink()
    index = Fts5Index(path)
    with Stopwatch() as sw:
        index.build(docs)
    return index, sw.seconds


def run(bench: Bench) -> None:
    options = bench.options
    with Stopwatch() as prep:
        docs = documents(bench)
    bench.info["fulltext_docs"] = {"docs": len(docs), "prepare_seconds": round(prep.seconds, 2)}
    log.info("%d index documents prepared in %.1f s", len(docs), prep.seconds)
    plan = searches(bench)
    root = bench.workdir / "fulltext"
    root.mkdir(exist_ok=True)
    n_all = len(docs)
    n_whoosh = min(n_all, options.whoosh_size)
    # Each size's documents, the largest first; a size's list is dropped once
    # its indexes are built (see `_measure_size`).
    batches = [docs] if n_whoosh == n_all else [docs, docs[:n_whoosh]]
    del docs
    while batches:
        _measure_size(bench, root, plan, batches, n_whoosh)
    log.info("section c done")


def _measure_size(bench: Bench, root: Path, plan: list[Search], batches: list[list[IndexDoc]], n_whoosh: int) -> None:
    """Build FTS5 and the engines over `batches[0]`, then time each one's
    searches in a new process that only opens the index, as a search server
    does (`_measure_fresh`). This process holds the generated data and the
    leftovers of harvesting and indexing 100,000 documents: searched from
    here, the same index answered ~20-30 % slower (faceted median 6.0-6.8
    ms against 4.8-5.3 in a process that only searched), baseline and ours
    alike."""
    options = bench.options
    subset = batches.pop(0)
    size = len(subset)
    fts, fts_build = build_fts(root / f"fts5-{size}.sqlite", subset)
    fts_mb = sum(p.stat().st_size for p in root.glob(f"fts5-{size}.sqlite*")) / 2**20
    log.info("FTS5 built at %d docs in %.1f s", size, fts_build)
    built: list[tuple[str, Path, SearchEngine, float]] = []
    for name in ["tantivy"] + (["whoosh"] if size == n_whoosh else []):
        path = root / f"{name}-{size}"
        try:
            engine, seconds = build_engine(name, path, subset)
        except Exception as exc:  # an engine that fails must not hide the other's figures
            log.exception("%s at %d docs failed to build", name, size)
            bench.rows.append(Row(SECTION, f"{name}@{size:,} FAILED", f"{type(exc).__name__}: {exc}"))
            shutil.rmtree(path, ignore_errors=True)
            continue
        log.info("%s built at %d docs in %.1f s", name, size, seconds)
        built.append((name, path, engine, seconds))
    del subset
    fts.close()
    for _, _, engine, _ in built:
        engine.close()
    gc.collect()

    fts_path = root / f"fts5-{size}.sqlite"
    base = _measure_fresh("fts5", fts_path, plan, options.passes, options.budget)
    for name, path, engine, seconds in built:
        engine_mb = dir_size_mb(path)
        try:
            ours = _measure_fresh(name, path, plan, options.passes, options.budget)
        except Exception as exc:
            log.exception("%s at %d docs failed", name, size)
            bench.rows.append(Row(SECTION, f"{name}@{size:,} FAILED", f"{type(exc).__name__}: {exc}"))
            shutil.rmtree(path, ignore_errors=True)
            continue
        at = f"@{size:,}"
        note = " (Whoosh capped by --whoosh-size)" if name == "whoosh" and size < options.size else ""
        bench.rows.append(
            Row(
                SECTION,
                f"{name} index build{note}",
                rate_text(size / seconds, "docs/s") + f" ({seconds:.1f} s, {engine_mb:,.0f} MB)",
                rate_text(size / fts_build, "docs/s") + f" (FTS5, {fts_build:.1f} s, {fts_mb:,.0f} MB)",
                ratio=(size / seconds) / (size / fts_build),
                notes=f"{size:,} docs; add in batches of {BATCH:,} + one commit",
                data={"docs": size, "seconds": seconds, "fts5_seconds": fts_build, "mb": engine_mb},
            )
        )
        for kind in KINDS:
            notes = (
                f"median hits {statistics.median(ours.totals[kind]):,.0f} vs "
                f"{statistics.median(base.totals[kind]):,.0f}; n={ours.latency[kind].n}"
            )
            bench.rows.append(
                latency_row(SECTION, f"{name}: {KIND_TITLES[kind]}", ours.latency[kind], f"{name}{at}",
                            base.latency[kind], f"FTS5{at}", notes)  # fmt: skip
            )
        del engine
        shutil.rmtree(path, ignore_errors=True)
    bench.info.setdefault("fts5", {})[str(size)] = {"build_seconds": fts_build, "mb": fts_mb}
