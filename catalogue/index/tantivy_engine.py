"""The default engine: Tantivy (Rust) through its Python bindings.

Layout of a document (see `analysis` for the analysers):

* `uri`, `version`: raw keywords, stored; `payload`: stored JSON (titles,
  texts, facets) used for hits, snippets and "more like this". Nothing else
  is stored: every hit reads its whole stored document.
* `title_<k>`, `text_<k>`, `all`: analysed text, not stored; `labels`: the
  concept labels again, alone, so that "did you mean" can list their words
  from the term dictionary (`_Generation.label_words`).
* one raw field per facet (filters, "related"), and per facet one to three
  single-valued fast columns that the terms aggregations count (see `_SLOTS`).
* `sort_title` (raw fast text) and `date_key` (i64 fast) for sorting, and
  `title_key` (u64 fast: the sort title's first 8 bytes) to find a page of
  a title order cheaply at any offset (`_top_by_title`).

Searches share one read-only searcher per index generation (`_Generation`,
replaced when meta.json changes), so concurrent searches from a thread pool
are safe; writes go through one lazily created `IndexWriter` that is released
after each commit (so another process can write later).
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Any, NamedTuple

import tantivy

from catalogue.index import analysis as an
from catalogue.index import highlight
from catalogue.index.base import FACETS, Hit, IndexDoc, Query, QuerySyntaxError, Result, SearchEngine

_PLAIN = "gp_plain"
# Exact counts need every bucket: 65,000 is tantivy's default bucket limit,
# far above the distinct values of any facet we have.
_FACET_BUCKETS = 65_000
# Facet counting reads one-value-per-document columns ("slots"): tantivy
# counts a column where every document has exactly one value several times
# faster than a multi-valued or sparse one. A facet's values go one per slot
# (sorted), the last slot holding all the remaining ones together; each slot
# value is a JSON list, `[]` when the document has no value there. Facets that
# usually hold several values get more slots (each costs indexing time);
# unusual documents only make the last slot's values more varied.
_SLOTS: Mapping[str, int] = {facet: {"theme": 3, "type": 2, "country": 2}.get(facet, 1) for facet in FACETS}
_NO_VALUE = "[]"
_SUGGEST_DOCS = 20  # docs scanned for the words a fuzzy term query matched
_MAX_TIERS = 8  # themes and types of a document beyond which "more like this" takes the plain query
# The writer's memory budget, reached only while that much is indexed before
# a commit, and one indexing thread: each thread writes a segment of its own
# at a commit or whenever its share of the budget fills, and a search walks
# each segment apart, counting facets in each. 100,000 practices end in one
# segment (tantivy's defaults, 128 MB over one thread per core, left 6); with
# the counting the longer path of a search, faceted and filtered searches are
# ~6 % faster on one segment than on two, and one thread built the 100,000
# in 36.6 s against 34-40 s with two (23 November). Later commits add small
# segments, which tantivy's merge policy merges.
_WRITER_MEMORY = 1_000_000_000
_WRITER_THREADS = 1

Occur = tantivy.Occur
_MISSING = object()


def _analyzer(stemmer: str | None) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(an.MAX_TOKEN_CHARS))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )
    if stemmer:
        builder = builder.filter(tantivy.Filter.stemmer(stemmer))
    return builder.build()


def _tokenizer_name(key: str) -> str:
    return f"gp_{key}" if key in an.STEMMERS else _PLAIN


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    analyzers = {_PLAIN: _analyzer(None)}
    for key, stemmer in an.STEMMERS.items():
        analyzers[_tokenizer_name(key)] = _analyzer(stemmer)
    return analyzers


_SLOT_FIELDS: Mapping[str, tuple[str, ...]] = {
    facet: tuple(f"facet_{facet}_{slot}" for slot in range(_SLOTS[facet])) for facet in FACETS
}


def _slot_fields(facet: str) -> tuple[str, ...]:
    return _SLOT_FIELDS[facet]


@lru_cache(maxsize=65_536)
def _facet_terms(facet: str, given: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(field, text) of what a document with these values of `facet` indexes:
    the values in the facet's field, and its slot columns. Cached: the same
    few values come back in almost every document."""
    values = [an.safe_text(v) for v in given]
    slots = zip(_slot_fields(facet), _slot_values(facet, values), strict=True)
    return tuple((facet, value) for value in values) + tuple(slots)


def _slot_values(facet: str, values: Iterable[str]) -> list[str]:
    """A facet's values as its slots' values (see `_SLOTS`)."""
    ordered = tuple(sorted(values))
    last = _SLOTS[facet] - 1
    return [_slot_encode(ordered[i : i + 1]) for i in range(last)] + [_slot_encode(ordered[last:])]


def _slot_encode(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))


