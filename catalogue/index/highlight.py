"""Tantivy's snippet of a text, found without analysing every word again.

tantivy-py's `SnippetGenerator` tokenises and stems every word of a hit's
text while it holds the GIL: ~0.5 µs a word, ~80 µs for a 1 KB description,
most of what rendering a page of hits costs. Its rule (tantivy's `snippet`
module) is simple:

* from the start of the text, cut it at word starts into fragments of at
  most `max_bytes` bytes of UTF-8: the first fragment starts at 0, each next
  one at the first word that would end past the limit, and a fragment ends
  where its last word does;
* score a fragment by adding, for each of its words whose analysed form is a
  query term of the field, `1 / (1 + the term's document frequency)`, in
  32-bit floats;
* keep the best fragment, the earliest of equal ones, and mark its matching
  words.

`Highlighter` applies the same rule with byte-string operations that run in
C: the text's words come from one `bytes.split` (separators turned into
spaces of the same byte length, so offsets stay tantivy's), each distinct
word is analysed once per process (`Vocabulary`, bounded, shared by all
searches), the query's words are found with `bytes.find`, and the fragment
boundaries are reached by jumps of `max_bytes`. The same fragment and marks
come out (the tests compare both).

Words are runs of alphanumeric characters. Every character Python calls
alphanumeric is one to tantivy's simple tokenizer too, and every character of
`SAFE_RANGES` is a separator to both or to neither (tests check all of them).
Text with a separator outside those ranges (Hebrew points, Indic vowel signs,
circled letters: word characters to tantivy only) answers `UNSAFE`, and the
caller asks tantivy.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from catalogue.index.analysis import MAX_TOKEN_CHARS

# Code point ranges where `str.isalnum` agrees with Rust's `char::is_alphanumeric`
# (tantivy's simple tokenizer): Latin, Greek, Cyrillic, punctuation and symbols,
# but not the combining marks of U+0300-U+036F nor the circled letters of U+24B6-U+24E9.
SAFE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x02FF),
    (0x0370, 0x052F),
    (0x1E00, 0x1FFF),
    (0x2000, 0x24B5),
    (0x24EA, 0x2BFF),
    (0x3000, 0x303F),
    (0xFF00, 0xFFEF),
)
_SPACE = 0x20
# Each ASCII byte that is not a letter or digit becomes a space; other bytes stay.
_ASCII_SEPARATORS_TO_SPACES = bytes(b if chr(b).isalnum() else _SPACE for b in range(128)) + bytes(range(128, 256))
_ASCII_BYTES = bytes(range(128))
_NOT_SPACE = re.compile(rb"[^ ]")
_F32 = struct.Struct("<f")
_MAX_KNOWN_WORDS = 200_000  # per analyser (~40 MB at most), then it starts again


class Fragment(NamedTuple):
    """A snippet: the fragment's text, its marked words (char offsets in it),
    and whether text comes before and after it."""

    text: str
    spans: list[tuple[int, int]]
    lead: bool
    trail: bool


UNSAFE = Fragment("", [], False, False)  # characters this module does not split as tantivy does


def f32(value: float) -> float:
    """`value` rounded to a 32-bit float, as tantivy computes scores."""
    return float(_F32.unpack(_F32.pack(value))[0])


def term_score(doc_freq: int) -> float:
    """Tantivy's weight of a query term in a snippet."""
    return f32(1.0 / (1.0 + doc_freq))


def is_safe(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in SAFE_RANGES)


