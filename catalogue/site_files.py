"""The static site's robots.txt and sitemaps (sitemaps.org protocol: at
most 50,000 URLs a file, listed by a sitemap index when there are more)."""

from __future__ import annotations

from collections.abc import Sequence
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
