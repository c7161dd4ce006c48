"""`catalogue.index.highlight` gives tantivy's snippets: the same fragment and
the same marks as tantivy's own `SnippetGenerator`, on generated text full of
edge cases and on real case records, and hands back what it cannot split."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import tantivy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.index import analysis as an
from catalogue.index import highlight
from catalogue.index.tantivy_engine import TantivyEngine, _Snippets

from test_engines import doc  # tests/index is on sys.path (rootdir-relative test modules)

# Words with accents, capitals, digits, around the 40-byte limit, and
# forms that share a stem ("budget", "budgets", "Budgeting").
WORDS = [
    "budget", "budgets", "Budgeting", "participatory", "PARTICIPATION", "open", "data", "données", "ouvertes",
    "Bürger", "beteiligung", "ciudadanía", "presupuesto", "partecipativo", "città", "2020", "x1", "a",
    "Straßenverkehrsordnungswiederherstellungsgesetzbuch", "é", "naïve", "œuvre", "ĳssel", "Ωmega", "данные",
    "k" * 39, "L" * 40, "é" * 19 + "e", "é" * 20,  # tantivy drops words of 40 bytes or more
]  # fmt: skip
SEPARATORS = [" ", "  ", ", ", ". ", "\n", "’", " « ", " » ", " – ", "…", "\u00a0", "_", "-", "/", "(", ") ", "'", "€", "°"]
LANGUAGES = ["en", "fr", "de", "es", "it", "xx"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TantivyEngine]:
    """An index where every word of `WORDS` is in every language's text field."""
    opened = TantivyEngine(tmp_path_factory.mktemp("highlight") / "index")
    text = " ".join(WORDS)
    opened.add([doc(f"urn:{lang}", {lang: "title"}, {lang: text}) for lang in LANGUAGES])
    opened.commit()
    yield opened
    opened.close()


def both(engine: TantivyEngine, query: str, lang: str, text: str) -> tuple[str | None, str | None]:
    """The snippet HTML of `text` by `highlight` and by tantivy's generator."""
    searcher, generation = engine._snapshot()
    cleaned = an.clean_query(query)
    parsed = engine._text_query(cleaned, engine._present_fields(searcher, generation))
    ours = _Snippets(engine, searcher, generation, parsed, cleaned)
    theirs = _Snippets(engine, searcher, generation, parsed, cleaned)
    theirs._words = None  # tantivy's SnippetGenerator, always
    return ours._mark(lang, text), theirs._mark(lang, text)


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), min_size=0, max_size=150))
    lead = draw(st.sampled_from(["", " ", "… ", "__"]))
    return lead + "".join(word + sep for word, sep in parts)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=texts(),
    query=st.lists(st.sampled_from(WORDS + ["absent"]), min_size=1, max_size=3).map(" ".join),
    lang=st.sampled_from(LANGUAGES),
)
def test_the_same_snippet_as_tantivys_generator(engine: TantivyEngine, text: str, query: str, lang: str) -> None:
    ours, theirs = both(engine, query, lang, text)
    assert ours == theirs


def test_a_match_past_the_first_fragments_and_one_across_the_limit(engine: TantivyEngine) -> None:
    filler = "open " * 39 + "dat "  # 199 bytes: "data" below crosses the 200-byte limit
    dropped = "open " * 36 + "L" * 40 + " data " + "é" * 20 + " data budget"  # dropped words across limits
    for text in (filler + "data budget", "x " * 300 + "budgets, data " + "y " * 300, "données " * 100, dropped):
        for query in ("data", "budget data", "données"):
            ours, theirs = both(engine, query, "fr", text)
            assert ours == theirs
    # Fragments are cut from the start of the text, not around the match: here
    # "budget" begins the third one, and ends the text.
    assert both(engine, "budget", "en", "a " * 200 + "budget") == ("…<mark>budget</mark>",) * 2


