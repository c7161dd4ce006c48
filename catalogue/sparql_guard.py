"""Screening a SPARQL query before anything evaluates it: its size, its form
(SELECT, ASK, CONSTRUCT, DESCRIBE; updates are refused) and SERVICE.

Why a lexer and not a parser: rdflib's parser took ~40 ms on a typical query
and overflowed the recursion limit on a 40 KB one, and pyoxigraph exposes no
parser without an evaluator. SERVICE is a keyword, so it can only hide where
a lexer sees opaque text: IRIs, strings, comments, variables, blank-node
labels, the local part of prefixed names and language tags. We blank exactly
those spans (with the SPARQL 1.1 grammar's own terminal rules) and refuse the
query when "SERVICE" appears anywhere in what is left, in any case, glued to
anything: Oxigraph 0.5 reads `SERVICEx:y { ... }` as SERVICE with the IRI
`x:y` and would fetch it. A prefix name containing "service" is refused too
(a false alarm we accept). The same check runs on the text with \\u escapes
decoded, in case a parser decodes them first.

With a remote store the screened query goes on to the server's own
endpoint, so what reaches outside SPARQL 1.1 there is refused too, for
every backend: Virtuoso's `DEFINE` pragmas (they switch on fetching URLs,
the "sponger") and its `bif:` and `sql:` functions (SQL built-ins). Both
checks are as conservative as the SERVICE one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "USING"}
)


class QueryRejected(ValueError):
    """The query is refused before evaluation; `status` is the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Screened:
    text: str
    form: str | None  # SELECT, CONSTRUCT, DESCRIBE, ASK; None if not recognisable (the engine will say why)


# --- the SPARQL 1.1 terminals (https://www.w3.org/TR/sparql11-query/#grammar) ---

_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_U = _BASE + "_"
_CHARS = _U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_ECHAR = r"""\\[tbnrf\\"']"""
_PN_PREFIX = f"[{_BASE}](?:[{_CHARS}.]*[{_CHARS}])?"
_PN_LOCAL = f"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_CHARS}.:]|{_PLX})*(?:[{_CHARS}:]|{_PLX}))?"
_VARNAME = f"[{_U}0-9][{_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"

_TOKEN = re.compile(
    "|".join(
        [
            r"(?P<comment>#[^\r\n]*)",
            r"(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)",
            rf"(?P<string>'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}))*'''"
            rf'|"""(?:(?:"|"")?(?:[^"\\]|{_ECHAR}))*"""'
            rf"|'(?:[^'\\\n\r]|{_ECHAR})*'"
            rf'|"(?:[^"\\\n\r]|{_ECHAR})*")'
            r"(?P<lang>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)?",
            f"(?P<var>[?$]{_VARNAME})",
            f"(?P<bnode>_:[{_U}0-9](?:[{_CHARS}.]*[{_CHARS}])?)",
            f"(?P<pname>(?:{_PN_PREFIX})?:)(?P<local>{_PN_LOCAL})?",
            r"(?P<plain>[^#<'\"?$:_@]+)",
        ]
    )
)
_EXTENSION_PREFIX = re.compile(r"(?<![A-Za-z0-9_.\-\u00b7])(?:BIF|SQL):")  # in the visible text
_EXTENSION_IRI = re.compile(r"<\s*(?:bif|sql):", re.IGNORECASE)  # <bif:sleep>, PREFIX x: <bif:>
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*:?|:")


def visible_text(query: str) -> str:
    """The query with every opaque span (IRI, string, comment, variable,
    blank-node label, local name, language tag) replaced by a space: what is
    left are keywords, prefix names, numbers and punctuation."""
    out: list[str] = []
    pos, end = 0, len(query)
    while pos < end:
        match = _TOKEN.match(query, pos)
        if match is None:  # a lone special character: keep it, move on
            out.append(query[pos])
            pos += 1
            continue
        kind = match.lastgroup
        if kind == "plain":
            out.append(match.group())
        elif kind in ("pname", "local"):
            out.append(match.group("pname") + " ")
        else:
            out.append(" ")
        pos = match.end()
    return "".join(out)


def _decoded(query: str) -> str:
    def char(m: re.Match[str]) -> str:
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except (ValueError, OverflowError):
            return m.group()

    return _ESCAPE.sub(char, query)


def uses_service(query: str) -> bool:
    """True when SERVICE may be evaluated anywhere in the query (nested,
    in OPTIONAL, EXISTS, sub-queries ...): conservative by design."""
    texts = [query] + ([_decoded(query)] if "\\u" in query or "\\U" in query else [])
    return any("SERVICE" in visible_text(text).upper() for text in texts)


def uses_server_extensions(query: str) -> str | None:
    """What the query uses beyond SPARQL 1.1 that a server would run (Virtuoso's
    DEFINE pragmas, bif: and sql: functions), or None."""
    texts = [query] + ([_decoded(query)] if "\\u" in query or "\\U" in query else [])
    for text in texts:
        visible = visible_text(text).upper()
        if "DEFINE" in visible:
            return "DEFINE pragmas"
        if _EXTENSION_PREFIX.search(visible) or _EXTENSION_IRI.search(text):
            return "bif: and sql: functions"
    return None


def query_form(visible: str) -> str | None:
    """The first keyword after the prologue (BASE and PREFIX declarations)."""
    for word in _WORD.findall(visible):
        upper = word.upper()
        if upper in ("BASE", "PREFIX") or word.endswith(":"):
            continue
        return upper
    return None


def screen(query: str, max_bytes: int) -> Screened:
    """Check a query before evaluation (raises QueryRejected)."""
    size = len(query.encode("utf-8"))
    if size > max_bytes:
        raise QueryRejected(413, f"The query is {size:,} bytes long; this endpoint accepts at most {max_bytes:,}.")
    if not query.strip():
        raise QueryRejected(400, "The query is empty.")
    if "\x00" in query:
        raise QueryRejected(400, "The query contains a NUL character.")
    form = query_form(visible_text(query))
    if form in UPDATE_KEYWORDS:
        raise QueryRejected(403, "This endpoint is read-only: SPARQL Update operations are not accepted.")
    if uses_service(query):
        raise QueryRejected(
            403, "SERVICE is not allowed: this endpoint never sends requests to other hosts on a visitor's behalf."
        )
    extension = uses_server_extensions(query)
    if extension:
        raise QueryRejected(403, f"Only SPARQL 1.1 is accepted here: {extension} of a particular server are not.")
    return Screened(text=query, form=form if form in FORMS else None)
