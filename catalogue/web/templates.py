"""The Jinja2 environment over `site/templates`, shared by the server and
the static site builder (one renderer, two outputs)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup
from starlette.templating import Jinja2Templates

import catalogue

from . import alternates, formats
from .i18n import LANGUAGES, translations
from .links import Links, linkable
from .static_gettext import StaticGettext
from .views import Site


def site_dir() -> Path:
    """`site/` beside the packages in a checkout, `catalogue/_site` in a wheel."""
    packaged = Path(catalogue.__file__).parent / "_site"
    if packaged.is_dir():
        return packaged
    return Path(catalogue.__file__).parent.parent / "site"


def environment(lang: str = "en") -> jinja2.Environment:
    """The environment of one interface language (gettext installed)."""
    return _environment(lang if lang in LANGUAGES else "en")


@cache
def _environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(site_dir() / "templates")),
        autoescape=jinja2.select_autoescape(["html", "xml"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates ship with the package: no stat per render and include
        extensions=["jinja2.ext.i18n", StaticGettext],
    )
    catalog = translations(lang)
    env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    env.extend(static_gettext=catalog.gettext)
    env.globals.update(
        pick=pick,
        lang=lang,
        languages=LANGUAGES,
        links=Links(lang),
        here=("home", "", {}),
        site=Site(),
        concept=lambda facet, code: formats.concept(facet, code, lang),
        # RDF twins and schema.org data in every page's head (issue 5).
        page_alternates=alternates.links_for,
        page_schema_org=alternates.data_for,
    )
    env.filters.update(
        number=lambda v: formats.number(v, lang),
        money=lambda v: formats.money(v, lang),
        day=lambda v: formats.day(v, lang),
        moment=lambda v: formats.moment(v, lang),
        concept=lambda code, facet: formats.concept(facet, code, lang),
        langattr=lang_attribute,
    )
    env.tests["linkable"] = linkable
    return env


def lang_attribute(tag: str | None) -> Markup:
    """` lang="xx"` for a known language tag, nothing otherwise."""
    return Markup(' lang="%s"') % tag if tag else Markup("")


def pick(texts: dict[str, str], lang: str) -> tuple[str, str]:
    """(language, text) in the wanted language, else English, else any."""
    if not texts:
        return ("", "")
    for candidate in (lang, "en"):
        if candidate in texts:
            return (candidate, texts[candidate])
    first = sorted(texts)[0]
    return (first, texts[first])


def templates(lang: str = "en") -> Jinja2Templates:
    return _templates(lang if lang in LANGUAGES else "en")


@cache
def _templates(lang: str) -> Jinja2Templates:
    return Jinja2Templates(env=environment(lang))
