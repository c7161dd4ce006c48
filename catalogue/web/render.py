"""One renderer for both outputs: a `Page` in a language, to text."""

from __future__ import annotations

from .templates import environment
from .views import Page


def render(page: Page, lang: str) -> str:
    return environment(lang).get_template(page.template).render(page.context)
