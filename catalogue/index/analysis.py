"""Language knowledge and text helpers shared by both search engines.

Both engines index the same fields with the same analysis chain, so that a
query behaves the same whichever engine answers it:

* `title_<lang>` / `text_<lang>` for every language in `INDEXED_LANGUAGES`,
  analysed as: split on non-alphanumerics, drop tokens over 40 characters,
  lower-case, fold accents to ASCII, then stem when the language has a
  Snowball stemmer in *that engine* (`STEMMERS`); otherwise no stemming.
* `title_other` / `text_other` for text in any other language (plain folded).
* `all`: every title, text and the concept labels, plain folded (no stemmer),
  which carries the cross-lingual labels and the "did you mean" vocabulary.

Folding happens *before* stemming so that "reutilisation" and
"réutilisation" always reach the stemmer as the same string.

The module also holds the engine-neutral pieces of query handling (cleaning
hostile input, spelling suggestions, snippet markup) so both engines apply
exactly the same rules.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from pydantic_core import from_json

from catalogue.index.base import FACETS, Hit, IndexDoc, QuerySyntaxError

# The EU's 24 official languages: each gets its own pair of fields.
INDEXED_LANGUAGES: tuple[str, ...] = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
)  # fmt: skip

# Snowball stemmer names (tantivy's `Filter.stemmer` spelling). An engine uses
# one only if its own library has it: whoosh has no Greek stemmer, so Greek is
# plain-folded there (see `WhooshEngine`). Languages absent here (pl, cs, sk,
# sl, hr, bg, lt, lv, et, mt, ga) have no stemmer in either engine.
STEMMERS: Mapping[str, str] = {
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nl": "dutch",
    "pt": "portuguese",
    "ro": "romanian",
    "sv": "swedish",
}

OTHER = "other"  # field key for text in languages outside INDEXED_LANGUAGES
ALL_FIELD = "all"
FIELD_KEYS: tuple[str, ...] = (*INDEXED_LANGUAGES, OTHER)

# Ranking weights: a word in a title counts more than one in the body; the
# `all` field mostly duplicates the others, so it only tips the balance
# (and carries the labels).
TITLE_BOOST = 3.0
TEXT_BOOST = 1.0
ALL_BOOST = 0.5

MAX_TOKEN_CHARS = 40  # longer tokens are noise (URLs, hashes) in both engines
MAX_QUERY_CHARS = 1_000  # hostile input is cut before any parser sees it
MAX_QUERY_WORDS = 32  # each word becomes ~50 field clauses: keep it bounded
SNIPPET_CHARS = 200

# Characters ASCII folding turns into more than one letter. Tantivy's
# `ascii_fold` already does this; whoosh's `accent_map` maps them to nothing
# useful, so the whoosh engine adds these.
MULTI_CHAR_FOLDS: Mapping[str, str] = {
    "ß": "ss",
    "ẞ": "SS",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ĳ": "ij",
    "Ĳ": "IJ",
    "þ": "th",
    "Þ": "TH",
}

# Query words treated as operators by both parsers; never "corrected".
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_WORD_RE = re.compile(r"[^\W_]+")
_AND_NOT_RE = re.compile(r"\bAND\s+NOT\b")


@lru_cache(maxsize=1024)
def field_key(lang: str) -> str:
    """Map a language tag ("en", "EN-gb", "pt_BR", "sw") to its field key."""
    base = re.split(r"[-_]", lang.strip().lower(), maxsplit=1)[0]
    return base if base in INDEXED_LANGUAGES else OTHER


def title_field(key: str) -> str:
    return f"title_{key}"


def text_field(key: str) -> str:
    return f"text_{key}"


def search_fields() -> dict[str, float]:
    """Every field a query searches, with its boost."""
    fields = {}
    for key in FIELD_KEYS:
        fields[title_field(key)] = TITLE_BOOST
        fields[text_field(key)] = TEXT_BOOST
    fields[ALL_FIELD] = ALL_BOOST
    return fields


# --- documents -------------------------------------------------------------


def safe_text(text: str) -> str:
    """Drop lone surrogates, which Rust strings (tantivy) refuse."""
    return text.encode("utf-8", "replace").decode("utf-8")


@dataclass(frozen=True)
class FieldTexts:
    """What one document puts into the language fields, grouped by field key."""

    titles: dict[str, list[str]]
    texts: dict[str, list[str]]
    everything: list[str]  # for the `all` field


def field_texts(doc: IndexDoc) -> FieldTexts:
    titles: dict[str, list[str]] = {}
    texts: dict[str, list[str]] = {}
    for lang, value in doc.title.items():
        if value:
            titles.setdefault(field_key(lang), []).append(safe_text(value))
    for lang, value in doc.text.items():
        if value:
            texts.setdefault(field_key(lang), []).append(safe_text(value))
    everything = [v for vs in titles.values() for v in vs] + [v for vs in texts.values() for v in vs]
    if doc.labels:
        everything.append(safe_text(doc.labels))
    return FieldTexts(titles, texts, everything)


def date_key(date: str) -> int:
    """YYYYMMDD as an int for sorting; missing or odd dates sort oldest (0)."""
    digits = re.sub(r"\D", "", date)[:8]
    if len(digits) < 4:
        return 0
    return int(digits.ljust(8, "0"))


def sort_title(doc: IndexDoc) -> str:
    """The doc's sort key; falls back to its title so untitled-sort docs do not all sort first."""
    return doc.sort_title or pick_title(doc.title, "en").lower()


