"""Fixtures for the search-engine conformance suite: every test runs on every engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalogue.index import ENGINES, SearchEngine, open_engine


# Session scope: hypothesis tests may use it (they open their own engines).
@pytest.fixture(params=sorted(ENGINES), scope="session")
def engine_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def engine(engine_name: str, tmp_path: Path) -> Iterator[SearchEngine]:
    opened = open_engine(engine_name, tmp_path / "index")
    yield opened
    opened.close()