def test_text_with_characters_it_does_not_split_goes_to_tantivy(engine: TantivyEngine) -> None:
    # Circled letters are alphanumeric to Rust, not to Python; Hebrew points likewise.
    for odd in ("ⓑudget", "budget\u05b0s", "naïve\u0345"):
        text = f"open {odd} budget data"
        assert highlight.Highlighter(highlight.vocabulary("t", str.split), {"budget": 0.5}, 200).fragment(text) is highlight.UNSAFE
        ours, theirs = both(engine, "budget", "en", text)
        assert ours == theirs and "<mark>budget</mark>" in (ours or "")


def test_a_query_with_syntax_is_highlighted_by_tantivy(engine: TantivyEngine) -> None:
    searcher, generation = engine._snapshot()
    for query in ('"open data"', "open -data", "open AND data", "open-data"):
        parsed = engine._text_query(query, engine._present_fields(searcher, generation))
        assert _Snippets(engine, searcher, generation, parsed, query)._words is None
    assert _Snippets(engine, searcher, generation, None, "open data")._words == ["open", "data"]


def test_the_vocabulary_starts_again_past_its_bound(engine: TantivyEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(highlight, "_MAX_KNOWN_WORDS", 5)
    monkeypatch.setattr(highlight, "_VOCABULARIES", {})
    text = " ".join(WORDS) + " budget"
    for _ in range(3):
        ours, theirs = both(engine, "budget open", "en", text)
        assert ours == theirs and ours is not None and ours.count("<mark>") == 4
    assert all(len(v.forms) <= len(WORDS) for v in highlight._VOCABULARIES.values())


def test_safe_characters_are_word_characters_exactly_when_tantivy_says_so() -> None:
    words = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).build()
    disagree = [
        hex(code)
        for low, high in highlight.SAFE_RANGES
        for code in range(low, high + 1)
        if not 0xD800 <= code <= 0xDFFF and (words.analyze(f"a{chr(code)}b") == [f"a{chr(code)}b"]) != chr(code).isalnum()
    ]
    assert disagree == []


def test_every_python_alphanumeric_is_a_word_character_to_tantivy() -> None:
    # What lets text whose non-ASCII characters are all alphanumeric skip the
    # search for separators (the reverse is not true: see SAFE_RANGES).
    alnum = [chr(code) for code in range(0x80, 0x110000) if not 0xD800 <= code <= 0xDFFF and chr(code).isalnum()]
    words = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).build().analyze(" ".join(f"a{c}b" for c in alnum))
    assert len(alnum) > 100_000 and words == [f"a{c}b" for c in alnum]


def test_scores_are_tantivys_32_bit_floats() -> None:
    assert highlight.term_score(2) == pytest.approx(1 / 3) and highlight.term_score(2) != 1 / 3
    assert highlight.f32(0.1) == 0.10000000149011612


def test_real_case_records_get_tantivys_snippets(shared_fixtures: Path, tmp_path: Path) -> None:
    """JRC IPS-X case descriptions (English, French, Italian, with their own
    punctuation): each queried by some of its own words."""
    descriptions = [
        case["description"]
        for path in sorted((shared_fixtures / "practices" / "ips-x").glob("*-cases-*.json"))
        for case in json.loads(path.read_text(encoding="utf-8"))
        if case.get("description")
    ]
    assert len(descriptions) > 100
    engine = TantivyEngine(tmp_path / "index")
    engine.add([doc(f"urn:{i}", {"en": "case"}, {"en": text, "it": text}) for i, text in enumerate(descriptions)])
    engine.commit()
    compared = Counter()
    for i, text in enumerate(descriptions[:400]):
        words = [w for w in text.split() if w.isalnum()]
        for query in (words[i % len(words)] if words else "open", " ".join(words[-2:]) or "data"):
            for lang in ("en", "it"):
                ours, theirs = both(engine, query, lang, text)
                assert ours == theirs, (query, lang, text)
                compared[ours is not None] += 1
    assert compared[True] > 500
    engine.close()