def _slot_decode(encoded: str) -> tuple[str, ...]:
    return tuple(json.loads(encoded))


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("uri", stored=True, tokenizer_name="raw")
    builder.add_text_field("version", stored=True, tokenizer_name="raw")
    builder.add_bytes_field("payload", stored=True, indexed=False)
    builder.add_text_field("labels", tokenizer_name=_PLAIN, index_option="basic")
    for key in an.FIELD_KEYS:
        builder.add_text_field(an.title_field(key), tokenizer_name=_tokenizer_name(key))
        builder.add_text_field(an.text_field(key), tokenizer_name=_tokenizer_name(key))
    builder.add_text_field(an.ALL_FIELD, tokenizer_name=_PLAIN)
    for facet in FACETS:
        builder.add_text_field(facet, tokenizer_name="raw")  # filters and "related"
        for column in _slot_fields(facet):
            builder.add_text_field(column, tokenizer_name="raw", fast=True, index_option="basic")
    builder.add_text_field("sort_title", tokenizer_name="raw", fast=True)
    builder.add_unsigned_field("title_key", fast=True)
    builder.add_integer_field("date_key", fast=True)
    return builder.build()


class TantivyEngine(SearchEngine):
    name = "tantivy"

    def __init__(self, path: Path) -> None:
        super().__init__(Path(path))
        self.path.mkdir(parents=True, exist_ok=True)
        self._meta_path = os.path.join(self.path, "meta.json")
        self._schema = _schema()
        self._index = self._open_index()
        # No background meta.json watcher: its reload takes a lock file inside
        # the directory at any moment (racing a removal of the directory).
        # `_searcher` reloads when meta.json changed instead, one stat per search.
        self._index.config_reader(reload_policy="Manual")
        self._current = self._load_generation()
        self._analyzers = _analyzers()
        for tokenizer, analyzer in self._analyzers.items():
            self._index.register_tokenizer(tokenizer, analyzer)
        self._fields = an.search_fields()
        # Fields whose vocabulary tells whether a word is known ("did you
        # mean"): `all` holds every word unstemmed, stemmed fields the stems.
        self._vocab_fields = [(an.ALL_FIELD, self._analyzers[_PLAIN].analyze)] + [
            (field(key), self._analyzers[_tokenizer_name(key)].analyze)
            for key in an.STEMMERS
            for field in (an.title_field, an.text_field)
        ]
        self._writer: tantivy.IndexWriter | None = None
        self._write_lock = threading.Lock()

    def _open_index(self) -> tantivy.Index:
        try:
            return tantivy.Index(self._schema, path=str(self.path), reuse=True)
        except ValueError as exc:
            if "schema does not match" not in str(exc):
                raise
        # The index is derived data: an index of an older layout is rebuilt
        # empty, and `catalogue check` / `reindex` refill it.
        return tantivy.Index(self._schema, path=str(self.path), reuse=False)

    # --- writing -----------------------------------------------------------

    def _get_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self._index.writer(heap_size=_WRITER_MEMORY, num_threads=_WRITER_THREADS)
        return self._writer

    def add(self, docs: Iterable[IndexDoc]) -> None:
        with self._write_lock:
            writer = self._get_writer()
            for doc in docs:
                # A delete applies to every earlier add, even uncommitted ones.
                writer.delete_documents_by_term("uri", doc.uri)
                writer.add_document(self._document(doc))

    def _document(self, doc: IndexDoc) -> tantivy.Document:
        out = tantivy.Document()
        out.add_text("uri", doc.uri)
        out.add_text("version", doc.version)
        out.add_bytes("payload", an.payload(doc).encode("utf-8"))
        if doc.labels:
            out.add_text("labels", an.safe_text(doc.labels))
        texts = an.field_texts(doc)
        for key, values in texts.titles.items():
            for value in values:
                out.add_text(an.title_field(key), value)
        for key, values in texts.texts.items():
            for value in values:
                out.add_text(an.text_field(key), value)
        for value in texts.everything:
            out.add_text(an.ALL_FIELD, value)
        for facet in FACETS:
            for field, value in _facet_terms(facet, tuple(an.facet_values(doc, facet))):
                out.add_text(field, value)
        title = an.safe_text(an.sort_title(doc))
        out.add_text("sort_title", title)
        out.add_unsigned("title_key", _title_key(title))
        out.add_integer("date_key", an.date_key(doc.date))
        return out

    def delete(self, uris: Iterable[str]) -> None:
        with self._write_lock:
            writer = self._get_writer()
            for uri in uris:
                writer.delete_documents_by_term("uri", uri)

    def commit(self) -> None:
        with self._write_lock:
            if self._writer is not None:
                self._writer.commit()
                # Finish merges and drop the writer: it holds the directory
                # lock, which another engine object or process may need.
                self._writer.wait_merging_threads()
                self._writer = None
            self._current = self._load_generation()

    def clear(self) -> None:
        with self._write_lock:
            self._get_writer().delete_all_documents()
        self.commit()

    def close(self) -> None:
        with self._write_lock:
            self._writer = None  # uncommitted writes are dropped with it

    # --- reading -----------------------------------------------------------

    def _read_meta_stamp(self) -> tuple[int, int, int]:
        # tantivy replaces meta.json atomically (new file, rename), so the
        # inode changes on every commit even within one mtime tick.
        try:
            stat = os.stat(self._meta_path)  # once a search: a str path, ~3 against ~11 µs
        except FileNotFoundError:
            return (0, 0, 0)
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _searcher(self) -> tantivy.Searcher:
        """The current searcher, reloaded when another writer committed."""
        return self._snapshot()[0]

    def _snapshot(self) -> tuple[tantivy.Searcher, _Generation]:
        """The current searcher and what searches of its generation may reuse."""
        current = self._current
        if self._read_meta_stamp() != current.stamp:
            current = self._current = self._load_generation()
        return current.searcher, current

    def _load_generation(self) -> _Generation:
        # The stamp is read first: a commit landing in between only costs one
        # more reload, and the searcher is never older than its stamp.
        stamp = self._read_meta_stamp()
        self._index.reload()
        return _Generation(stamp, self._index.searcher())

    def versions(self) -> dict[str, str]:
        searcher = self._searcher()
        if searcher.num_docs == 0:
            return {}
        hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs, count=False).hits
        out = {}
        for _, address in hits:
            doc = searcher.doc(address)
            out[doc.get_first("uri")] = doc.get_first("version")
        return out

    def count(self) -> int:
        return self._searcher().num_docs

    def search(self, query: Query) -> Result:
        searcher, generation = self._snapshot()
        text = an.clean_query(query.text)
        text_query = self._text_query(text, self._present_fields(searcher, generation))
        filters = self._filter_queries(query.filters)
        groups = an.facet_groups(query.facets, filters)
        most = not filters and text_query is not None and self._matches_most(searcher, generation, text)
        combined = self._combine(text_query, [f.query for f in filters.values()])
        # Counting runs inside tantivy, which lets go of the GIL: it overlaps
        # finding the top hits and making their snippets here. When it walks
        # the query's own matches (a text query with unfiltered facets), it
        # also gives the total, so the top hits need not count them again.
        counting = _pool().submit(self._facet_counts, searcher, generation, text_query, filters, groups, most)
        counted = text_query is not None and None in groups
        try:
            total, top = self._top(searcher, combined, query, count=not counted)
            hits = self._render(searcher, generation, top, text_query, text, query)
            suggestion = self._suggest(searcher, generation, text) if text else None
        finally:
            facets, matched = counting.result()
        if counted:
            total = matched if matched is not None else searcher.search(combined, 1, count=True).count
        return Result(total=total, hits=hits, facets=facets, suggestion=suggestion)

    def _matches_most(self, searcher: tantivy.Searcher, generation: _Generation, text: str) -> bool:
        """Whether `text` surely matches most documents, from its words' document
        frequencies alone, so that counting can start before the search.

        A lower bound: each word matches at least as many documents as its
        most frequent field holds, and all k words at least the sum of those
        less (k - 1) times the documents. Text with any syntax is not
        estimated (False: counting the matches directly is always exact; the
        complement is only faster when most documents match)."""
        words = _plain_words(text)
        if not words:
            return False
        docs = searcher.num_docs
        bound = -(len(words) - 1) * docs
        for word in words:
            bound += generation.remember(("most", word), lambda w=word: self._most_docs(searcher, generation, w))
        return bound * 2 > docs

    def _most_docs(self, searcher: tantivy.Searcher, generation: _Generation, word: str) -> int:
        """The most documents one field holds `word` in (as a single term)."""
        present = self._present_fields(searcher, generation)
        best = 0
        for field, analyze in self._vocab_fields:
            terms = analyze(word) if field in present else []
            if len(terms) == 1:
                best = max(best, generation.doc_freq(searcher, field, terms[0]))
        return best

    def _present_fields(self, searcher: tantivy.Searcher, generation: _Generation) -> dict[str, float]:
        """The search fields (with boosts) that hold any term in this generation.

        A word becomes one clause per field; the ~40 language fields no
        document uses match nothing and score nothing, but each still costs
        its clause, so leaving them out changes no hit and no score.
        """
        if generation.fields is None:
            present = {
                name: boost
                for name, boost in self._fields.items()
                if name == an.ALL_FIELD or searcher.terms_with_prefix(name, "", limit=1)
            }
            generation.fields = present
        return generation.fields

    def _text_query(self, text: str, fields: Mapping[str, float]) -> tantivy.Query | None:
        """The parsed text query, or None for "every document"."""
        if not text:
            return None
        if not an.has_words(text):
            return tantivy.Query.empty_query()
        try:
            parsed, _errors = self._index.parse_query_lenient(
                text,
                default_field_names=list(fields),
                field_boosts=dict(fields),
                conjunction_by_default=True,
            )
        except ValueError as exc:  # lenient parsing should not fail; say so if it does
            raise QuerySyntaxError(f"could not understand the query: {exc}") from exc
        return parsed

    def _filter_queries(self, filters: Mapping[str, tuple[str, ...]]) -> dict[str, _Filter]:
        out = {}
        for facet, values in filters.items():
            an.check_facet(facet)
            wanted = tuple(dict.fromkeys(an.safe_text(v) for v in values if v))
            if wanted:
                out[facet] = _Filter(wanted, tantivy.Query.term_set_query(self._schema, facet, list(wanted)))
        return out

    @staticmethod
    def _combine(text_query: tantivy.Query | None, restrictions: Iterable[tantivy.Query]) -> tantivy.Query:
        # Filters restrict without scoring, so relevance comes from the text only.
        clauses = [(Occur.Must, tantivy.Query.const_score_query(r, 0.0)) for r in restrictions]
        if not clauses:
            return text_query if text_query is not None else tantivy.Query.all_query()
        if text_query is not None:
            clauses.insert(0, (Occur.Must, text_query))
        return tantivy.Query.boolean_query(clauses)

    def _top(
        self, searcher: tantivy.Searcher, combined: tantivy.Query, query: Query, count: bool = True
    ) -> tuple[int | None, list[tuple[float, tantivy.DocAddress]]]:
        """The total (None unless `count`) and the page's (score, address) pairs."""
        # Clamp paging: tantivy panics on limit 0 and needs no offset beyond its docs.
        offset = min(max(query.offset, 0), searcher.num_docs)
        limit = max(query.limit, 0)
        if query.sort == "title":
            return self._top_by_title(searcher, combined, offset, limit, count)
        options: dict[str, Any] = {}
        if query.sort == "newest":
            options = {"order_by_field": "date_key", "order": tantivy.Order.Desc}
        result = searcher.search(combined, max(limit, 1), count=count, offset=offset, **options)
        return result.count, result.hits[:limit]

    def _top_by_title(
        self, searcher: tantivy.Searcher, combined: tantivy.Query, offset: int, limit: int, count: bool
    ) -> tuple[int | None, list[tuple[Any, tantivy.DocAddress]]]:
        """A page of the title order, at a cost that does not grow with its offset.

        Ordering by the text column itself turns every candidate's term
        ordinal into its text in each segment: ~1 s for the last page of a
        33,000-practice listing at 100,000. So the page is found by
        `title_key` (a number, ordered as the titles are but for ties: a few
        ms at any offset), and the titles order only the documents whose key
        lies in that page's range; those before it are counted. The answer is
        the text order's, ties between equal titles included."""
        by_key = searcher.search(
            combined, max(limit, 1), count=count, offset=offset, order_by_field="title_key", order=tantivy.Order.Asc
        )
        hits = by_key.hits[:limit]
        if not hits:
            return by_key.count, []
        keys = [int(key) for key, _ in hits]  # ascending: the page's key range
        low, high = keys[0], keys[-1]
        below = 0
        if low > 0:
            before = self._title_keys(0, low, include_upper=False)
            below = searcher.search(self._combine(combined, [before]), 1, count=True).count
        within = self._combine(combined, [self._title_keys(low, high)])
        page = searcher.search(
            within, max(limit, 1), count=False, offset=offset - below, order_by_field="sort_title", order=tantivy.Order.Asc
        )
        return by_key.count, page.hits[:limit]

    def _title_keys(self, low: int, high: int, include_upper: bool = True) -> tantivy.Query:
        return tantivy.Query.range_query(
            self._schema, "title_key", tantivy.FieldType.Unsigned, low, high, include_lower=True, include_upper=include_upper
        )

    def _render(
        self,
        searcher: tantivy.Searcher,
        generation: _Generation,
        top: list[tuple[float, tantivy.DocAddress]],
        text_query: tantivy.Query | None,
        text: str,
        query: Query,
    ) -> list[Hit]:
        snippets = _Snippets(self, searcher, generation, text_query, text)
        hits = []
        for score, address in top:
            doc = searcher.doc(address)
            stored = an.read_payload(doc.get_first("payload"))
            shown = float(score) if query.sort == "relevance" else 0.0
            snippet_of = an.snippet(stored["text"], query.lang, snippets.mark)
            hits.append(an.stored_hit(doc.get_first("uri"), shown, stored, query.lang, snippet_of))
        return hits

    def _facet_counts(
        self,
        searcher: tantivy.Searcher,
        generation: _Generation,
        text_query: tantivy.Query | None,
        filters: Mapping[str, _Filter],
        groups: Mapping[str | None, list[str]],
        most: bool,
    ) -> tuple[dict[str, list[tuple[str, int]]], int | None]:
        """The counts, and the documents the search matches when a text query
        was counted with all the filters (else None)."""
        # One aggregation per group of `an.facet_groups` (the multi-select rule).
        counts: dict[str, list[tuple[str, int]]] = {}
        matched = None
        for excluded, names in groups.items():
            others = {name: f for name, f in filters.items() if name != excluded}
            if text_query is None:
                found = self._filter_only_counts(searcher, generation, others, names)
            elif most:
                # Most documents match (a common word): count the few that do
                # not, and take them from the counts over every document.
                found, missing = self._counts_by_complement(searcher, generation, text_query, names)
                matched = None if missing is None else searcher.num_docs - missing
            else:
                query = self._combine(text_query, [f.query for f in others.values()])
                found, docs = self._aggregate(searcher, generation, query, names)
                if excluded is None:
                    matched = docs
            counts.update((name, list(found[name])) for name in names)  # copies: cached lists stay intact
        return counts, matched

    def _slots(self, searcher: tantivy.Searcher, generation: _Generation) -> dict[str, list[str]]:
        """Facet -> its slot columns that hold any value in this generation
        (most facets have one value per document: their other slots are skipped)."""
        if generation.slots is None:
            every = [column for facet in FACETS for column in _slot_fields(facet)]
            found = _terms_buckets(searcher, tantivy.Query.all_query(), every)
            generation.slots = {
                facet: [
                    name
                    for name in _slot_fields(facet)
                    if any(bucket["key"] != _NO_VALUE for bucket in found[name])
                ]
                for facet in FACETS
            }
        return generation.slots

    def _aggregate(
        self, searcher: tantivy.Searcher, generation: _Generation, query: tantivy.Query, names: list[str]
    ) -> tuple[dict[str, list[tuple[str, int]]], int | None]:
        """The facets' counts over the query's documents, in one aggregation
        request, and how many documents that is (None when no column was read)."""
        slots = self._slots(searcher, generation)
        columns = [column for name in names for column in slots[name]]
        found = _terms_buckets(searcher, query, columns)
        # Every document holds exactly one value in each slot column.
        docs = sum(bucket["doc_count"] for bucket in found[columns[0]]) if columns else None
        decoded = generation.slot_keys  # ~400 buckets a search: a dict lookup each, not a decoding
        out = {}
        for name in names:
            tally: dict[str, int] = {}
            get = tally.get
            for column in slots[name]:
                for bucket in found[column]:
                    key = bucket["key"]
                    values = decoded.get(key)
                    if values is None:
                        values = decoded[key] = _slot_decode(key)
                    count = bucket["doc_count"]
                    for value in values:
                        tally[value] = get(value, 0) + count
            out[name] = an.sorted_counts(tally.items())
        return out, docs

    def _filter_only_counts(
        self,
        searcher: tantivy.Searcher,
        generation: _Generation,
        filters: Mapping[str, _Filter],
        names: list[str],
    ) -> dict[str, list[tuple[str, int]]]:
        """Counts of a search without text (browsing, facet pages): the same in
        every search of one index generation, so they are kept for it."""
        key = (tuple(names), tuple((name, filters[name].values) for name in sorted(filters)))
        found = generation.counts_get(key)
        if found is None:
            found = self._aggregate(searcher, generation, self._combine(None, [f.query for f in filters.values()]), names)[0]
            generation.counts_put(key, found)
        return found

    def _counts_by_complement(
        self, searcher: tantivy.Searcher, generation: _Generation, text_query: tantivy.Query, names: list[str]
    ) -> tuple[dict[str, list[tuple[str, int]]], int | None]:
        """The counts over every document less those over the ones the text
        does not match, and how many those are (None when no column was read)."""
        everything = self._filter_only_counts(searcher, generation, {}, names)
        rest = tantivy.Query.boolean_query([(Occur.Must, tantivy.Query.all_query()), (Occur.MustNot, text_query)])
        missing, unmatched = self._aggregate(searcher, generation, rest, names)
        out = {}
        for name in names:
            minus = dict(missing[name])
            out[name] = an.sorted_counts((value, n - minus.get(value, 0)) for value, n in everything[name])
        return out, unmatched

    # --- "did you mean" ----------------------------------------------------

    def _suggest(self, searcher: tantivy.Searcher, generation: _Generation, text: str) -> str | None:
        plain = self._analyzers[_PLAIN]

        def has_term(field: str, term: str) -> bool:
            return generation.doc_freq(searcher, field, term) > 0

        def known(word: str) -> bool:
            return generation.remember(("known", word), lambda: an.is_known(word, self._vocab_fields, has_term))

        def candidates(token: str) -> list[tuple[str, int]]:
            # A fuzzy term query finds the documents holding a near word over
            # the whole vocabulary; the words themselves come from their text,
            # or from the concept labels' words, which are few enough to scan.
            for distance in range(1, an.max_edits(token) + 1):
                fuzzy = tantivy.Query.fuzzy_term_query(
                    self._schema, an.ALL_FIELD, token, distance=distance, transposition_cost_one=True
                )
                seen: set[str] = set()
                for _, address in searcher.search(fuzzy, _SUGGEST_DOCS, count=False).hits:
                    stored = an.read_payload(searcher.doc(address).get_first("payload"))
                    seen.update(plain.analyze(" ".join([*stored["title"].values(), *stored["text"].values()])))
                seen.update(generation.label_words(searcher, len(token) - distance, len(token) + distance))
                near = [w for w in seen if an.edit_distance(token, w, distance) <= distance]
                if near:
                    return [(w, generation.doc_freq(searcher, an.ALL_FIELD, w)) for w in near]
            return []

        return an.suggest_query(text, plain.analyze, known, candidates)

    # --- related -----------------------------------------------------------

    def more_like_this(self, uri: str, limit: int = 5, lang: str = "en") -> list[Hit]:
        return self.more_like_these([uri], limit, lang)[uri]

    def more_like_these(self, uris: Sequence[str], limit: int = 5, lang: str = "en") -> dict[str, list[Hit]]:
        """`more_like_this` of each uri, worked out in steps over all of them
        (the documents, their queries, the candidates, the hits): each
        step's code and data stay in the CPU's caches from one to the next."""
        searcher, generation = self._snapshot()
        out: dict[str, list[Hit]] = {uri: [] for uri in uris}
        if limit <= 0:
            return out
        found = []
        for uri in out:
            own = self._own(uri)
            hits = searcher.search(own, 1, count=False).hits
            if hits:
                found.append((uri, own, an.read_payload(searcher.doc(hits[0][1]).get_first("payload"))))
        queries = []
        for uri, own, stored in found:
            tiers = self._related_tiers(stored)
            words = self._similar_text_query(searcher, generation, stored)
            if tiers or words is not None:
                queries.append((uri, own, tiers, words))
        pools = []
        for uri, own, tiers, words in queries:
            pool = self._related_pool(searcher, tiers, words, own, limit) if words is not None else None
            if pool is None:  # the plain query over every document
                clauses = [(Occur.Should, _tier_query(term, weight)) for term, weight in tiers]
                if words is not None:
                    clauses.append((Occur.Should, words))
                clauses.append((Occur.MustNot, own))
                query = tantivy.Query.boolean_query(clauses)
                pool = searcher.search(query, limit + an.RELATED_SPARE, count=False).hits
            pools.append((uri, pool))
        for uri, pool in pools:
            out[uri] = self._related_hits(searcher, pool, limit, lang)
        return out

    def _own(self, uri: str) -> tantivy.Query:
        """The query for the document `uri`."""
        return tantivy.Query.term_query(self._schema, "uri", uri)

    def _related_pool(
        self,
        searcher: tantivy.Searcher,
        tiers: list[tuple[tantivy.Query, float]],
        words: tantivy.Query,
        own: tantivy.Query,
        limit: int,
    ) -> list[tuple[float, tantivy.DocAddress]] | None:
        """The candidates the plain query would give, found in two cheap steps,
        or None when these do not apply.

        Scoring every document of a tier is what makes the plain query slow
        (each theme or type is shared by a large part of the catalogue). So:
        first the documents sharing a distinctive word (short postings; the
        tiers only add to their scores); then, only if some document sharing
        no word could score as much as the `limit`-th of those, the documents
        sharing enough tiers to reach that score (intersections of tiers).
        """
        spare = limit + an.RELATED_SPARE
        sharing = [(Occur.Must, _with_tiers(words, tiers)), (Occur.MustNot, own)]
        pool = searcher.search(tantivy.Query.boolean_query(sharing), spare, count=False).hits
        if len(pool) < limit:
            return None
        floor = pool[limit - 1][0]
        groups = _tier_groups([weight for _, weight in tiers], floor)
        if groups is None:
            return None
        if not groups:  # no document without a shared word can reach the floor
            return pool
        shares = [tantivy.Query.boolean_query([(Occur.Must, tiers[i][0]) for i in group]) for group in groups]
        enough = tantivy.Query.boolean_query([(Occur.Should, share) for share in shares])
        rest = [(Occur.Must, _with_tiers(tantivy.Query.const_score_query(enough, 0.0), tiers))]
        rest += [(Occur.MustNot, words), (Occur.MustNot, own)]
        return pool + searcher.search(tantivy.Query.boolean_query(rest), spare, count=False).hits

    def _related_hits(
        self, searcher: tantivy.Searcher, pool: list[tuple[float, tantivy.DocAddress]], limit: int, lang: str
    ) -> list[Hit]:
        # Equal scores are common (the theme tiers): order them by uri, not by
        # where the documents happen to sit in the index, so every build and
        # process answers the same. A few spare candidates cover the ties;
        # only those scoring at least the `limit`-th can be in the answer.
        if len(pool) > limit:
            floor = sorted((score for score, _ in pool), reverse=True)[limit - 1]
            pool = [(score, address) for score, address in pool if score >= floor]
        candidates = [(float(score), searcher.doc(address)) for score, address in pool]
        candidates.sort(key=lambda c: (-c[0], c[1].get_first("uri")))
        hits = []
        for score, doc in candidates[:limit]:
            other = an.read_payload(doc.get_first("payload"))
            hits.append(an.stored_hit(doc.get_first("uri"), score, other, lang, an.snippet(other["text"], lang, None)))
        return hits

    def _related_tiers(self, stored: dict) -> list[tuple[tantivy.Query, float]]:
        """Shared themes and types, as (term query, constant score) tiers."""
        return [
            (tantivy.Query.term_query(self._schema, facet, value), weight)
            for facet, weight in an.RELATED_WEIGHTS.items()
            for value in stored["facets"].get(facet, [])
        ]

    def _similar_text_query(
        self, searcher: tantivy.Searcher, generation: _Generation, stored: dict
    ) -> tantivy.Query | None:
        """The document's most distinctive words, weighed tf × idf as tantivy's
        more-like-this does, but chosen in a fixed order: tantivy's own query
        breaks ties between equally weighted words by hash order, which
        changes from one process to the next. Words in a large share of the
        catalogue are left out (`an.related_max_docs`): they say little about
        the document and their long postings cost most of the query."""
        docs = max(searcher.num_docs, 1)
        most = an.related_max_docs(docs)
        scored: list[tuple[float, str, str]] = []
        for (field, key), text in _related_texts(stored).items():
            freqs = Counter(self._analyzers[_tokenizer_name(key)].analyze(text))
            for term, freq in freqs.items():
                if len(term) < 3 and len(term.encode("utf-8")) < 3:
                    continue
                found = generation.doc_freq(searcher, field, term)
                if 0 < found <= most:
                    idf = math.log(1 + (docs - found + 0.5) / (found + 0.5))
                    scored.append((freq * idf, field, term))
        scored.sort(key=lambda s: (-s[0], s[1], s[2]))
        chosen = scored[: an.RELATED_TERMS]
        if not chosen or chosen[0][0] <= 0:
            return None
        best = chosen[0][0]
        clauses = []
        for score, field, term in chosen:
            term_query = tantivy.Query.term_query(self._schema, field, term)
            clauses.append((Occur.Should, tantivy.Query.boost_query(term_query, score / best)))
        return tantivy.Query.boolean_query(clauses)


