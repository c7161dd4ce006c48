"""Minting and reading the catalogue's URIs.

URIs are minted once, from the source and its stable identifier, never from
a title that may change (see docs/profile.md).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

ENTITY_TYPES = ("practice", "project", "organisation")
_MAX_KEY = 120


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65_536)
def slug(text: str) -> str:
    """Lower-case ASCII slug: 'Ajuntament de Barcelona' -> 'ajuntament-de-barcelona'.
    Cached: a harvest slugs the same source, country and organisation names
    for record after record."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", folded.lower()).strip("-")


def mint_key(*parts: str) -> str:
    """A key from identifying parts. Readable when the parts are; when the
    slug would be empty, lossy or too long, a short hash keeps it unique."""
    raw = "\x1f".join(parts)
    slugs = [slug(p) for p in parts]
    readable = "-".join(s for s in slugs if s)
    lossless = all(s == p.lower() for s, p in zip(slugs, parts))
    if readable and len(readable) <= _MAX_KEY and lossless:
        return readable
    digest = hashlib.sha1(raw.encode("utf-8")).hexdigest()[:10]
    return f"{readable[:_MAX_KEY - 11].rstrip('-')}-{digest}" if readable else digest


def project_key_for_grant(grant_id: str) -> str:
    """Projects with a grant id share one key whatever the source."""
    return mint_key("grant", grant_id)


def organisation_key(name: str, country: str | None) -> str:
    return mint_key(country or "xx", slug(name) or name)


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


@dataclass(frozen=True)
class Uris:
    """All the URIs of one catalogue, from its base (the setting base_uri)."""

    base: str

    def entity(self, kind: str, key: str) -> str:
        return f"{self.base}/id/{kind}/{key}"

    def practice(self, key: str) -> str:
        return self.entity("practice", key)

    def project(self, key: str) -> str:
        return self.entity("project", key)

    def organisation(self, key: str) -> str:
        return self.entity("organisation", key)

    def record(self, source: str, original_id: str) -> str:
        return f"{self.base}/id/record/{slug(source)}/{mint_key(original_id)}"

    def source(self, name: str) -> str:
        return f"{self.base}/id/source/{slug(name)}"

    def run(self, source: str, started: datetime) -> str:
        return f"{self.base}/id/run/{slug(source)}/{timestamp(started)}"

    @property
    def runs_graph(self) -> str:
        return f"{self.base}/graph/runs"

    @property
    def record_prefix(self) -> str:
        return f"{self.base}/id/record/"

    def key_of(self, uri: str, kind: str) -> str | None:
        prefix = f"{self.base}/id/{kind}/"
        return uri[len(prefix):] if uri.startswith(prefix) else None

    def document(self, uri: str) -> str | None:
        """The web page of an /id/ URI: /id/practice/x -> /practice/x."""
        prefix = f"{self.base}/id/"
        return f"{self.base}/{uri[len(prefix):]}" if uri.startswith(prefix) else None