def _words_bytes(text: str) -> tuple[bytes, bytes] | None:
    """(UTF-8 of `text`, the same with every separator a space), or None when
    a non-alphanumeric character of the text is outside `SAFE_RANGES`."""
    if text.isascii():
        raw = text.encode("ascii")
        return raw, raw.translate(_ASCII_SEPARATORS_TO_SPACES)
    raw = text.encode("utf-8")
    # The text's non-ASCII characters alone (ASCII bytes never occur inside a
    # multi-byte character). When all are letters or digits, none separates
    # words: Python's alphanumerics are all alphanumeric to Rust too.
    others = raw.translate(None, _ASCII_BYTES).decode("utf-8")
    if others.isalnum():
        return raw, raw.translate(_ASCII_SEPARATORS_TO_SPACES)
    spaced = text
    for char in {c for c in others if not c.isalnum()}:  # a few (’ « » – …): one C-level replace each
        if not is_safe(char):
            return None
        spaced = spaced.replace(char, " " * len(char.encode("utf-8")))  # the same bytes: offsets stay
    return raw, spaced.encode("utf-8").translate(_ASCII_SEPARATORS_TO_SPACES)


class Vocabulary:
    """The words (UTF-8) one analyser has seen, with their analysed forms, both
    ways. Shared by every search of the process (`vocabulary`): a search
    analyses only the words that no earlier one met."""

    def __init__(self, analyze: Callable[[str], list[str]]) -> None:
        self._analyze = analyze
        self.forms: dict[bytes, str] = {}  # word -> analysed form ("" when the analyser drops it)
        self.words_of: dict[str, list[bytes]] = {}  # lower-cased analysed form -> its words

    def learn(self, words: set[bytes]) -> list[bytes]:
        """Analyse the words not known yet, and return them."""
        new = list(words.difference(self.forms))
        if not new:
            return new
        if len(self.forms) + len(new) > _MAX_KNOWN_WORDS:
            self.forms = {}
            self.words_of = {}
        forms = _analyse(new, self._analyze)
        self.forms.update(zip(new, forms))
        for word, form in zip(new, forms):
            if form:
                self.words_of.setdefault(form.lower(), []).append(word)
        return new


_VOCABULARIES: dict[str, Vocabulary] = {}


def vocabulary(name: str, analyze: Callable[[str], list[str]]) -> Vocabulary:
    """The process's vocabulary of the analyser called `name`."""
    found = _VOCABULARIES.get(name)
    if found is None:
        found = _VOCABULARIES.setdefault(name, Vocabulary(analyze))
    return found


def _analyse(words: list[bytes], analyze: Callable[[str], list[str]]) -> list[str]:
    """The analysed form of each word ("" when dropped), in one call for all."""
    kept = [word.decode("utf-8") for word in words if len(word) < MAX_TOKEN_CHARS]  # `remove_long` counts bytes
    forms = analyze(" ".join(kept)) if kept else []
    if len(forms) != len(kept):  # an analyser that drops or splits words: one at a time
        forms = [next(iter(analyze(word)), "") for word in kept]
    by_word = dict(zip(kept, forms))
    return [by_word.get(word.decode("utf-8"), "") for word in words]


