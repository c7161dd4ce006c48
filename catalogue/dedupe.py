"""One thing, one URI: recognising a practice or project seen in two sources.

Projects are matched by their grant id: harvesters key a project with a
CORDIS grant id `grant-{id}` whatever the source (`uris.project_key_for_grant`),
and a CORDIS project DOI (`10.3030/{id}`) is read as that grant id.

Practices are matched, in this order, by a DOI (in the landing page or a
document link) and by the normalised landing page (scheme, `www.`, case of
the host, trailing slash, fragment and tracking parameters ignored). A landing
page that is a bare site root (`https://city.example/`) is no evidence: many
practices of one publisher point there.

A record keeps the URI it was first given (URIs are minted once); a new
record whose practice matches a practice already in the catalogue takes that
practice's URI, so the practice ends up with one catalogue record per source.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable

from .models import Practice, SourceRecord
from .store import Store
from .uris import Uris

_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
_CORDIS_DOI = re.compile(r"^10\.3030/(\d+)$")
_TRACKING = re.compile(r"^(utm_|fbclid$|gclid$|mc_)", re.IGNORECASE)


def doi_of(text: str | None) -> str | None:
    """The DOI in a text or URL (https://doi.org/10.3030/959201 -> 10.3030/959201), lower-cased."""
    if not text:
        return None
    match = _DOI.search(urllib.parse.unquote(text))
    return match.group(1).rstrip(".,;)").lower() if match else None


def grant_from_doi(doi: str | None) -> str | None:
    """CORDIS project DOIs are 10.3030/{grant id}."""
    match = _CORDIS_DOI.match(doi or "")
    return match.group(1) if match else None


def normalise_landing_page(url: str | None) -> str | None:
    """A comparable form of a landing page, or None when it says too little."""
    if not url:
        return None
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    for index in ("/index.html", "/index.htm", "/index.php"):
        path = path.removesuffix(index)
    query = urllib.parse.urlencode(
        sorted((k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k))
    )
    if not path and not query:
        return None  # a site root identifies a publisher, not a practice
    return f"{host}{path}" + (f"?{query}" if query else "")


def practice_keys(practice: Practice) -> list[str]:
    """The match keys of a practice: DOIs first, then its landing page."""
    keys = []
    for link in [practice.landing_page, *practice.documents]:
        doi = doi_of(link)
        if doi:
            keys.append(f"doi:{doi}")
    landing = normalise_landing_page(practice.landing_page)
    if landing:
        keys.append(f"page:{landing}")
    return list(dict.fromkeys(keys))


class Deduper:
    """Finds the URI a new practice record should share. Loaded once per run
    from the store's active practices, then kept up to date by `remember`."""

    def __init__(self, uris: Uris) -> None:
        self.uris = uris
        self._owner: dict[str, str] = {}  # match key -> practice URI

    def load(self, store: Store) -> Deduper:
        active = """GRAPH ?g { ?g <http://xmlns.com/foaf/0.1/primaryTopic> ?p ;
                              <https://w3id.org/gpc/ns#recordStatus> <https://w3id.org/gpc/ns#Active> .
                            ?p a <https://w3id.org/gpc/ns#Practice> ; LINK ?x . }"""
        pages = store.select("SELECT ?p ?x WHERE { " + active.replace("LINK", "<http://www.w3.org/ns/dcat#landingPage>") + " }")
        # Documents matter only when they hold a DOI: do not pull every link.
        docs = store.select(
            "SELECT ?p ?x WHERE { " + active.replace("LINK", "<http://xmlns.com/foaf/0.1/page>") + ' FILTER(CONTAINS(STR(?x), "10.")) }'
        )
        # Deterministic: when two stored practices share a key, the smallest URI owns it.
        keyed: list[tuple[str, str]] = []
        for row in pages:
            keyed += [(str(row["p"]), k) for k in self._keys(str(row["x"]), [])]
        for row in docs:
            keyed += [(str(row["p"]), k) for k in self._keys(None, [str(row["x"])])]
        for uri, key in sorted(keyed):
            self._owner.setdefault(key, uri)
        return self

    def _keys(self, page: str | None, docs: Iterable[str]) -> list[str]:
        keys = [f"doi:{d}" for d in (doi_of(x) for x in [page, *docs]) if d]
        landing = normalise_landing_page(page)
        if landing:
            keys.append(f"page:{landing}")
        return keys

    def resolve(self, record: SourceRecord, keep_uri: str | None = None) -> SourceRecord:
        """The record with its practice keyed as the catalogue already knows it.

        `keep_uri` is the primary topic this record had before: a record
        never moves to another URI once minted."""
        primary = record.entities[0]
        if not isinstance(primary, Practice):
            return record
        keys = practice_keys(primary)
        if keep_uri is not None:
            target = keep_uri if self.uris.key_of(keep_uri, "practice") else None
        else:
            target = next((self._owner[k] for k in keys if k in self._owner), None)
        if target is not None:
            key = self.uris.key_of(target, "practice")
            if key and key != primary.key:
                primary = primary.model_copy(update={"key": key})
                record = record.model_copy(update={"entities": [primary, *record.entities[1:]]})
        uri = self.uris.practice(primary.key)
        for match in keys:
            self._owner.setdefault(match, uri)
        return record