def _plain_words(text: str) -> list[str] | None:
    """The words of a query of plain words only, else None (quotes, +/-,
    AND/OR/NOT or other syntax: only tantivy's parser knows what it means)."""
    words = text.split()
    return words if all(w.isalnum() and w not in ("AND", "OR", "NOT") for w in words) else None


def _title_key(title: str) -> int:
    """The title's first 8 UTF-8 bytes as a big-endian number: titles in
    tantivy's (byte) order have keys in the same order, equal or not."""
    return int.from_bytes(title.encode("utf-8")[:8].ljust(8, b"\0"), "big")


def _tier_query(term: tantivy.Query, weight: float) -> tantivy.Query:
    return tantivy.Query.const_score_query(term, weight)


def _with_tiers(query: tantivy.Query, tiers: list[tuple[tantivy.Query, float]]) -> tantivy.Query:
    """`query`'s documents, each tier it shares adding its weight to the score.

    One optional tier per level of nesting: several optional clauses of one
    boolean query become one union, and moving a union of long postings to
    each matching document costs about as much as walking all of them."""
    for term, weight in tiers:
        query = tantivy.Query.boolean_query([(Occur.Must, query), (Occur.Should, _tier_query(term, weight))])
    return query


def _tier_groups(weights: list[float], floor: float) -> list[tuple[int, ...]] | None:
    """The smallest sets of tiers (by index) whose weights reach `floor`: a
    document sharing no word reaches it only by sharing one of these sets.
    None when there are too many tiers to enumerate."""
    if len(weights) > _MAX_TIERS:
        return None
    groups: list[tuple[int, ...]] = []
    for size in range(len(weights) + 1):
        for group in combinations(range(len(weights)), size):
            if sum(weights[i] for i in group) >= floor and not any(set(g) <= set(group) for g in groups):
                groups.append(group)
    if () in groups:  # the floor is 0 (cannot happen with positive scores): everything qualifies
        return None
    return groups


