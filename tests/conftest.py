"""Shared fixtures: the third-party fixtures folder, settings and catalogues.

`shared_fixtures` finds ../shared/fixtures (or $GPC_SHARED_FIXTURES): tests
that need it skip with a reason where it is absent, and fail when CI is set.
`demo_catalogue` harvests the bundled demo sources once per session.
`virtuoso` is a real Virtuoso on loopback (tests/virtuoso.py); `store_overrides`
gives make_catalogue the settings of each store backend in turn.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from catalogue.cli import demo_sources_path
from catalogue.core import Catalogue
from catalogue.settings import Settings
from catalogue.sources import load_sources
from virtuoso import store_overrides, virtuoso, virtuoso_server  # noqa: F401 - fixtures (tests/virtuoso.py)

ROOT = Path(__file__).resolve().parents[1]


def _shared_fixtures_dir() -> Path:
    configured = os.environ.get("GPC_SHARED_FIXTURES")
    return Path(configured) if configured else ROOT.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    path = _shared_fixtures_dir()
    if not path.is_dir():
        message = f"third-party fixtures not found at {path} (set GPC_SHARED_FIXTURES)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings on a fresh data directory, with overrides."""

    def factory(**overrides: object) -> Settings:
        values: dict[str, object] = {"data_dir": tmp_path / "data", "base_uri": "https://gpc.test"}
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return factory


@pytest.fixture
def make_catalogue(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., Catalogue]]:
    opened: list[Catalogue] = []

    def factory(**overrides: object) -> Catalogue:
        cat = Catalogue(make_settings(**overrides))
        opened.append(cat)
        return cat

    yield factory
    for cat in opened:
        cat.close()


@pytest.fixture(scope="session")
def demo_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    """The demo sources harvested once into a session-wide catalogue (read-only use)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("demo") / "data", base_uri="https://gpc.test")
    cat = Catalogue(settings)
    cat.harvest(load_sources(demo_sources_path()))
    yield cat
    cat.close()


@pytest.fixture
def own_catalogue(tmp_path: Path) -> Iterator[tuple[Catalogue, Path]]:
    """The demo harvested into a catalogue of its own, with a copy of the demo sources to edit."""
    sources = tmp_path / "demo"
    shutil.copytree(demo_sources_path().parent, sources)
    cat = Catalogue(Settings(data_dir=tmp_path / "data", base_uri="https://gpc.test"))
    cat.harvest(load_sources(sources / "sources.toml"), ["demo-projects", "demo-local-list"])
    yield cat, sources
    cat.close()
