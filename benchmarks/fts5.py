"""The full-text baseline: SQLite FTS5 (stdlib `sqlite3`) doing the engines' job.

One FTS5 table holds the same text as the engines' documents (titles, body
text in every language, concept labels), tokenised by `unicode61` with
diacritics removed (FTS5 has no stemmer for our languages, so it matches
fewer word forms than Tantivy). A plain `facets(doc, facet, value)` table
holds the facet values. A search returns what the engines return: the total,
the top 20 by bm25 (title weighted 3, text 1, labels 0.5) with a snippet, and
the facet counts, each facet counted with COUNT ... GROUP BY over the
matching rowids under the same multi-select rule as the engines (a facet's
counts ignore that facet's own filter). The text is matched once per search
into a temporary table of rowids that the total and the counts join.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from catalogue.index import FACETS, IndexDoc

_WORD = re.compile(r"[^\W_]+")


class Fts5Index:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA cache_size=-262144")  # 256 MB, like whoosh's writer memory
        # Each connection's own: a search's text matches, then counted by facet.
        self.db.execute("CREATE TEMP TABLE matched(doc INTEGER PRIMARY KEY)")

    def build(self, docs: Iterable[IndexDoc]) -> int:
        db = self.db
        db.execute(
            "CREATE VIRTUAL TABLE fts USING fts5(uri UNINDEXED, title, body, labels,"
            " tokenize = 'unicode61 remove_diacritics 2')"
        )
        db.execute("CREATE TABLE facets(doc INTEGER NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL)")
        count = 0
        with db:
            for rowid, doc in enumerate(docs, start=1):
                db.execute(
                    "INSERT INTO fts(rowid, uri, title, body, labels) VALUES (?, ?, ?, ?, ?)",
                    (rowid, doc.uri, "\n".join(doc.title.values()), "\n".join(doc.text.values()), doc.labels),
                )
                db.executemany(
                    "INSERT INTO facets(doc, facet, value) VALUES (?, ?, ?)",
                    [(rowid, facet, value) for facet, values in doc.facets.items() for value in values],
                )
                count += 1
            db.execute("CREATE TABLE alldocs(doc INTEGER PRIMARY KEY)")
            db.execute("INSERT INTO alldocs(doc) SELECT rowid FROM fts")
            db.execute("CREATE INDEX facets_by_value ON facets(facet, value, doc)")
            db.execute("CREATE INDEX facets_by_doc ON facets(doc, facet, value)")
            db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        db.execute("ANALYZE")
        return count

    @staticmethod
    def match_expression(text: str) -> str | None:
        words = _WORD.findall(text)
        return " ".join(f'"{w}"' for w in words) if words else None

    def _filter_sql(self, filters: Mapping[str, Sequence[str]], skip: str | None = None) -> tuple[str, list]:
        """SQL condition on `doc` (and its parameters) for the filters but `skip`."""
        clauses, params = [], []
        for facet, values in filters.items():
            if facet == skip or not values:
                continue
            marks = ", ".join("?" for _ in values)
            clauses.append(f"doc IN (SELECT doc FROM facets WHERE facet = ? AND value IN ({marks}))")
            params += [facet, *values]
        return (" AND ".join(clauses) or "1"), params

    def search(
        self,
        text: str,
        filters: Mapping[str, Sequence[str]] | None = None,
        facets: Sequence[str] = FACETS,
        limit: int = 20,
    ) -> tuple[int, list[tuple[str, str, str]], dict[str, list[tuple[str, int]]]]:
        """(total, [(uri, title, snippet)], {facet: [(value, count)]})."""
        filters = filters or {}
        match = self.match_expression(text)
        db = self.db
        # The text matches once, into a temporary table every count then joins.
        base = "alldocs"
        if match is not None and not facets:  # no counts: the FTS table alone answers
            rowid_where, params = self._filter_sql(filters)
            rowid_where = rowid_where.replace("doc IN", "fts.rowid IN")
            total = db.execute(f"SELECT count(*) FROM fts WHERE fts MATCH ? AND {rowid_where}", [match, *params]).fetchone()[0]
            hits = db.execute(
                "SELECT uri, title, snippet(fts, 2, '<mark>', '</mark>', '…', 24) FROM fts"
                f" WHERE fts MATCH ? AND {rowid_where} ORDER BY bm25(fts, 0.0, 3.0, 1.0, 0.5) LIMIT ?",
                [match, *params, limit],
            ).fetchall()
            return total, hits, {}
        if match is not None:
            db.execute("DELETE FROM temp.matched")
            db.execute("INSERT INTO temp.matched(doc) SELECT rowid FROM fts WHERE fts MATCH ?", (match,))
            base = "temp.matched"
        where, params = self._filter_sql(filters)
        total = db.execute(f"SELECT count(*) FROM {base} WHERE {where}", params).fetchone()[0]
        if match is not None:
            rowid_where = where.replace("doc IN", "fts.rowid IN")
            hits = db.execute(
                "SELECT uri, title, snippet(fts, 2, '<mark>', '</mark>', '…', 24) FROM fts"
                f" WHERE fts MATCH ? AND {rowid_where} ORDER BY bm25(fts, 0.0, 3.0, 1.0, 0.5) LIMIT ?",
                [match, *params, limit],
            ).fetchall()
        else:
            rowid_where = where.replace("doc IN", "rowid IN")
            hits = db.execute(
                f"SELECT uri, title, substr(body, 1, 200) FROM fts WHERE {rowid_where} LIMIT ?", [*params, limit]
            ).fetchall()
        counts: dict[str, list[tuple[str, int]]] = {}
        groups: dict[str | None, list[str]] = {}
        for facet in dict.fromkeys(facets):
            groups.setdefault(facet if filters.get(facet) else None, []).append(facet)
        for excluded, names in groups.items():
            sub_where, sub_params = self._filter_sql(filters, skip=excluded)
            marks = ", ".join("?" for _ in names)
            sql = (
                f"SELECT f.facet, f.value, count(*) FROM facets AS f WHERE f.facet IN ({marks})"
                f" AND f.doc IN (SELECT doc FROM {base} WHERE {sub_where}) GROUP BY f.facet, f.value"
            )
            if match is None and sub_where == "1":  # every document: no need for the IN
                sql = f"SELECT facet, value, count(*) FROM facets WHERE facet IN ({marks}) GROUP BY facet, value"
            found: dict[str, list[tuple[str, int]]] = {name: [] for name in names}
            for facet, value, n in db.execute(sql, [*names, *sub_params]).fetchall():
                found[facet].append((value, n))
            for name, pairs in found.items():
                counts[name] = sorted(pairs, key=lambda p: (-p[1], p[0]))
        return total, hits, counts

    def close(self) -> None:
        self.db.close()