def _related_texts(stored: dict) -> dict[tuple[str, str], str]:
    """(field, field key) -> the document's titles or texts in that field, joined."""
    fields: dict[tuple[str, str], list[str]] = {}
    for kind, name in (("title", an.title_field), ("text", an.text_field)):
        for lang, value in stored[kind].items():
            if value:
                key = an.field_key(lang)
                fields.setdefault((name(key), key), []).append(value)
    return {where: "\n".join(values) for where, values in fields.items()}


_POOLS: dict[int, ThreadPoolExecutor] = {}


def _pool() -> ThreadPoolExecutor:
    """This process's pool for facet counting (a forked child gets its own:
    the parent's threads do not exist there)."""
    pid = os.getpid()
    if pid not in _POOLS:
        _POOLS.clear()
        _POOLS[pid] = ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 2), thread_name_prefix="tantivy-facets")
    return _POOLS[pid]


def _terms_buckets(searcher: tantivy.Searcher, query: tantivy.Query, columns: list[str]) -> dict[str, list[dict]]:
    """The buckets ({"key", "doc_count"}) of every value of each column over the query's documents."""
    if not columns:
        return {}
    aggs = {column: {"terms": {"field": column, "size": _FACET_BUCKETS}} for column in columns}
    result = searcher.aggregate(query, aggs)
    return {column: result.get(column, {}).get("buckets", []) for column in columns}


