"""The languages of the user interface: gettext catalogues and negotiation.

Catalogues are Babel `.po` files in `catalogue/locale/<lang>/LC_MESSAGES/`,
compiled in memory the first time a language is used: nothing to compile at
install or build time, so a wheel and a fresh checkout behave alike.
`messages.pot` is extracted from `site/templates` (`make messages`).

The language of a request: an explicit `lang` parameter, else the best match
of the `Accept-Language` header, else English.
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DEFAULT = "en"
# code -> the language's name in itself (what the switcher shows).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "it": "Italiano",
    "es": "Español",
}
DOMAIN = "messages"


def po_path(lang: str) -> str:
    """Where the catalogue of `lang` lives inside the package (relative)."""
    return f"locale/{lang}/LC_MESSAGES/{DOMAIN}.po"


def po_source(lang: str) -> bytes:
    """The `.po` file of `lang` as `translations` reads it (none for English):
    what the compiled templates of `lang` are kept under (templates.py)."""
    if lang == DEFAULT or lang not in LANGUAGES:
        return b""
    return resources.files("catalogue").joinpath(po_path(lang)).read_bytes()


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of `lang` (English: the message ids themselves)."""
    if lang == DEFAULT or lang not in LANGUAGES:
        return NullTranslations()
    catalog = read_po(io.BytesIO(po_source(lang)), locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def supported(lang: str | None) -> str | None:
    """`lang` if it is one of ours ('fr', 'FR', 'fr-BE' -> 'fr'), else None."""
    if not lang:
        return None
    primary = lang.strip().split("-", 1)[0].split("_", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def parse_accept_language(header: str) -> list[str]:
    """Language tags of an Accept-Language header, best first (q=0 dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:50]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _q, _pos, tag in sorted(weighted)]


def negotiate(explicit: str | None, accept_language: str | None) -> tuple[str, bool]:
    """(language, chosen explicitly). A bad explicit value falls back quietly:
    a page is better in the visitor's language than an error."""
    chosen = supported(explicit)
    if chosen:
        return chosen, True
    for tag in parse_accept_language(accept_language or ""):
        if tag == "*":
            break
        found = supported(tag)
        if found:
            return found, False
    return DEFAULT, False