def facet_values(doc: IndexDoc, facet: str) -> list[str]:
    """A facet's non-empty values, deduplicated, in order."""
    return list(dict.fromkeys(v for v in doc.facets.get(facet, ()) if v))


def payload(doc: IndexDoc) -> str:
    """The stored copy of a doc's display fields (titles, texts, facets).

    Not the concept labels: every hit reads and parses the payload, and the
    labels (as long as the texts) serve only "did you mean"."""
    return json.dumps(
        {
            "title": {k: safe_text(v) for k, v in doc.title.items()},
            "text": {k: safe_text(v) for k, v in doc.text.items()},
            "facets": {k: list(v) for k, v in doc.facets.items()},
        },
        ensure_ascii=False,
    )


def read_payload(raw: str | bytes) -> dict:
    # pydantic-core's parser (already a dependency) reads a hit's payload in
    # about half the time of `json.loads`: 20 of them per search page.
    return from_json(raw)


def hit_facets(stored: Mapping[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in stored.items()}


# --- display ---------------------------------------------------------------


def pick_title(titles: Mapping[str, str], lang: str) -> str:
    """The title in `lang`, else English, else any (first non-empty)."""
    return pick_title_lang(titles, lang)[1]


def pick_title_lang(titles: Mapping[str, str], lang: str) -> tuple[str, str]:
    """(language tag, title) as `pick_title` chooses it: pages mark it with `lang`."""
    for candidate in (lang, "en"):
        if titles.get(candidate):
            return candidate, titles[candidate]
    for lang_tag, title in titles.items():
        if field_key(lang_tag) == field_key(lang) and title:
            return lang_tag, title
    return next(((t, v) for t, v in titles.items() if v), ("", ""))


def snippet_languages(texts: Mapping[str, str], lang: str) -> list[str]:
    """Languages of `texts` in the order a snippet should try them."""
    if len(texts) == 1:  # the usual case, in every order the same
        return [tag for tag, text in texts.items() if text]
    preferred = [lang] if texts.get(lang) else []
    preferred += [t for t in texts if t != lang and field_key(t) == field_key(lang) and texts[t]]
    rest = sorted((t for t in texts if t not in preferred and texts[t]), key=lambda t: (t != "en", t))
    return preferred + rest


def preferred_text(texts: Mapping[str, str], lang: str) -> str:
    """The body text a no-match snippet starts from."""
    return preferred_text_lang(texts, lang)[1]


def preferred_text_lang(texts: Mapping[str, str], lang: str) -> tuple[str, str]:
    """(language tag, body text) a no-match snippet starts from."""
    languages = snippet_languages(texts, lang)
    return (languages[0], texts[languages[0]]) if languages else ("", "")


def _escape(text: str) -> str:
    # html.escape's five C-level replaces: ~10x faster than one str.translate
    # with a dict table, which looks up every character in Python.
    return html.escape(text)


def mark_html(text: str, spans: Iterable[tuple[int, int]], *, lead: bool = False, trail: bool = False) -> str:
    """Escape `text` and wrap the (char offset) spans in <mark>.

    Harvested text is untrusted: everything outside the marks is escaped too.
    `lead`/`trail` add an ellipsis when the fragment is cut from a longer text.
    """
    out = ["…"] if lead else []
    pos = 0
    for start, end in sorted(spans):
        if start < pos or end <= start:
            continue  # overlapping or empty spans: keep the first
        out.append(_escape(text[pos:start]))
        out.append(f"<mark>{_escape(text[start:end])}</mark>")
        pos = end
    out.append(_escape(text[pos:]))
    if trail:
        out.append("…")
    return "".join(out)


def snippet(texts: Mapping[str, str], lang: str, mark: Callable[[str, str], str | None] | None) -> tuple[str, str]:
    """(language tag, snippet HTML) of a hit.

    `mark(tag, text)` is the engine's highlighter: the marked fragment of a
    text, or None when no query word is in it. Languages are tried in
    `snippet_languages` order; when none matches (or there is no text query,
    `mark` None) the snippet is the start of the preferred text.
    """
    if mark is not None:
        for tag in snippet_languages(texts, lang):
            marked = mark(tag, texts[tag])
            if marked:
                return tag, marked
    text_lang, text = preferred_text_lang(texts, lang)
    return text_lang, excerpt_html(text)


def stored_hit(uri: str, score: float, stored: Mapping, lang: str, snippet_of: tuple[str, str]) -> Hit:
    """A hit from a document's stored payload (`payload`) and its (language, snippet)."""
    title_lang, title = pick_title_lang(stored["title"], lang)
    snippet_lang, html_snippet = snippet_of
    return Hit(
        uri=uri,
        score=score,
        title=title,
        snippet=html_snippet,
        facets=hit_facets(stored["facets"]),
        lang=title_lang,
        snippet_lang=snippet_lang,
        titles=stored["title"],
    )


def excerpt_html(text: str, max_chars: int = SNIPPET_CHARS) -> str:
    """The start of `text`, escaped, cut at a word boundary: the no-match snippet."""
    # Collapsing the spaces of a prefix gives a prefix of the collapsed text:
    # when that is already long enough, the rest of the text cannot matter.
    head = " ".join(text[: 4 * max_chars].split())
    text = head if len(head) > max_chars else " ".join(text.split())
    if len(text) <= max_chars:
        return _escape(text)
    cut = text[:max_chars].rsplit(" ", 1)[0] or text[:max_chars]
    return _escape(cut) + "…"


# --- query text ------------------------------------------------------------


def clean_query(text: str) -> str:
    """Make raw user text safe to hand to a lenient query parser.

    Cuts the length, removes control, format and unassigned characters, and
    turns ':' into a space: field addressing (`uri:x`, `date:[0 TO 9]`) is not
    part of the public syntax, while words, quotes, +/- and AND/OR/NOT are.
    """
    chars = []
    for ch in text[:MAX_QUERY_CHARS]:
        category = unicodedata.category(ch)
        if category == "Cf":
            continue  # soft hyphen, zero-width joiner: invisible inside words
        chars.append(" " if category[0] == "C" or ch == ":" else ch)
    text = " ".join("".join(chars).split()[:MAX_QUERY_WORDS])
    # tantivy reads "a AND NOT b" as "a AND (nothing but NOT b)", which matches
    # nothing; "a NOT b" means the same to both parsers.
    return _AND_NOT_RE.sub("NOT", text)


def has_words(text: str) -> bool:
    """Whether text has anything to search for; "*", '""' or "---" do not.

    Both engines answer such text with no hits (tantivy alone would read
    some of it as "everything").
    """
    return _WORD_RE.search(text) is not None


def plain_words(text: str) -> str:
    """Only the words, operators lower-cased: the fallback when a parser gives up."""
    return " ".join(w.lower() if w in _OPERATORS else w for w in _WORD_RE.findall(text))


# --- "did you mean" --------------------------------------------------------


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (transpositions cost 1), capped at limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    # Each edit changes the set of letters used by at most two: a cheap bound
    # that spares the table for most words of a candidate list.
    if len(set(a).symmetric_difference(b)) > 2 * limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


def max_edits(word: str) -> int:
    """Short words tolerate one typo, longer ones two (the usual fuzzy rule)."""
    return 1 if len(word) <= 4 else 2


def best_correction(word: str, candidates: Iterable[tuple[str, int]]) -> str | None:
    """The closest candidate term; ties go to the more frequent, then alphabetical."""
    limit = max_edits(word)
    ranked = []
    for term, freq in candidates:
        if term == word or not term:
            continue
        distance = edit_distance(word, term, limit)
        if distance <= limit:
            ranked.append((distance, -freq, term))
    return min(ranked)[2] if ranked else None


def is_known(
    word: str, vocab: Iterable[tuple[str, Callable[[str], list[str]]]], has_term: Callable[[str, str], bool]
) -> bool:
    """Whether some field of `vocab` (field, its analyser) holds every token `word` gives there."""
    for field, analyze in vocab:
        tokens = analyze(word)
        if tokens and all(has_term(field, t) for t in tokens):
            return True
    return False


def suggest_query(
    text: str,
    fold: Callable[[str], list[str]],
    known: Callable[[str], bool],
    candidates: Callable[[str], Iterable[tuple[str, int]]],
) -> str | None:
    """Replace each unknown query word by the closest indexed term.

    The engine supplies `fold` (its plain analyser on one word), `known`
    (is the word in any field's vocabulary, after that field's analysis) and
    `candidates` (indexed `all` terms near a folded word, with doc counts).
    Returns the corrected query, or None when no word needed correcting.
    """
    pieces: list[str] = []
    pos = 0
    changed = False
    for match in _WORD_RE.finditer(text):
        word = match.group()
        tokens = fold(word)
        if word in _OPERATORS or len(tokens) != 1 or len(tokens[0]) < 3 or tokens[0].isdigit():
            continue
        if known(word):
            continue
        best = best_correction(tokens[0], candidates(tokens[0]))
        if best is None:
            continue
        pieces += [text[pos : match.start()], best]
        pos = match.end()
        changed = True
    if not changed:
        return None
    return "".join(pieces) + text[pos:]


# --- facets and related documents ------------------------------------------

# "More like this": sharing a theme outranks sharing a type, which outranks
# text similarity alone (constant scores far above any text score).
RELATED_WEIGHTS: Mapping[str, float] = {"theme": 1_000.0, "type": 100.0}
RELATED_TERMS = 25  # most distinctive words of the doc used for text similarity
RELATED_SPARE = 10  # extra candidates read so that equal scores can be ordered by uri
# Words found in more than this share of the documents (and in more than
# RELATED_COMMON_FLOOR of them) are not used for text similarity: they tell
# little about a document and walking their postings is most of the cost.
RELATED_MAX_DOC_SHARE = 0.02
RELATED_COMMON_FLOOR = 1_000


def related_max_docs(docs: int) -> int:
    """The most documents a word may be found in and still count for "more like this"."""
    return max(int(docs * RELATED_MAX_DOC_SHARE), RELATED_COMMON_FLOOR)


def check_facet(facet: str) -> None:
    if facet not in FACETS:
        raise QuerySyntaxError(f"unknown facet {facet!r}; known facets: {', '.join(FACETS)}")


def facet_groups(facets: Iterable[str], filtered: Collection[str]) -> dict[str | None, list[str]]:
    """The facets to count, grouped by the filter their counts ignore.

    Multi-select rule: a facet's counts ignore its own filter but honour the
    others. Facets without a filter share one count (key None); each filtered
    one is counted on its own.
    """
    groups: dict[str | None, list[str]] = {}
    for facet in dict.fromkeys(facets):
        check_facet(facet)
        groups.setdefault(facet if facet in filtered else None, []).append(facet)
    return groups


def sorted_counts(pairs: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Facet counts by count desc, then value (the order `Result` promises)."""
    # Sorting (-count, value) tuples natively is several times cheaper than a key function.
    ordered = sorted((-count, value) for value, count in pairs if count > 0)
    return [(value, -negated) for negated, value in ordered]