class _Filter(NamedTuple):
    values: tuple[str, ...]  # the wanted values (OR), as given
    query: tantivy.Query


class _Generation:
    """One index generation (one commit): its searcher and what its searches can share."""

    _MAX_COUNTS = 256  # cached no-text facet counts per generation
    _MAX_DOC_FREQS = 100_000  # remembered (field, term) document frequencies (~15 MB at most)
    _MAX_WORDS = 50_000  # remembered facts about query words

    def __init__(self, stamp: tuple[int, int, int], searcher: tantivy.Searcher) -> None:
        self.stamp = stamp
        self.searcher = searcher  # shared by the generation's searches: a read-only snapshot
        self.fields: dict[str, float] | None = None
        self.slots: dict[str, list[str]] | None = None
        self.slot_keys: dict[str, tuple[str, ...]] = {}  # a slot column's value -> the facet values it holds
        self._counts: OrderedDict[tuple, dict[str, list[tuple[str, int]]]] = OrderedDict()
        self._lock = threading.Lock()
        self._doc_freqs: dict[tuple[str, str], int] = {}
        self._words: dict[tuple[str, str], Any] = {}
        self._label_words: dict[int, list[str]] | None = None

    def label_words(self, searcher: tantivy.Searcher, shortest: int, longest: int) -> list[str]:
        """The words of the indexed concept labels of `shortest` to `longest` characters."""
        if self._label_words is None:
            by_length: dict[int, list[str]] = {}
            for word, _docs in searcher.terms_with_prefix("labels", ""):
                by_length.setdefault(len(word), []).append(word)
            self._label_words = by_length
        return [w for n in range(shortest, longest + 1) for w in self._label_words.get(n, ())]

    def doc_freq(self, searcher: tantivy.Searcher, field: str, term: str) -> int:
        """The term's document frequency, remembered for the generation: "more
        like this" asks for every word of a page, and pages share most words."""
        return _memo(self._doc_freqs, self._MAX_DOC_FREQS, (field, term), lambda: searcher.doc_freq(field, term))

    def remember(self, key: tuple[str, str], compute: Callable[[], Any]) -> Any:
        """A fact about a query word in this generation (from its terms'
        document frequencies, which a commit changes), computed once."""
        return _memo(self._words, self._MAX_WORDS, key, compute)

    def counts_get(self, key: tuple) -> dict[str, list[tuple[str, int]]] | None:
        with self._lock:
            found = self._counts.get(key)
            if found is not None:
                self._counts.move_to_end(key)
            return found

    def counts_put(self, key: tuple, counts: dict[str, list[tuple[str, int]]]) -> None:
        with self._lock:
            self._counts[key] = counts
            while len(self._counts) > self._MAX_COUNTS:
                self._counts.popitem(last=False)


