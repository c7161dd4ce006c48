"""The full-text index contract: one small interface, two engines.

The index is derived from the store (`catalogue reindex` rebuilds it) and
holds one `IndexDoc` per practice. Engines: `tantivy` (default) and `whoosh`,
both in this package, selected by the setting `CATALOGUE_SEARCH_ENGINE`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# Facet fields every engine indexes as exact keyword values.
FACETS: tuple[str, ...] = (
    "country",
    "region",
    "theme",
    "type",
    "maturity",
    "programme",
    "level",
    "language",
    "source",
    "year",
)

SortOrder = Literal["relevance", "newest", "title"]


@dataclass(frozen=True)
class IndexDoc:
    """What the index holds of one practice.

    `text` maps a language code to the searchable text in that language
    (title, description, keywords and the reuse fields); `labels` is the
    multilingual labels of the record's concepts (themes, types, countries)
    so that a query in one language finds records tagged in another.
    """

    uri: str
    version: str  # content version (hash) of the store records it was built from
    title: Mapping[str, str]  # lang -> title
    text: Mapping[str, str]  # lang -> searchable body text
    labels: str = ""  # concept labels in all languages, space separated
    facets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # facet -> values
    sort_title: str = ""  # lower-cased title used for sorting
    date: str = ""  # ISO date (YYYY-MM-DD) used for "newest"


@dataclass(frozen=True)
class Query:
    text: str = ""  # empty: every document
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # OR within a facet, AND across
    facets: tuple[str, ...] = FACETS  # facets to count
    sort: SortOrder = "relevance"
    offset: int = 0
    limit: int = 20
    lang: str = "en"  # preferred language for snippets


@dataclass(frozen=True)
class Hit:
    uri: str
    score: float
    title: str
    snippet: str  # HTML-escaped text with <mark> around matched terms
    facets: Mapping[str, tuple[str, ...]]
    lang: str = ""  # language tag of `title` (pages mark it with a lang attribute)
    snippet_lang: str = ""  # language tag of `snippet`
    titles: Mapping[str, str] = field(default_factory=dict)  # every title by language (re-pick without a new query)


@dataclass(frozen=True)
class Result:
    total: int
    hits: list[Hit]
    # facet -> [(value, count)], sorted by count desc then value. Counts follow
    # the usual multi-select rule: a facet's counts ignore that facet's own
    # filter but honour all the others.
    facets: Mapping[str, list[tuple[str, int]]]
    suggestion: str | None = None  # "did you mean", or None


class QuerySyntaxError(ValueError):
    """The query text could not be understood (the web layer answers 400)."""


class SearchEngine(ABC):
    """One full-text engine over a directory. Writers must call `commit`."""

    name: str

    def __init__(self, path: Path) -> None:
        self.path = path

    @abstractmethod
    def add(self, docs: Iterable[IndexDoc]) -> None:
        """Add or replace documents (by uri)."""

    @abstractmethod
    def delete(self, uris: Iterable[str]) -> None:
        """Remove documents by uri; unknown uris are ignored."""

    @abstractmethod
    def commit(self) -> None:
        """Make the writes so far durable and visible to searches."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every document (commit included)."""

    @abstractmethod
    def search(self, query: Query) -> Result:
        """Run a query; raise QuerySyntaxError only for text no lenient parse accepts."""

    @abstractmethod
    def versions(self) -> dict[str, str]:
        """uri -> version of every document held."""

    @abstractmethod
    def more_like_this(self, uri: str, limit: int = 5, lang: str = "en") -> list[Hit]:
        """Documents most similar to the given one (excluding it); titles in `lang` where they exist."""

    def more_like_these(self, uris: Sequence[str], limit: int = 5, lang: str = "en") -> dict[str, list[Hit]]:
        """`more_like_this` of each uri (an engine may work them out together)."""
        return {uri: self.more_like_this(uri, limit, lang) for uri in uris}

    def count(self) -> int:
        return len(self.versions())

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files and writers."""
