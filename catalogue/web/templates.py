"""The Jinja2 environment over `site/templates`, shared by the server and
the static site builder (one renderer, two outputs)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from starlette.templating import Jinja2Templates

import catalogue


def site_dir() -> Path:
    """`site/` beside the packages in a checkout, `catalogue/_site` in a wheel."""
    packaged = Path(catalogue.__file__).parent / "_site"
    if packaged.is_dir():
        return packaged
    return Path(catalogue.__file__).parent.parent / "site"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(site_dir() / "templates")),
        autoescape=jinja2.select_autoescape(["html", "xml"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["pick"] = pick
    return env


def pick(texts: dict[str, str], lang: str) -> tuple[str, str]:
    """(language, text) in the wanted language, else English, else any."""
    if not texts:
        return ("", "")
    for candidate in (lang, "en"):
        if candidate in texts:
            return (candidate, texts[candidate])
    first = sorted(texts)[0]
    return (first, texts[first])


@cache
def templates() -> Jinja2Templates:
    return Jinja2Templates(env=environment())