def _memo(cache: dict, limit: int, key: Any, compute: Callable[[], Any]) -> Any:
    """`cache[key]`, computed once; the cache starts again when it holds
    `limit` entries (a crude bound: refilling is cheap)."""
    found = cache.get(key, _MISSING)
    if found is _MISSING:
        if len(cache) >= limit:
            cache.clear()
        found = cache[key] = compute()
    return found


class _Snippets:
    """Per-search snippets, one highlighter per language field, made on demand.

    A query of plain words is highlighted by `highlight.Highlighter` (tantivy's
    fragment and marks, ~2x cheaper); a query with any syntax (quotes,
    +/-, AND/OR/NOT), or a text `highlight` cannot split as tantivy does, by
    tantivy's own `SnippetGenerator`."""

    def __init__(
        self,
        engine: TantivyEngine,
        searcher: tantivy.Searcher,
        generation: _Generation,
        query: tantivy.Query | None,
        text: str,
    ) -> None:
        self._engine = engine
        self._searcher = searcher
        self._generation = generation
        self._query = query
        self._words = _plain_words(text)
        self._generators: dict[str, tantivy.SnippetGenerator] = {}
        self._highlighters: dict[str, highlight.Highlighter] = {}
        # No text query, nothing to mark: every snippet is an excerpt.
        self.mark = self._mark if query is not None else None

    def _generator(self, field: str) -> tantivy.SnippetGenerator:
        if field not in self._generators:
            generator = tantivy.SnippetGenerator.create(self._searcher, self._query, self._engine._schema, field)
            generator.set_max_num_chars(an.SNIPPET_CHARS)
            self._generators[field] = generator
        return self._generators[field]

    def _highlighter(self, key: str, field: str, words: list[str]) -> highlight.Highlighter:
        if field not in self._highlighters:
            name = _tokenizer_name(key)
            analyze = self._engine._analyzers[name].analyze
            # The field's query terms, as tantivy's generator takes them: the
            # analysed words that some document of the field holds.
            terms = {}
            for word in words:
                for term in analyze(word):
                    doc_freq = self._generation.doc_freq(self._searcher, field, term)
                    if doc_freq > 0:
                        terms[term] = highlight.term_score(doc_freq)
            vocabulary = highlight.vocabulary(name, analyze)
            self._highlighters[field] = highlight.Highlighter(vocabulary, terms, an.SNIPPET_CHARS)
        return self._highlighters[field]

    def _mark(self, tag: str, text: str) -> str | None:
        """The marked fragment of `text` (language `tag`), None when no query word is in it."""
        key = an.field_key(tag)
        field = an.text_field(key)
        if self._words is not None:
            found = self._highlighter(key, field, self._words).fragment(text)
            if found is None:
                return None
            if found is not highlight.UNSAFE:
                return an.mark_html(found.text, found.spans, lead=found.lead, trail=found.trail)
        return _snippet_html(self._generator(field).snippet_from_doc(tantivy.Document(**{field: [text]})), text)


def _snippet_html(snippet: tantivy.Snippet, text: str) -> str | None:
    """Tantivy gives byte offsets; turn them into char offsets and mark them."""
    ranges = snippet.highlighted()
    if not ranges:
        return None
    fragment = snippet.fragment()
    if fragment.isascii():  # bytes are chars: the usual case, no decoding
        spans = [(r.start, r.end) for r in ranges]
    else:
        raw = fragment.encode("utf-8")
        spans = [(_chars(raw, r.start), _chars(raw, r.end)) for r in ranges]
    where = snippet.fragment_range()
    text_bytes = len(text) if text.isascii() else len(text.encode("utf-8"))
    return an.mark_html(fragment, spans, lead=where.start > 0, trail=where.end < text_bytes)


def _chars(raw: bytes, offset: int) -> int:
    return len(raw[:offset].decode("utf-8", "ignore"))
