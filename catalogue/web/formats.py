"""Numbers, dates and money as each language writes them (Babel's CLDR data),
and concept labels from the SKOS vocabularies: the template filters."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

import vocab

from ..search import facet_label

# English for a European audience: day before month, 24-hour clock.
_LOCALES = {"en": "en_IE"}


def locale(lang: str) -> str:
    return _LOCALES.get(lang, lang)


def number(value: int | float | Decimal, lang: str) -> str:
    return format_decimal(value, locale=locale(lang))


def money(value: Decimal | float, lang: str) -> str:
    return format_currency(value, "EUR", locale=locale(lang), format_type="standard")


def day(value: date | datetime, lang: str) -> str:
    """'22 November 2026', '22 novembre 2026'."""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, format="long", locale=locale(lang))


def moment(value: datetime, lang: str) -> str:
    """Date and time, in UTC as stored."""
    return format_datetime(value, format="medium", tzinfo=value.tzinfo, locale=locale(lang))


def concept(facet: str, code: str, lang: str) -> str:
    """The label of a facet value (a concept of our schemes) in `lang`."""
    return facet_label(facet, code, lang)


def sort_key(text: str) -> str:
    """Sort labels the way a reader expects: accents and case ignored."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


@cache
def known_codes(facet: str) -> frozenset[str]:
    """The codes a listing page may be asked for ('country', 'theme')."""
    return vocab.concept_codes(facet)


@cache
def maturity_order() -> tuple[str, ...]:
    """Maturity codes by their rank (idea ... scaled), then 'discontinued' (rank 0)."""
    from rdflib import URIRef

    graph = vocab.schemes()
    ranked = []
    for code in known_codes("maturity"):
        rank = graph.value(URIRef(str(vocab.MATURITY) + code), vocab.GPC.rank)
        value = int(str(rank)) if rank is not None else 99
        ranked.append((value if value > 0 else 98, code))
    return tuple(code for _rank, code in sorted(ranked))
