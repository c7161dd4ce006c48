"""The Jinja2 environment over `site/templates`, shared by the server and
the static site builder (one renderer, two outputs)."""

from __future__ import annotations

import hashlib
import shutil
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup, escape

import catalogue

from ..index import Hit
from . import alternates, formats, i18n
from .i18n import DEFAULT, LANGUAGES, translations
from .links import Links, linkable
from .static_gettext import StaticGettext
from .views import Site

if TYPE_CHECKING:
    from starlette.templating import Jinja2Templates


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
        fragments={"text_section": text_section, "paragraphs": paragraphs, "concept_list": concept_list,
                   "outlink": outlink, "hit_items": hit_items,
                   "entity_links": entity_links},  # fmt: skip
        page_schema_org=alternates.data_for,
    )
    env.filters.update(
        number=lambda v: _number(v, lang),
        money=lambda v: formats.money(v, lang),
        day=lambda v: _day(v.date() if isinstance(v, datetime) else v, lang),
        moment=lambda v: formats.moment(v, lang),
        concept=lambda code, facet: formats.concept(facet, code, lang),
        langattr=lang_attribute,
    )
    env.tests["linkable"] = linkable
    return env


# --- compiled templates kept between processes -----------------------------------
#
# Compiling the templates costs ~0.3 s per language and process, most of a
# small incremental `build-site`. Jinja2 can keep the compiled code on disk
# and checks each template's source itself (a bucket's checksum); the folder
# is named by everything else the code depends on: StaticGettext writes the
# language's translations into it, and this module, the extension and the
# versions of Jinja2, Babel and Python shape it.


class CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """One language's compiled templates in one folder (Jinja2 writes each
    file aside and renames it: processes of one build can share it)."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass  # a folder that cannot be written costs the compiling, nothing else


@cache
def compiled_key(lang: str) -> str:
    """What the compiled templates of `lang` depend on, besides their sources."""
    digest = hashlib.sha256(f"{lang}\0{sys.version}\0".encode())
    for package in ("jinja2", "babel"):
        digest.update(f"{package} {metadata.version(package)}\0".encode())
    here = Path(__file__).parent
    for name in ("templates.py", "static_gettext.py", "i18n.py"):
        digest.update((here / name).read_bytes())
    digest.update(i18n.po_source(lang))  # the same bytes `translations(lang)` compiles
    return digest.hexdigest()[:20]


def use_compiled_cache(root: Path | None, languages: Iterable[str]) -> None:
    """Keep the compiled templates of these languages under `root`, one
    folder per language (`{lang}-{key}`; a folder of another key is
    removed, so the cache holds one set of templates per language), or
    stop keeping them (`root` None). Affects this process's environments."""
    for lang in languages:
        env = environment(lang)
        if root is None:
            env.bytecode_cache = None
            continue
        lang = lang if lang in LANGUAGES else DEFAULT
        folder = root / f"{lang}-{compiled_key(lang)}"
        if not folder.is_dir():
            for stale in root.glob(f"{lang}-*"):
                shutil.rmtree(stale, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
        env.bytecode_cache = CompiledTemplates(str(folder), "%s.cache")


@lru_cache(maxsize=1024)
def lang_attribute(tag: str | None) -> Markup:
    """` lang="xx"` for a known language tag, nothing otherwise."""
    return Markup(' lang="%s"') % tag if tag else Markup("")


# Babel's formatting is slow next to a page's other work, and a build shows
# the same few dates (the day of a harvest) and counts on most of its pages.
@lru_cache(maxsize=4096)
def _day(value: date, lang: str) -> str:
    return formats.day(value, lang)


@lru_cache(maxsize=4096, typed=True)
def _number(value: int | float | Decimal, lang: str) -> str:
    return formats.number(value, lang)


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
    from starlette.templating import Jinja2Templates  # the server's: the static build goes without

    return Jinja2Templates(env=environment(lang))


# --- fragments drawn on most pages -------------------------------------------------
#
# The hottest macros of `_macros.html` (several on every practice page, fifty
# on a listing page), written in Python: a Jinja macro call cost more than
# the markup it returns. `_macros.html` exports these under the macros' names,
# so templates call `m.text_section(...)` as before. Every value goes through
# `escape` (or `Markup %`, which escapes its arguments), as `{{ }}` does.


@jinja2.pass_context
def text_section(ctx: jinja2.runtime.Context, texts: dict[str, str], id: str, heading: str) -> Markup:  # noqa: A002
    """A heading and the text in the page's language (nothing without text)."""
    tag, value = pick(texts, ctx.resolve_or_missing("lang"))
    if not value:
        return Markup("")
    i = escape(id)
    return Markup(
        f'<section class="text-section" aria-labelledby="{i}">\n  <h2 id="{i}">{escape(heading)}</h2>\n'
        f"  <div{lang_attribute(tag)}>{paragraphs(value)}</div>\n</section>\n"
    )


def paragraphs(text: str) -> Markup:
    """Text with blank lines between paragraphs, as <p>s."""
    return Markup("".join(f"<p>{escape(part.strip())}</p>" for part in text.split("\n\n") if part.strip()))


@jinja2.pass_context
def concept_list(ctx: jinja2.runtime.Context, facet: str, codes: list[str], linked: bool = False) -> Markup:
    """Concept labels separated by commas, linked to their listings when asked."""
    label = ctx.environment.filters["concept"]
    if not linked:
        return Markup(", ".join(escape(label(code, facet)) for code in codes))
    links = ctx.resolve_or_missing("links")
    return Markup(", ".join(f'<a href="{escape(links.url(facet, code))}">{escape(label(code, facet))}</a>' for code in codes))


def outlink(url: str, text: str | None = None) -> Markup:
    """A harvested URL: a link when it is http(s) or mailto, else inert text."""
    if linkable(url):
        return Markup(f'<a href="{escape(url)}" rel="nofollow noopener noreferrer" class="external">{escape(text or url)}</a>')
    if text and text != url:
        return Markup(f'<span class="inert">{escape(text)} <code>{escape(url)}</code></span>')
    return Markup(f'<span class="inert">{escape(url)}</span>')


@jinja2.pass_context
def hit_item(ctx: jinja2.runtime.Context, hit: Hit, heading: str = "h3") -> Markup:
    """One result of a search or listing: title, snippet (the index's HTML,
    escaped there), classification."""
    href = ctx.resolve_or_missing("links").entity(hit.uri, ctx.resolve_or_missing("site").base_uri)
    h = escape(heading)
    out = f'<li class="result">\n  <{h} class="result-title"><a href="{escape(href)}"{lang_attribute(hit.lang)}>{escape(hit.title)}</a></{h}>\n'
    if hit.snippet:
        out += f'<p class="snippet"{lang_attribute(hit.snippet_lang)}>{hit.snippet}</p>'
    facets = hit.facets
    if facets.get("country") or facets.get("theme") or facets.get("maturity"):
        label = ctx.environment.filters["concept"]
        tags = [("country", " tag-country", facets.get("country", ())), ("maturity", " tag-maturity", facets.get("maturity", ())),
                ("theme", "", facets.get("theme", ())[:3])]  # fmt: skip
        items = "".join(f'<li class="tag{css}">{escape(label(c, facet))}</li>' for facet, css, codes in tags for c in codes)
        classification = escape(_static(ctx)("Classification"))
        out += f'  <ul class="tags" aria-label="{classification}">\n{items}  </ul>\n'
    return Markup(out + "</li>")


@jinja2.pass_context
def hit_items(ctx: jinja2.runtime.Context, hits: list[Hit], heading: str = "h3") -> Markup:
    """`hit_item` of each hit, one after the other: one call from the
    template's loop-free code, where a call inside a `{% for %}` made Jinja
    copy the page's context for every hit."""
    return Markup("".join([hit_item(ctx, hit, heading) for hit in hits]))


@jinja2.pass_context
def entity_links(ctx: jinja2.runtime.Context, uris: list[str], names: dict[str, str]) -> Markup:
    """Entities by name, linked to their pages where they are ours."""
    links, base = ctx.resolve_or_missing("links"), ctx.resolve_or_missing("site").base_uri
    out = []
    for uri in uris:
        href, name = links.entity(uri, base), escape(names.get(uri, uri))
        out.append(f'<a href="{escape(href)}">{name}</a>' if href else str(name))
    return Markup("; ".join(out))


def _static(ctx: jinja2.runtime.Context) -> Callable[[str], str]:
    """The environment's gettext for messages without variables (StaticGettext's)."""
    return ctx.environment.static_gettext  # type: ignore[attr-defined,no-any-return]
