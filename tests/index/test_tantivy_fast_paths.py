"""Tantivy's shortcuts give the answers of the long way round: excerpts cut
from a prefix of the text, and facets counted before the search knows its
total (from an estimate of the matches), are exact either way."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from catalogue.index import Query
from catalogue.index import analysis as an

from test_engines import doc  # tests/index is on sys.path (rootdir-relative test modules)


@pytest.mark.parametrize(
    "text",
    ["", "short text", "word " * 100, " \n\t " * 300 + "late start " * 50, "x" * 900, "a" * 199 + " b", "é " * 500],
)
def test_excerpt_reads_only_what_it_shows(text: str) -> None:
    # The excerpt collapses the spaces of a prefix only: the same as of the whole text.
    full = " ".join(text.split())
    cut = full[: an.SNIPPET_CHARS].rsplit(" ", 1)[0] or full[: an.SNIPPET_CHARS]
    expected = an._escape(full) if len(full) <= an.SNIPPET_CHARS else an._escape(cut) + "…"
    assert an.excerpt_html(text) == expected


def test_escaping_is_htmls() -> None:
    assert an._escape("""<a href="x">Tom & Jerry's</a>""") == "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#x27;s&lt;/a&gt;"


# --- counting facets before the search (an estimate of the matches) ---------


def test_most_documents_is_a_lower_bound_from_term_statistics(tmp_path: Path) -> None:
    from catalogue.index.tantivy_engine import TantivyEngine

    engine = TantivyEngine(tmp_path / "index")
    docs = [
        doc(f"urn:{i}", {"en": f"common {'half ' if i % 2 else ''}{'budgets' if i % 3 else 'budget'} {i}"}, theme=f"t{i % 3}")
        for i in range(30)
    ]
    engine.add(docs)
    engine.commit()
    searcher, generation = engine._snapshot()

    def most(text: str) -> bool:
        return engine._matches_most(searcher, generation, text)

    assert most("common") and most("budget")  # "budgets" stems to "budget" in title_en
    assert not most("half")  # 15 of 30: not more than half
    assert not most("half common")  # 15 + 30 - 30
    assert not most('"common budget"') and not most("common OR half") and not most("e-common")  # syntax: not estimated
    # Whichever way they are counted, the counts are exact.
    for text in ("common", "budget", "half", "common half", "budget NOT half"):
        result = engine.search(Query(text=text, limit=100))
        matched = [d for d in docs if d.uri in {h.uri for h in result.hits}]
        assert result.total == len(matched)
        assert dict(result.facets["theme"]) == dict(Counter(d.facets["theme"][0] for d in matched))
