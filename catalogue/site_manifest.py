"""The static build's memory: what each page shows and what it wrote.

An SQLite file in the output folder (`.build-manifest.sqlite`), so that an
incremental build reads and writes only the pages it touches, even with
hundreds of thousands of them: `deps` answers "which pages show this entity
or listing?" from an index, `files` holds each written file's hash so an
unchanged file is never written again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

NAME = ".build-manifest.sqlite"
FORMAT = "2"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS pages (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS deps (page TEXT NOT NULL, dep TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deps_by_dep ON deps (dep);
CREATE INDEX IF NOT EXISTS deps_by_page ON deps (page);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, page TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS files_by_page ON files (page);
"""


@dataclass
class PageRecord:
    deps: set[str] = field(default_factory=set)  # entity URIs and listing keys ("country:ITA") the page shows
    files: dict[str, str] = field(default_factory=dict)  # relative path -> content hash


class Manifest:
    def __init__(self, out: Path) -> None:
        self.path = out / NAME
        self._db = sqlite3.connect(self.path)
        self._db.executescript("PRAGMA synchronous = NORMAL;" + _SCHEMA)
        if self.get("format") not in (None, FORMAT):
            self._db.executescript("DELETE FROM meta; DELETE FROM pages; DELETE FROM deps; DELETE FROM files;")
        self.set("format", FORMAT)

    # --- settings of the last build -----------------------------------------------------

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set(self, key: str, value: str | None) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # --- pages ------------------------------------------------------------------------------

    def record(self, page: str) -> PageRecord | None:
        if self._db.execute("SELECT 1 FROM pages WHERE id = ?", (page,)).fetchone() is None:
            return None
        deps = {d for (d,) in self._db.execute("SELECT dep FROM deps WHERE page = ?", (page,))}
        files = dict(self._db.execute("SELECT path, hash FROM files WHERE page = ?", (page,)).fetchall())
        return PageRecord(deps, files)

    def records(self, pages: Iterable[str]) -> dict[str, PageRecord]:
        """page -> its record, for the pages of a batch that have one (three
        queries per 500 pages instead of three per page)."""
        wanted = sorted(set(pages))
        out: dict[str, PageRecord] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for (page,) in self._db.execute(f"SELECT id FROM pages WHERE id IN ({marks})", chunk):  # noqa: S608
                out[page] = PageRecord()
            if not out:
                continue
            for page, dep in self._db.execute(f"SELECT page, dep FROM deps WHERE page IN ({marks})", chunk):  # noqa: S608
                if page in out:
                    out[page].deps.add(dep)
            for page, path, digest in self._db.execute(
                f"SELECT page, path, hash FROM files WHERE page IN ({marks})", chunk  # noqa: S608
            ):
                if page in out:
                    out[page].files[path] = digest
        return out

    def page_ids(self, prefix: str = "") -> set[str]:
        if not prefix:
            return {p for (p,) in self._db.execute("SELECT id FROM pages")}
        # A range of the primary key (the ids starting with `prefix` sort
        # between it and it with its last character raised): an index lookup,
        # where `substr` read all the pages (20 ms at 100,000 practices).
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        rows = self._db.execute("SELECT id FROM pages WHERE id >= ? AND id < ?", (prefix, upper))
        return {p for (p,) in rows}

    def pages_showing(self, deps: Iterable[str]) -> set[str]:
        """The pages that show any of these entities or listings."""
        wanted = sorted(set(deps))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found |= {p for (p,) in self._db.execute(f"SELECT DISTINCT page FROM deps WHERE dep IN ({marks})", chunk)}  # noqa: S608
        return found

    def put(self, page: str, record: PageRecord) -> None:
        self.put_many([(page, record)])

    def put_many(self, records: list[tuple[str, PageRecord]]) -> None:
        """Replace these pages' records (a batch of a big build: a few
        statements for all of them, not six per page)."""
        for start in range(0, len(records), 500):
            chunk = records[start : start + 500]
            self._drop([page for page, _record in chunk])
            self._db.executemany("INSERT INTO pages (id) VALUES (?)", ((page,) for page, _record in chunk))
            self._db.executemany(
                "INSERT INTO deps (page, dep) VALUES (?, ?)",
                ((page, d) for page, record in chunk for d in sorted(record.deps)),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO files (path, page, hash) VALUES (?, ?, ?)",
                ((path, page, digest) for page, record in chunk for path, digest in record.files.items()),
            )

    def drop(self, page: str) -> None:
        self._drop([page])

    def _drop(self, pages: list[str]) -> None:
        marks = ",".join("?" * len(pages))
        for table, column in (("pages", "id"), ("deps", "page"), ("files", "page")):
            self._db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", pages)  # noqa: S608

    def html_paths(self) -> list[str]:
        return [p for (p,) in self._db.execute("SELECT path FROM files WHERE path LIKE '%.html' ORDER BY path")]

    def commit(self) -> None:
        self._db.commit()

    def close(self) -> None:
        self._db.commit()
        self._db.close()
