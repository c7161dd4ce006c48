"""The portable engine: Whoosh (pure Python, `whoosh-reloaded`).

Same fields and analysis as the Tantivy engine (see `analysis`), with these
whoosh-specific choices:

* Writes are buffered by uri until `commit`, then applied with one writer:
  whoosh's `update_document` cannot replace a document added earlier in the
  same uncommitted writer, so the buffer gives "last write wins" instead.
* Greek has no whoosh stemmer, so `title_el`/`text_el` are plain-folded here.
* Each thread keeps its own searcher (whoosh readers share file handles and
  are not safe across threads) and refreshes it when the index changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from whoosh import highlight, index, sorting
from whoosh import query as wq
from whoosh.analysis import Analyzer, CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.lang import has_stemmer
from whoosh.qparser import AndGroup, MultifieldParser, plugins
from whoosh.searching import Searcher
from whoosh.support.charset import accent_map
from whoosh.writing import CLEAR

from catalogue.index import analysis as an
from catalogue.index.base import FACETS, Hit, IndexDoc, Query, QuerySyntaxError, Result, SearchEngine

# Same token rule as tantivy's simple tokenizer: runs of letters and digits.
_TOKEN_PATTERN = r"[^\W_]+"
_FOLD = {**accent_map, **{ord(k): v for k, v in an.MULTI_CHAR_FOLDS.items()}}
_WRITER_MB = 256
# Parser features that are not public syntax (field addressing, wildcards,
# ranges, "*:*") or that tantivy reads differently (single quotes).
_DROPPED_PLUGINS = (
    plugins.FieldsPlugin,
    plugins.WildcardPlugin,
    plugins.RangePlugin,
    plugins.EveryPlugin,
    plugins.SingleQuotePlugin,
)


# +must / -exclude as in tantivy, but only at the start of a word: the stock
# plugin would read "open-data" as "open NOT data".
_PLUS_MINUS = plugins.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-")


def _analyzer(key: str | None) -> Analyzer:
    chain = (
        RegexTokenizer(_TOKEN_PATTERN)
        | StopFilter(stoplist=(), minsize=1, maxsize=an.MAX_TOKEN_CHARS)
        | LowercaseFilter()
        | CharsetFilter(_FOLD)
    )
    if key in an.STEMMERS and has_stemmer(key):
        chain = chain | StemFilter(lang=key)
    return chain


def _schema() -> Schema:
    fields: dict[str, Any] = {
        "uri": ID(stored=True, unique=True),
        "version": STORED(),
        "payload": STORED(),
        an.ALL_FIELD: TEXT(analyzer=_analyzer(None), phrase=True),
        "sort_title": ID(sortable=True),
        "date_key": NUMERIC(int, bits=32, sortable=True),
    }
    for key in an.FIELD_KEYS:
        fields[an.title_field(key)] = TEXT(analyzer=_analyzer(key), phrase=True)
        fields[an.text_field(key)] = TEXT(analyzer=_analyzer(key), phrase=True)
    for facet in FACETS:
        # A list value is indexed verbatim, one term per value: exact keywords.
        fields[facet] = ID()
    return Schema(**fields)


class _MarkFormatter(highlight.Formatter):
    """Whoosh fragments rendered by the shared, escaping `mark_html`."""

    between = " … "

    def format_fragment(self, fragment: highlight.Fragment, replace: bool = False) -> str:
        start, end = fragment.startchar, fragment.endchar
        spans = [(t.startchar - start, t.endchar - start) for t in fragment.matches if t.startchar is not None]
        return an.mark_html(fragment.text[start:end], spans, lead=start > 0, trail=end < len(fragment.text))


class WhooshEngine(SearchEngine):
    name = "whoosh"

    def __init__(self, path: Path) -> None:
        super().__init__(Path(path))
        self.path.mkdir(parents=True, exist_ok=True)
        self._index = self._open_index(_schema())
        self._schema = self._index.schema
        self._fields = an.search_fields()
        self._plain = _analyzer(None)
        self._vocab_fields = [an.ALL_FIELD] + [
            field(key) for key in an.STEMMERS if has_stemmer(key) for field in (an.title_field, an.text_field)
        ]
        self._vocab = [(field, self._tokens(field)) for field in self._vocab_fields]
        self._pending: dict[str, IndexDoc] = {}
        self._deleted: set[str] = set()
        self._write_lock = threading.Lock()
        self._local = threading.local()

    def _tokens(self, field: str) -> Callable[[str], list[str]]:
        analyzer = self._schema[field].analyzer
        return lambda word: [t.text for t in analyzer(word)]

    def _open_index(self, schema: Schema) -> index.Index:
        if index.exists_in(str(self.path)):
            existing = index.open_dir(str(self.path))
            if set(existing.schema.names()) == set(schema.names()):
                return existing
        # New directory, or an index of an older layout: (re)build it empty.
        return index.create_in(str(self.path), schema)

    # --- writing -----------------------------------------------------------

    def add(self, docs: Iterable[IndexDoc]) -> None:
        with self._write_lock:
            for doc in docs:
                self._pending[doc.uri] = doc

    def delete(self, uris: Iterable[str]) -> None:
        with self._write_lock:
            for uri in uris:
                self._pending.pop(uri, None)
                self._deleted.add(uri)

    def commit(self) -> None:
        with self._write_lock:
            if self._pending or self._deleted:
                self._write(clear=False)

    def clear(self) -> None:
        with self._write_lock:
            self._pending.clear()
            self._deleted.clear()
            self._write(clear=True)

    def _write(self, clear: bool) -> None:
        writer = self._index.writer(limitmb=_WRITER_MB)
        try:
            for uri in self._deleted:
                writer.delete_by_term("uri", uri)
            for doc in self._pending.values():
                writer.update_document(**self._fields_of(doc))
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=CLEAR if clear else None)
        self._pending.clear()
        self._deleted.clear()

    @staticmethod
    def _fields_of(doc: IndexDoc) -> dict[str, Any]:
        texts = an.field_texts(doc)
        # Text goes in as one string: whoosh would index a list verbatim, unanalysed.
        fields: dict[str, Any] = {
            "uri": doc.uri,
            "version": doc.version,
            "payload": an.payload(doc),
            "sort_title": an.safe_text(an.sort_title(doc)),
            "date_key": an.date_key(doc.date),
        }
        if texts.everything:
            fields[an.ALL_FIELD] = "\n".join(texts.everything)
        for key, values in texts.titles.items():
            fields[an.title_field(key)] = "\n".join(values)
        for key, values in texts.texts.items():
            fields[an.text_field(key)] = "\n".join(values)
        for facet in FACETS:
            values = [an.safe_text(v) for v in an.facet_values(doc, facet)]
            if values:
                fields[facet] = values
        return fields

    def close(self) -> None:
        with self._write_lock:
            self._pending.clear()
            self._deleted.clear()
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None

    # --- reading -----------------------------------------------------------

    def _searcher(self) -> Searcher:
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None and not searcher.up_to_date():
            # Not `refresh()`: it reuses segment readers by segment id and so
            # misses deletions committed into an existing segment.
            searcher.close()
            searcher = None
        if searcher is None:
            searcher = self._index.searcher()
            self._local.searcher = searcher
        return searcher

    def versions(self) -> dict[str, str]:
        return {f["uri"]: f["version"] for f in self._searcher().all_stored_fields()}

    def count(self) -> int:
        return self._searcher().doc_count()

    def search(self, query: Query) -> Result:
        searcher = self._searcher()
        text = an.clean_query(query.text)
        text_query = self._text_query(text)
        filters = self._filter_queries(query.filters)
        total, hits = self._hits(searcher, text_query, filters, query)
        facets = self._facet_counts(searcher, text_query, filters, query.facets)
        suggestion = self._suggest(searcher, text) if text else None
        return Result(total=total, hits=hits, facets=facets, suggestion=suggestion)

    def _text_query(self, text: str) -> wq.Query:
        if not text:
            return wq.Every()
        if not an.has_words(text):
            return wq.NullQuery
        parser = MultifieldParser(list(self._fields), self._schema, fieldboosts=self._fields, group=AndGroup)
        for plugin in _DROPPED_PLUGINS:
            parser.remove_plugin_class(plugin)
        parser.add_plugin(_PLUS_MINUS)
        try:
            parsed = parser.parse(text)
        except Exception:  # whoosh trips on some operator soups ("NOT NOT NOT"): words only
            try:
                parsed = parser.parse(an.plain_words(text))
            except Exception as exc:
                raise QuerySyntaxError(f"could not understand the query: {exc}") from exc
        return parsed if parsed is not None else wq.NullQuery

    @staticmethod
    def _filter_queries(filters: Mapping[str, tuple[str, ...]]) -> dict[str, wq.Query]:
        out = {}
        for facet, values in filters.items():
            an.check_facet(facet)
            wanted = list(dict.fromkeys(an.safe_text(v) for v in values if v))
            if wanted:
                out[facet] = wq.Or([wq.Term(facet, v) for v in wanted])
        return out

    @staticmethod
    def _filter(filters: Iterable[wq.Query]) -> wq.Query | None:
        parts = list(filters)
        return wq.And(parts) if parts else None

    def _hits(
        self, searcher: Searcher, text_query: wq.Query, filters: Mapping[str, wq.Query], query: Query
    ) -> tuple[int, list[Hit]]:
        offset, limit = max(query.offset, 0), max(query.limit, 0)
        options: dict[str, Any] = {}
        if query.sort == "newest":
            options = {"sortedby": "date_key", "reverse": True}
        elif query.sort == "title":
            options = {"sortedby": "sort_title"}
        results = searcher.search(
            text_query, limit=max(offset + limit, 1), filter=self._filter(filters.values()), **options
        )
        terms = _terms_by_field(text_query)

        def mark(tag: str, text: str) -> str | None:
            field = an.text_field(an.field_key(tag))
            return self._mark(text, field, terms[field]) if terms.get(field) else None

        hits = []
        for hit in results[offset : offset + limit]:
            stored = an.read_payload(hit["payload"])
            shown = float(hit.score or 0.0) if query.sort == "relevance" else 0.0
            snippet_of = an.snippet(stored["text"], query.lang, mark)
            hits.append(an.stored_hit(hit["uri"], shown, stored, query.lang, snippet_of))
        return len(results), hits

    def _mark(self, text: str, field: str, words: frozenset[str]) -> str | None:
        """The best fragment of `text` with the query's words of `field` marked, or None."""
        marked = highlight.highlight(
            text,
            words,
            self._schema[field].analyzer,
            highlight.ContextFragmenter(maxchars=an.SNIPPET_CHARS, surround=60),
            _MarkFormatter(),
            top=1,
        )
        return marked or None

    def _facet_counts(
        self,
        searcher: Searcher,
        text_query: wq.Query,
        filters: Mapping[str, wq.Query],
        facets: Iterable[str],
    ) -> dict[str, list[tuple[str, int]]]:
        # One grouped search per group of `an.facet_groups` (the multi-select rule).
        groups = an.facet_groups(facets, filters)
        counts: dict[str, list[tuple[str, int]]] = {}
        for excluded, names in groups.items():
            others = self._filter(f for name, f in filters.items() if name != excluded)
            grouped = {name: sorting.FieldFacet(name, allow_overlap=True) for name in names}
            results = searcher.search(text_query, limit=1, filter=others, groupedby=grouped, maptype=sorting.Count)
            for name in names:
                try:
                    groups_of = results.groups(name)
                except KeyError:  # nothing matched, so no grouping happened
                    groups_of = {}
                counts[name] = an.sorted_counts((k, n) for k, n in groups_of.items() if k is not None)
        return counts

    # --- "did you mean" ----------------------------------------------------

    def _suggest(self, searcher: Searcher, text: str) -> str | None:
        reader = searcher.reader()

        def fold(word: str) -> list[str]:
            return [t.text for t in self._plain(word)]

        def known(word: str) -> bool:
            return an.is_known(word, self._vocab, lambda field, term: (field, term) in reader)

        def candidates(token: str) -> list[tuple[str, int]]:
            near = reader.terms_within(an.ALL_FIELD, token, an.max_edits(token))
            return [(_text(t), reader.doc_frequency(an.ALL_FIELD, t)) for t in near]

        return an.suggest_query(text, fold, known, candidates)

    # --- related -----------------------------------------------------------

    def more_like_this(self, uri: str, limit: int = 5, lang: str = "en") -> list[Hit]:
        searcher = self._searcher()
        docnum = searcher.document_number(uri=uri)
        if docnum is None or limit <= 0:
            return []
        stored = an.read_payload(searcher.stored_fields(docnum)["payload"])
        parts = self._related_queries(searcher, stored)
        if not parts:
            return []
        # Equal scores ordered by uri, not by document number (as in tantivy).
        results = searcher.search(wq.Or(parts), limit=limit + an.RELATED_SPARE, mask=wq.Term("uri", uri))
        ranked = sorted(((float(hit.score or 0.0), hit["uri"], hit["payload"]) for hit in results),
                        key=lambda r: (-r[0], r[1]))[:limit]  # fmt: skip
        hits = []
        for score, hit_uri, raw in ranked:
            other = an.read_payload(raw)
            hits.append(an.stored_hit(hit_uri, score, other, lang, an.snippet(other["text"], lang, None)))
        return hits

    @staticmethod
    def _related_queries(searcher: Searcher, stored: dict) -> list[wq.Query]:
        """Shared themes and types as constant tiers, plus the doc's key terms."""
        parts: list[wq.Query] = []
        for facet, weight in an.RELATED_WEIGHTS.items():
            for value in stored["facets"].get(facet, []):
                parts.append(wq.ConstantScoreQuery(wq.Term(facet, value), weight))
        by_field: dict[str, list[str]] = {}
        for lang, value in stored["title"].items():
            by_field.setdefault(an.title_field(an.field_key(lang)), []).append(value)
        for lang, value in stored["text"].items():
            by_field.setdefault(an.text_field(an.field_key(lang)), []).append(value)
        # Words in a large share of the documents are left out, as in tantivy.
        most = an.related_max_docs(searcher.doc_count())
        reader = searcher.reader()
        for field, values in by_field.items():
            body = "\n".join(v for v in values if v)
            if body:
                found = searcher.key_terms_from_text(field, body, numterms=2 * an.RELATED_TERMS)
                kept = [(term, weight) for term, weight in found if reader.doc_frequency(field, term) <= most]
                for term, weight in kept[: an.RELATED_TERMS]:
                    parts.append(wq.Term(field, term, boost=weight))
        return parts


def _terms_by_field(parsed: wq.Query) -> dict[str, frozenset[str]]:
    """The words a parsed query looks for, per field (for highlighting)."""
    found: dict[str, set[str]] = {}
    for field, term in parsed.iter_all_terms():
        found.setdefault(field, set()).add(_text(term))
    return {field: frozenset(words) for field, words in found.items()}


def _text(term: str | bytes) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term
