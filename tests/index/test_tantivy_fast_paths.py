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


# --- "more like this" in two steps -------------------------------------------


def test_related_in_two_steps_gives_the_answer_of_the_plain_query(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random

    from catalogue.index.tantivy_engine import TantivyEngine

    rng = random.Random(7)
    vocabulary = [f"word{n}" for n in range(60)]
    themes, types = [f"theme{n}" for n in range(5)], [f"type{n}" for n in range(3)]
    docs = [
        doc(
            f"urn:{i:03}",
            {"en": " ".join(rng.sample(vocabulary, 2))},
            {"en": " ".join(rng.choices(vocabulary, k=rng.randint(3, 12)))},
            theme=rng.sample(themes, rng.randint(1, 3)),
            type=rng.sample(types, rng.randint(1, 2)),
        )
        for i in range(150)
    ]
    engine = TantivyEngine(tmp_path / "index")
    for start in range(0, len(docs), 40):  # several segments
        engine.add(docs[start : start + 40])
        engine.commit()
    steps: Counter[str] = Counter()
    two_steps: dict[str, list[tuple[str, float]]] = {}
    for d in docs:
        searcher, generation = engine._snapshot()
        stored = an.read_payload(searcher.doc(searcher.search(engine._own(d.uri), 1).hits[0][1]).get_first("payload"))
        words = engine._similar_text_query(searcher, generation, stored)
        assert words is not None  # every document here has words of its own
        pool = engine._related_pool(searcher, engine._related_tiers(stored), words, engine._own(d.uri), 5)
        steps["plain" if pool is None else "two steps"] += 1
        two_steps[d.uri] = [(h.uri, h.score) for h in engine.more_like_this(d.uri, limit=5)]
    monkeypatch.setattr(engine, "_related_pool", lambda *args: None)  # always the plain query
    plain = {d.uri: [(h.uri, h.score) for h in engine.more_like_this(d.uri, limit=5)] for d in docs}
    assert steps["two steps"] > len(docs) / 2  # the shortcut is taken, and gives the same answers
    for uri, expected in plain.items():
        # The same documents; scores summed in another order differ in the last float32 bits.
        assert [u for u, _ in two_steps[uri]] == [u for u, _ in expected], uri
        assert [s for _, s in two_steps[uri]] == pytest.approx([s for _, s in expected], rel=1e-6), uri



# --- a page of the title order, found by a number first ---------------------


def test_a_page_of_the_title_order_is_the_text_orders_at_any_offset(tmp_path: Path) -> None:
    import tantivy

    from catalogue.index.tantivy_engine import TantivyEngine, _title_key

    # Titles sharing their first 8 bytes and more, equal titles, accents, a
    # title shorter than 8 bytes and an empty one.
    base = ["participatory budget", "participatory budgeting", "participation", "participatory budget",
            "particip", "partici", "", "école ouverte", "ecole ouverte", "zeta", "Éco", "participatory",
            "a", "participatory budget", "aa", "participatory b"]  # fmt: skip
    titles = [t if n % 3 == 0 else f"{t} {n % 4}" for n in range(8) for t in base]
    engine = TantivyEngine(tmp_path / "index")
    docs = [doc(f"urn:{i:03d}", {"en": t or "untitled"}, sort_title=t or " ", theme=f"t{i % 2}") for i, t in enumerate(titles)]
    engine.add(docs)
    engine.commit()
    searcher, _ = engine._snapshot()
    assert [_title_key(t) for t in sorted(titles, key=str.encode)] == sorted(_title_key(t) for t in titles)

    def text_order(query: tantivy.Query) -> list[str]:
        found = searcher.search(query, 1000, order_by_field="sort_title", order=tantivy.Order.Asc).hits
        return [searcher.doc(address).get_first("uri") for _, address in found]

    for filters, query in (({}, tantivy.Query.all_query()),
                           ({"theme": ("t1",)}, engine._combine(None, [f.query for f in engine._filter_queries({"theme": ("t1",)}).values()]))):  # fmt: skip
        expected = text_order(query)
        for limit in (1, 7, 20):
            for offset in range(len(expected) + 2):
                page = engine.search(Query(text="", filters=filters, facets=(), sort="title", offset=offset, limit=limit))
                assert [hit.uri for hit in page.hits] == expected[offset : offset + limit], (filters, offset, limit)
                assert page.total == len(expected)


# --- what a hit reads ------------------------------------------------------


def test_a_hit_reads_a_stored_document_without_the_labels(tmp_path: Path) -> None:
    # Tantivy reads a hit's whole stored document: the labels (as long as the
    # texts) are indexed only, and "did you mean" lists their words from the
    # term dictionary instead, at one edit and at two.
    from catalogue.index.tantivy_engine import TantivyEngine

    engine = TantivyEngine(tmp_path / "index")
    engine.add([doc("urn:a", {"en": "Water board"}, {"en": "Flood maps"}, labels="Umweltschutz Wasserwirtschaft")])
    engine.commit()
    searcher = engine._searcher()
    stored = searcher.doc(searcher.search(engine._own("urn:a"), 1).hits[0][1])
    assert sorted(stored.to_dict()) == ["payload", "uri", "version"]
    assert engine.search(Query(text="wasserwirtschaft")).total == 1  # still found by its labels
    assert engine.search(Query(text="umweltschuts")).suggestion == "umweltschutz"
    assert engine.search(Query(text="wassrewirtschft")).suggestion == "wasserwirtschaft"
