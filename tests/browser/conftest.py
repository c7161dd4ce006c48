"""Browser tests: Playwright driving Debian's Chromium against the real site.

Servers on loopback: the demo catalogue (uvicorn in a thread), the same
catalogue built as a static site (a plain file server) that calls that
server's API, and a catalogue harvested from a hostile source. Chromium and
axe-core are installed on demand (setup_deps.py); where they cannot be, the
tests skip with the reason, except in CI (CI set), where they fail.
Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalogue.core import Catalogue
from catalogue.settings import Settings
from catalogue.sitebuild import BuildOptions, build_site
from catalogue.sources import load_sources
from catalogue.web import create_app
from servers import serve_app, serve_files  # tests/servers.py

from setup_deps import CHROMIUM_ARGS, MissingDependency, ensure_axe, ensure_chromium  # beside this file

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
HOSTILE = ROOT / "tests" / "web" / "data" / "untrusted-sources.toml"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this folder is a browser test (`-m "not browser"` leaves it out locally)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> Path:
    try:
        return ensure_chromium()
    except MissingDependency as exc:
        _unavailable(str(exc))
        raise


@pytest.fixture(scope="session")
def axe_script() -> Path:
    try:
        return ensure_axe()
    except MissingDependency as exc:
        _unavailable(str(exc))
        raise


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    """One headless Chromium per module (Playwright's loop ends with it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh English-speaking tab; a dialog (an alert from injected script) fails the test."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()
    assert not dialogs, f"a page opened a dialog: {dialogs}"


@pytest.fixture
def no_js_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-GB", java_script_enabled=False, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def site_url(demo_catalogue: Catalogue) -> Iterator[str]:
    """The demo catalogue served by the app, over real HTTP."""
    with serve_app(create_app(demo_catalogue.settings, demo_catalogue)) as url:
        yield url


@pytest.fixture(scope="module")
def static_url(demo_catalogue: Catalogue, site_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo catalogue built as static files (English, French) whose search calls `site_url`'s API."""
    out = tmp_path_factory.mktemp("static") / "site"
    build_site(demo_catalogue, BuildOptions(out=out, languages=("en", "fr"), api_base=site_url))
    with serve_files(out) as url:
        yield url


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A catalogue harvested from a hostile source (markup and javascript: URLs everywhere)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("hostile") / "data", base_uri="https://gpc.test", sources=HOSTILE)
    cat = Catalogue(settings)
    cat.harvest(load_sources(HOSTILE))
    with serve_app(create_app(settings, cat)) as url:
        yield url
    cat.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Any, script: Path) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    page.add_script_tag(path=str(script))
    return page.evaluate(  # type: ignore[no-any-return]
        """async (tags) => {
             const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
             return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                  nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
           }""",
        WCAG_TAGS,
    )
