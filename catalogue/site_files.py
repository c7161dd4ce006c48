"""The static site's robots.txt and sitemaps (sitemaps.org protocol: at
most 50,000 URLs a file, listed by a sitemap index when there are more),
and the writer of its files."""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from xml.sax.saxutils import escape

PER_FILE = 50_000
_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def robots_txt(site_url: str) -> str:
    return f"User-agent: *\nAllow: /\nDisallow: /.build-manifest.sqlite\n\nSitemap: {site_url}/sitemap.xml\n"


def _page_url(site_url: str, path: str) -> str:
    if path == "index.html" or path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return f"{site_url}/{path}"


def sitemaps(site_url: str, html_paths: Sequence[str]) -> list[tuple[str, bytes]]:
    """(file name, bytes): `sitemap.xml` alone, or an index and its parts."""
    urls = [_page_url(site_url, p) for p in html_paths]
    chunks = [urls[i : i + PER_FILE] for i in range(0, len(urls), PER_FILE)] or [[]]

    def urlset(chunk: list[str]) -> bytes:
        body = "".join(f"<url><loc>{escape(u)}</loc></url>\n" for u in chunk)
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_NS}">\n{body}</urlset>\n'.encode()

    if len(chunks) == 1:
        return [("sitemap.xml", urlset(chunks[0]))]
    parts = [(f"sitemap-{n}.xml", urlset(chunk)) for n, chunk in enumerate(chunks, start=1)]
    body = "".join(f"<sitemap><loc>{escape(site_url)}/{name}</loc></sitemap>\n" for name, _ in parts)
    index = f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{_NS}">\n{body}</sitemapindex>\n'
    return [("sitemap.xml", index.encode()), *parts]


# Where (a path as text: pathlib's joins and hashes were a tenth of a parallel build's
# parent), what, and whether it replaces a file the last build wrote.
FileItem = tuple[str, bytes, bool]


class PendingFiles:
    """The files a worker process of a parallel build rendered, for its
    parent to write on its own main thread. A writer thread beside a thread
    running Python pays for handing the interpreter's lock back and forth:
    90-220 µs of kernel time a file here, against 16-47 µs for a thread
    writing alone (a full build at 100,000: 441 against 396 pages/s)."""

    def __init__(self) -> None:
        self.files: list[FileItem] = []

    def create(self, target: str, data: bytes) -> None:
        self.files.append((target, data, False))

    def replace(self, target: str, data: bytes) -> None:
        self.files.append((target, data, True))


class FileWriter:
    """Writes the build's files on a few threads, so that the file system's
    latency (creating a file took 0.1-0.5 ms here) overlaps the rendering
    instead of adding to it. Files go in groups (one thread hand-over per
    group, not per file); `wait()` re-raises the first failure. `write_now`
    writes on the calling thread (a parallel build's parent, writing what
    its workers rendered: `PendingFiles`)."""

    THREADS = 4
    GROUP = 12  # files handed over at once
    BACKLOG = 64  # groups in flight at most (their bytes are held until written)

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[Future[None]] = deque()
        self._group: list[FileItem] = []
        self._dirs: set[str] = set()  # folders known to exist

    def create(self, target: str, data: bytes) -> None:
        """A file the last build did not write (replaced if it is there after all)."""
        self._add(target, data, False)

    def replace(self, target: str, data: bytes) -> None:
        self._add(target, data, True)

    def wait(self) -> None:
        self._hand_over()
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None

    def _add(self, target: str, data: bytes, replace: bool) -> None:
        self._group.append((target, data, replace))
        if len(self._group) >= self.GROUP:
            self._hand_over()

    def _hand_over(self) -> None:
        if not self._group:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.THREADS, thread_name_prefix="site-writer")
        while len(self._pending) >= self.BACKLOG:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(self.write_now, self._group))
        self._group = []

    def write_now(self, files: list[FileItem]) -> None:
        for target, data, replace in files:
            if replace:
                self._replace(target, data)
            else:
                self._create(target, data)

    def _create(self, target: str, data: bytes) -> None:
        # One open and no stat in the usual case: the file is new.
        folder = target.rpartition("/")[0]  # (os.path.dirname: 6 µs a file in the parent's profile)
        if folder not in self._dirs:
            os.makedirs(folder, exist_ok=True)
            self._dirs.add(folder)
        try:
            handle = open(target, "xb")  # noqa: SIM115 - closed below
        except FileExistsError:
            self._replace(target, data)
            return
        with handle:
            handle.write(data)

    @staticmethod
    def _replace(target: str, data: bytes) -> None:
        # Atomically: a live site never serves half a file.
        tmp = Path(f"{target}.{threading.get_ident()}.tmp")
        try:
            tmp.write_bytes(data)
        except FileNotFoundError:  # its folder went since the last build
            tmp.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
        tmp.replace(target)