class Highlighter:
    """One search's snippets in one field: `terms` are the field's query terms
    (analysed forms) with their scores, `words` the field analyser's vocabulary."""

    def __init__(self, words: Vocabulary, terms: Mapping[str, float], max_bytes: int) -> None:
        self._vocabulary = words
        self._terms = dict(terms)
        self._max_bytes = max_bytes
        # The known words whose analysed form is a query term (tantivy
        # lower-cases a token before looking it up), with its score.
        self._scores = {word: score for term, score in self._terms.items() for word in words.words_of.get(term, ())}

    def fragment(self, text: str) -> Fragment | None:
        """The best fragment of `text`, None when no query term is in it, or
        `UNSAFE` when the text has characters this module does not handle."""
        if not self._terms:
            return None
        both = _words_bytes(text)
        if both is None:
            return UNSAFE
        raw, spaced = both
        words = set(spaced.split())
        for word in self._vocabulary.learn(words):
            score = self._terms.get(self._vocabulary.forms.get(word, "").lower())
            if score is not None:
                self._scores[word] = score
        found = words.intersection(self._scores)
        if not found:
            return None
        start, stop, spans = self._best(spaced, _occurrences(spaced, found, self._scores))
        return _in_chars(text, raw, start, stop, spans)

    def _best(self, spaced: bytes, found: list[tuple[int, int, float]]) -> tuple[int, int, list[tuple[int, int]]]:
        """(start, stop, marked spans) in bytes of the best fragment."""
        best_score = -1.0
        best: tuple[int, int, list[tuple[int, int]]] = (0, 0, [])
        start = 0
        i = 0
        end_of_text = len(spaced) + 1
        while i < len(found):
            limit = start + self._max_bytes
            following = _first_word_ending_after(spaced, limit)
            boundary = end_of_text if following is None else following
            score = 0.0
            spans = []
            while i < len(found) and found[i][0] < boundary:
                begin, end, weight = found[i]
                score = f32(score + weight)
                spans.append((begin, end))
                i += 1
            if score > best_score:
                best_score, best = score, (start, limit, spans)
            if following is None:
                break
            start = following
        start, limit, spans = best
        return start, _last_word_end(spaced, limit, spans[-1][0]), spans


def _occurrences(spaced: bytes, words: Iterable[bytes], scores: Mapping[bytes, float]) -> list[tuple[int, int, float]]:
    """(start, end, score) of every occurrence of `words` as whole words, in text order."""
    padded = b" " + spaced + b" "
    out = []
    for word in words:
        needle = b" " + word + b" "
        at = padded.find(needle)
        while at >= 0:
            out.append((at, at + len(word), scores[word]))  # `at` in `padded` is the word's start in `spaced`
            at = padded.find(needle, at + len(word) + 1)
    out.sort()
    return out


def _first_word_ending_after(spaced: bytes, limit: int) -> int | None:
    """Start of the first kept word that ends after byte `limit`."""
    pos = limit
    while pos < len(spaced):
        if spaced[pos] == _SPACE:
            found = _NOT_SPACE.search(spaced, pos)
            if found is None:
                return None
            begin = found.start()
        else:
            begin = spaced.rfind(b" ", 0, pos) + 1  # the word holding `pos` ends after it
        end = spaced.find(b" ", begin)
        if end < 0:
            end = len(spaced)
        if end - begin < MAX_TOKEN_CHARS:  # `remove_long` drops the longer ones
            return begin
        pos = end
    return None


def _last_word_end(spaced: bytes, limit: int, floor: int) -> int:
    """End of the last kept word that ends by byte `limit`; the word at `floor` is one."""
    pos = limit
    if 0 < pos < len(spaced) and spaced[pos] != _SPACE and spaced[pos - 1] != _SPACE:
        pos = spaced.rfind(b" ", 0, pos) + 1  # a word across the limit is not in the fragment
    while True:
        end = len(spaced[:pos].rstrip(b" "))
        begin = spaced.rfind(b" ", 0, end) + 1
        if end - begin < MAX_TOKEN_CHARS or begin <= floor:
            return end
        pos = begin


def _in_chars(text: str, raw: bytes, start: int, stop: int, spans: list[tuple[int, int]]) -> Fragment:
    """The fragment at bytes start:stop, with its spans, in characters."""
    lead, trail = start > 0, stop < len(raw)
    if len(raw) == len(text):  # ASCII: bytes are characters
        return Fragment(text[start:stop], [(a - start, b - start) for a, b in spans], lead, trail)
    piece = raw[start:stop]
    spans_in_chars = []
    at_byte = at_char = 0
    for begin, end in spans:  # each piece of bytes decoded once
        at_char += len(piece[at_byte : begin - start].decode("utf-8"))
        first = at_char
        at_char += len(piece[begin - start : end - start].decode("utf-8"))
        at_byte = end - start
        spans_in_chars.append((first, at_char))
    return Fragment(piece.decode("utf-8"), spans_in_chars, lead, trail)
